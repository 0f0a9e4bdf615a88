package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The sweep experiment's console is read at a glance: the verdicts and the
// crossover first, one table per concern, the six groups' small-sample
// warnings as one line, within 60 lines; --detail adds vLLM's block.
func TestTheSweepConsoleIsCompact(t *testing.T) {
	if testing.Short() {
		t.Skip("runs experiments/sweep.yaml (about 5 seconds)")
	}
	stdout, shared := sweepRun(t)
	if n := strings.Count(stdout, "\n"); n > 60 {
		t.Errorf("%d lines, want at most 60:\n%s", n, stdout)
	}
	verdict, cross, table := strings.Index(stdout, "SPEEDUP AND ACCURACY vs metis-sim"), strings.Index(stdout, "from c=8 up"), strings.Index(stdout, "LATENCY (ms)")
	if verdict < 0 || cross < 0 || table < 0 || verdict > table || cross > table {
		t.Errorf("the verdict (%d) and the crossover (%d) do not come before the tables (%d):\n%s", verdict, cross, table, stdout)
	}
	if strings.Contains(stdout, "SERVING BENCHMARK RESULT") {
		t.Errorf("the vLLM-style block is in the default console")
	}
	if strings.Count(stdout, "p99 needs >= 100") != 1 || !strings.Contains(stdout, "6 groups") {
		t.Errorf("the small-sample warnings are not grouped:\n%s", stdout)
	}
	dir := filepath.Join(t.TempDir(), filepath.Base(shared))
	if err := os.CopyFS(dir, os.DirFS(shared)); err != nil {
		t.Fatal(err)
	}
	code, detail, stderr := inferbench(t, "report", dir, "--detail")
	if code != exitOK || !strings.Contains(detail, "SERVING BENCHMARK RESULT") || !strings.Contains(detail, "Mean TPOT (ms)") {
		t.Errorf("report --detail: exit %d, no vLLM-style block:\n%s\n%s", code, detail, stderr)
	}
}

// report --format analysis writes the homework's analysis skeleton.
func TestReportWritesTheAnalysisSkeleton(t *testing.T) {
	dir := t.TempDir()
	exp := writeFile(t, dir, "exp.yaml", `name: hw
dataset: {source: demo, sample: 4}
platforms:
  - {name: Metis, emulate: {ttft: 5ms, tokens_per_second: 2000}, models: [m]}
  - {name: Sophia, emulate: {ttft: 20ms, tokens_per_second: 500}, models: [m]}
baseline: Sophia
params: {max_tokens: 32}
export: {formats: [json]}
`)
	run := runOK(t, exp, filepath.Join(dir, "out"))
	if code, stdout, stderr := inferbench(t, "report", run, "--format", "analysis"); code != exitOK || !strings.Contains(stdout, "analysis.md") {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	b, err := os.ReadFile(filepath.Join(run, "analysis.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| Metric | Metis | Sophia |", "Metis is ", "x faster than Sophia by mean latency", "## Use cases"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("analysis.md lacks %q:\n%s", want, b)
		}
	}
	if code, _, _ := inferbench(t, "report", run, "--format", "pdf"); code != exitUsage {
		t.Errorf("--format pdf: exit %d, want %d", code, exitUsage)
	}
}
