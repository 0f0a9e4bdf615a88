package aggregate

import (
	"math"
	"testing"

	"github.com/inferbench/inferbench/pipeline/results"
)

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

// Hand computations, Hyndman-Fan type 7 (numpy.percentile's default
// "linear"): h = (n-1)q, Q = x[floor h] + (h - floor h)(x[floor h+1] - x[floor h]).
//
//	[1,2,3,4]        q=.50: h=1.5  -> 2 + .5*(3-2)  = 2.5
//	                 q=.90: h=2.7  -> 3 + .7*(4-3)  = 3.7
//	                 q=.95: h=2.85 -> 3 + .85       = 3.85
//	                 q=.99: h=2.97 -> 3 + .97       = 3.97
//	[15,20,35,40,50] q=.40: h=1.6  -> 20 + .6*(35-20) = 29
//	                 q=.25: h=1.0  -> 20
//	                 q=.50: h=2.0  -> 35
//	                 q=.90: h=3.6  -> 40 + .6*(50-40) = 46
//	[7]              any q: 7
func TestQuantileMatchesTheHandComputedType7Table(t *testing.T) {
	for _, tc := range []struct {
		name string
		xs   []float64
		q    float64
		want float64
	}{
		{"the median of 1..4 interpolates halfway between 2 and 3", []float64{1, 2, 3, 4}, 0.5, 2.5},
		{"p90 of 1..4 is 3.7", []float64{1, 2, 3, 4}, 0.9, 3.7},
		{"p95 of 1..4 is 3.85", []float64{1, 2, 3, 4}, 0.95, 3.85},
		{"p99 of 1..4 is 3.97", []float64{1, 2, 3, 4}, 0.99, 3.97},
		{"p0 is the minimum", []float64{1, 2, 3, 4}, 0, 1},
		{"p100 is the maximum", []float64{1, 2, 3, 4}, 1, 4},
		{"p40 of numpy's documented example is 29", []float64{15, 20, 35, 40, 50}, 0.4, 29},
		{"p25 landing on a rank is that value", []float64{15, 20, 35, 40, 50}, 0.25, 20},
		{"the median of an odd sample is its middle value", []float64{15, 20, 35, 40, 50}, 0.5, 35},
		{"p90 of the five values is 46", []float64{15, 20, 35, 40, 50}, 0.9, 46},
		{"any percentile of one value is that value", []float64{7}, 0.99, 7},
		{"an empty sample gives 0", nil, 0.5, 0},
		{"q above 1 is clamped to the maximum", []float64{1, 2}, 1.5, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Quantile(tc.xs, tc.q); !near(got, tc.want, 1e-12) {
				t.Errorf("Quantile(%v, %v) = %v, want %v", tc.xs, tc.q, got, tc.want)
			}
		})
	}
}

// Hand computations, sample standard deviation sqrt(sum (x-mean)^2 / (n-1)):
//
//	[2,4,4,4,5,5,7,9]: mean 5, squares 9+1+1+1+0+0+4+16 = 32, sd = sqrt(32/7) = 2.138089935
//	[1,2,3,4]:         mean 2.5, squares 2.25+.25+.25+2.25 = 5, sd = sqrt(5/3) = 1.290994449
//	[7]:               sd 0 (n-1 = 0: defined as 0)
func TestMeanAndSampleStddevMatchTheHandComputedTable(t *testing.T) {
	for _, tc := range []struct {
		name     string
		xs       []float64
		mean, sd float64
	}{
		{"the textbook sample has mean 5 and sample sd sqrt(32/7)", []float64{2, 4, 4, 4, 5, 5, 7, 9}, 5, math.Sqrt(32.0 / 7)},
		{"1..4 has mean 2.5 and sd sqrt(5/3)", []float64{1, 2, 3, 4}, 2.5, math.Sqrt(5.0 / 3)},
		{"one value has sd 0", []float64{7}, 7, 0},
		{"no values have mean and sd 0", nil, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Mean(tc.xs); !near(got, tc.mean, 1e-12) {
				t.Errorf("Mean = %v, want %v", got, tc.mean)
			}
			if got := Stddev(tc.xs); !near(got, tc.sd, 1e-12) {
				t.Errorf("Stddev = %v, want %v", got, tc.sd)
			}
		})
	}
}

