package export

import (
	"fmt"
	"strconv"

	"github.com/inferbench/inferbench/pipeline"
	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/results"
)

func resultsSection(res *results.Results, level string) reportSection {
	s := reportSection{Title: "Results"}
	s.Paragraphs = []string{"Times in ms; mean with its " + level + " confidence interval in brackets; percentiles by " + res.PercentileMethod + "."}
	t := reportTable{
		Header: []string{"Group", "OK / n", "Errors", "Latency mean", "p50", "p95", "TTFT mean", "TTFT p50", "Tokens/s", "Throughput tok/s", "Goodput", "EM %", "F1 %"},
		Right:  []bool{false, true, true, true, true, true, true, true, true, true, true, true, true},
	}
	t.Header = append(t.Header, "Completed req/s")
	t.Right = append(t.Right, true)
	names := markClientBound(res.Groups, labels(res.Groups))
	for i, g := range res.Groups {
		t.Rows = append(t.Rows, []string{names[i],
			fmt.Sprintf("%d / %d", g.Successes, g.Count), fshare(g.ErrorRate),
			withCI(g.LatencyMs, 1), distText(g.LatencyMs, g.LatencyMs.P50, 1), distText(g.LatencyMs, g.LatencyMs.P95, 1),
			withCI(g.TTFTMs, 1), distText(g.TTFTMs, g.TTFTMs.P50, 1), withCI(g.TokensPerSec, 1), fnum(g.Throughput, 1),
			fshare(g.Goodput), withCI(g.EM, 1), withCI(g.F1, 1), joinNote(fnum(g.RequestThroughput, 2), shardNote(&g))})
		s.Bullets = append(s.Bullets, tokenNotes(names[i], &g)...)
	}
	s.Tables = append(s.Tables, t)
	s.Paragraphs = append(s.Paragraphs, "Consistency and tokens: latency's range, the sample (n-1) standard deviation and the coefficient of variation (stddev / mean) of latency and TTFT (ms), and the mean output tokens per successful request with the reasoning tokens among them.")
	s.Tables = append(s.Tables, consistencyTable(res.Groups, names))
	for i := range res.Groups {
		if g := &res.Groups[i]; g.ReasoningTokensMean > 0 {
			s.Bullets = append(s.Bullets, tokensPerRequestSentence(names[i], g))
		}
	}
	if anyOpenLoop(res.Groups) {
		s.Paragraphs = append(s.Paragraphs, "Open-loop groups: the send rate (requests sent, failed ones included / sending time) against the configured rate, and the client queue time (actual send - scheduled send, ms), which is never part of TTFT or latency.")
		q := reportTable{
			Header: []string{"Group", "Target req/s", "Sent req/s", "Queue p50 (ms)", "Queue p99 (ms)", "Queue max (ms)"},
			Right:  []bool{false, true, true, true, true, true},
		}
		for i, g := range res.Groups {
			if g.TargetRate <= 0 {
				continue
			}
			q.Rows = append(q.Rows, []string{names[i], strconv.FormatFloat(g.TargetRate, 'g', -1, 64),
				fnum(g.SendRate, 2), distText(g.QueueMs, g.QueueMs.P50, 2), distText(g.QueueMs, g.QueueMs.P99, 2), distText(g.QueueMs, g.QueueMs.Max, 2)})
		}
		s.Tables = append(s.Tables, q)
	}
	return s
}

