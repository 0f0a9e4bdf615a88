package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/inferbench/inferbench/pipeline"
)

// twoStreamExperiment is a small emulated experiment whose platform runs at
// concurrency 2, to be resumed at another load.
const twoStreamExperiment = `name: load
seed: 5
dataset: {source: demo, slice: "[:4]"}
platforms:
  - name: emu
    emulate: {ttft: 1ms, tokens_per_second: 5000}
    models: [m]
    concurrency: 2
export: {formats: [json]}
`

func TestResumeRefusesAnotherLoadAndNamesTheChange(t *testing.T) {
	dir := t.TempDir()
	exp := writeFile(t, dir, "load.yaml", twoStreamExperiment)
	out := filepath.Join(dir, "r")
	if code, stdout, stderr := inferbench(t, "run", exp, "--out", out, "--no-progress"); code != exitOK {
		t.Fatalf("run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	run := runDir(t, out)
	journal := filepath.Join(run, pipeline.JournalFile)
	before, err := os.ReadFile(journal)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		sets []string
		want string
	}{
		{"concurrency", []string{"platforms.emu.concurrency=32"}, "platforms[0].concurrency: 2 -> 32"},
		{"rate", []string{"platforms.emu.rate=5"}, "platforms[0].rate: 0 -> 5"},
		{"levels", []string{"platforms.emu.concurrency=[2, 8]"}, "platforms[0] load levels: [concurrency 2] -> [c=2 (concurrency 2), c=8 (concurrency 8)]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := []string{"run", exp, "--resume", run, "--no-progress"}
			for _, s := range tt.sets {
				args = append(args, "--set", s)
			}
			code, stdout, stderr := inferbench(t, args...)
			if code != exitError {
				t.Fatalf("exit %d, want %d\n%s\n%s", code, exitError, stdout, stderr)
			}
			if !strings.Contains(stderr, tt.want) || !strings.Contains(stderr, "refusing to mix results") {
				t.Errorf("stderr lacks %q:\n%s", tt.want, stderr)
			}
			if after, _ := os.ReadFile(journal); string(after) != string(before) {
				t.Error("a refused resume changed records.jsonl")
			}
		})
	}
	// A stopping rule is not load: raising max_duration resumes.
	if code, stdout, stderr := inferbench(t, "run", exp, "--resume", run, "--no-progress", "--set", "platforms.emu.max_duration=1h"); code != exitOK {
		t.Fatalf("resume with a new max_duration: exit %d\n%s\n%s", code, stdout, stderr)
	}
}
