package aggregate

import (
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/inferbench/inferbench/pipeline"
	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/results"
)

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// twoPlatforms is metis (model m-a) against the baseline sophia (model
// m-b): different names for the same model at the same position.
func twoPlatforms() *config.Experiment {
	return &config.Experiment{
		Name: "t", Seed: 42, Baseline: "sophia", Repeats: 1,
		Platforms: []config.Platform{
			{Name: "metis", Models: []string{"m-a"}},
			{Name: "sophia", Models: []string{"m-b"}, Rate: 5},
		},
		Params: config.Params{Temperature: []float64{0.7}},
		Stats:  config.StatsSpec{Bootstrap: 1000, Confidence: 0.95},
	}
}

// okRec is a successful, fully scored record sent seq*100ms after t0.
func okRec(platform, model string, seq int, latency float64) results.Record {
	return results.Record{
		CellKey:   results.CellKey{Platform: platform, Model: model, Temperature: 0.7, SampleID: "q" + strconv.Itoa(seq)},
		Seq:       seq,
		StartedAt: t0.Add(time.Duration(seq) * 100 * time.Millisecond),
		TTFTMs:    latency / 4, TTFCMs: latency/4 + 1, LatencyMs: latency, CloseMs: latency + 1,
		OutputTokens: 20, PromptTokens: 100, TPOTMs: (latency - latency/4) / 19,
		ITLMs: []float64{latency / 40, latency / 20}, TokensPerSec: 20 / (latency / 1000),
		FinishReason: "stop", Content: "Paris", Answer: "Paris", EM: 1, F1: 1, RawEM: 1, RawF1: 1, Scored: true,
	}
}

// latencies returns n records of platform whose latencies are base + 10i.
func latencies(platform, model string, n int, base float64) []results.Record {
	var out []results.Record
	for i := range n {
		out = append(out, okRec(platform, model, i, base+10*float64(i)))
	}
	return out
}

func mustAggregate(t *testing.T, exp *config.Experiment, recs []results.Record) *results.Results {
	t.Helper()
	res, err := pipeline.AggregateRecords(context.Background(), NewAccumulator, exp, recs)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := json.Marshal(res); err != nil {
		t.Fatalf("results do not encode as JSON: %v", err)
	}
	return res
}

func groupOf(t *testing.T, res *results.Results, platform string) *results.GroupStats {
	t.Helper()
	for i := range res.Groups {
		if res.Groups[i].Platform == platform {
			return &res.Groups[i]
		}
	}
	t.Fatalf("no group for %s", platform)
	return nil
}

