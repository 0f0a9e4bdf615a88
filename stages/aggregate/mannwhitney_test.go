package aggregate

import (
	"math"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// Hand computations:
//
//	x=[1,2,3] y=[4,5,6]: ranks of x 1,2,3, R1=6, U=6-3*4/2=0. No ties, n=6:
//	  exact. Of C(6,3)=20 arrangements one has U<=0: p = 2*1/20 = 0.1.
//	x=[1,3,5] y=[2,4,6]: R1=1+3+5=9, U=3. Counts of U=0..9 for 3 and 3:
//	  1,1,2,3,3,3,3,2,1,1. P(U<=3)=7/20, P(U>=3)=16/20: p = 0.7.
//	x=[1,2,2] y=[2,3,3]: pooled 1 2 2 2 3 3, mid-ranks 1, 3,3,3, 5.5,5.5;
//	  R1=1+3+3=7, U=1, mu=4.5. Ties: (3^3-3)+(2^3-2)=30, n=6:
//	  sigma^2 = 9/12*(7-30/30) = 4.5, z = (3.5-0.5)/sqrt(4.5) = sqrt(2),
//	  p = 2*(1-Phi(sqrt 2)) = erfc(1) = 0.157299207.
//	x=1..10 y=11..21: n=21 > 20, normal: U=0, mu=55,
//	  sigma^2 = 10*11*22/12 = 201.667, z = 54.5/14.2009 = 3.83777,
//	  p = erfc(z/sqrt 2) = 1.24154e-4.
//	x=1..200 y=201..400: U=0, mu=20000, sigma^2 = 200*200*401/12,
//	  z = 19999.5/1156.14 = 17.2985, p = erfc(z/sqrt 2) = 4.83086e-67
//	  (1 - erf would round it to 0).
func TestMannWhitneyMatchesHandComputedUAndP(t *testing.T) {
	seq := func(a, b int) []float64 {
		var out []float64
		for i := a; i <= b; i++ {
			out = append(out, float64(i))
		}
		return out
	}
	for _, tc := range []struct {
		name   string
		x, y   []float64
		u, p   float64
		exact  bool
		pDelta float64
	}{
		{"completely separated triples give U 0 and exact p 0.1", []float64{1, 2, 3}, []float64{4, 5, 6}, 0, 0.1, true, 1e-12},
		{"interleaved triples give U 3 and exact p 0.7", []float64{1, 3, 5}, []float64{2, 4, 6}, 3, 0.7, true, 1e-12},
		{"tied small samples use the tie-corrected normal approximation", []float64{1, 2, 2}, []float64{2, 3, 3}, 1, math.Erfc(1), false, 1e-12},
		{"samples over 20 in all use the normal approximation", seq(1, 10), seq(11, 21), 0, 1.2415446060163378e-4, false, 1e-15},
		{"far apart samples keep a p-value far below 1e-16", seq(1, 200), seq(201, 400), 0, 4.830856390397669e-67, false, 1e-78},
		{"an empty sample has p 1", nil, []float64{1}, 0, 1, false, 0},
		{"all values tied have p 1", []float64{5, 5}, []float64{5, 5, 5}, 3, 1, false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := MannWhitney(tc.x, tc.y)
			if got.U != tc.u || got.Exact != tc.exact || !near(got.P, tc.p, tc.pDelta) {
				t.Errorf("got %+v, want U=%v P=%v exact=%v", got, tc.u, tc.p, tc.exact)
			}
			rev := MannWhitney(tc.y, tc.x)
			if len(tc.x) > 0 && (rev.U != float64(len(tc.x)*len(tc.y))-tc.u || !near(rev.P, got.P, 1e-12)) {
				t.Errorf("swapped samples: got %+v, want U=n1*n2-U and the same p", rev)
			}
		})
	}
}

func TestExactMannWhitneyDistributionMatchesTheCountedArrangements(t *testing.T) {
	// Counts of U for m=n=3 (hand enumeration of 20 arrangements):
	counts := []float64{1, 1, 2, 3, 3, 3, 3, 2, 1, 1}
	for u := range counts {
		t.Run("U="+strconv.Itoa(u)+" of 3 and 3", func(t *testing.T) {
			var le, ge float64
			for k, c := range counts {
				if k <= u {
					le += c
				}
				if k >= u {
					ge += c
				}
			}
			want := math.Min(1, 2*math.Min(le, ge)/20)
			if got := exactMWP(3, 3, u); !near(got, want, 1e-12) {
				t.Errorf("p = %v, want %v", got, want)
			}
		})
	}
}

