package export

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/results"
)

// verdicts prints, for every comparison with the baseline, its verdict
// (median latency, significance-aware, with the accuracy clause) and the
// ratio of means in the homework's words on the same line; then the load sweep's
// conclusions, in the same section of the compact console and in their
// own LOAD SWEEP section of the detailed one.
func (v *consoleView) verdicts() {
	sw := v.res.Sweep
	if len(v.res.Comparisons) == 0 || v.detail {
		v.comparisons()
		writeSweepConsole(v.w, sw, v.run.Experiment)
		return
	}
	v.comparisons()
	if sw != nil {
		for _, l := range sweepConsoleLines(sw, v.run.Experiment) {
			fmt.Fprintln(v.w, "  "+l)
		}
	}
}

func (v *consoleView) comparisons() {
	if len(v.res.Comparisons) == 0 {
		return
	}
	v.title("SPEEDUP AND ACCURACY vs " + v.res.Baseline)
	level := ciLevel(v.run.Experiment)
	for i := range v.res.Comparisons {
		c := &v.res.Comparisons[i]
		line := "  " + verdictText(c)
		if s := meanSpeedupText(v.res, v.run.Experiment, c, level); s != "" {
			line += "; " + s
		}
		fmt.Fprintln(v.w, line)
	}
}

// timingTables prints the latency and TTFT tables: mean, min, max,
// median, p95, then the sample standard deviation and the coefficient of
// variation (consistency).
func (v *consoleView) timingTables() {
	stats := []string{"mean", "min", "max", "median", "p95", "stddev", "cv"}
	row := func(d results.Dist) []string {
		return []string{distText(d, d.Mean, 1), distText(d, d.Min, 1), distText(d, d.Max, 1), distText(d, d.P50, 1),
			distText(d, d.P95, 1), stddevText(d, 1), cvText(d)}
	}
	v.table("LATENCY (ms)", stats, func(g *results.GroupStats) []string { return row(g.LatencyMs) })
	v.table("TIME TO FIRST TOKEN (ms)", stats, func(g *results.GroupStats) []string { return row(g.TTFTMs) })
}

// throughputTable prints the token and request rates and the output
// tokens per request. Completed requests per second (request_throughput)
// is the throughput; open-loop groups also show the rate requests were
// sent at against the target, labelled as sent.
func (v *consoleView) throughputTable() {
	open := anyOpenLoop(v.res.Groups)
	header := []string{"tokens/s mean"}
	if v.detail {
		header = append(header, "tokens/s p50")
	}
	header = append(header, "aggregate tok/s", "output tok/req")
	if open {
		header = append(header, "sent req/s / target")
	}
	header = append(header, "completed req/s")
	v.table("THROUGHPUT", header, func(g *results.GroupStats) []string {
		row := []string{distText(g.TokensPerSec, g.TokensPerSec.Mean, 1)}
		if v.detail {
			row = append(row, distText(g.TokensPerSec, g.TokensPerSec.P50, 1))
		}
		row = append(row, fnum(g.Throughput, 1), tokensPerRequestText(g))
		if open {
			row = append(row, sendText(g))
		}
		return append(row, fnum(g.RequestThroughput, 2))
	})
	// A merged level whose shards did not send together is not the
	// configured load: say so under the table, on that level.
	for i := range v.res.Groups {
		if note := shardNote(&v.res.Groups[i]); note != "" {
			v.wrapped("  "+v.names[i]+":", note)
		}
	}
}

// successTable prints successes of requests and failures, then the
// failures by class as a list under the table, wrapped, never clipped.
func (v *consoleView) successTable() {
	if n, ok := allSucceeded(v.res.Groups); ok && !v.detail {
		fmt.Fprintf(v.w, "\nSUCCESS RATE: every request succeeded (%s in each of %d groups)\n", n, len(v.res.Groups))
		return
	}
	v.table("SUCCESS RATE", []string{"ok/count", "success", "failures"}, func(g *results.GroupStats) []string {
		rate := 0.0
		if g.Count > 0 {
			rate = float64(g.Successes) / float64(g.Count)
		}
		return []string{strconv.Itoa(g.Successes) + "/" + strconv.Itoa(g.Count), fshare(rate), strconv.Itoa(g.Failures)}
	})
	for i := range v.res.Groups {
		if len(v.res.Groups[i].Errors) == 0 {
			continue
		}
		for _, line := range wrapWords("  "+v.names[i]+" failures:", sortedErrors(v.res.Groups[i].Errors), "    ", consoleWidth) {
			fmt.Fprintln(v.w, line)
		}
	}
}

