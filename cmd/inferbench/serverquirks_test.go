package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/inferbench/inferbench/pipeline/runfolder"
)

// quirkyServer is an OpenAI-compatible endpoint with two habits of real
// deployments: it refuses stream_options inside an HTTP 200 stream (an
// error event naming them), and its bearer tokens expire after every
// `uses` requests, the next one being "tok<n+1>", as the token command
// given by tokenCommand prints.
func quirkyServer(t *testing.T, uses int) *httptest.Server {
	t.Helper()
	var mu sync.Mutex
	gen, served := 1, 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/chat/completions" {
			http.NotFound(w, r) // e.g. /metrics, scraped by default on a local endpoint
			return
		}
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		ok := r.Header.Get("Authorization") == fmt.Sprintf("Bearer tok%d", gen)
		refuse := ok && strings.Contains(string(body), "stream_options")
		if ok && !refuse {
			if served++; served == uses {
				gen, served = gen+1, 0
			}
		}
		mu.Unlock()
		if !ok {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"error":{"message":"Invalid or expired token","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}`)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		if refuse {
			io.WriteString(w, `data: {"error":{"message":"Unrecognized request argument supplied: stream_options","type":"invalid_request_error","param":"stream_options","code":null}}`+"\n\n")
			return
		}
		for _, d := range []map[string]any{{"role": "assistant", "content": ""}, {"content": "Paris"}} {
			b, _ := json.Marshal(map[string]any{"id": "chatcmpl-q", "object": "chat.completion.chunk", "choices": []any{map[string]any{"index": 0, "delta": d}}})
			fmt.Fprintf(w, "data: %s\n\n", b)
		}
		io.WriteString(w, "data: {\"id\":\"chatcmpl-q\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n")
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestManifestAndReportNoteRefreshedTokensAndRefusedStreamOptions(t *testing.T) {
	srv := quirkyServer(t, 2)
	dir := t.TempDir()
	counter := filepath.Join(dir, "n")
	exp := writeFile(t, dir, "quirky.yaml", `name: quirky
dataset: {source: demo, slice: "[:7]"}
platforms:
  - name: quirky
    base_url: `+srv.URL+`/v1
    api_key_command: "n=$(cat `+counter+` 2>/dev/null || echo 0); n=$((n+1)); echo $n > `+counter+`; echo tok$n"
    models: [m]
    concurrency: 1
    retries: 0
`)
	run := runOK(t, exp, filepath.Join(dir, "results"))
	var m runfolder.Manifest
	b, err := os.ReadFile(filepath.Join(run, "manifest.json"))
	if err != nil || json.Unmarshal(b, &m) != nil {
		t.Fatalf("manifest: %v", err)
	}
	// 7 questions, 2 requests per token: the token expires before the 3rd,
	// 5th and 7th; the first request is also refused its stream_options.
	wantNotes := []string{
		"quirky: the server rejected stream_options (an error event inside an HTTP 200 stream); requests were resent without it, so usage may be missing",
		"quirky: the token was refreshed 3 times; 3 requests were retried",
	}
	report, _ := os.ReadFile(filepath.Join(run, "report.md"))
	for _, n := range wantNotes {
		found := false
		for _, got := range m.Notes {
			found = found || got == n
		}
		if !found {
			t.Errorf("manifest notes %q lack %q", m.Notes, n)
		}
		if !strings.Contains(string(report), n) {
			t.Errorf("report.md lacks %q", n)
		}
	}
}
