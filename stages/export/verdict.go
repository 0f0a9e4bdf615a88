package export

import (
	"fmt"
	"strconv"

	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/results"
	"github.com/inferbench/inferbench/stages/aggregate"
)

// missing is how every human-facing export (console, report, CSV,
// workbook) shows a figure that does not exist, e.g. the latency of a group
// without a successful request; results.json writes null.
const missing = "-"

// distText renders v, a figure of d, with dec decimals, or missing when d
// has no values.
func distText(d results.Dist, v float64, dec int) string {
	if d.N == 0 {
		return missing
	}
	return fnum(v, dec)
}

// verdictText returns the comparison's verdict. Results that carry none
// (built by hand, or by an older version) get aggregate.Verdict's wording
// at the default confidence level, the platform names standing for the
// groups; without the groups' request counts a comparison with a speedup
// is taken to have enough requests, and one without to have none.
func verdictText(c *results.Comparison) string {
	if c.Verdict != "" {
		return c.Verdict
	}
	n := 0
	if c.HasSpeedup() {
		n = 2
	}
	return aggregate.Verdict(c.Platform, c.Baseline.Platform, *c, config.DefaultConfidence, n, n)
}

// speedupValue is v, a speedup figure of c, for a table cell: missing when
// c compares no latencies.
func speedupValue(c *results.Comparison, v float64) any {
	if !c.HasSpeedup() {
		return missing
	}
	return v
}

// deltaText renders a paired accuracy difference in points with its CI,
// "-50.0 [-65.0, -35.0]", or missing without paired questions.
func deltaText(c *results.Comparison, d, lo, hi float64) string {
	switch {
	case c.NPaired == 0:
		return missing
	case c.NPaired < 2:
		return fmt.Sprintf("%+.1f", d)
	}
	return fmt.Sprintf("%+.1f [%.1f, %.1f]", d, lo, hi)
}

// comparisonAccuracyColumn is one paired accuracy column of summary.csv,
// the Summary sheet and the Comparison sheet.
type comparisonAccuracyColumn struct {
	name  string
	kind  valueKind
	value func(c *results.Comparison) any
}

// comparisonAccuracyColumns are the paired accuracy columns, in order:
// delta_f1 with its ci_low, ci_high, p_value and significant, the same for
// delta_em, then n_paired. Without paired questions the figures are missing.
var comparisonAccuracyColumns = func() []comparisonAccuracyColumn {
	paired := func(f func(c *results.Comparison) float64) func(c *results.Comparison) any {
		return func(c *results.Comparison) any {
			if c.NPaired == 0 {
				return missing
			}
			return f(c)
		}
	}
	return []comparisonAccuracyColumn{
		{"delta_f1", kindNum, paired(func(c *results.Comparison) float64 { return c.DeltaF1 })},
		{"delta_f1_ci_low", kindNum, paired(func(c *results.Comparison) float64 { return c.DeltaF1CILow })},
		{"delta_f1_ci_high", kindNum, paired(func(c *results.Comparison) float64 { return c.DeltaF1CIHigh })},
		{"delta_f1_p_value", kindP, paired(func(c *results.Comparison) float64 { return c.DeltaF1PValue })},
		{"delta_f1_significant", kindBool, func(c *results.Comparison) any { return c.DeltaF1Significant }},
		{"delta_em", kindNum, paired(func(c *results.Comparison) float64 { return c.DeltaEM })},
		{"delta_em_ci_low", kindNum, paired(func(c *results.Comparison) float64 { return c.DeltaEMCILow })},
		{"delta_em_ci_high", kindNum, paired(func(c *results.Comparison) float64 { return c.DeltaEMCIHigh })},
		{"delta_em_p_value", kindP, paired(func(c *results.Comparison) float64 { return c.DeltaEMPValue })},
		{"delta_em_significant", kindBool, func(c *results.Comparison) any { return c.DeltaEMSignificant }},
		{"n_paired", kindInt, func(c *results.Comparison) any { return c.NPaired }},
	}
}()

