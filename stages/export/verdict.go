package export

import (
	"fmt"

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
