package emulator

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/inferbench/inferbench/pipeline/config"
)

func TestStreamWireFormat(t *testing.T) {
	cases := []struct {
		name      string
		usage     string
		field     string
		wantUsage bool
		wantSN    bool
	}{
		{"vllm usage streams reasoning and reports usage like vLLM", "vllm", "reasoning", true, false},
		{"sambanova usage names the field reasoning_content and adds server timings", "sambanova", "reasoning_content", true, true},
		{"usage none sends no usage chunk even when asked", "none", "reasoning", false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			prof := Profile{ReasoningTokens: 7, Accuracy: 1, Usage: tc.usage}
			base := startServer(t, prof, 1, fixtureLookup)
			s := &fixture[1]
			resp := post(t, context.Background(), base, "/chat/completions", streamBody(promptFor(s)), "wire-1")
			defer resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("status %d", resp.StatusCode)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
				t.Errorf("Content-Type = %q", ct)
			}
			events, err := readSSE(resp.Body)
			st := decodeStream(t, events, err, tc.field)
			if st.err != nil {
				t.Fatalf("stream ended with %v", st.err)
			}
			if !st.done {
				t.Fatal("no [DONE]")
			}
			if got := events[0]; !strings.Contains(got, `"delta":{"role":"assistant","content":""}`) {
				t.Errorf("first event is not a role-only delta: %s", got)
			}
			for i, c := range st.chunks {
				if c.Object != "chat.completion.chunk" || c.Model != "openai/gpt-oss-120b" || !strings.HasPrefix(c.ID, "chatcmpl-") || c.Created == 0 {
					t.Errorf("chunk %d has id %q object %q model %q created %d", i, c.ID, c.Object, c.Model, c.Created)
				}
				if c.ID != st.chunks[0].ID {
					t.Errorf("chunk %d id %q differs from the first %q", i, c.ID, st.chunks[0].ID)
				}
			}
			// Token events: exactly one non-empty field, reasoning first, then content.
			var kinds []string
			for _, c := range st.chunks[1:] {
				if len(c.Choices) != 1 || c.Choices[0].FinishReason != nil {
					continue
				}
				var nonEmpty []string
				for k, v := range c.Choices[0].Delta {
					if v != nil && *v != "" {
						nonEmpty = append(nonEmpty, k)
					}
				}
				if len(nonEmpty) != 1 {
					t.Fatalf("token event has fields %v, want exactly one", nonEmpty)
				}
				kinds = append(kinds, nonEmpty[0])
			}
			wantKinds := ""
			for range 7 {
				wantKinds += tc.field + " "
			}
			for range countPieces(st.content) {
				wantKinds += "content "
			}
			if got := strings.Join(kinds, " ") + " "; got != wantKinds {
				t.Errorf("token event order = %s\nwant %s", got, wantKinds)
			}
			if st.content != "Marta Kovac" {
				t.Errorf("content = %q, want the gold answer", st.content)
			}
			if !strings.HasPrefix(st.reasoning, "We need") && !strings.HasPrefix(st.reasoning, "The ") && !strings.HasPrefix(st.reasoning, "Let ") {
				t.Errorf("reasoning %q does not start a sentence", st.reasoning)
			}
			if st.finish != "stop" {
				t.Errorf("finish_reason = %q", st.finish)
			}
			// The final two chunks: finish, then usage with choices [].
			n := len(st.chunks)
			if tc.wantUsage {
				last := st.chunks[n-1]
				if last.Choices == nil || len(last.Choices) != 0 || last.Usage == nil {
					t.Fatalf("last chunk is not a usage chunk with choices []: %s", events[len(events)-2])
				}
				if !strings.Contains(events[len(events)-2], `"choices":[]`) {
					t.Errorf("usage chunk lacks literal choices []: %s", events[len(events)-2])
				}
				if fr := st.chunks[n-2].Choices[0].FinishReason; fr == nil || *fr != "stop" {
					t.Errorf("chunk before usage has no finish_reason stop")
				}
				u := st.usage
				completion := int(u["completion_tokens"].(float64))
				if want := 7 + countPieces("Marta Kovac"); completion != want {
					t.Errorf("completion_tokens = %d, want %d", completion, want)
				}
				if rt := u["completion_tokens_details"].(map[string]any)["reasoning_tokens"].(float64); rt != 7 {
					t.Errorf("reasoning_tokens = %v, want 7", rt)
				}
				if p := int(u["prompt_tokens"].(float64)); p != PromptTokens(promptFor(s)) || u["total_tokens"].(float64) != float64(p+completion) {
					t.Errorf("prompt/total tokens = %v/%v", u["prompt_tokens"], u["total_tokens"])
				}
				for _, k := range []string{"time_to_first_token", "total_latency", "completion_tokens_per_sec", "completion_tokens_after_first_per_sec"} {
					_, has := u[k]
					if has != tc.wantSN {
						t.Errorf("usage field %s present = %v, want %v", k, has, tc.wantSN)
					}
				}
				if tc.wantSN && u["total_latency"].(float64) < u["time_to_first_token"].(float64) {
					t.Errorf("total_latency < time_to_first_token: %v", u)
				}
			} else {
				if st.usage != nil {
					t.Errorf("usage sent: %v", st.usage)
				}
				if fr := st.chunks[n-1].Choices[0].FinishReason; fr == nil {
					t.Errorf("last chunk carries no finish_reason")
				}
			}
		})
	}
}

