//go:build linux

package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/inferbench/inferbench/pipeline/results"
	"github.com/inferbench/inferbench/pipeline/runfolder"
)

// fdChildEnv holds "soft/hard" for TestFDChild: the RLIMIT_NOFILE the
// child sets on itself before it runs the experiment in fdChildExpEnv.
const (
	fdChildEnv    = "INFERBENCH_TEST_FD_LIMIT"
	fdChildExpEnv = "INFERBENCH_TEST_FD_EXPERIMENT"
)

// manyConns needs 2 x 150 + 64 = 364 descriptors (emulated: both ends of
// each connection are in the process).
const manyConns = `name: manyconns
dataset: {source: demo, slice: "[:4]"}
platforms:
  - name: a
    emulate: {ttft: 1ms, tokens_per_second: 4000}
    models: [m]
    concurrency: 150
export: {formats: [json]}
`

// fdChild runs the test binary again as TestFDChild with RLIMIT_NOFILE
// soft/hard and returns its exit status and output.
func fdChild(t *testing.T, soft, hard uint64, exp string) (int, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestFDChild$")
	cmd.Env = append(os.Environ(), fdChildEnv+"="+strconv.FormatUint(soft, 10)+"/"+strconv.FormatUint(hard, 10), fdChildExpEnv+"="+exp)
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, string(out)
}

// TestFDChild is the child of the preflight tests; it does nothing in an
// ordinary test run. It exits with inferbench's exit code.
func TestFDChild(t *testing.T) {
	exp := os.Getenv(fdChildExpEnv)
	if exp == "" {
		t.Skip("only as the child of the preflight and client-bound tests")
	}
	if spec := os.Getenv(fdChildEnv); spec != "" {
		soft, _ := strconv.ParseUint(spec[:strings.Index(spec, "/")], 10, 64)
		hard, _ := strconv.ParseUint(spec[strings.Index(spec, "/")+1:], 10, 64)
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: soft, Max: hard}); err != nil {
			t.Fatal(err)
		}
	}
	if n, _ := strconv.Atoi(os.Getenv(busyChildEnv)); n > 0 {
		var stop atomic.Bool
		defer stop.Store(true)
		for range n {
			go func() {
				for !stop.Load() {
				}
			}()
		}
	}
	out := filepath.Join(filepath.Dir(exp), "out")
	code, stdout, stderr := inferbench(t, "run", exp, "--out", out, "--no-progress")
	os.Stdout.WriteString(stdout + stderr)
	os.Exit(code)
}

func TestPreflightRefusesAFileDescriptorLimitBelowThePlanAndExitsFive(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	dir := t.TempDir()
	exp := writeFile(t, dir, "many.yaml", manyConns)
	code, out := fdChild(t, 128, 128, exp)
	if code != exitClientResource {
		t.Fatalf("exit %d, want %d\n%s", code, exitClientResource, out)
	}
	for _, want := range []string{"file-descriptor limit (128, hard limit 128)", "364", "ulimit -n", "--shard", "lower the concurrency"} {
		if !strings.Contains(out, want) {
			t.Errorf("the refusal does not say %q:\n%s", want, out)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "out")); err == nil {
		t.Errorf("a refused run created a run folder")
	}
}

func TestPreflightRaisesTheSoftLimitToTheHardLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil || lim.Max < 1024 {
		t.Skipf("hard limit %d too low for this test", lim.Max)
	}
	dir := t.TempDir()
	exp := writeFile(t, dir, "many.yaml", manyConns)
	code, out := fdChild(t, 128, 1024, exp)
	if code != exitOK {
		t.Fatalf("exit %d, want 0 (soft limit raised to 1024)\n%s", code, out)
	}
}

func TestClientResourceFailuresWarnAndExitFive(t *testing.T) {
	if testing.Short() {
		t.Skip("runs an experiment")
	}
	out := t.TempDir()
	exp := writeFile(t, t.TempDir(), "fast.yaml", fastExperiment)
	dir := runOK(t, exp, out)
	// Two of the platform's requests ran out of descriptors on the client.
	path := filepath.Join(dir, runfolder.JournalFile)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	changed := 0
	for i, l := range lines {
		var rec map[string]any
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatal(err)
		}
		if rec["platform"] != "fast" || changed == 2 {
			continue
		}
		rec["error"] = results.ErrClientResource
		rec["error_detail"] = `Post "http://127.0.0.1:1/v1/chat/completions": dial tcp 127.0.0.1:1: socket: too many open files`
		nb, _ := json.Marshal(rec)
		lines[i] = string(nb)
		changed++
	}
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := inferbench(t, "report", dir)
	if code != exitClientResource {
		t.Fatalf("report: exit %d, want %d\n%s", code, exitClientResource, stderr)
	}
	for _, want := range []string{"WARNING", "2 requests failed on this machine's resources", "ulimit -n"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr does not say %q:\n%s", want, stderr)
		}
	}
	var doc struct{ Results results.Results }
	rb, _ := os.ReadFile(filepath.Join(dir, "results.json"))
	if err := json.Unmarshal(rb, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Results.ClientResource == nil || doc.Results.ClientResource.Requests != 2 {
		t.Errorf("results.json client_resource %+v, want 2 requests", doc.Results.ClientResource)
	}
	seen := false
	for _, g := range doc.Results.Groups {
		seen = seen || g.Platform == "fast"
		if g.Platform == "fast" && (g.ClientErrors != 2 || g.Failures != 0 || g.Count != 14) {
			t.Errorf("group fast: client_errors %d failures %d count %d, want 2, 0, 14", g.ClientErrors, g.Failures, g.Count)
		}
	}
	if !seen {
		t.Error("results.json has no group fast")
	}
}

