package pipeline

import (
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

	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/results"
	"github.com/inferbench/inferbench/pipeline/runfolder"
)

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
func (s *ClientSampler) Stop() results.ClientHealth {
	wall := time.Since(s.start)
	cpu1, ok := processCPU()
	h := results.ClientHealth{Seconds: wall.Seconds(), Cores: clientCores()}
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
func (e *Engine) recordClientHealth(mu *sync.Mutex, m *runfolder.Manifest, dir string, spec config.ClientSpec, h results.ClientHealth) {
	if bound, why := h.ClientBound(spec); bound {
		e.log().Warn("client-bound level: the client's own delay may be in its timings, which are upper bounds; lower the concurrency or rate, or split the load over machines with --shard",
			"platform", h.Platform, "load", h.Level, "reason", why)
	}
	mu.Lock()
	defer mu.Unlock()
	m.ClientHealth = append(m.ClientHealth, h)
	if err := writeJSON(filepath.Join(dir, runfolder.ManifestFile), m); err != nil {
		e.log().Warn("could not record the client's health in the manifest", "platform", h.Platform, "err", err)
	}
}

// ClientHealthSetter is an Accumulator that applies the client's health
// itself (Results.ApplyClientHealth) before it evaluates `checks:`, so
// that checks see client_bound and the client figures: AggregateRun gives
// it the manifest's ClientHealth before the first Add.
type ClientHealthSetter interface {
	SetClientHealth(health []results.ClientHealth)
}

// ApplyClient is ApplyClientHealth with the client health of m (none
// when m is nil).
func ApplyClient(r *results.Results, m *runfolder.Manifest, spec config.ClientSpec) {
	if m == nil {
		return
	}
	r.ApplyClientHealth(m.ClientHealth, spec)
}
