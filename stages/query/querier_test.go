package query

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/inferbench/inferbench/pipeline"
	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/results"
)

func TestStreamedRequestIsMeasuredAndSentLikeOpenAI(t *testing.T) {
	const roleDelay, reasonDelay, contentDelay = 40 * time.Millisecond, 30 * time.Millisecond, 30 * time.Millisecond
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		s := startSSE(w)
		s.data(delta(map[string]any{"role": "assistant", "content": ""}, nil))
		time.Sleep(roleDelay)
		s.raw(": ping\n\n")
		s.data(delta(map[string]any{}, nil)) // empty delta: not a token
		s.data(delta(map[string]any{"reasoning_content": "Think"}, nil))
		s.data(delta(map[string]any{"reasoning": " more"}, nil))
		time.Sleep(reasonDelay)
		s.data(delta(map[string]any{"content": "Denver"}, nil))
		time.Sleep(contentDelay)
		s.data(delta(map[string]any{"content": " Broncos"}, "stop"))
		s.data(usageChunk(31, 4, 2, nil))
		s.done()
	})
	job := newJob(f.URL+"/v1", "bad1")
	job.Platform.APIKey = "sk-literal"
	job.Platform.Headers = []config.Header{{Name: "X-Tenant", Value: "acme"}}
	job.Params.TopP = 0.9
	job.Params.Extra = map[string]any{"reasoning_effort": "low", "max_tokens": 99}
	recs, _, err := collect(t, context.Background(), New(), job)
	if err != nil {
		t.Fatal(err)
	}
	r := recs["bad1"]
	if !r.OK() {
		t.Fatalf("record failed: %s %s", r.Error, r.ErrorDetail)
	}
	t.Run("content, reasoning and usage are read", func(t *testing.T) {
		if r.Content != "Denver Broncos" || r.Reasoning != "Think more" || r.FinishReason != "stop" {
			t.Errorf("content %q reasoning %q finish %q", r.Content, r.Reasoning, r.FinishReason)
		}
		if r.PromptTokens != 31 || r.OutputTokens != 4 || r.ReasoningTokens != 2 || r.TokensEstimated {
			t.Errorf("tokens %d/%d/%d estimated %v", r.PromptTokens, r.OutputTokens, r.ReasoningTokens, r.TokensEstimated)
		}
		if r.Attempts != 1 || r.HTTPStatus != 200 {
			t.Errorf("attempts %d status %d", r.Attempts, r.HTTPStatus)
		}
	})
	t.Run("the role-only chunk does not count as the first token", func(t *testing.T) {
		if r.TTFTMs < ms(roleDelay) {
			t.Errorf("TTFT %.2f ms < role delay %v", r.TTFTMs, roleDelay)
		}
		if r.TTFBMs > r.TTFTMs {
			t.Errorf("TTFB %.2f > TTFT %.2f", r.TTFBMs, r.TTFTMs)
		}
	})
	// Both ends of these gaps are client-side arrival times, so either can
	// be late by the scheduler's whim on a loaded machine: the gaps are
	// checked against half the server's pause, which a TTFC taken at the
	// reasoning event (a gap near 0) still fails.
	t.Run("TTFC waits for content after reasoning", func(t *testing.T) {
		if r.TTFCMs-r.TTFTMs < ms(reasonDelay)/2 {
			t.Errorf("TTFC %.2f - TTFT %.2f < half of %v", r.TTFCMs, r.TTFTMs, reasonDelay)
		}
		if r.LatencyMs-r.TTFCMs < ms(contentDelay)/2 || r.CloseMs < r.LatencyMs {
			t.Errorf("E2E %.2f TTFC %.2f close %.2f", r.LatencyMs, r.TTFCMs, r.CloseMs)
		}
	})
	t.Run("ITL, TPOT and tokens per second follow their formulas", func(t *testing.T) {
		if len(r.ITLMs) != 3 {
			t.Fatalf("ITL %v, want 3 gaps for 4 token-bearing events", r.ITLMs)
		}
		sum := 0.0
		for _, g := range r.ITLMs {
			sum += g
		}
		if d := sum - (r.LatencyMs - r.TTFTMs); d > 1e-6 || d < -1e-6 {
			t.Errorf("ITL sum %.4f != E2E-TTFT %.4f", sum, r.LatencyMs-r.TTFTMs)
		}
		if want := (r.LatencyMs - r.TTFTMs) / 3; r.TPOTMs != want {
			t.Errorf("TPOT %.4f want %.4f", r.TPOTMs, want)
		}
		if want := 4 / (r.LatencyMs / 1000); r.TokensPerSec != want {
			t.Errorf("tokens/s %.4f want %.4f", r.TokensPerSec, want)
		}
	})
	t.Run("the request carries the OpenAI body and headers", func(t *testing.T) {
		req := f.requests()[0]
		h := req.Header
		if h.Get("Authorization") != "Bearer sk-literal" || h.Get("X-Tenant") != "acme" ||
			h.Get("Accept") != "text/event-stream" || h.Get("Content-Type") != "application/json" ||
			h.Get("X-Request-Id") != job.Cells[0].CellKey.String() {
			t.Errorf("headers %v", h)
		}
		b := req.Body
		so, _ := b["stream_options"].(map[string]any)
		msgs, _ := b["messages"].([]any)
		if b["model"] != "m" || b["temperature"] != 0.7 || b["top_p"] != 0.9 || b["stream"] != true ||
			so["include_usage"] != true || b["reasoning_effort"] != "low" || b["max_tokens"] != 99.0 || len(msgs) != 1 {
			t.Errorf("body %v", b)
		}
	})
}

