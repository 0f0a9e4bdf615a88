package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// tokenExperiment is one real-endpoint platform whose token comes from command.
func tokenExperiment(t *testing.T, dir, command string) string {
	t.Helper()
	return writeFile(t, dir, "token.yaml", `name: token
dataset: {source: demo, slice: "[:2]"}
platforms:
  - name: guarded
    base_url: http://127.0.0.1:1/v1
    api_key_command: "`+command+`"
    models: [m]
`)
}

func TestAFailingTokenCommandFailsTheRunCleanly(t *testing.T) {
	dir := t.TempDir()
	exp := tokenExperiment(t, dir, "echo oops >&2; exit 3")
	code, stdout, stderr := inferbench(t, "run", exp, "--out", filepath.Join(dir, "r"), "--no-progress")
	if code != exitError {
		t.Errorf("exit %d, want %d", code, exitError)
	}
	if want := "platform guarded: api_key_command failed: exit status 3; stderr: oops"; !strings.Contains(stderr, want) {
		t.Errorf("stderr lacks %q:\n%s", want, stderr)
	}
	if strings.Contains(stdout, "INFERBENCH COMPARISON") {
		t.Errorf("an empty comparison table was printed:\n%s", stdout)
	}
}

// A Ctrl-C that comes while the dataset loads or the plan is built, before
// any run folder exists, is an interruption too (130), not an error (1).
func TestCtrlCBeforeTheRunFolderExistsExitsAsInterrupted(t *testing.T) {
	dir := t.TempDir()
	exp := tokenExperiment(t, dir, "echo tok")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out, errb bytes.Buffer
	code := execute(ctx, []string{"run", exp, "--out", filepath.Join(dir, "r"), "--no-progress"}, &out, &errb)
	if code != exitInterrupted {
		t.Errorf("exit %d, want %d\n%s", code, exitInterrupted, errb.String())
	}
	if strings.Contains(out.String(), "INFERBENCH COMPARISON") {
		t.Errorf("a comparison table was printed:\n%s", out.String())
	}
}

func TestCtrlCDuringTheTokenCommandExitsAsInterrupted(t *testing.T) {
	dir := t.TempDir()
	exp := tokenExperiment(t, dir, "sleep 10")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	time.AfterFunc(300*time.Millisecond, cancel)
	var out, errb bytes.Buffer
	start := time.Now()
	code := execute(ctx, []string{"run", exp, "--out", filepath.Join(dir, "r"), "--no-progress"}, &out, &errb)
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("took %v; the token command was not stopped", took)
	}
	if code != exitInterrupted {
		t.Errorf("exit %d, want %d\n%s", code, exitInterrupted, errb.String())
	}
	if strings.Contains(out.String(), "INFERBENCH COMPARISON") {
		t.Errorf("an empty comparison table was printed:\n%s", out.String())
	}
}
