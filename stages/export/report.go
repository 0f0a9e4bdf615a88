package export

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/inferbench/inferbench/pipeline"
	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/results"
	"github.com/inferbench/inferbench/pipeline/runfolder"
)

// The report model is built once from a run and rendered by both the
// Markdown and the HTML writers, so that the two never disagree.

// reportTable is a rendered table: every cell is already text.
type reportTable struct {
	Header []string
	Rows   [][]string
	// Right marks numeric columns (right-aligned).
	Right []bool
}

// reportImage is a plot written next to the report.
type reportImage struct {
	File, Alt string
	SVG       []byte
}

// reportSection is one titled part of the report, rendered in field order:
// paragraphs, bullets, tables, images.
type reportSection struct {
	Title      string
	Paragraphs []string
	Bullets    []string
	Tables     []reportTable
	Images     []reportImage
}

// reportModel is the whole report.
type reportModel struct {
	Title    string
	Subtitle string
	Sections []reportSection
}

// maxExampleDetail caps the example error text quoted in the report.
const maxExampleDetail = 200

func fnum(v float64, dec int) string { return strconv.FormatFloat(v, 'f', dec, 64) }

func fshare(v float64) string { return fnum(100*v, 1) + "%" }

// agreementText renders a group's answer agreement, or "-" when the group
// has fewer than two repeats: with one repeat every answer agrees with
// itself and the 100% means nothing.
func agreementText(g *results.GroupStats) string {
	if len(g.RepeatEM) < 2 {
		return "-"
	}
	return fshare(g.Agreement)
}

// sendText renders the rate requests were sent at against the configured
// one ("7.98 / 8") for an open-loop group, the send rate alone otherwise.
// It is a send rate, never a throughput: failed requests count.
func sendText(g *results.GroupStats) string {
	if g.TargetRate > 0 {
		return fnum(g.SendRate, 2) + " / " + strconv.FormatFloat(g.TargetRate, 'g', -1, 64)
	}
	return fnum(g.SendRate, 2)
}

// shardNote says that a merged level's shards did not send at the same
// time (GroupStats.ShardOverlap under results.MinShardOverlap), so that
// its rates are not those of the configured load; "" otherwise.
func shardNote(g *results.GroupStats) string {
	if g.ShardOverlap == nil || *g.ShardOverlap >= results.MinShardOverlap {
		return ""
	}
	return fmt.Sprintf("shards sent apart (%.0f%% overlap): not the configured load", 100**g.ShardOverlap)
}

// joinNote appends note to a cell in parentheses, or returns the cell.
func joinNote(cell, note string) string {
	if note == "" {
		return cell
	}
	return cell + " (" + note + ")"
}

// anyOpenLoop reports whether any group ran on an open-loop schedule.
func anyOpenLoop(groups []results.GroupStats) bool {
	for i := range groups {
		if groups[i].TargetRate > 0 {
			return true
		}
	}
	return false
}

// anyAnswerBreakdown reports whether any group has SQuAD v2's
// HasAns/NoAns split.
func anyAnswerBreakdown(groups []results.GroupStats) bool {
	for i := range groups {
		if groups[i].HasAns != nil || groups[i].NoAns != nil {
			return true
		}
	}
	return false
}

// breakdownCells renders one kind of question as count, EM and F1 ("-"
// cells when the group has none of that kind).
func breakdownCells(b *results.AnswerBreakdown) []string {
	if b == nil {
		return []string{"-", "-", "-"}
	}
	return []string{strconv.Itoa(b.Count), fnum(b.EM, 1), fnum(b.F1, 1)}
}

// withCI renders "mean [low, high]" when the CI is known, missing when d
// has no values.
func withCI(d results.Dist, dec int) string {
	if d.N == 0 {
		return missing
	}
	if d.CILow == 0 && d.CIHigh == 0 {
		return fnum(d.Mean, dec)
	}
	return fnum(d.Mean, dec) + " [" + fnum(d.CILow, dec) + ", " + fnum(d.CIHigh, dec) + "]"
}