func TestEveryErrorClassIsARecordAndTheRunCompletes(t *testing.T) {
	okChunk := func(s *sseW) { s.data(delta(map[string]any{"content": "partial"}, nil)) }
	cases := []struct {
		name   string
		class  string
		setup  func(*pipeline.QueryJob)
		bad    http.HandlerFunc
		verify func(*testing.T, results.Record)
	}{
		{name: "a 500 without retries is http_500", class: "http_500",
			bad: func(w http.ResponseWriter, r *http.Request) {
				http.Error(w, `{"error":{"message":"boom"}}`, http.StatusInternalServerError)
			},
			verify: func(t *testing.T, r results.Record) {
				if r.HTTPStatus != 500 || !strings.Contains(r.ErrorDetail, "boom") {
					t.Errorf("status %d detail %q", r.HTTPStatus, r.ErrorDetail)
				}
			}},
		{name: "a 404 is http_404 and not retried", class: "http_404",
			setup: func(j *pipeline.QueryJob) { j.Platform.Retries = 3 },
			bad: func(w http.ResponseWriter, r *http.Request) {
				http.Error(w, strings.Repeat("x", 1000), http.StatusNotFound)
			},
			verify: func(t *testing.T, r results.Record) {
				if r.Attempts != 1 || len(r.ErrorDetail) > maxDetail+3 {
					t.Errorf("attempts %d, detail of %d bytes", r.Attempts, len(r.ErrorDetail))
				}
			}},
		{name: "no token before the first-token timeout is timeout_first_token", class: results.ErrTimeoutFirstToken,
			setup: func(j *pipeline.QueryJob) { j.Platform.FirstTokenTimeout = config.Duration(50 * time.Millisecond) },
			bad: func(w http.ResponseWriter, r *http.Request) {
				s := startSSE(w)
				s.data(delta(map[string]any{"role": "assistant"}, nil))
				for range 20 { // keep-alives do not count as tokens
					s.raw(": keep-alive\n\n")
					select {
					case <-r.Context().Done():
						return
					case <-time.After(10 * time.Millisecond):
					}
				}
			}},
		{name: "a stall between events is timeout_idle", class: results.ErrTimeoutIdle,
			setup: func(j *pipeline.QueryJob) { j.Platform.IdleTimeout = config.Duration(50 * time.Millisecond) },
			bad: func(w http.ResponseWriter, r *http.Request) {
				s := startSSE(w)
				okChunk(s)
				<-r.Context().Done()
			},
			verify: func(t *testing.T, r results.Record) {
				if r.Content != "partial" {
					t.Errorf("partial content lost: %q", r.Content)
				}
			}},
		{name: "a request longer than the timeout is timeout_total", class: results.ErrTimeoutTotal,
			setup: func(j *pipeline.QueryJob) { j.Platform.Timeout = config.Duration(80 * time.Millisecond) },
			bad: func(w http.ResponseWriter, r *http.Request) {
				s := startSSE(w)
				for {
					okChunk(s)
					select {
					case <-r.Context().Done():
						return
					case <-time.After(10 * time.Millisecond):
					}
				}
			}},
		{name: "a stream that ends without finish_reason or [DONE] is stream_truncated", class: results.ErrStreamTruncated,
			bad: func(w http.ResponseWriter, r *http.Request) {
				s := startSSE(w)
				okChunk(s)
				s.raw("data: {\"choices\":[{\"delta\":{\"content\":\"cut") // torn event, then close
			}},
		{name: "a data object with an error key is sse_error_event", class: results.ErrSSEErrorEvent,
			bad: func(w http.ResponseWriter, r *http.Request) {
				s := startSSE(w)
				okChunk(s)
				s.data(map[string]any{"error": map[string]any{"message": "model overloaded", "code": 503}})
			},
			verify: func(t *testing.T, r results.Record) {
				if !strings.Contains(r.ErrorDetail, "model overloaded") {
					t.Errorf("detail %q", r.ErrorDetail)
				}
			}},
		{name: "an event of type error is sse_error_event", class: results.ErrSSEErrorEvent,
			bad: func(w http.ResponseWriter, r *http.Request) {
				s := startSSE(w)
				s.raw("event: error\ndata: upstream failed\n\n")
			}},
		{name: "a malformed chunk is bad_json", class: results.ErrBadJSON,
			bad: func(w http.ResponseWriter, r *http.Request) {
				s := startSSE(w)
				okChunk(s)
				s.raw("data: {\"choices\":[{\"delta\":{\"content\": nope}}]}\n\n")
				s.done()
			}},
		{name: "finish_reason length with empty content is empty_content_length", class: results.ErrEmptyContentLength,
			bad: func(w http.ResponseWriter, r *http.Request) {
				s := startSSE(w)
				s.data(delta(map[string]any{"reasoning_content": "thinking forever"}, nil))
				s.data(delta(map[string]any{}, "length"))
				s.data(usageChunk(12, 64, 64, nil))
				s.done()
			},
			verify: func(t *testing.T, r results.Record) {
				if r.Reasoning != "thinking forever" || r.OutputTokens != 64 || r.ReasoningTokens != 64 ||
					r.FinishReason != "length" || !r.Truncated {
					t.Errorf("reasoning %q tokens %d/%d finish %q truncated %v",
						r.Reasoning, r.OutputTokens, r.ReasoningTokens, r.FinishReason, r.Truncated)
				}
			}},
		{name: "a connection closed before the response is transport", class: results.ErrTransport,
			bad: func(w http.ResponseWriter, r *http.Request) {
				c, _, err := w.(http.Hijacker).Hijack()
				if err == nil {
					c.Close()
				}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t, tc.bad)
			job := newJob(f.URL+"/v1", "good1", "bad", "good2", "good3")
			job.Platform.Retries = 0
			if tc.setup != nil {
				tc.setup(&job)
			}
			recs, rep, err := collect(t, context.Background(), New(WithBackoff(time.Millisecond, time.Millisecond)), job)
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != 4 || rep.StopReason != "" {
				t.Fatalf("%d records, stop %q", len(recs), rep.StopReason)
			}
			bad := recs["bad"]
			if bad.Error != tc.class {
				t.Errorf("error %q (%s), want %q", bad.Error, bad.ErrorDetail, tc.class)
			}
			if tc.verify != nil {
				tc.verify(t, bad)
			}
			assertGood(t, recs, "good1", "good2", "good3")
		})
	}
}