func TestStreamWithoutIncludeUsageSendsNoUsage(t *testing.T) {
	base := startServer(t, Profile{Accuracy: 1}, 1, fixtureLookup)
	b := streamBody(promptFor(&fixture[0]))
	b.StreamOptions = nil
	resp := post(t, context.Background(), base, "/chat/completions", b, "")
	defer resp.Body.Close()
	events, err := readSSE(resp.Body)
	st := decodeStream(t, events, err, "reasoning")
	if st.usage != nil || !st.done || st.finish != "stop" {
		t.Errorf("usage %v done %v finish %q", st.usage, st.done, st.finish)
	}
}

func TestNonStreamingCompletion(t *testing.T) {
	for _, usage := range []string{"vllm", "sambanova", "none"} {
		t.Run("usage "+usage+" gives a chat.completion with content, reasoning and usage as configured", func(t *testing.T) {
			prof := Profile{ReasoningTokens: 5, Accuracy: 1, Usage: usage}
			base := startServer(t, prof, 3, fixtureLookup)
			resp := post(t, context.Background(), base, "/chat/completions",
				chatBody{Model: "m", Messages: promptFor(&fixture[7])}, "ns")
			defer resp.Body.Close()
			raw, _ := io.ReadAll(resp.Body)
			var c completion
			if err := json.Unmarshal(raw, &c); err != nil {
				t.Fatalf("%v: %s", err, raw)
			}
			if c.Object != "chat.completion" || c.Model != "m" || len(c.Choices) != 1 {
				t.Fatalf("bad completion: %s", raw)
			}
			msg := c.Choices[0].Message
			if msg["content"] != "every twelve hours" || msg["role"] != "assistant" {
				t.Errorf("message = %v", msg)
			}
			field := "reasoning"
			if usage == "sambanova" {
				field = "reasoning_content"
			}
			if r, _ := msg[field].(string); countPieces(r) != 5 {
				t.Errorf("%s = %q, want 5 tokens", field, r)
			}
			if c.Choices[0].FinishReason != "stop" {
				t.Errorf("finish_reason %q", c.Choices[0].FinishReason)
			}
			if (c.Usage == nil) != (usage == "none") {
				t.Errorf("usage = %v for profile usage %s", c.Usage, usage)
			}
			if c.Usage != nil && c.Usage["completion_tokens"].(float64) != float64(5+countPieces("every twelve hours")) {
				t.Errorf("completion_tokens = %v", c.Usage["completion_tokens"])
			}
			if _, has := c.Usage["time_to_first_token"]; has != (usage == "sambanova") {
				t.Errorf("time_to_first_token present = %v", has)
			}
		})
	}
}

// contentOf streams one request and returns its content.
func contentOf(t *testing.T, base string, msgs []config.Message, id string) string {
	t.Helper()
	resp := post(t, context.Background(), base, "/chat/completions", streamBody(msgs), id)
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	events, err := readSSE(resp.Body)
	st := decodeStream(t, events, err, "reasoning")
	if st.err != nil || !st.done {
		t.Fatalf("stream err %v done %v", st.err, st.done)
	}
	return st.content + "\x00" + st.reasoning
}