func TestSpeedupAgainstTheBaseline(t *testing.T) {
	t.Run("a clearly faster platform is significantly faster and the verdict says so", func(t *testing.T) {
		// metis 600..990 ms (median 795), sophia 1000..1390 (median 1195):
		// speedup 1195/795 = 1.503, no overlap so U = 0.
		recs := append(latencies("metis", "m-a", 40, 600), latencies("sophia", "m-b", 40, 1000)...)
		res := mustAggregate(t, twoPlatforms(), recs)
		if len(res.Comparisons) != 1 {
			t.Fatalf("comparisons: %+v", res.Comparisons)
		}
		c := res.Comparisons[0]
		if c.Platform != "metis" || c.Baseline.Platform != "sophia" || c.Baseline.Model != "m-b" {
			t.Errorf("compared %+v with %+v", c.GroupKey, c.Baseline)
		}
		if !near(c.SpeedupMedian, 1195.0/795, 1e-12) || !near(c.SpeedupMean, 1195.0/795, 1e-12) {
			t.Errorf("speedups %v %v, want %v", c.SpeedupMedian, c.SpeedupMean, 1195.0/795)
		}
		if !c.Significant || c.CILow <= 1 || !(c.CILow < c.SpeedupMedian && c.SpeedupMedian < c.CIHigh) {
			t.Errorf("CI %v-%v significant=%v", c.CILow, c.CIHigh, c.Significant)
		}
		if c.PValue >= 0.001 {
			t.Errorf("p = %v", c.PValue)
		}
		if !strings.HasPrefix(c.Verdict, "metis is 1.50x faster than sophia (median latency, 95% CI ") || !strings.Contains(c.Verdict, ", p<0.001), ") {
			t.Errorf("verdict %q", c.Verdict)
		}
	})
	t.Run("a clearly slower platform is called slower by the inverse factor", func(t *testing.T) {
		recs := append(latencies("metis", "m-a", 40, 1000), latencies("sophia", "m-b", 40, 600)...)
		c := mustAggregate(t, twoPlatforms(), recs).Comparisons[0]
		if !c.Significant || c.CIHigh >= 1 || !strings.HasPrefix(c.Verdict, "metis is 1.50x slower than sophia (median latency, 95% CI ") {
			t.Errorf("%+v", c)
		}
	})
	t.Run("identical distributions are not significantly different", func(t *testing.T) {
		a := latencies("metis", "m-a", 40, 1000)
		b := latencies("sophia", "m-b", 40, 1000)
		slices.Reverse(b)
		c := mustAggregate(t, twoPlatforms(), append(a, b...)).Comparisons[0]
		if c.Significant || c.SpeedupMedian != 1 || c.PValue != 1 || !(c.CILow < 1 && c.CIHigh > 1) {
			t.Errorf("%+v", c)
		}
		if !strings.HasPrefix(c.Verdict, "no significant latency difference between metis and sophia (speedup 1.00x, 95% CI ") ||
			!strings.Contains(c.Verdict, "p=1.00); ") {
			t.Errorf("verdict %q", c.Verdict)
		}
	})
	t.Run("a group with one success gets no CI and a too-few verdict", func(t *testing.T) {
		recs := append(latencies("metis", "m-a", 1, 600), latencies("sophia", "m-b", 10, 1000)...)
		c := mustAggregate(t, twoPlatforms(), recs).Comparisons[0]
		if c.Significant || c.CILow != 0 || c.CIHigh != 0 || !strings.Contains(c.Verdict, "too few samples to compare metis with sophia (1 and 10") {
			t.Errorf("%+v", c)
		}
	})
	t.Run("the first platform is the baseline when none is named", func(t *testing.T) {
		exp := twoPlatforms()
		exp.Baseline = ""
		recs := append(latencies("metis", "m-a", 5, 600), latencies("sophia", "m-b", 5, 1000)...)
		res := mustAggregate(t, exp, recs)
		if res.Baseline != "metis" || len(res.Comparisons) != 1 || res.Comparisons[0].Platform != "sophia" {
			t.Errorf("baseline %q comparisons %+v", res.Baseline, res.Comparisons)
		}
	})
}

func TestGroupsFollowTheExperimentOrder(t *testing.T) {
	exp := twoPlatforms()
	exp.Platforms[0].Models = []string{"m-a", "m-c"}
	exp.Params.Temperature = []float64{0.7, 0}
	var recs []results.Record
	// records arrive in the reverse order of the experiment's
	for _, k := range []struct {
		p, m string
		t    float64
	}{{"sophia", "m-b", 0}, {"sophia", "m-b", 0.7}, {"metis", "m-c", 0.7}, {"metis", "m-a", 0}, {"metis", "m-a", 0.7}} {
		r := okRec(k.p, k.m, 0, 500)
		r.Temperature = k.t
		recs = append(recs, r)
	}
	res := mustAggregate(t, exp, recs)
	var got []string
	for _, g := range res.Groups {
		got = append(got, keyLabel(g.GroupKey))
	}
	want := []string{"metis/m-a/t=0.7", "metis/m-a/t=0", "metis/m-c/t=0.7", "metis/m-c/t=0", "sophia/m-b/t=0.7", "sophia/m-b/t=0"}
	if !slices.Equal(got, want) {
		t.Errorf("groups %v, want %v", got, want)
	}
	t.Run("each group is compared with the baseline's model at the same position and temperature", func(t *testing.T) {
		var pairs []string
		for _, c := range res.Comparisons {
			pairs = append(pairs, keyLabel(c.GroupKey)+" vs "+keyLabel(c.Baseline))
		}
		want := []string{"metis/m-a/t=0.7 vs sophia/m-b/t=0.7", "metis/m-a/t=0 vs sophia/m-b/t=0"}
		if !slices.Equal(pairs, want) {
			t.Errorf("pairs %v, want %v", pairs, want)
		}
		if len(res.Warnings) != 2 || !strings.Contains(res.Warnings[0], "metis/m-c/t=0.7") {
			t.Errorf("want a warning per uncomparable group, got %q", res.Warnings)
		}
	})
	t.Run("the verdict names the temperature when there are several", func(t *testing.T) {
		if v := res.Comparisons[0].Verdict; !strings.Contains(v, "metis/m-a with sophia at temperature 0.7") {
			t.Errorf("verdict %q", v)
		}
	})
}

