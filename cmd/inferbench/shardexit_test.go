package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/inferbench/inferbench/pipeline/runfolder"
)

// oneSlotExperiment has a single in-flight slot: of 3 shards, shard 0
// gets it and every cell, shards 1 and 2 none. Its check fails.
const oneSlotExperiment = `name: oneslot
seed: 3
dataset: {source: demo, slice: "[:4]"}
platforms:
  - name: only
    emulate: {ttft: 1ms, tokens_per_second: 5000}
    models: [m]
    concurrency: 1
checks: ["false"]
export: {formats: [json]}
`

func TestAShardWithNothingToSendExitsZeroWithANote(t *testing.T) {
	dir := t.TempDir()
	exp := writeFile(t, dir, "oneslot.yaml", oneSlotExperiment)
	out := filepath.Join(dir, "runs")
	code, stdout, stderr := inferbench(t, "run", exp, "--shard", "1/3", "--out", out, "--no-progress")
	if code != exitOK || !strings.Contains(stderr, "shard 1/3") || !strings.Contains(stderr, "nothing to send") {
		t.Fatalf("exit %d, stdout %q, stderr %q; want 0 and a note", code, stdout, stderr)
	}
	d := glob1(out, "oneslot-shard-1-of-3-*")
	m, err := runfolder.ReadManifest(d)
	if err != nil || m.CellTotal != 0 || m.Shard == nil {
		t.Fatalf("manifest %+v, %v", m, err)
	}
	t.Run("the empty shard merges with the others, and the merged run evaluates the checks", func(t *testing.T) {
		for _, i := range []string{"0/3", "2/3"} {
			if code, _, stderr := inferbench(t, "run", exp, "--shard", i, "--out", out, "--no-progress"); code != exitOK {
				t.Fatalf("shard %s: exit %d %s", i, code, stderr)
			}
		}
		dirs, _ := filepath.Glob(filepath.Join(out, "oneslot-shard-*"))
		code, _, stderr := inferbench(t, append(append([]string{"merge"}, dirs...), "--out", filepath.Join(dir, "merged"))...)
		if code != exitChecksFailed || !strings.Contains(stderr, "FAIL false") {
			t.Errorf("merge: exit %d, stderr %q; want the failed check's exit %d", code, stderr, exitChecksFailed)
		}
	})
}

func TestAShardDoesNotGateOnChecks(t *testing.T) {
	dir := t.TempDir()
	exp := writeFile(t, dir, "oneslot.yaml", oneSlotExperiment)
	code, _, stderr := inferbench(t, "run", exp, "--shard", "0/3", "--out", filepath.Join(dir, "runs"), "--no-progress")
	if code != exitOK || !strings.Contains(stderr, "merged run") {
		t.Fatalf("exit %d, stderr %q; want 0 and a word that checks belong to the merged run", code, stderr)
	}
	// Unsharded, the same failing check still exits 3.
	if code, _, _ := inferbench(t, "run", exp, "--out", filepath.Join(dir, "whole"), "--no-progress"); code != exitChecksFailed {
		t.Errorf("unsharded run exit %d, want %d", code, exitChecksFailed)
	}
}

func TestShardZeroOfZeroIsAUsageError(t *testing.T) {
	dir := t.TempDir()
	exp := writeFile(t, dir, "oneslot.yaml", oneSlotExperiment)
	code, _, stderr := inferbench(t, "run", exp, "--shard", "0/0", "--out", filepath.Join(dir, "runs"), "--no-progress")
	if code != exitUsage {
		t.Fatalf("exit %d, stderr %q; want %d", code, stderr, exitUsage)
	}
	if ents, _ := os.ReadDir(filepath.Join(dir, "runs")); len(ents) != 0 {
		t.Errorf("a run folder was made: %v", ents)
	}
}

func TestRunHelpNamesTheShardFolderAsItIs(t *testing.T) {
	_, stdout, _ := inferbench(t, "run", "--help")
	if !strings.Contains(stdout, "<name>-shard-i-of-n-<stamp>") {
		t.Errorf("run --help:\n%s", stdout)
	}
}

