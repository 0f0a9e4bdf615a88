package aggregate

import (
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/inferbench/inferbench/pipeline/config"
	"gonum.org/v1/gonum/stat/distuv"
)

// BootstrapMaxN is the largest sample for which the mean's interval is a
// resampling bootstrap. Above it the bootstrap distribution of a mean is
// normal to well within the Monte-Carlo error of a few thousand resamples
// (central limit theorem), so the interval is mean ± z·s/√n instead, which
// costs O(n) rather than O(n·resamples). Medians are always bootstrapped
// (see Bootstrap), at any n.
const BootstrapMaxN = 10000

// MinClustersNormal is the least number of clusters (questions) over which
// a cluster mean of more than BootstrapMaxN values takes the normal
// interval (see ClusterMeanCI): the mean of that many bounded cluster
// means is normal to well within the Monte-Carlo error, and the cost of a
// cluster bootstrap stays below that of resampling BootstrapMaxN values.
const MinClustersNormal = 1000

// Bootstrap computes seeded percentile-bootstrap confidence intervals.
//
// Every interval draws from its own random stream, seeded by Seed and a
// label naming what is resampled (group key and figure), so an interval
// depends only on its data, the seed and the label: never on the order in
// which intervals are computed or on map iteration order. A Bootstrap is a
// value and safe for concurrent use.
//
// Medians are resampled exactly without materialising resamples: the k-th
// smallest of n indexes drawn uniformly from [0,n) is floor(n·U(k)) where
// U(k) ~ Beta(k, n-k+1) is the k-th order statistic of n uniforms, and the
// (k+1)-th is U(k) + (1-U(k))·Beta(1, n-k). A resampled median therefore
// costs O(1) after one sort (two draws from gonum's distuv.Beta), with the
// same distribution as drawing n values with replacement.
type Bootstrap struct {
	// Seed is the experiment's seed.
	Seed int64
	// Resamples is the number of bootstrap resamples (> 0).
	Resamples int
	// Level is the confidence level in (0,1), e.g. 0.95.
	Level float64
}

// NewBootstrap returns the bootstrap settings of exp, with
// config.DefaultBootstrap and config.DefaultConfidence for zero values.
func NewBootstrap(exp *config.Experiment) Bootstrap {
	b := Bootstrap{Seed: exp.Seed, Resamples: exp.Stats.Bootstrap, Level: exp.Stats.Confidence}
	if b.Resamples <= 0 {
		b.Resamples = config.DefaultBootstrap
	}
	if b.Level <= 0 || b.Level >= 1 {
		b.Level = config.DefaultConfidence
	}
	return b
}

// source returns the random stream of label.
func (b Bootstrap) source(label string) *rand.PCG {
	h := fnv.New64a()
	h.Write([]byte(label))
	return rand.NewPCG(uint64(b.Seed), h.Sum64())
}

// rng returns the random stream of label as a *rand.Rand.
func (b Bootstrap) rng(label string) *rand.Rand { return rand.New(b.source(label)) }

// interval returns the percentile interval of the resampled statistics
// (sorted in place), by Quantile.
func (b Bootstrap) interval(stats []float64) (lo, hi float64) {
	slices.Sort(stats)
	a := (1 - b.Level) / 2
	return finite(Quantile(stats, a)), finite(Quantile(stats, 1-a))
}

// z is the two-sided standard normal quantile of the level: Φ⁻¹((1+Level)/2).
func (b Bootstrap) z() float64 { return distuv.UnitNormal.Quantile((1 + b.Level) / 2) }

// MeanCI returns the confidence interval of the mean of xs. It is (0, 0)
// when len(xs) < 2; above BootstrapMaxN values it is the normal interval.
// It depends on xs as a multiset, not on the order of its values (it
// resamples a sorted copy when xs is not sorted), and does not modify xs.
func (b Bootstrap) MeanCI(label string, xs []float64) (lo, hi float64) {
	n := len(xs)
	if n < 2 {
		return 0, 0
	}
	xs = ascending(xs)
	if n > BootstrapMaxN {
		m, se := Mean(xs), Stddev(xs)/math.Sqrt(float64(n))
		return m - b.z()*se, m + b.z()*se
	}
	r := b.rng(label)
	stats := make([]float64, b.Resamples)
	for i := range stats {
		stats[i] = resampleMean(r, xs)
	}
	return b.interval(stats)
}