func TestConnectTimeoutIsItsOwnClass(t *testing.T) {
	f := newFake(t, nil)
	var dials atomic.Int32
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		if dials.Add(1) == 1 { // the first connection never completes
			<-ctx.Done()
			return nil, ctx.Err()
		}
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
	job := newJob(f.URL+"/v1", "a", "b", "c")
	job.Platform.Concurrency = 1
	job.Platform.ConnectTimeout = config.Duration(30 * time.Millisecond)
	recs, _, err := collect(t, context.Background(), New(WithDialer(dial)), job)
	if err != nil {
		t.Fatal(err)
	}
	if recs["a"].Error != results.ErrTimeoutConnect {
		t.Errorf("first record: %q (%s), want timeout_connect", recs["a"].Error, recs["a"].ErrorDetail)
	}
	assertGood(t, recs, "b", "c")
}

func TestRetries(t *testing.T) {
	t.Run("a 429 with Retry-After is retried after the wait, which is not latency", func(t *testing.T) {
		var calls atomic.Int32
		f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
			if calls.Add(1) == 1 {
				w.Header().Set("Retry-After", "1")
				http.Error(w, "slow down", http.StatusTooManyRequests)
				return
			}
			streamAnswer(w, "answer bad")
		})
		job := newJob(f.URL+"/v1", "bad", "good")
		job.Platform.Retries = 2
		recs, _, err := collect(t, context.Background(), New(WithBackoff(time.Hour, time.Hour)), job)
		if err != nil {
			t.Fatal(err)
		}
		r := recs["bad"]
		if !r.OK() || r.Attempts != 2 || r.Content != "answer bad" {
			t.Fatalf("error %q attempts %d content %q", r.Error, r.Attempts, r.Content)
		}
		if r.RetryWaitMs < 1000 {
			t.Errorf("retry wait %.1f ms, want >= 1000 (Retry-After: 1)", r.RetryWaitMs)
		}
		if r.LatencyMs >= r.RetryWaitMs || r.CloseMs >= r.RetryWaitMs {
			t.Errorf("latency %.1f / close %.1f include the retry wait %.1f", r.LatencyMs, r.CloseMs, r.RetryWaitMs)
		}
		assertGood(t, recs, "good")
	})
	t.Run("5xx is retried with backoff until retries run out", func(t *testing.T) {
		var calls atomic.Int32
		f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
			calls.Add(1)
			http.Error(w, "unavailable", http.StatusServiceUnavailable)
		})
		job := newJob(f.URL+"/v1", "bad", "good")
		job.Platform.Retries = 2
		recs, _, err := collect(t, context.Background(), New(WithBackoff(time.Millisecond, 4*time.Millisecond)), job)
		if err != nil {
			t.Fatal(err)
		}
		r := recs["bad"]
		if r.Error != "http_503" || r.Attempts != 3 || calls.Load() != 3 {
			t.Errorf("error %q attempts %d calls %d", r.Error, r.Attempts, calls.Load())
		}
		assertGood(t, recs, "good")
	})
}

