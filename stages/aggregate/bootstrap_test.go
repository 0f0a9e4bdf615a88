package aggregate

import (
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"github.com/inferbench/inferbench/pipeline/config"
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
	b := NewBootstrap(&config.Experiment{Seed: 9})
	if b.Resamples != config.DefaultBootstrap || b.Level != config.DefaultConfidence || b.Seed != 9 {
		t.Errorf("got %+v", b)
	}
	b = NewBootstrap(&config.Experiment{Stats: config.StatsSpec{Bootstrap: 500, Confidence: 0.9}})
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

// exactResampledMedian enumerates all n^n equally likely resamples (index
// tuples) of sorted and returns the probability of each type-7 median.
func exactResampledMedian(sorted []float64) map[float64]float64 {
	n := len(sorted)
	total := 1
	for range n {
		total *= n
	}
	dist := map[float64]float64{}
	idx := make([]int, n)
	s := make([]float64, n)
	for c := 0; c < total; c++ {
		v := c
		for i := range idx {
			idx[i] = v % n
			v /= n
		}
		for i, j := range idx {
			s[i] = sorted[j]
		}
		slices.Sort(s)
		dist[Quantile(s, 0.5)] += 1 / float64(total)
	}
	return dist
}

func TestResampledMedianHasTheExactBootstrapDistribution(t *testing.T) {
	const draws = 200000
	for _, tc := range []struct {
		name string
		xs   []float64
	}{
		{"two values (the median is the mean of two draws)", []float64{1, 4}},
		{"three distinct values", []float64{1, 2, 7}},
		{"four distinct values", []float64{1, 2, 4, 8}},
		{"four values with a duplicate", []float64{1, 1, 2, 5}},
		{"five distinct values", []float64{3, 5, 8, 13, 21}},
		{"six distinct values", []float64{1, 2, 3, 5, 8, 13}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := exactResampledMedian(tc.xs)
			r := rand.NewPCG(11, 12)
			got := map[float64]float64{}
			for range draws {
				got[resampleMedian(r, tc.xs)] += 1.0 / draws
			}
			for v, p := range got {
				if _, ok := want[v]; !ok {
					t.Errorf("median %v has probability %v but is impossible", v, p)
				}
			}
			for v, p := range want {
				// 5 standard errors of a binomial share, plus rounding
				tol := 5*math.Sqrt(p*(1-p)/draws) + 1e-9
				if !near(got[v], p, tol) {
					t.Errorf("P(median = %v) = %.5f, exact %.5f (tolerance %.5f)", v, got[v], p, tol)
				}
			}
		})
	}
}

// ksDistance is the Kolmogorov-Smirnov distance between two samples.
func ksDistance(a, b []float64) float64 {
	a, b = sorted(a), sorted(b)
	var d float64
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		x := min(a[i], b[j])
		for i < len(a) && a[i] <= x {
			i++
		}
		for j < len(b) && b[j] <= x {
			j++
		}
		d = max(d, math.Abs(float64(i)/float64(len(a))-float64(j)/float64(len(b))))
	}
	return d
}

func TestMedianRatioShortcutIsTheBruteForceBootstrapForSmallSamples(t *testing.T) {
	const resamples = 20000
	bruteForce := func(r *rand.Rand, num, den []float64) []float64 {
		med := func(xs []float64) float64 {
			s := make([]float64, len(xs))
			for i := range s {
				s[i] = xs[r.IntN(len(xs))]
			}
			slices.Sort(s)
			return Quantile(s, 0.5)
		}
		out := make([]float64, resamples)
		for i := range out {
			out[i] = med(num) / med(den)
		}
		return out
	}
	shortcut := func(src rand.Source, num, den []float64) []float64 {
		sn, sd := sorted(num), sorted(den)
		out := make([]float64, resamples)
		for i := range out {
			out[i] = resampleMedian(src, sn) / resampleMedian(src, sd)
		}
		return out
	}
	for _, tc := range []struct {
		name   string
		n1, n2 int
	}{
		{"three against four", 3, 4},
		{"five against five", 5, 5},
		{"four against nine", 4, 9},
		{"ten against eight", 10, 8},
	} {
		t.Run(tc.name+": the bootstrap distributions agree", func(t *testing.T) {
			num, den := sample(21, tc.n1, 1500), sample(22, tc.n2, 1000)
			a := shortcut(rand.NewPCG(1, 2), num, den)
			b := bruteForce(rand.New(rand.NewPCG(3, 4)), num, den)
			// two-sample KS critical value at alpha 0.001: 1.95*sqrt(2/n)
			if d, crit := ksDistance(a, b), 1.95*math.Sqrt(2.0/resamples); d > crit {
				t.Errorf("KS distance %v > %v", d, crit)
			}
		})
	}
	t.Run("both methods cover the true ratio of medians about as often", func(t *testing.T) {
		// Samples of 7 and 8 from exponentials with medians ln2*1.5 and
		// ln2*1: true ratio 1.5. Both percentile intervals see the same 150
		// data sets; their coverage must agree within a few data sets.
		data := rand.New(rand.NewPCG(5, 6))
		exp := func(n int, scale float64) []float64 {
			xs := make([]float64, n)
			for i := range xs {
				xs[i] = scale * data.ExpFloat64()
			}
			return xs
		}
		const sets, small = 150, 2000
		b := Bootstrap{Seed: 9, Resamples: small, Level: 0.9}
		brute := rand.New(rand.NewPCG(7, 8))
		var coverS, coverB int
		for i := range sets {
			num, den := exp(7, 1.5), exp(8, 1)
			lo, hi := b.MedianRatioCI("cover/"+strconv.Itoa(i), num, den)
			if lo <= 1.5 && 1.5 <= hi {
				coverS++
			}
			stats := make([]float64, small)
			for k := range stats {
				s1, s2 := make([]float64, 7), make([]float64, 8)
				for j := range s1 {
					s1[j] = num[brute.IntN(7)]
				}
				for j := range s2 {
					s2[j] = den[brute.IntN(8)]
				}
				stats[k] = Quantile(sorted(s1), 0.5) / Quantile(sorted(s2), 0.5)
			}
			blo, bhi := b.interval(stats)
			if blo <= 1.5 && 1.5 <= bhi {
				coverB++
			}
		}
		if diff := coverS - coverB; diff < -6 || diff > 6 {
			t.Errorf("shortcut covers %d of %d, brute force %d", coverS, sets, coverB)
		}
		if coverS < sets*70/100 {
			t.Errorf("a 90%% interval covers only %d of %d", coverS, sets)
		}
	})
}

