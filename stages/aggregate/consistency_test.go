package aggregate

import (
	"testing"

	"github.com/inferbench/inferbench/pipeline/config"
)

// The homework's consistency figures (sample standard deviation and
// coefficient of variation of latency and TTFT) and the mean output tokens
// per successful request are names that metrics: and checks: can use.
func TestConsistencyFiguresAreMetricNames(t *testing.T) {
	recs := append(latencies("metis", "m-a", 3, 100), latencies("sophia", "m-b", 3, 100)...)
	exp := twoPlatforms()
	exp.Metrics = []config.MetricSpec{
		{Name: "sd", Expr: "latency_stddev"}, {Name: "cv", Expr: "latency_cv"},
		{Name: "tsd", Expr: "ttft_stddev"}, {Name: "tcv", Expr: "ttft_cv"},
		{Name: "tokens", Expr: "output_tokens_per_request"},
	}
	exp.Checks = []string{"group('metis').latency_stddev > 9 && group('metis').latency_cv < 1"}
	res := mustAggregate(t, exp, recs)
	g := groupOf(t, res, "metis") // latencies 100, 110, 120: sample sd 10
	want := map[string]float64{"sd": 10, "cv": 10.0 / 110, "tsd": 2.5, "tcv": 2.5 / 27.5, "tokens": 20}
	for _, m := range g.Metrics {
		if !near(m.Value, want[m.Name], 1e-9) {
			t.Errorf("%s = %v, want %v", m.Name, m.Value, want[m.Name])
		}
	}
	if len(res.Checks) != 1 || !res.Checks[0].Passed {
		t.Errorf("checks %+v", res.Checks)
	}
}

// The ratio of means, the homework's "1.59x faster", has its own interval.
func TestMeanSpeedupHasAnInterval(t *testing.T) {
	recs := append(latencies("metis", "m-a", 30, 600), latencies("sophia", "m-b", 30, 1000)...)
	c := mustAggregate(t, twoPlatforms(), recs).Comparisons[0]
	if !(c.SpeedupMeanCILow < c.SpeedupMean && c.SpeedupMean < c.SpeedupMeanCIHigh) || c.SpeedupMeanCILow <= 1 {
		t.Errorf("mean speedup %v, CI %v-%v", c.SpeedupMean, c.SpeedupMeanCILow, c.SpeedupMeanCIHigh)
	}
}

// A non-streaming run has no time per output token: the whole answer
// arrives at once, so TPOT is empty (shown "-"), not a mean of 0.
func TestNonStreamingRunsHaveNoTPOT(t *testing.T) {
	recs := append(latencies("metis", "m-a", 5, 100), latencies("sophia", "m-b", 5, 100)...)
	for i := range recs {
		recs[i].TTFTMs, recs[i].TTFCMs, recs[i].TPOTMs, recs[i].ITLMs = recs[i].LatencyMs, recs[i].LatencyMs, 0, nil
	}
	exp := twoPlatforms()
	exp.Params.Stream = false
	if g := groupOf(t, mustAggregate(t, exp, recs), "metis"); g.TPOTMs.N != 0 {
		t.Errorf("non-streaming TPOT %+v, want none", g.TPOTMs)
	}
	exp.Params.Stream = true
	if g := groupOf(t, mustAggregate(t, exp, latencies("metis", "m-a", 5, 100)), "metis"); g.TPOTMs.N != 5 {
		t.Errorf("streaming TPOT n %d, want 5", g.TPOTMs.N)
	}
}
