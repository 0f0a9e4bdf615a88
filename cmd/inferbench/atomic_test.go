package main

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/inferbench/inferbench/pipeline"
)

// rescore killed with SIGKILL at random moments leaves the run folder in
// one state: the records, results.json and the manifest of the extraction
// before or of the one asked, and no temporary file in it (before, a kill
// left rescored records beside a manifest naming the old extraction).
// What a kill leaves beside the folder goes with the next command's lock.
func TestRescoreKilledAtAnyMomentLeavesOneState(t *testing.T) {
	t.Parallel() // mostly waits on other processes: these tests overlap
	if testing.Short() {
		t.Skip("builds the binary and kills it a dozen times")
	}
	dir := t.TempDir()
	bin := buildBinary(t)
	exp := writeFile(t, dir, "fast.yaml", strings.Replace(fastExperiment, "repeats: 2", "repeats: 40", 1))
	out := filepath.Join(dir, "results")
	if code, stdout, stderr := inferbench(t, "run", exp, "--out", out, "--no-progress"); code != exitOK {
		t.Fatalf("run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	run := runDir(t, out)
	extract := map[string]string{"regex": "score.extract={regex: '(?s)(.*)'}", "first_line": "score.extract=[bold_span]"}
	kind := func() string {
		m, err := pipeline.ReadManifest(run)
		if err != nil {
			t.Fatal(err)
		}
		if m.Experiment.Score.Extract.Regex != "" {
			return "regex"
		}
		return "first_line"
	}
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(run, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	// The records and the mean scores each extraction gives.
	type state struct{ records, results []byte }
	want := map[string]state{}
	for _, k := range []string{"regex", "first_line"} {
		if code, stdout, stderr := inferbench(t, "rescore", run, "--set", extract[k]); code != exitOK {
			t.Fatalf("rescore: exit %d\n%s\n%s", code, stdout, stderr)
		}
		want[k] = state{read(pipeline.JournalFile), scores(t, read("results.json"))}
	}
	if bytes.Equal(want["regex"].records, want["first_line"].records) {
		t.Fatal("the two extractions give the same records")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 12 {
		k := []string{"regex", "first_line"}[i%2]
		cmd := exec.Command(bin, "rescore", run, "--set", extract[k])
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(rng.IntN(800)) * time.Millisecond)
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_ = cmd.Wait()
		got := kind()
		if !bytes.Equal(read(pipeline.JournalFile), want[got].records) {
			t.Fatalf("kill %d: the manifest names the %s extraction, the records are of another state", i, got)
		}
		if !bytes.Equal(scores(t, read("results.json")), want[got].results) {
			t.Fatalf("kill %d: the manifest names the %s extraction, results.json is of another state", i, got)
		}
		entries, _ := os.ReadDir(run)
		for _, e := range entries {
			if n := e.Name(); (strings.HasPrefix(n, ".") && n != pipeline.LockFile) || strings.HasSuffix(n, ".tmp") {
				t.Fatalf("kill %d: temporary file %s left in the run folder", i, n)
			}
		}
		lock, err := pipeline.LockRunDir(run, true)
		if err != nil {
			t.Fatal(err)
		}
		lock.Unlock()
		if left, _ := filepath.Glob(filepath.Join(out, ".*")); len(left) > 0 {
			t.Fatalf("kill %d: %v left beside the run folder after the next lock", i, left)
		}
	}
}

// scores is results.json's groups, with the scores an extraction
// changes.
func scores(t *testing.T, b []byte) []byte {
	t.Helper()
	var r struct {
		Results struct {
			Groups json.RawMessage `json:"groups"`
		} `json:"results"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	if len(r.Results.Groups) == 0 {
		t.Fatal("results.json has no groups")
	}
	return r.Results.Groups
}
