package main

import (
	"archive/zip"
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
	"github.com/inferbench/inferbench/pipeline/runfolder"
)

// echoServer is an OpenAI-compatible endpoint that repeats the request's
// Authorization and X-Team headers back: in a 500 body for every third
// request, else in the streamed reasoning and content.
func echoServer(t *testing.T) *httptest.Server {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/chat/completions" {
			http.NotFound(w, r) // e.g. /metrics, scraped by default on a local endpoint
			return
		}
		echo := "auth=" + r.Header.Get("Authorization") + " team=" + r.Header.Get("X-Team")
		if n.Add(1)%3 == 0 {
			http.Error(w, `{"error":{"message":"`+echo+`"}}`, http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		f := w.(http.Flusher)
		for _, d := range []map[string]any{{"reasoning_content": "I saw " + echo}, {"content": "**" + echo + "**"}} {
			b, _ := json.Marshal(map[string]any{"choices": []any{map[string]any{"index": 0, "delta": d}}})
			fmt.Fprintf(w, "data: %s\n\n", b)
			f.Flush()
		}
		fmt.Fprint(w, "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n")
	}))
	t.Cleanup(srv.Close)
	return srv
}

// filesContaining returns the files under dir (and the members of any
// .xlsx workbook, as file:member) whose bytes contain one of secrets.
func filesContaining(t *testing.T, dir string, secrets ...string) (hits []string, searched int) {
	t.Helper()
	check := func(name string, b []byte) {
		searched++
		for _, s := range secrets {
			if strings.Contains(string(b), s) {
				hits = append(hits, name+" holds "+s)
			}
		}
	}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		check(p, b)
		if strings.HasSuffix(p, ".xlsx") {
			zr, err := zip.OpenReader(p)
			if err != nil {
				return err
			}
			defer zr.Close()
			for _, f := range zr.File {
				rc, err := f.Open()
				if err != nil {
					return err
				}
				x, err := io.ReadAll(rc)
				rc.Close()
				if err != nil {
					return err
				}
				check(p+":"+f.Name, x)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return hits, searched
}

func TestASecretEchoedByTheServerReachesNoFileOfTheRunFolder(t *testing.T) {
	const token, team = "sk-echo-token-5e8d41", "team-secret-77ab"
	t.Setenv("INFERBENCH_TEST_ECHO_TOKEN", token)
	srv := echoServer(t)
	dir := t.TempDir()
	exp := writeFile(t, dir, "echo.yaml", `name: echo
dataset: {source: demo, slice: "[:6]"}
platforms:
  - name: echo
    base_url: `+srv.URL+`/v1
    api_key_env: INFERBENCH_TEST_ECHO_TOKEN
    headers: [{name: X-Team, value: `+team+`}]
    models: [m]
    retries: 0
`)
	out := filepath.Join(dir, "results")
	code, stdout, stderr := inferbench(t, "run", exp, "--out", out, "--no-progress", "-v")
	if code != exitOK {
		t.Fatalf("run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	for name, text := range map[string]string{"stdout": stdout, "stderr": stderr} {
		if strings.Contains(text, token) || strings.Contains(text, team) {
			t.Errorf("%s shows a secret", name)
		}
	}
	run := runDir(t, out)
	hits, searched := filesContaining(t, run, token, team)
	for _, h := range hits {
		t.Error(h)
	}
	if searched < 10 {
		t.Errorf("searched only %d files and workbook members", searched)
	}
	journal, _ := os.ReadFile(filepath.Join(run, "records.jsonl"))
	if !strings.Contains(string(journal), "auth=Bearer [redacted] team=[redacted]") {
		t.Errorf("the echo never reached the journal:\n%s", journal)
	}
}

func TestSecretsFromTheEnvironmentAndSetReachNoOutputAndAreRecordedRedacted(t *testing.T) {
	const envSecret, setSecret = "ENV-SECRET-1f3a", "SET-SECRET-9c2b"
	t.Setenv("INFERBENCH_PLATFORMS_0_API_KEY", envSecret)
	t.Setenv("INFERBENCH_REPEATS", "1")
	dir := t.TempDir()
	exp := writeFile(t, dir, "fast.yaml", fastExperiment)
	out := filepath.Join(dir, "results")
	code, stdout, stderr := inferbench(t, "run", exp, "--out", out, "--no-progress", "-v",
		"--set", "platforms.slow.headers=[{name: X-Team, value: "+setSecret+"}]")
	if code != exitOK {
		t.Fatalf("run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	run := runDir(t, out)
	for name, text := range map[string]string{"stdout": stdout, "stderr": stderr} {
		if strings.Contains(text, envSecret) || strings.Contains(text, setSecret) {
			t.Errorf("%s shows a secret", name)
		}
	}
	files, _ := filepath.Glob(filepath.Join(run, "*"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), envSecret) || strings.Contains(string(b), setSecret) {
			t.Errorf("%s holds a secret", filepath.Base(f))
		}
	}
	m, err := runfolder.ReadManifest(run)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"INFERBENCH_PLATFORMS_0_API_KEY=" + config.Redacted, "INFERBENCH_REPEATS=1", "platforms.slow.headers=" + config.Redacted}
	if !slices.Equal(m.Overrides, want) {
		t.Errorf("manifest overrides = %q, want %q", m.Overrides, want)
	}
	if m.Experiment.Repeats != 1 {
		t.Errorf("the environment override of repeats was not applied: %d", m.Experiment.Repeats)
	}
}
