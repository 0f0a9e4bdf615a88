package emulator

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/stages/tokenize"
)

func TestWrongSpanIsNeverGold(t *testing.T) {
	cases := []struct {
		name string
		ctx  string
		gold []string
		want string // "" = any non-gold span of ctx
	}{
		{"a context that is only the gold answer gives the fixed answer", "Paris.", []string{"Paris"}, FixedAnswer},
		{"an empty context gives the fixed answer", "  ", nil, FixedAnswer},
		{"spans equal to gold after normalization are skipped", "The Paris, Paris! the Paris", []string{"paris"}, ""},
		{"spans of a long context avoid every gold answer", "Copper wire carries the signal from the antenna to the receiver.", []string{"Copper wire", "the signal", "antenna"}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for k := range uint64(300) {
				got := wrongSpan(mix(k), tc.ctx, tc.gold)
				if tc.want != "" {
					if got != tc.want {
						t.Fatalf("key %d: %q, want %q", k, got, tc.want)
					}
					continue
				}
				if got != FixedAnswer && (exactMatch(got, tc.gold) || !strings.Contains(tc.ctx, got)) {
					t.Fatalf("key %d: %q is gold or not a span", k, got)
				}
			}
		})
	}
}

func TestPiecesRoundTrip(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want []string
	}{
		{"words keep their leading space", "The answer is", []string{"The", " answer", " is"}},
		{"markdown and punctuation are single pieces", "**Denver Broncos**.", []string{"*", "*", "Denver", " Broncos", "*", "*", "."}},
		{"non-ASCII letters belong to words", "Zürich’s café", []string{"Zürich", "’", "s", " café"}},
		{"new lines lead the next piece", "a\n\nb", []string{"a", "\n\nb"}},
		{"trailing space is a piece of its own", "x ", []string{"x", " "}},
		{"the empty string has no pieces", "", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := pieces(tc.in)
			if strings.Join(got, "|") != strings.Join(tc.want, "|") || len(got) != len(tc.want) {
				t.Errorf("pieces(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if strings.Join(got, "") != tc.in || countPieces(tc.in) != len(got) {
				t.Errorf("pieces do not concatenate back or count differs")
			}
		})
	}
}

func TestAppendJSONStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "plain", `q"uote\back`, "tab\tnl\ncr\r", "\x00\x01\x1f", "naïve ünïcode ✓", "bad \xff utf8", "line\u2028sep\u2029", "<html>&"} {
		var back string
		b := appendJSONString(nil, s)
		if err := json.Unmarshal(b, &back); err != nil {
			t.Errorf("%q -> %s: %v", s, b, err)
			continue
		}
		var want string
		std, _ := json.Marshal(s)
		_ = json.Unmarshal(std, &want)
		if back != want {
			t.Errorf("%q round-trips to %q", s, back)
		}
	}
}

func FuzzAppendJSONString(f *testing.F) {
	f.Add("hello \"world\"\n")
	f.Add("\xff\xfe")
	f.Fuzz(func(t *testing.T, s string) {
		var back string
		if err := json.Unmarshal(appendJSONString(nil, s), &back); err != nil {
			t.Fatal(err)
		}
		var want string
		std, _ := json.Marshal(s)
		_ = json.Unmarshal(std, &want)
		if back != want {
			t.Fatalf("%q round-trips to %q", s, back)
		}
	})
}

// The emulator reports prompt tokens as a server would: the o200k_base
// tokens of the messages' text plus its chat template's 4 per message, so
// a client counting the text with o200k_base differs by the template only.
func TestPromptTokensAreO200kTokensPlusTheTemplate(t *testing.T) {
	msgs := []config.Message{{Role: "system", Content: "Be brief."}, {Role: "user", Content: "one two three\nfour  five six"}}
	// o200k_base (tiktoken): "Be"," brief","." and "one"," two"," three","\n","four"," "," five"," six".
	if got := PromptTokens(msgs); got != 3+8+8 {
		t.Errorf("PromptTokens = %d, want 19", got)
	}
	long := strings.Repeat("Tokenization of unusual words like antidisestablishmentarianism differs. ", 40)
	o200k, err := tokenize.Get(tokenize.O200kBase)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := PromptTokens([]config.Message{{Role: "user", Content: long}}), o200k.Count(long)+4; got != want {
		t.Errorf("PromptTokens = %d, want o200k's %d", got, want)
	}
}

func TestProfiles(t *testing.T) {
	p := Profiles()
	m, s := p["metis-like"], p["sophia-like"]
	if m.TTFT.D() != 250*time.Millisecond || m.TokensPerSecond != 420 || m.Usage != "sambanova" || m.Accuracy != 0.86 || m.Style != "chatty" || m.ReasoningTokens != 40 {
		t.Errorf("metis-like = %+v", m)
	}
	if s.TTFT.D() != 600*time.Millisecond || s.TokensPerSecond != 150 || s.Usage != "vllm" || s.Accuracy != 0.84 || s.Style != "chatty" || s.ReasoningTokens != 40 {
		t.Errorf("sophia-like = %+v", s)
	}
	p["metis-like"] = Profile{}
	if Profiles()["metis-like"].TokensPerSecond != 420 {
		t.Error("Profiles returned a shared map")
	}
}

func TestStartReportsLoopbackBaseURL(t *testing.T) {
	base, shutdown, err := Start("127.0.0.1:0", New(Profile{}, 1, nil))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(base, "http://127.0.0.1:") || !strings.HasSuffix(base, "/v1") || strings.HasSuffix(base, ":0/v1") {
		t.Errorf("base URL %q", base)
	}
	if err := shutdown(t.Context()); err != nil {
		t.Errorf("shutdown: %v", err)
	}
	if _, _, err := Start("256.0.0.1:0", nil); err == nil || !strings.Contains(err.Error(), "emulator: listen") {
		t.Errorf("bad address gave %v", err)
	}
}
