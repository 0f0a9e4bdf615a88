package export

import (
	"strings"

	"github.com/inferbench/inferbench/pipeline/results"
)

// valueKind says how a summary or request value is formatted.
type valueKind int

const (
	kindText  valueKind = iota // user data or model output: a string
	kindInt                    // a count
	kindMs                     // milliseconds, 1 decimal
	kindNum                    // a plain number, 2 decimals
	kindPct                    // a percentage already scaled 0..100 (EM, F1), 2 decimals
	kindShare                  // a share 0..1 shown as a percentage
	kindBool                   // true/false
	kindP                      // a p-value, scientific (pValueFormat)
)

// better says which direction of a column is best (for highlighting).
type better int

const (
	betterNone better = iota
	betterLow
	betterHigh
)

// column is one summary column: a name, a format and how to read it from a
// group and its comparison (c may be nil). value returns nil for an empty cell,
// else a string, int, float64 or bool.
type column struct {
	name  string
	kind  valueKind
	best  better
	value func(g *results.GroupStats, c *results.Comparison) any
}

// distFamily is one Dist field of GroupStats flattened into columns. unit
// is the suffix of the columns that carry the family's unit (not n, cv).
// score marks the per-request scores (EM is 0 or 1 per request, F1 mostly
// so): their percentiles, min and max say nothing, so only n, mean, stddev
// and the CI are shown.
type distFamily struct {
	prefix, unit string
	kind         valueKind
	best         better
	get          func(g *results.GroupStats) *results.Dist
	score        bool
}

var distFamilies = []distFamily{
	{"latency", "_ms", kindMs, betterLow, func(g *results.GroupStats) *results.Dist { return &g.LatencyMs }, false},
	{"ttft", "_ms", kindMs, betterLow, func(g *results.GroupStats) *results.Dist { return &g.TTFTMs }, false},
	{"ttfc", "_ms", kindMs, betterLow, func(g *results.GroupStats) *results.Dist { return &g.TTFCMs }, false},
	{"tpot", "_ms", kindMs, betterLow, func(g *results.GroupStats) *results.Dist { return &g.TPOTMs }, false},
	{"itl", "_ms", kindMs, betterLow, func(g *results.GroupStats) *results.Dist { return &g.ITLMs }, false},
	{"queue", "_ms", kindMs, betterNone, func(g *results.GroupStats) *results.Dist { return &g.QueueMs }, false},
	{"tokens_per_sec", "", kindNum, betterHigh, func(g *results.GroupStats) *results.Dist { return &g.TokensPerSec }, false},
	{"em", "_pct", kindPct, betterHigh, func(g *results.GroupStats) *results.Dist { return &g.EM }, true},
	{"f1", "_pct", kindPct, betterHigh, func(g *results.GroupStats) *results.Dist { return &g.F1 }, true},
	{"raw_em", "_pct", kindPct, betterHigh, func(g *results.GroupStats) *results.Dist { return &g.RawEM }, true},
	{"raw_f1", "_pct", kindPct, betterHigh, func(g *results.GroupStats) *results.Dist { return &g.RawF1 }, true},
}

// distStat is one field of a Dist; ranked says whether "best" applies to
// it, unitless that it has no unit (a count or a ratio), score that it is
// shown for score families too.
type distStat struct {
	name                    string
	ranked, unitless, score bool
	get                     func(d *results.Dist) float64
}

var distStats = []distStat{
	{"n", false, true, true, func(d *results.Dist) float64 { return float64(d.N) }},
	{"mean", true, false, true, func(d *results.Dist) float64 { return d.Mean }},
	{"stddev", false, false, true, func(d *results.Dist) float64 { return d.Stddev }},
	{"cv", false, true, false, func(d *results.Dist) float64 { return d.CV }},
	{"min", true, false, false, func(d *results.Dist) float64 { return d.Min }},
	{"max", true, false, false, func(d *results.Dist) float64 { return d.Max }},
	{"p50", true, false, false, func(d *results.Dist) float64 { return d.P50 }},
	{"p90", true, false, false, func(d *results.Dist) float64 { return d.P90 }},
	{"p95", true, false, false, func(d *results.Dist) float64 { return d.P95 }},
	{"p99", true, false, false, func(d *results.Dist) float64 { return d.P99 }},
	{"ci_low", false, false, true, func(d *results.Dist) float64 { return d.CILow }},
	{"ci_high", false, false, true, func(d *results.Dist) float64 { return d.CIHigh }},
}

// summaryColumns returns the summary columns for res in their documented
// order (see SummaryHeader).
func summaryColumns(res *results.Results) []column {
	cols := groupColumns(res)
	cols = append(cols, distColumns()...)
	cols = append(cols, figureColumns(res)...)
	cols = append(cols, comparisonColumns()...)
	cols = append(cols,
		column{"errors", kindText, betterNone, func(g *results.GroupStats, _ *results.Comparison) any {
			return strings.Join(sortedErrors(g.Errors), ";")
		}},
	)
	cols = append(cols, clientColumns(res)...)
	cols = append(cols, serverColumns(res)...)
	return cols
}

