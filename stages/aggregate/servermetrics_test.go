package aggregate

import (
	"context"
	"testing"

	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/results"
)

func TestMetricsAndChecksSeeTheServersFigures(t *testing.T) {
	exp := twoPlatforms()
	exp.Metrics = []config.MetricSpec{{Name: "queue_share", Expr: "server_waiting_max / (server_running_max + server_waiting_max)"}}
	exp.Checks = []string{`group("metis").server_kv_cache_usage_max < 0.9`, `group("sophia").server_running_mean == 0`}
	recs := append(latencies("metis", "m-a", 10, 100), latencies("sophia", "m-b", 10, 200)...)
	f := func(v float64) *float64 { return &v }
	acc, err := NewAccumulator(context.Background(), exp)
	if err != nil {
		t.Fatal(err)
	}
	acc.(*accumulator).SetServerMetrics([]results.ServerSample{
		{Platform: "metis", Running: f(3), Waiting: f(1), KVCacheUsage: f(0.5), Preemptions: f(0)},
		{Platform: "metis", Running: f(3), Waiting: f(3), KVCacheUsage: f(0.95), Preemptions: f(2)},
	})
	for i := range recs {
		if err := acc.Add(&recs[i]); err != nil {
			t.Fatal(err)
		}
	}
	res, err := acc.Close(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	m := groupOf(t, res, "metis")
	if m.ServerMetrics == nil || *m.ServerMetrics.Preemptions != 2 {
		t.Fatalf("metis server metrics %+v", m.ServerMetrics)
	}
	if v, _ := metricValueOf(m, "queue_share"); v != 0.5 {
		t.Errorf("queue_share = %v, want 3 / (3 + 3)", v)
	}
	if res.Checks[0].Passed || !res.Checks[1].Passed {
		t.Errorf("checks %+v: want the KV-cache check to fail (0.95) and sophia (never scraped: 0) to pass", res.Checks)
	}
}

func metricValueOf(g *results.GroupStats, name string) (float64, bool) {
	for _, nv := range g.Metrics {
		if nv.Name == name {
			return nv.Value, true
		}
	}
	return 0, false
}