// accuracyTables prints EM and F1 (and the raw-content scores when
// score.report_raw asks for them), and SQuAD v2's answerability split.
func (v *consoleView) accuracyTables() {
	if line, all := noGoldLine(v.res.Groups); all {
		fmt.Fprintln(v.w)
		for _, l := range wrapWords("ACCURACY:", strings.Fields(line), "  ", consoleWidth) {
			fmt.Fprintln(v.w, l)
		}
		return
	}
	raw := v.run.Experiment == nil || v.run.Experiment.Score.ReportRaw
	header := []string{"EM", "F1", "truncated", "agreement"}
	if raw {
		header = []string{"EM", "F1", "raw EM", "raw F1", "truncated", "agreement"}
	}
	v.table("ACCURACY (%)", header, func(g *results.GroupStats) []string {
		if raw {
			return []string{fnum(g.EM.Mean, 1), fnum(g.F1.Mean, 1), fnum(g.RawEM.Mean, 1), fnum(g.RawF1.Mean, 1), strconv.Itoa(g.Truncated), agreementText(g)}
		}
		return []string{fnum(g.EM.Mean, 1), fnum(g.F1.Mean, 1), strconv.Itoa(g.Truncated), agreementText(g)}
	})
	if anyAnswerBreakdown(v.res.Groups) {
		v.table("ACCURACY BY ANSWERABILITY (%, SQuAD v2)", []string{"HasAns n", "HasAns EM", "HasAns F1", "NoAns n", "NoAns EM", "NoAns F1"}, func(g *results.GroupStats) []string {
			return append(breakdownCells(g.HasAns), breakdownCells(g.NoAns)...)
		})
	}
}

// smallSample matches aggregate's warning about percentiles that a
// group's successful requests are too few for.
var smallSample = regexp.MustCompile(`^only (\d+) successful requests, too few for reliable percentiles: (.*)$`)

// groupWarnings returns the groups' warnings, one line per kind: a
// warning several groups share (the same text, or the small-sample
// warning whatever the count) is one line saying how many groups have it
// ("percentiles need more requests (p99 needs >= 100): 6 groups, 24
// successful requests each"); a warning of one group
// is that group's label and the warning. names are the groups' labels.
func groupWarnings(groups []results.GroupStats, names []string) []string {
	type kind struct {
		text     string
		groups   []int
		min, max int // successful requests (small-sample warnings)
	}
	var kinds []*kind
	byKey := map[string]*kind{}
	for i := range groups {
		for _, w := range groups[i].Warnings {
			key, n := w, -1
			if m := smallSample.FindStringSubmatch(w); m != nil {
				key = "percentiles need more requests (" + m[2] + ")"
				n, _ = strconv.Atoi(m[1])
			}
			k := byKey[key]
			if k == nil {
				k = &kind{text: w, min: n, max: n}
				byKey[key] = k
				kinds = append(kinds, k)
			}
			k.groups = append(k.groups, i)
			k.min, k.max = min(k.min, n), max(k.max, n)
			if len(k.groups) > 1 {
				k.text = key
			}
		}
	}
	var out []string
	for _, k := range kinds {
		switch {
		case len(k.groups) == 1:
			out = append(out, names[k.groups[0]]+": "+k.text)
		case k.min < 0:
			var who []string
			for _, i := range k.groups {
				who = append(who, names[i])
			}
			out = append(out, fmt.Sprintf("%s: %d groups (%s)", k.text, len(k.groups), strings.Join(who, ", ")))
		case k.min == k.max:
			out = append(out, fmt.Sprintf("%s: %d groups, %d successful requests each", k.text, len(k.groups), k.min))
		default:
			out = append(out, fmt.Sprintf("%s: %d groups, %d to %d successful requests", k.text, len(k.groups), k.min, k.max))
		}
	}
	return out
}

// sweepConsoleLines are the load sweep's conclusions: the crossovers,
// each curve's best level under the SLO (one line for all curves), the
// first level past the knee of each curve, and the levels stopped early.
func sweepConsoleLines(sw *results.SweepResults, exp *config.Experiment) []string {
	var out []string
	for _, x := range sw.Crossovers {
		out = append(out, x.Statement)
	}
	if exp != nil && exp.SLO.Set() {
		var best []string
		for _, c := range sw.Curves {
			b := c.Best
			if b == "" {
				b = "none"
			}
			best = append(best, curveLabel(sw, c)+" "+b)
		}
		out = append(out, "best level within the SLO: "+strings.Join(best, ", "))
	}
	for _, c := range sw.Curves {
		if k := kneeLevel(c); k != nil {
			out = append(out, fmt.Sprintf("%s past the knee from %s: %s", curveLabel(sw, c), k.Level, k.SaturatedReason))
		}
		for _, p := range c.Points {
			switch {
			case strings.HasPrefix(p.SaturatedReason, results.KneeReason):
			case p.SaturatedReason != "":
				out = append(out, fmt.Sprintf("%s %s stopped early: %s", curveLabel(sw, c), p.Level, p.SaturatedReason))
			}
		}
	}
	return out
}

// allSucceeded reports whether every request of every group succeeded and
// every group has the same count, which it returns as "24/24".
func allSucceeded(groups []results.GroupStats) (string, bool) {
	if len(groups) == 0 {
		return "", false
	}
	for i := range groups {
		if g := &groups[i]; g.Failures > 0 || g.Count == 0 || g.Count != groups[0].Count {
			return "", false
		}
	}
	n := strconv.Itoa(groups[0].Count)
	return n + "/" + n, true
}
