package tokenize

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"
)

// The self-made tokenizer.json fixtures (testdata/hf/make_fixtures.py).
var (
	llama3Like = filepath.Join("testdata", "hf", "llama3-like.json")
	gpt2Like   = filepath.Join("testdata", "hf", "gpt2-like.json")
)

// fixturesFile holds the fixture texts both reference tests encode.
var fixturesFile = filepath.Join("testdata", "tokenize_fixtures.json")

func fixtureTexts(t *testing.T) []string {
	t.Helper()
	var texts []string
	b, err := os.ReadFile(fixturesFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &texts); err != nil {
		t.Fatal(err)
	}
	return texts
}

// TestHFTokenizerJSONEqualsTokenizersJS encodes the fixture texts with
// both self-made tokenizer.json files and with Hugging Face's own
// tokenizers.js, and requires the same ids. It skips like
// TestCountsEqualJsTiktoken (same package folder, same
// INFERBENCH_REQUIRE_JS_TIKTOKEN).
func TestHFTokenizerJSONEqualsTokenizersJS(t *testing.T) {
	texts := fixtureTexts(t)
	var args []string
	for _, f := range []string{fixturesFile, llama3Like, gpt2Like} {
		abs, err := filepath.Abs(f)
		if err != nil {
			t.Fatal(err)
		}
		args = append(args, abs)
	}
	want := runReference(t, filepath.Join("@huggingface", "tokenizers"), "reference_hf.mjs", args...)
	for i, f := range []string{llama3Like, gpt2Like} {
		tk, err := Load(f)
		if err != nil {
			t.Fatal(err)
		}
		ref := want[args[i+1]]
		if len(ref) != len(texts) {
			t.Fatalf("%s: reference gave %d encodings for %d texts", f, len(ref), len(texts))
		}
		total := 0
		for j, text := range texts {
			total += len(ref[j])
			if got := tk.Encode(text); !slices.Equal(got, ref[j]) {
				t.Errorf("%s text %d %q:\n got %v\nwant %v", f, j, text, got, ref[j])
			}
		}
		t.Logf("%s: %d texts, %d tokens, equal to tokenizers.js", f, len(texts), total)
	}
}

func TestHFTokenizerRoundTripsText(t *testing.T) {
	tk, err := Load(llama3Like)
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range fixtureTexts(t) {
		if got := tk.Decode(tk.Encode(text)); got != norm.NFC.String(text) {
			t.Errorf("Decode(Encode(%q)) = %q", text, got)
		}
	}
}

func TestHFTokenizerFeatures(t *testing.T) {
	llama, err := Load(llama3Like)
	if err != nil {
		t.Fatal(err)
	}
	gpt2, err := Load(gpt2Like)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("with ignore_merges a word in the vocabulary is one token", func(t *testing.T) {
		if ids := llama.Encode(" hippopotamus"); len(ids) != 1 {
			t.Errorf("llama3-like: %v", ids)
		}
		if ids := gpt2.Encode(" hippopotamus"); len(ids) < 2 {
			t.Errorf("gpt2-like (no such word, no ignore_merges): %v", ids)
		}
	})
	t.Run("an added token is one token, special or not", func(t *testing.T) {
		if got := llama.Encode("a<think>b<|eot_id|>"); !slices.Equal(got, []int{97, 448, 98, 447}) {
			t.Errorf("got %v, want [97 448 98 447]", got)
		}
		if got := llama.Decode([]int{97, 448, 98, 447}); got != "a<think>b<|eot_id|>" {
			t.Errorf("Decode gives %q", got)
		}
	})
	t.Run("add_prefix_space prefixes a space", func(t *testing.T) {
		if !slices.Equal(gpt2.Encode("world"), gpt2.Encode(" world")) {
			t.Errorf("gpt2-like: %v vs %v", gpt2.Encode("world"), gpt2.Encode(" world"))
		}
	})
	t.Run("merges written as pairs read like strings", func(t *testing.T) {
		if ids := gpt2.Encode(" the"); len(ids) != 1 {
			t.Errorf("gpt2-like ' the': %v", ids)
		}
	})
	t.Run("the name is the path", func(t *testing.T) {
		if llama.Name() != llama3Like {
			t.Errorf("Name %q", llama.Name())
		}
	})
}

func TestHFTokenizerRefusesWhatItCannotRead(t *testing.T) {
	dir := t.TempDir()
	cases := []struct{ name, json, want string }{
		{"wordpiece", `{"model": {"type": "WordPiece", "vocab": {"a": 0}}}`, `model.type "WordPiece": only byte-level BPE models are read`},
		{"metaspace", `{"pre_tokenizer": {"type": "Metaspace"}, "model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}}`, `pre_tokenizer "Metaspace" is not supported`},
		{"no byte level", `{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}}`, "no ByteLevel step"},
		{"bad merge", `{"pre_tokenizer": {"type": "ByteLevel"}, "model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["ab"]}}`, `model.merges[0] "ab"`},
		{"bad regex", `{"pre_tokenizer": {"type": "Split", "pattern": {"Regex": "("}, "behavior": "Isolated"}, "model": {"type": "BPE", "vocab": {"a": 0}}}`, `Split pattern "("`},
		{"not json", `{`, "not a tokenizer.json"},
	}
	for _, c := range cases {
		p := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "-")+".json")
		if err := os.WriteFile(p, []byte(c.json), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Load(p)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: err = %v, want one naming %s and containing %q", c.name, err, p, c.want)
		}
	}
	if _, err := Load(filepath.Join(dir, "missing.json")); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("missing file: err = %v", err)
	}
}

func TestTheLongestAddedTokenAtAnOffsetWins(t *testing.T) {
	p := filepath.Join(t.TempDir(), "added.json")
	os.WriteFile(p, []byte(`{"added_tokens": [{"id": 100, "content": "<a>"}, {"id": 101, "content": "<a>b"}],
		"pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "use_regex": false},
		"model": {"type": "BPE", "vocab": {"x": 0, "y": 1, "<": 2, "a": 3, ">": 4, "b": 5}, "merges": []}}`), 0o644)
	tk, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if got := tk.Encode("x<a>by<a>"); !slices.Equal(got, []int{0, 101, 1, 100}) {
		t.Errorf("got %v, want [0 101 1 100]", got)
	}
	if got := tk.Encode("x<ay"); !slices.Equal(got, []int{0, 2, 3, 1}) {
		t.Errorf("got %v, want [0 2 3 1]", got)
	}
}
