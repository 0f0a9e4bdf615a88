package jsonstr

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
	"unicode/utf8"
)

func TestAppendDecodesEscapes(t *testing.T) {
	for _, c := range []struct{ raw, want string }{
		{`plain`, "plain"},
		{`caf\u00e9 \ud83d\ude00 \"x\"\/\\\b\f\n\r\t`, "café 😀 \"x\"/\\\b\f\n\r\t"},
		{`\ud800`, "\uFFFD"},                       // a lone high surrogate
		{`\udc00x`, "\uFFFDx"},                     // a lone low surrogate
		{`\ud800\u0041`, "\uFFFDA"},                // a high surrogate before no low one
		{`\ud800\ud800\udc00`, "\uFFFD\U00010000"}, // the second high one pairs
		{`\uD83D\uDE00`, "😀"},
	} {
		for _, r := range []Rules{Go, Strict, Python} {
			got, err := Append([]byte("<"), []byte(c.raw), r)
			if err != nil || string(got) != "<"+c.want {
				t.Errorf("Append(%q, %d) = %q, %v; want %q", c.raw, r, got, err, c.want)
			}
		}
	}
}

func TestAppendRulesForBytesThatAreNotUTF8(t *testing.T) {
	raw := []byte("a\xffb\\n\xe2\x82")
	if got, err := Append(nil, raw, Go); err != nil || string(got) != "a\uFFFDb\n\uFFFD\uFFFD" {
		t.Errorf("Go: %q, %v", got, err)
	}
	if got, err := Append(nil, raw, Python); err != nil || string(got) != "a\xffb\n\xe2\x82" {
		t.Errorf("Python: %q, %v", got, err)
	}
	if _, err := Append(nil, raw, Strict); err == nil {
		t.Error("Strict accepted invalid UTF-8")
	}
}

func TestAppendReportsBadEscapes(t *testing.T) {
	for _, c := range []struct {
		raw    string
		offset int
		what   string
	}{
		{`ab\q`, 2, `bad escape \q`},
		{`ab\u12x4`, 4, `bad \u escape`},
		{`ab\u12`, 4, `bad \u escape`},
		{`ab\`, 2, `unterminated escape`},
	} {
		_, err := Append(nil, []byte(c.raw), Go)
		var e *Error
		if !errors.As(err, &e) || e.Offset != c.offset || e.What != c.what {
			t.Errorf("Append(%q) error %v, want %q at %d", c.raw, err, c.what, c.offset)
		}
	}
}

func TestHex4AndSkipSpace(t *testing.T) {
	if Hex4([]byte("00e9")) != 0xe9 || Hex4([]byte("FFFF")) != 0xffff || Hex4([]byte("12")) != -1 || Hex4([]byte("12g4")) != -1 {
		t.Error("Hex4")
	}
	if SkipSpace([]byte(" \t\r\n x"), 0) != 5 || SkipSpace([]byte("  "), 1) != 2 || SkipSpace([]byte("x "), 0) != 0 {
		t.Error("SkipSpace")
	}
}

// FuzzAppend checks Append against encoding/json on every string literal
// that encoding/json accepts: Go gives its value, Strict its value or an
// error when the input is not UTF-8, Python its value on UTF-8 input.
func FuzzAppend(f *testing.F) {
	for _, s := range []string{`plain`, `caf\u00e9`, `\ud83d\ude00`, `\ud800`, `\ud800\u0041`, "a\xffb", `\"\\\/\b\f\n\r\t`, `\uDBFF\uDFFF`, "\xed\xa0\x80"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		lit := append(append([]byte{'"'}, raw...), '"')
		var want string
		if json.Unmarshal(lit, &want) != nil {
			return
		}
		got, err := Append(nil, raw, Go)
		if err != nil || string(got) != want {
			t.Fatalf("Go: %q, %v; encoding/json %q", got, err, want)
		}
		got, err = Append(nil, raw, Strict)
		valid := utf8.Valid(raw)
		if valid && (err != nil || string(got) != want) || !valid && err == nil {
			t.Fatalf("Strict: %q, %v; encoding/json %q", got, err, want)
		}
		got, err = Append(nil, raw, Python)
		if err != nil || valid && !bytes.Equal(got, []byte(want)) {
			t.Fatalf("Python: %q, %v; encoding/json %q", got, err, want)
		}
	})
}
