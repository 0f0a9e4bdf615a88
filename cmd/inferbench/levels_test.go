package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/inferbench/inferbench/pipeline/runfolder"
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
	run := runOK(t, exp, out)
	journal := filepath.Join(run, runfolder.JournalFile)
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

// levelsExperiment runs one emulated platform at two concurrency levels.
const levelsExperiment = `name: levels
seed: 5
dataset: {source: demo, slice: "[:4]"}
platforms:
  - name: emu
    emulate: {ttft: 1ms, tokens_per_second: 5000, accuracy: 0.8}
    models: [m]
    concurrency: [1, 2]
export: {formats: [json]}
`

func TestCompareOfRunsWithLoadLevelsNamesEachLevelAndWarnsOfOtherScoring(t *testing.T) {
	dir := t.TempDir()
	exp := writeFile(t, dir, "levels.yaml", levelsExperiment)
	outA, outB := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	if code, stdout, stderr := inferbench(t, "run", exp, "--out", outA, "--no-progress"); code != exitOK {
		t.Fatalf("run A: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if code, stdout, stderr := inferbench(t, "run", exp, "--out", outB, "--no-progress", "--set", "score.extract=[first_line]"); code != exitOK {
		t.Fatalf("run B: exit %d\n%s\n%s", code, stdout, stderr)
	}
	runA, runB := runDir(t, outA), runDir(t, outB)
	cmp := filepath.Join(dir, "cmp")
	code, stdout, stderr := inferbench(t, "compare", runA, runB, "--out", cmp)
	if code != exitOK {
		t.Fatalf("compare: exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"emu / m / t=0 / load c=1\n", "emu / m / t=0 / load c=2\n"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("console lacks the block %q:\n%s", want, stdout)
		}
	}
	if !strings.Contains(stderr, "WARNING: the runs extract or score answers differently") || !strings.Contains(stderr, `score.extract: {"steps":["strip_reasoning"`) {
		t.Errorf("stderr lacks the scoring warning:\n%s", stderr)
	}
	for name, rows := range map[string][][]string{
		"compare.csv":  readCSVRows(t, filepath.Join(cmp, "compare.csv")),
		"compare.xlsx": compareRows(t, filepath.Join(cmp, "compare.xlsx")),
	} {
		levels := map[string]int{}
		for _, r := range rows[1:] {
			levels[column(t, rows[0], r, "load")]++
		}
		if len(levels) != 2 || levels["c=1"] == 0 || levels["c=1"] != levels["c=2"] {
			t.Errorf("%s rows by load = %v, want c=1 and c=2 alike", name, levels)
		}
	}
	// The same scoring gives no warning.
	if _, _, stderr := inferbench(t, "compare", runA, runA); strings.Contains(stderr, "score answers differently") {
		t.Errorf("a run compared with itself warns:\n%s", stderr)
	}
}

func TestPlanShowsEachLevelsExpectedSendingTime(t *testing.T) {
	dir := t.TempDir()
	exp := writeFile(t, dir, "plan.yaml", `name: plan
dataset: {source: demo, slice: "[:8]"}
platforms:
  - name: open
    emulate: {ttft: 1ms}
    models: [m]
    rate: [2, 8]
  - name: bounded
    emulate: {ttft: 1ms}
    models: [m]
    load: {type: rate, levels: [0.5, 4], max_duration: 10s}
  - name: closed
    emulate: {ttft: 1ms}
    models: [m]
    concurrency: [1, 4]
export: {formats: [json]}
`)
	code, stdout, stderr := inferbench(t, "plan", exp)
	if code != exitOK {
		t.Fatalf("plan: exit %d\n%s\n%s", code, stdout, stderr)
	}
	line := func(platform, level string) string {
		for _, l := range strings.Split(stdout, "\n") {
			if f := strings.Fields(l); len(f) > 2 && f[0] == platform && f[1] == level {
				return strings.Join(f[2:], " ")
			}
		}
		t.Fatalf("no line for %s %s in:\n%s", platform, level, stdout)
		return ""
	}
	for _, tc := range []struct{ platform, level, want string }{
		{"open", "r=2", "8 ~4s (8 requests at 2 req/s)"},
		{"open", "r=8", "8 ~1s (8 requests at 8 req/s)"},
		{"bounded", "r=0.5", "8 ~10s (max_duration; 8 requests at 0.5 req/s would take 16s)"},
		{"bounded", "r=4", "8 ~2s (8 requests at 4 req/s)"},
		{"closed", "c=4", "8 unknown (closed loop: depends on the endpoint)"},
	} {
		if got := line(tc.platform, tc.level); got != tc.want {
			t.Errorf("%s %s: %q, want %q", tc.platform, tc.level, got, tc.want)
		}
	}
}