func truncateText(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// buildReport assembles the report model of run. images are the plots, in
// the order they are shown.
func buildReport(run *pipeline.Run, images []reportImage) *reportModel {
	res := run.Results
	m := &reportModel{Title: "inferbench report: " + res.Experiment}
	date := res.StartedAt
	if date.IsZero() && run.Manifest != nil {
		date = run.Manifest.StartedAt
	}
	m.Subtitle = "Run " + res.RunID + ", " + date.UTC().Format("2006-01-02 15:04 UTC")
	m.Sections = append(m.Sections, setupSection(run))
	m.Sections = append(m.Sections, resultsSection(res, ciLevel(run.Experiment)))
	if s, ok := clientSection(res); ok {
		m.Sections = append(m.Sections, s)
	}
	if len(res.Comparisons) > 0 {
		m.Sections = append(m.Sections, speedupSection(res, ciLevel(run.Experiment)))
	}
	if res.Sweep != nil {
		m.Sections = append(m.Sections, sweepSection(res.Sweep, run.Experiment.SLO))
	}
	m.Sections = append(m.Sections, accuracySection(run))
	if s, ok := metricsSection(res); ok {
		m.Sections = append(m.Sections, s)
	}
	if len(res.Checks) > 0 {
		m.Sections = append(m.Sections, checksSection(res))
	}
	m.Sections = append(m.Sections, failuresSection(run))
	m.Sections = append(m.Sections, retriesSection(run))
	if s, ok := warningsSection(res); ok {
		m.Sections = append(m.Sections, s)
	}
	if len(images) > 0 {
		m.Sections = append(m.Sections, reportSection{Title: "Plots", Images: images})
	}
	m.Sections = append(m.Sections, definitionsSection())
	return m
}

// shardLines describes how a run was sharded: the shard of a sharded
// run, or the shards (and hosts) a merged run joined, with the manifest's
// note when they ran on different hosts.
func shardLines(m *runfolder.Manifest) []string {
	var out []string
	if m.Shard != nil {
		out = append(out, fmt.Sprintf("Shard %s of a sharded run (host %s): merge every shard with inferbench merge", m.Shard.Shard, m.Shard.Host))
		if len(m.Shard.Levels) > 0 {
			var parts []string
			for _, l := range m.Shard.Levels {
				name := l.Platform
				if l.Load != "" {
					name += " " + l.Load
				}
				parts = append(parts, fmt.Sprintf("%s: %s (%s, %d requests)", name, l.Share("nothing"), l.Segment, l.Cells))
			}
			out = append(out, "This shard ran its share of each load level, not the level's whole load: "+strings.Join(parts, "; "))
		}
	}
	if len(m.Shards) > 0 {
		var parts []string
		for _, s := range m.Shards {
			parts = append(parts, fmt.Sprintf("%s on %s", s.Shard, s.Host))
		}
		out = append(out, fmt.Sprintf("Merged from %d shards: %s", len(m.Shards), strings.Join(parts, ", ")))
	}
	for _, n := range m.Notes {
		if strings.HasPrefix(n, pipeline.HostsNote) {
			out = append(out, "Note: "+n)
		}
	}
	return out
}

// emulateView is what the setup table shows of an emulate block: the
// keys of the emulator's profile (the emulator registers the block; the
// report reads it resolved or as a manifest recorded it).
type emulateView struct {
	TTFT            config.Duration `json:"ttft"`
	TokensPerSecond float64         `json:"tokens_per_second"`
	Accuracy        float64         `json:"accuracy"`
	ReasoningTokens int             `json:"reasoning_tokens"`
	MaxBatch        int             `json:"max_batch"`
	BatchSlowdown   float64         `json:"batch_slowdown"`
}

func setupSection(run *pipeline.Run) reportSection {
	s := reportSection{Title: "Setup"}
	exp := run.Experiment
	if run.Manifest != nil {
		exp = &run.Manifest.Experiment
	}
	res := run.Results
	if exp != nil && exp.Description != "" {
		s.Paragraphs = append(s.Paragraphs, exp.Description)
	}
	if exp != nil {
		t := reportTable{Header: []string{"Platform", "Endpoint", "Models", "Load"}}
		for _, p := range exp.Platforms {
			endpoint := p.BaseURL
			var e emulateView
			if p.Emulate != nil {
				_ = p.Emulate.Decode(&e) // a map from JSON decodes; a missing key shows as 0
				endpoint = fmt.Sprintf("emulated (ttft %s, %g tokens/s, accuracy %g", e.TTFT, e.TokensPerSecond, e.Accuracy)
				if e.ReasoningTokens > 0 {
					endpoint += fmt.Sprintf(", %d reasoning tokens", e.ReasoningTokens)
				}
				endpoint += ")"
			}
			var rates []float64
			if run.Manifest != nil {
				rates = run.Manifest.SweepRates[p.Name]
			}
			if p.Emulate != nil && e.MaxBatch > 0 {
				endpoint = strings.TrimSuffix(endpoint, ")") + fmt.Sprintf(", max_batch %d, batch_slowdown %g)", e.MaxBatch, e.BatchSlowdown)
			}
			load := loadText(&p, rates)
			if p.Warmup > 0 {
				load += fmt.Sprintf(", %d warmup", p.Warmup)
			}
			name := p.Name
			if p.Name == res.Baseline {
				name += " (baseline)"
			}
			t.Rows = append(t.Rows, []string{name, endpoint, strings.Join(p.Models, ", "), load})
		}
		s.Tables = append(s.Tables, t)
	}
	var b []string
	if run.Manifest != nil {
		d := run.Manifest.Dataset
		ds := "Dataset: " + d.Source
		if d.Location != "" {
			ds += " (" + d.Location + ")"
		}
		if exp != nil && exp.Dataset.Slice != "" {
			ds += ", slice " + exp.Dataset.Slice
		}
		if exp != nil && exp.Dataset.Filter != "" {
			ds += ", filter `" + exp.Dataset.Filter + "`"
		}
		if exp != nil && exp.Dataset.Sample > 0 {
			ds += fmt.Sprintf(", seeded sample of %d", exp.Dataset.Sample)
		}
		ds += fmt.Sprintf(", %d of %d questions, SQuAD %s", len(d.IDs), d.Total, d.Version)
		if d.SHA256 != "" {
			ds += ", sha256 " + d.SHA256
		}
		if d.Revision != "" {
			ds += ", revision " + d.Revision
		}
		b = append(b, ds)
		b = append(b, shardLines(run.Manifest)...)
	}
	if exp != nil {
		temps := make([]string, len(exp.Params.Temperature))
		for i, t := range exp.Params.Temperature {
			temps[i] = strconv.FormatFloat(t, 'g', -1, 64)
		}
		ps := fmt.Sprintf("Parameters: temperature %s, max_tokens %d, stream %t", strings.Join(temps, ", "), exp.Params.MaxTokens, exp.Params.Stream)
		if exp.Params.TopP > 0 {
			ps += fmt.Sprintf(", top_p %g", exp.Params.TopP)
		}
		for _, k := range sortedKeys(exp.Params.Extra) {
			ps += fmt.Sprintf(", %s %v", k, exp.Params.Extra[k])
		}
		b = append(b, ps)
		b = append(b, fmt.Sprintf("Repeats: %d; seed: %d", exp.Repeats, exp.Seed))
		ex := exp.Score.Extract
		switch {
		case ex.Regex != "":
			b = append(b, "Answer extraction: regex `"+ex.Regex+"`")
		case ex.Expr != "":
			b = append(b, "Answer extraction: expr `"+ex.Expr+"`")
		case len(ex.Steps) > 0:
			b = append(b, "Answer extraction: "+strings.Join(ex.Steps, " → "))
		}
		var slo []string
		for _, o := range []struct {
			name string
			d    config.Duration
		}{{"ttft", exp.SLO.TTFT}, {"e2e", exp.SLO.E2E}, {"tpot", exp.SLO.TPOT}} {
			if o.d > 0 {
				slo = append(slo, o.name+" ≤ "+o.d.String())
			}
		}
		if len(slo) > 0 {
			b = append(b, "SLO for goodput: "+strings.Join(slo, ", "))
		}
	}
	b = append(b, "Date: "+res.StartedAt.UTC().Format(time.RFC3339)+" to "+res.FinishedAt.UTC().Format(time.RFC3339))
	b = append(b, "Stop reason: "+res.StopReason)
	if run.Manifest != nil {
		b = append(b, fmt.Sprintf("Tool: %s %s (%s; %s); %d requests planned", run.Manifest.Tool, run.Manifest.Version, run.Manifest.Build.Details(), run.Manifest.GoVersion, run.Manifest.CellTotal))
	}
	s.Bullets = b
	return s
}

// loadText describes platform p's load for the setup table: its one level
// ("closed loop, concurrency 4", "open loop, 8 req/s poisson, cap 16"), or
// every level in the order they ran ("3 levels, one after the other: c=1
// closed loop, concurrency 1; ..."), a sweep's rate levels at the rates
// it chose (rates; "rate chosen at run time" when it did not), and the
// load block's max_duration per level.
func loadText(p *config.Platform, rates []float64) string {
	levels := p.RunLevels(rates)
	one := func(lv config.Level) string {
		if lv.Rate == 0 && lv.RateIndex == 0 {
			return fmt.Sprintf("closed loop, concurrency %d", max(lv.Concurrency, 1))
		}
		at := p.AtLevel(lv)
		t := fmt.Sprintf("open loop, %g req/s %s", lv.Rate, at.Arrival)
		if lv.Rate == 0 {
			t = "open loop, rate chosen at run time, " + at.Arrival
		}
		if at.Arrival == "gamma" && p.Burstiness > 0 {
			t += fmt.Sprintf(" (burstiness %g)", p.Burstiness)
		}
		if lv.Concurrency > 0 {
			t += fmt.Sprintf(", cap %d", lv.Concurrency)
		}
		return t
	}
	if len(levels) == 1 {
		return one(levels[0])
	}
	parts := make([]string, len(levels))
	for i, lv := range levels {
		parts[i] = lv.Label + " " + one(lv)
	}
	text := fmt.Sprintf("%d levels, one after the other: %s", len(levels), strings.Join(parts, "; "))
	if p.Levels != nil && p.Levels.MaxDuration > 0 {
		text += fmt.Sprintf("; at most %s each", p.Levels.MaxDuration)
	}
	return text
}

// ciLevel is the confidence level of every interval, e.g. "95%"
// (stats.confidence; the default when exp is nil or leaves it zero).
func ciLevel(exp *config.Experiment) string {
	c := config.DefaultConfidence
	if exp != nil && exp.Stats.Confidence > 0 {
		c = exp.Stats.Confidence
	}
	return strconv.FormatFloat(100*c, 'g', 4, 64) + "%"
}

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

func speedupSection(res *results.Results, level string) reportSection {
	s := reportSection{Title: "Speedup against the baseline (" + res.Baseline + ")"}
	multi := multiTemperature(res.Groups)
	s.Paragraphs = []string{"Speedup = baseline median latency / group median latency; > 1 means faster. A platform is called faster or slower only when the confidence interval excludes 1; the p-value is a two-sided Mann-Whitney U test on latency. \"-\": a group without a successful request has no latency to compare.",
		"ΔF1 and ΔEM are paired over the questions both groups asked: per question the mean over its repeats in each group, then the mean difference (points), with a bootstrap CI over resampled questions [in brackets] and the p-value of a paired sign-flip permutation test on the per-question differences. The verdict calls a platform more or less accurate only when the CI excludes 0 and p < 1 - confidence."}
	t := reportTable{
		Header: []string{"Group", "Baseline", "Speedup (median)", level + " CI", "Speedup (mean)", "p-value", "Significant", "ΔF1 (points)", "ΔF1 p-value", "ΔEM (points)", "Paired questions"},
		Right:  []bool{false, false, true, true, true, true, false, true, true, true, true},
	}
	for _, c := range res.Comparisons {
		sig := "no"
		if c.Significant {
			sig = "yes"
		}
		speedup := []string{fnum(c.SpeedupMedian, 2) + "x", fnum(c.CILow, 2) + "–" + fnum(c.CIHigh, 2), fnum(c.SpeedupMean, 2) + "x", formatP(c.PValue)}
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
	}
	s.Tables = append(s.Tables, t)
	return s
}

// without returns t minus the columns at the given indices.
func (t reportTable) without(cols ...int) reportTable {
	drop := map[int]bool{}
	for _, c := range cols {
		drop[c] = true
	}
	keep := func(in []string) []string {
		var out []string
		for i, v := range in {
			if !drop[i] {
				out = append(out, v)
			}
		}
		return out
	}
	out := reportTable{Header: keep(t.Header)}
	for i, r := range t.Right {
		if !drop[i] {
			out.Right = append(out.Right, r)
		}
	}
	for _, r := range t.Rows {
		out.Rows = append(out.Rows, keep(r))
	}
	return out
}

func accuracySection(run *pipeline.Run) reportSection {
	res := run.Results
	s := reportSection{Title: "Accuracy"}
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
	return s
}

// meanStdText renders per-repeat values as "mean ± stddev (n repeats)".
func meanStdText(xs []float64) string {
	m, sd := meanStd(xs)
	if m == nil {
		return ""
	}
	return fmt.Sprintf("%.1f ± %.1f (%d)", m.(float64), sd.(float64), len(xs))
}

func metricsSection(res *results.Results) (reportSection, bool) {
	names := metricNames(res.Groups)
	if len(names) == 0 {
		return reportSection{}, false
	}
	t := reportTable{Header: append([]string{"Group"}, names...), Right: make([]bool, len(names)+1)}
	for i := 1; i < len(t.Right); i++ {
		t.Right[i] = true
	}
	groupNames := labels(res.Groups)
	for i := range res.Groups {
		row := []string{groupNames[i]}
		for _, n := range names {
			v, ok := metricValue(&res.Groups[i], n)
			if ok {
				row = append(row, strconv.FormatFloat(v, 'g', 6, 64))
			} else {
				row = append(row, "")
			}
		}
		t.Rows = append(t.Rows, row)
	}
	return reportSection{Title: "Derived metrics", Tables: []reportTable{t}}, true
}

func checksSection(res *results.Results) reportSection {
	s := reportSection{Title: "Checks"}
	failed := 0
	for _, c := range res.Checks {
		line := "PASS `" + c.Expr + "`"
		if !c.Passed {
			failed++
			line = "FAIL `" + c.Expr + "`"
			if c.Error != "" {
				line += " (error: " + c.Error + ")"
			}
		}
		s.Bullets = append(s.Bullets, line)
	}
	if failed > 0 {
		s.Paragraphs = []string{fmt.Sprintf("%d of %d checks failed (run exits with code 3).", failed, len(res.Checks))}
	} else {
		s.Paragraphs = []string{fmt.Sprintf("All %d checks passed.", len(res.Checks))}
	}
	return s
}

// failureClass summarises one error class over the run.
type failureClass struct {
	class   string
	count   int
	groups  map[string]int
	example string
}

func failuresSection(run *pipeline.Run) reportSection {
	s := reportSection{Title: "Notable failures"}
	classes := digestOf(run).failures
	if len(classes) == 0 {
		s.Paragraphs = []string{"No request failed."}
		return s
	}
	t := reportTable{Header: []string{"Error class", "Count", "Groups", "Example"}, Right: []bool{false, true, false, false}}
	for _, fc := range classes {
		t.Rows = append(t.Rows, []string{fc.class, strconv.Itoa(fc.count), strings.Join(sortedErrors(fc.groups), ", "), fc.example})
	}
	s.Tables = append(s.Tables, t)
	for _, p := range sortedKeys(run.Results.PlatformStops) {
		s.Bullets = append(s.Bullets, "Platform "+p+" stopped early: "+run.Results.PlatformStops[p])
	}
	return s
}

func warningsSection(res *results.Results) (reportSection, bool) {
	s := reportSection{Title: "Warnings"}
	s.Bullets = append(s.Bullets, res.Warnings...)
	names := labels(res.Groups)
	for i, g := range res.Groups {
		for _, w := range g.Warnings {
			s.Bullets = append(s.Bullets, names[i]+": "+w)
		}
	}
	return s, len(s.Bullets) > 0
}

func definitionsSection() reportSection {
	t := reportTable{Header: []string{"Metric", "Definition", "vLLM bench serve", "GuideLLM", "AIPerf"}}
	dash := func(s string) string {
		if s == "" {
			return "–"
		}
		return s
	}
	for _, d := range MetricDefinitions {
		t.Rows = append(t.Rows, []string{d.Name, d.Formula, dash(d.VLLM), dash(d.GuideLLM), dash(d.AIPerf)})
	}
	return reportSection{Title: "Metric definitions",
		Paragraphs: []string{"Every time is measured on the monotonic clock from the moment the request was sent (client queueing and retry waits excluded)."},
		Tables:     []reportTable{t}}
}
