package export

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/inferbench/inferbench/pipeline"
	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/results"
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
	// Failure, when set, is the report's first line: what failed before
	// any request was sent (see failureText).
	Failure  string
	Title    string
	Subtitle string
	Sections []reportSection
}

// failureText says which platforms sent no request and why (their
// PlatformStops reason, e.g. a failed api_key_command), "" when every
// platform sent requests. A run none of whose platforms sent anything
// failed as a whole and says so first.
func failureText(res *results.Results) string {
	sent := map[string]bool{}
	for i := range res.Groups {
		if res.Groups[i].Count > 0 || res.Groups[i].Warmups > 0 {
			sent[res.Groups[i].Platform] = true
		}
	}
	var parts []string
	for _, p := range sortedKeys(res.PlatformStops) {
		if !sent[p] {
			parts = append(parts, "platform "+p+": "+res.PlatformStops[p])
		}
	}
	if len(parts) == 0 {
		return ""
	}
	if len(sent) == 0 {
		return "This run failed: no request was sent (" + strings.Join(parts, "; ") + ")."
	}
	return "Failed before sending any request: " + strings.Join(parts, "; ") + "; their rows are empty."
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
	m := &reportModel{Title: "inferbench report: " + res.Experiment, Failure: failureText(res)}
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
	if s, ok := serverSection(res); ok {
		m.Sections = append(m.Sections, s)
	}
	if len(res.Comparisons) > 0 {
		m.Sections = append(m.Sections, speedupSection(res, run.Experiment, ciLevel(run.Experiment)))
	}
	if res.Sweep != nil {
		m.Sections = append(m.Sections, sweepSection(res.Sweep, run.Experiment.SLO))
	}
	m.Sections = append(m.Sections, accuracySection(run))
	if s, ok := answersSection(run); ok {
		m.Sections = append(m.Sections, s)
	}
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

// ciLevel is the confidence level of every interval, e.g. "95%"
// (stats.confidence; the default when exp is nil or leaves it zero).
func ciLevel(exp *config.Experiment) string {
	c := config.DefaultConfidence
	if exp != nil && exp.Stats.Confidence > 0 {
		c = exp.Stats.Confidence
	}
	return strconv.FormatFloat(100*c, 'g', 4, 64) + "%"
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
	if len(classes) == 0 && len(run.Results.PlatformStops) == 0 {
		s.Paragraphs = []string{"No request failed."}
		return s
	}
	if len(classes) == 0 {
		s.Paragraphs = []string{"No request was answered with an error, but platforms stopped early:"}
	}
	if len(classes) > 0 {
		t := reportTable{Header: []string{"Error class", "Count", "Groups", "Example"}, Right: []bool{false, true, false, false}}
		for _, fc := range classes {
			t.Rows = append(t.Rows, []string{fc.class, strconv.Itoa(fc.count), strings.Join(sortedErrors(fc.groups), ", "), fc.example})
		}
		s.Tables = append(s.Tables, t)
	}
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
