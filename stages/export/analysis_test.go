package export

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The analysis skeleton has the homework's comparison table filled from
// the run, the speedup sentence, the answers side by side, and the prose
// sections as headed prompts.
func TestAnalysisFillsTheHomeworksTable(t *testing.T) {
	run := fixtureRun(t, t.TempDir())
	g := &run.Results.Groups[0]
	g.OutputTokensMean, g.ReasoningTokensMean = 123, 100
	c := &run.Results.Comparisons[0]
	c.SpeedupMean, c.SpeedupMeanCILow, c.SpeedupMeanCIHigh = 1.59, 1.41, 1.80
	if err := Analysis(context.Background(), run); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(run.Dir, AnalysisFile))
	if err != nil {
		t.Fatal(err)
	}
	md := string(b)
	for _, want := range []string{
		"| Metric | metis | sophia-sim |",
		"| Successful requests | 4 of 6 | 4 of 6 |",
		"| Failed requests | 2 | 2 |",
		"| Mean latency (ms) | 900.0 | 1800.0 |",
		"| Median latency (ms) | 855.0 | 1710.0 |",
		"| Min latency (ms) | 450.0 | 900.0 |",
		"| Max latency (ms) | 1350.0 | 2700.0 |",
		"| Standard deviation of latency (ms, n-1) | 90.0 | 180.0 |",
		"| Mean tokens/s (per request) | 33.3 | 16.7 |",
		"| Average output tokens per request | 123.0 (100.0 reasoning) | 0.0 |",
		"**Speedup:** metis is 1.59x faster than sophia-sim by mean latency (95% CI 1.41-1.80).",
		"## Consistency", "## Response quality", "## Use cases", "_(Your analysis here.)_",
		"| What is the capital of France? | Paris |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("analysis.md lacks %q", want)
		}
	}
}