// accuracyColumnNames are the names of comparisonAccuracyColumns.
func accuracyColumnNames() []string {
	out := make([]string, len(comparisonAccuracyColumns))
	for i, a := range comparisonAccuracyColumns {
		out[i] = a.name
	}
	return out
}

// stddevText renders d's sample (n-1) standard deviation, missing with
// fewer than 2 values, where it does not exist.
func stddevText(d results.Dist, dec int) string {
	if d.N < 2 {
		return missing
	}
	return fnum(d.Stddev, dec)
}

// cvText renders d's coefficient of variation (stddev / mean), missing
// with fewer than 2 values or a mean of 0.
func cvText(d results.Dist) string {
	if d.N < 2 || d.Mean == 0 {
		return missing
	}
	return fnum(d.CV, 2)
}

// tokensPerRequestText renders the mean output tokens per successful
// request with the reasoning tokens among them, "123.0 (100.0 reasoning)";
// missing without a successful request.
func tokensPerRequestText(g *results.GroupStats) string {
	if g.Successes == 0 {
		return missing
	}
	s := fnum(g.OutputTokensMean, 1)
	if g.ReasoningTokensMean > 0 {
		s += " (" + fnum(g.ReasoningTokensMean, 1) + " reasoning)"
	}
	return s
}

// tokensPerRequestSentence says the same in words for the report:
// "metis: 123.0 output tokens per successful request, 100.0 of them
// reasoning (81%)"; "" without a successful request.
func tokensPerRequestSentence(label string, g *results.GroupStats) string {
	if g.Successes == 0 {
		return ""
	}
	s := fmt.Sprintf("%s: %.1f output tokens per successful request", label, g.OutputTokensMean)
	if g.ReasoningTokensMean > 0 && g.OutputTokensMean > 0 {
		s += fmt.Sprintf(", %.1f of them reasoning (%.0f%%)", g.ReasoningTokensMean, 100*g.ReasoningTokensMean/g.OutputTokensMean)
	}
	return s
}

// comparisonName names a compared group in a sentence: its platform as the
// user wrote it, with "/model" when the platform has groups of several
// models, and the temperature and load level when the groups differ by them.
func comparisonName(res *results.Results, exp *config.Experiment, k results.GroupKey) string {
	s := k.Platform
	for i := range res.Groups {
		if g := res.Groups[i]; g.Platform == k.Platform && g.Model != k.Model {
			s += "/" + k.Model
			break
		}
	}
	if multiTemperature(res.Groups) {
		s += " at temperature " + strconv.FormatFloat(k.Temperature, 'g', -1, 64)
	}
	return s + exp.LevelPhrase(k.Platform, k.Level)
}

// meanSpeedupText states the ratio of mean latencies in the homework's
// words, "metis is 1.59x faster than sophia by mean latency (95% CI
// 1.41-1.80)", a slowdown as its inverse factor; the verdict stays the
// median-based, significance-aware statement. level is the CI's level
// ("95%"). "" when the comparison has no latencies.
func meanSpeedupText(res *results.Results, exp *config.Experiment, c *results.Comparison, level string) string {
	if !c.HasSpeedup() || c.SpeedupMean <= 0 {
		return ""
	}
	name, base := comparisonName(res, exp, c.GroupKey), c.Baseline.Platform
	r, lo, hi, word := c.SpeedupMean, c.SpeedupMeanCILow, c.SpeedupMeanCIHigh, "faster"
	if r < 1 {
		word, r = "slower", 1/r
		if lo > 0 && hi > 0 {
			lo, hi = 1/hi, 1/lo
		}
	}
	s := fmt.Sprintf("%s is %.2fx %s than %s by mean latency", name, r, word, base)
	switch {
	case lo <= 0 || hi <= 0:
	case lo <= 1 && 1 <= hi:
		s += fmt.Sprintf(" (%s CI %.2f-%.2f, which includes 1: not significant)", level, lo, hi)
	default:
		s += fmt.Sprintf(" (%s CI %.2f-%.2f)", level, lo, hi)
	}
	return s
}
