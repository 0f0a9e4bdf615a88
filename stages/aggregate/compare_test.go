package aggregate

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/inferbench/inferbench/pipeline"
)

func TestCompareRuns(t *testing.T) {
	exp := twoPlatforms()
	runA := append(latencies("metis", "m-a", 40, 600), latencies("sophia", "m-b", 40, 1000)...)
	// run B: metis got twice as slow, sophia is unchanged; only B has "ghost"
	runB := append(latencies("metis", "m-a", 40, 1200), latencies("sophia", "m-b", 40, 1000)...)
	runB = append(runB, latencies("ghost", "m", 3, 100)...)
	resA, _ := Aggregate(context.Background(), exp, runA)
	resB, _ := Aggregate(context.Background(), exp, runB)
	deltas := CompareRuns(resA, resB, runA, runB, 42)
	if len(deltas) != 2*len(RunDeltaFigures) {
		t.Fatalf("got %d deltas, want %d (groups in both runs only)", len(deltas), 2*len(RunDeltaFigures))
	}
	find := func(platform, figure string) RunDelta {
		for _, d := range deltas {
			if d.Platform == platform && d.Figure == figure {
				return d
			}
		}
		t.Fatalf("no %s %s", platform, figure)
		return RunDelta{}
	}
	t.Run("a slowed platform shows a significant latency change with its p-value", func(t *testing.T) {
		d := find("metis", "latency_p50")
		// medians 795 -> 1395
		if d.A != 795 || d.B != 1395 || d.Change != 600 || !near(d.Ratio, 1395.0/795, 1e-12) {
			t.Errorf("%+v", d)
		}
		if !d.Significant || !(d.CILow > 0 && d.CILow <= 600 && 600 <= d.CIHigh) || d.PValue == nil || *d.PValue >= 0.001 || d.Unit != "ms" {
			t.Errorf("%+v", d)
		}
	})
	t.Run("an unchanged platform shows no significant change", func(t *testing.T) {
		for _, f := range []string{"latency_p50", "latency_mean", "ttft_p50", "tokens_per_sec_mean"} {
			d := find("sophia", f)
			if d.Change != 0 || d.Significant || d.Ratio != 1 || !(d.CILow <= 0 && 0 <= d.CIHigh) {
				t.Errorf("%s: %+v", f, d)
			}
		}
	})
	t.Run("accuracy and error rate deltas carry no p-value", func(t *testing.T) {
		for _, f := range []string{"em", "f1", "error_rate"} {
			if d := find("metis", f); d.PValue != nil || d.Significant {
				t.Errorf("%s: %+v", f, d)
			}
		}
	})
	t.Run("the same runs and seed give the same deltas", func(t *testing.T) {
		a, _ := json.Marshal(deltas)
		b, _ := json.Marshal(CompareRuns(resA, resB, runA, runB, 42))
		if string(a) != string(b) {
			t.Error("differ")
		}
		if !strings.Contains(string(a), `"figure":"latency_p50"`) || !strings.Contains(string(a), `"p_value":`) {
			t.Errorf("json %s", a[:200])
		}
	})
	t.Run("nil results compare to nothing", func(t *testing.T) {
		if CompareRuns(nil, resB, nil, nil, 1) != nil {
			t.Error("want nil")
		}
	})
}

// BenchmarkAggregate aggregates 100,000 synthetic records: 2 platforms x 2
// temperatures x 5 repeats x 5,000 samples, 2% failures, 8 ITL gaps each.
func BenchmarkAggregate(b *testing.B) {
	exp := twoPlatforms()
	exp.Params.Temperature = []float64{0, 0.7}
	exp.Repeats = 5
	exp.Stats = pipeline.StatsSpec{}
	exp.Metrics = []pipeline.MetricSpec{{Name: "cost", Expr: "output_tokens / 1000 * 0.6"}}
	exp.Checks = []string{`all(groups, .error_rate < 0.05)`}
	exp.SLO.TTFT = pipeline.Duration(500 * time.Millisecond)
	r := rand.New(rand.NewPCG(1, 2))
	recs := make([]pipeline.Record, 0, 100000)
	for _, p := range exp.Platforms {
		for _, temp := range exp.Params.Temperature {
			for rep := range 5 {
				for s := range 5000 {
					lat := 500 + 1000*r.ExpFloat64()
					rec := okRec(p.Name, p.Models[0], rep*5000+s, lat)
					rec.Temperature, rec.Repeat, rec.SampleID = temp, rep, "q"+string(rune('a'+s%26))+string(rune('a'+s/26%26))+string(rune('a'+s/676))
					rec.ITLMs = make([]float64, 8)
					for i := range rec.ITLMs {
						rec.ITLMs[i] = 5 + r.Float64()
					}
					if r.IntN(50) == 0 {
						rec.Error = "http_500"
					}
					rec.EM = float64(r.IntN(2))
					recs = append(recs, rec)
				}
			}
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := Aggregate(context.Background(), exp, recs); err != nil {
			b.Fatal(err)
		}
	}
}