func TestDeterminism(t *testing.T) {
	prof := Profile{ReasoningTokens: 3, Accuracy: 0.5, Style: "chatty"}
	a := startServer(t, prof, 42, fixtureLookup)
	b := startServer(t, prof, 42, fixtureLookup)
	c := startServer(t, prof, 43, fixtureLookup)
	differs := 0
	for i := range 50 {
		s := &fixture[i%len(fixture)]
		id := "req-" + strconv.Itoa(i)
		ca, cb, cc := contentOf(t, a, promptFor(s), id), contentOf(t, b, promptFor(s), id), contentOf(t, c, promptFor(s), id)
		if ca != cb {
			t.Errorf("same seed, request %s: %q != %q", id, ca, cb)
		}
		if ca != cc {
			differs++
		}
	}
	if differs == 0 {
		t.Error("seeds 42 and 43 gave identical content for all 50 requests")
	}
	t.Run("the request id decides when present, the messages when absent", func(t *testing.T) {
		msgs := promptFor(&fixture[0])
		if contentOf(t, a, msgs, "") != contentOf(t, b, msgs, "") {
			t.Error("same messages without request id differ across equal servers")
		}
	})
}

func TestAccuracyMatchesProfile(t *testing.T) {
	const n = 400
	for _, p := range []float64{0.8, 0.3} {
		t.Run(fmt.Sprintf("accuracy %.1f is met within four binomial standard deviations", p), func(t *testing.T) {
			srv := New(Profile{Accuracy: p}, 7, fixtureLookup)
			hits, answerable := 0, 0
			for i := range n {
				s := &fixture[i%len(fixture)]
				// Calls the planning functions the handler uses, for 400 requests without HTTP.
				key := mix(srv.seed ^ requestKey("acc-"+strconv.Itoa(i), promptFor(s), "m", 0))
				ans := answerFor(key, p, fixtureLookup(promptFor(s)), promptFor(s))
				if s.IsImpossible {
					if ans == "" {
						hits++
					}
					answerable++
					continue
				}
				answerable++
				if exactMatch(ans, s.Answers) {
					hits++
				} else if !strings.Contains(s.Context, ans) {
					t.Errorf("wrong answer %q is not a span of the context of %s", ans, s.ID)
				}
			}
			got := float64(hits) / float64(answerable)
			sd := math.Sqrt(p * (1 - p) / float64(answerable))
			if math.Abs(got-p) > 4*sd {
				t.Errorf("accuracy %.3f, want %.2f ± %.3f", got, p, 4*sd)
			}
		})
	}
	t.Run("over HTTP the streamed content is the planned answer", func(t *testing.T) {
		base := startServer(t, Profile{Accuracy: 0.6}, 7, fixtureLookup)
		hits := 0
		for i := range 40 {
			s := &fixture[i%12]
			got := strings.Split(contentOf(t, base, promptFor(s), "h-"+strconv.Itoa(i)), "\x00")[0]
			if exactMatch(got, s.Answers) {
				hits++
			} else if !strings.Contains(s.Context, got) {
				t.Errorf("answer %q is neither gold nor a context span", got)
			}
		}
		if hits == 0 || hits == 40 {
			t.Errorf("%d of 40 correct at accuracy 0.6", hits)
		}
	})
}