func TestWarmupsAreExcludedFromEverythingButTheirCount(t *testing.T) {
	recs := latencies("metis", "m-a", 5, 100)
	for i := range 3 {
		w := okRec("metis", "m-a", 100+i, 99999)
		w.Warmup = true
		w.EM, w.F1 = 0, 0
		w.Error = "http_500"
		recs = append(recs, w)
	}
	g := groupOf(t, mustAggregate(t, twoPlatforms(), recs), "metis")
	if g.Warmups != 3 || g.Count != 5 || g.Successes != 5 || g.Failures != 0 || g.Errors != nil {
		t.Errorf("counts %+v", g)
	}
	if g.LatencyMs.Max != 140 || g.EM.Mean != 100 || g.OutputTokens != 100 {
		t.Errorf("warmups leaked: max %v em %v tokens %v", g.LatencyMs.Max, g.EM.Mean, g.OutputTokens)
	}
	// five records at 0..400 ms, the last closing at 400 + 141 ms
	if !near(g.WallSeconds, 0.541, 1e-9) {
		t.Errorf("wall %v, want 0.541 (warmups excluded)", g.WallSeconds)
	}
}

func TestFailureAndTruncationAccounting(t *testing.T) {
	recs := latencies("metis", "m-a", 3, 100)
	recs[2].EM, recs[2].F1 = 0, 0.5
	fail := func(seq int, class string) results.Record {
		r := okRec("metis", "m-a", seq, 50)
		r.Error, r.EM, r.F1, r.OutputTokens = class, 1, 1, 0 // stale scores must not count
		return r
	}
	trunc := fail(5, results.ErrEmptyContentLength)
	trunc.Truncated, trunc.OutputTokens = true, 512
	recs = append(recs, fail(3, "http_429"), fail(4, results.ErrTimeoutTotal), trunc)
	g := groupOf(t, mustAggregate(t, twoPlatforms(), recs), "metis")
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"count", float64(g.Count), 6}, {"successes", float64(g.Successes), 3}, {"failures", float64(g.Failures), 3},
		{"truncated", float64(g.Truncated), 1}, {"error rate", g.ErrorRate, 0.5},
		{"latency n (successes only)", float64(g.LatencyMs.N), 3}, {"em n (every record)", float64(g.EM.N), 6},
		// (100 + 100 + 0 + 0 + 0 + 0) / 6 and (100 + 100 + 50) / 6
		{"em", g.EM.Mean, 200.0 / 6}, {"f1", g.F1.Mean, 250.0 / 6},
		{"output tokens count every record", float64(g.OutputTokens), 60 + 512},
		{"ttfc n", float64(g.TTFCMs.N), 3}, {"itl pools every gap", float64(g.ITLMs.N), 6},
	} {
		t.Run(c.name+" is "+strconv.FormatFloat(c.want, 'g', 5, 64), func(t *testing.T) {
			if !near(c.got, c.want, 1e-9) {
				t.Errorf("got %v", c.got)
			}
		})
	}
	want := map[string]int{"http_429": 1, "timeout_total": 1, "empty_content_length": 1}
	if !reflect.DeepEqual(g.Errors, want) {
		t.Errorf("errors %v, want %v", g.Errors, want)
	}
	if len(g.Warnings) != 1 || !strings.Contains(g.Warnings[0], "p99 needs >= 100, p95 needs >= 20, p90 needs >= 10") {
		t.Errorf("warnings %q", g.Warnings)
	}
}