// groupColumns are the columns that say which group a row is (platform,
// model, the load level of a sweep, temperature) and how its requests
// ended.
func groupColumns(res *results.Results) []column {
	cols := []column{
		{"platform", kindText, betterNone, func(g *results.GroupStats, _ *results.Comparison) any { return g.Platform }},
		{"model", kindText, betterNone, func(g *results.GroupStats, _ *results.Comparison) any { return g.Model }},
		{"temperature", kindNum, betterNone, func(g *results.GroupStats, _ *results.Comparison) any { return g.Temperature }},
		{"count", kindInt, betterNone, func(g *results.GroupStats, _ *results.Comparison) any { return g.Count }},
		{"successes", kindInt, betterNone, func(g *results.GroupStats, _ *results.Comparison) any { return g.Successes }},
		{"failures", kindInt, betterNone, func(g *results.GroupStats, _ *results.Comparison) any { return g.Failures }},
		{"error_rate", kindShare, betterLow, func(g *results.GroupStats, _ *results.Comparison) any { return g.ErrorRate }},
	}
	if res.Sweep != nil {
		load := column{"load", kindText, betterNone, func(g *results.GroupStats, _ *results.Comparison) any { return g.Level }}
		cols = append(cols[:3], append([]column{load}, cols[3:]...)...)
	}
	return cols
}

// distColumns are the statistics of every distribution family
// (distFamilies x distStats), named <family>_<stat><unit>.
func distColumns() []column {
	var cols []column
	for _, fam := range distFamilies {
		for _, st := range distStats {
			if fam.score && !st.score {
				continue
			}
			unit := fam.unit
			if st.unitless {
				unit = ""
			}
			kind, best := fam.kind, betterNone
			if st.ranked {
				best = fam.best
			}
			switch st.name {
			case "n":
				kind = kindInt
			case "cv":
				kind = kindNum
			}
			get, stat := fam.get, st.get
			v := func(g *results.GroupStats, _ *results.Comparison) any {
				d := get(g)
				if kind == kindInt {
					return d.N
				}
				if d.N == 0 {
					return missing // no values: no mean, not a mean of 0
				}
				return stat(d)
			}
			cols = append(cols, column{fam.prefix + "_" + st.name + unit, kind, best, v})
		}
	}
	return cols
}

// figureColumns are the group's single figures: counts, rates, tokens,
// goodput, and one metric_<name> column per custom metric of res.
func figureColumns(res *results.Results) []column {
	cols := []column{
		column{"warmups", kindInt, betterNone, func(g *results.GroupStats, _ *results.Comparison) any { return g.Warmups }},
		column{"truncated", kindInt, betterNone, func(g *results.GroupStats, _ *results.Comparison) any { return g.Truncated }},
		column{"throughput", kindNum, betterHigh, func(g *results.GroupStats, _ *results.Comparison) any { return g.Throughput }},
		column{"wall_seconds", kindNum, betterNone, func(g *results.GroupStats, _ *results.Comparison) any { return g.WallSeconds }},
		column{"request_throughput", kindNum, betterHigh, func(g *results.GroupStats, _ *results.Comparison) any { return g.RequestThroughput }},
		column{"target_rate", kindNum, betterNone, func(g *results.GroupStats, _ *results.Comparison) any { return g.TargetRate }},
		column{"send_rate", kindNum, betterNone, func(g *results.GroupStats, _ *results.Comparison) any { return g.SendRate }},
		column{"prompt_tokens", kindInt, betterNone, func(g *results.GroupStats, _ *results.Comparison) any {
			if g.PromptTokens == 0 {
				return missing // no server reported input tokens
			}
			return g.PromptTokens
		}},
		column{"output_tokens", kindInt, betterNone, func(g *results.GroupStats, _ *results.Comparison) any { return g.OutputTokens }},
		column{"output_tokens_estimated", kindInt, betterNone, func(g *results.GroupStats, _ *results.Comparison) any { return g.OutputTokensEstimated }},
		column{"output_tokens_counted", kindInt, betterNone, func(g *results.GroupStats, _ *results.Comparison) any { return g.OutputTokensCounted }},
		column{"usage_prompt_token_diff_pct", kindNum, betterNone, func(g *results.GroupStats, _ *results.Comparison) any { return optional(g.UsagePromptTokenDiffPct) }},
		column{"usage_output_token_diff_pct", kindNum, betterNone, func(g *results.GroupStats, _ *results.Comparison) any { return optional(g.UsageOutputTokenDiffPct) }},
		column{"reasoning_tokens", kindInt, betterNone, func(g *results.GroupStats, _ *results.Comparison) any { return g.ReasoningTokens }},
		column{"agreement", kindShare, betterNone, func(g *results.GroupStats, _ *results.Comparison) any { return g.Agreement }},
		column{"goodput", kindShare, betterHigh, func(g *results.GroupStats, _ *results.Comparison) any { return g.Goodput }},
		column{"goodput_rate", kindNum, betterHigh, func(g *results.GroupStats, _ *results.Comparison) any { return g.GoodputRate }},
	}
	for _, name := range metricNames(res.Groups) {
		cols = append(cols, column{"metric_" + name, kindNum, betterNone, func(g *results.GroupStats, _ *results.Comparison) any {
			if v, ok := metricValue(g, name); ok {
				return v
			}
			return nil
		}})
	}
	return cols
}