func TestAnswerStyles(t *testing.T) {
	chatty := regexp.MustCompile(`^(The answer is \*\*(.+)\*\*\.|Based on the context, \*\*(.+)\*\*\.|\*\*(.+)\*\*|According to the passage, the answer is \*\*(.+)\*\*\.)$`)
	unknown := []config.Message{{Role: "user", Content: "Context: Pebbles rattle in the tin drum.\n\nQuestion: What rattles?\n\nAnswer:"}}
	cases := []struct {
		name   string
		prof   Profile
		lookup Lookup
		msgs   []config.Message
		check  func(t *testing.T, content string)
	}{
		{"plain style answers with the gold answer only", Profile{Accuracy: 1}, fixtureLookup, promptFor(&fixture[3]),
			func(t *testing.T, c string) {
				if !exactMatch(c, fixture[3].Answers) || strings.Contains(c, "*") {
					t.Errorf("content %q", c)
				}
			}},
		{"chatty style wraps the gold answer in a bold sentence", Profile{Accuracy: 1, Style: "chatty"}, fixtureLookup, promptFor(&fixture[3]),
			func(t *testing.T, c string) {
				m := chatty.FindStringSubmatch(c)
				if m == nil {
					t.Fatalf("content %q is not a chatty sentence", c)
				}
				if inner := strings.Join(m[2:], ""); !exactMatch(inner, fixture[3].Answers) {
					t.Errorf("bold span %q is not gold", inner)
				}
			}},
		{"an unanswerable question answered correctly gives empty content", Profile{Accuracy: 1, Style: "chatty"}, fixtureLookup, promptFor(&fixture[12]),
			func(t *testing.T, c string) {
				if c != "" {
					t.Errorf("content %q, want empty", c)
				}
			}},
		{"an unanswerable question answered wrongly gives a context span", Profile{Accuracy: 0}, fixtureLookup, promptFor(&fixture[12]),
			func(t *testing.T, c string) {
				if c == "" || !strings.Contains(fixture[12].Context, c) {
					t.Errorf("content %q", c)
				}
			}},
		{"an unknown sample is answered from the prompt's context", Profile{Accuracy: 1}, nil, unknown,
			func(t *testing.T, c string) {
				if c == "" || !strings.Contains("Pebbles rattle in the tin drum.", c) {
					t.Errorf("content %q is not a span of the prompt's context", c)
				}
			}},
		{"a prompt without context gets the fixed answer", Profile{Accuracy: 1}, fixtureLookup, []config.Message{{Role: "user", Content: "Hello there"}},
			func(t *testing.T, c string) {
				if c != FixedAnswer {
					t.Errorf("content %q, want %q", c, FixedAnswer)
				}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			base := startServer(t, tc.prof, 5, tc.lookup)
			for i := range 4 {
				tc.check(t, strings.Split(contentOf(t, base, tc.msgs, "s-"+strconv.Itoa(i)), "\x00")[0])
			}
		})
	}
}

func TestMaxTokensTruncation(t *testing.T) {
	prof := Profile{ReasoningTokens: 10, Accuracy: 1}
	s := &fixture[4] // "because the old site flooded twice": 6 pieces
	full := countPieces(s.Answers[0])
	cases := []struct {
		name                      string
		maxTokens                 int
		content, finish           string
		completion, reasoningToks int
	}{
		{"a budget below the reasoning gives empty content and finish length", 4, "", "length", 4, 4},
		{"a budget equal to the reasoning gives empty content and finish length", 10, "", "length", 10, 10},
		{"a budget inside the answer cuts the content", 12, "because the", "length", 12, 10},
		{"a budget that fits everything stops normally", 10 + full, s.Answers[0], "stop", 10 + full, 10},
	}
	base := startServer(t, prof, 9, fixtureLookup)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := streamBody(promptFor(s))
			b.MaxTokens = tc.maxTokens
			resp := post(t, context.Background(), base, "/chat/completions", b, "mt")
			defer resp.Body.Close()
			events, err := readSSE(resp.Body)
			st := decodeStream(t, events, err, "reasoning")
			if st.content != tc.content || st.finish != tc.finish {
				t.Errorf("content %q finish %q, want %q %q", st.content, st.finish, tc.content, tc.finish)
			}
			if got := int(st.usage["completion_tokens"].(float64)); got != tc.completion {
				t.Errorf("completion_tokens %d, want %d", got, tc.completion)
			}
			if got := st.usage["completion_tokens_details"].(map[string]any)["reasoning_tokens"].(float64); int(got) != tc.reasoningToks {
				t.Errorf("reasoning_tokens %v, want %d", got, tc.reasoningToks)
			}
			// The same budget without streaming gives the same answer.
			b.Stream, b.StreamOptions = false, nil
			resp2 := post(t, context.Background(), base, "/chat/completions", b, "mt")
			defer resp2.Body.Close()
			var c completion
			if err := json.NewDecoder(resp2.Body).Decode(&c); err != nil {
				t.Fatal(err)
			}
			if c.Choices[0].Message["content"] != tc.content || c.Choices[0].FinishReason != tc.finish {
				t.Errorf("non-streaming: %v %q", c.Choices[0].Message["content"], c.Choices[0].FinishReason)
			}
		})
	}
}

