package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/inferbench/inferbench/pipeline/runfolder"
)

func TestAProcessThatFindsTheRunFolderLockedWritesNothing(t *testing.T) {
	dir := t.TempDir()
	exp := writeFile(t, dir, "fast.yaml", fastExperiment)
	out := filepath.Join(dir, "results")
	if code, stdout, stderr := inferbench(t, "run", exp, "--out", out, "--no-progress", "--set", "export.formats=[json]"); code != exitOK {
		t.Fatalf("run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	run := runDir(t, out)
	// Leave cells to run so that an unlocked resume would write.
	recs, _, _ := runfolder.ReadJournal(filepath.Join(run, runfolder.JournalFile))
	if err := runfolder.WriteJournal(filepath.Join(run, runfolder.JournalFile), recs[:len(recs)/2]); err != nil {
		t.Fatal(err)
	}
	lock, err := runfolder.LockRunDir(run, true) // stands for another process's run
	if err != nil {
		t.Fatal(err)
	}
	before := folderState(t, run)
	want := fmt.Sprintf("run folder %s is in use by another inferbench process (pid %d ", run, os.Getpid())
	for _, args := range [][]string{
		{"run", exp, "--resume", run, "--no-progress"},
		{"rescore", run},
		{"report", run, "--set", "export.formats=[json,csv]"},
	} {
		t.Run(args[0]+" is refused", func(t *testing.T) {
			code, stdout, stderr := inferbench(t, args...)
			if code != exitError || !strings.Contains(stderr, want) {
				t.Fatalf("exit %d, want %d and %q\n%s\n%s", code, exitError, want, stdout, stderr)
			}
			after := folderState(t, run)
			if len(after) != len(before) {
				t.Errorf("files %d -> %d", len(before), len(after))
			}
			for name, body := range before {
				if after[name] != body {
					t.Errorf("%s changed", name)
				}
			}
		})
	}
	lock.Unlock()
	if code, stdout, stderr := inferbench(t, "run", exp, "--resume", run, "--no-progress", "--set", "export.formats=[json]"); code != exitOK {
		t.Fatalf("resume after the lock was released: exit %d\n%s\n%s", code, stdout, stderr)
	}
}

// TestAFreshRunHoldsItsFolderAgainstAnotherProcess runs a real inferbench
// process and tries report and resume on its folder while it writes.
func TestAFreshRunHoldsItsFolderAgainstAnotherProcess(t *testing.T) {
	t.Parallel() // mostly waits on other processes: these tests overlap
	if testing.Short() {
		t.Skip("builds and runs a real process")
	}
	dir := t.TempDir()
	bin := buildBinary(t)
	exp := writeFile(t, dir, "slow.yaml", `name: slow
dataset: {source: demo}
platforms:
  - name: a
    emulate: {ttft: 100ms, tokens_per_second: 100}
    models: [m]
    concurrency: 2
export: {formats: [json]}
`)
	out := filepath.Join(dir, "out")
	cmd := exec.Command(bin, "run", exp, "--out", out, "--no-progress")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	var run string
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		run = glob1(out, "slow-*")
		if b, err := os.ReadFile(filepath.Join(run, runfolder.JournalFile)); err == nil && len(b) > 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	want := fmt.Sprintf("is in use by another inferbench process (pid %d on ", cmd.Process.Pid)
	for _, args := range [][]string{{"report", run}, {"run", exp, "--resume", run, "--no-progress"}} {
		code, _, stderr := inferbench(t, args...)
		if code != exitError || !strings.Contains(stderr, want) {
			t.Errorf("%s during a run: exit %d, want %d and %q\n%s", args[0], code, exitError, want, stderr)
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("the run itself: %v", err)
	}
	recs, _, _ := runfolder.ReadJournal(filepath.Join(run, runfolder.JournalFile))
	if len(recs) != 48 {
		t.Errorf("%d records, want 48: the refused processes must not have touched the journal", len(recs))
	}
	if code, _, stderr := inferbench(t, "report", run); code != exitOK {
		t.Errorf("report after the run ended: exit %d\n%s", code, stderr)
	}
}
