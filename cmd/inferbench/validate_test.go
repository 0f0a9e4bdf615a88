package main

import (
	"runtime"
	"strings"
	"testing"
)

func TestPlanRefusesAnOversizedMatrixWithoutBuildingIt(t *testing.T) {
	dir := t.TempDir()
	// No slice or sample: validation can only check one question, and
	// 2 platforms x 4,000,000 repeats = 8,000,000 cells per question pass;
	// plan loads the 48 demo questions and refuses 384,000,000 cells.
	file := writeFile(t, dir, "big.yaml", strings.Replace(fastExperiment, `, slice: "[:8]"`, "", 1))
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"a billion repeats are refused by plan at validation", []string{"plan", file, "--set", "repeats=1000000000"},
			"--set repeats: repeats: one question alone makes 2,000,000,000 cells (2 platform-models x 1 temperature x 1,000,000,000 repeats), more than max_cells 10,000,000; lower repeats or raise max_cells"},
		{"a billion repeats are refused by validate", []string{"validate", file, "--set", "repeats=1000000000"},
			"one question alone makes 2,000,000,000 cells"},
		{"plan checks the exact count once the dataset is loaded", []string{"plan", file, "--set", "repeats=4000000"},
			"plan: the matrix has 384,000,000 cells (2 platform-models x 1 temperature x 4,000,000 repeats x 48 questions), more than max_cells 10,000,000; lower repeats or raise max_cells"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			code, stdout, stderr := inferbench(t, tt.args...)
			runtime.ReadMemStats(&after)
			if code != exitError || !strings.Contains(stderr, tt.want) {
				t.Fatalf("exit %d, want %d and %q\nstdout:\n%s\nstderr:\n%s", code, exitError, tt.want, stdout, stderr)
			}
			// A built matrix would take tens of gigabytes; loading the file
			// and the demo questions takes a few megabytes.
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
				t.Errorf("the command allocated %d MB", alloc>>20)
			}
		})
	}
}