func TestRequestErrors(t *testing.T) {
	base := startServer(t, Profile{RejectStreamOptions: true, Accuracy: 1}, 1, fixtureLookup)
	ctx := context.Background()
	t.Run("stream_options is rejected with a 400 naming it when the profile says so", func(t *testing.T) {
		resp := post(t, ctx, base, "/chat/completions", streamBody(promptFor(&fixture[0])), "")
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("status %d", resp.StatusCode)
		}
		e := decodeError(t, resp)
		if !strings.Contains(e.Error.Message, "stream_options") || e.Error.Type != "invalid_request_error" || e.param() != "stream_options" {
			t.Errorf("error %+v", e)
		}
	})
	t.Run("the same request without stream_options succeeds", func(t *testing.T) {
		b := streamBody(promptFor(&fixture[0]))
		b.StreamOptions = nil
		resp := post(t, ctx, base, "/chat/completions", b, "")
		defer resp.Body.Close()
		events, err := readSSE(resp.Body)
		if st := decodeStream(t, events, err, "reasoning"); resp.StatusCode != 200 || !st.done || st.content != "1874" && st.content != "in 1874" {
			t.Errorf("status %d done %v content %q", resp.StatusCode, st.done, st.content)
		}
	})
	cases := []struct {
		name   string
		method string
		path   string
		body   string
		status int
		param  string // the error's param, "" for null
		code   string // the error's code, "" for null
	}{
		{"bad JSON is a 400", http.MethodPost, "/chat/completions", `{"messages": [`, 400, "", ""},
		{"content that is not a string is a 400", http.MethodPost, "/chat/completions", `{"model":"m","messages":[{"role":"user","content":7}]}`, 400, "", ""},
		{"no model is a 400", http.MethodPost, "/chat/completions", `{"messages":[{"role":"user","content":"hi"}]}`, 400, "", ""},
		{"no messages is a 400", http.MethodPost, "/chat/completions", `{"model":"m","messages":[]}`, 400, "messages", "empty_array"},
		{"an unknown role is a 400", http.MethodPost, "/chat/completions", `{"model":"m","messages":[{"role":"user","content":"hi"},{"role":"wizard","content":"hi"}]}`, 400, "messages[1].role", "invalid_value"},
		{"a message without a role is a 400", http.MethodPost, "/chat/completions", `{"model":"m","messages":[{"content":"hi"}]}`, 400, "messages[0].role", ""},
		{"temperature 7 is a 400", http.MethodPost, "/chat/completions", `{"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":7}`, 400, "temperature", "decimal_above_max_value"},
		{"a negative temperature is a 400", http.MethodPost, "/chat/completions", `{"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":-0.5}`, 400, "temperature", "decimal_below_min_value"},
		{"max_tokens 0 is a 400", http.MethodPost, "/chat/completions", `{"model":"m","messages":[{"role":"user","content":"hi"}],"max_tokens":0}`, 400, "max_tokens", "integer_below_min_value"},
		{"stream_options without stream is a 400", http.MethodPost, "/chat/completions", `{"model":"m","messages":[{"role":"user","content":"hi"}],"stream_options":{"include_usage":true}}`, 400, "stream_options", "invalid_value"},
		{"an unknown path is a 404", http.MethodPost, "/completions", `{}`, 404, "", ""},
		{"GET on chat completions is a 405", http.MethodGet, "/chat/completions", ``, 405, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, base+tc.path, strings.NewReader(tc.body))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tc.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.status)
			}
			e := decodeError(t, resp)
			if e.Error.Type != "invalid_request_error" || e.param() != tc.param || e.code() != tc.code {
				t.Errorf("type %q param %q code %q, want invalid_request_error %q %q", e.Error.Type, e.param(), e.code(), tc.param, tc.code)
			}
		})
	}
	t.Run("temperatures 0 and 2 are accepted", func(t *testing.T) {
		for _, temp := range []float64{0, 2} {
			resp := post(t, ctx, base, "/chat/completions", chatBody{Model: "m", Messages: promptFor(&fixture[0]), Temperature: &temp}, "")
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Errorf("temperature %g: status %d", temp, resp.StatusCode)
			}
		}
	})
}

func TestModelListRejectsOtherModels(t *testing.T) {
	base, shutdown, err := Start("127.0.0.1:0", New(Profile{Accuracy: 1}, 1, fixtureLookup, WithModels("gpt-oss-120b", "alpha")))
	if err != nil {
		t.Fatal(err)
	}
	defer shutdown(context.Background())
	resp := post(t, context.Background(), base, "/chat/completions", chatBody{Model: "gpt-9", Messages: promptFor(&fixture[0])}, "")
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown model: status %d, want 404", resp.StatusCode)
	}
	if e := decodeError(t, resp); e.code() != "model_not_found" || !strings.Contains(e.Error.Message, "gpt-9") {
		t.Errorf("error %+v", e)
	}
	resp = post(t, context.Background(), base, "/chat/completions", chatBody{Model: "alpha", Messages: promptFor(&fixture[0])}, "")
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("listed model: status %d", resp.StatusCode)
	}
	if got := strings.Join(listModels(t, base), ","); got != "gpt-oss-120b,alpha" {
		t.Errorf("GET /models lists %s, want the models given", got)
	}
}

