package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/results"
	"github.com/inferbench/inferbench/pipeline/runfolder"
)

// sseServer is an OpenAI-compatible endpoint that streams one short answer
// in the real SSE wire format and counts the requests it got.
func sseServer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	n := new(atomic.Int64)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/chat/completions" {
			http.NotFound(w, r) // e.g. /metrics, scraped by default on a local endpoint
			return
		}
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
	run := runOK(t, exp, out)
	journal := filepath.Join(run, runfolder.JournalFile)
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
	run := runOK(t, exp, out)
	b, err := os.ReadFile(filepath.Join(run, runfolder.JournalFile))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "secret-one-7f2c") {
		t.Fatal("records.jsonl holds a header value")
	}
	recs, _, _ := runfolder.ReadJournal(filepath.Join(run, runfolder.JournalFile))
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
	run := runOK(t, exp, out)
	journal := filepath.Join(run, runfolder.JournalFile)
	recs, _, _ := runfolder.ReadJournal(journal)
	for i := range recs {
		recs[i].RequestHash = "" // an old journal
	}
	// Drop one record so that resume has one cell to run.
	if err := runfolder.WriteJournal(journal, recs[1:]); err != nil {
		t.Fatal(err)
	}
	sent := hits.Load()
	if code, stdout, stderr := inferbench(t, "run", exp, "--resume", run, "--no-progress"); code != exitOK {
		t.Fatalf("resume: exit %d\n%s\n%s", code, stdout, stderr)
	}
	after, _, _ := runfolder.ReadJournal(journal)
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

// subsetRun copies run folder src into dst keeping only the questions ids.
func subsetRun(t *testing.T, src, dst string, ids []string) {
	t.Helper()
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	m, err := runfolder.ReadManifest(src)
	if err != nil {
		t.Fatal(err)
	}
	m.Dataset.IDs = ids
	samples, err := runfolder.ReadSamples(src)
	if err != nil {
		t.Fatal(err)
	}
	var keep []config.Sample
	for _, s := range samples {
		if slices.Contains(ids, s.ID) {
			keep = append(keep, s)
		}
	}
	recs, _, _ := runfolder.ReadJournal(filepath.Join(src, runfolder.JournalFile))
	var kept []results.Record
	for _, r := range recs {
		if slices.Contains(ids, r.SampleID) {
			kept = append(kept, r)
		}
	}
	for name, v := range map[string]any{runfolder.ManifestFile: m, runfolder.SamplesFile: keep} {
		b, _ := json.Marshal(v)
		writeFile(t, dst, name, string(b))
	}
	if err := runfolder.WriteJournal(filepath.Join(dst, runfolder.JournalFile), kept); err != nil {
		t.Fatal(err)
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
	recs, _, _ := runfolder.ReadJournal(filepath.Join(run, runfolder.JournalFile))
	for _, r := range recs {
		if !r.OK() {
			t.Errorf("%s still failed: %s", r.CellKey, r.Error)
		}
	}
}

func TestResumeOfARunFolderWithoutAJournalRunsEveryCell(t *testing.T) {
	dir := t.TempDir()
	exp := writeFile(t, dir, "fast.yaml", fastExperiment)
	out := filepath.Join(dir, "results")
	run := runOK(t, exp, out)
	journal := filepath.Join(run, runfolder.JournalFile)
	first, _, err := runfolder.ReadJournal(journal)
	if err != nil || len(first) == 0 {
		t.Fatalf("first run journal: %d records, %v", len(first), err)
	}
	// A crash between writing the manifest and the first record leaves a
	// folder without records.jsonl.
	if err := os.Remove(journal); err != nil {
		t.Fatal(err)
	}
	if code, stdout, stderr := inferbench(t, "run", exp, "--resume", run, "--no-progress"); code != exitOK {
		t.Fatalf("resume: exit %d\n%s\n%s", code, stdout, stderr)
	}
	again, _, err := runfolder.ReadJournal(journal)
	if err != nil {
		t.Fatal(err)
	}
	if len(again) != len(first) {
		t.Errorf("resume wrote %d records, want every one of the %d cells", len(again), len(first))
	}
}
