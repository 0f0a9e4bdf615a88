package aggregate

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/inferbench/inferbench/pipeline/results"
	"gonum.org/v1/gonum/stat/distuv"
)

// scoredRun returns platform's records for the questions q0..q<n-1>, each
// asked repeats times with the same score in every repeat (repeats of one
// question perfectly correlated): question i scores f1(i) (0..1), EM the
// same rounded down.
func scoredRun(platform, model string, n, repeats int, f1 func(i int) float64) []results.Record {
	var out []results.Record
	for rep := range repeats {
		for i := range n {
			r := okRec(platform, model, rep*n+i, 500+float64(i%17))
			r.Repeat, r.SampleID = rep, "q"+strconv.Itoa(i)
			r.F1 = f1(i)
			r.EM = 0
			if r.F1 == 1 {
				r.EM = 1
			}
			r.RawEM, r.RawF1 = r.EM, r.F1
			out = append(out, r)
		}
	}
	return out
}

// questionScores is a fixed mix of wrong, partly right and right answers.
func questionScores(seed uint64) func(i int) float64 {
	r := rand.New(rand.NewPCG(seed, 3))
	scores := make([]float64, 400)
	for i := range scores {
		scores[i] = []float64{0, 0.5, 1, 1}[r.IntN(4)]
	}
	return func(i int) float64 { return scores[i%len(scores)] }
}

func TestAccuracyIntervalsResampleQuestionsNotRequests(t *testing.T) {
	const questions = 400
	scores := questionScores(11)
	exp := twoPlatforms()
	exp.Stats.Bootstrap = 2000
	width := func(d results.Dist) float64 { return d.CIHigh - d.CILow }
	// metis asks every question once, sophia three times with identical
	// answers: three repeats of a question carry the information of one.
	recs := append(scoredRun("metis", "m-a", questions, 1, scores), scoredRun("sophia", "m-b", questions, 3, scores)...)
	res := mustAggregate(t, exp, recs)
	once, thrice := groupOf(t, res, "metis"), groupOf(t, res, "sophia")
	if once.F1.Mean != thrice.F1.Mean || once.EM.Mean != thrice.EM.Mean {
		t.Fatalf("means differ: F1 %v vs %v, EM %v vs %v", once.F1.Mean, thrice.F1.Mean, once.EM.Mean, thrice.EM.Mean)
	}
	for _, f := range []struct {
		name         string
		once, thrice results.Dist
	}{{"F1", once.F1, thrice.F1}, {"EM", once.EM, thrice.EM}, {"raw F1", once.RawF1, thrice.RawF1}} {
		t.Run(f.name+" with three identical repeats is as wide as with one repeat", func(t *testing.T) {
			// Resampling requests would make it about 1/sqrt(3) = 0.58 as wide.
			ratio := width(f.thrice) / width(f.once)
			if ratio < 0.85 || ratio > 1.15 { // bootstrap noise: about ±5%
				t.Errorf("CI width with 3 repeats / with 1 repeat = %.3f (%v vs %v), want about 1", ratio, f.thrice, f.once)
			}
			if !(f.thrice.CILow < f.thrice.Mean && f.thrice.Mean < f.thrice.CIHigh) {
				t.Errorf("CI %v-%v does not contain the mean %v", f.thrice.CILow, f.thrice.CIHigh, f.thrice.Mean)
			}
		})
	}
	t.Run("the cluster interval of identical repeats equals the one-repeat interval drawn from the same stream", func(t *testing.T) {
		b := Bootstrap{Seed: 42, Resamples: 2000, Level: 0.95}
		var one, three [][]float64
		for i := range questions {
			v := 100 * scores(i)
			one = append(one, []float64{v})
			three = append(three, []float64{v, v, v})
		}
		lo1, hi1 := b.ClusterMeanCI("label", one)
		lo3, hi3 := b.ClusterMeanCI("label", three)
		if lo1 != lo3 || hi1 != hi3 || !(lo1 < hi1) {
			t.Errorf("one repeat %v-%v, three identical repeats %v-%v", lo1, hi1, lo3, hi3)
		}
	})
	t.Run("single-value clusters in ascending order give the request bootstrap", func(t *testing.T) {
		b := Bootstrap{Seed: 7, Resamples: 500, Level: 0.9}
		xs := sorted(sample(5, 50, 10))
		var cl [][]float64
		for _, x := range xs {
			cl = append(cl, []float64{x})
		}
		lo, hi := b.ClusterMeanCI("x", cl)
		wlo, whi := b.MeanCI("x", xs)
		if !near(lo, wlo, 1e-9) || !near(hi, whi, 1e-9) {
			t.Errorf("clusters %v-%v, values %v-%v", lo, hi, wlo, whi)
		}
	})
	t.Run("fewer than two questions give no interval", func(t *testing.T) {
		b := Bootstrap{Seed: 7, Resamples: 500, Level: 0.9}
		if lo, hi := b.ClusterMeanCI("x", [][]float64{{1, 2, 3}, {}}); lo != 0 || hi != 0 {
			t.Errorf("got %v-%v", lo, hi)
		}
	})
	t.Run("more values than BootstrapMaxN over enough questions use the normal interval of the question means", func(t *testing.T) {
		b := Bootstrap{Seed: 7, Resamples: 500, Level: 0.95}
		var cl [][]float64
		var means []float64
		for i := range MinClustersNormal {
			v := 100 * scores(i)
			c := make([]float64, BootstrapMaxN/MinClustersNormal+1)
			for j := range c {
				c[j] = v
			}
			cl = append(cl, c)
			means = append(means, v)
		}
		lo, hi := b.ClusterMeanCI("big", cl)
		m, se := Mean(means), Stddev(means)/math.Sqrt(float64(len(means)))
		if !near(lo, m-b.z()*se, 1e-9) || !near(hi, m+b.z()*se, 1e-9) {
			t.Errorf("got %v-%v, want %v ± %v", lo, hi, m, b.z()*se)
		}
	})
	t.Run("more values than BootstrapMaxN over few questions are still bootstrapped", func(t *testing.T) {
		b := Bootstrap{Seed: 7, Resamples: 500, Level: 0.95}
		cl := [][]float64{make([]float64, BootstrapMaxN), make([]float64, 10)}
		cl[1][0] = 100
		// the bootstrap of two questions never leaves [0, 10]; the normal interval would
		if lo, hi := b.ClusterMeanCI("few", cl); lo < 0 || hi > 10 {
			t.Errorf("got %v-%v", lo, hi)
		}
	})
	t.Run("more questions than BootstrapMaxN use the normal interval of the question means", func(t *testing.T) {
		b := Bootstrap{Seed: 7, Resamples: 500, Level: 0.95}
		var cl [][]float64
		var means []float64
		for i := range BootstrapMaxN + 1 {
			v := 100 * scores(i)
			cl = append(cl, []float64{v, v})
			means = append(means, v)
		}
		lo, hi := b.ClusterMeanCI("big", cl)
		wlo, whi := b.MeanCI("big", means) // the normal interval at this size
		if !near(lo, wlo, 1e-9) || !near(hi, whi, 1e-9) {
			t.Errorf("got %v-%v, want %v-%v", lo, hi, wlo, whi)
		}
	})
}