func TestAuthAnswers401LikeTheAPI(t *testing.T) {
	h := New(Profile{}, 1, nil, WithAuth(func(tok string) bool { return tok == "sk-good" }))
	base, shutdown, err := Start("127.0.0.1:0", h)
	if err != nil {
		t.Fatal(err)
	}
	defer shutdown(context.Background())
	for _, tc := range []struct{ token, code string }{{"", ""}, {"sk-bad", "invalid_api_key"}} {
		req, _ := http.NewRequest(http.MethodGet, base+"/models", nil)
		if tc.token != "" {
			req.Header.Set("Authorization", "Bearer "+tc.token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("token %q: status %d", tc.token, resp.StatusCode)
		}
		if e := decodeError(t, resp); e.Error.Type != "invalid_request_error" || e.code() != tc.code {
			t.Errorf("token %q: %+v", tc.token, e)
		}
	}
	req, _ := http.NewRequest(http.MethodGet, base+"/models", nil)
	req.Header.Set("Authorization", "Bearer sk-good")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("good token: status %d", resp.StatusCode)
	}
}

func TestResponseIDsAreFreshAndRequestIDsAnswered(t *testing.T) {
	prof := Profile{Accuracy: 1}
	ids := map[string]bool{}
	for range 2 { // two servers with the same seed: two processes
		base := startServer(t, prof, 7, fixtureLookup)
		for _, stream := range []bool{false, false, true} {
			body := chatBody{Model: "m", Messages: promptFor(&fixture[0]), Stream: stream}
			resp := post(t, context.Background(), base, "/chat/completions", body, "")
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if rid := resp.Header.Get("X-Request-Id"); !strings.HasPrefix(rid, "req_") || len(rid) != 20 {
				t.Errorf("X-Request-Id %q, want a fresh req_ id", rid)
			}
			id := regexp.MustCompile(`"id":"(chatcmpl-[0-9a-f]{16})"`).FindSubmatch(raw)
			if id == nil {
				t.Fatalf("no id in %s", raw)
			}
			if ids[string(id[1])] {
				t.Errorf("id %s given twice for the same prompt", id[1])
			}
			ids[string(id[1])] = true
		}
		resp := post(t, context.Background(), base, "/chat/completions", chatBody{Model: "m", Messages: promptFor(&fixture[0])}, "mine-1")
		resp.Body.Close()
		if rid := resp.Header.Get("X-Request-Id"); rid != "mine-1" {
			t.Errorf("X-Request-Id %q, want the client's own echoed", rid)
		}
	}
}

