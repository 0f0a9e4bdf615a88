// Package score implements the score stage: SQuAD v1.1 and v2.0 exact match
// and F1 identical to the official evaluation scripts, dataset-level
// evaluation with the scripts' exact output, and the answer extraction steps
// that make chatty model output scorable.
//
// Normalize, ExactMatch, F1 and F1V2 are the official scripts'
// normalize_answer, compute_exact, f1_score and compute_f1 for one answer
// pair, kept exported as the package's scoring API: the scorer and
// EvaluateV1/V2 use a pooled Matcher, and the fuzz test and the comparisons
// with the official scripts' results call these.
//
// score imports pipeline and its core packages (results.Record,
// config.Sample, config.ScoreSpec) and helper packages
// only; it must not import another stage: aggregate imports score, not the
// reverse.
package score

import (
	"bytes"
	"unicode"
	"unicode/utf8"
)

// The official scripts normalize an answer with
//
//	def normalize_answer(s):
//	    def remove_articles(text): return re.sub(r'\b(a|an|the)\b', ' ', text)
//	    def white_space_fix(text): return ' '.join(text.split())
//	    def remove_punc(text):
//	        exclude = set(string.punctuation)
//	        return ''.join(ch for ch in text if ch not in exclude)
//	    def lower(text): return text.lower()
//	    return white_space_fix(remove_articles(remove_punc(lower(s))))
//
// and F1 splits the result again with str.split(). Every step is
// Unicode-aware in Python 3, so a naive Go port differs on non-ASCII text.
// The reasoning behind this implementation, step by step:
//
// lower: str.lower() is full Unicode lowercasing. Per code point it applies
// the simple lowercase mapping of UnicodeData.txt except where
// SpecialCasing.txt has an unconditional multi-rune lowering; the only such
// code point is U+0130 (LATIN CAPITAL LETTER I WITH DOT ABOVE), which lowers
// to "i" U+0307. The language-specific rules (Turkish, Lithuanian) are not
// applied. The one context rule Python applies is Final_Sigma: U+03A3 lowers
// to U+03C2 when it is preceded by a cased letter (skipping case-ignorable
// code points) and not followed by one (again skipping case-ignorable
// ones), otherwise to U+03C3. The context is the original string, before
// any other step (see handle_capital_sigma in CPython's unicodeobject.c).
//
// remove_punc: string.punctuation is exactly the 32 ASCII marks
// !"#$%&'()*+,-./:;<=>?@[\]^_`{|}~; Unicode punctuation (dashes, curly
// quotes, ...) is kept. Removing a mark joins its neighbours: "a.b" -> "ab".
//
// remove_articles: on str patterns Python's re is Unicode-aware: \b is a
// boundary between a word character and a non-word character (or the ends
// of the string), where a word character is one for which str.isalnum() is
// true, or '_' (which remove_punc already deleted). str.isalnum() is
// isalpha() (general category Lu, Ll, Lt, Lm, Lo) or isdecimal/isdigit/
// isnumeric (code points with a numeric value: category Nd, Nl, No; the CJK
// ideographs with numeric values are Lo already). So a word character is
// exactly unicode.IsLetter || unicode.IsNumber. Because "a", "an" and "the"
// consist of word characters and must be bounded by \b on both sides, a
// match is exactly a maximal run of word characters equal to one of them;
// it is replaced by a space, so it separates tokens. Note that a combining
// mark is NOT a word character: "e\u0301the" keeps "é" and loses "the",
// while the precomposed "éthe" is one word.
//
// white_space_fix and split: str.split() splits on str.isspace() code
// points: bidirectional class WS, B or S, or category Zs. That set is
// U+0009..U+000D, U+001C..U+001F, U+0020, U+0085, U+00A0, U+1680,
// U+2000..U+200A, U+2028, U+2029, U+202F, U+205F and U+3000 (U+180E and
// U+200B are not spaces since Unicode 6.3). The normalized string is the
// tokens joined by one space, so two normalized strings are equal exactly
// when their token lists are, and EM compares token lists.
//
// Unicode version: the tables used are Go's unicode package (Unicode 15.0.0
// for Go 1.21 and later, the same as Python 3.12). Python 3.11 uses Unicode
// 14.0.0; the two differ only on code points assigned in 15.0, which 3.11
// treats as unassigned (not word characters, no case). Tests compare with
// the local python3 on every code point both versions assign.
//
// Go strings may hold invalid UTF-8, which a Python str cannot; each invalid
// byte is treated as U+FFFD (neither word nor space), as Go's range loop and
// encoding/json do.

