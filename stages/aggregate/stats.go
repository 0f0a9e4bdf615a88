package aggregate

import (
	"math"
	"slices"

	"github.com/inferbench/inferbench/pipeline/results"
	"gonum.org/v1/gonum/stat"
)

// Mean returns the arithmetic mean of xs (gonum's stat.Mean), or 0 for an
// empty slice.
func Mean(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	return stat.Mean(xs, nil)
}

// Stddev returns the sample standard deviation of xs: the square root of
// sum((x-mean)^2) / (n-1) (Bessel's correction, like numpy's ddof=1 and
// Excel's STDEV.S; gonum's stat.StdDev, whose two-pass sum is corrected for
// rounding). It is 0 when len(xs) < 2.
func Stddev(xs []float64) float64 {
	if len(xs) < 2 {
		return 0
	}
	return stat.StdDev(xs, nil)
}

// meanStddev returns Mean(xs) and Stddev(xs) in two passes over xs.
func meanStddev(xs []float64) (mean, sd float64) {
	switch len(xs) {
	case 0:
		return 0, 0
	case 1:
		return xs[0], 0
	}
	return stat.MeanStdDev(xs, nil)
}

// Quantile returns the q-quantile (0 <= q <= 1) of sorted, which must be in
// ascending order, by Hyndman and Fan's type 7 (numpy's default "linear"
// method, R's default, Excel's PERCENTILE.INC): with h = (n-1)q,
// Q = x[floor(h)] + (h - floor(h)) * (x[floor(h)+1] - x[floor(h)]),
// indexes 0-based. It is 0 for an empty slice; q outside [0,1] is clamped.
// It is hand-written because gonum's stat.Quantile has no type 7 (its
// LinInterp is Hyndman-Fan type 4).
func Quantile(sorted []float64, q float64) float64 {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	q = min(max(q, 0), 1)
	h := float64(n-1) * q
	lo := int(math.Floor(h))
	if lo >= n-1 {
		return sorted[n-1]
	}
	return sorted[lo] + (h-float64(lo))*(sorted[lo+1]-sorted[lo])
}

// describe summarises xs into a Dist without its confidence interval. It
// sorts xs in place; the caller must own the slice.
func describe(xs []float64) results.Dist {
	n := len(xs)
	if n == 0 {
		return results.Dist{}
	}
	slices.Sort(xs)
	mean, sd := meanStddev(xs)
	d := results.Dist{
		N:      n,
		Mean:   mean,
		Stddev: sd,
		Min:    xs[0],
		Max:    xs[n-1],
		P50:    Quantile(xs, 0.50),
		P90:    Quantile(xs, 0.90),
		P95:    Quantile(xs, 0.95),
		P99:    Quantile(xs, 0.99),
	}
	if d.Mean != 0 {
		d.CV = d.Stddev / d.Mean
	}
	return d
}

// finite maps NaN and ±Inf to 0 so that results always encode as JSON.
func finite(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0
	}
	return x
}

// Minimum sample sizes below which a percentile is flagged as unreliable:
// a p-th percentile needs about 1/(1-p) samples before it is more than the
// maximum, so p99 needs 100, p95 20 and p90 10.
const (
	MinSamplesP90 = 10
	MinSamplesP95 = 20
	MinSamplesP99 = 100
)
