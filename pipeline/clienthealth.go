package pipeline

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Default client-bound thresholds (ClientSpec).
const (
	// DefaultMaxSchedLatency: a level whose Go scheduler latency p99 is
	// above it is client-bound.
	DefaultMaxSchedLatency = Duration(5 * time.Millisecond)
	// DefaultMaxCPU: a level whose process CPU use is above this share of
	// the cores it may use is client-bound.
	DefaultMaxCPU = 0.9
	// DefaultMaxSendLag: an open-loop level whose send lag p99 is above it
	// is client-bound.
	DefaultMaxSendLag = Duration(10 * time.Millisecond)
)

// ClientSpec is the experiment's `client:` block: the thresholds above
// which a load level is client-bound, i.e. the client's own delay could
// distort its timings. Zero (left out) means the default. report and
// rescore may change them (--set client.max_cpu=0.8): the measured
// figures are in the manifest.
type ClientSpec struct {
	MaxSchedLatency Duration `yaml:"max_sched_latency" json:"max_sched_latency,omitempty" validate:"gte=0"`
	MaxCPU          float64  `yaml:"max_cpu" json:"max_cpu,omitempty" validate:"gte=0"`
	MaxSendLag      Duration `yaml:"max_send_lag" json:"max_send_lag,omitempty" validate:"gte=0"`
}

func (s ClientSpec) withDefaults() ClientSpec {
	if s.MaxSchedLatency == 0 {
		s.MaxSchedLatency = DefaultMaxSchedLatency
	}
	if s.MaxCPU == 0 {
		s.MaxCPU = DefaultMaxCPU
	}
	if s.MaxSendLag == 0 {
		s.MaxSendLag = DefaultMaxSendLag
	}
	return s
}

