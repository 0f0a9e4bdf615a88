package export

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/results"
)

// The homework's figures come straight out of the console: the ratio of
// means in its words with its CI (platform names as the user wrote them),
// the spread of latency and TTFT, and the output tokens per request with
// the reasoning share.
func TestTheConsoleStatesTheHomeworksFigures(t *testing.T) {
	run := fixtureRun(t, t.TempDir())
	for i := range run.Results.Groups {
		g := &run.Results.Groups[i]
		g.Platform = map[string]string{"metis": "Metis", "sophia-sim": "Sophia"}[g.Platform]
		g.LatencyMs.Stddev, g.LatencyMs.CV = 123.4, 0.137
		g.OutputTokensMean, g.ReasoningTokensMean = 123, 100
	}
	c := &run.Results.Comparisons[0]
	c.GroupKey.Platform, c.Baseline.Platform = "Metis", "Sophia"
	c.SpeedupMean, c.SpeedupMeanCILow, c.SpeedupMeanCIHigh = 1.59, 1.41, 1.80
	run.Results.Baseline = "Sophia"
	con := consoleText(t, run)
	if !strings.Contains(con, "Metis is 1.59x faster than Sophia by mean latency (95% CI 1.41-1.80)") {
		t.Errorf("no ratio of means in the homework's words:\n%s", con)
	}
	lat := strings.Fields(lineWith(sectionOf(t, con, "LATENCY (ms)"), "Metis/"))
	if len(lat) != 8 || lat[6] != "123.4" || lat[7] != "0.14" {
		t.Errorf("latency row %q: want stddev 123.4 and cv 0.14 last", lat)
	}
	if l := lineWith(sectionOf(t, con, "THROUGHPUT"), "Metis/"); !strings.Contains(l, "123.0 (100.0 reasoning)") {
		t.Errorf("throughput row %q: want 123.0 output tokens per request, 100.0 of them reasoning", l)
	}
	t.Run("a slowdown is its inverse factor and a CI holding 1 says so", func(t *testing.T) {
		c := results.Comparison{GroupKey: results.GroupKey{Platform: "Metis"}, Baseline: results.GroupKey{Platform: "Sophia"},
			SpeedupMedian: 0.5, SpeedupMean: 0.8, SpeedupMeanCILow: 0.5, SpeedupMeanCIHigh: 1.25}
		got := meanSpeedupText(&results.Results{}, &config.Experiment{}, &c, "95%")
		if want := "Metis is 1.25x slower than Sophia by mean latency (95% CI 0.80-2.00, which includes 1: not significant)"; got != want {
			t.Errorf("got  %q\nwant %q", got, want)
		}
	})
	t.Run("a figure that does not exist is -", func(t *testing.T) {
		if got := stddevText(results.Dist{N: 1, Mean: 5}, 1) + cvText(results.Dist{N: 1}) + tokensPerRequestText(&results.GroupStats{}); got != "---" {
			t.Errorf("got %q", got)
		}
	})
}

func TestWarningsAreGroupedByKind(t *testing.T) {
	groups := make([]results.GroupStats, 3)
	groups[0].Warnings = []string{"only 24 successful requests, too few for reliable percentiles: p99 needs >= 100", "odd"}
	groups[1].Warnings = []string{"only 20 successful requests, too few for reliable percentiles: p99 needs >= 100", "odd"}
	groups[2].Warnings = []string{"only 3 successful requests, too few for reliable percentiles: p99 needs >= 100, p95 needs >= 20"}
	got := groupWarnings(groups, []string{"A", "B", "C"})
	want := []string{
		"percentiles need more requests (p99 needs >= 100): 2 groups, 20 to 24 successful requests",
		"odd: 2 groups (A, B)",
		"C: only 3 successful requests, too few for reliable percentiles: p99 needs >= 100, p95 needs >= 20",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// report.md and report.html carry the same homework figures.
func TestTheReportStatesTheHomeworksFigures(t *testing.T) {
	run := fixtureRun(t, t.TempDir())
	g := &run.Results.Groups[0]
	g.LatencyMs.Stddev, g.LatencyMs.CV, g.TTFTMs.Stddev, g.TTFTMs.CV = 123.4, 0.137, 45.6, 0.152
	g.OutputTokensMean, g.ReasoningTokensMean = 123, 100
	c := &run.Results.Comparisons[0]
	c.SpeedupMean, c.SpeedupMeanCILow, c.SpeedupMeanCIHigh = 1.59, 1.41, 1.80
	_, md, _ := outputs(t, run)
	for _, want := range []string{
		"| metis/gpt-oss-120b | 450.0 | 1350.0 | 123.4 | 0.14 | 45.6 | 0.15 | 123.0 | 100.0 |",
		"metis/gpt-oss-120b: 123.0 output tokens per successful request, 100.0 of them reasoning (81%)",
		"metis is 1.59x faster than sophia-sim by mean latency (95% CI 1.41-1.80)",
		"| 1.59x [1.41–1.80] |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report.md lacks %q", want)
		}
	}
	if err := HTML(context.Background(), run); err != nil {
		t.Fatal(err)
	}
	html, _ := os.ReadFile(filepath.Join(run.Dir, HTMLFile))
	if !strings.Contains(string(html), "metis is 1.59x faster than sophia-sim by mean latency") || !strings.Contains(string(html), "<td class=\"r\">123.4</td>") {
		t.Errorf("report.html lacks the homework figures")
	}
}

// A platform that sent nothing because its setup failed is named first in
// the console and the report, with the reason.
func TestAPlatformThatFailedItsSetupIsNamedFirst(t *testing.T) {
	run := fixtureRun(t, t.TempDir())
	g := &run.Results.Groups[1]
	g.Count, g.Successes, g.Failures, g.Warmups, g.Errors = 0, 0, 0, 0, nil
	run.Results.PlatformStops = map[string]string{"sophia-sim": "setup failed: api_key_command failed: exit status 1"}
	con, md, _ := outputs(t, run)
	want := "Failed before sending any request: platform sophia-sim: setup failed: api_key_command failed: exit status 1"
	if first, _, _ := strings.Cut(md, "\n"); !strings.Contains(first, want) {
		t.Errorf("report.md's first line %q", first)
	}
	if !strings.Contains(strings.Join(strings.Fields(con), " "), "FAILED: "+want) {
		t.Errorf("console:\n%s", con)
	}
}