// busyChildEnv makes TestFDChild hog the CPU with that many busy
// goroutines while it runs (start it with GOMAXPROCS=1).
const busyChildEnv = "INFERBENCH_TEST_BUSY"

// TestAClientThatCannotKeepUpMarksItsLevelsClientBound runs an
// experiment in a child with GOMAXPROCS=1 and two goroutines spinning
// beside the client: runnable goroutines wait for the scheduler and the
// process uses its one core, a load the child cannot sustain. Every level
// must be flagged, and report must find the same figures in the run folder.
func TestAClientThatCannotKeepUpMarksItsLevelsClientBound(t *testing.T) {
	t.Parallel() // mostly waits on another process
	if testing.Short() {
		t.Skip("starts a child process")
	}
	dir := t.TempDir()
	exp := writeFile(t, dir, "busy.yaml", `name: busy
dataset: {source: demo, slice: "[:6]"}
platforms:
  - name: a
    emulate: {ttft: 5ms, tokens_per_second: 2000}
    models: [m]
    concurrency: [1, 2]
  - name: b
    emulate: {ttft: 5ms, tokens_per_second: 1000}
    models: [m]
    concurrency: [1, 2]
export: {formats: [json, csv, markdown]}
`)
	cmd := exec.Command(os.Args[0], "-test.run=^TestFDChild$")
	cmd.Env = append(os.Environ(), "GOMAXPROCS=1", busyChildEnv+"=2", fdChildExpEnv+"="+exp)
	b, err := cmd.CombinedOutput()
	out := string(b)
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if !strings.Contains(out, "CLIENT-BOUND") || !strings.Contains(out, "(≤)") {
		t.Errorf("the console does not flag the client-bound levels:\n%s", out)
	}
	run := runDir(t, filepath.Join(dir, "out"))
	read := func() results.Results {
		var doc struct{ Results results.Results }
		rb, err := os.ReadFile(filepath.Join(run, "results.json"))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(rb, &doc); err != nil {
			t.Fatal(err)
		}
		if len(doc.Results.Groups) == 0 {
			t.Fatal("results.json has no group")
		}
		return doc.Results
	}
	res := read()
	for _, g := range res.Groups {
		if g.Client == nil || !g.ClientBound || g.ClientBoundReason == "" {
			t.Errorf("group %s %s: client %+v bound %v %q, want client-bound", g.Platform, g.Level, g.Client, g.ClientBound, g.ClientBoundReason)
		}
	}
	if res.Sweep == nil {
		t.Fatal("no sweep")
	}
	for _, c := range res.Sweep.Curves {
		for _, p := range c.Points {
			if !p.ClientBound {
				t.Errorf("sweep point %s %s not client-bound", c.Platform, p.Level)
			}
		}
	}
	for _, x := range res.Sweep.Crossovers {
		if !strings.Contains(x.Statement, "client-bound") {
			t.Errorf("crossover %q does not say it rests on client-bound levels", x.Statement)
		}
	}
	md, _ := os.ReadFile(filepath.Join(run, "report.md"))
	if !strings.Contains(string(md), "## Client health") || !strings.Contains(string(md), "(≤)") {
		t.Errorf("report.md does not show the client's health and the upper bounds")
	}
	csv, _ := os.ReadFile(filepath.Join(run, "summary.csv"))
	if !strings.Contains(string(csv), "client_bound") {
		t.Errorf("summary.csv has no client_bound column")
	}

	// report recomputes the same from the run folder, without the child's load.
	if code, _, stderr := inferbench(t, "report", run); code != exitOK {
		t.Fatalf("report: exit %d\n%s", code, stderr)
	}
	again := read()
	for i, g := range again.Groups {
		if g.Client == nil || *g.Client != *res.Groups[i].Client || g.ClientBound != res.Groups[i].ClientBound || g.ClientBoundReason != res.Groups[i].ClientBoundReason {
			t.Errorf("report changed group %s %s's client figures: %+v -> %+v", g.Platform, g.Level, res.Groups[i].Client, g.Client)
		}
	}
	// and judges them again under other thresholds.
	if code, _, stderr := inferbench(t, "report", run, "--set", "client.max_cpu=1000", "--set", "client.max_sched_latency=1h"); code != exitOK {
		t.Fatalf("report --set client: exit %d\n%s", code, stderr)
	}
	for _, g := range read().Groups {
		if g.ClientBound {
			t.Errorf("group %s %s still client-bound under thresholds nothing reaches", g.Platform, g.Level)
		}
	}
}
