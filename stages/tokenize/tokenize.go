// Package tokenize counts, encodes and decodes text with a model's
// tokenizer, so that token counts are exact where a server sends no usage
// and synthetic prompts have the input length asked for.
//
// Built in, with their vocabularies embedded (they work offline):
// o200k_base, o200k_harmony (GPT-OSS: o200k_base with the harmony chat
// format's special tokens, which ordinary text never produces) and
// cl100k_base, all from github.com/tiktoken-go/tokenizer. Text is encoded
// as tiktoken's encode_ordinary does: special-token text in the input is
// ordinary text. A Hugging Face tokenizer.json is read from a path (see
// Load). It imports no other inferbench package: the load and query
// stages and the emulator use it.
package tokenize

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	tiktoken "github.com/tiktoken-go/tokenizer"
)

// Tokenizer turns text into token ids and back. Implementations are safe
// for concurrent use.
type Tokenizer interface {
	// Name is the name the experiment file uses for it.
	Name() string
	// Count is the number of tokens of s.
	Count(s string) int
	// Encode returns the token ids of s.
	Encode(s string) []int
	// Decode returns the text of ids; ids it does not know are skipped.
	Decode(ids []int) string
}

// Ender is a Tokenizer that also says where each token of s ends: the
// byte offset in s after its last byte. The built-in encodings are
// Enders: their tokens are s's bytes cut in order.
type Ender interface {
	TokenEnds(s string) []int
}

// The built-in encodings, by the name the experiment file uses.
const (
	O200kBase    = "o200k_base"
	O200kHarmony = "o200k_harmony"
	Cl100kBase   = "cl100k_base"
)

var builtin = map[string]tiktoken.Encoding{
	O200kBase:    tiktoken.O200kBase,
	O200kHarmony: tiktoken.O200kBase,
	Cl100kBase:   tiktoken.Cl100kBase,
}

// Builtin lists the built-in tokenizer names, sorted.
func Builtin() []string {
	names := make([]string, 0, len(builtin))
	for n := range builtin {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

var (
	mu    sync.Mutex
	cache = map[string]Tokenizer{}
)

// Get returns the built-in tokenizer of that name, loading its vocabulary
// on first use (about 0.1 s for o200k).
func Get(name string) (Tokenizer, error) {
	enc, ok := builtin[name]
	if !ok {
		return nil, fmt.Errorf("unknown tokenizer %q (built in: %s)", name, strings.Join(Builtin(), ", "))
	}
	mu.Lock()
	defer mu.Unlock()
	if t, ok := cache[name]; ok {
		return t, nil
	}
	c, err := tiktoken.Get(enc)
	if err != nil {
		return nil, fmt.Errorf("tokenizer %s: %w", name, err)
	}
	t := &bpe{name: name, codec: c}
	cache[name] = t
	return t, nil
}

// bpe is a tiktoken byte-pair encoding.
type bpe struct {
	name  string
	codec tiktoken.Codec
}

func (b *bpe) Name() string { return b.name }

func (b *bpe) Count(s string) int {
	n, err := b.codec.Count(s)
	if err != nil {
		// Only invalid UTF-8 in strict mode errors, and the codec's
		// default mode is lenient; count what encodes.
		return len(b.Encode(s))
	}
	return n
}

func (b *bpe) Encode(s string) []int {
	ids, _, _ := b.codec.Encode(s)
	out := make([]int, len(ids))
	for i, id := range ids {
		out[i] = int(id)
	}
	return out
}

// TokenEnds implements Ender from the pieces the codec cuts s into.
func (b *bpe) TokenEnds(s string) []int {
	_, pieces, _ := b.codec.Encode(s)
	ends := make([]int, len(pieces))
	end := 0
	for i, p := range pieces {
		end += len(p)
		ends[i] = end
	}
	return ends
}

func (b *bpe) Decode(ids []int) string {
	var sb strings.Builder
	one := make([]uint, 1)
	for _, id := range ids {
		if id < 0 {
			continue
		}
		one[0] = uint(id)
		s, err := b.codec.Decode(one)
		if err != nil {
			continue
		}
		sb.WriteString(s)
	}
	return sb.String()
}

// ForModel is the built-in tokenizer a well-known model name implies, or ""
// when the name implies none (then the experiment names one with
// tokenizer:). The model's last path element is matched, case-insensitively,
// so "openai/gpt-oss-120b" and "gpt-oss-120b" are the same.
func ForModel(model string) string {
	m := strings.ToLower(model)
	if i := strings.LastIndex(m, "/"); i >= 0 {
		m = m[i+1:]
	}
	switch {
	case strings.HasPrefix(m, "gpt-oss"):
		return O200kHarmony
	case strings.HasPrefix(m, "gpt-4o"), strings.HasPrefix(m, "gpt-4.1"), strings.HasPrefix(m, "gpt-4.5"),
		strings.HasPrefix(m, "gpt-5"), strings.HasPrefix(m, "chatgpt-4o"),
		strings.HasPrefix(m, "o1"), strings.HasPrefix(m, "o3"), strings.HasPrefix(m, "o4"):
		return O200kBase
	case strings.HasPrefix(m, "gpt-4"), strings.HasPrefix(m, "gpt-3.5"), strings.HasPrefix(m, "gpt-35"):
		return Cl100kBase
	}
	return ""
}

// None is the tokenizer value that says a model has none, even when its
// name implies one: its tokens are not counted.
const None = "none"

// IsPath reports whether a tokenizer value names a Hugging Face
// tokenizer.json file rather than a built-in: it ends in ".json" or holds
// a '/' (or the OS's path separator).
func IsPath(value string) bool {
	return strings.HasSuffix(value, ".json") || strings.ContainsRune(value, '/') || strings.ContainsRune(value, filepath.Separator)
}

// Resolve returns the tokenizer a value names: a built-in by name, or the
// tokenizer.json at a path (IsPath), a relative one taken from baseDir.
// It is nil, nil for "" and None.
func Resolve(value, baseDir string) (Tokenizer, error) {
	switch {
	case value == "" || value == None:
		return nil, nil
	case IsPath(value):
		p := value
		if !filepath.IsAbs(p) && baseDir != "" {
			p = filepath.Join(baseDir, p)
		}
		return Load(p)
	}
	return Get(value)
}