func TestThroughputAndRates(t *testing.T) {
	// sophia: 4 records at 0,100,200,300 ms, latency 1000: wall = 0.3 + 1.001 s
	recs := latencies("sophia", "m-b", 4, 1000)
	for i := range recs {
		recs[i].LatencyMs, recs[i].CloseMs = 1000, 1001
	}
	g := groupOf(t, mustAggregate(t, twoPlatforms(), recs), "sophia")
	if !near(g.WallSeconds, 1.301, 1e-9) || !near(g.Throughput, 80/1.301, 1e-9) || !near(g.RequestThroughput, 4/1.301, 1e-9) || g.TargetRate != 5 {
		t.Errorf("wall %v throughput %v rate %v target %v", g.WallSeconds, g.Throughput, g.RequestThroughput, g.TargetRate)
	}
}

func TestRepeatsAndAgreement(t *testing.T) {
	exp := twoPlatforms()
	exp.Repeats = 2
	mk := func(repeat int, id, answer string, em float64) results.Record {
		r := okRec("metis", "m-a", repeat*10, 100)
		r.Repeat, r.SampleID, r.Answer, r.EM, r.F1 = repeat, id, answer, em, em
		return r
	}
	failed := mk(1, "s3", "", 1)
	failed.Error = results.ErrTimeoutTotal
	recs := []results.Record{
		mk(0, "s1", "Paris", 1), mk(0, "s2", "a", 1), mk(0, "s3", "x", 0),
		mk(1, "s1", " paris ", 1), mk(1, "s2", "b", 0), failed,
	}
	g := groupOf(t, mustAggregate(t, exp, recs), "metis")
	t.Run("agreement counts only samples answered alike in every repeat", func(t *testing.T) {
		if !near(g.Agreement, 1.0/3, 1e-12) { // s1 agrees (normalized), s2 differs, s3 failed once
			t.Errorf("agreement %v", g.Agreement)
		}
	})
	t.Run("per-repeat EM is the mean of each repeat in percent", func(t *testing.T) {
		if len(g.RepeatEM) != 2 || !near(g.RepeatEM[0], 200.0/3, 1e-9) || !near(g.RepeatEM[1], 100.0/3, 1e-9) {
			t.Errorf("repeat em %v", g.RepeatEM)
		}
	})
	t.Run("one repeat agrees with itself", func(t *testing.T) {
		g := groupOf(t, mustAggregate(t, twoPlatforms(), latencies("metis", "m-a", 3, 100)), "metis")
		if g.Agreement != 1 {
			t.Errorf("agreement %v", g.Agreement)
		}
	})
}

func TestGoodput(t *testing.T) {
	mk := func(seq int, ttft, lat, tpot float64, ok bool) results.Record {
		r := okRec("metis", "m-a", seq, lat)
		r.TTFTMs, r.TPOTMs, r.CloseMs = ttft, tpot, lat
		if !ok {
			r.Error = "http_500"
		}
		return r
	}
	recs := []results.Record{
		mk(0, 400, 1500, 10, true),  // good
		mk(1, 600, 1500, 10, true),  // TTFT over 500 ms
		mk(2, 100, 2500, 10, true),  // E2E over 2 s
		mk(3, 100, 100, 10, false),  // failed: never good
		mk(4, 100, 1000, 90, true),  // TPOT over 50 ms
		mk(5, 100, 1000, 10, true),  // good
		mk(6, 100, 1000, 50, true),  // good: SLOs are inclusive
		mk(7, 500, 2000, 10, true),  // good: exactly at the limits
		mk(8, 100, 100, 999, false), // failed
		mk(9, 100, 1000, 10, true),  // good
	}
	// wall: first send at 0, last close at 0.9 s + 1 s = 1.9 s (record 9),
	// record 2 closes at 0.2 + 2.5 = 2.7 s: wall = 2.7 s
	t.Run("with an SLO only successful requests meeting every bound count", func(t *testing.T) {
		exp := twoPlatforms()
		exp.SLO = config.SLOSpec{TTFT: config.Duration(500 * time.Millisecond), E2E: config.Duration(2 * time.Second), TPOT: config.Duration(50 * time.Millisecond)}
		g := groupOf(t, mustAggregate(t, exp, recs), "metis")
		if !near(g.Goodput, 0.5, 1e-12) || !near(g.GoodputRate, 5/2.7, 1e-9) {
			t.Errorf("goodput %v rate %v", g.Goodput, g.GoodputRate)
		}
	})
	t.Run("without an SLO goodput is the success share", func(t *testing.T) {
		g := groupOf(t, mustAggregate(t, twoPlatforms(), recs), "metis")
		if !near(g.Goodput, 0.8, 1e-12) || !near(g.GoodputRate, 8/2.7, 1e-9) {
			t.Errorf("goodput %v rate %v", g.Goodput, g.GoodputRate)
		}
	})
}