func TestTokenCommand(t *testing.T) {
	dir := t.TempDir()
	counter := filepath.Join(dir, "n")
	// Prints tok1, tok2, ... one more each time it runs.
	cmd := `n=$(cat ` + counter + ` 2>/dev/null || echo 0); n=$((n+1)); echo $n > ` + counter + `; echo tok$n; echo second line`
	t.Run("a 401 re-runs the command once and retries", func(t *testing.T) {
		f := newFake(t, nil, wrap(func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("Authorization") != "Bearer tok2" {
					http.Error(w, `{"error":"token expired"}`, http.StatusUnauthorized)
					return
				}
				h.ServeHTTP(w, r)
			})
		}))
		job := newJob(f.URL+"/v1", "a", "b", "c")
		job.Platform.Concurrency = 1
		job.Platform.APIKeyCommand = cmd
		recs, _, err := collect(t, context.Background(), New(), job)
		if err != nil {
			t.Fatal(err)
		}
		assertGood(t, recs, "a", "b", "c")
		if recs["a"].Attempts != 2 || recs["b"].Attempts != 1 {
			t.Errorf("attempts a=%d b=%d, want 2 and 1", recs["a"].Attempts, recs["b"].Attempts)
		}
		if n, _ := os.ReadFile(counter); strings.TrimSpace(string(n)) != "2" {
			t.Errorf("command ran %s times, want 2", n)
		}
	})
	t.Run("a 401 after the refresh is an http_401 record", func(t *testing.T) {
		f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "no", http.StatusUnauthorized)
		})
		job := newJob(f.URL+"/v1", "bad", "good")
		job.Platform.APIKeyCommand = "echo fresh"
		recs, _, err := collect(t, context.Background(), New(), job)
		if err != nil {
			t.Fatal(err)
		}
		if r := recs["bad"]; r.Error != "http_401" || r.Attempts != 2 {
			t.Errorf("error %q attempts %d", r.Error, r.Attempts)
		}
		assertGood(t, recs, "good")
	})
	t.Run("a failing command is a fatal error that does not show the token", func(t *testing.T) {
		job := newJob("http://127.0.0.1:1/v1", "a")
		job.Platform.APIKeyCommand = "echo sk-secret-123; exit 3"
		_, _, err := collect(t, context.Background(), New(), job)
		if err == nil || strings.Contains(err.Error(), "sk-secret-123") || !strings.Contains(err.Error(), "exit status 3") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("an unset api_key_env is a fatal error that leaves naming the platform to the engine", func(t *testing.T) {
		job := newJob("http://127.0.0.1:1/v1", "a")
		job.Platform.APIKeyEnv = "INFERBENCH_TEST_SURELY_UNSET"
		_, _, err := collect(t, context.Background(), New(), job)
		if err == nil {
			t.Fatal("no error")
		}
		// The engine wraps it as "platform fake: ..."; a second name reads "platform fake: query fake: ...".
		if want := "api_key_env: environment variable INFERBENCH_TEST_SURELY_UNSET is unset or empty"; err.Error() != want {
			t.Errorf("err = %q, want %q", err, want)
		}
	})
	t.Run("api_key_env is sent as the bearer token", func(t *testing.T) {
		t.Setenv("INFERBENCH_TEST_KEY", "from-env")
		f := newFake(t, nil)
		job := newJob(f.URL+"/v1", "a")
		job.Platform.APIKeyEnv = "INFERBENCH_TEST_KEY"
		if _, _, err := collect(t, context.Background(), New(), job); err != nil {
			t.Fatal(err)
		}
		if got := f.requests()[0].Header.Get("Authorization"); got != "Bearer from-env" {
			t.Errorf("Authorization %q", got)
		}
	})
}

func TestStreamOptionsRejectedIsResentWithoutOnce(t *testing.T) {
	var rejected atomic.Int32
	f := newFake(t, nil, wrap(func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := readAllRestore(r)
			if strings.Contains(body, "stream_options") {
				rejected.Add(1)
				http.Error(w, `{"error":{"message":"Unrecognized request argument supplied: stream_options"}}`, http.StatusBadRequest)
				return
			}
			h.ServeHTTP(w, r)
		})
	}))
	job := newJob(f.URL+"/v1", "a", "b", "c", "d")
	job.Platform.Concurrency = 1
	recs, rep, err := collect(t, context.Background(), New(), job)
	if err != nil {
		t.Fatal(err)
	}
	assertGood(t, recs, "a", "b", "c", "d")
	if rejected.Load() != 1 {
		t.Errorf("stream_options sent %d times after rejection, want once in all", rejected.Load())
	}
	if len(rep.Notes) != 1 || !strings.Contains(rep.Notes[0], "stream_options") {
		t.Errorf("notes %q", rep.Notes)
	}
	if recs["a"].Attempts != 2 {
		t.Errorf("first record attempts %d, want 2", recs["a"].Attempts)
	}
}

