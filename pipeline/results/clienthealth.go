package results

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/inferbench/inferbench/pipeline/config"
)

// ClientHealth is what the client measured of itself while one load level
// of one platform ran (manifest.json's client_health, written when the
// level ends; results.json's group `client`). The figures are of the
// whole process: platforms that run side by side share it.
type ClientHealth struct {
	Platform string `json:"platform,omitempty"`
	Level    string `json:"load,omitempty"`
	// Seconds is the level's window.
	Seconds float64 `json:"seconds"`
	// SchedLatencyP99Ms is the 99th percentile of the Go scheduler
	// latency (runtime/metrics /sched/latencies:seconds: how long
	// runnable goroutines waited for a thread) over the window: the lower
	// edge of the histogram bucket that holds it.
	SchedLatencyP99Ms float64 `json:"sched_latency_p99_ms"`
	// CPUPercent is the process's CPU time (user + system) over the
	// window, in percent of Cores.
	CPUPercent float64 `json:"cpu_percent"`
	// Cores is the number of CPUs the process may use: GOMAXPROCS, or the
	// cgroup v2 cpu.max quota when lower.
	Cores float64 `json:"cores"`
	// SendLagP50Ms and SendLagP99Ms are, on an open-loop level, the lag
	// between each request's scheduled send time (or the moment the
	// concurrency cap let it go, when later) and its actual start; 0 with
	// SendLagN 0 on a closed-loop level.
	SendLagP50Ms float64 `json:"send_lag_p50_ms,omitempty"`
	SendLagP99Ms float64 `json:"send_lag_p99_ms,omitempty"`
	SendLagN     int     `json:"send_lag_n,omitempty"`
}

// ClientBound returns whether h exceeds a threshold of spec (zero fields
// take their defaults) and the reason, e.g. "CPU 97% of 2 cores > 90%".
func (h ClientHealth) ClientBound(spec config.ClientSpec) (bool, string) {
	spec = spec.WithDefaults()
	var why []string
	if lim := float64(spec.MaxSchedLatency.D()) / float64(time.Millisecond); h.SchedLatencyP99Ms > lim {
		why = append(why, fmt.Sprintf("scheduler latency p99 %.1f ms > %g ms", h.SchedLatencyP99Ms, lim))
	}
	if h.CPUPercent > 100*spec.MaxCPU {
		why = append(why, fmt.Sprintf("CPU %.0f%% of %s cores > %g%%", h.CPUPercent, strconv.FormatFloat(h.Cores, 'g', 3, 64), 100*spec.MaxCPU))
	}
	if lim := float64(spec.MaxSendLag.D()) / float64(time.Millisecond); h.SendLagN > 0 && h.SendLagP99Ms > lim {
		why = append(why, fmt.Sprintf("send lag p99 %.1f ms > %g ms", h.SendLagP99Ms, lim))
	}
	return len(why) > 0, strings.Join(why, "; ")
}

// worse merges two measurements of the same level (a resumed level ran
// twice): each figure is the worse of the two.
func (h ClientHealth) worse(o ClientHealth) ClientHealth {
	h.Seconds += o.Seconds
	h.SchedLatencyP99Ms = max(h.SchedLatencyP99Ms, o.SchedLatencyP99Ms)
	if o.CPUPercent > h.CPUPercent {
		h.CPUPercent, h.Cores = o.CPUPercent, o.Cores
	}
	h.SendLagP50Ms = max(h.SendLagP50Ms, o.SendLagP50Ms)
	h.SendLagP99Ms = max(h.SendLagP99Ms, o.SendLagP99Ms)
	h.SendLagN += o.SendLagN
	return h
}

// clientBoundNote is added to the statements that rest on client-bound
// levels.
const clientBoundNote = "client-bound: latencies are upper bounds"

// ApplyClientHealth puts the client's health (by platform and level;
// several entries of one level merged to the worst) into r's groups and
// sweep points, marks those above spec's thresholds client-bound, and
// says so in the comparisons' verdicts, the curves' best levels and the
// crossovers that rest on such a level. Applying it again gives the same
// results. A run without measurements is left as it is.
func (r *Results) ApplyClientHealth(hs []ClientHealth, spec config.ClientSpec) {
	if len(hs) == 0 {
		return
	}
	type lvl struct{ platform, load string }
	health := map[lvl]ClientHealth{}
	for _, h := range hs {
		k := lvl{h.Platform, h.Level}
		if old, ok := health[k]; ok {
			h = old.worse(h)
		}
		health[k] = h
	}
	bound := map[lvl]string{}
	for k, h := range health {
		if b, why := h.ClientBound(spec); b {
			bound[k] = why
		}
	}
	for i := range r.Groups {
		g := &r.Groups[i]
		k := lvl{g.Platform, g.Level}
		if h, ok := health[k]; ok {
			h.Platform, h.Level = "", ""
			g.Client = &h
		}
		g.ClientBoundReason, g.ClientBound = bound[k], bound[k] != ""
	}
	boundGroup := func(k GroupKey) bool { return bound[lvl{k.Platform, k.Level}] != "" }
	for i := range r.Comparisons {
		c := &r.Comparisons[i]
		if (boundGroup(c.GroupKey) || boundGroup(c.Baseline)) && !strings.Contains(c.Verdict, clientBoundNote) {
			c.Verdict += " (" + clientBoundNote + ")"
		}
	}
	if r.Sweep == nil {
		return
	}
	for ci := range r.Sweep.Curves {
		c := &r.Sweep.Curves[ci]
		for pi := range c.Points {
			p := &c.Points[pi]
			why := bound[lvl{c.Platform, p.Level}]
			p.ClientBound, p.ClientBoundReason = why != "", why
			if p.Level == c.Best {
				c.BestClientBound = p.ClientBound
			}
		}
	}
	for xi := range r.Sweep.Crossovers {
		x := &r.Sweep.Crossovers[xi]
		// The levels both curves ran, and those of them client-bound in either.
		seen := map[string]int{}
		var on []string
		for _, c := range r.Sweep.Curves {
			if c.GroupKey != x.GroupKey && c.GroupKey != x.Baseline {
				continue
			}
			for _, p := range c.Points {
				seen[p.Level]++
			}
		}
		for _, c := range r.Sweep.Curves {
			if c.GroupKey != x.GroupKey && c.GroupKey != x.Baseline {
				continue
			}
			for _, p := range c.Points {
				if p.ClientBound && seen[p.Level] == 2 && !slices.Contains(on, p.Level) {
					on = append(on, p.Level)
				}
			}
		}
		if len(on) > 0 && !strings.Contains(x.Statement, clientBoundNote) {
			x.Statement += " (rests on " + strings.Join(on, ", ") + ", " + clientBoundNote + ")"
		}
	}
}