func TestDerivedMetrics(t *testing.T) {
	recs := append(latencies("metis", "m-a", 3, 100), latencies("sophia", "m-b", 2, 100)...)
	t.Run("a metric can use group figures and earlier metrics", func(t *testing.T) {
		exp := twoPlatforms()
		exp.Metrics = []config.MetricSpec{
			{Name: "cost_per_1k", Expr: "output_tokens / 1000 * 0.6"},
			{Name: "double_cost", Expr: `metrics["cost_per_1k"] * 2`},
		}
		res := mustAggregate(t, exp, recs)
		g := groupOf(t, res, "metis") // 60 output tokens
		want := []results.NamedValue{{Name: "cost_per_1k", Value: 0.06 * 0.6}, {Name: "double_cost", Value: 0.06 * 0.6 * 2}}
		if len(g.Metrics) != 2 || g.Metrics[0].Name != want[0].Name || !near(g.Metrics[0].Value, want[0].Value, 1e-12) ||
			g.Metrics[1].Name != want[1].Name || !near(g.Metrics[1].Value, want[1].Value, 1e-12) {
			t.Errorf("metrics %+v, want %+v", g.Metrics, want)
		}
	})
	t.Run("a metric giving infinity is 0 with a warning", func(t *testing.T) {
		exp := twoPlatforms()
		exp.Metrics = []config.MetricSpec{{Name: "inf", Expr: "1 / (count - count)"}}
		g := groupOf(t, mustAggregate(t, exp, recs), "metis")
		if g.Metrics[0].Value != 0 || !slices.ContainsFunc(g.Warnings, func(w string) bool { return strings.Contains(w, `metric "inf"`) }) {
			t.Errorf("metrics %+v warnings %q", g.Metrics, g.Warnings)
		}
	})
	t.Run("a metric that does not compile is an error", func(t *testing.T) {
		exp := twoPlatforms()
		exp.Metrics = []config.MetricSpec{{Name: "bad", Expr: "no_such_field * 2"}}
		_, err := pipeline.AggregateRecords(context.Background(), NewAccumulator, exp, recs)
		if err == nil || !strings.Contains(err.Error(), `metric "bad"`) {
			t.Errorf("err = %v", err)
		}
	})
}

func TestChecks(t *testing.T) {
	metis := latencies("metis", "m-a", 10, 600)
	sophia := latencies("sophia", "m-b", 10, 1000)
	for i := range sophia {
		sophia[i].F1 = 0.5
	}
	exp := twoPlatforms()
	exp.Checks = []string{
		`group("metis").f1 >= group("sophia").f1 - 2`,
		`group("sophia").f1 > 90`,
		`all(groups, .error_rate < 0.01)`,
		`speedup("metis") > 1.5`,
		`group("nope").f1 > 0`,
		`no_such_name > 0`,
	}
	res := mustAggregate(t, exp, append(metis, sophia...))
	want := []struct {
		passed bool
		errs   string
	}{{true, ""}, {false, ""}, {true, ""}, {true, ""}, {false, `group("nope")`}, {false, "no_such_name"}}
	for i, w := range want {
		t.Run("check "+exp.Checks[i]+" gives passed="+strconv.FormatBool(w.passed), func(t *testing.T) {
			c := res.Checks[i]
			if c.Expr != exp.Checks[i] || c.Passed != w.passed || (w.errs == "") != (c.Error == "") || !strings.Contains(c.Error, w.errs) {
				t.Errorf("got %+v", c)
			}
		})
	}
	if res.ChecksPassed() {
		t.Error("ChecksPassed with failing checks")
	}
}

