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

	"github.com/inferbench/inferbench/pipeline/runfolder"
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
	bin, out, run := killableRun(t)
	extract := map[string]string{"regex": "score.extract={regex: '(?s)(.*)'}", "first_line": "score.extract=[bold_span]"}
	kind := func() string {
		m, err := runfolder.ReadManifest(run)
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
		want[k] = state{read(runfolder.JournalFile), scores(t, read("results.json"))}
	}
	if bytes.Equal(want["regex"].records, want["first_line"].records) {
		t.Fatal("the two extractions give the same records")
	}
	killAtRandom(t, bin, out, run, 800*time.Millisecond, func(i int) []string {
		return []string{"rescore", run, "--set", extract[[]string{"regex", "first_line"}[i%2]]}
	}, func(i int) {
		got := kind()
		if !bytes.Equal(read(runfolder.JournalFile), want[got].records) {
			t.Fatalf("kill %d: the manifest names the %s extraction, the records are of another state", i, got)
		}
		if !bytes.Equal(scores(t, read("results.json")), want[got].results) {
			t.Fatalf("kill %d: the manifest names the %s extraction, results.json is of another state", i, got)
		}
	})
}

// killableRun runs a quick experiment of 40 repeats (640 records) and
// returns the binary, the results folder and the run folder, for the kill
// tests.
func killableRun(t *testing.T) (bin, out, run string) {
	t.Helper()
	dir := t.TempDir()
	bin = buildBinary(t)
	// Both platforms answer quickly: the kills are of commands on the
	// records, whose work the emulated speeds do not change.
	exp := writeFile(t, dir, "fast.yaml", strings.NewReplacer("repeats: 2", "repeats: 40", "ttft: 20ms, tokens_per_second: 1000", "ttft: 2ms, tokens_per_second: 4000", "concurrency: 4", "concurrency: 16").Replace(fastExperiment))
	out = filepath.Join(dir, "results")
	return bin, out, runOK(t, exp, out)
}

// killAtRandom starts bin with args(i) a dozen times, kills it with
// SIGKILL after a seeded random wait below maxWait (unless it ended
// before), and checks after each kill that no temporary file is left in
// run, that check(i) holds, and that the next lock removes whatever the
// kill left beside the folder.
func killAtRandom(t *testing.T, bin, out, run string, maxWait time.Duration, args func(i int) []string, check func(i int)) {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 12 {
		cmd := exec.Command(bin, args(i)...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan struct{})
		go func() { _ = cmd.Wait(); close(exited) }()
		// The kill comes at the drawn moment, or not at all when the
		// process ended before it (the rest of the wait would be idle).
		select {
		case <-time.After(time.Duration(rng.Int64N(int64(maxWait)))):
			_ = cmd.Process.Signal(syscall.SIGKILL)
			<-exited
		case <-exited:
		}
		entries, _ := os.ReadDir(run)
		for _, e := range entries {
			if n := e.Name(); (strings.HasPrefix(n, ".") && n != runfolder.LockFile) || strings.HasSuffix(n, ".tmp") {
				t.Fatalf("kill %d: temporary file %s left in the run folder", i, n)
			}
		}
		check(i)
		lock, err := runfolder.LockRunDir(run, true)
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