func TestAccuracyDifferencesArePairedByQuestion(t *testing.T) {
	exp := twoPlatforms()
	exp.Stats.Bootstrap = 2000
	spread := func(i int) float64 { return 0.1 + 0.9*float64(i%10)/9 } // 0.1..1: large between-question spread
	t.Run("a small loss on every question is significant because the questions are shared", func(t *testing.T) {
		// metis loses 5 F1 points on every question; the questions' own
		// spread (0.1..1) dwarfs that, so unpaired intervals would cover 0.
		recs := append(scoredRun("metis", "m-a", 40, 2, func(i int) float64 { return spread(i) - 0.05 }),
			scoredRun("sophia", "m-b", 40, 2, spread)...)
		res := mustAggregate(t, exp, recs)
		c := res.Comparisons[0]
		if c.NPaired != 40 || !near(c.DeltaF1, -5, 1e-9) {
			t.Fatalf("n_paired %d, ΔF1 %v; want 40 and -5", c.NPaired, c.DeltaF1)
		}
		if !(c.DeltaF1CILow <= -5+1e-9 && -5-1e-9 <= c.DeltaF1CIHigh && c.DeltaF1CIHigh < 0) {
			t.Errorf("ΔF1 CI %v to %v, want around -5 and below 0", c.DeltaF1CILow, c.DeltaF1CIHigh)
		}
		if !c.DeltaF1Significant || c.DeltaF1PValue >= 0.001 {
			t.Errorf("ΔF1 significant %v, p %v", c.DeltaF1Significant, c.DeltaF1PValue)
		}
		var a, b []float64
		for _, r := range recs {
			if r.Platform == "metis" {
				a = append(a, 100*r.F1)
			} else {
				b = append(b, 100*r.F1)
			}
		}
		ulo, uhi := NewBootstrap(exp).MeanDiffCI("unpaired", b, a)
		if !(ulo < 0 && 0 < uhi) {
			t.Fatalf("the unpaired interval %v to %v excludes 0: the test shows nothing", ulo, uhi)
		}
	})
	t.Run("only questions both groups asked are paired, each by its mean over repeats", func(t *testing.T) {
		// metis asks q0..q99 three times, sophia q0..q139 once; metis
		// gets right only the even ones in repeat 0 (mean 1/3), sophia all
		var recs []results.Record
		for rep := range 3 {
			for i := range 100 {
				r := okRec("metis", "m-a", rep*100+i, 500)
				r.Repeat, r.SampleID = rep, "q"+strconv.Itoa(i)
				r.F1, r.EM = 0, 0
				if rep == 0 && i%2 == 0 {
					r.F1, r.EM = 1, 1
				}
				recs = append(recs, r)
			}
		}
		recs = append(recs, scoredRun("sophia", "m-b", 140, 1, func(int) float64 { return 1 })...)
		c := mustAggregate(t, exp, recs).Comparisons[0]
		// per question: even -> 1/3 - 1, odd -> 0 - 1; mean over 100 = -5/6
		want := 100 * (50*(1.0/3-1) + 50*(-1.0)) / 100
		if c.NPaired != 100 || !near(c.DeltaF1, want, 1e-9) || !near(c.DeltaEM, want, 1e-9) {
			t.Errorf("n_paired %d, ΔF1 %v, ΔEM %v; want 100 and %v", c.NPaired, c.DeltaF1, c.DeltaEM, want)
		}
	})
	t.Run("identical answers give no difference and p = 1", func(t *testing.T) {
		recs := append(scoredRun("metis", "m-a", 50, 2, spread), scoredRun("sophia", "m-b", 50, 2, spread)...)
		c := mustAggregate(t, exp, recs).Comparisons[0]
		if c.DeltaF1 != 0 || c.DeltaF1CILow != 0 || c.DeltaF1CIHigh != 0 || c.DeltaF1PValue != 1 || c.DeltaF1Significant || c.DeltaEMSignificant {
			t.Errorf("%+v", c)
		}
	})
	t.Run("groups without a question in common are not compared on accuracy", func(t *testing.T) {
		recs := append(scoredRun("metis", "m-a", 10, 1, spread), scoredRun("sophia", "m-b", 10, 1, spread)...)
		for i := range recs {
			if recs[i].Platform == "metis" {
				recs[i].SampleID = "other-" + recs[i].SampleID
			}
		}
		c := mustAggregate(t, exp, recs).Comparisons[0]
		if c.NPaired != 0 || c.DeltaF1 != 0 || c.DeltaF1PValue != 1 || c.DeltaF1Significant {
			t.Errorf("%+v", c)
		}
	})
}

