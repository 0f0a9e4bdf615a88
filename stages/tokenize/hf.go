package tokenize

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/dlclark/regexp2/v2"
	"golang.org/x/text/unicode/norm"
)

// A Hugging Face tokenizer.json is read by this package's own reader of
// byte-level BPE models (Llama 3, Qwen 2/2.5/3, DeepSeek, GPT-2, Mistral's
// Tekken-converted files): model.type BPE with its vocab and merges
// ("a b" strings or [a, b] pairs) and ignore_merges; the pre-tokenizers
// Split (a regex or a string pattern, behaviour Isolated or Removed),
// ByteLevel (add_prefix_space, use_regex with GPT-2's pattern) and
// Sequence of them; the normalizers NFC, NFD, NFKC, NFKD and Sequence of
// them; added tokens. Split regexes are Oniguruma patterns with
// lookaheads (\s+(?!\S)), which Go's regexp cannot compile; they run on
// github.com/dlclark/regexp2, the engine tiktoken-go already uses.
// Anything else (WordPiece, Unigram, SentencePiece's Metaspace) is refused
// with an error naming the part.
//
// Added tokens, special or not (<|eot_id|>, Qwen's <think>), are matched
// in the text as one token each, as the tokenizers library does by default
// (and so a server that tokenizes the same text). No special tokens are
// added (no <|begin_of_text|>): a count is the text's, not a template's.

// gpt2Split is the pre-tokenizer pattern of ByteLevel with use_regex.
const gpt2Split = `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`

// hfFile is the part of a tokenizer.json the reader uses.
type hfFile struct {
	AddedTokens []struct {
		ID      int    `json:"id"`
		Content string `json:"content"`
		Special bool   `json:"special"`
	} `json:"added_tokens"`
	Normalizer   *hfPart `json:"normalizer"`
	PreTokenizer *hfPart `json:"pre_tokenizer"`
	Model        struct {
		Type         string          `json:"type"`
		Vocab        map[string]int  `json:"vocab"`
		Merges       json.RawMessage `json:"merges"`
		IgnoreMerges bool            `json:"ignore_merges"`
		ByteFallback bool            `json:"byte_fallback"`
	} `json:"model"`
}

// hfPart is a normalizer or pre-tokenizer object.
type hfPart struct {
	Type           string    `json:"type"`
	Normalizers    []*hfPart `json:"normalizers"`
	PreTokenizers  []*hfPart `json:"pretokenizers"`
	AddPrefixSpace bool      `json:"add_prefix_space"`
	UseRegex       *bool     `json:"use_regex"`
	Pattern        struct {
		Regex  *string `json:"Regex"`
		String *string `json:"String"`
	} `json:"pattern"`
	Behavior string `json:"behavior"`
	Invert   bool   `json:"invert"`
}

// Load reads the Hugging Face tokenizer.json at path (see above for what
// it supports). The tokenizer's Name is path as given. Loaded files are
// cached by absolute path; Load is safe for concurrent use.
func Load(path string) (Tokenizer, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	key := "file:" + abs
	mu.Lock()
	defer mu.Unlock()
	if t, ok := cache[key]; ok {
		return t, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	t, err := parseHF(path, b)
	if err != nil {
		return nil, fmt.Errorf("tokenizer %s: %w", path, err)
	}
	cache[key] = t
	return t, nil
}

// parseHF builds the tokenizer of a tokenizer.json's bytes.
func parseHF(name string, b []byte) (*hfBPE, error) {
	var f hfFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("not a tokenizer.json: %w", err)
	}
	if f.Model.Type != "BPE" && !(f.Model.Type == "" && f.Model.Vocab != nil) {
		return nil, fmt.Errorf("model.type %q: only byte-level BPE models are read", f.Model.Type)
	}
	if len(f.Model.Vocab) == 0 {
		return nil, errors.New("model.vocab is empty")
	}
	t := &hfBPE{name: name, vocab: f.Model.Vocab, ignoreMerges: f.Model.IgnoreMerges,
		ranks: map[[2]string]int{}, decode: map[int]string{}}
	if err := t.readMerges(f.Model.Merges); err != nil {
		return nil, err
	}
	for s, id := range t.vocab {
		t.decode[id] = s
	}
	for _, a := range f.AddedTokens {
		t.decode[a.ID] = a.Content
		if a.Content != "" {
			t.added = append(t.added, a.Content)
			t.addedID = append(t.addedID, a.ID)
			t.firstByte[a.Content[0]] = true
		}
	}
	var err error
	if t.norm, err = normalizerOf(f.Normalizer); err != nil {
		return nil, err
	}
	byteLevel := false
	if t.split, err = t.preTokenizerOf(f.PreTokenizer, &byteLevel); err != nil {
		return nil, err
	}
	if !byteLevel {
		return nil, errors.New("pre_tokenizer: no ByteLevel step; only byte-level BPE models are read")
	}
	return t, nil
}

