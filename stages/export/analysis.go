package export

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/inferbench/inferbench/pipeline"
	"github.com/inferbench/inferbench/pipeline/results"
)

// AnalysisFile is the homework-style analysis skeleton that `inferbench
// report RUN_DIR --format analysis` writes into the run folder.
const AnalysisFile = "analysis.md"

// Analysis writes AnalysisFile: the analysis a student hands in for the
// Metis-vs-Sophia homework, with every figure filled from the run (the
// comparison table: success and failure counts, mean, median, min and max
// latency, its standard deviation and CV, TTFT, tokens/s, output and
// reasoning tokens per request, EM and F1; the speedup sentences; the
// answers side by side) and the prose sections (consistency, response
// quality, use cases) left as headed prompts.
func Analysis(ctx context.Context, run *pipeline.Run) error {
	if err := checkRun(run); err != nil {
		return err
	}
	if _, err := recordDigest(run); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	m := buildAnalysis(run)
	return writeFileAtomic(filepath.Join(run.Dir, AnalysisFile), func(w io.Writer) error {
		_, err := io.WriteString(w, renderMarkdown(m))
		return err
	})
}

// yours marks where the student writes.
const yours = "_(Your analysis here.)_"

func buildAnalysis(run *pipeline.Run) *reportModel {
	res := run.Results
	m := &reportModel{Failure: failureText(res), Title: "Analysis: " + res.Experiment,
		Subtitle: "Run " + res.RunID + ". Every figure below comes from the run folder (results.json, samples.json and records.jsonl) through inferbench; the sections in italics are yours to write."}
	m.Sections = append(m.Sections, analysisSetup(run), analysisTable(run))
	consistency := reportSection{Title: "Consistency",
		Paragraphs: []string{"_Prompt: which platform answers in a more predictable time? Compare the standard deviations and coefficients of variation of latency (and TTFT) above, and the maximum against the median: are there outliers, and when did they happen (requests.csv has every request's start time)?_", yours}}
	quality := reportSection{Title: "Response quality",
		Paragraphs: []string{"_Prompt: are the answers equally good? Compare EM and F1 above and the answers side by side below (the questions marked ≠ were answered differently); is any difference in accuracy significant (see the verdict)? What kind of mistakes does each platform make?_", yours}}
	if s, ok := answersSection(run); ok {
		quality.Tables = s.Tables
		quality.Paragraphs = append(quality.Paragraphs, s.Paragraphs...)
	}
	uses := reportSection{Title: "Use cases",
		Paragraphs: []string{"_Prompt: for which workloads would you choose each platform (interactive chat, where TTFT matters; batch jobs, where throughput matters; many concurrent users)? What would you measure next to be sure (more questions, repeats, concurrency levels)?_", yours}}
	m.Sections = append(m.Sections, consistency, quality, uses, analysisSources())
	return m
}

// analysisSetup says what was compared: the platforms and their models,
// the questions and the parameters.
func analysisSetup(run *pipeline.Run) reportSection {
	s := reportSection{Title: "Setup"}
	exp := run.Experiment
	if run.Manifest != nil {
		exp = &run.Manifest.Experiment
	}
	if exp != nil {
		for _, p := range exp.Platforms {
			s.Bullets = append(s.Bullets, fmt.Sprintf("%s: %s, model %s, %s", p.Name, endpointText(&p), strings.Join(p.Models, ", "), loadText(&p, nil)))
		}
	}
	s.Bullets = append(s.Bullets, setupBullets(run, exp)...)
	return s
}

