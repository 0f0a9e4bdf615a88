package results

import (
	"strings"
	"testing"
	"time"
)

func f(v float64) *float64 { return &v }

func TestServerMetricsSummariseALevelByMeanMaxAndCounterIncrease(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	samples := []ServerSample{
		{Time: t0, Platform: "a", Level: "c1", Running: f(1), Waiting: f(0), KVCacheUsage: f(0.1), Preemptions: f(5), PrefixCacheQueries: f(100), PrefixCacheHits: f(10)},
		{Time: t0.Add(time.Second), Platform: "a", Level: "c1", Running: f(3), Waiting: f(2), KVCacheUsage: f(0.5), Preemptions: f(7), PrefixCacheQueries: f(300), PrefixCacheHits: f(110)},
		{Time: t0.Add(2 * time.Second), Platform: "a", Level: "c1", Running: f(2), Waiting: f(1), KVCacheUsage: f(0.3), Preemptions: f(8), PrefixCacheQueries: f(400), PrefixCacheHits: f(160)},
		{Time: t0, Platform: "b", Level: "c1", Error: "GET http://x/metrics: 404 Not Found"},
	}
	got := SummariseServerMetrics(samples)
	a := got[ServerKey{"a", "c1"}]
	if a == nil {
		t.Fatalf("no summary for a/c1: %v", got)
	}
	want := ServerMetrics{Samples: 3, RunningMean: f(2), RunningMax: f(3), WaitingMean: f(1), WaitingMax: f(2),
		KVCacheUsageMean: f(0.3), KVCacheUsageMax: f(0.5), Preemptions: f(3), PrefixCacheHitRate: f(0.5)}
	if d := a.diff(want); d != "" {
		t.Errorf("a/c1: %s", d)
	}
	if b := got[ServerKey{"b", "c1"}]; b != nil {
		t.Errorf("a platform whose every scrape failed has no summary, got %+v", b)
	}
}

func TestServerMetricsCounterResetIsNotANegativeIncrease(t *testing.T) {
	// A server restarted mid-level: the counter starts again from 0.
	s := []ServerSample{{Platform: "a", Preemptions: f(5)}, {Platform: "a", Preemptions: f(9)}, {Platform: "a", Preemptions: f(2)}}
	if got := SummariseServerMetrics(s)[ServerKey{"a", ""}].Preemptions; got == nil || *got != 6 {
		t.Errorf("preemptions = %v, want 4 before the reset + 2 after = 6", got)
	}
}

func TestServerMetricsFiguresTheServerDoesNotExposeStayNull(t *testing.T) {
	s := []ServerSample{{Platform: "a", Running: f(1)}, {Platform: "a", Running: f(2)}}
	m := SummariseServerMetrics(s)[ServerKey{"a", ""}]
	if m.KVCacheUsageMean != nil || m.Preemptions != nil || m.PrefixCacheHitRate != nil || m.WaitingMax != nil {
		t.Errorf("figures without a sample must be nil: %+v", m)
	}
}

func TestApplyServerMetricsFillsEveryGroupOfTheLevelAndNotesAFailureOnce(t *testing.T) {
	r := &Results{Groups: []GroupStats{
		{GroupKey: GroupKey{Platform: "a", Model: "m1", Level: "c1"}},
		{GroupKey: GroupKey{Platform: "a", Model: "m2", Level: "c1"}},
		{GroupKey: GroupKey{Platform: "a", Model: "m1", Level: "c2"}},
		{GroupKey: GroupKey{Platform: "b", Model: "m1", Level: "c1"}},
	}}
	samples := []ServerSample{
		{Platform: "a", Level: "c1", Running: f(4)},
		{Platform: "b", Level: "c1", Error: "connection refused"},
		{Platform: "b", Level: "c2", Error: "connection refused"},
	}
	for range 2 { // applying twice gives the same results
		r.ApplyServerMetrics(samples)
	}
	if g := r.Groups[0].ServerMetrics; g == nil || *g.RunningMax != 4 {
		t.Errorf("a/m1/c1: %+v", g)
	}
	if g := r.Groups[1].ServerMetrics; g == nil || *g.RunningMean != 4 {
		t.Errorf("a/m2/c1 shares the server's view of its level: %+v", g)
	}
	if r.Groups[2].ServerMetrics != nil || r.Groups[3].ServerMetrics != nil {
		t.Errorf("levels without samples get none")
	}
	n := 0
	for _, w := range r.Warnings {
		if strings.Contains(w, "server metrics") {
			n++
			if !strings.Contains(w, "b") || !strings.Contains(w, "connection refused") {
				t.Errorf("warning should name the platform and the error: %q", w)
			}
		}
	}
	if n != 1 {
		t.Errorf("want one warning on b's metrics, got %d: %q", n, r.Warnings)
	}
}

// diff names the fields of m that differ from want.
func (m *ServerMetrics) diff(want ServerMetrics) string {
	var out []string
	eq := func(name string, a, b *float64) {
		switch {
		case a == nil && b == nil:
		case a == nil || b == nil || (*a-*b) > 1e-9 || (*b-*a) > 1e-9:
			out = append(out, name)
		}
	}
	if m.Samples != want.Samples {
		out = append(out, "samples")
	}
	eq("running_mean", m.RunningMean, want.RunningMean)
	eq("running_max", m.RunningMax, want.RunningMax)
	eq("waiting_mean", m.WaitingMean, want.WaitingMean)
	eq("waiting_max", m.WaitingMax, want.WaitingMax)
	eq("kv_mean", m.KVCacheUsageMean, want.KVCacheUsageMean)
	eq("kv_max", m.KVCacheUsageMax, want.KVCacheUsageMax)
	eq("preemptions", m.Preemptions, want.Preemptions)
	eq("prefix_hit_rate", m.PrefixCacheHitRate, want.PrefixCacheHitRate)
	return strings.Join(out, ", ")
}
