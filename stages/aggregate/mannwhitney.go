package aggregate

import (
	"math"
	"slices"

	"gonum.org/v1/gonum/stat/distuv"
)

// MannWhitneyExactMaxN is the largest n1+n2 for which the p-value comes from
// the exact null distribution of U (when there are no ties).
const MannWhitneyExactMaxN = 20

// MannWhitneyResult is the outcome of a two-sided Mann-Whitney U test.
type MannWhitneyResult struct {
	// U is the statistic of the first sample: R1 - n1(n1+1)/2, where R1 is
	// the sum of its ranks in the pooled sample (ties get mid-ranks).
	U float64
	// P is the two-sided p-value in [0, 1].
	P float64
	// Exact reports whether P comes from the exact distribution.
	Exact bool
}

// MannWhitney runs a two-sided Mann-Whitney U (Wilcoxon rank-sum) test of x
// against y. When n1+n2 <= MannWhitneyExactMaxN and there are no ties, P is
// exact: 2·min(P(U <= u), P(U >= u)) under the null, capped at 1, counted
// over all C(n1+n2, n1) arrangements. Otherwise P uses the normal
// approximation with tie correction and continuity correction:
// sigma² = n1·n2/12 · ((n+1) - Σ(t³-t)/(n(n-1))), z = (|U - n1·n2/2| - 0.5)/sigma,
// P = min(1, 2·(1-Φ(z))), as scipy.stats.mannwhitneyu(method="asymptotic")
// does. An empty sample, or all values tied, gives P = 1.
func MannWhitney(x, y []float64) MannWhitneyResult {
	n1, n2 := len(x), len(y)
	if n1 == 0 || n2 == 0 {
		return MannWhitneyResult{P: 1}
	}
	type obs struct {
		v     float64
		first bool
	}
	all := make([]obs, 0, n1+n2)
	for _, v := range x {
		all = append(all, obs{v, true})
	}
	for _, v := range y {
		all = append(all, obs{v, false})
	}
	slices.SortFunc(all, func(a, b obs) int {
		switch {
		case a.v < b.v:
			return -1
		case a.v > b.v:
			return 1
		}
		return 0
	})
	n := n1 + n2
	var r1, tieSum float64
	ties := false
	for i := 0; i < n; {
		j := i + 1
		for j < n && all[j].v == all[i].v {
			j++
		}
		rank := float64(i+1+j) / 2 // mid-rank of positions i+1..j
		for k := i; k < j; k++ {
			if all[k].first {
				r1 += rank
			}
		}
		if t := float64(j - i); t > 1 {
			ties = true
			tieSum += t*t*t - t
		}
		i = j
	}
	u := r1 - float64(n1)*float64(n1+1)/2
	res := MannWhitneyResult{U: u}
	if n <= MannWhitneyExactMaxN && !ties {
		res.Exact = true
		res.P = exactMWP(n1, n2, int(math.Round(u)))
		return res
	}
	mu := float64(n1) * float64(n2) / 2
	nf := float64(n)
	v := float64(n1) * float64(n2) / 12 * ((nf + 1) - tieSum/(nf*(nf-1)))
	if v <= 0 {
		res.P = 1
		return res
	}
	z := (math.Abs(u-mu) - 0.5) / math.Sqrt(v)
	// Φ(-z) rather than distuv's Survival(z), which is 1 - erf and rounds
	// p-values below about 1e-16 to 0.
	res.P = min(1, 2*distuv.UnitNormal.CDF(-z))
	return res
}

// exactMWP is the exact two-sided p-value of U = u for samples of m and n
// without ties. It counts arrangements with the recurrence
// f(m, n, u) = f(m-1, n, u-n) + f(m, n-1, u) (the last pooled value belongs
// to the first sample, adding n to U, or to the second).
func exactMWP(m, n, u int) float64 {
	// f[i][j] is the count vector of U for sizes i and j.
	f := make([][][]float64, m+1)
	for i := range f {
		f[i] = make([][]float64, n+1)
		for j := range f[i] {
			c := make([]float64, i*j+1)
			if i == 0 || j == 0 {
				c[0] = 1
			} else {
				for k := range c {
					if k-j >= 0 && k-j < len(f[i-1][j]) {
						c[k] += f[i-1][j][k-j]
					}
					if k < len(f[i][j-1]) {
						c[k] += f[i][j-1][k]
					}
				}
			}
			f[i][j] = c
		}
	}
	counts := f[m][n]
	var total, le, ge float64
	for k, c := range counts {
		total += c
		if k <= u {
			le += c
		}
		if k >= u {
			ge += c
		}
	}
	return min(1, 2*min(le, ge)/total)
}
