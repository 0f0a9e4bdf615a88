package score

import (
	"strings"
	"testing"
	"unicode"
)

func TestNormalizeHandCheckedCases(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"lower-cases, drops punctuation and articles", "The Denver Broncos.", "denver broncos"},
		{"removes every article as a whole word", "A an THE then anthem", "then anthem"},
		{"joins words that ASCII punctuation separated", "the-end of the_thing", "theend of thething"},
		{"keeps digits and drops their separators", "1,000 B.C.", "1000 bc"},
		{"keeps a precomposed accented letter in the word", "éthe", "éthe"},
		{"removes 'the' after a combining accent, which is not a word character", "e\u0301the", "e\u0301"},
		{"keeps 'the' after a non-ASCII letter", "Übthe ßthe", "übthe ßthe"},
		{"lowers U+0130 to i and a combining dot, which bounds a following 'the'", "İthe İSTANBUL", "i\u0307 i\u0307stanbul"},
		{"lowers a final capital sigma to final sigma", "ΟΔΟΣ", "οδος"},
		{"sees the end of the word through case-ignorable punctuation", "ΟΔΟΣ.", "οδος"},
		{"keeps medial sigma when a cased letter follows an apostrophe", "ΑΣ'Β", "ασβ"},
		{"uses plain sigma without a cased letter before it", "ΣΑ 1Σ", "σα 1σ"},
		{"treats U+0085 and U+001C..U+001F as spaces", "x\u0085y\u001cz\u001fw", "x y z w"},
		{"treats no-break and ideographic spaces as spaces", "x\u00a0y\u3000z", "x y z"},
		{"does not treat zero width space or U+180E as a space", "x\u200by\u180ez", "x\u200by\u180ez"},
		{"keeps Unicode punctuation, which bounds articles", "a—the end “Paris”", "— end “paris”"},
		{"counts numerals of every kind as word characters", "ⅻthe ²the ٣the", "ⅻthe ²the ٣the"},
		{"lowers the Kelvin sign to ASCII k", "\u212aTHE", "kthe"},
		{"lowers capital sharp s", "STRAẞE", "straße"},
		{"collapses runs of mixed white space", " \t a\n\nb  \r\n", "b"},
		{"maps invalid UTF-8 to a kept replacement character", "x\xffthe", "x\ufffd"},
		{"returns the empty string for punctuation only", "?!...", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Normalize(c.in); got != c.want {
				t.Errorf("Normalize(%+q) = %+q, want %+q", c.in, got, c.want)
			}
			if ref := refNormalize(c.in); strings.ToValidUTF8(ref, "\uFFFD") != strings.ToValidUTF8(c.want, "\uFFFD") {
				t.Errorf("reference(%+q) = %+q, want %+q", c.in, ref, c.want)
			}
		})
	}
}

// refNormalize is an independent, deliberately literal transcription of
// normalize_answer: each Python step on a []rune, in Python's order, with
// the regex emulated by trying the alternatives at every position.
func refNormalize(s string) string {
	in := []rune(s) // invalid bytes become U+FFFD, as in the fast path
	// lower
	var low []rune
	for i, r := range in {
		switch {
		case r == 'İ':
			low = append(low, 'i', 0x307)
		case r == 'Σ':
			j := i - 1
			for j >= 0 && isCaseIgnorable(in[j]) {
				j--
			}
			final := j >= 0 && isCased(in[j])
			if final {
				k := i + 1
				for k < len(in) && isCaseIgnorable(in[k]) {
					k++
				}
				final = k == len(in) || !isCased(in[k])
			}
			if final {
				low = append(low, 'ς')
			} else {
				low = append(low, 'σ')
			}
		default:
			low = append(low, unicode.ToLower(r))
		}
	}
	// remove_punc
	var np []rune
	for _, r := range low {
		if !strings.ContainsRune(`!"#$%&'()*+,-./:;<=>?@[\]^_`+"`"+`{|}~`, r) {
			np = append(np, r)
		}
	}
	// remove_articles: re.sub(r'\b(a|an|the)\b', ' ', text)
	word := func(i int) bool {
		if i < 0 || i >= len(np) {
			return false
		}
		r := np[i]
		return unicode.IsLetter(r) || unicode.IsNumber(r) || r == '_'
	}
	boundary := func(i int) bool { return word(i-1) != word(i) }
	var na []rune
	for i := 0; i < len(np); {
		matched := 0
		if boundary(i) {
			for _, alt := range []string{"a", "an", "the"} {
				a := []rune(alt)
				if i+len(a) <= len(np) && string(np[i:i+len(a)]) == alt && boundary(i+len(a)) {
					matched = len(a)
					break
				}
			}
		}
		if matched > 0 {
			na = append(na, ' ')
			i += matched
			continue
		}
		na = append(na, np[i])
		i++
	}
	// white_space_fix: ' '.join(text.split()); Python's whitespace is
	// Unicode White_Space plus the separators U+001C..U+001F.
	fields := strings.FieldsFunc(string(na), func(r rune) bool {
		return unicode.Is(unicode.White_Space, r) || (r >= 0x1c && r <= 0x1f)
	})
	return strings.Join(fields, " ")
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{
		"", "The Denver Broncos.", "éthe", "e\u0301the", "İthe", "ΟΔΟΣ.", "ΑΣ'Β", "ΣΑ",
		"x\u0085y\u001cz", "a—the end", "ⅻthe", "\u212aTHE", "x\xffthe", "a  an\tthe", "Σ̈Σ'Σ",
	} {
		f.Add(s)
	}
	var tok, tok2 Tokens
	f.Fuzz(func(t *testing.T, s string) {
		got := Normalize(s)
		want := strings.ToValidUTF8(refNormalize(s), "\uFFFD")
		if strings.ToValidUTF8(got, "\uFFFD") != want {
			t.Fatalf("Normalize(%+q) = %+q, reference %+q", s, got, want)
		}
		// Reused token lists give the same answer and EM agrees with
		// string equality of the normalized forms.
		tok.Normalize(s)
		if tok.String() != got {
			t.Fatalf("reused Tokens gave %+q, want %+q", tok.String(), got)
		}
		tok2.Normalize(strings.ToUpper(s))
		if tok.Equal(&tok2) != (tok2.String() == got) {
			t.Fatalf("Equal disagrees with string equality for %+q", s)
		}
	})
}

func TestNormalizeDoesNotAllocateWithReusedTokens(t *testing.T) {
	var tok Tokens
	in := []string{"The Denver Broncos, of course.", "Ὀδυσσεύς — the ΣΟΦΟΣ İstanbul"}
	tok.Normalize(in[1]) // grow once
	allocs := testing.AllocsPerRun(100, func() {
		for _, s := range in {
			tok.Normalize(s)
		}
	})
	if allocs != 0 {
		t.Errorf("Normalize allocated %v times per run", allocs)
	}
	var m Matcher
	m.ScoreV1(in[1], in)
	if a := testing.AllocsPerRun(100, func() { m.ScoreV1(in[0], in) }); a != 0 {
		t.Errorf("Matcher.ScoreV1 allocated %v times per run", a)
	}
}