// comparisonColumns are the figures of the row's comparison with the
// baseline (speedups, their CI and test, accuracy deltas); empty where
// a row has none.
func comparisonColumns() []column {
	cmp := func(f func(c *results.Comparison) any) func(*results.GroupStats, *results.Comparison) any {
		return func(_ *results.GroupStats, c *results.Comparison) any {
			if c == nil {
				return nil
			}
			return f(c)
		}
	}
	cols := []column{
		column{"speedup_median", kindNum, betterHigh, cmp(func(c *results.Comparison) any { return speedupValue(c, c.SpeedupMedian) })},
		column{"speedup_mean", kindNum, betterHigh, cmp(func(c *results.Comparison) any { return speedupValue(c, c.SpeedupMean) })},
		column{"speedup_ci_low", kindNum, betterNone, cmp(func(c *results.Comparison) any { return speedupValue(c, c.CILow) })},
		column{"speedup_ci_high", kindNum, betterNone, cmp(func(c *results.Comparison) any { return speedupValue(c, c.CIHigh) })},
		column{"speedup_p_value", kindP, betterNone, cmp(func(c *results.Comparison) any { return speedupValue(c, c.PValue) })},
		column{"speedup_significant", kindBool, betterNone, cmp(func(c *results.Comparison) any { return c.Significant })},
	}
	for _, a := range comparisonAccuracyColumns {
		cols = append(cols, column{a.name, a.kind, betterNone, cmp(a.value)})
	}
	return cols
}

// SummaryHeader returns the header of summary.csv and of the workbook's
// Summary sheet, which share one stable column order: platform, model,
// temperature, (load, only when a platform runs several load levels), count, successes, failures, error_rate; then for each of
// latency, ttft, ttfc, tpot, itl, queue (suffix _ms) and tokens_per_sec the
// fields n, mean, stddev, cv, min, max, p50, p90, p95, p99, ci_low, ci_high,
// and for each of em, f1, raw_em, raw_f1 (suffix _pct; per-request scores
// are 0 or 1, so they have no percentiles) n, mean, stddev, ci_low, ci_high
// (e.g. latency_n, latency_mean_ms, latency_cv, f1_ci_high_pct);
// then warmups, truncated, throughput, wall_seconds, request_throughput,
// target_rate, send_rate, prompt_tokens ("-" when no server reported input
// tokens), output_tokens, output_tokens_estimated, output_tokens_counted,
// usage_prompt_token_diff_pct, usage_output_token_diff_pct (empty when no
// request had both usage and a local count), reasoning_tokens, agreement,
// goodput, goodput_rate; then metric_<name> for every derived metric in
// declaration order; then speedup_median, speedup_mean, speedup_ci_low,
// speedup_ci_high, speedup_p_value, speedup_significant, delta_f1,
// delta_f1_ci_low, delta_f1_ci_high, delta_f1_p_value,
// delta_f1_significant, the same five for delta_em, n_paired (empty for
// groups without a comparison, e.g. the baseline) and errors
// ("class=n;..."); then, when the client measured its health, client_bound,
// client_bound_reason, client_sched_latency_p99_ms, client_cpu_pct,
// client_cores, client_send_lag_p50_ms, client_send_lag_p99_ms and
// client_errors; then, when a metrics endpoint was scraped (see
// serverColumns), server_samples, server_running_mean, server_running_max,
// server_waiting_mean, server_waiting_max, server_kv_cache_usage_mean,
// server_kv_cache_usage_max (shares 0..1), server_preemptions and
// server_prefix_cache_hit_rate. Shares (error_rate, agreement, goodput) are 0..1; EM and
// F1 are percentages 0..100. A figure that does not exist is "-": the
// statistics of a distribution with n 0 (e.g. latency without a successful
// request), the speedup figures of a comparison involving such a group,
// and the accuracy differences without paired questions. res must not be
// nil.
func SummaryHeader(res *results.Results) []string {
	cols := summaryColumns(res)
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.name
	}
	return out
}

// optional is *v, or nil (an empty cell) for nil.
func optional(v *float64) any {
	if v == nil {
		return nil
	}
	return *v
}
