package pipeline

import (
	"runtime/metrics"
	"strings"
	"testing"
	"time"

	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/results"
	"github.com/inferbench/inferbench/pipeline/runfolder"
)

func TestClientBoundJudgesEachThresholdOnInjectedFigures(t *testing.T) {
	calm := results.ClientHealth{SchedLatencyP99Ms: 0.4, CPUPercent: 35, Cores: 2, SendLagP50Ms: 0.1, SendLagP99Ms: 2, SendLagN: 500}
	for _, tc := range []struct {
		name   string
		h      results.ClientHealth
		spec   config.ClientSpec
		bound  bool
		reason string
	}{
		{"a calm client is not bound", calm, config.ClientSpec{}, false, ""},
		{"scheduler latency p99 above 5 ms", with(calm, func(h *results.ClientHealth) { h.SchedLatencyP99Ms = 7.3 }), config.ClientSpec{}, true, "scheduler latency p99 7.3 ms > 5 ms"},
		{"CPU above 90% of the cores", with(calm, func(h *results.ClientHealth) { h.CPUPercent = 96 }), config.ClientSpec{}, true, "CPU 96% of 2 cores > 90%"},
		{"send lag p99 above 10 ms", with(calm, func(h *results.ClientHealth) { h.SendLagP99Ms = 40 }), config.ClientSpec{}, true, "send lag p99 40.0 ms > 10 ms"},
		{"a closed-loop level has no send lag to judge", with(calm, func(h *results.ClientHealth) { h.SendLagP99Ms, h.SendLagN = 40, 0 }), config.ClientSpec{}, false, ""},
		{"thresholds are configurable", calm, config.ClientSpec{MaxCPU: 0.3}, true, "CPU 35% of 2 cores > 30%"},
		{"every threshold exceeded is named", with(calm, func(h *results.ClientHealth) { h.SchedLatencyP99Ms, h.CPUPercent = 9, 99 }), config.ClientSpec{}, true, "scheduler latency p99 9.0 ms > 5 ms; CPU 99% of 2 cores > 90%"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bound, why := tc.h.ClientBound(tc.spec)
			if bound != tc.bound || why != tc.reason {
				t.Errorf("bound %v %q, want %v %q", bound, why, tc.bound, tc.reason)
			}
		})
	}
}

func with(h results.ClientHealth, f func(*results.ClientHealth)) results.ClientHealth {
	f(&h)
	return h
}

func TestSchedulerLatencyP99IsTakenFromTheLevelsShareOfTheHistogram(t *testing.T) {
	buckets := []float64{0, 1e-6, 1e-3, 4e-3, 8e-3, 16e-3}
	before := &metrics.Float64Histogram{Counts: []uint64{1000, 1000, 0, 0, 0}, Buckets: buckets}
	// During the level: 98 waits under 1 ms, 2 between 8 and 16 ms.
	after := &metrics.Float64Histogram{Counts: []uint64{1000, 1098, 0, 0, 2}, Buckets: buckets}
	if got := histQuantile(before, after, 0.99); got != 8e-3 {
		t.Errorf("p99 %v s, want the lower edge of the 8-16 ms bucket, 0.008", got)
	}
	if got := histQuantile(before, before, 0.99); got != 0 {
		t.Errorf("p99 of no observation %v, want 0", got)
	}
}

func TestAClientSamplerMeasuresTheProcess(t *testing.T) {
	s := StartClientSampler()
	for i := range 100 {
		s.SendLag(time.Duration(i) * time.Millisecond)
	}
	end := time.Now().Add(20 * time.Millisecond)
	for time.Now().Before(end) { // burn some CPU
	}
	h := s.Stop()
	if h.Cores <= 0 || h.CPUPercent <= 0 || h.Seconds <= 0 {
		t.Errorf("figures %+v: want cores, CPU and a window", h)
	}
	if h.SendLagN != 100 || h.SendLagP50Ms != 49.5 || h.SendLagP99Ms != 98.01 {
		t.Errorf("send lag n %d p50 %v p99 %v, want 100, 49.5, 98.01", h.SendLagN, h.SendLagP50Ms, h.SendLagP99Ms)
	}
}

