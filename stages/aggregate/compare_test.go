package aggregate

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/inferbench/inferbench/pipeline"
	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/results"
)

func TestCompareRuns(t *testing.T) {
	exp := twoPlatforms()
	runA := append(latencies("metis", "m-a", 40, 600), latencies("sophia", "m-b", 40, 1000)...)
	// run B: metis got twice as slow, sophia is unchanged; only B has "ghost"
	runB := append(latencies("metis", "m-a", 40, 1200), latencies("sophia", "m-b", 40, 1000)...)
	runB = append(runB, latencies("ghost", "m", 3, 100)...)
	resA, _ := pipeline.AggregateRecords(context.Background(), NewAccumulator, exp, runA)
	resB, _ := pipeline.AggregateRecords(context.Background(), NewAccumulator, exp, runB)
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
		if val(d.A) != 795 || val(d.B) != 1395 || val(d.Change) != 600 || !near(val(d.Ratio), 1395.0/795, 1e-12) {
			t.Errorf("%+v", d)
		}
		if !d.Significant || !(val(d.CILow) > 0 && val(d.CILow) <= 600 && 600 <= val(d.CIHigh)) || d.PValue == nil || *d.PValue >= 0.001 || d.Unit != "ms" {
			t.Errorf("%+v", d)
		}
	})
	t.Run("an unchanged platform shows no significant change", func(t *testing.T) {
		for _, f := range []string{"latency_p50", "latency_mean", "ttft_p50", "tokens_per_sec_mean"} {
			d := find("sophia", f)
			if val(d.Change) != 0 || d.Significant || val(d.Ratio) != 1 || !(val(d.CILow) <= 0 && 0 <= val(d.CIHigh)) {
				t.Errorf("%s: %+v", f, d)
			}
		}
	})
	t.Run("throughput and error rate deltas carry no p-value; accuracy deltas carry the paired one", func(t *testing.T) {
		for _, f := range []string{"tokens_per_sec_mean", "error_rate"} {
			if d := find("metis", f); d.PValue != nil {
				t.Errorf("%s: %+v", f, d)
			}
		}
		for _, f := range []string{"em", "f1"} {
			// every answer right in both runs: no difference at all
			if d := find("metis", f); d.PValue == nil || *d.PValue != 1 || d.NPaired != 40 || d.Significant {
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
	exp.Stats = config.StatsSpec{}
	exp.Metrics = []config.MetricSpec{{Name: "cost", Expr: "output_tokens / 1000 * 0.6"}}
	exp.Checks = []string{`all(groups, .error_rate < 0.05)`}
	exp.SLO.TTFT = config.Duration(500 * time.Millisecond)
	r := rand.New(rand.NewPCG(1, 2))
	recs := make([]results.Record, 0, 100000)
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
		if _, err := pipeline.AggregateRecords(context.Background(), NewAccumulator, exp, recs); err != nil {
			b.Fatal(err)
		}
	}
}

// val is *p, NaN when p is nil (so that a missing figure equals nothing).
func val(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

// deltaJSON is the JSON object of the delta of figure for platform, as
// compare would write it: the contract readers of the JSON see.
func deltaJSON(t *testing.T, deltas []RunDelta, platform, figure string) map[string]any {
	t.Helper()
	for _, d := range deltas {
		if d.Platform == platform && d.Figure == figure {
			b, err := json.Marshal(d)
			if err != nil {
				t.Fatal(err)
			}
			var m map[string]any
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatal(err)
			}
			return m
		}
	}
	t.Fatalf("no %s %s", platform, figure)
	return nil
}

func TestCompareRunsGivesNoFigureWhereARunHasNoValues(t *testing.T) {
	exp := twoPlatforms()
	failed := func(recs []results.Record) []results.Record {
		for i := range recs {
			recs[i].Error = "http_500"
		}
		return recs
	}
	// metis failed every request in both runs; sophia only in run B
	runA := append(failed(latencies("metis", "m-a", 6, 600)), latencies("sophia", "m-b", 6, 900)...)
	runB := append(failed(latencies("metis", "m-a", 6, 600)), failed(latencies("sophia", "m-b", 6, 900))...)
	deltas := CompareRuns(mustAggregate(t, exp, runA), mustAggregate(t, exp, runB), runA, runB, 42)
	timing := []string{"latency_p50", "latency_mean", "ttft_p50", "tokens_per_sec_mean"}
	for _, f := range timing {
		t.Run(f+" of a group without a successful request in either run is null with no change, interval or claim", func(t *testing.T) {
			m := deltaJSON(t, deltas, "metis", f)
			for _, k := range []string{"a", "b", "change", "ratio", "ci_low", "ci_high", "p_value"} {
				if v, ok := m[k]; !ok || v != nil {
					t.Errorf("%s = %v (present %v), want null", k, v, ok)
				}
			}
			if m["significant"] != false {
				t.Errorf("significant = %v", m["significant"])
			}
		})
		t.Run(f+" of a group that succeeded only in run A keeps A and has no change", func(t *testing.T) {
			m := deltaJSON(t, deltas, "sophia", f)
			if a, ok := m["a"].(float64); !ok || a <= 0 {
				t.Errorf("a = %v, want run A's figure", m["a"])
			}
			for _, k := range []string{"b", "change", "ratio", "ci_low", "ci_high", "p_value"} {
				if v, ok := m[k]; !ok || v != nil {
					t.Errorf("%s = %v (present %v), want null", k, v, ok)
				}
			}
			if m["significant"] != false {
				t.Errorf("significant = %v", m["significant"])
			}
		})
	}
	t.Run("accuracy and error rate of failed requests are figures (0 and 1), not missing", func(t *testing.T) {
		for f, want := range map[string]float64{"em": 0, "f1": 0, "error_rate": 1} {
			m := deltaJSON(t, deltas, "metis", f)
			if m["a"] != want || m["b"] != want || m["change"] != 0.0 {
				t.Errorf("%s: %v", f, m)
			}
		}
	})
}

func TestCompareRunsPairsAccuracyByQuestion(t *testing.T) {
	exp := twoPlatforms()
	// 10 questions; run A answers q6..q9 right, run B every question: B
	// gains 100 points on q0..q5 and none on the others, in every repeat.
	run := func(repeats int, right func(q int) bool) []results.Record {
		var recs []results.Record
		for rep := range repeats {
			for q := range 10 {
				r := okRec("metis", "m-a", rep*10+q, 500+float64(q))
				r.Repeat, r.SampleID = rep, "q"+strconv.Itoa(q)
				if !right(q) {
					r.EM, r.F1, r.Answer = 0, 0, "London"
				}
				recs = append(recs, r)
			}
		}
		return recs
	}
	compare := func(repeats int) []RunDelta {
		a := run(repeats, func(q int) bool { return q >= 6 })
		b := run(repeats, func(int) bool { return true })
		return CompareRuns(mustAggregate(t, exp, a), mustAggregate(t, exp, b), a, b, 42)
	}
	one, three := compare(1), compare(3)
	width := func(m map[string]any) float64 {
		lo, _ := m["ci_low"].(float64)
		hi, _ := m["ci_high"].(float64)
		return hi - lo
	}
	for _, f := range []string{"em", "f1"} {
		m1, m3 := deltaJSON(t, one, "metis", f), deltaJSON(t, three, "metis", f)
		t.Run(f+": identical repeats give the interval of a single repeat, not one sqrt(3) narrower", func(t *testing.T) {
			if w1, w3 := width(m1), width(m3); w1 <= 0 || w3 != w1 {
				t.Errorf("CI width %v with 3 identical repeats, %v with 1", w3, w1)
			}
			// resampling the 30 records of each run as independent answers
			// would give an interval about sqrt(3) narrower
			a, b := make([]float64, 30), make([]float64, 30)
			for i := range 30 {
				if i%10 >= 6 {
					a[i] = 100
				}
				b[i] = 100
			}
			lo, hi := Bootstrap{Seed: 42, Resamples: config.DefaultBootstrap, Level: config.DefaultConfidence}.MeanDiffCI("x", a, b)
			if !(width(m3) > 1.5*(hi-lo)) {
				t.Errorf("CI width %v is not wider than the independent one, %v", width(m3), hi-lo)
			}
		})
		t.Run(f+": the change is B - A over the paired questions, 60 points on 10 of them", func(t *testing.T) {
			if m3["change"] != 60.0 || m3["n_paired"] != 10.0 {
				t.Errorf("%v", m3)
			}
		})
		t.Run(f+": the p-value is the exact paired sign-flip one: 2 of 2^6 sign patterns are as extreme", func(t *testing.T) {
			for _, m := range []map[string]any{m1, m3} {
				if p, ok := m["p_value"].(float64); !ok || p != 2.0/64 {
					t.Errorf("p_value = %v, want %v", m["p_value"], 2.0/64)
				}
			}
			if m3["significant"] != true {
				t.Errorf("a gain on 6 of 10 questions and none lost is not significant: %v", m3)
			}
		})
	}
}

func TestSpeedupVerdictWording(t *testing.T) {
	t.Run("a slower platform's factor and CI are the inverses of the speedup's", func(t *testing.T) {
		recs := append(latencies("metis", "m-a", 40, 1000), latencies("sophia", "m-b", 40, 600)...)
		c := mustAggregate(t, twoPlatforms(), recs).Comparisons[0]
		// medians 1195 (metis) and 795 (sophia): speedup 795/1195 < 1
		if !near(c.SpeedupMedian, 795.0/1195, 1e-12) || c.CILow >= c.CIHigh || c.CIHigh >= 1 {
			t.Fatalf("%+v", c)
		}
		want := fmt.Sprintf("metis is %.2fx slower than sophia (median latency, 95%% CI %.2f-%.2f, p<0.001), ", 1195.0/795, 1/c.CIHigh, 1/c.CILow)
		if !strings.HasPrefix(c.Verdict, want) {
			t.Errorf("verdict %q\nwant    %q", c.Verdict, want)
		}
	})
	t.Run("equal medians with different spreads are not called faster or slower", func(t *testing.T) {
		// both medians 1000; metis is tight, sophia spread out
		var recs []results.Record
		for i, v := range []float64{990, 995, 1000, 1005, 1010} {
			recs = append(recs, okRec("metis", "m-a", i, v))
		}
		for i, v := range []float64{500, 700, 1000, 1300, 1500} {
			recs = append(recs, okRec("sophia", "m-b", i, v))
		}
		c := mustAggregate(t, twoPlatforms(), recs).Comparisons[0]
		if c.SpeedupMedian != 1 || c.Significant || !strings.HasPrefix(c.Verdict, "no significant latency difference") {
			t.Errorf("%+v", c)
		}
		if !near(c.SpeedupMean, 1, 1e-12) {
			t.Errorf("mean speedup %v, want 1 (both means are 1000)", c.SpeedupMean)
		}
	})
}

func TestCompareRunsDirectionAndSignificance(t *testing.T) {
	exp := twoPlatforms()
	runA := latencies("metis", "m-a", 30, 1200)
	runB := latencies("metis", "m-a", 30, 600)
	for i := range runB {
		if i%3 == 0 {
			runB[i].Error = "http_500" // B: 10 of 30 failed
		}
	}
	resA := mustAggregate(t, exp, runA)
	resB := mustAggregate(t, exp, runB)
	deltas := CompareRuns(resA, resB, runA, runB, 1)
	get := func(figure string) RunDelta {
		for _, d := range deltas {
			if d.Platform == "metis" && d.Figure == figure {
				return d
			}
		}
		t.Fatalf("no %s", figure)
		return RunDelta{}
	}
	t.Run("a faster run B has a negative latency change whose CI lies below 0", func(t *testing.T) {
		d := get("latency_p50")
		if val(d.Change) >= 0 || val(d.Change) != val(d.B)-val(d.A) || !d.Significant || val(d.CIHigh) >= 0 || !(val(d.CILow) <= val(d.Change) && val(d.Change) <= val(d.CIHigh)) {
			t.Errorf("%+v", d)
		}
	})
	t.Run("a rise in failures is a positive, significant error-rate change", func(t *testing.T) {
		d := get("error_rate")
		if !near(val(d.Change), 1.0/3, 1e-12) || !d.Significant || val(d.CILow) <= 0 {
			t.Errorf("%+v", d)
		}
	})
	t.Run("failures lower EM in B: its change is negative", func(t *testing.T) {
		d := get("em")
		if !near(val(d.A), 100, 1e-12) || !near(val(d.B), 200.0/3, 1e-9) || val(d.Change) >= 0 || !d.Significant || val(d.CIHigh) >= 0 {
			t.Errorf("%+v", d)
		}
	})
}