// analysisTable is the homework's comparison table, one column per group,
// with the speedup sentences under it.
func analysisTable(run *pipeline.Run) reportSection {
	res := run.Results
	names := analysisNames(res)
	t := reportTable{Header: append([]string{"Metric"}, names...), Right: []bool{false}}
	for range names {
		t.Right = append(t.Right, true)
	}
	row := func(label string, cell func(g *results.GroupStats) string) {
		r := []string{label}
		for i := range res.Groups {
			r = append(r, cell(&res.Groups[i]))
		}
		t.Rows = append(t.Rows, r)
	}
	lat := func(label string, v func(d results.Dist) float64) {
		row(label, func(g *results.GroupStats) string { return distText(g.LatencyMs, v(g.LatencyMs), 1) })
	}
	row("Successful requests", func(g *results.GroupStats) string { return strconv.Itoa(g.Successes) + " of " + strconv.Itoa(g.Count) })
	row("Failed requests", func(g *results.GroupStats) string { return strconv.Itoa(g.Failures) })
	lat("Mean latency (ms)", func(d results.Dist) float64 { return d.Mean })
	lat("Median latency (ms)", func(d results.Dist) float64 { return d.P50 })
	lat("Min latency (ms)", func(d results.Dist) float64 { return d.Min })
	lat("Max latency (ms)", func(d results.Dist) float64 { return d.Max })
	row("Standard deviation of latency (ms, n-1)", func(g *results.GroupStats) string { return stddevText(g.LatencyMs, 1) })
	row("Coefficient of variation of latency", func(g *results.GroupStats) string { return cvText(g.LatencyMs) })
	row("Mean TTFT (ms)", func(g *results.GroupStats) string { return distText(g.TTFTMs, g.TTFTMs.Mean, 1) })
	row("Standard deviation of TTFT (ms)", func(g *results.GroupStats) string { return stddevText(g.TTFTMs, 1) })
	row("Mean tokens/s (per request)", func(g *results.GroupStats) string {
		return distText(g.TokensPerSec, g.TokensPerSec.Mean, 1)
	})
	row("Aggregate throughput (tokens/s)", func(g *results.GroupStats) string { return fnum(g.Throughput, 1) })
	row("Average output tokens per request", func(g *results.GroupStats) string { return tokensPerRequestText(g) })
	row("EM (%)", func(g *results.GroupStats) string { return distText(g.EM, g.EM.Mean, 1) })
	row("F1 (%)", func(g *results.GroupStats) string { return distText(g.F1, g.F1.Mean, 1) })
	s := reportSection{Title: "Performance comparison", Tables: []reportTable{t},
		Paragraphs: []string{"Latency is end-to-end (request sent to last token), TTFT the time to the first token; tokens/s is each request's output tokens over its latency, averaged; aggregate throughput is all output tokens over the sending time. Output tokens include the reasoning tokens given in brackets."}}
	level := ciLevel(run.Experiment)
	for i := range res.Comparisons {
		c := &res.Comparisons[i]
		if m := meanSpeedupText(res, run.Experiment, c, level); m != "" {
			s.Bullets = append(s.Bullets, "**Speedup:** "+m+".")
		}
		s.Bullets = append(s.Bullets, "Verdict (median latency, with its significance, and accuracy): "+verdictText(c)+".")
	}
	for i := range res.Groups {
		if g := &res.Groups[i]; g.ReasoningTokensMean > 0 {
			s.Bullets = append(s.Bullets, tokensPerRequestSentence(names[i], g)+".")
		}
	}
	return s
}

// analysisNames are the groups' column heads: the platform alone when
// each platform has one group, else the full label.
func analysisNames(res *results.Results) []string {
	seen := map[string]bool{}
	for i := range res.Groups {
		if seen[res.Groups[i].Platform] {
			return labels(res.Groups)
		}
		seen[res.Groups[i].Platform] = true
	}
	out := make([]string, len(res.Groups))
	for i := range res.Groups {
		out[i] = res.Groups[i].Platform
	}
	return out
}

// analysisSources says where each deliverable of the homework comes from.
func analysisSources() reportSection {
	return reportSection{Title: "Where the figures come from",
		Bullets: []string{
			"Latency, TTFT and tokens/s statistics, counts, EM and F1: results.json (results.groups[]: latency_ms, ttft_ms, tokens_per_sec, successes, failures, em, f1); the same in summary.csv and the workbook's Summary sheet.",
			"Standard deviation and CV: the sample (n-1) standard deviation, latency_ms.stddev and .cv in results.json (latency_stddev, latency_cv in metrics: and checks:).",
			"Output tokens per request: results.json output_tokens_mean and reasoning_tokens_mean (successful requests).",
			"Speedup: results.json comparisons[]: speedup_mean with speedup_mean_ci_low/high (ratio of means), speedup_median with ci_low/high and p_value (the verdict).",
			"Answers: samples.json (questions and gold answers) and records.jsonl (each request's answer and F1); every answer side by side in the workbook's Samples sheet.",
			"Definitions of every figure: docs/metrics.md and the report's Metric definitions.",
		}}
}
