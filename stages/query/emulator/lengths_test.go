package emulator

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/inferbench/inferbench/pipeline/config"
)

// TestPrefillMakesTheFirstTokenWaitForEachPromptToken: the planned TTFT
// is ttft + prompt tokens x prefill_ms_per_token (no jitter here), so that
// a longer prompt's first token comes later, as on a real server.
func TestPrefillMakesTheFirstTokenWaitForEachPromptToken(t *testing.T) {
	prof := Profile{TTFT: config.Duration(20 * time.Millisecond), PrefillMsPerToken: 0.05}
	for _, tc := range []struct {
		prompt int
		want   time.Duration
	}{{0, 20 * time.Millisecond}, {128, 26400 * time.Microsecond}, {4096, 224800 * time.Microsecond}} {
		sc := newSchedule(7, &prof, tc.prompt)
		if got := sc.next(); got != tc.want {
			t.Errorf("prompt of %d tokens: first token at %v, want %v", tc.prompt, got, tc.want)
		}
	}
	if sc := newSchedule(7, &Profile{TTFT: prof.TTFT}, 4096); sc.next() != 20*time.Millisecond {
		t.Error("without prefill_ms_per_token the prompt's length costs nothing")
	}
}

// lengthBody is a request body with the output length keys vLLM accepts.
type lengthBody struct {
	chatBody
	MinTokens *int `json:"min_tokens,omitempty"`
	IgnoreEOS bool `json:"ignore_eos,omitempty"`
}

func intp(n int) *int { return &n }

// TestTheAnswerHasTheLengthAsked checks over real HTTP, streamed and not,
// that max_tokens cuts the answer (finish_reason length), that ignore_eos
// makes it exactly max_tokens long (finish_reason length) and that
// min_tokens makes it at least that long (finish_reason stop).
func TestTheAnswerHasTheLengthAsked(t *testing.T) {
	base := startServer(t, Profile{Accuracy: 1}, 1, nil)
	msgs := []config.Message{{Role: "user", Content: "Some synthetic prompt text without a question."}}
	for _, tc := range []struct {
		name       string
		max, min   int
		ignoreEOS  bool
		wantTokens int
		wantFinish string
	}{
		{"max_tokens cuts the answer", 3, 0, false, 3, "length"},
		{"ignore_eos makes the answer reach max_tokens", 128, 0, true, 128, "length"},
		{"min_tokens makes the answer at least that long", 256, 40, false, 40, "stop"},
		{"min_tokens equal to max_tokens is exact", 64, 64, false, 64, "length"},
	} {
		for _, streamed := range []bool{true, false} {
			b := lengthBody{chatBody: streamBody(msgs), IgnoreEOS: tc.ignoreEOS}
			b.MaxTokens, b.Stream = tc.max, streamed
			if !streamed {
				b.StreamOptions = nil
			}
			if tc.min > 0 {
				b.MinTokens = intp(tc.min)
			}
			resp := post(t, context.Background(), base, "/chat/completions", b, "")
			var tokens, events int
			var finish string
			if streamed {
				evs, err := readSSE(resp.Body)
				s := decodeStream(t, evs, err, "reasoning_content")
				if s.usage == nil {
					t.Fatalf("status %d: no usage in %q", resp.StatusCode, evs)
				}
				tokens, finish = int(s.usage["completion_tokens"].(float64)), s.finish
				for _, c := range s.chunks {
					if len(c.Choices) > 0 && c.Choices[0].Delta["content"] != nil && *c.Choices[0].Delta["content"] != "" {
						events++
					}
				}
			} else {
				var c completion
				if err := json.NewDecoder(resp.Body).Decode(&c); err != nil {
					t.Fatal(err)
				}
				content, _ := c.Choices[0].Message["content"].(string)
				tokens, finish, events = int(c.Usage["completion_tokens"].(float64)), c.Choices[0].FinishReason, countPieces(content)
			}
			resp.Body.Close()
			if tokens != tc.wantTokens || events != tc.wantTokens || finish != tc.wantFinish {
				t.Errorf("%s (streamed %v): %d tokens in %d events, finish %q; want %d, %q", tc.name, streamed, tokens, events, finish, tc.wantTokens, tc.wantFinish)
			}
		}
	}
}

func TestMinTokensAboveMaxTokensIsRefusedAsVLLMDoes(t *testing.T) {
	base := startServer(t, Profile{}, 1, nil)
	b := lengthBody{chatBody: streamBody([]config.Message{{Role: "user", Content: "x"}}), MinTokens: intp(50)}
	b.MaxTokens = 10
	resp := post(t, context.Background(), base, "/chat/completions", b, "")
	defer resp.Body.Close()
	e := decodeError(t, resp)
	if resp.StatusCode != http.StatusBadRequest || e.param() != "min_tokens" || !strings.Contains(e.Error.Message, "min_tokens=50 must be less than or equal to max_tokens=10") {
		t.Errorf("status %d, error %+v", resp.StatusCode, e.Error)
	}
}
