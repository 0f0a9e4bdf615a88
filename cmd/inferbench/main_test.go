package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/inferbench/inferbench/pipeline/results"
	"github.com/inferbench/inferbench/pipeline/runfolder"
	"github.com/xuri/excelize/v2"
)

// inferbench runs the command line in-process and returns exit code,
// stdout and stderr.
func inferbench(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := execute(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

// runOK runs experiment exp into out, fails the test unless it exits 0,
// and returns the run folder.
func runOK(t *testing.T, exp, out string) string {
	t.Helper()
	if code, stdout, stderr := inferbench(t, "run", exp, "--out", out, "--no-progress"); code != exitOK {
		t.Fatalf("run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	return runDir(t, out)
}

// readResults reads the results of the run folder dir (results.json).
func readResults(t *testing.T, dir string) results.Results {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct{ Results results.Results }
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Results
}

func runDir(t *testing.T, parent string) string {
	t.Helper()
	dirs, _ := filepath.Glob(filepath.Join(parent, "*-*T*Z*"))
	if len(dirs) != 1 {
		t.Fatalf("want one run folder in %s, got %v", parent, dirs)
	}
	return dirs[0]
}

func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// fastExperiment is a small, quick emulated experiment for command tests.
const fastExperiment = `name: fast
seed: 3
dataset: {source: demo, slice: "[:8]"}
platforms:
  - name: fast
    emulate: {ttft: 2ms, tokens_per_second: 4000, accuracy: 0.9, style: chatty, reasoning_tokens: 5}
    models: [m]
    concurrency: 4
  - name: slow
    emulate: {ttft: 20ms, tokens_per_second: 1000, accuracy: 0.7, reasoning_tokens: 5}
    models: [m]
    concurrency: 4
baseline: slow
repeats: 2
export: {formats: [json, csv, xlsx, markdown, html]}
`

func TestQuickstartRunsOfflineAndWritesEveryFile(t *testing.T) {
	t.Parallel() // its own folder; mostly waits on the emulated platforms
	if testing.Short() {
		t.Skip("runs the quickstart (a few seconds)")
	}
	out := t.TempDir()
	code, stdout, stderr := inferbench(t, "run", "../../experiments/quickstart.yaml", "--out", out, "--no-progress")
	if code != exitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	dir := runDir(t, out)
	for _, f := range []string{"records.jsonl", "manifest.json", "results.json", "requests.csv", "summary.csv", "results.xlsx", "report.md", "report.html", "samples.json"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s missing or empty (%v)", f, err)
		}
	}
	for _, want := range []string{"LATENCY", "THROUGHPUT", "SUCCESS", "metis-sim", "sophia-sim", "faster"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("table lacks %q:\n%s", want, stdout)
		}
	}
	wb, err := excelize.OpenFile(filepath.Join(dir, "results.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer wb.Close()
	sheets := strings.Join(wb.GetSheetList(), ",")
	for _, s := range []string{"Summary", "Comparison", "Requests", "Config"} {
		if !strings.Contains(sheets, s) {
			t.Errorf("workbook sheets %s lack %s", sheets, s)
		}
	}
	recs, torn, err := runfolder.ReadJournal(filepath.Join(dir, runfolder.JournalFile))
	if err != nil || torn {
		t.Fatal(err, torn)
	}
	if len(recs) != 2*48*2 {
		t.Fatalf("%d records, want 192", len(recs))
	}
}

func TestRunRescoreReportAndCompareWorkFromTheJournal(t *testing.T) {
	dir := t.TempDir()
	exp := writeFile(t, dir, "fast.yaml", fastExperiment)
	out := filepath.Join(dir, "results")
	code, stdout, stderr := inferbench(t, "run", exp, "--out", out, "--no-progress")
	if code != exitOK {
		t.Fatalf("run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	run := runDir(t, out)
	before, _, _ := runfolder.ReadJournal(filepath.Join(run, runfolder.JournalFile))
	if len(before) != 2*8*2 {
		t.Fatalf("%d records", len(before))
	}
	chatty := 0
	for _, r := range before {
		if r.Platform == "fast" && strings.Contains(r.Content, "**") && !strings.Contains(r.Answer, "**") {
			chatty++
		}
	}
	if chatty == 0 {
		t.Fatal("the default extraction did not take the bold span of any chatty answer")
	}

	// Rescore with raw content as the answer: every chatty answer's EM drops.
	code, stdout, stderr = inferbench(t, "rescore", run, "--set", "score.extract={regex: '(?s)(.*)'}")
	if code != exitOK {
		t.Fatalf("rescore: exit %d\n%s\n%s", code, stdout, stderr)
	}
	after, _, _ := runfolder.ReadJournal(filepath.Join(run, runfolder.JournalFile))
	if len(after) != len(before) {
		t.Fatalf("rescore changed the record count: %d -> %d", len(before), len(after))
	}
	changed := 0
	for i := range after {
		if after[i].Answer != before[i].Answer {
			changed++
		}
		if after[i].LatencyMs != before[i].LatencyMs {
			t.Fatalf("rescore touched timings of %s", after[i].CellKey)
		}
	}
	if changed == 0 {
		t.Fatal("rescore with another extraction changed no answer")
	}
	m, err := runfolder.ReadManifest(run)
	if err != nil || m.Experiment.Score.Extract.Regex == "" {
		t.Fatalf("manifest does not record the new extraction: %+v %v", m.Experiment.Score, err)
	}

	// report re-exports without scoring; remove a file and see it return.
	os.Remove(filepath.Join(run, "summary.csv"))
	if code, _, stderr = inferbench(t, "report", run); code != exitOK {
		t.Fatalf("report: exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(run, "summary.csv")); err != nil {
		t.Fatal("report did not rewrite summary.csv")
	}

	// compare the run with itself: nothing is significant.
	cmpDir := filepath.Join(dir, "cmp")
	code, stdout, stderr = inferbench(t, "compare", run, run, "--out", cmpDir)
	if code != exitOK {
		t.Fatalf("compare: exit %d\n%s", code, stderr)
	}
	if strings.Contains(stdout, "significant") || !strings.Contains(stdout, "latency_p50") {
		t.Fatalf("a run compared with itself:\n%s", stdout)
	}
	for _, f := range []string{"compare.csv", "compare.xlsx"} {
		if _, err := os.Stat(filepath.Join(cmpDir, f)); err != nil {
			t.Error(err)
		}
	}
}

func TestFailingChecksExitWithCodeThreeAndListTheExpressions(t *testing.T) {
	dir := t.TempDir()
	exp := writeFile(t, dir, "fast.yaml", fastExperiment+"checks:\n  - 'group(\"fast\").f1 > 100'\n  - 'all(groups, .error_rate == 0)'\n")
	code, _, stderr := inferbench(t, "run", exp, "--out", filepath.Join(dir, "r"), "--no-progress", "--set", "export.formats=[json]")
	if code != exitChecksFailed {
		t.Fatalf("exit %d, want 3\n%s", code, stderr)
	}
	if !strings.Contains(stderr, `FAIL group("fast").f1 > 100`) || strings.Contains(stderr, "FAIL all(groups") {
		t.Fatalf("stderr does not list exactly the failing check:\n%s", stderr)
	}
}

func TestBadExperimentsFailWithLocatedErrors(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name string
		body string
		want []string
	}{
		{"an unknown key with a did-you-mean", "name: x\ndataset: {source: demo}\nplatforms:\n  - name: a\n    base_url: http://127.0.0.1:1/v1\n    models: [m]\n    concurency: 2\n",
			[]string{":7:5:", "concurency", `did you mean "concurrency"`}},
		{"a platform with both base_url and emulate", "name: x\ndataset: {source: demo}\nplatforms:\n  - name: a\n    base_url: http://127.0.0.1:1/v1\n    emulate: {ttft: 1ms}\n    models: [m]\n",
			[]string{":6:5:", "platforms[0].emulate", "base_url", "not both"}},
		{"missing platforms", "name: x\ndataset: {source: demo}\n", []string{"platforms", "required"}},
		{"a baseline that names no platform", "name: x\ndataset: {source: demo}\nplatforms:\n  - {name: a, emulate: {}, models: [m]}\nbaseline: b\n",
			[]string{":5:", "baseline"}},
		{"an expression that does not compile", "name: x\ndataset: {source: demo, filter: 'len(context) <'}\nplatforms:\n  - {name: a, emulate: {}, models: [m]}\n",
			[]string{":2:", "dataset.filter"}},
		{"a dataset path that does not exist", "name: x\ndataset: {source: squad, path: nope.json}\nplatforms:\n  - {name: a, emulate: {}, models: [m]}\n",
			[]string{":2:", "dataset.path", "file not found"}},
		{"a wrong type", "name: x\ndataset: {source: demo}\nrepeats: many\nplatforms:\n  - {name: a, emulate: {}, models: [m]}\n",
			[]string{":3:", "repeats"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := writeFile(t, dir, strings.ReplaceAll(c.name, " ", "_")+".yaml", c.body)
			for _, cmd := range []string{"validate", "run"} {
				code, _, stderr := inferbench(t, cmd, f, "--out", filepath.Join(dir, "never"))
				if cmd == "validate" {
					code, _, stderr = inferbench(t, cmd, f)
				}
				if code != exitError {
					t.Fatalf("%s: exit %d, want 1\n%s", cmd, code, stderr)
				}
				for _, w := range c.want {
					if !strings.Contains(stderr, w) {
						t.Errorf("%s: stderr lacks %q:\n%s", cmd, w, stderr)
					}
				}
				if !strings.Contains(stderr, f) {
					t.Errorf("%s: stderr does not name the file:\n%s", cmd, stderr)
				}
			}
			if _, err := os.Stat(filepath.Join(dir, "never")); err == nil {
				t.Fatal("an invalid experiment created a run folder")
			}
		})
	}
}

func TestEveryShippedExperimentValidates(t *testing.T) {
	files, _ := filepath.Glob("../../experiments/*.yaml")
	if len(files) < 2 {
		t.Fatalf("found %d experiments", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			if code, _, stderr := inferbench(t, "validate", f); code != exitOK {
				t.Fatalf("exit %d:\n%s", code, stderr)
			}
		})
	}
}

func TestPlanPrintsTheMatrixWithoutCallingAnyEndpoint(t *testing.T) {
	code, stdout, stderr := inferbench(t, "plan", "../../experiments/quickstart.yaml")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, w := range []string{"metis-sim", "sophia-sim", "emulated", "total requests: 192"} {
		if !strings.Contains(stdout, w) {
			t.Errorf("plan lacks %q:\n%s", w, stdout)
		}
	}
}

func TestScoreCommandPrintsTheOfficialScriptOutput(t *testing.T) {
	dev := os.Getenv("INFERBENCH_SQUAD_DEV")
	if dev == "" {
		t.Skip("INFERBENCH_SQUAD_DEV not set")
	}
	ref := filepath.Join(filepath.Dir(dev), "reference")
	want := map[string]string{
		"pred-dev-v1.1-bert-ensemble-google.json":             `{"exact_match": 86.20624408703878, "f1": 92.19557978351145}`,
		"pred-dev-v1.1-logreg-baseline-stanford.json":         `{"exact_match": 40.14191106906339, "f1": 50.98153647324461}`,
		"pred-dev-v1.1-match-lstm-boundary-ensemble-smu.json": `{"exact_match": 67.63481551561021, "f1": 76.75556184979695}`,
		"pred-dev-v1.1-slqa-plus-ensemble-alibaba.json":       `{"exact_match": 81.94891201513718, "f1": 88.38386312172166}`,
		"pred-dev-v1.1-r-net-plus-ensemble-msra.json":         `{"exact_match": 82.46925260170293, "f1": 88.47785965423249}`,
	}
	for f, w := range want {
		t.Run(f, func(t *testing.T) {
			code, stdout, stderr := inferbench(t, "score", "--dataset", dev, "--predictions", filepath.Join(ref, f))
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if strings.TrimSpace(stdout) != w {
				t.Fatalf("got  %s\nwant %s", strings.TrimSpace(stdout), w)
			}
		})
	}
}

// TestResumeAfterSIGKILLEndsWithOneRecordPerCell kills a real inferbench
// process mid-run and resumes it.
func TestResumeAfterSIGKILLEndsWithOneRecordPerCell(t *testing.T) {
	t.Parallel() // mostly waits on other processes: these tests overlap
	if testing.Short() {
		t.Skip("builds and kills a real process")
	}
	dir := t.TempDir()
	bin := buildBinary(t)
	exp := writeFile(t, dir, "slow.yaml", `name: slow
dataset: {source: demo}
platforms:
  - name: a
    emulate: {ttft: 40ms, tokens_per_second: 200, accuracy: 0.8, faults: {rate_500: 0.1}}
    models: [m]
    concurrency: 2
    retries: 0
  - name: b
    emulate: {ttft: 30ms, tokens_per_second: 300, accuracy: 0.8}
    models: [m]
    concurrency: 2
repeats: 2
export: {formats: [json, csv]}
`)
	out := filepath.Join(dir, "out")
	cmd := exec.Command(bin, "run", exp, "--out", out, "--no-progress")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var journal string
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		dirs, _ := filepath.Glob(filepath.Join(out, "slow-*"))
		if len(dirs) == 1 {
			journal = filepath.Join(dirs[0], runfolder.JournalFile)
			if b, err := os.ReadFile(journal); err == nil && bytes.Count(b, []byte("\n")) >= 20 {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	recs, _, err := runfolder.ReadJournal(journal)
	if err != nil {
		t.Fatal(err)
	}
	const total = 2 * 48 * 2
	if len(recs) == 0 || len(recs) >= total {
		t.Fatalf("the kill came at the wrong time: %d of %d records", len(recs), total)
	}
	// The killed process left its start marks, and never wrote their stops.
	killed, err := runfolder.ReadManifest(filepath.Dir(journal))
	if err != nil {
		t.Fatal(err)
	}
	if len(killed.SendSpans) != 2 || killed.SendSpans[0].Process != 1 || !killed.SendSpans[0].Stop.IsZero() || !killed.SendSpans[1].Stop.IsZero() {
		t.Fatalf("marks after kill -9 %+v, want a start without stop for each platform", killed.SendSpans)
	}
	// Simulate a write torn by the kill.
	f, _ := os.OpenFile(journal, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"platform":"a","model":"m","temp`)
	f.Close()

	run := filepath.Dir(journal)
	res, err := exec.Command(bin, "run", exp, "--resume", run, "--no-progress").CombinedOutput()
	if err != nil {
		t.Fatalf("resume: %v\n%s", err, res)
	}
	final, torn, err := runfolder.ReadJournal(journal)
	if err != nil || torn {
		t.Fatalf("after resume: %v torn=%v", err, torn)
	}
	seen := map[results.CellKey]int{}
	for _, r := range final {
		seen[r.CellKey]++
	}
	if len(final) != total || len(seen) != total {
		t.Fatalf("%d records for %d distinct cells, want %d each", len(final), len(seen), total)
	}
	var m runfolder.Manifest
	b, _ := os.ReadFile(filepath.Join(run, runfolder.ManifestFile))
	json.Unmarshal(b, &m)
	if len(m.Resumes) != 1 {
		t.Fatalf("manifest records %d resumes", len(m.Resumes))
	}
	if len(m.SendSpans) != 4 || m.SendSpans[2].Process != 2 || m.SendSpans[2].Stop.IsZero() || m.SendSpans[3].Stop.IsZero() {
		t.Fatalf("marks after the resume %+v, want the killed process's two starts and the resume's two spans", m.SendSpans)
	}

	// A changed matrix is refused, saying what changed.
	res, err = exec.Command(bin, "run", exp, "--resume", run, "--set", "repeats=3").CombinedOutput()
	if err == nil || !strings.Contains(string(res), "repeats: 2 -> 3") {
		t.Fatalf("resume with another matrix: err=%v\n%s", err, res)
	}
}

// TestCtrlCLetsInFlightRequestsFinishAndStillExports interrupts a real
// process with SIGINT.
func TestCtrlCLetsInFlightRequestsFinishAndStillExports(t *testing.T) {
	t.Parallel() // mostly waits on other processes: these tests overlap
	if testing.Short() {
		t.Skip("builds and interrupts a real process")
	}
	dir := t.TempDir()
	bin := buildBinary(t)
	exp := writeFile(t, dir, "slow.yaml", `name: slow
dataset: {source: demo}
platforms:
  - name: a
    emulate: {ttft: 150ms, tokens_per_second: 100, accuracy: 0.8}
    models: [m]
    concurrency: 4
export: {formats: [json, csv]}
`)
	out := filepath.Join(dir, "out")
	cmd := exec.Command(bin, "run", exp, "--out", out, "--no-progress")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(filepath.Join(glob1(out, "slow-*"), runfolder.JournalFile)); err == nil && bytes.Count(b, []byte("\n")) >= 4 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	cmd.Process.Signal(os.Interrupt)
	err := cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != exitInterrupted {
		t.Fatalf("exit: %v, want %d\n%s", err, exitInterrupted, stderr.String())
	}
	run := glob1(out, "slow-*")
	recs, _, err := runfolder.ReadJournal(filepath.Join(run, runfolder.JournalFile))
	if err != nil || len(recs) == 0 || len(recs) >= 48 {
		t.Fatalf("%d records (%v); want some but not all of 48", len(recs), err)
	}
	for _, r := range recs {
		if !r.OK() {
			t.Errorf("%s: %s: an in-flight request was not allowed to finish", r.CellKey, r.Error)
		}
	}
	var res struct {
		Results results.Results `json:"results"`
	}
	b, err := os.ReadFile(filepath.Join(run, "results.json"))
	if err != nil {
		t.Fatal("no results.json after Ctrl-C:", err)
	}
	json.Unmarshal(b, &res)
	if res.Results.StopReason != runfolder.StopInterrupted || res.Results.Groups[0].Count != len(recs) {
		t.Fatalf("results: stop %q, count %d, want interrupted and %d", res.Results.StopReason, res.Results.Groups[0].Count, len(recs))
	}
}

func glob1(dir, pattern string) string {
	m, _ := filepath.Glob(filepath.Join(dir, pattern))
	if len(m) != 1 {
		return filepath.Join(dir, "missing")
	}
	return m[0]
}

// sharedDir holds what the tests of one run share (the binary link of
// buildBinary, the sweep run of sweepRun); TestMain removes it when every
// test has run.
var sharedDir string

// binName is the name under which the test binary acts as inferbench.
const binName = "inferbench"

// parallelTests is how many parallel tests run at once by default.
const parallelTests = 4

// TestMain runs inferbench's main when the test binary is started under
// the name binName (the link buildBinary makes), so that the tests that
// need a real process run this package's own code without a `go build`;
// otherwise it runs the tests and then removes sharedDir.
func TestMain(m *testing.M) {
	if filepath.Base(os.Args[0]) == binName {
		main() // exits
	}
	// The parallel tests mostly wait, on child processes and on emulated
	// platforms' delays, not on the CPU: unless -parallel is given, run
	// up to parallelTests of them at once rather than GOMAXPROCS.
	flag.Parse()
	given := false
	flag.Visit(func(f *flag.Flag) { given = given || f.Name == "test.parallel" })
	if !given {
		flag.Set("test.parallel", strconv.Itoa(max(parallelTests, runtime.GOMAXPROCS(0))))
	}
	dir, err := os.MkdirTemp("", "inferbench-test-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	sharedDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

var built struct {
	once sync.Once
	bin  string
	err  error
}

// buildBinary returns the inferbench binary for tests that need a real
// process: a link named binName to the test binary itself (see
// TestMain), made on the first call of the test run. The test binary
// holds the package's code whole, so the process is inferbench's main.
func buildBinary(t *testing.T) string {
	t.Helper()
	built.once.Do(func() {
		self, err := os.Executable()
		if err != nil {
			built.err = err
			return
		}
		bin := filepath.Join(sharedDir, binName)
		if err := os.Symlink(self, bin); err != nil {
			built.err = err
			return
		}
		built.bin = bin
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.bin
}

func TestUsageErrorsExitTwoAndPointAtHelp(t *testing.T) {
	for _, args := range [][]string{{"run"}, {"nosuch"}, {"run", "--bogus", "x.yaml"}, {"score", "--dataset", "x"}} {
		code, _, stderr := inferbench(t, args...)
		if code != exitUsage || !strings.Contains(stderr, "--help' for usage") {
			t.Errorf("%v: exit %d, stderr %q", args, code, stderr)
		}
	}
}

func TestARejectedStreamOptionsIsNotedInTheManifest(t *testing.T) {
	dir := t.TempDir()
	exp := writeFile(t, dir, "reject.yaml", `name: reject
dataset: {source: demo, slice: "[:4]"}
platforms:
  - name: old-server
    emulate: {reject_stream_options: true, usage: none}
    models: [m]
export: {formats: [json]}
`)
	out := filepath.Join(dir, "r")
	run := runOK(t, exp, out)
	m, err := runfolder.ReadManifest(run)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(m.Notes, "\n"), "the server rejected stream_options") {
		t.Fatalf("manifest notes %q do not mention the rejected stream_options", m.Notes)
	}
	recs, _, _ := runfolder.ReadJournal(filepath.Join(run, runfolder.JournalFile))
	for _, r := range recs {
		if !r.OK() || !r.TokensEstimated {
			t.Errorf("%s: error %q, tokens_estimated %v (the server sends no usage)", r.CellKey, r.Error, r.TokensEstimated)
		}
	}
}