func TestUsageAbsentIsEstimated(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		s := startSSE(w)
		s.data(delta(map[string]any{"role": "assistant"}, nil))
		s.data(delta(map[string]any{"reasoning": "hmm"}, nil))
		s.data(delta(map[string]any{"content": "a"}, nil))
		s.data(delta(map[string]any{"content": "b"}, nil))
		s.data(delta(map[string]any{"content": "c"}, "stop"))
		s.done()
	})
	recs, _, err := collect(t, context.Background(), New(), newJob(f.URL+"/v1", "bad"))
	if err != nil {
		t.Fatal(err)
	}
	r := recs["bad"]
	if !r.OK() || !r.TokensEstimated || r.OutputTokens != 4 || r.ReasoningTokens != 1 || r.Content != "abc" {
		t.Errorf("ok %v estimated %v tokens %d/%d content %q", r.OK(), r.TokensEstimated, r.OutputTokens, r.ReasoningTokens, r.Content)
	}
}

func TestVendorUsageFieldsAreKeptByName(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		s := startSSE(w)
		s.data(delta(map[string]any{"content": "x"}, "stop"))
		s.data(usageChunk(5, 1, 0, map[string]any{
			"time_to_first_token": 0.12, "total_latency": 0.5, "completion_tokens_per_sec": 412.5,
			"acceptance_rate": 3, "is_last_response": true, "stop_reason": "eos",
			"prompt_tokens_details": map[string]any{"cached_tokens": 0},
		}))
		s.done()
	})
	recs, _, err := collect(t, context.Background(), New(), newJob(f.URL+"/v1", "bad"))
	if err != nil {
		t.Fatal(err)
	}
	got := recs["bad"].Server
	want := map[string]float64{"time_to_first_token": 0.12, "total_latency": 0.5, "completion_tokens_per_sec": 412.5, "acceptance_rate": 3}
	if len(got) != len(want) {
		t.Errorf("server fields %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("server[%s] = %v, want %v", k, got[k], v)
		}
	}
}

