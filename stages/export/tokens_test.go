package export

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestCountedTokensAndTheUsageDifferenceAreExported(t *testing.T) {
	run := fixtureRun(t, t.TempDir())
	g := &run.Results.Groups[0]
	prompt, output := 12.5, -0.25
	g.OutputTokensCounted, g.UsagePromptTokenDiffPct, g.UsageOutputTokenDiffPct = 2, &prompt, &output
	if err := CSV(context.Background(), run); err != nil {
		t.Fatal(err)
	}
	rows := readCSV(t, filepath.Join(run.Dir, SummaryCSVFile))
	col := func(name string, row int) string {
		i := slices.Index(rows[0], name)
		if i < 0 {
			t.Fatalf("summary.csv has no column %s", name)
		}
		return rows[row][i]
	}
	if col("output_tokens_counted", 1) != "2" || col("usage_prompt_token_diff_pct", 1) != "12.5" || col("usage_output_token_diff_pct", 1) != "-0.25" {
		t.Errorf("row 1: %s %s %s", col("output_tokens_counted", 1), col("usage_prompt_token_diff_pct", 1), col("usage_output_token_diff_pct", 1))
	}
	if col("usage_output_token_diff_pct", 2) != "" {
		t.Errorf("a group without local counts has %q", col("usage_output_token_diff_pct", 2))
	}
	req := readCSV(t, filepath.Join(run.Dir, RequestsCSVFile))
	for _, want := range []string{"tokens_estimated", "tokens_counted", "counted_prompt_tokens", "counted_output_tokens"} {
		if !slices.Contains(req[0], want) {
			t.Errorf("requests.csv has no column %s", want)
		}
	}
	if err := Markdown(context.Background(), run); err != nil {
		t.Fatal(err)
	}
	md, _ := os.ReadFile(filepath.Join(run.Dir, MarkdownFile))
	for _, want := range []string{
		"prompt and output tokens counted with the model's tokenizer (no usage from the server) for 2 of",
		"server usage against the tokenizer's count: output -0.2%, prompt +12.5%",
	} {
		if !strings.Contains(string(md), want) {
			t.Errorf("the report lacks %q", want)
		}
	}
	var labels []string
	for _, r := range servingRows(run) {
		labels = append(labels, r.label)
	}
	if !slices.Contains(labels, "Usage vs tokenizer, output (%)") || !slices.Contains(labels, "Usage vs tokenizer, prompt (%)") {
		t.Errorf("the serving block's rows %q lack the usage difference", labels)
	}
}
