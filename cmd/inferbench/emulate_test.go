package main

import (
	"bufio"
	"bytes"
	"context"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/inferbench/inferbench/pipeline/config"
)

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestEmulateServesTheOpenAIStreamAndStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb syncBuffer
	done := make(chan int)
	go func() {
		done <- execute(ctx, []string{"emulate", "--listen", "127.0.0.1:0", "--profile", "sophia-like", "--ttft", "5ms", "--reasoning-tokens", "3"}, &out, &errb)
	}()
	urlRE := regexp.MustCompile(`http://127\.0\.0\.1:\d+/v1`)
	var base string
	for deadline := time.Now().Add(10 * time.Second); base == "" && time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		base = urlRE.FindString(out.String())
	}
	if base == "" {
		cancel()
		t.Fatalf("no base URL printed; stdout %q stderr %q", out.String(), errb.String())
	}
	body := `{"model":"m","stream":true,"stream_options":{"include_usage":true},"max_tokens":64,"messages":[{"role":"user","content":"Context: The river flows north.\n\nQuestion: Which way does the river flow?\n\nAnswer:"}]}`
	resp, err := http.Post(base+"/chat/completions", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var events []string
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			events = append(events, d)
		}
	}
	resp.Body.Close()
	if resp.Header.Get("Content-Type") != "text/event-stream" && !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Errorf("content type %q", resp.Header.Get("Content-Type"))
	}
	if len(events) < 4 || events[len(events)-1] != "[DONE]" {
		t.Fatalf("stream %q does not end with [DONE]", events)
	}
	joined := strings.Join(events, "\n")
	for _, want := range []string{`"role":"assistant"`, `"reasoning"`, `"usage"`, `"completion_tokens_details"`} {
		if !strings.Contains(joined, want) {
			t.Errorf("stream lacks %s:\n%s", want, joined)
		}
	}
	cancel()
	select {
	case code := <-done:
		if code != exitOK {
			t.Fatalf("emulate exited %d: %s", code, errb.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("emulate did not stop on cancel")
	}
}

func TestQuestionLookupFindsTheSampleByItsQuestion(t *testing.T) {
	samples := []config.Sample{{ID: "a", Question: "Who?"}, {ID: "b", Question: "Where is it?"}}
	look := questionLookup(samples)
	msg := func(s string) []config.Message { return []config.Message{{Role: "user", Content: s}} }
	if s := look(msg("Context: x\n\nQuestion: Where is it?\n\nAnswer:")); s == nil || s.ID != "b" {
		t.Fatalf("got %v", s)
	}
	if s := look(msg("Question: Unknown?\n")); s != nil {
		t.Fatalf("an unknown question matched %v", s)
	}
	if s := look(msg("no question here")); s != nil {
		t.Fatalf("matched %v", s)
	}
}
