package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// echoServer is an OpenAI-compatible endpoint that repeats the request's
// Authorization and X-Team headers back: in a 500 body for every third
// request, else in the streamed reasoning and content.
func echoServer(t *testing.T) *httptest.Server {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
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

func TestTheProgressOutputAnnouncesALongRetryWait(t *testing.T) {
	dir := t.TempDir()
	exp := writeFile(t, dir, "busy.yaml", `name: busy
dataset: {source: demo, slice: "[:6]"}
platforms:
  - name: busy
    emulate: {faults: {rate_429: 0.5, retry_after: 1500ms}}
    models: [m]
    concurrency: 6
    retries: 1
export: {formats: [json]}
`)
	code, stdout, stderr := inferbench(t, "run", exp, "--out", filepath.Join(dir, "r"))
	if code != exitOK {
		t.Fatalf("run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "busy             retry wait 2s") {
		t.Errorf("stderr does not announce the 1.5s retry wait:\n%s", stderr)
	}
}

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