// TestMannWhitneyAgreesWithScipy cross-checks against
// scipy.stats.mannwhitneyu. It skips when no python3 with scipy is found
// (python3 on PATH, then Debian's /usr/bin/python3 where python3-scipy
// installs), unless INFERBENCH_REQUIRE_SCIPY=1: CI installs python3-scipy
// and sets it, so there it cannot skip.
func TestMannWhitneyAgreesWithScipy(t *testing.T) {
	t.Parallel() // waits on a python3 process
	py := scipyPython()
	if py == "" {
		if os.Getenv("INFERBENCH_REQUIRE_SCIPY") == "1" {
			t.Fatal("no python3 with scipy found but INFERBENCH_REQUIRE_SCIPY=1")
		}
		t.Skip("python3 with scipy is not installed")
	}
	x := []float64{12.1, 14.3, 9.8, 11.0, 15.2, 13.3, 10.9, 12.8, 16.0, 11.7, 14.9, 13.1}
	y := []float64{15.5, 17.2, 14.8, 16.1, 18.3, 13.9, 16.6, 19.0, 15.1, 17.7, 16.9, 18.8}
	out, err := exec.Command(py, "-c",
		"from scipy.stats import mannwhitneyu as m;r=m("+pyList(x)+","+pyList(y)+",alternative='two-sided',method='asymptotic');print(r.statistic,r.pvalue)").Output()
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(out))
	u, _ := strconv.ParseFloat(f[0], 64)
	p, _ := strconv.ParseFloat(f[1], 64)
	got := MannWhitney(x, y)
	if got.U != u || !near(got.P, p, 1e-9) {
		t.Errorf("got %+v, scipy U=%v p=%v", got, u, p)
	}
}

// scipyPython is the first python3 that imports scipy, or "".
func scipyPython() string {
	for _, py := range []string{"python3", "/usr/bin/python3"} {
		if exec.Command(py, "-c", "import scipy").Run() == nil {
			return py
		}
	}
	return ""
}

func pyList(xs []float64) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.FormatFloat(x, 'g', -1, 64)
	}
	return "[" + strings.Join(s, ",") + "]"
}

// BenchmarkMannWhitney is the cost of one normal-approximation test of two
// samples of 2,000 values.
func BenchmarkMannWhitney(b *testing.B) {
	x, y := sample(1, 2000, 1000), sample(2, 2000, 1100)
	b.ReportAllocs()
	for b.Loop() {
		MannWhitney(x, y)
	}
}

// bruteForceUCounts enumerates every way of choosing which m of the m+n
// pooled ranks belong to the first sample and counts the resulting U.
func bruteForceUCounts(m, n int) []float64 {
	counts := make([]float64, m*n+1)
	for mask := 0; mask < 1<<(m+n); mask++ {
		if bitsSet(mask) != m {
			continue
		}
		// U = pairs (first-sample rank > second-sample rank)
		u, seconds := 0, 0
		for r := 0; r < m+n; r++ {
			if mask&(1<<r) != 0 {
				u += seconds
			} else {
				seconds++
			}
		}
		counts[u]++
	}
	return counts
}

func bitsSet(v int) int {
	c := 0
	for ; v > 0; v &= v - 1 {
		c++
	}
	return c
}

// Hand enumeration for n1=3, n2=4: C(7,3) = 35 arrangements, counts of
// U = 0..12:
//
//	1 1 2 3 4 4 5 4 4 3 2 1 1
//
// so two-sided p = 2*P(U<=u) below the centre 6: U=0 -> 2/35, U=1 -> 4/35,
// U=2 -> 8/35, U=3 -> 14/35; U=6 gives 2*20/35 > 1, capped at 1.
func TestExactMannWhitneyForThreeAgainstFour(t *testing.T) {
	want := []float64{1, 1, 2, 3, 4, 4, 5, 4, 4, 3, 2, 1, 1}
	t.Run("the brute-force enumeration gives the hand-counted table", func(t *testing.T) {
		if got := bruteForceUCounts(3, 4); !slicesEqual(got, want) {
			t.Errorf("counts %v, want %v", got, want)
		}
	})
	for _, tc := range []struct {
		name string
		x, y []float64
		u, p float64
	}{
		{"the first sample entirely below the second gives U 0 and p 2/35", []float64{1, 2, 3}, []float64{4, 5, 6, 7}, 0, 2.0 / 35},
		{"one inversion gives U 1 and p 4/35", []float64{1, 2, 4}, []float64{3, 5, 6, 7}, 1, 4.0 / 35},
		{"U 3 gives p 14/35", []float64{1, 2, 6}, []float64{3, 4, 5, 7}, 3, 14.0 / 35},
		{"the first sample entirely above gives U 12 and p 2/35", []float64{5, 6, 7}, []float64{1, 2, 3, 4}, 12, 2.0 / 35},
		{"U at the centre of the distribution has p capped at 1", []float64{1, 4, 7}, []float64{2, 3, 5, 6}, 6, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := MannWhitney(tc.x, tc.y)
			if !got.Exact || got.U != tc.u || !near(got.P, tc.p, 1e-12) {
				t.Errorf("got %+v, want exact U=%v p=%v", got, tc.u, tc.p)
			}
		})
	}
}

