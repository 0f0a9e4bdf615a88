package main

import (
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
	out := t.TempDir()
	code, stdout, stderr := inferbench(t, "run", "../../experiments/sweep.yaml", "--out", out, "--no-progress")
	if code != exitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
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
	dir := runDir(t, out)
	code, detail, stderr := inferbench(t, "report", dir, "--detail")
	if code != exitOK || !strings.Contains(detail, "SERVING BENCHMARK RESULT") || !strings.Contains(detail, "Mean TPOT (ms)") {
		t.Errorf("report --detail: exit %d, no vLLM-style block:\n%s\n%s", code, detail, stderr)
	}
}