// ASCII classes for the fast path.
const (
	clsOther = iota // kept, not a word character (control characters)
	clsWord         // digits and lower-case letters
	clsUpper        // upper-case letters: lowered, then word characters
	clsPunct        // string.punctuation: removed
	clsSpace        // Python whitespace
)

var asciiClass = func() (t [utf8.RuneSelf]uint8) {
	for c := 0; c < utf8.RuneSelf; c++ {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			t[c] = clsWord
		case c >= 'A' && c <= 'Z':
			t[c] = clsUpper
		case c >= '\t' && c <= '\r', c >= 0x1c && c <= 0x20:
			t[c] = clsSpace
		case c > ' ' && c < 0x7f: // printable, not alphanumeric: punctuation
			t[c] = clsPunct
		default:
			t[c] = clsOther
		}
	}
	return t
}()

// isSpace reports whether Python's str.isspace() is true for r.
func isSpace(r rune) bool {
	if r < utf8.RuneSelf {
		return asciiClass[r] == clsSpace
	}
	switch {
	case r == 0x85, r == 0xa0, r == 0x1680,
		r >= 0x2000 && r <= 0x200a,
		r == 0x2028, r == 0x2029, r == 0x202f, r == 0x205f, r == 0x3000:
		return true
	}
	return false
}

// isWord reports whether r is a word character of Python's re on str
// patterns (str.isalnum() or '_').
func isWord(r rune) bool {
	if r < utf8.RuneSelf {
		c := asciiClass[r]
		return c == clsWord || c == clsUpper || r == '_'
	}
	return unicode.IsLetter(r) || unicode.IsNumber(r)
}

// isCased is Unicode's Cased property (DerivedCoreProperties.txt):
// Lowercase, Uppercase or Lt.
func isCased(r rune) bool {
	return unicode.IsLower(r) || unicode.IsUpper(r) || unicode.IsTitle(r) ||
		unicode.Is(unicode.Other_Lowercase, r) || unicode.Is(unicode.Other_Uppercase, r)
}

// isCaseIgnorable is Unicode's Case_Ignorable property: categories Mn, Me,
// Cf, Lm, Sk, or Word_Break MidLetter, MidNumLet or Single_Quote (listed by
// hand: Go has no Word_Break tables).
func isCaseIgnorable(r rune) bool {
	switch r {
	case '\'', // Single_Quote
		'.', 0x2018, 0x2019, 0x2024, 0xfe52, 0xff07, 0xff0e, // MidNumLet
		':', 0xb7, 0x387, 0x55f, 0x5f4, 0x2027, 0xfe13, 0xfe55, 0xff1a: // MidLetter
		return true
	}
	return unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf, unicode.Lm, unicode.Sk)
}

// finalSigma reports whether the U+03A3 at s[i:i+size] is in the
// Final_Sigma context, as CPython's handle_capital_sigma decides it.
func finalSigma(s string, i, size int) bool {
	j := i
	prevCased := false
	for j > 0 {
		r, n := utf8.DecodeLastRuneInString(s[:j])
		j -= n
		if !isCaseIgnorable(r) {
			prevCased = isCased(r)
			break
		}
	}
	if !prevCased {
		return false
	}
	for j = i + size; j < len(s); {
		r, n := utf8.DecodeRuneInString(s[j:])
		j += n
		if !isCaseIgnorable(r) {
			return !isCased(r)
		}
	}
	return true
}

// Tokens is a reusable normalized token list: the result of
// normalize_answer(s).split(). The zero value is an empty list ready for
// use. Normalize reuses the list's memory, so a Tokens that is reused does
// not allocate once it has grown to its working size. A Tokens is not safe
// for concurrent use.
type Tokens struct {
	buf  []byte // the tokens' bytes, back to back
	ends []int  // token i is buf[ends[i-1]:ends[i]]

	tokStart  int // start in buf of the token being built
	wordStart int // start in buf of the current word run, -1 outside one
}