func TestARerunShardResumesItsUnfinishedFolder(t *testing.T) {
	dir := t.TempDir()
	exp := writeFile(t, dir, "oneslot.yaml", strings.Replace(oneSlotExperiment, `checks: ["false"]`, "", 1))
	out := filepath.Join(dir, "runs")
	if code, _, stderr := inferbench(t, "run", exp, "--shard", "0/2", "--out", out, "--no-progress"); code != exitOK {
		t.Fatalf("first attempt: exit %d %s", code, stderr)
	}
	first := glob1(out, "oneslot-shard-0-of-2-*")
	journal := filepath.Join(first, runfolder.JournalFile)
	lines := readLines(t, journal)
	// The task was killed: two records are gone and the run never finished.
	if err := os.WriteFile(journal, []byte(strings.Join(toStrings(lines[:len(lines)-2]), "")), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := runfolder.ReadManifest(first)
	if err != nil {
		t.Fatal(err)
	}
	m.FinishedAt, m.StopReason = time.Time{}, "" // as kill -9 leaves it
	b, _ := json.Marshal(m)
	writeFile(t, first, runfolder.ManifestFile, string(b))

	t.Run("the same command resumes the folder instead of making a second one", func(t *testing.T) {
		code, _, stderr := inferbench(t, "run", exp, "--shard", "0/2", "--out", out, "--no-progress")
		if code != exitOK || !strings.Contains(stderr, "resum") {
			t.Fatalf("rerun: exit %d %s", code, stderr)
		}
		if got, _ := filepath.Glob(filepath.Join(out, "oneslot-shard-0-of-2-*")); len(got) != 1 {
			t.Fatalf("shard folders %v, want the one", got)
		}
		if got := len(readLines(t, journal)); got != len(lines) {
			t.Errorf("%d records after the rerun, want %d", got, len(lines))
		}
	})
	t.Run("a finished shard folder is left alone", func(t *testing.T) {
		before, _ := os.ReadFile(journal)
		code, _, stderr := inferbench(t, "run", exp, "--shard", "0/2", "--out", out, "--no-progress")
		if code != exitOK || !strings.Contains(stderr, "already finished") {
			t.Fatalf("rerun of a finished shard: exit %d %s", code, stderr)
		}
		after, _ := os.ReadFile(journal)
		if string(before) != string(after) {
			t.Error("the finished shard's records changed")
		}
		if got, _ := filepath.Glob(filepath.Join(out, "oneslot-shard-0-of-2-*")); len(got) != 1 {
			t.Fatalf("shard folders %v, want the one", got)
		}
	})
	t.Run("another campaign in the same folder gets its own shard folder", func(t *testing.T) {
		code, _, stderr := inferbench(t, "run", exp, "--shard", "0/2", "--out", out, "--no-progress", "--set", "seed=9")
		if code != exitOK {
			t.Fatalf("exit %d %s", code, stderr)
		}
		got, _ := filepath.Glob(filepath.Join(out, "oneslot-shard-0-of-2-*"))
		if len(got) != 2 {
			t.Fatalf("shard folders %v, want two campaigns", got)
		}
		if !strings.Contains(stderr, "another experiment") {
			t.Errorf("stderr %q does not say the existing folder is of another experiment", stderr)
		}
	})
}

func toStrings(lines [][]byte) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = string(l)
	}
	return out
}

func TestStartAtIsReadOrRefusedAsAUsageError(t *testing.T) {
	dir := t.TempDir()
	exp := writeFile(t, dir, "oneslot.yaml", strings.Replace(oneSlotExperiment, `checks: ["false"]`, "", 1))
	if code, _, stderr := inferbench(t, "run", exp, "--start-at", "soon", "--out", filepath.Join(dir, "a"), "--no-progress"); code != exitUsage || !strings.Contains(stderr, "--start-at") {
		t.Errorf("--start-at soon: exit %d, stderr %q", code, stderr)
	}
	code, _, stderr := inferbench(t, "run", exp, "--start-at", "+0s", "--out", filepath.Join(dir, "b"), "--no-progress")
	if code != exitOK {
		t.Fatalf("--start-at +0s: exit %d %s", code, stderr)
	}
	m, err := runfolder.ReadManifest(runDir(t, filepath.Join(dir, "b")))
	if err != nil || m.StartAt == nil {
		t.Errorf("manifest start_at %v, %v", m.StartAt, err)
	}
}

func TestPlanShowsAShardsShareAndCells(t *testing.T) {
	dir := t.TempDir()
	exp := writeFile(t, dir, "c8.yaml", strings.NewReplacer("concurrency: 1", "concurrency: 8", `slice: "[:4]"`, `slice: "[:8]"`).Replace(oneSlotExperiment))
	code, stdout, stderr := inferbench(t, "plan", exp, "--shard", "2/3")
	if code != exitOK {
		t.Fatalf("exit %d %s", code, stderr)
	}
	for _, want := range []string{"shard 2/3", "6/8:8/8", "concurrency 2", "total requests of shard 2/3: 2 of 8"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("plan --shard 2/3 does not say %q:\n%s", want, stdout)
		}
	}
	if code, _, _ := inferbench(t, "plan", exp, "--shard", "3/3"); code != exitUsage {
		t.Errorf("plan --shard 3/3: exit %d, want %d", code, exitUsage)
	}
}