func TestSignFlipPValue(t *testing.T) {
	b := Bootstrap{Seed: 1, Resamples: 4000, Level: 0.95}
	for _, tc := range []struct {
		name string
		d    []float64
		want float64
	}{
		// S = 6; of the 8 sign patterns only +++ and --- reach |S| >= 6
		{"three positive differences are as extreme as 2 of 8 sign patterns", []float64{1, 2, 3}, 2.0 / 8},
		{"zero differences change nothing", []float64{0, 1, 0, 2, 3}, 2.0 / 8},
		{"one difference cannot be significant", []float64{0, 0, 4}, 1},
		{"no difference at all gives p = 1", []float64{0, 0, 0}, 1},
		{"no pairs give p = 1", nil, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := b.SignFlipP("x", tc.d); !near(got, tc.want, 1e-12) {
				t.Errorf("p %v, want %v", got, tc.want)
			}
		})
	}
	t.Run("the exact p of mixed signs is the share of patterns at least as extreme", func(t *testing.T) {
		// d = -1, 2, 3: S = 4; the sums ±1±2±3 over all 8 sign choices are
		// 6, 4, 2, 0, 0, -2, -4, -6, and 4 of them have |sum| >= 4
		if got := b.SignFlipP("x", []float64{-1, 2, 3}); !near(got, 4.0/8, 1e-12) {
			t.Errorf("p %v, want 0.5", got)
		}
	})
	t.Run("many pairs are tested by seeded random sign flips", func(t *testing.T) {
		d := make([]float64, 40)
		for i := range d {
			d[i] = float64(i%5) - 1.6 // mean 0.4, sd about 1.4
		}
		p1, p2 := b.SignFlipP("x", d), b.SignFlipP("x", d)
		if p1 != p2 || p1 <= 0 || p1 > 1 {
			t.Fatalf("p %v then %v", p1, p2)
		}
		// normal approximation: z = S / sqrt(sum d^2)
		var s, ss float64
		for _, x := range d {
			s += x
			ss += x * x
		}
		want := 2 * (1 - distuv.UnitNormal.CDF(math.Abs(s)/math.Sqrt(ss)))
		if math.Abs(p1-want) > 0.03 {
			t.Errorf("p %v, normal approximation %v", p1, want)
		}
	})
}

