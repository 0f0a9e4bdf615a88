package emulator

import (
	"context"
	"strings"
	"testing"

	"github.com/inferbench/inferbench/stages/tokenize"
)

// tokenEvents returns the texts of a stream's token events and their
// field (reasoning or content), the role chunk left out.
func tokenEvents(st stream, field string) (texts, fields []string) {
	for j, c := range st.chunks {
		for _, ch := range c.Choices {
			for _, k := range []string{field, "content"} {
				if v := ch.Delta[k]; v != nil && !(j == 0 && k == "content") {
					texts, fields = append(texts, *v), append(fields, k)
				}
			}
		}
	}
	return texts, fields
}

func TestTokensPerChunkStreamsSeveralTokensPerEvent(t *testing.T) {
	s := &fixture[2]
	get := func(perChunk int) stream {
		base := startServer(t, Profile{ReasoningTokens: 10, Accuracy: 1, TokensPerChunk: perChunk}, 5, fixtureLookup)
		resp := post(t, context.Background(), base, "/chat/completions", streamBody(promptFor(s)), "chunk-1")
		defer resp.Body.Close()
		events, err := readSSE(resp.Body)
		st := decodeStream(t, events, err, "reasoning")
		if st.err != nil || !st.done {
			t.Fatalf("stream ended with %v, [DONE] %v", st.err, st.done)
		}
		return st
	}
	one, three := get(1), get(3)
	if one.content != three.content || one.reasoning != three.reasoning {
		t.Fatalf("the text changed with tokens_per_chunk: %q/%q vs %q/%q", one.reasoning, one.content, three.reasoning, three.content)
	}
	if one.usage["completion_tokens"] != three.usage["completion_tokens"] {
		t.Errorf("usage changed: %v vs %v", one.usage["completion_tokens"], three.usage["completion_tokens"])
	}
	texts, fields := tokenEvents(three, "reasoning")
	contentN := countPieces(three.content)
	want := (10+2)/3 + (contentN+2)/3
	if len(texts) != want {
		t.Errorf("%d token events for 10 reasoning and %d content tokens, want %d: %q", len(texts), contentN, want, texts)
	}
	for i, tx := range texts {
		last := i == len(texts)-1 || fields[i+1] != fields[i]
		if n := countPieces(tx); n != 3 && !(last && n < 3) {
			t.Errorf("event %d (%s) %q carries %d tokens", i, fields[i], tx, n)
		}
	}
	if got := three.usage["completion_tokens"].(float64); int(got) != 10+contentN {
		t.Errorf("completion_tokens %v, want %d", got, 10+contentN)
	}
}

// The emulator's token is a word piece (see nextPiece): its usage counts
// what it sends in pieces, which agree with o200k_base exactly on the
// reasoning filler and within 10% on answer text.
func TestTheEmulatorsTokensAgreeWithO200k(t *testing.T) {
	tk, err := tokenize.Get(tokenize.O200kBase)
	if err != nil {
		t.Fatal(err)
	}
	f := strings.TrimSpace(reasoningFiller)
	if p, o := countPieces(f), tk.Count(f); p != o {
		t.Errorf("filler: %d pieces, %d o200k tokens", p, o)
	}
	p, o := 0, 0
	for i := range fixture {
		p += countPieces(fixture[i].Context)
		o += tk.Count(fixture[i].Context)
	}
	if d := float64(p-o) / float64(o); d < -0.1 || d > 0.1 {
		t.Errorf("contexts: %d pieces, %d o200k tokens (%+.1f%%)", p, o, 100*d)
	}
}