func TestDescribeFillsEveryFieldOfADist(t *testing.T) {
	t.Run("an unsorted sample is summarised like its sorted self", func(t *testing.T) {
		d := describe([]float64{4, 1, 3, 2})
		want := results.Dist{N: 4, Mean: 2.5, Stddev: math.Sqrt(5.0 / 3), CV: math.Sqrt(5.0/3) / 2.5,
			Min: 1, Max: 4, P50: 2.5, P90: 3.7, P95: 3.85, P99: 3.97}
		for _, f := range []struct {
			name      string
			got, want float64
		}{{"mean", d.Mean, want.Mean}, {"stddev", d.Stddev, want.Stddev}, {"cv", d.CV, want.CV},
			{"min", d.Min, want.Min}, {"max", d.Max, want.Max}, {"p50", d.P50, want.P50},
			{"p90", d.P90, want.P90}, {"p95", d.P95, want.P95}, {"p99", d.P99, want.P99}} {
			if !near(f.got, f.want, 1e-12) {
				t.Errorf("%s = %v, want %v", f.name, f.got, f.want)
			}
		}
		if d.N != 4 {
			t.Errorf("N = %d", d.N)
		}
	})
	t.Run("an empty sample is the zero Dist", func(t *testing.T) {
		if d := describe(nil); d != (results.Dist{}) {
			t.Errorf("got %+v", d)
		}
	})
	t.Run("a zero mean gives CV 0 rather than NaN", func(t *testing.T) {
		if d := describe([]float64{-1, 1}); d.CV != 0 {
			t.Errorf("CV = %v", d.CV)
		}
	})
}

// Hand computations at the edges of type 7:
//
//	[2,2,2,5] q=.50: h=1.5 -> 2 + .5*(2-2) = 2   (inside a run of duplicates)
//	          q=.90: h=2.7 -> 2 + .7*(5-2) = 4.1 (leaving the run)
//	          q=0:   h=0   -> 2;  q=1: h=3 -> 5
//	[3,3]     any q: 3
//	[9]       q=0 and q=1: 9 (h = 0 for n = 1)
//	[1,2,3]   q=-.5 clamps to q=0 -> 1
func TestQuantileAtTheEdges(t *testing.T) {
	for _, tc := range []struct {
		name string
		xs   []float64
		q    float64
		want float64
	}{
		{"the median inside a run of duplicates is the duplicated value", []float64{2, 2, 2, 5}, 0.5, 2},
		{"p90 interpolates from the last duplicate to the next value", []float64{2, 2, 2, 5}, 0.9, 4.1},
		{"q=0 with duplicates is the minimum", []float64{2, 2, 2, 5}, 0, 2},
		{"q=1 with duplicates is the maximum", []float64{2, 2, 2, 5}, 1, 5},
		{"every quantile of identical values is that value", []float64{3, 3}, 0.37, 3},
		{"q=0 of one value is that value", []float64{9}, 0, 9},
		{"q=1 of one value is that value", []float64{9}, 1, 9},
		{"q below 0 is clamped to the minimum", []float64{1, 2, 3}, -0.5, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Quantile(tc.xs, tc.q); !near(got, tc.want, 1e-12) {
				t.Errorf("Quantile(%v, %v) = %v, want %v", tc.xs, tc.q, got, tc.want)
			}
		})
	}
}

// Hand computations of the coefficient of variation, Stddev / Mean:
//
//	[10,20,30]: mean 20, sd sqrt((100+0+100)/2) = 10, CV 0.5
//	[4]:        sd 0 (n = 1), CV 0
//	[5,5,5]:    sd 0, CV 0
//	[-3,-1]:    mean -2, sd sqrt(2), CV -sqrt(2)/2 (the contract's sign: Stddev / Mean)
func TestCoefficientOfVariation(t *testing.T) {
	for _, tc := range []struct {
		name string
		xs   []float64
		want float64
	}{
		{"10, 20 and 30 vary by half their mean", []float64{10, 20, 30}, 0.5},
		{"one value has CV 0", []float64{4}, 0},
		{"identical values have CV 0", []float64{5, 5, 5}, 0},
		{"a negative mean gives a negative CV, as Stddev / Mean says", []float64{-3, -1}, -math.Sqrt2 / 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := describe(append([]float64(nil), tc.xs...)).CV; !near(got, tc.want, 1e-12) {
				t.Errorf("CV = %v, want %v", got, tc.want)
			}
		})
	}
}