func TestNonStreamingAnswer(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		time.Sleep(20 * time.Millisecond)
		w.Write([]byte(`{"id":"c","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant",` +
			`"content":"Denver Broncos","reasoning_content":"The AFC..."},"finish_reason":"stop"}],` +
			`"usage":{"prompt_tokens":40,"completion_tokens":9,"total_tokens":49,"completion_tokens_details":{"reasoning_tokens":6}}}`))
	})
	job := newJob(f.URL+"/v1", "bad")
	job.Params.Stream = false
	recs, _, err := collect(t, context.Background(), New(), job)
	if err != nil {
		t.Fatal(err)
	}
	r := recs["bad"]
	if !r.OK() || r.Content != "Denver Broncos" || r.Reasoning != "The AFC..." || r.OutputTokens != 9 || r.ReasoningTokens != 6 {
		t.Errorf("record %+v", r)
	}
	if r.TTFTMs != r.LatencyMs || r.TTFCMs != r.LatencyMs || r.LatencyMs < 20 {
		t.Errorf("TTFT %.2f TTFC %.2f E2E %.2f", r.TTFTMs, r.TTFCMs, r.LatencyMs)
	}
	req := f.requests()[0]
	if req.Body["stream"] != false || req.Body["stream_options"] != nil || req.Header.Get("Accept") == "text/event-stream" {
		t.Errorf("non-streaming request %v %v", req.Body, req.Header)
	}
}

func TestToolCallDeltasAreTokens(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		s := startSSE(w)
		s.data(delta(map[string]any{"role": "assistant", "tool_calls": []any{}}, nil))
		time.Sleep(20 * time.Millisecond)
		s.data(delta(map[string]any{"tool_calls": []any{map[string]any{"index": 0, "function": map[string]any{"name": "lookup"}}}}, nil))
		s.data(delta(map[string]any{"tool_calls": []any{map[string]any{"index": 0, "function": map[string]any{"arguments": "{}"}}}}, "tool_calls"))
		s.done()
	})
	recs, _, err := collect(t, context.Background(), New(), newJob(f.URL+"/v1", "bad"))
	if err != nil {
		t.Fatal(err)
	}
	r := recs["bad"]
	if !r.OK() || r.FinishReason != "tool_calls" || r.TTFTMs < 20 || r.TTFCMs != 0 || r.OutputTokens != 2 || len(r.ITLMs) != 1 {
		t.Errorf("error %q finish %q TTFT %.2f TTFC %.2f tokens %d ITL %v", r.Error, r.FinishReason, r.TTFTMs, r.TTFCMs, r.OutputTokens, r.ITLMs)
	}
}

func TestConnectionsAreReusedAfterDone(t *testing.T) {
	var conns atomic.Int32
	// The end of the body comes a little after [DONE], as over a network.
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		streamAnswer(w, "answer "+id[strings.LastIndex(id, "/")+1:])
		time.Sleep(5 * time.Millisecond)
	}, func(s *httptest.Server) {
		s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
			if st == http.StateNew {
				conns.Add(1)
			}
		}
	})
	job := newJob(f.URL+"/v1", ids("bad", 5)...)
	job.Platform.Concurrency = 1
	recs, _, err := collect(t, context.Background(), New(), job)
	if err != nil {
		t.Fatal(err)
	}
	assertGood(t, recs, ids("bad", 5)...)
	if n := conns.Load(); n != 1 {
		t.Errorf("%d connections for 5 sequential requests, want 1", n)
	}
}

func TestAStreamKeptOpenAfterDoneStillSucceeds(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		streamAnswer(w, "answer bad")
		<-r.Context().Done() // never ends the body
	})
	recs, _, err := collect(t, context.Background(), New(), newJob(f.URL+"/v1", "bad", "good"))
	if err != nil {
		t.Fatal(err)
	}
	assertGood(t, recs, "bad", "good")
	if r := recs["bad"]; r.CloseMs < r.LatencyMs {
		t.Errorf("close %.2f before the last token %.2f", r.CloseMs, r.LatencyMs)
	}
}