// timedScores returns n records of platform on questions q0..q<n-1> with
// latencies base + 10i ms and F1 f1(i) (EM 1 when F1 is 1).
func timedScores(platform, model string, n int, base float64, f1 func(i int) float64) []results.Record {
	out := latencies(platform, model, n, base)
	for i := range out {
		out[i].F1 = f1(i)
		out[i].EM = 0
		if out[i].F1 == 1 {
			out[i].EM = 1
		}
	}
	return out
}

func TestVerdictStatesAccuracyBesideLatency(t *testing.T) {
	all := func(int) float64 { return 1 }
	half := func(i int) float64 { return float64(i % 2) } // every other question wrong
	latency := func(c results.Comparison, faster bool) string {
		if faster {
			return fmt.Sprintf("metis is %.2fx faster than sophia (median latency, 95%% CI %.2f-%.2f, p<0.001)", c.SpeedupMedian, c.CILow, c.CIHigh)
		}
		return fmt.Sprintf("metis is %.2fx slower than sophia (median latency, 95%% CI %.2f-%.2f, p<0.001)", 1/c.SpeedupMedian, 1/c.CIHigh, 1/c.CILow)
	}
	f1 := func(c results.Comparison) string {
		return fmt.Sprintf("F1 %+.1f points (95%% CI %.1f to %.1f, %s, 40 paired questions)", c.DeltaF1, c.DeltaF1CILow, c.DeltaF1CIHigh, formatP(c.DeltaF1PValue))
	}
	for _, tc := range []struct {
		name        string
		metis, base []results.Record
		want        func(c results.Comparison) string
	}{
		{"faster with no accuracy difference says both",
			timedScores("metis", "m-a", 40, 600, all), timedScores("sophia", "m-b", 40, 1000, all),
			func(c results.Comparison) string {
				return latency(c, true) + ", no significant accuracy difference: F1 +0.0 points (95% CI 0.0 to 0.0, p=1.00, 40 paired questions)"
			}},
		{"faster but significantly less accurate says so in the same line",
			timedScores("metis", "m-a", 40, 600, half), timedScores("sophia", "m-b", 40, 1000, all),
			func(c results.Comparison) string {
				return latency(c, true) + " but significantly less accurate: " + f1(c)
			}},
		{"slower but significantly more accurate says so in the same line",
			timedScores("metis", "m-a", 40, 1000, all), timedScores("sophia", "m-b", 40, 600, half),
			func(c results.Comparison) string {
				return latency(c, false) + " but significantly more accurate: " + f1(c)
			}},
		{"slower and significantly less accurate joins the two with and",
			timedScores("metis", "m-a", 40, 1000, half), timedScores("sophia", "m-b", 40, 600, all),
			func(c results.Comparison) string {
				return latency(c, false) + " and significantly less accurate: " + f1(c)
			}},
		{"no significant latency difference still states a significant accuracy loss",
			timedScores("metis", "m-a", 40, 1000, half), timedScores("sophia", "m-b", 40, 1000, all),
			func(c results.Comparison) string {
				return fmt.Sprintf("no significant latency difference between metis and sophia (speedup 1.00x, 95%% CI %.2f-%.2f, p=1.00); significantly less accurate: ", c.CILow, c.CIHigh) + f1(c)
			}},
		{"no significant difference at all says so for both",
			timedScores("metis", "m-a", 40, 1000, all), timedScores("sophia", "m-b", 40, 1000, all),
			func(c results.Comparison) string {
				return fmt.Sprintf("no significant latency difference between metis and sophia (speedup 1.00x, 95%% CI %.2f-%.2f, p=1.00); no significant accuracy difference: ", c.CILow, c.CIHigh) + f1(c)
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := mustAggregate(t, twoPlatforms(), append(tc.metis, tc.base...)).Comparisons[0]
			if want := tc.want(c); c.Verdict != want {
				t.Errorf("verdict %q\nwant    %q", c.Verdict, want)
			}
		})
	}
	t.Run("a platform without a successful request gets no latency claim", func(t *testing.T) {
		recs := append(timedScores("metis", "m-a", 40, 600, all), timedScores("sophia", "m-b", 40, 1000, all)...)
		for i := range recs {
			if recs[i].Platform == "metis" {
				recs[i].Error = "http_500"
			}
		}
		c := mustAggregate(t, twoPlatforms(), recs).Comparisons[0]
		want := "no successful requests on metis: no latency comparison with sophia; significantly less accurate: " + f1(c)
		if c.Verdict != want || c.SpeedupMedian != 0 || c.Significant || c.DeltaF1 != -100 {
			t.Errorf("verdict %q\nwant    %q\n%+v", c.Verdict, want, c)
		}
	})
}