// ClientHealth is what the client measured of itself while one load level
// of one platform ran (manifest.json's client_health, written when the
// level ends; results.json's group `client`). The figures are of the
// whole process: platforms that run side by side share it.
type ClientHealth struct {
	Platform string `json:"platform,omitempty"`
	Load     string `json:"load,omitempty"`
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
func (h ClientHealth) ClientBound(spec ClientSpec) (bool, string) {
	spec = spec.withDefaults()
	var why []string
	if lim := clientMs(spec.MaxSchedLatency.D()); h.SchedLatencyP99Ms > lim {
		why = append(why, fmt.Sprintf("scheduler latency p99 %.1f ms > %g ms", h.SchedLatencyP99Ms, lim))
	}
	if h.CPUPercent > 100*spec.MaxCPU {
		why = append(why, fmt.Sprintf("CPU %.0f%% of %s cores > %g%%", h.CPUPercent, strconv.FormatFloat(h.Cores, 'g', 3, 64), 100*spec.MaxCPU))
	}
	if lim := clientMs(spec.MaxSendLag.D()); h.SendLagN > 0 && h.SendLagP99Ms > lim {
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

func clientMs(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// schedLatencies is the runtime metric of the scheduler latency.
const schedLatencies = "/sched/latencies:seconds"

// ClientSampler measures the client's health over one window (a load
// level): Start, then SendLag from any goroutine, then Stop once. The
// zero value is not ready; use StartClientSampler.
type ClientSampler struct {
	start time.Time
	cpu0  time.Duration
	cpuOK bool
	sched *metrics.Float64Histogram

	mu   sync.Mutex
	lags []float32 // ms
}

// StartClientSampler takes the first snapshot of a window.
func StartClientSampler() *ClientSampler {
	s := &ClientSampler{sched: readSched()}
	s.cpu0, s.cpuOK = processCPU()
	s.start = time.Now()
	return s
}

// SendLag adds the lag of one open-loop request; safe for concurrent use.
func (s *ClientSampler) SendLag(d time.Duration) {
	s.mu.Lock()
	s.lags = append(s.lags, float32(clientMs(d)))
	s.mu.Unlock()
}

// Stop ends the window and returns its figures (Platform and Load unset).
func (s *ClientSampler) Stop() ClientHealth {
	wall := time.Since(s.start)
	cpu1, ok := processCPU()
	h := ClientHealth{Seconds: wall.Seconds(), Cores: clientCores()}
	if ok && s.cpuOK && wall > 0 && h.Cores > 0 {
		h.CPUPercent = 100 * (cpu1 - s.cpu0).Seconds() / wall.Seconds() / h.Cores
	}
	h.SchedLatencyP99Ms = 1000 * histQuantile(s.sched, readSched(), 0.99)
	s.mu.Lock()
	lags := s.lags
	s.lags = nil
	s.mu.Unlock()
	if len(lags) > 0 {
		v := make([]float64, len(lags))
		for i, l := range lags {
			v[i] = float64(l)
		}
		slices.Sort(v)
		h.SendLagN = len(v)
		h.SendLagP50Ms, h.SendLagP99Ms = sortedQuantile(v, 0.5), sortedQuantile(v, 0.99)
	}
	return h
}

// sortedQuantile is the type-7 quantile of sorted v (PercentileMethod).
func sortedQuantile(v []float64, q float64) float64 {
	if len(v) == 0 {
		return 0
	}
	pos := q * float64(len(v)-1)
	lo := int(math.Floor(pos))
	hi := min(lo+1, len(v)-1)
	return v[lo] + (pos-float64(lo))*(v[hi]-v[lo])
}

func readSched() *metrics.Float64Histogram {
	s := []metrics.Sample{{Name: schedLatencies}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindFloat64Histogram {
		return nil
	}
	return s[0].Value.Float64Histogram()
}

// histQuantile returns the q quantile of the observations added between
// two snapshots of a runtime histogram: the lower edge of the bucket
// holding it (0 when nothing was observed or a snapshot is missing).
func histQuantile(before, after *metrics.Float64Histogram, q float64) float64 {
	if before == nil || after == nil || len(before.Counts) != len(after.Counts) {
		return 0
	}
	var total uint64
	d := make([]uint64, len(after.Counts))
	for i := range d {
		d[i] = after.Counts[i] - before.Counts[i]
		total += d[i]
	}
	if total == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(total)))
	var cum uint64
	for i, n := range d {
		cum += n
		if cum >= rank {
			if lo := after.Buckets[i]; !math.IsInf(lo, -1) {
				return lo
			}
			return 0
		}
	}
	return 0
}

// clientCores is GOMAXPROCS, or the cgroup v2 CPU quota when lower.
func clientCores() float64 {
	cores := float64(runtime.GOMAXPROCS(0))
	if q, ok := cgroupCPUQuota(); ok && q < cores {
		cores = q
	}
	return cores
}

// cgroupCPUQuota reads the cgroup v2 cpu.max of this process ("quota
// period", or "max period" for none).
func cgroupCPUQuota() (float64, bool) {
	b, err := os.ReadFile("/sys/fs/cgroup/cpu.max")
	if err != nil {
		return 0, false
	}
	f := strings.Fields(string(b))
	if len(f) != 2 || f[0] == "max" {
		return 0, false
	}
	quota, err1 := strconv.ParseFloat(f[0], 64)
	period, err2 := strconv.ParseFloat(f[1], 64)
	if err1 != nil || err2 != nil || period <= 0 || quota <= 0 {
		return 0, false
	}
	return quota / period, true
}

// recordClientHealth appends h to the manifest and writes it at once (a
// crash must not lose the levels already measured), warning when the
// level was client-bound under spec. mu guards m.
func (e *Engine) recordClientHealth(mu *sync.Mutex, m *Manifest, dir string, spec ClientSpec, h ClientHealth) {
	if bound, why := h.ClientBound(spec); bound {
		e.log().Warn("client-bound level: the client's own delay may be in its timings, which are upper bounds; lower the concurrency or rate, or split the load over machines with --shard",
			"platform", h.Platform, "load", h.Load, "reason", why)
	}
	mu.Lock()
	defer mu.Unlock()
	m.ClientHealth = append(m.ClientHealth, h)
	if err := writeJSON(filepath.Join(dir, ManifestFile), m); err != nil {
		e.log().Warn("could not record the client's health in the manifest", "platform", h.Platform, "err", err)
	}
}

// clientBoundNote is added to the statements that rest on client-bound
// levels.
const clientBoundNote = "client-bound: latencies are upper bounds"

// ClientHealthSetter is an Accumulator that applies the client's health
// itself (Results.ApplyClientHealth) before it evaluates `checks:`, so
// that checks see client_bound and the client figures: AggregateRun gives
// it the manifest's ClientHealth before the first Add.
type ClientHealthSetter interface {
	SetClientHealth(health []ClientHealth)
}

// ApplyClient is ApplyClientHealth with the client health of m (none
// when m is nil).
func (r *Results) ApplyClient(m *Manifest, spec ClientSpec) {
	if m == nil {
		return
	}
	r.ApplyClientHealth(m.ClientHealth, spec)
}

// ApplyClientHealth puts the client's health (by platform and level;
// several entries of one level merged to the worst) into r's groups and
// sweep points, marks those above spec's thresholds client-bound, and
// says so in the comparisons' verdicts, the curves' best levels and the
// crossovers that rest on such a level. Applying it again gives the same
// results. A run without measurements is left as it is.
func (r *Results) ApplyClientHealth(hs []ClientHealth, spec ClientSpec) {
	if len(hs) == 0 {
		return
	}
	type lvl struct{ platform, load string }
	health := map[lvl]ClientHealth{}
	for _, h := range hs {
		k := lvl{h.Platform, h.Load}
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
		k := lvl{g.Platform, g.Load}
		if h, ok := health[k]; ok {
			h.Platform, h.Load = "", ""
			g.Client = &h
		}
		g.ClientBoundReason, g.ClientBound = bound[k], bound[k] != ""
	}
	boundGroup := func(k GroupKey) bool { return bound[lvl{k.Platform, k.Load}] != "" }
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
			why := bound[lvl{c.Platform, p.Load}]
			p.ClientBound, p.ClientBoundReason = why != "", why
			if p.Load == c.Best {
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
				seen[p.Load]++
			}
		}
		for _, c := range r.Sweep.Curves {
			if c.GroupKey != x.GroupKey && c.GroupKey != x.Baseline {
				continue
			}
			for _, p := range c.Points {
				if p.ClientBound && seen[p.Load] == 2 && !slices.Contains(on, p.Load) {
					on = append(on, p.Load)
				}
			}
		}
		if len(on) > 0 && !strings.Contains(x.Statement, clientBoundNote) {
			x.Statement += " (rests on " + strings.Join(on, ", ") + ", " + clientBoundNote + ")"
		}
	}
}
