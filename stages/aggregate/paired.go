package aggregate

import (
	"math"
	"strings"

	"github.com/inferbench/inferbench/pipeline/results"
	"gonum.org/v1/gonum/stat/distuv"
)

// MaxExactSignFlip is the largest number of nonzero paired differences
// whose sign-flip p-value is computed exactly, over all 2^n sign patterns;
// above it the patterns are sampled (see SignFlipP).
const MaxExactSignFlip = 16

// SignFlipP returns the two-sided p-value of a paired sign-flip
// permutation test of "the differences d are symmetric about 0" (no
// difference between the paired groups): the share of sign patterns
// (each difference kept or negated) whose sum is at least as far from 0 as
// the observed sum. Zero differences change no sum and are left out. With
// at most MaxExactSignFlip nonzero differences every pattern is counted
// (exact); up to BootstrapMaxN, b.Resamples random patterns from the
// stream of label are counted, p = (1 + as extreme) / (1 + resamples), so
// p is never 0; above, the normal approximation z = |Σd| / √(Σd²). It is 1
// when no difference is nonzero. The test uses only the signs' symmetry,
// not normality, so it suits bounded, lumpy scores such as per-question
// EM. The result depends on the order of d (callers pass a canonical one).
func (b Bootstrap) SignFlipP(label string, d []float64) float64 {
	nz := make([]float64, 0, len(d))
	var obs, scale, ss float64
	for _, x := range d {
		if x != 0 {
			nz = append(nz, x)
			obs += x
			scale += math.Abs(x)
			ss += x * x
		}
	}
	n := len(nz)
	if n == 0 {
		return 1
	}
	// a pattern is as extreme when |sum| >= |obs| up to rounding
	limit := math.Abs(obs) - 1e-9*scale
	switch {
	case n <= MaxExactSignFlip:
		extreme := 0
		for mask := uint32(0); mask < 1<<n; mask++ {
			var s float64
			for i, x := range nz {
				if mask&(1<<i) != 0 {
					s -= x
				} else {
					s += x
				}
			}
			if math.Abs(s) >= limit {
				extreme++
			}
		}
		return float64(extreme) / float64(uint32(1)<<n)
	case n > BootstrapMaxN:
		return math.Min(1, 2*distuv.UnitNormal.Survival(math.Abs(obs)/math.Sqrt(ss)))
	}
	r := b.rng(label)
	extreme := 0
	for range b.Resamples {
		var s float64
		for i := 0; i < n; i += 64 {
			signs := r.Uint64()
			for j, x := range nz[i:min(i+64, n)] {
				if signs&(1<<j) != 0 {
					s -= x
				} else {
					s += x
				}
			}
		}
		if math.Abs(s) >= limit {
			extreme++
		}
	}
	return float64(1+extreme) / float64(1+b.Resamples)
}

// pairQuestions returns, for the questions both g and base asked (sample
// ids in ascending order), the per-question differences g - base of the
// question means of EM and F1 (points).
func pairQuestions(g, base *group) (dEM, dF1 []float64) {
	i, j := 0, 0
	for i < len(g.questions) && j < len(base.questions) {
		switch c := strings.Compare(g.questions[i], base.questions[j]); {
		case c < 0:
			i++
		case c > 0:
			j++
		default:
			dEM = append(dEM, g.qEM[i]-base.qEM[j])
			dF1 = append(dF1, g.qF1[i]-base.qF1[j])
			i++
			j++
		}
	}
	return dEM, dF1
}

// compareAccuracy fills c's paired accuracy fields (see
// results.Comparison): the mean per-question difference, its bootstrap
// CI over resampled questions (MeanCI of the differences: drawing a
// question draws its pair of means) and the sign-flip p-value.
func compareAccuracy(c *results.Comparison, g, base *group, bs Bootstrap) {
	dEM, dF1 := pairQuestions(g, base)
	c.NPaired = len(dF1)
	c.DeltaEMPValue, c.DeltaF1PValue = 1, 1
	if c.NPaired == 0 {
		return
	}
	label := "accuracy/" + keyLabel(g.stats.GroupKey) + "/vs/" + keyLabel(base.stats.GroupKey) + "/"
	one := func(name string, d []float64) (delta, lo, hi, p float64, sig bool) {
		delta = Mean(d)
		lo, hi = bs.MeanCI(label+name, d)
		p = bs.SignFlipP(label+name+"/signflip", d) // its own random stream, as every figure has
		sig = len(d) >= 2 && (lo > 0 || hi < 0) && p < 1-bs.Level
		return
	}
	c.DeltaEM, c.DeltaEMCILow, c.DeltaEMCIHigh, c.DeltaEMPValue, c.DeltaEMSignificant = one("em", dEM)
	c.DeltaF1, c.DeltaF1CILow, c.DeltaF1CIHigh, c.DeltaF1PValue, c.DeltaF1Significant = one("f1", dF1)
}