// ClusterMeanCI returns the confidence interval of the mean of every value
// in clusters by a cluster bootstrap: each resample draws len(clusters)
// clusters with replacement and takes the mean of all the values of the
// clusters drawn (the sum of their sums over the sum of their sizes). It is
// the interval for values that are not independent within a cluster, e.g.
// the repeats of one question: resampling the values one by one would treat
// r identical repeats as r independent answers and give an interval about
// 1/√r too narrow. Empty clusters are left out; it is (0, 0) when fewer than
// 2 clusters are left. Above BootstrapMaxN clusters, or above
// BootstrapMaxN values in at least MinClustersNormal clusters, it is the
// normal interval with the cluster-robust (linearized ratio) standard error
// √(Σ(Sᵢ - m·nᵢ)² / (k(k-1))) / n̄, where Sᵢ and nᵢ are the sum and size of
// cluster i, m the overall mean, k the number of clusters and n̄ their mean
// size. The draws follow the order of clusters, so callers pass them in a
// canonical order (aggregate orders questions by sample id); neither
// clusters nor their values are modified.
func (b Bootstrap) ClusterMeanCI(label string, clusters [][]float64) (lo, hi float64) {
	sums := make([]float64, 0, len(clusters))
	sizes := make([]float64, 0, len(clusters))
	var total, count float64
	for _, c := range clusters {
		if len(c) == 0 {
			continue
		}
		var s float64
		for _, x := range c {
			s += x
		}
		sums = append(sums, s)
		sizes = append(sizes, float64(len(c)))
		total += s
		count += float64(len(c))
	}
	k := len(sums)
	if k < 2 {
		return 0, 0
	}
	if k > BootstrapMaxN || (count > BootstrapMaxN && k >= MinClustersNormal) {
		m := total / count
		var ss float64
		for i := range sums {
			d := sums[i] - m*sizes[i]
			ss += d * d
		}
		se := math.Sqrt(ss/float64(k*(k-1))) / (count / float64(k))
		return m - b.z()*se, m + b.z()*se
	}
	r := b.rng(label)
	stats := make([]float64, b.Resamples)
	for i := range stats {
		var s, n float64
		for range k {
			j := r.IntN(k)
			s += sums[j]
			n += sizes[j]
		}
		stats[i] = s / n
	}
	return b.interval(stats)
}

// MeanDiffCI returns the confidence interval of mean(y) - mean(x), the two
// samples resampled independently. It is (0, 0) when either has fewer than
// 2 values; when either exceeds BootstrapMaxN it is the normal (Welch)
// interval. Like MeanCI it depends on neither sample's order and modifies
// neither.
func (b Bootstrap) MeanDiffCI(label string, x, y []float64) (lo, hi float64) {
	if len(x) < 2 || len(y) < 2 {
		return 0, 0
	}
	x, y = ascending(x), ascending(y)
	if len(x) > BootstrapMaxN || len(y) > BootstrapMaxN {
		sx, sy := Stddev(x), Stddev(y)
		se := math.Sqrt(sx*sx/float64(len(x)) + sy*sy/float64(len(y)))
		d := Mean(y) - Mean(x)
		return d - b.z()*se, d + b.z()*se
	}
	r := b.rng(label)
	stats := make([]float64, b.Resamples)
	for i := range stats {
		stats[i] = resampleMean(r, y) - resampleMean(r, x)
	}
	return b.interval(stats)
}

// MedianRatioCI returns the confidence interval of median(num) /
// median(den), the two samples resampled independently. It is (0, 0) when
// either has fewer than 2 values. Resamples whose denominator median is 0
// yield 0 ratios rather than infinities.
func (b Bootstrap) MedianRatioCI(label string, num, den []float64) (lo, hi float64) {
	return b.medianPair(label, num, den, func(n, d float64) float64 {
		if d == 0 {
			return 0
		}
		return n / d
	})
}

// MedianDiffCI returns the confidence interval of median(y) - median(x),
// the two samples resampled independently; (0, 0) when either has fewer
// than 2 values.
func (b Bootstrap) MedianDiffCI(label string, x, y []float64) (lo, hi float64) {
	return b.medianPair(label, y, x, func(my, mx float64) float64 { return my - mx })
}

func (b Bootstrap) medianPair(label string, p, q []float64, f func(mp, mq float64) float64) (lo, hi float64) {
	if len(p) < 2 || len(q) < 2 {
		return 0, 0
	}
	sp, sq := slices.Clone(p), slices.Clone(q)
	slices.Sort(sp)
	slices.Sort(sq)
	r := b.source(label)
	stats := make([]float64, b.Resamples)
	for i := range stats {
		stats[i] = f(resampleMedian(r, sp), resampleMedian(r, sq))
	}
	return b.interval(stats)
}

// ascending returns xs when it is sorted, else a sorted copy: resampling a
// canonical order makes an interval independent of the order in which the
// caller collected its values (with a fixed seed, the i-th draw picks the
// value at the same rank whatever that order was).
func ascending(xs []float64) []float64 {
	if slices.IsSorted(xs) {
		return xs
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s
}

// resampleMean is the mean of len(xs) values drawn from xs with replacement.
func resampleMean(r *rand.Rand, xs []float64) float64 {
	n := len(xs)
	var s float64
	for range n {
		s += xs[r.IntN(n)]
	}
	return s / float64(n)
}

// resampleMedian is the type-7 median of len(sorted) values drawn from
// sorted (ascending) with replacement, drawn through the order statistics
// of uniforms (see Bootstrap); r is the random source.
func resampleMedian(r rand.Source, sorted []float64) float64 {
	n := len(sorted)
	if n == 1 {
		return sorted[0]
	}
	k := (n + 1) / 2 // 1-based rank of the (lower) middle value
	u := distuv.Beta{Alpha: float64(k), Beta: float64(n - k + 1), Src: r}.Rand()
	i := orderIndex(u, n)
	if n%2 == 1 {
		return sorted[i]
	}
	// The next order statistic: the least of the n-k uniforms above u.
	w := distuv.Beta{Alpha: 1, Beta: float64(n - k), Src: r}.Rand()
	j := orderIndex(u+(1-u)*w, n)
	return (sorted[i] + sorted[j]) / 2
}

func orderIndex(u float64, n int) int {
	return min(max(int(u*float64(n)), 0), n-1)
}
