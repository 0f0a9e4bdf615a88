package main

import (
	"os"
	"path/filepath"
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

// repeats: 0 is refused like concurrency: 0, located, by validate and by
// run (before any run folder is made), in the file or by an override.
func TestZeroRepeatsIsALocatedError(t *testing.T) {
	dir := t.TempDir()
	file := writeFile(t, dir, "zero.yaml", strings.Replace(fastExperiment, "repeats: 2", "repeats: 0", 1))
	for _, args := range [][]string{
		{"validate", file},
		{"run", file, "--out", dir, "--no-progress"},
		{"validate", writeFile(t, dir, "fast.yaml", fastExperiment), "--set", "repeats=0"},
	} {
		t.Run(strings.Join(args[:1], " ")+" "+strings.Join(args[2:], " "), func(t *testing.T) {
			code, stdout, stderr := inferbench(t, args...)
			if code != exitError || !strings.Contains(stderr, "repeats: must be >= 1, got 0") {
				t.Fatalf("exit %d, want %d and the located error\nstdout:\n%s\nstderr:\n%s", code, exitError, stdout, stderr)
			}
		})
	}
	if code, _, stderr := inferbench(t, "validate", file); !strings.Contains(stderr, "zero.yaml:14:1: repeats") {
		t.Errorf("exit %d: the error is not located at the line of repeats:\n%s", code, stderr)
	}
}

// Two platforms' lone models of different names are compared by position
// with a warning from validate, run and the report, which a compare_as
// label on each silences; a model without a counterpart is named too.
func TestPairingModelsOfDifferentNamesWarns(t *testing.T) {
	dir := t.TempDir()
	lone := writeFile(t, dir, "lone.yaml", `name: lone
dataset: {source: demo, slice: "[:2]"}
platforms:
  - name: metis
    emulate: {accuracy: 1}
    models: [gpt-oss-120b-131072]
  - name: sophia
    emulate: {accuracy: 1}
    models: [openai/gpt-oss-120b]
baseline: sophia
export: {formats: [markdown]}
`)
	const warning = "platforms[0].models[0]: metis/gpt-oss-120b-131072 is compared with sophia/openai/gpt-oss-120b, the only model of each platform, though their names differ; give both the same compare_as label"
	code, _, stderr := inferbench(t, "validate", lone)
	if code != exitOK || !strings.Contains(stderr, "inferbench: warning: "+lone+": "+warning) {
		t.Errorf("validate: exit %d, stderr:\n%s", code, stderr)
	}
	run := runOK(t, lone, filepath.Join(dir, "out"))
	if b, _ := os.ReadFile(filepath.Join(run, "report.md")); !strings.Contains(string(b), warning) {
		t.Errorf("report.md does not carry the warning:\n%s", b)
	}
	labelled := writeFile(t, dir, "labelled.yaml", strings.NewReplacer(
		"models: [gpt-oss-120b-131072]", "models: [{name: gpt-oss-120b-131072, compare_as: gpt-oss-120b}]",
		"models: [openai/gpt-oss-120b]", "models: [{name: openai/gpt-oss-120b, compare_as: gpt-oss-120b}]").Replace(mustRead(t, lone)))
	if code, _, stderr := inferbench(t, "validate", labelled); code != exitOK || strings.Contains(stderr, "warning") {
		t.Errorf("validate with compare_as labels: exit %d, stderr:\n%s", code, stderr)
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