// listModels returns the ids GET /models lists.
func listModels(t *testing.T, base string) []string {
	t.Helper()
	resp, err := http.Get(base + "/models")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var l struct {
		Object string `json:"object"`
		Data   []struct {
			ID     string `json:"id"`
			Object string `json:"object"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&l); err != nil || l.Object != "list" {
		t.Fatalf("decode: %v %+v", err, l)
	}
	var ids []string
	for _, d := range l.Data {
		ids = append(ids, d.ID)
	}
	return ids
}

func TestModelsListsModelsSeen(t *testing.T) {
	base := startServer(t, Profile{}, 1, nil)
	list := func() []string { return listModels(t, base) }
	if got := list(); len(got) != 1 || got[0] != DefaultModel {
		t.Errorf("before any request: %v", got)
	}
	for _, m := range []string{"zeta/model", "alpha"} {
		resp := post(t, context.Background(), base, "/chat/completions", chatBody{Model: m, Messages: promptFor(&fixture[0])}, "")
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	if got := strings.Join(list(), ","); got != "alpha,zeta/model" {
		t.Errorf("after requests: %s", got)
	}
}

// contentAt streams one request at a temperature and returns its content and reasoning.
func contentAt(t *testing.T, base string, msgs []config.Message, id string, temperature float64) string {
	t.Helper()
	body := streamBody(msgs)
	body.Temperature = &temperature
	resp := post(t, context.Background(), base, "/chat/completions", body, id)
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	events, err := readSSE(resp.Body)
	st := decodeStream(t, events, err, "reasoning")
	if st.err != nil || !st.done {
		t.Fatalf("stream err %v done %v", st.err, st.done)
	}
	return st.content + "\x00" + st.reasoning
}

func TestTemperatureZeroIsRepeatable(t *testing.T) {
	prof := Profile{ReasoningTokens: 4, Accuracy: 0.5, Style: "chatty"}
	base := startServer(t, prof, 42, fixtureLookup)
	t.Run("at temperature 0 the same prompt under different request ids gets the same content", func(t *testing.T) {
		for i := range fixture {
			msgs := promptFor(&fixture[i])
			want := contentAt(t, base, msgs, "p/m/t=0/r=0/"+fixture[i].ID, 0)
			for r := 1; r < 4; r++ {
				if got := contentAt(t, base, msgs, "p/m/t=0/r="+strconv.Itoa(r)+"/"+fixture[i].ID, 0); got != want {
					t.Errorf("%s repeat %d: %q, repeat 0: %q", fixture[i].ID, r, got, want)
				}
			}
		}
	})
	t.Run("at temperature 0.7 repeats of a prompt do not all agree", func(t *testing.T) {
		differs := 0
		for i := range fixture {
			msgs := promptFor(&fixture[i])
			a := contentAt(t, base, msgs, "p/m/t=0.7/r=0/"+fixture[i].ID, 0.7)
			b := contentAt(t, base, msgs, "p/m/t=0.7/r=1/"+fixture[i].ID, 0.7)
			if a != b {
				differs++
			}
		}
		if differs == 0 {
			t.Errorf("all %d prompts answered identically under two request ids at temperature 0.7", len(fixture))
		}
	})
	t.Run("at temperature 0 a different seed still changes the content", func(t *testing.T) {
		other := startServer(t, prof, 43, fixtureLookup)
		differs := 0
		for i := range fixture {
			msgs := promptFor(&fixture[i])
			if contentAt(t, base, msgs, "x", 0) != contentAt(t, other, msgs, "x", 0) {
				differs++
			}
		}
		if differs == 0 {
			t.Error("seeds 42 and 43 agree on every prompt at temperature 0")
		}
	})
}

// TestEveryTokenEventCarriesAToken guards the timing truth: the server counts
// each token-bearing event as one token (usage) and times the first one
// (time_to_first_token), so none may be empty or white space alone, which a
// client rightly does not count as a token. Across many request ids the
// reasoning starts at every sentence of the filler, and 60 reasoning tokens
// wrap around the filler's end.
func TestEveryTokenEventCarriesAToken(t *testing.T) {
	for _, usage := range []string{"vllm", "sambanova"} {
		t.Run("usage "+usage+" sends one visible token per event for every reasoning start", func(t *testing.T) {
			field := "reasoning"
			if usage == "sambanova" {
				field = "reasoning_content"
			}
			prof := Profile{ReasoningTokens: 60, Accuracy: 1, Usage: usage}
			base := startServer(t, prof, 3, fixtureLookup)
			starts := map[string]bool{}
			for i := range 40 {
				s := &fixture[i%len(fixture)]
				id := "tok-" + strconv.Itoa(i)
				resp := post(t, context.Background(), base, "/chat/completions", streamBody(promptFor(s)), id)
				events, err := readSSE(resp.Body)
				resp.Body.Close()
				st := decodeStream(t, events, err, field)
				if st.err != nil || !st.done {
					t.Fatalf("%s: stream ended with %v, [DONE] %v", id, st.err, st.done)
				}
				tokens := 0
				for j, c := range st.chunks {
					for _, ch := range c.Choices {
						for _, k := range []string{"content", field} {
							v := ch.Delta[k]
							if v == nil || j == 0 && k == "content" {
								continue // the role-only chunk's "content":"" is not a token
							}
							if strings.TrimSpace(*v) == "" {
								t.Errorf("%s: event %d has %s %q: empty or white space alone, not a word piece", id, j, k, *v)
								continue
							}
							if tokens == 0 {
								starts[*v] = true
							}
							tokens++
						}
					}
				}
				if got, want := st.usage["completion_tokens"], float64(tokens); got != want {
					t.Errorf("%s: usage completion_tokens %v, but %v token events", id, got, want)
				}
			}
			if len(starts) < 3 {
				t.Errorf("reasoning started with only %v over 40 requests: the test does not reach the filler's sentences", starts)
			}
		})
	}
}
