package tokenize

import (
	"strings"
	"unicode/utf8"
)

// hfBPE is a byte-level BPE tokenizer read from a tokenizer.json. It is
// read-only once built, hence safe for concurrent use.
type hfBPE struct {
	name         string
	vocab        map[string]int
	ranks        map[[2]string]int
	decode       map[int]string
	ignoreMerges bool
	// added are the added tokens, matched in the text as such; addedID
	// their ids.
	added   []string
	addedID []int
	// firstByte marks the first bytes of the added tokens.
	firstByte [256]bool
	norm      func(string) string
	split     splitter
}

func (t *hfBPE) Name() string { return t.name }

func (t *hfBPE) Count(s string) int { return len(t.Encode(s)) }

// Encode cuts out the added tokens, then normalizes,
// pre-tokenizes and byte-pair encodes the text between them.
func (t *hfBPE) Encode(s string) []int {
	var out []int
	for len(s) > 0 {
		at, which := t.nextAdded(s)
		if at > 0 {
			out = t.encodeText(out, s[:at])
		}
		if which < 0 {
			break
		}
		out = append(out, t.addedID[which])
		s = s[at+len(t.added[which]):]
	}
	return out
}

// nextAdded finds the first added token in s (the longest
// of those starting there): its byte offset and index, or len(s), -1.
// Only the offsets holding an added token's first byte are tried (Llama
// 3 has 256 added tokens, all starting with '<').
func (t *hfBPE) nextAdded(s string) (at, which int) {
	if len(t.added) == 0 {
		return len(s), -1
	}
	for j := 0; j < len(s); j++ {
		if !t.firstByte[s[j]] {
			continue
		}
		which = -1
		for i, a := range t.added {
			if strings.HasPrefix(s[j:], a) && (which < 0 || len(a) > len(t.added[which])) {
				which = i
			}
		}
		if which >= 0 {
			return j, which
		}
	}
	return len(s), -1
}

// encodeText appends the ids of s, which holds no added token.
func (t *hfBPE) encodeText(out []int, s string) []int {
	if t.norm != nil {
		s = t.norm(s)
	}
	pieces := []string{s}
	if t.split != nil {
		pieces = t.split(pieces)
	}
	var sb strings.Builder
	for _, p := range pieces {
		if p == "" {
			continue
		}
		sb.Reset()
		for i := 0; i < len(p); i++ {
			sb.WriteRune(byteRune[p[i]])
		}
		out = t.bpe(out, sb.String())
	}
	return out
}

// bpe appends the ids of one pre-token w, already byte-mapped: merges
// are applied lowest rank first, as the tokenizers library does; with
// ignore_merges a w that is in the vocabulary is one token.
func (t *hfBPE) bpe(out []int, w string) []int {
	if id, ok := t.vocab[w]; ok && (t.ignoreMerges || utf8.RuneCountInString(w) == 1) {
		return append(out, id)
	}
	syms := make([]string, 0, len(w))
	for _, r := range w {
		syms = append(syms, string(r))
	}
	for len(syms) > 1 {
		best, bestRank := -1, 0
		for i := 0; i+1 < len(syms); i++ {
			if r, ok := t.ranks[[2]string{syms[i], syms[i+1]}]; ok && (best < 0 || r < bestRank) {
				best, bestRank = i, r
			}
		}
		if best < 0 {
			break
		}
		a, b := syms[best], syms[best+1]
		merged := make([]string, 0, len(syms)-1)
		for i := 0; i < len(syms); i++ {
			if i+1 < len(syms) && syms[i] == a && syms[i+1] == b {
				merged = append(merged, a+b)
				i++
				continue
			}
			merged = append(merged, syms[i])
		}
		syms = merged
	}
	for _, s := range syms {
		if id, ok := t.vocab[s]; ok {
			out = append(out, id)
		}
	}
	return out
}

// Decode maps ids back to their byte-level strings and those to bytes;
// added tokens are their text.
func (t *hfBPE) Decode(ids []int) string {
	var b []byte
	for _, id := range ids {
		s, ok := t.decode[id]
		if !ok {
			continue
		}
		if _, isVocab := t.vocab[s]; !isVocab || t.vocab[s] != id {
			b = append(b, s...)
			continue
		}
		for _, r := range s {
			if c, ok := runeByte[r]; ok {
				b = append(b, c)
			} else {
				b = utf8.AppendRune(b, r)
			}
		}
	}
	return string(b)
}

// byteRune is GPT-2's bytes_to_unicode: each byte's stand-in rune, the
// byte itself for printable Latin-1 and 256+n for the others; runeByte
// is its inverse.
var byteRune, runeByte = func() ([256]rune, map[rune]byte) {
	var br [256]rune
	rb := map[rune]byte{}
	n := 0
	for b := 0; b < 256; b++ {
		printable := b >= '!' && b <= '~' || b >= 0xA1 && b <= 0xAC || b >= 0xAE && b <= 0xFF
		if printable {
			br[b] = rune(b)
		} else {
			br[b] = rune(256 + n)
			n++
		}
		rb[br[b]] = byte(b)
	}
	return br, rb
}()
