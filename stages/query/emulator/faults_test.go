package emulator

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/inferbench/inferbench/pipeline/config"
)

func TestFaultsOnTheWire(t *testing.T) {
	ctx := context.Background()
	prof := func(f Faults) Profile {
		return Profile{ReasoningTokens: 6, Accuracy: 1, Faults: f}
	}
	t.Run("rate_429 answers 429 with Retry-After and an OpenAI error", func(t *testing.T) {
		base := startServer(t, prof(Faults{Rate429: 1, RetryAfter: config.Duration(1500 * time.Millisecond)}), 1, fixtureLookup)
		resp := post(t, ctx, base, "/chat/completions", streamBody(promptFor(&fixture[0])), "f429")
		if resp.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("status %d", resp.StatusCode)
		}
		if ra := resp.Header.Get("Retry-After"); ra != "2" {
			t.Errorf("Retry-After %q, want 2 (seconds, rounded up)", ra)
		}
		if ra := resp.Header.Get("Retry-After-Ms"); ra != "1500" {
			t.Errorf("Retry-After-Ms %q, want 1500", ra)
		}
		if e := decodeError(t, resp); e.Error.Type != "requests" || e.code() != "rate_limit_exceeded" {
			t.Errorf("type %q code %q, want the API's requests and rate_limit_exceeded", e.Error.Type, e.code())
		}
	})
	t.Run("rate_429 without retry_after says one second", func(t *testing.T) {
		base := startServer(t, prof(Faults{Rate429: 1}), 1, fixtureLookup)
		resp := post(t, ctx, base, "/chat/completions", streamBody(promptFor(&fixture[0])), "")
		decodeError(t, resp)
		if ra := resp.Header.Get("Retry-After"); ra != "1" {
			t.Errorf("Retry-After %q", ra)
		}
	})
	t.Run("rate_500 answers 500 before any stream byte", func(t *testing.T) {
		base := startServer(t, prof(Faults{Rate500: 1}), 1, fixtureLookup)
		resp := post(t, ctx, base, "/chat/completions", streamBody(promptFor(&fixture[0])), "")
		if resp.StatusCode != 500 {
			t.Fatalf("status %d", resp.StatusCode)
		}
		decodeError(t, resp)
	})
	t.Run("disconnect cuts the stream after a few events without DONE", func(t *testing.T) {
		base := startServer(t, prof(Faults{Disconnect: 1}), 1, fixtureLookup)
		for i := range 5 {
			resp := post(t, ctx, base, "/chat/completions", streamBody(promptFor(&fixture[i])), "")
			events, err := readSSE(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("status %d", resp.StatusCode)
			}
			if err == nil || !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("read ended with %v, want an unexpected EOF", err)
			}
			if len(events) < 2 {
				t.Errorf("only %d events before the cut, want the role chunk and at least one token", len(events))
			}
			for _, e := range events {
				if e == "[DONE]" || strings.Contains(e, `"finish_reason":"`) {
					t.Errorf("a cut stream carried %s", e)
				}
			}
		}
	})
	t.Run("malformed sends one chunk that is not JSON and finishes the stream", func(t *testing.T) {
		base := startServer(t, prof(Faults{Malformed: 1}), 1, fixtureLookup)
		resp := post(t, ctx, base, "/chat/completions", streamBody(promptFor(&fixture[1])), "")
		defer resp.Body.Close()
		events, err := readSSE(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		bad := 0
		for _, e := range events {
			if e != "[DONE]" && !json.Valid([]byte(e)) {
				bad++
			}
		}
		if bad != 1 || events[len(events)-1] != "[DONE]" {
			t.Errorf("%d invalid events, last %q; want exactly 1 and [DONE]", bad, events[len(events)-1])
		}
	})
	t.Run("error_event sends an SSE error object and ends without DONE", func(t *testing.T) {
		base := startServer(t, prof(Faults{ErrorEvent: 1}), 1, fixtureLookup)
		resp := post(t, ctx, base, "/chat/completions", streamBody(promptFor(&fixture[2])), "")
		defer resp.Body.Close()
		events, err := readSSE(resp.Body)
		if err != nil {
			t.Fatalf("stream should end cleanly, got %v", err)
		}
		var e errorBody
		if err := json.Unmarshal([]byte(events[len(events)-1]), &e); err != nil || e.Error.Type != "server_error" || e.Error.Code != nil || e.Error.Message == "" {
			t.Errorf("last event %q is not an error object", events[len(events)-1])
		}
		if len(events) < 3 {
			t.Errorf("error came after %d events, want some tokens first", len(events)-1)
		}
	})
	t.Run("stall pauses mid-stream for stall_for and then completes", func(t *testing.T) {
		const stall = 80 * time.Millisecond
		base := startServer(t, prof(Faults{Stall: 1, StallFor: config.Duration(stall)}), 1, fixtureLookup)
		start := time.Now()
		resp := post(t, ctx, base, "/chat/completions", streamBody(promptFor(&fixture[3])), "")
		defer resp.Body.Close()
		events, err := readSSE(resp.Body)
		st := decodeStream(t, events, err, "reasoning")
		if st.err != nil || !st.done || st.finish != "stop" {
			t.Errorf("err %v done %v finish %q", st.err, st.done, st.finish)
		}
		if el := time.Since(start); el < stall {
			t.Errorf("stream took %v, less than the stall %v", el, stall)
		}
	})
	t.Run("a stalled stream ends when the client goes away", func(t *testing.T) {
		base, shutdown, err := Start("127.0.0.1:0", New(prof(Faults{Stall: 1, StallFor: config.Duration(time.Hour)}), 1, fixtureLookup))
		if err != nil {
			t.Fatal(err)
		}
		cctx, cancel := context.WithCancel(ctx)
		resp := post(t, cctx, base, "/chat/completions", streamBody(promptFor(&fixture[3])), "")
		buf := make([]byte, 64)
		if _, err := resp.Body.Read(buf); err != nil { // the role chunk arrives
			t.Fatal(err)
		}
		cancel()
		resp.Body.Close()
		// Shutdown waits for in-flight handlers: it returns nil only if the
		// stalled handler saw the cancellation and returned.
		sctx, scancel := context.WithTimeout(ctx, 20*time.Second)
		defer scancel()
		if err := shutdown(sctx); err != nil {
			t.Errorf("shutdown: %v (the stalled handler did not return)", err)
		}
	})
}

