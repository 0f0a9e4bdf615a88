package aggregate

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/inferbench/inferbench/pipeline"
)

// sample returns n deterministic, skewed latency-like values around base.
func sample(seed uint64, n int, base float64) []float64 {
	r := rand.New(rand.NewPCG(seed, 1))
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = base * (0.8 + 0.4*r.Float64() + 0.3*r.ExpFloat64()*0.2)
	}
	return xs
}

func TestBootstrapMeanCIIsSeededAndSane(t *testing.T) {
	xs := sample(7, 60, 1000)
	b := Bootstrap{Seed: 42, Resamples: 2000, Level: 0.95}
	lo, hi := b.MeanCI("g/latency_ms", xs)
	t.Run("the interval contains the sample mean", func(t *testing.T) {
		if m := Mean(xs); !(lo < m && m < hi) {
			t.Errorf("CI %v-%v does not contain the mean %v", lo, hi, m)
		}
	})
	t.Run("the same seed and label give the same interval", func(t *testing.T) {
		lo2, hi2 := b.MeanCI("g/latency_ms", slices.Clone(xs))
		if lo2 != lo || hi2 != hi {
			t.Errorf("got %v-%v then %v-%v", lo, hi, lo2, hi2)
		}
	})
	t.Run("a different seed gives a different interval", func(t *testing.T) {
		b2 := b
		b2.Seed = 43
		lo2, hi2 := b2.MeanCI("g/latency_ms", xs)
		if lo2 == lo && hi2 == hi {
			t.Errorf("seed 43 reproduced seed 42's interval %v-%v", lo, hi)
		}
	})
	t.Run("a different label draws a different stream", func(t *testing.T) {
		lo2, hi2 := b.MeanCI("g/ttft_ms", xs)
		if lo2 == lo && hi2 == hi {
			t.Error("two labels share a stream")
		}
	})
	t.Run("the width is close to the normal theory width", func(t *testing.T) {
		want := 2 * 1.959964 * Stddev(xs) / math.Sqrt(float64(len(xs)))
		if w := hi - lo; w < 0.8*want || w > 1.2*want {
			t.Errorf("width %v, normal theory %v", w, want)
		}
	})
	t.Run("fewer than two values give no interval", func(t *testing.T) {
		if lo, hi := b.MeanCI("x", []float64{3}); lo != 0 || hi != 0 {
			t.Errorf("got %v-%v", lo, hi)
		}
	})
	t.Run("a large sample uses the normal interval", func(t *testing.T) {
		big := sample(3, BootstrapMaxN+1, 10)
		lo, hi := b.MeanCI("big", big)
		m, se := Mean(big), Stddev(big)/math.Sqrt(float64(len(big)))
		if !near(lo, m-1.959963984540054*se, 1e-9) || !near(hi, m+1.959963984540054*se, 1e-9) {
			t.Errorf("got %v-%v, want %v ± %v", lo, hi, m, 1.96*se)
		}
	})
}

// naiveMedianRatioCI resamples both samples value by value, the textbook
// way, to check the order-statistic shortcut against.
func naiveMedianRatioCI(seed uint64, resamples int, num, den []float64) (lo, hi float64) {
	r := rand.New(rand.NewPCG(seed, 99))
	med := func(xs []float64) float64 {
		s := make([]float64, len(xs))
		for i := range s {
			s[i] = xs[r.IntN(len(xs))]
		}
		slices.Sort(s)
		return Quantile(s, 0.5)
	}
	stats := make([]float64, resamples)
	for i := range stats {
		stats[i] = med(num) / med(den)
	}
	slices.Sort(stats)
	return Quantile(stats, 0.025), Quantile(stats, 0.975)
}

func TestOrderStatisticMedianResamplingMatchesNaiveResampling(t *testing.T) {
	for _, tc := range []struct {
		name   string
		n1, n2 int
	}{
		{"odd sample sizes", 41, 61},
		{"even sample sizes", 40, 60},
		{"small samples", 6, 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			num, den := sample(1, tc.n1, 1500), sample(2, tc.n2, 1000)
			b := Bootstrap{Seed: 5, Resamples: 20000, Level: 0.95}
			lo, hi := b.MedianRatioCI("r", num, den)
			nlo, nhi := naiveMedianRatioCI(5, 20000, num, den)
			if !near(lo, nlo, 0.02*nlo) || !near(hi, nhi, 0.02*nhi) {
				t.Errorf("shortcut %v-%v, naive %v-%v", lo, hi, nlo, nhi)
			}
		})
	}
	t.Run("a resampled median of one value is that value", func(t *testing.T) {
		if got := resampleMedian(rand.New(rand.NewPCG(1, 2)), []float64{4}); got != 4 {
			t.Errorf("got %v", got)
		}
	})
}

func TestMedianDiffCIBoundsAClearShift(t *testing.T) {
	x, y := sample(1, 50, 1000), sample(2, 50, 2000)
	b := Bootstrap{Seed: 1, Resamples: 2000, Level: 0.95}
	lo, hi := b.MedianDiffCI("d", x, y)
	d := Quantile(sorted(y), 0.5) - Quantile(sorted(x), 0.5)
	if !(lo > 0 && lo < d && d < hi) {
		t.Errorf("CI %v-%v should exclude 0 and contain %v", lo, hi, d)
	}
}

func sorted(xs []float64) []float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s
}

func TestNewBootstrapDefaultsZeroSettings(t *testing.T) {
	b := NewBootstrap(&pipeline.Experiment{Seed: 9})
	if b.Resamples != pipeline.DefaultBootstrap || b.Level != pipeline.DefaultConfidence || b.Seed != 9 {
		t.Errorf("got %+v", b)
	}
	b = NewBootstrap(&pipeline.Experiment{Stats: pipeline.StatsSpec{Bootstrap: 500, Confidence: 0.9}})
	if b.Resamples != 500 || b.Level != 0.9 {
		t.Errorf("got %+v", b)
	}
}

// BenchmarkBootstrap is the cost of one interval of each kind over 1,000
// values with 2,000 resamples.
func BenchmarkBootstrap(b *testing.B) {
	x, y := sample(1, 1000, 1000), sample(2, 1000, 1500)
	bs := Bootstrap{Seed: 1, Resamples: 2000, Level: 0.95}
	b.Run("mean", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			bs.MeanCI("m", x)
		}
	})
	b.Run("median ratio", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			bs.MedianRatioCI("r", x, y)
		}
	})
}