func speedupSection(res *results.Results, exp *config.Experiment, level string) reportSection {
	s := reportSection{Title: "Speedup against the baseline (" + res.Baseline + ")"}
	multi := multiTemperature(res.Groups)
	s.Paragraphs = []string{"Speedup = baseline median latency / group median latency; > 1 means faster. Speedup (mean) is the ratio of mean latencies, with its own bootstrap CI [in brackets]. A platform is called faster or slower only when the confidence interval excludes 1; the p-value is a two-sided Mann-Whitney U test on latency. \"-\": a group without a successful request has no latency to compare.",
		"ΔF1 and ΔEM are paired over the questions both groups asked: per question the mean over its repeats in each group, then the mean difference (points), with a bootstrap CI over resampled questions [in brackets] and the p-value of a paired sign-flip permutation test on the per-question differences. The verdict calls a platform more or less accurate only when the CI excludes 0 and p < 1 - confidence; when the two disagree it calls nothing and says why (on few questions the bootstrap interval is too narrow, while the exact test cannot go below p = 2/2^n)."}
	t := reportTable{
		Header: []string{"Group", "Baseline", "Speedup (median)", level + " CI", "Speedup (mean)", "p-value", "Significant", "ΔF1 (points)", "ΔF1 p-value", "ΔEM (points)", "Paired questions"},
		Right:  []bool{false, false, true, true, true, true, false, true, true, true, true},
	}
	for _, c := range res.Comparisons {
		sig := "no"
		if c.Significant {
			sig = "yes"
		}
		mean := fnum(c.SpeedupMean, 2) + "x"
		if c.SpeedupMeanCILow > 0 || c.SpeedupMeanCIHigh > 0 {
			mean += " [" + fnum(c.SpeedupMeanCILow, 2) + "–" + fnum(c.SpeedupMeanCIHigh, 2) + "]"
		}
		speedup := []string{fnum(c.SpeedupMedian, 2) + "x", fnum(c.CILow, 2) + "–" + fnum(c.CIHigh, 2), mean, formatP(c.PValue)}
		if !c.HasSpeedup() {
			speedup = []string{missing, missing, missing, missing}
		}
		accP := missing
		if c.NPaired > 0 {
			accP = formatP(c.DeltaF1PValue)
		}
		t.Rows = append(t.Rows, append(append([]string{groupLabel(c.GroupKey, multi), groupLabel(c.Baseline, multi)}, speedup...),
			sig, deltaText(&c, c.DeltaF1, c.DeltaF1CILow, c.DeltaF1CIHigh), accP,
			deltaText(&c, c.DeltaEM, c.DeltaEMCILow, c.DeltaEMCIHigh), strconv.Itoa(c.NPaired)))
		s.Bullets = append(s.Bullets, "**"+verdictText(&c)+"**")
		if m := meanSpeedupText(res, exp, &c, level); m != "" {
			s.Bullets = append(s.Bullets, m+" (the ratio of means; the verdict above uses medians)")
		}
	}
	s.Tables = append(s.Tables, t)
	return s
}