func TestFaultSharesAndRetries(t *testing.T) {
	t.Run("a share of 0.5 hits about half of the requests", func(t *testing.T) {
		srv := New(Profile{Faults: Faults{Rate429: 0.25, Rate500: 0.25}}, 3, nil)
		counts := map[fault]int{}
		for i := range 2000 {
			counts[srv.pickFault(mix(uint64(i)), 0)]++
		}
		// Binomial sd at n=2000, p=0.25 is 19.4; allow 5 sd.
		for _, f := range []fault{fault429, fault500} {
			if c := counts[f]; c < 500-97 || c > 500+97 {
				t.Errorf("fault %d hit %d of 2000, want about 500", f, c)
			}
		}
		if counts[faultDisconnect]+counts[faultStall]+counts[faultMalformed]+counts[faultErrorEvent] != 0 {
			t.Errorf("faults with share 0 were injected: %v", counts)
		}
	})
	t.Run("a retried request id eventually succeeds and gets the same content", func(t *testing.T) {
		prof := Profile{Accuracy: 0.5, Faults: Faults{Rate429: 0.5}}
		base := startServer(t, prof, 11, fixtureLookup)
		ref := startServer(t, Profile{Accuracy: 0.5}, 11, fixtureLookup)
		for i := range 10 {
			id := "retry-" + strconv.Itoa(i)
			s := &fixture[i]
			var statuses []int
			for attempt := 0; attempt < 40; attempt++ {
				resp := post(t, context.Background(), base, "/chat/completions", streamBody(promptFor(s)), id)
				statuses = append(statuses, resp.StatusCode)
				if resp.StatusCode == 200 {
					events, err := readSSE(resp.Body)
					resp.Body.Close()
					got := decodeStream(t, events, err, "reasoning").content
					want := strings.Split(contentOf(t, ref, promptFor(s), id), "\x00")[0]
					if got != want {
						t.Errorf("%s: content after retries %q, want %q as without faults", id, got, want)
					}
					break
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			if statuses[len(statuses)-1] != 200 {
				t.Errorf("%s never succeeded: %v", id, statuses)
			}
		}
	})
}

func TestTimingLowerBounds(t *testing.T) {
	const (
		ttft      = 40 * time.Millisecond
		tps       = 250.0
		reasoning = 5
	)
	prof := Profile{TTFT: config.Duration(ttft), TokensPerSecond: tps, ReasoningTokens: reasoning, Accuracy: 1}
	base := startServer(t, prof, 1, fixtureLookup)
	s := &fixture[5]
	tokens := reasoning + countPieces(s.Answers[0])
	minTotal := ttft + time.Duration(float64(tokens-1)/tps*float64(time.Second))

	start := time.Now()
	resp := post(t, context.Background(), base, "/chat/completions", streamBody(promptFor(s)), "timing")
	defer resp.Body.Close()
	ftr := &firstTokenReader{r: resp.Body, start: start}
	events, err := readSSE(ftr)
	el := time.Since(start)
	st := decodeStream(t, events, err, "reasoning")
	if st.err != nil || st.content != s.Answers[0] {
		t.Fatalf("err %v content %q", st.err, st.content)
	}
	if el < minTotal {
		t.Errorf("stream took %v, less than the injected %v", el, minTotal)
	}
	if !ftr.seen || ftr.at < ttft {
		t.Errorf("first token after %v (seen %v), before the injected TTFT %v", ftr.at, ftr.seen, ttft)
	}
}

// firstTokenReader records when the first reasoning or content delta
// arrived (the role-only chunk does not count).
type firstTokenReader struct {
	r     io.Reader
	start time.Time
	seen  bool
	at    time.Duration
}

func (f *firstTokenReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if !f.seen && strings.Contains(strings.ReplaceAll(string(p[:n]), `"role":"assistant","content":""`, ""), `"delta":{"`) {
		f.seen = true
		f.at = time.Since(f.start)
	}
	return n, err
}

func TestScheduleJitter(t *testing.T) {
	prof := Profile{TTFT: config.Duration(100 * time.Millisecond), TokensPerSecond: 100, Jitter: 0.2}
	cases := []struct {
		name   string
		jitter float64
	}{
		{"without jitter every gap is exactly 1/tokens_per_second", 0},
		{"with jitter every gap stays within ±jitter and the gaps vary", 0.2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			prof.Jitter = tc.jitter
			a, b := newSchedule(99, &prof, 0), newSchedule(99, &prof, 0)
			first := a.next()
			if b.next() != first {
				t.Fatal("same key gave different TTFT")
			}
			lo, hi := time.Duration(float64(100*time.Millisecond)*(1-tc.jitter)), time.Duration(float64(100*time.Millisecond)*(1+tc.jitter))
			if first < lo || first > hi {
				t.Errorf("ttft %v outside [%v, %v]", first, lo, hi)
			}
			prev := first
			distinct := map[time.Duration]bool{}
			for range 200 {
				off := a.next()
				if off != b.next() {
					t.Fatal("same key gave different schedules")
				}
				gap := off - prev
				prev = off
				distinct[gap] = true
				if gap < time.Duration(float64(10*time.Millisecond)*(1-tc.jitter))-1 || gap > time.Duration(float64(10*time.Millisecond)*(1+tc.jitter))+1 {
					t.Errorf("gap %v outside ±%v of 10ms", gap, tc.jitter)
				}
			}
			if (tc.jitter == 0) != (len(distinct) == 1) {
				t.Errorf("%d distinct gaps with jitter %v", len(distinct), tc.jitter)
			}
		})
	}
}

func TestNonStreamingFaults(t *testing.T) {
	cases := []struct {
		name   string
		faults Faults
		check  func(t *testing.T, resp *http.Response, err error)
	}{
		{"disconnect closes the connection before any byte", Faults{Disconnect: 1},
			func(t *testing.T, resp *http.Response, err error) {
				if err == nil {
					resp.Body.Close()
					t.Errorf("got status %d, want a transport error", resp.StatusCode)
				}
			}},
		{"malformed sends a 200 whose body is not JSON", Faults{Malformed: 1},
			func(t *testing.T, resp *http.Response, err error) {
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				if resp.StatusCode != 200 || json.Valid(b) || !strings.HasPrefix(string(b), `{"id":"chatcmpl-`) {
					t.Errorf("status %d body %s", resp.StatusCode, b)
				}
			}},
		{"error_event answers 500 with a server_error body", Faults{ErrorEvent: 1},
			func(t *testing.T, resp *http.Response, err error) {
				if err != nil {
					t.Fatal(err)
				}
				if resp.StatusCode != 500 {
					t.Errorf("status %d", resp.StatusCode)
				}
				if e := decodeError(t, resp); e.Error.Type != "server_error" {
					t.Errorf("type %q", e.Error.Type)
				}
			}},
		{"stall delays a complete answer", Faults{Stall: 1, StallFor: config.Duration(30 * time.Millisecond)},
			func(t *testing.T, resp *http.Response, err error) {
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				var c completion
				if err := json.NewDecoder(resp.Body).Decode(&c); err != nil || c.Choices[0].FinishReason != "stop" {
					t.Errorf("err %v completion %+v", err, c)
				}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			base := startServer(t, Profile{ReasoningTokens: 3, Accuracy: 1, Faults: tc.faults}, 1, fixtureLookup)
			raw, _ := json.Marshal(chatBody{Model: "m", Messages: promptFor(&fixture[0])})
			start := time.Now()
			resp, err := http.Post(base+"/chat/completions", "application/json", strings.NewReader(string(raw)))
			tc.check(t, resp, err)
			if tc.faults.StallFor > 0 && time.Since(start) < tc.faults.StallFor.D() {
				t.Errorf("answered after %v, before the stall of %v", time.Since(start), tc.faults.StallFor)
			}
		})
	}
}

func TestConcurrentStreamsMatchSequentialOnes(t *testing.T) {
	prof := Profile{TTFT: config.Duration(5 * time.Millisecond), TokensPerSecond: 2000, Jitter: 0.3, ReasoningTokens: 8, Accuracy: 0.7, Style: "chatty", Usage: "sambanova"}
	base := startServer(t, prof, 21, fixtureLookup)
	ref := startServer(t, prof, 21, fixtureLookup)
	const n = 64
	got := make([]string, n)
	errs := make(chan error, n)
	for i := range n {
		go func() {
			s := &fixture[i%len(fixture)]
			raw, _ := json.Marshal(streamBody(promptFor(s)))
			req, _ := http.NewRequest(http.MethodPost, base+"/chat/completions", strings.NewReader(string(raw)))
			req.Header.Set("X-Request-Id", "c-"+strconv.Itoa(i))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				errs <- err
				return
			}
			defer resp.Body.Close()
			events, err := readSSE(resp.Body)
			if err != nil || len(events) == 0 || events[len(events)-1] != "[DONE]" {
				errs <- errors.New("stream " + strconv.Itoa(i) + " did not end with [DONE]")
				return
			}
			got[i] = strings.Join(events[1:len(events)-2], "\n") // token and finish chunks; usage differs by timing
			errs <- nil
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for i := range n {
		s := &fixture[i%len(fixture)]
		resp := post(t, context.Background(), ref, "/chat/completions", streamBody(promptFor(s)), "c-"+strconv.Itoa(i))
		events, err := readSSE(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		want := strings.Join(events[1:len(events)-2], "\n")
		// created (Unix seconds) may tick between the runs and ids are
		// fresh per response; compare without them.
		strip := func(s string) string {
			return idRE.ReplaceAllString(createdRE.ReplaceAllString(s, `"created":0`), `"id":"chatcmpl-x"`)
		}
		if strip(got[i]) != strip(want) {
			t.Errorf("request %d concurrently:\n%s\nsequentially:\n%s", i, got[i], want)
		}
	}
}

var (
	createdRE = regexp.MustCompile(`"created":\d+`)
	idRE      = regexp.MustCompile(`"id":"chatcmpl-[0-9a-f]+"`)
)
