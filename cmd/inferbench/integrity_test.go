package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/inferbench/inferbench/pipeline"
)

// sseServer is an OpenAI-compatible endpoint that streams one short answer
// in the real SSE wire format and counts the requests it got.
func sseServer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	n := new(atomic.Int64)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		n.Add(1)
		w.Header().Set("Content-Type", "text/event-stream")
		f := w.(http.Flusher)
		for _, ev := range []string{
			`{"choices":[{"index":0,"delta":{"role":"assistant"}}]}`,
			`{"choices":[{"index":0,"delta":{"content":"an answer"}}]}`,
			`{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`,
			`{"choices":[],"usage":{"prompt_tokens":10,"completion_tokens":2,"total_tokens":12}}`,
		} {
			fmt.Fprintf(w, "data: %s\n\n", ev)
			f.Flush()
		}
		io.WriteString(w, "data: [DONE]\n\n")
		f.Flush()
	}))
	t.Cleanup(srv.Close)
	return srv, n
}

// endpointExperiment has an emulated platform and one at url with a
// secret header.
func endpointExperiment(url string) string {
	return `name: ep
dataset: {source: demo, slice: "[:3]"}
platforms:
  - name: emu
    emulate: {ttft: 1ms}
    models: [m]
  - name: real
    base_url: ` + url + `/v1
    headers: [{name: X-Team, value: secret-one-7f2c}]
    models: [m]
    retries: 0
export: {formats: [json]}
`
}

func TestResumeRefusesARequestThatChangedAndNamesTheChange(t *testing.T) {
	srvA, _ := sseServer(t)
	srvB, hitsB := sseServer(t)
	dir := t.TempDir()
	exp := writeFile(t, dir, "ep.yaml", endpointExperiment(srvA.URL))
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
		set  string
		want string
	}{
		{"a new base_url is named with both URLs", "platforms.real.base_url=" + srvB.URL + "/v1",
			"platforms[1].base_url: " + srvA.URL + "/v1 -> " + srvB.URL + "/v1"},
		{"a new emulate profile is named", "platforms.emu.emulate.ttft=5ms", "platforms[0].emulate: "},
		{"a new header value is named without showing either value", "platforms.real.headers=[{name: X-Team, value: secret-two-91ab}]",
			"platforms[1].headers changed"},
		{"a new header name is named", "platforms.real.headers=[{name: X-Other, value: secret-one-7f2c}]",
			`platforms[1].headers names: ["X-Team"] -> ["X-Other"]`},
		{"a new top_p is named with both values", "params.top_p=0.9", "params.top_p: 0 -> 0.9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := inferbench(t, "run", exp, "--resume", run, "--no-progress", "--set", tt.set)
			if code != exitError {
				t.Fatalf("exit %d, want %d\n%s\n%s", code, exitError, stdout, stderr)
			}
			if !strings.Contains(stderr, tt.want) || !strings.Contains(stderr, "refusing to mix results") {
				t.Errorf("stderr lacks %q:\n%s", tt.want, stderr)
			}
			for _, secret := range []string{"secret-one-7f2c", "secret-two-91ab"} {
				if strings.Contains(stdout+stderr, secret) {
					t.Errorf("output shows the header value %s:\n%s", secret, stderr)
				}
			}
			if after, _ := os.ReadFile(journal); string(after) != string(before) {
				t.Error("a refused resume changed records.jsonl")
			}
			if hitsB.Load() != 0 {
				t.Errorf("a refused resume sent %d requests", hitsB.Load())
			}
		})
	}
}

