package aggregate

import (
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/inferbench/inferbench/pipeline"
)

// scoredRun returns platform's records for the questions q0..q<n-1>, each
// asked repeats times with the same score in every repeat (repeats of one
// question perfectly correlated): question i scores f1(i) (0..1), EM the
// same rounded down.
func scoredRun(platform, model string, n, repeats int, f1 func(i int) float64) []pipeline.Record {
	var out []pipeline.Record
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
	width := func(d pipeline.Dist) float64 { return d.CIHigh - d.CILow }
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
		once, thrice pipeline.Dist
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