// Len returns the number of tokens.
func (t *Tokens) Len() int { return len(t.ends) }

// Token returns token i (0 <= i < Len()). The slice aliases t's memory and
// is valid until the next Normalize.
func (t *Tokens) Token(i int) []byte {
	start := 0
	if i > 0 {
		start = t.ends[i-1]
	}
	return t.buf[start:t.ends[i]]
}

// Equal reports whether t and u hold the same token sequence, which is
// whether the two normalized strings are equal.
func (t *Tokens) Equal(u *Tokens) bool {
	if len(t.ends) != len(u.ends) {
		return false
	}
	for i, e := range t.ends {
		if u.ends[i] != e {
			return false
		}
	}
	return bytes.Equal(t.buf, u.buf)
}

// String returns the normalized string: the tokens joined by one space,
// exactly what normalize_answer returns. It allocates.
func (t *Tokens) String() string {
	b := make([]byte, 0, len(t.buf)+len(t.ends))
	for i := range t.ends {
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, t.Token(i)...)
	}
	return string(b)
}

// Normalize replaces t's contents with the tokens of normalize_answer(s).
func (t *Tokens) Normalize(s string) {
	t.buf, t.ends = t.buf[:0], t.ends[:0]
	t.tokStart, t.wordStart = 0, -1
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			i++
			switch asciiClass[c] {
			case clsWord:
				t.word(c)
			case clsUpper:
				t.word(c + ('a' - 'A'))
			case clsPunct:
				// removed before \b is evaluated: neighbours join.
			case clsSpace:
				t.endWord()
				t.endToken()
			default:
				t.endWord()
				t.buf = append(t.buf, c)
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch r {
		case 0x130: // İ -> i + COMBINING DOT ABOVE (SpecialCasing.txt)
			t.word('i')
			t.rune(0x307)
		case 0x3a3: // Σ
			if finalSigma(s, i, size) {
				t.rune(0x3c2)
			} else {
				t.rune(0x3c3)
			}
		default:
			t.rune(unicode.ToLower(r))
		}
		i += size
	}
	t.endWord()
	t.endToken()
}

// word appends an ASCII word byte.
func (t *Tokens) word(c byte) {
	if t.wordStart < 0 {
		t.wordStart = len(t.buf)
	}
	t.buf = append(t.buf, c)
}

// rune appends an already lowered non-punctuation rune.
func (t *Tokens) rune(r rune) {
	switch {
	case r < utf8.RuneSelf && asciiClass[r] == clsWord:
		// ASCII results of lowering non-ASCII runes (U+212A KELVIN SIGN -> k).
		t.word(byte(r))
		return
	case isSpace(r):
		t.endWord()
		t.endToken()
		return
	case isWord(r):
		if t.wordStart < 0 {
			t.wordStart = len(t.buf)
		}
	default:
		t.endWord()
	}
	t.buf = utf8.AppendRune(t.buf, r)
}

// endWord closes the current word run; an article becomes a separator.
func (t *Tokens) endWord() {
	if t.wordStart < 0 {
		return
	}
	w := t.buf[t.wordStart:]
	isArticle := false
	switch len(w) {
	case 1:
		isArticle = w[0] == 'a'
	case 2:
		isArticle = w[0] == 'a' && w[1] == 'n'
	case 3:
		isArticle = w[0] == 't' && w[1] == 'h' && w[2] == 'e'
	}
	if isArticle {
		t.buf = t.buf[:t.wordStart]
		t.endToken()
	}
	t.wordStart = -1
}

// endToken closes the current token if it is not empty.
func (t *Tokens) endToken() {
	if len(t.buf) > t.tokStart {
		t.ends = append(t.ends, len(t.buf))
		t.tokStart = len(t.buf)
	}
}

// Normalize returns normalize_answer(s) of the official SQuAD scripts. It
// allocates; hot paths use Tokens.Normalize. Safe for concurrent use.
func Normalize(s string) string {
	var t Tokens
	t.Normalize(s)
	return t.String()
}