func TestAggregateIsDeterministic(t *testing.T) {
	recs := append(latencies("metis", "m-a", 30, 600), latencies("sophia", "m-b", 30, 1000)...)
	for i := range recs {
		recs[i].F1 = float64(i%4) / 4
	}
	a := mustAggregate(t, twoPlatforms(), recs)
	t.Run("the same records and seed give the same results", func(t *testing.T) {
		if b := mustAggregate(t, twoPlatforms(), slices.Clone(recs)); !reflect.DeepEqual(a, b) {
			t.Error("results differ")
		}
	})
	t.Run("the order of the records does not matter", func(t *testing.T) {
		rev := slices.Clone(recs)
		slices.Reverse(rev)
		if b := mustAggregate(t, twoPlatforms(), rev); !reflect.DeepEqual(a, b) {
			t.Errorf("results differ:\n%+v\n%+v", a.Groups[0].LatencyMs, b.Groups[0].LatencyMs)
		}
	})
	t.Run("another seed gives other intervals", func(t *testing.T) {
		exp := twoPlatforms()
		exp.Seed = 7
		b := mustAggregate(t, exp, recs)
		if b.Groups[0].LatencyMs.CILow == a.Groups[0].LatencyMs.CILow && b.Comparisons[0].CILow == a.Comparisons[0].CILow {
			t.Error("seed 7 reproduced seed 42")
		}
	})
	t.Run("intervals bound their means", func(t *testing.T) {
		for _, d := range []results.Dist{a.Groups[0].LatencyMs, a.Groups[0].TTFTMs, a.Groups[0].F1, a.Groups[0].TokensPerSec} {
			if !(d.CILow <= d.Mean && d.Mean <= d.CIHigh) || d.CILow == d.CIHigh {
				t.Errorf("%+v", d)
			}
		}
	})
	if a.PercentileMethod != results.PercentileMethod || a.Baseline != "sophia" || a.Experiment != "t" {
		t.Errorf("header %q %q %q", a.PercentileMethod, a.Baseline, a.Experiment)
	}
}

func TestUndeclaredRecordsAndEmptyInput(t *testing.T) {
	t.Run("records of an undeclared platform form an extra group with a warning", func(t *testing.T) {
		res := mustAggregate(t, twoPlatforms(), latencies("ghost", "m", 2, 100))
		if len(res.Groups) != 3 || res.Groups[2].Platform != "ghost" || res.Groups[2].Count != 2 || len(res.Warnings) != 1 {
			t.Errorf("groups %d warnings %q", len(res.Groups), res.Warnings)
		}
	})
	t.Run("no records give empty groups that still encode", func(t *testing.T) {
		res := mustAggregate(t, twoPlatforms(), nil)
		if len(res.Groups) != 2 || res.Groups[0].Count != 0 || res.Groups[0].Warnings[0] != "no requests" {
			t.Errorf("%+v", res.Groups)
		}
		if !strings.HasPrefix(res.Comparisons[0].Verdict, "no successful requests on metis or sophia: no latency comparison") {
			t.Errorf("verdict %q", res.Comparisons[0].Verdict)
		}
	})
	t.Run("a cancelled context is an error", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := pipeline.AggregateRecords(ctx, NewAccumulator, twoPlatforms(), nil); err == nil {
			t.Error("no error")
		}
	})
	t.Run("Register installs the aggregator", func(t *testing.T) {
		reg := pipeline.NewRegistry()
		Register(reg)
		if reg.Aggregate == nil {
			t.Error("not registered")
		}
	})
}
