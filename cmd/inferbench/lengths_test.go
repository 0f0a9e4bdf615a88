package main

import (
	"archive/zip"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/stages/tokenize"
)

// TestLengthsExperimentShowsTTFTAgainstTheInputLength runs
// experiments/lengths.yaml offline: synthetic prompts of exactly 128, 1024
// and 4096 tokens asking for 128 output tokens, each length its own group,
// no accuracy, and TTFT drawn against the input length in the report and
// the workbook; then re-reports the run folder from its journal.
func TestLengthsExperimentShowsTTFTAgainstTheInputLength(t *testing.T) {
	if testing.Short() {
		t.Skip("runs experiments/lengths.yaml (about 4 seconds)")
	}
	dir := runOK(t, "../../experiments/lengths.yaml", t.TempDir())
	res := readResults(t, dir)
	var labels []string
	for _, g := range res.Groups {
		labels = append(labels, g.Platform+" "+g.Level)
		if g.Successes != 24 || g.OutputTokensMean != 128 || g.NoGold != 24 || g.EM.N != 0 {
			t.Errorf("%s %s: %d ok, %.1f output tokens, no_gold %d, em n %d; want 24 answers of 128 tokens, unscored", g.Platform, g.Level, g.Successes, g.OutputTokensMean, g.NoGold, g.EM.N)
		}
		// The emulator's own view, scraped every 100 ms while the level
		// sends: requests running (4 workers, no batch limit) and a KV
		// cache that fills more with longer prompts.
		if sm := g.ServerMetrics; sm == nil || sm.Samples < 3 || sm.RunningMax == nil || *sm.RunningMax < 1 || sm.KVCacheUsageMax == nil || *sm.KVCacheUsageMax <= 0 {
			t.Errorf("%s %s: server metrics %+v, want several scrapes with requests running and KV cache in use", g.Platform, g.Level, sm)
		}
	}
	if want := "metis-sim in=128,metis-sim in=1024,metis-sim in=4096,sophia-sim in=128,sophia-sim in=1024,sophia-sim in=4096"; strings.Join(labels, ",") != want {
		t.Errorf("groups %v, want one per platform and input length", labels)
	}
	if res.Sweep == nil || len(res.Sweep.Curves) != 2 {
		t.Fatalf("sweep %+v, want a curve per platform", res.Sweep)
	}
	for _, c := range res.Sweep.Curves {
		for i, p := range c.Points {
			if want := []int{128, 1024, 4096}[i]; p.InputTokens != want || p.OutputTokens != 128 {
				t.Errorf("%s point %d: %d in, %d out", c.Platform, i, p.InputTokens, p.OutputTokens)
			}
			// 4096 prompt tokens add 82 ms (sophia-sim) to 246 ms (metis-sim)
			// of prefill to the TTFT of 128: a margin no scheduling noise
			// (the race detector included) closes, unlike 128 against 1024.
			if first := c.Points[0]; i == 2 && p.TTFTP50 <= first.TTFTP50+40 {
				t.Errorf("%s: TTFT p50 %.1f ms at %s, not 40 ms above %.1f ms at %s: the prefill cost is missing", c.Platform, p.TTFTP50, p.Level, first.TTFTP50, first.Level)
			}
		}
	}
	checkPromptLengths(t, dir)
	checkLengthOutputs(t, dir)
	if fi, err := os.Stat(filepath.Join(dir, "server_metrics.jsonl")); err != nil || fi.Size() == 0 {
		t.Errorf("server_metrics.jsonl: want the emulators' scrapes for the timeline (%v)", err)
	}
	if code, stdout, stderr := inferbench(t, "report", dir); code != exitOK {
		t.Fatalf("report: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if again := readResults(t, dir); len(again.Groups) != 6 || again.Groups[5].Level != "in=4096" {
		t.Errorf("re-reported groups %+v", again.Groups)
	}
}

// checkPromptLengths counts the saved prompts with the tokenizer the
// experiment names.
func checkPromptLengths(t *testing.T, dir string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "samples.json"))
	if err != nil {
		t.Fatal(err)
	}
	var samples []config.Sample
	if err := json.Unmarshal(data, &samples); err != nil {
		t.Fatal(err)
	}
	tok, err := tokenize.Get(tokenize.O200kBase)
	if err != nil {
		t.Fatal(err)
	}
	if len(samples) != 72 {
		t.Errorf("%d samples, want 24 per input length", len(samples))
	}
	for _, s := range samples {
		want := map[string]int{"in=128": 128, "in=1024": 1024, "in=4096": 4096}[s.Group]
		if n := tok.Count(s.Context); n != want || s.MaxTokens != 128 {
			t.Errorf("sample %s (%s): %d tokens asking for %d, want %d asking for 128", s.ID, s.Group, n, s.MaxTokens, want)
		}
	}
}

// checkLengthOutputs reads the report, the TTFT plot and the workbook.
func checkLengthOutputs(t *testing.T, dir string) {
	t.Helper()
	report, err := os.ReadFile(filepath.Join(dir, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Not scored: 144 of 144 requests", "Sample groups (input and output tokens; each runs every load level, the group's max_tokens replacing params.max_tokens): in=128 (128 in, 128 out), in=1024 (1024 in, 128 out), in=4096 (4096 in, 128 out)", "## Load sweep", "sweep_ttft.svg", "TTFT (p50 and p99) against input length", "| metis-sim | in=4096", "than metis-sim at in=4096 (median latency"} {
		if !strings.Contains(string(report), want) {
			t.Errorf("report.md lacks %q", want)
		}
	}
	// A length is no load: the sentences name the level by its label.
	if strings.Contains(string(report), "at load in=") {
		t.Error("report.md calls a length a load (at load in=...)")
	}
	if strings.Contains(string(report), "## Answers side by side") {
		t.Error("report.md sets answers without gold side by side")
	}
	svg, err := os.ReadFile(filepath.Join(dir, "sweep_ttft.svg"))
	if err != nil || !strings.Contains(string(svg), "TTFT vs input length") || !strings.Contains(string(svg), "input length (tokens)") {
		t.Errorf("sweep_ttft.svg: want TTFT against the input length (%v)", err)
	}
	zr, err := zip.OpenReader(filepath.Join(dir, "results.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	found := false
	for _, f := range zr.File {
		if !strings.HasPrefix(f.Name, "xl/charts/chart") {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		found = found || strings.Contains(string(b), "TTFT vs input length")
	}
	if !found {
		t.Error("results.xlsx has no chart of TTFT vs input length")
	}
}