func accuracySection(run *pipeline.Run) reportSection {
	res := run.Results
	s := reportSection{Title: "Accuracy"}
	noGold, all := noGoldLine(res.Groups)
	if all {
		s.Paragraphs = []string{noGold}
		return s
	}
	s.Paragraphs = []string{"SQuAD exact match and F1 in percent over every non-warmup request (failed and truncated requests score 0). Raw scores the content as returned; extracted scores the answer after the extraction steps."}
	t := reportTable{
		Header: []string{"Group", "EM % (extracted)", "F1 % (extracted)", "EM % (raw)", "F1 % (raw)", "Truncated", "Agreement", "Per-repeat EM", "Per-repeat F1"},
		Right:  []bool{false, true, true, true, true, true, true, true, true},
	}
	truncated := 0
	names := labels(res.Groups)
	for i, g := range res.Groups {
		truncated += g.Truncated
		t.Rows = append(t.Rows, []string{names[i], withCI(g.EM, 1), withCI(g.F1, 1),
			fnum(g.RawEM.Mean, 1), fnum(g.RawF1.Mean, 1), strconv.Itoa(g.Truncated), agreementText(&g),
			meanStdText(g.RepeatEM), meanStdText(g.RepeatF1)})
	}
	if run.Experiment != nil && !run.Experiment.Score.ReportRaw {
		t = t.without(3, 4) // score.report_raw: false hides the raw-content columns
		s.Paragraphs[0] = "SQuAD exact match and F1 in percent of the extracted answers, over every non-warmup request (failed and truncated requests score 0)."
	}
	s.Tables = append(s.Tables, t)
	s.Paragraphs = append(s.Paragraphs, "Agreement is the share of questions answered alike in every repeat; \"-\" means the group has fewer than two repeats, where agreement means nothing.")
	if anyAnswerBreakdown(res.Groups) {
		s.Paragraphs = append(s.Paragraphs, "SQuAD v2: answerable (HasAns) and unanswerable (NoAns) questions scored apart, as the official v2.0 script's HasAns_* and NoAns_* (EM and F1 in percent of the extracted answers; for an unanswerable question the empty answer is right).")
		b := reportTable{
			Header: []string{"Group", "HasAns n", "HasAns EM %", "HasAns F1 %", "NoAns n", "NoAns EM %", "NoAns F1 %"},
			Right:  []bool{false, true, true, true, true, true, true},
		}
		for i := range res.Groups {
			g := &res.Groups[i]
			b.Rows = append(b.Rows, append([]string{names[i]}, append(breakdownCells(g.HasAns), breakdownCells(g.NoAns)...)...))
		}
		s.Tables = append(s.Tables, b)
	}
	if truncated > 0 {
		mt := 0
		if run.Experiment != nil {
			mt = run.Experiment.Params.MaxTokens
		}
		s.Bullets = append(s.Bullets, fmt.Sprintf("%d request(s) returned empty content with finish_reason \"length\": the reasoning used the whole max_tokens budget (%d). Raise params.max_tokens (or lower the reasoning effort) so these questions are answered instead of scored 0.", truncated, mt))
	}
	if noGold != "" {
		s.Bullets = append(s.Bullets, noGold)
	}
	return s
}

// noGoldLine is the report's one line on requests whose samples have no
// gold answer (synthetic prompts), "" when there are none; all reports
// whether every request is such.
func noGoldLine(groups []results.GroupStats) (line string, all bool) {
	n, count := 0, 0
	for i := range groups {
		n += groups[i].NoGold
		count += groups[i].Count
	}
	if n == 0 {
		return "", false
	}
	return fmt.Sprintf("Not scored: %d of %d requests asked a prompt without a gold answer (synthetic prompts of chosen lengths); they have no EM or F1 and are not counted as wrong.", n, count), n == count
}

// meanStdText renders per-repeat values as "mean ± stddev (n repeats)".
func meanStdText(xs []float64) string {
	m, sd := meanStd(xs)
	if m == nil {
		return ""
	}
	return fmt.Sprintf("%.1f ± %.1f (%d)", m.(float64), sd.(float64), len(xs))
}

// consistencyTable is the report's table of the spread of latency and
// TTFT and of the output tokens per request, one row per group.
func consistencyTable(groups []results.GroupStats, names []string) reportTable {
	t := reportTable{
		Header: []string{"Group", "Latency min", "Latency max", "Latency stddev", "Latency CV", "TTFT stddev", "TTFT CV", "Output tokens / request", "Reasoning tokens / request"},
		Right:  []bool{false, true, true, true, true, true, true, true, true},
	}
	for i := range groups {
		g := &groups[i]
		reasoning := missing
		if g.Successes > 0 {
			reasoning = fnum(g.ReasoningTokensMean, 1)
		}
		out := missing
		if g.Successes > 0 {
			out = fnum(g.OutputTokensMean, 1)
		}
		t.Rows = append(t.Rows, []string{names[i], distText(g.LatencyMs, g.LatencyMs.Min, 1), distText(g.LatencyMs, g.LatencyMs.Max, 1),
			stddevText(g.LatencyMs, 1), cvText(g.LatencyMs), stddevText(g.TTFTMs, 1), cvText(g.TTFTMs), out, reasoning})
	}
	return t
}