// readMerges reads model.merges, either "a b" strings or [a, b] pairs.
func (t *hfBPE) readMerges(raw json.RawMessage) error {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var strs []string
	if err := json.Unmarshal(raw, &strs); err == nil {
		for i, m := range strs {
			a, b, ok := strings.Cut(m, " ")
			if !ok {
				return fmt.Errorf("model.merges[%d] %q: want two symbols separated by a space", i, m)
			}
			t.addMerge(a, b, i)
		}
		return nil
	}
	var pairs [][]string
	if err := json.Unmarshal(raw, &pairs); err != nil {
		return fmt.Errorf("model.merges: want strings or pairs: %w", err)
	}
	for i, p := range pairs {
		if len(p) != 2 {
			return fmt.Errorf("model.merges[%d]: want a pair, got %d symbols", i, len(p))
		}
		t.addMerge(p[0], p[1], i)
	}
	return nil
}

func (t *hfBPE) addMerge(a, b string, rank int) {
	if _, dup := t.ranks[[2]string{a, b}]; !dup {
		t.ranks[[2]string{a, b}] = rank
	}
}

// normalizerOf returns the normalizer step, nil for none.
func normalizerOf(p *hfPart) (func(string) string, error) {
	if p == nil {
		return nil, nil
	}
	switch p.Type {
	case "NFC":
		return norm.NFC.String, nil
	case "NFD":
		return norm.NFD.String, nil
	case "NFKC":
		return norm.NFKC.String, nil
	case "NFKD":
		return norm.NFKD.String, nil
	case "Sequence":
		var steps []func(string) string
		for _, q := range p.Normalizers {
			f, err := normalizerOf(q)
			if err != nil {
				return nil, err
			}
			if f != nil {
				steps = append(steps, f)
			}
		}
		return func(s string) string {
			for _, f := range steps {
				s = f(s)
			}
			return s
		}, nil
	}
	return nil, fmt.Errorf("normalizer %q is not supported (NFC, NFD, NFKC, NFKD, Sequence are)", p.Type)
}

// splitter cuts pieces of text into smaller pieces.
type splitter func(pieces []string) []string

// preTokenizerOf returns the pre-tokenizer's splitting (nil: none) and
// sets *byteLevel when a ByteLevel step is among its steps.
func (t *hfBPE) preTokenizerOf(p *hfPart, byteLevel *bool) (splitter, error) {
	if p == nil {
		return nil, nil
	}
	switch p.Type {
	case "Sequence":
		var steps []splitter
		for _, q := range p.PreTokenizers {
			s, err := t.preTokenizerOf(q, byteLevel)
			if err != nil {
				return nil, err
			}
			if s != nil {
				steps = append(steps, s)
			}
		}
		return func(pieces []string) []string {
			for _, s := range steps {
				pieces = s(pieces)
			}
			return pieces
		}, nil
	case "ByteLevel":
		*byteLevel = true
		var re splitter
		if p.UseRegex == nil || *p.UseRegex {
			var err error
			if re, err = regexSplitter(gpt2Split, "Isolated", false); err != nil {
				return nil, err
			}
		}
		if !p.AddPrefixSpace {
			return re, nil
		}
		return func(pieces []string) []string {
			for i, s := range pieces {
				if !strings.HasPrefix(s, " ") {
					pieces[i] = " " + s
				}
			}
			if re != nil {
				pieces = re(pieces)
			}
			return pieces
		}, nil
	case "Split":
		switch {
		case p.Pattern.Regex != nil:
			return regexSplitter(*p.Pattern.Regex, p.Behavior, p.Invert)
		case p.Pattern.String != nil:
			return regexSplitter(regexp2.Escape(*p.Pattern.String), p.Behavior, p.Invert)
		}
		return nil, errors.New("pre_tokenizer Split: no pattern")
	}
	return nil, fmt.Errorf("pre_tokenizer %q is not supported (Split, ByteLevel, Sequence are)", p.Type)
}

// regexSplitter splits each piece at the matches of pattern: with
// behaviour Isolated every match and every text between matches is a
// piece; with Removed only the text between matches is. invert swaps
// the roles of matches and the text between them.
func regexSplitter(pattern, behavior string, invert bool) (splitter, error) {
	if behavior != "Isolated" && behavior != "Removed" {
		return nil, fmt.Errorf("pre_tokenizer Split behavior %q is not supported (Isolated, Removed are)", behavior)
	}
	re, err := regexp2.Compile(pattern, regexp2.None)
	if err != nil {
		return nil, fmt.Errorf("pre_tokenizer Split pattern %q: %w", pattern, err)
	}
	keepMatch, keepGap := true, behavior == "Isolated"
	if invert {
		keepMatch, keepGap = keepGap, keepMatch
	}
	return func(pieces []string) []string {
		out := make([]string, 0, len(pieces)*2)
		for _, s := range pieces {
			idx, err := re.FindAllStringIndex(s, -1)
			if err != nil {
				out = append(out, s) // only a match timeout errs, and none is set
				continue
			}
			last := 0
			for _, m := range idx {
				if m[0] > last && keepGap {
					out = append(out, s[last:m[0]])
				}
				if m[1] > m[0] && keepMatch {
					out = append(out, s[m[0]:m[1]])
				}
				last = m[1]
			}
			if last < len(s) && keepGap {
				out = append(out, s[last:])
			}
		}
		return out
	}, nil
}