func TestApplyClientMarksGroupsPointsVerdictsBestLevelsAndCrossovers(t *testing.T) {
	key := func(p, load string) results.GroupKey { return results.GroupKey{Platform: p, Model: "m", Level: load} }
	res := &results.Results{
		Groups: []results.GroupStats{{GroupKey: key("a", "c=1")}, {GroupKey: key("a", "c=8")}, {GroupKey: key("b", "c=1")}, {GroupKey: key("b", "c=8")}},
		Comparisons: []results.Comparison{
			{GroupKey: key("a", "c=1"), Baseline: key("b", "c=1"), Verdict: "a is 1.1x faster than b"},
			{GroupKey: key("a", "c=8"), Baseline: key("b", "c=8"), Verdict: "a is 2.0x faster than b"},
		},
		Sweep: &results.SweepResults{
			Curves: []results.SweepCurve{
				{GroupKey: key("a", ""), Points: []results.SweepPoint{{Level: "c=1"}, {Level: "c=8"}}, Best: "c=8"},
				{GroupKey: key("b", ""), Points: []results.SweepPoint{{Level: "c=1"}, {Level: "c=8"}}, Best: "c=1"},
			},
			Crossovers: []results.Crossover{{GroupKey: key("a", ""), Baseline: key("b", ""), Statement: "a is faster than b from c=8 up (median E2E)"}},
		},
	}
	m := &runfolder.Manifest{ClientHealth: []results.ClientHealth{
		{Platform: "a", Level: "c=1", CPUPercent: 20, Cores: 2},
		{Platform: "b", Level: "c=1", CPUPercent: 20, Cores: 2},
		{Platform: "a", Level: "c=8", CPUPercent: 60, Cores: 2},
		{Platform: "b", Level: "c=8", CPUPercent: 60, Cores: 2},
		{Platform: "a", Level: "c=8", CPUPercent: 97, Cores: 2}, // a resumed level: the worse counts
	}}
	ApplyClient(res, m, config.ClientSpec{})
	g := res.Groups[1]
	if !g.ClientBound || g.ClientBoundReason != "CPU 97% of 2 cores > 90%" || g.Client == nil || g.Client.CPUPercent != 97 {
		t.Fatalf("group a c=8: bound %v %q client %+v", g.ClientBound, g.ClientBoundReason, g.Client)
	}
	if res.Groups[0].ClientBound || res.Groups[0].Client == nil || res.Groups[3].ClientBound {
		t.Errorf("calm groups marked, or their figures missing: %+v", res.Groups)
	}
	if strings.Contains(res.Comparisons[0].Verdict, "client-bound") || !strings.Contains(res.Comparisons[1].Verdict, "client-bound: latencies are upper bounds") {
		t.Errorf("verdicts %q / %q", res.Comparisons[0].Verdict, res.Comparisons[1].Verdict)
	}
	if p := res.Sweep.Curves[0].Points[1]; !p.ClientBound || p.ClientBoundReason == "" {
		t.Errorf("sweep point a c=8 not client-bound: %+v", p)
	}
	if !res.Sweep.Curves[0].BestClientBound || res.Sweep.Curves[1].BestClientBound {
		t.Errorf("best_client_bound %v %v, want true false", res.Sweep.Curves[0].BestClientBound, res.Sweep.Curves[1].BestClientBound)
	}
	if st := res.Sweep.Crossovers[0].Statement; !strings.HasSuffix(st, "(rests on c=8, client-bound: latencies are upper bounds)") {
		t.Errorf("crossover %q does not say it rests on a client-bound level", st)
	}
	// Applying again (report after run) changes nothing.
	before := res.Sweep.Crossovers[0].Statement + res.Comparisons[1].Verdict
	ApplyClient(res, m, config.ClientSpec{})
	if after := res.Sweep.Crossovers[0].Statement + res.Comparisons[1].Verdict; after != before {
		t.Errorf("applied twice: %q", after)
	}
}