// The percentile interval reads the bootstrap distribution by type 7:
//
//	stats 0..100 (101 values), level .90: h = 100*.05 = 5 -> 5, h = 95 -> 95
//	stats 1..1000, level .95: h = 999*.025 = 24.975 -> x[24] + .975 = 25.975,
//	                          h = 999*.975 = 974.025 -> x[974] + .025 = 975.025
func TestPercentileIntervalIndexes(t *testing.T) {
	seq := func(a, b int) []float64 {
		var out []float64
		for i := b; i >= a; i-- { // unsorted on purpose
			out = append(out, float64(i))
		}
		return out
	}
	for _, tc := range []struct {
		name   string
		level  float64
		stats  []float64
		lo, hi float64
	}{
		{"a 90% interval of 0..100 is 5 to 95", 0.90, seq(0, 100), 5, 95},
		{"a 95% interval of 1..1000 is 25.975 to 975.025", 0.95, seq(1, 1000), 25.975, 975.025},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lo, hi := Bootstrap{Level: tc.level}.interval(tc.stats)
			if !near(lo, tc.lo, 1e-9) || !near(hi, tc.hi, 1e-9) {
				t.Errorf("got %v-%v, want %v-%v", lo, hi, tc.lo, tc.hi)
			}
		})
	}
}

func TestBootstrapStreamsAreIndependent(t *testing.T) {
	const n = 20000
	draws := func(b Bootstrap, label string) []float64 {
		r := b.rng(label)
		out := make([]float64, n)
		for i := range out {
			out[i] = r.Float64()
		}
		return out
	}
	corr := func(x, y []float64) float64 {
		mx, my := Mean(x), Mean(y)
		var sxy, sxx, syy float64
		for i := range x {
			sxy += (x[i] - mx) * (y[i] - my)
			sxx += (x[i] - mx) * (x[i] - mx)
			syy += (y[i] - my) * (y[i] - my)
		}
		return sxy / math.Sqrt(sxx*syy)
	}
	b42, b43 := Bootstrap{Seed: 42}, Bootstrap{Seed: 43}
	for _, tc := range []struct {
		name string
		x, y []float64
	}{
		{"two labels under one seed", draws(b42, "metis/m/t=0/latency_ms"), draws(b42, "metis/m/t=0/ttft_ms")},
		{"one label under neighbouring seeds", draws(b42, "g/latency_ms"), draws(b43, "g/latency_ms")},
		{"labels that differ in one character", draws(b42, "a/t=0.7/em"), draws(b42, "a/t=0.7/f1")},
	} {
		t.Run(tc.name+" are uncorrelated and do not overlap", func(t *testing.T) {
			// 5 standard errors of a correlation of independent series
			if c := corr(tc.x, tc.y); math.Abs(c) > 5/math.Sqrt(n) {
				t.Errorf("correlation %v", c)
			}
			// lagged by one draw, in case one stream is the other shifted
			if c := corr(tc.x[1:], tc.y[:n-1]); math.Abs(c) > 5/math.Sqrt(n) {
				t.Errorf("lag-1 correlation %v", c)
			}
			seen := make(map[float64]bool, n)
			for _, v := range tc.x {
				seen[v] = true
			}
			shared := 0
			for _, v := range tc.y {
				if seen[v] {
					shared++
				}
			}
			if shared > 1 {
				t.Errorf("%d draws of one stream appear in the other", shared)
			}
		})
	}
}

func TestMeanIntervalsDoNotDependOnTheOrderOfValues(t *testing.T) {
	x, y := sample(31, 25, 1000), sample(32, 30, 1200)
	b := Bootstrap{Seed: 3, Resamples: 500, Level: 0.95}
	shuffled := func(xs []float64, seed uint64) []float64 {
		s := slices.Clone(xs)
		rand.New(rand.NewPCG(seed, 0)).Shuffle(len(s), func(i, j int) { s[i], s[j] = s[j], s[i] })
		return s
	}
	lo, hi := b.MeanCI("m", x)
	dlo, dhi := b.MeanDiffCI("d", x, y)
	for seed := range uint64(5) {
		t.Run("shuffle "+strconv.FormatUint(seed, 10)+" gives the same mean interval", func(t *testing.T) {
			xs := shuffled(x, seed)
			before := slices.Clone(xs)
			if l, h := b.MeanCI("m", xs); l != lo || h != hi {
				t.Errorf("got %v-%v, want %v-%v", l, h, lo, hi)
			}
			if !slices.Equal(xs, before) {
				t.Error("MeanCI reordered its argument")
			}
		})
		t.Run("shuffle "+strconv.FormatUint(seed, 10)+" gives the same difference interval", func(t *testing.T) {
			if l, h := b.MeanDiffCI("d", shuffled(x, seed), shuffled(y, seed+10)); l != dlo || h != dhi {
				t.Errorf("got %v-%v, want %v-%v", l, h, dlo, dhi)
			}
		})
	}
}