func TestRecordsCarryARequestHashThatRevealsNoHeaderValue(t *testing.T) {
	srv, _ := sseServer(t)
	dir := t.TempDir()
	exp := writeFile(t, dir, "ep.yaml", endpointExperiment(srv.URL))
	out := filepath.Join(dir, "r")
	if code, stdout, stderr := inferbench(t, "run", exp, "--out", out, "--no-progress"); code != exitOK {
		t.Fatalf("run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	run := runDir(t, out)
	b, err := os.ReadFile(filepath.Join(run, pipeline.JournalFile))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "secret-one-7f2c") {
		t.Fatal("records.jsonl holds a header value")
	}
	recs, _, _ := pipeline.ReadJournal(filepath.Join(run, pipeline.JournalFile))
	hashes := map[string]string{}
	for _, r := range recs {
		if r.RequestHash == "" {
			t.Fatalf("%s has no request_hash", r.CellKey)
		}
		if h, ok := hashes[r.Platform]; ok && h != r.RequestHash {
			t.Errorf("%s: two hashes %s and %s for one request definition", r.Platform, h, r.RequestHash)
		}
		hashes[r.Platform] = r.RequestHash
	}
	if hashes["emu"] == hashes["real"] {
		t.Errorf("two platforms share the hash %s", hashes["emu"])
	}
}

func TestResumeKeepsRecordsWrittenBeforeRequestHashesExisted(t *testing.T) {
	srv, hits := sseServer(t)
	dir := t.TempDir()
	exp := writeFile(t, dir, "ep.yaml", endpointExperiment(srv.URL))
	out := filepath.Join(dir, "r")
	if code, stdout, stderr := inferbench(t, "run", exp, "--out", out, "--no-progress"); code != exitOK {
		t.Fatalf("run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	run := runDir(t, out)
	journal := filepath.Join(run, pipeline.JournalFile)
	recs, _, _ := pipeline.ReadJournal(journal)
	for i := range recs {
		recs[i].RequestHash = "" // an old journal
	}
	// Drop one record so that resume has one cell to run.
	if err := pipeline.WriteJournal(journal, recs[1:]); err != nil {
		t.Fatal(err)
	}
	sent := hits.Load()
	if code, stdout, stderr := inferbench(t, "run", exp, "--resume", run, "--no-progress"); code != exitOK {
		t.Fatalf("resume: exit %d\n%s\n%s", code, stdout, stderr)
	}
	after, _, _ := pipeline.ReadJournal(journal)
	if len(after) != len(recs) {
		t.Fatalf("%d records after resume, want %d", len(after), len(recs))
	}
	if got := hits.Load() - sent; recs[0].Platform == "real" && got != 1 || recs[0].Platform != "real" && got != 0 {
		t.Errorf("resume sent %d requests to the endpoint for one missing %s cell", got, recs[0].Platform)
	}
	var b []byte
	b, _ = json.Marshal(after)
	if strings.Count(string(b), `"request_hash"`) != 1 {
		t.Errorf("want only the new record to carry a hash:\n%s", b)
	}
}

// folderState is every file of dir with its content, for "nothing was
// written" checks.
func folderState(t *testing.T, dir string) map[string]string {
	t.Helper()
	st := map[string]string{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		st[e.Name()] = string(b)
	}
	return st
}

func TestAProcessThatFindsTheRunFolderLockedWritesNothing(t *testing.T) {
	dir := t.TempDir()
	exp := writeFile(t, dir, "fast.yaml", fastExperiment)
	out := filepath.Join(dir, "results")
	if code, stdout, stderr := inferbench(t, "run", exp, "--out", out, "--no-progress", "--set", "export.formats=[json]"); code != exitOK {
		t.Fatalf("run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	run := runDir(t, out)
	// Leave cells to run so that an unlocked resume would write.
	recs, _, _ := pipeline.ReadJournal(filepath.Join(run, pipeline.JournalFile))
	if err := pipeline.WriteJournal(filepath.Join(run, pipeline.JournalFile), recs[:len(recs)/2]); err != nil {
		t.Fatal(err)
	}
	lock, err := pipeline.LockRunDir(run, true) // stands for another process's run
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

func TestReportWithFewerFormatsRemovesTheOutputsOfTheOthers(t *testing.T) {
	dir := t.TempDir()
	exp := writeFile(t, dir, "fast.yaml", fastExperiment) // every format
	out := filepath.Join(dir, "results")
	if code, stdout, stderr := inferbench(t, "run", exp, "--out", out, "--no-progress"); code != exitOK {
		t.Fatalf("run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	run := runDir(t, out)
	stale := []string{"requests.csv", "summary.csv", "results.xlsx", "report.md", "report.html",
		"latency.svg", "ttft_cdf.svg", "tokens_per_sec.svg", "f1.svg"}
	for _, f := range stale {
		if _, err := os.Stat(filepath.Join(run, f)); err != nil {
			t.Fatalf("the first run did not write %s: %v", f, err)
		}
	}
	writeFile(t, run, "notes.txt", "mine")
	writeFile(t, run, "my-plot.svg", "<svg/>")

	if code, stdout, stderr := inferbench(t, "report", run, "--set", "export.formats=[json]"); code != exitOK {
		t.Fatalf("report: exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, f := range stale {
		if _, err := os.Stat(filepath.Join(run, f)); !os.IsNotExist(err) {
			t.Errorf("%s is still there after report wrote only json (%v)", f, err)
		}
	}
	for _, f := range []string{"results.json", "records.jsonl", "manifest.json", "samples.json", "notes.txt", "my-plot.svg"} {
		if _, err := os.Stat(filepath.Join(run, f)); err != nil {
			t.Errorf("%s was removed: %v", f, err)
		}
	}
	m, err := pipeline.ReadManifest(run)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(m.Formats, ",") != "json" {
		t.Errorf("manifest formats %v, want [json]", m.Formats)
	}

	// And back: rescore with csv only removes results.json.
	if code, stdout, stderr := inferbench(t, "rescore", run, "--set", "export.formats=[csv]"); code != exitOK {
		t.Fatalf("rescore: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join(run, "results.json")); !os.IsNotExist(err) {
		t.Errorf("results.json is still there after rescore wrote only csv (%v)", err)
	}
	if _, err := os.Stat(filepath.Join(run, "summary.csv")); err != nil {
		t.Errorf("summary.csv: %v", err)
	}
	if m, _ := pipeline.ReadManifest(run); strings.Join(m.Formats, ",") != "csv" {
		t.Errorf("manifest formats %v, want [csv]", m.Formats)
	}
}

func TestReportAndRescoreRefuseOverridesOfWhatDefinedTheQueries(t *testing.T) {
	dir := t.TempDir()
	exp := writeFile(t, dir, "fast.yaml", fastExperiment)
	out := filepath.Join(dir, "results")
	if code, stdout, stderr := inferbench(t, "run", exp, "--out", out, "--no-progress", "--set", "export.formats=[json]"); code != exitOK {
		t.Fatalf("run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	run := runDir(t, out)
	const allowed = "baseline, checks, client, export, metrics, score, slo, stats"
	refused := []struct {
		name, set, want string
	}{
		{"a platform's concurrency", "platforms.0.concurrency=8", "platforms"},
		{"a platform by name", "platforms.fast.base_url=http://x/v1", "platforms"},
		{"the dataset slice", "dataset.slice=[:2]", "dataset"},
		{"a request parameter", "params.top_p=0.5", "params"},
		{"the repeats", "repeats=3", "repeats"},
		{"the prompt", "prompt.user={{.Question}}", "prompt"},
		{"the seed", "seed=9", "seed"},
		{"the name", "name=other", "name"},
	}
	before := folderState(t, run)
	for _, cmd := range []string{"report", "rescore"} {
		for _, tt := range refused {
			t.Run(cmd+" refuses "+tt.name, func(t *testing.T) {
				code, stdout, stderr := inferbench(t, cmd, run, "--set", tt.set)
				if code != exitError {
					t.Fatalf("exit %d, want %d\n%s\n%s", code, exitError, stdout, stderr)
				}
				key, _, _ := strings.Cut(tt.set, "=")
				for _, want := range []string{"--set " + key + ": " + cmd + " cannot change " + tt.want, allowed} {
					if !strings.Contains(stderr, want) {
						t.Errorf("stderr lacks %q:\n%s", want, stderr)
					}
				}
				after := folderState(t, run)
				for name, body := range before {
					if after[name] != body {
						t.Errorf("%s changed", name)
					}
				}
			})
		}
	}
	t.Run("report refuses a new extraction and points at rescore", func(t *testing.T) {
		code, _, stderr := inferbench(t, "report", run, "--set", "score.extract=[first_line]")
		if code != exitError || !strings.Contains(stderr, "--set score.extract: report cannot change the extraction") || !strings.Contains(stderr, "rescore") {
			t.Fatalf("exit %d\n%s", code, stderr)
		}
	})
	accepted := []struct {
		cmd string
		set []string
	}{
		{"report", []string{"slo.ttft=1s", "stats.bootstrap=200", "checks=['true']", "metrics=[{name: x, expr: 'count * 2'}]", "export.formats=[json]", "baseline=fast", "score.report_raw=false"}},
		{"rescore", []string{"score.extract=[first_line]", "slo.e2e=5s", "baseline=slow"}},
	}
	for _, tt := range accepted {
		t.Run(tt.cmd+" accepts "+strings.Join(tt.set, " "), func(t *testing.T) {
			args := []string{tt.cmd, run}
			for _, s := range tt.set {
				args = append(args, "--set", s)
			}
			if code, stdout, stderr := inferbench(t, args...); code != exitOK {
				t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
			}
		})
	}
	m, err := pipeline.ReadManifest(run)
	if err != nil {
		t.Fatal(err)
	}
	if m.Experiment.Baseline != "slow" || m.Experiment.Score.Extract.Steps[0] != "first_line" {
		t.Errorf("manifest baseline %q, extraction %+v", m.Experiment.Baseline, m.Experiment.Score.Extract)
	}
}

// subsetRun copies run folder src into dst keeping only the questions ids.
func subsetRun(t *testing.T, src, dst string, ids []string) {
	t.Helper()
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	m, err := pipeline.ReadManifest(src)
	if err != nil {
		t.Fatal(err)
	}
	m.Dataset.IDs = ids
	samples, err := pipeline.ReadSamples(src)
	if err != nil {
		t.Fatal(err)
	}
	var keep []pipeline.Sample
	for _, s := range samples {
		if slices.Contains(ids, s.ID) {
			keep = append(keep, s)
		}
	}
	recs, _, _ := pipeline.ReadJournal(filepath.Join(src, pipeline.JournalFile))
	var kept []pipeline.Record
	for _, r := range recs {
		if slices.Contains(ids, r.SampleID) {
			kept = append(kept, r)
		}
	}
	for name, v := range map[string]any{pipeline.ManifestFile: m, pipeline.SamplesFile: keep} {
		b, _ := json.Marshal(v)
		writeFile(t, dst, name, string(b))
	}
	if err := pipeline.WriteJournal(filepath.Join(dst, pipeline.JournalFile), kept); err != nil {
		t.Fatal(err)
	}
}

func TestCompareRefusesRunsOfOtherQuestionsUnlessToldToUseTheSharedOnes(t *testing.T) {
	dir := t.TempDir()
	exp := writeFile(t, dir, "fast.yaml", fastExperiment)
	out := filepath.Join(dir, "results")
	if code, stdout, stderr := inferbench(t, "run", exp, "--out", out, "--no-progress", "--set", "export.formats=[json]"); code != exitOK {
		t.Fatalf("run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	runA := runDir(t, out)
	m, _ := pipeline.ReadManifest(runA)
	if len(m.Dataset.IDs) != 8 {
		t.Fatalf("%d questions", len(m.Dataset.IDs))
	}
	// B is A restricted to 3 of its questions: on those, the two runs
	// hold the very same records.
	runB := filepath.Join(dir, "b")
	subsetRun(t, runA, runB, m.Dataset.IDs[2:5])

	code, stdout, stderr := inferbench(t, "compare", runA, runB)
	if code != exitError {
		t.Fatalf("compare of different selections: exit %d, want %d\n%s\n%s", code, exitError, stdout, stderr)
	}
	for _, want := range []string{"selected questions differ: 8 in A, 3 in B, 3 shared (5 only in A, 0 only in B)", "--shared-only"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if strings.Contains(stdout, "latency_p50") {
		t.Errorf("a refused compare printed a comparison:\n%s", stdout)
	}

	cmp := filepath.Join(dir, "cmp")
	code, stdout, stderr = inferbench(t, "compare", runA, runB, "--shared-only", "--out", cmp)
	if code != exitOK {
		t.Fatalf("compare --shared-only: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "WARNING") || !strings.Contains(stderr, "only the 3 questions both runs share (A has 8, B has 3)") {
		t.Errorf("no loud warning with the counts:\n%s", stderr)
	}
	rows := readCSVRows(t, filepath.Join(cmp, "compare.csv"))
	if len(rows) < 2 {
		t.Fatalf("compare.csv has %d rows", len(rows))
	}
	ia, ib := slices.Index(rows[0], "a"), slices.Index(rows[0], "b")
	for _, r := range rows[1:] {
		if r[ia] != r[ib] {
			t.Errorf("%v: A %s and B %s differ although both sides are the same records of the shared questions", r[:4], r[ia], r[ib])
		}
	}
}

func readCSVRows(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestAFreshRunHoldsItsFolderAgainstAnotherProcess runs a real inferbench
// process and tries report and resume on its folder while it writes.
func TestAFreshRunHoldsItsFolderAgainstAnotherProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a real process")
	}
	dir := t.TempDir()
	bin := buildBinary(t, dir)
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
		if b, err := os.ReadFile(filepath.Join(run, pipeline.JournalFile)); err == nil && len(b) > 0 {
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
	recs, _, _ := pipeline.ReadJournal(filepath.Join(run, pipeline.JournalFile))
	if len(recs) != 48 {
		t.Errorf("%d records, want 48: the refused processes must not have touched the journal", len(recs))
	}
	if code, _, stderr := inferbench(t, "report", run); code != exitOK {
		t.Errorf("report after the run ended: exit %d\n%s", code, stderr)
	}
}

// TestResumeAfterFixingAHeaderThatFailedEveryRequest: a wrong header made
// every request of a platform fail; after fixing it, resume drops those
// failed records and sends them again, so nothing is mixed and resume
// must not refuse.
func TestResumeAfterFixingAHeaderThatFailedEveryRequest(t *testing.T) {
	ok, _ := sseServer(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Team") != "secret-two-91ab" {
			io.Copy(io.Discard, r.Body)
			http.Error(w, `{"error":{"message":"unknown team"}}`, http.StatusUnauthorized)
			return
		}
		ok.Config.Handler.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	exp := writeFile(t, dir, "ep.yaml", endpointExperiment(srv.URL))
	out := filepath.Join(dir, "r")
	if code, stdout, stderr := inferbench(t, "run", exp, "--out", out, "--no-progress"); code != exitTotalFailure {
		t.Fatalf("run with the wrong header: exit %d, want %d\n%s\n%s", code, exitTotalFailure, stdout, stderr)
	}
	run := runDir(t, out)
	code, stdout, stderr := inferbench(t, "run", exp, "--resume", run, "--no-progress", "--set", "platforms.real.headers=[{name: X-Team, value: secret-two-91ab}]")
	if code != exitOK {
		t.Fatalf("resume with the fixed header: exit %d, want 0\n%s\n%s", code, stdout, stderr)
	}
	recs, _, _ := pipeline.ReadJournal(filepath.Join(run, pipeline.JournalFile))
	for _, r := range recs {
		if !r.OK() {
			t.Errorf("%s still failed: %s", r.CellKey, r.Error)
		}
	}
}
