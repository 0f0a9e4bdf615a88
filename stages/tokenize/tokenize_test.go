package tokenize

import (
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"
)

// Token ids from OpenAI's tiktoken for these strings (o200k_base and
// cl100k_base); a reference-tokenizer comparison on a larger fixture set
// lives beside it.
func TestBuiltinEncodingsGiveTiktokensIds(t *testing.T) {
	cases := []struct {
		enc  string
		text string
		ids  []int
	}{
		{O200kBase, "hello world", []int{24912, 2375}},
		{O200kHarmony, "hello world", []int{24912, 2375}},
		{Cl100kBase, "hello world", []int{15339, 1917}},
	}
	for _, c := range cases {
		tk, err := Get(c.enc)
		if err != nil {
			t.Fatal(err)
		}
		got := tk.Encode(c.text)
		if len(got) != len(c.ids) {
			t.Fatalf("%s %q: ids %v, want %v", c.enc, c.text, got, c.ids)
		}
		for i := range got {
			if got[i] != c.ids[i] {
				t.Fatalf("%s %q: ids %v, want %v", c.enc, c.text, got, c.ids)
			}
		}
		if n := tk.Count(c.text); n != len(c.ids) {
			t.Errorf("%s: Count %d, want %d", c.enc, n, len(c.ids))
		}
		if s := tk.Decode(got); s != c.text {
			t.Errorf("%s: Decode gives %q, want %q", c.enc, s, c.text)
		}
	}
}

func TestUnknownTokenizerNamesTheBuiltIns(t *testing.T) {
	_, err := Get("o200k")
	if err == nil || err.Error() != `unknown tokenizer "o200k" (built in: cl100k_base, o200k_base, o200k_harmony)` {
		t.Fatalf("err = %v", err)
	}
}

func TestForModelInfersFromWellKnownNames(t *testing.T) {
	for model, want := range map[string]string{
		"gpt-oss-120b":       O200kHarmony,
		"openai/gpt-oss-20b": O200kHarmony,
		"GPT-4o-mini":        O200kBase,
		"gpt-4-turbo":        Cl100kBase,
		"Meta-Llama-3.1-8B":  "",
		"emulated-model":     "",
	} {
		if got := ForModel(model); got != want {
			t.Errorf("ForModel(%q) = %q, want %q", model, got, want)
		}
	}
}

func TestResolveTakesNamesAndPaths(t *testing.T) {
	for value, want := range map[string]string{
		"o200k_base":          O200kBase,
		"hf/llama3-like.json": "testdata/hf/llama3-like.json",
		"./hf/gpt2-like.json": "testdata/hf/gpt2-like.json",
		"":                    "",
		None:                  "",
	} {
		tk, err := Resolve(value, "testdata")
		if err != nil {
			t.Fatalf("%q: %v", value, err)
		}
		got := ""
		if tk != nil {
			got = tk.Name()
		}
		if got != want {
			t.Errorf("Resolve(%q) is %q, want %q", value, got, want)
		}
	}
	if _, err := Resolve("o200k", "testdata"); err == nil {
		t.Error("an unknown name resolved")
	}
	if !IsPath("tok.json") || !IsPath("models/llama") || IsPath("cl100k_base") {
		t.Error("IsPath")
	}
}

// BenchmarkCount counts 16 KB of English text (about 3,500 tokens) with
// o200k_base and with the self-made Llama-3-shaped tokenizer.json.
func BenchmarkCount(b *testing.B) {
	text := strings.Repeat("The quick brown fox jumps over the lazy dog near the river bank in 1969. ", 220)
	for _, name := range []string{O200kBase, "testdata/hf/llama3-like.json"} {
		b.Run(filepath.Base(name), func(b *testing.B) {
			tk, err := Resolve(name, "")
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(text)))
			b.ReportAllocs()
			for b.Loop() {
				tk.Count(text)
			}
		})
	}
}

// The query stage finds where each token ends in a streamed answer from
// the lengths of the tokens decoded one by one: they must be the tokens'
// bytes, partial UTF-8 included, adding up to the text (its normalized
// form for a normalizing tokenizer.json; one that adds a prefix space,
// like GPT-2's, adds up to one byte more, which the query stage scales
// away).
func TestDecodingEachTokenGivesItsBytes(t *testing.T) {
	texts := fixtureTexts(t)
	for _, name := range []string{O200kBase, Cl100kBase, "testdata/hf/llama3-like.json"} {
		tk, err := Resolve(name, "")
		if err != nil {
			t.Fatal(err)
		}
		for _, text := range texts {
			var b strings.Builder
			for _, id := range tk.Encode(text) {
				b.WriteString(tk.Decode([]int{id}))
			}
			if name == "testdata/hf/llama3-like.json" {
				text = norm.NFC.String(text)
			}
			if b.String() != text {
				t.Errorf("%s: tokens decoded one by one give %q, want %q", name, b.String(), text)
			}
		}
	}
}

// The built-in encodings say where their tokens end, and those ends are
// the running sums of the tokens' decoded lengths, ending at len(s).
func TestBuiltinTokenEndsAreTheDecodedTokensLengths(t *testing.T) {
	for _, name := range Builtin() {
		tk, err := Get(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range fixtureTexts(t) {
			ends := tk.(Ender).TokenEnds(s)
			ids := tk.Encode(s)
			if len(ends) != len(ids) {
				t.Fatalf("%s %q: %d ends for %d tokens", name, s, len(ends), len(ids))
			}
			end := 0
			for i, id := range ids {
				end += len(tk.Decode([]int{id}))
				if ends[i] != end {
					t.Fatalf("%s %q: token %d ends at %d, its decoded length says %d", name, s, i, ends[i], end)
				}
			}
			if len(ends) > 0 && ends[len(ends)-1] != len(s) {
				t.Errorf("%s %q: the last token ends at %d of %d bytes", name, s, ends[len(ends)-1], len(s))
			}
		}
	}
}