func slicesEqual(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Critical values of U for a two-sided test at alpha = 0.05 from the
// textbook table (e.g. Zar, Biostatistical Analysis, table B.11; the same
// in every statistics text): U <= crit rejects, U = crit+1 does not. For
// 3 and 4 there is no critical value (the smallest p is 2/35 = 0.057).
func TestExactMannWhitneyReproducesTheTextbookCriticalValues(t *testing.T) {
	for _, tc := range []struct{ n1, n2, crit int }{
		{3, 5, 0}, {3, 6, 1}, {3, 7, 1}, {3, 8, 2},
		{4, 4, 0}, {4, 5, 1}, {4, 6, 2}, {4, 7, 3}, {4, 8, 4},
		{5, 5, 2}, {5, 6, 3}, {5, 7, 5}, {5, 8, 6},
		{6, 6, 5}, {6, 7, 6}, {6, 8, 8},
		{7, 7, 8}, {7, 8, 10}, {8, 8, 13}, {3, 4, -1},
	} {
		t.Run("n1="+strconv.Itoa(tc.n1)+" n2="+strconv.Itoa(tc.n2)+" rejects at U<="+strconv.Itoa(tc.crit), func(t *testing.T) {
			if tc.crit >= 0 {
				if p := exactMWP(tc.n1, tc.n2, tc.crit); p > 0.05 {
					t.Errorf("p(U=%d) = %v, want <= 0.05", tc.crit, p)
				}
			}
			if p := exactMWP(tc.n1, tc.n2, tc.crit+1); p <= 0.05 {
				t.Errorf("p(U=%d) = %v, want > 0.05", tc.crit+1, p)
			}
		})
	}
	t.Run("the recurrence agrees with brute-force enumeration for every U", func(t *testing.T) {
		for _, mn := range [][2]int{{1, 1}, {1, 5}, {2, 3}, {3, 4}, {4, 4}, {5, 6}, {6, 7}} {
			counts := bruteForceUCounts(mn[0], mn[1])
			var total float64
			for _, c := range counts {
				total += c
			}
			for u := range counts {
				var le, ge float64
				for k, c := range counts {
					if k <= u {
						le += c
					}
					if k >= u {
						ge += c
					}
				}
				want := math.Min(1, 2*math.Min(le, ge)/total)
				if got := exactMWP(mn[0], mn[1], u); !near(got, want, 1e-12) {
					t.Errorf("m=%d n=%d U=%d: p = %v, want %v", mn[0], mn[1], u, got, want)
				}
			}
		}
	})
}

// Normal approximation with ties where U equals its mean:
//
//	x=[1,1,2] y=[1,1,2]: pooled 1 1 1 1 2 2, mid-ranks 2.5 x4, 5.5 x2;
//	R1 = 2.5+2.5+5.5 = 10.5, U = 10.5-6 = 4.5 = mu. With the continuity
//	correction z = (0 - 0.5)/sigma < 0, 2*Phi(-z) > 1: p is capped at 1.
//
// A tie between the samples forces the approximation at any size:
//
//	x=[1,2,3] y=[3,4,5]: pooled 1 2 3 3 4 5, ranks 1 2 3.5 3.5 5 6;
//	R1 = 6.5, U = 0.5, mu = 4.5, ties (2^3-2) = 6, n = 6:
//	sigma^2 = 9/12*(7 - 6/30) = 5.1, z = (4 - 0.5)/sqrt(5.1) = 1.549826,
//	p = erfc(z/sqrt 2) = 0.121186.
func TestMannWhitneyNormalApproximationEdges(t *testing.T) {
	t.Run("U at its mean gives p exactly 1, not more", func(t *testing.T) {
		got := MannWhitney([]float64{1, 1, 2}, []float64{1, 1, 2})
		if got.Exact || got.U != 4.5 || got.P != 1 {
			t.Errorf("got %+v", got)
		}
	})
	t.Run("a tie across the samples uses the continuity- and tie-corrected normal p", func(t *testing.T) {
		got := MannWhitney([]float64{1, 2, 3}, []float64{3, 4, 5})
		z := 3.5 / math.Sqrt(5.1)
		if got.Exact || got.U != 0.5 || !near(got.P, math.Erfc(z/math.Sqrt2), 1e-12) {
			t.Errorf("got %+v, want U 0.5, p %v", got, math.Erfc(z/math.Sqrt2))
		}
	})
}
