// Package jsonstr decodes JSON string literals for the hand-written JSON
// scanners (the journal's record decoder in pipeline, the stream chunk
// decoder in stages/query and the SQuAD file reader in stages/score): one
// unescaper, one \uXXXX reader and one white-space skipper, with the rules
// each caller needs for bytes that are not UTF-8. It imports only the
// standard library.
package jsonstr

import (
	"unicode/utf16"
	"unicode/utf8"
)

// Rules say what Append does with bytes of a string that are not UTF-8,
// the one point where the callers differ. Escapes are decoded the same
// way under every rule: as encoding/json and Python's json do, a valid
// UTF-16 surrogate pair is one rune, and a lone surrogate becomes U+FFFD
// (Python keeps it, but a Go string cannot hold one).
type Rules uint8

const (
	// Go decodes as encoding/json does: each byte that is not part of
	// valid UTF-8 becomes U+FFFD.
	Go Rules = iota
	// Strict refuses a string that is not valid UTF-8 (an *Error), for a
	// fast path that hands such input to encoding/json.
	Strict
	// Python keeps bytes that are not UTF-8 as they are: the rules of the
	// SQuAD scorer, which decodes escapes as Python's json does and leaves
	// text to its normalizer, which reads each such byte as U+FFFD as
	// Python's str cannot hold one.
	Python
)

// Error is a string Append cannot decode.
type Error struct {
	// Offset is the byte offset in raw of what is wrong: the backslash of
	// a bad escape, the first hex digit of a bad \u escape.
	Offset int
	// What says what is wrong ("bad \u escape", "bad escape \q").
	What string
}

func (e *Error) Error() string { return e.What }

// Append appends the value of the string literal whose bytes between the
// quotes are raw (escapes in place) to dst, under rules r. It does not
// check raw for control characters or unescaped quotes: finding the end of
// the literal is the caller's scanner's job.
func Append(dst, raw []byte, r Rules) ([]byte, error) {
	start := len(dst)
	plain := 0 // start of the current run of plain bytes
	for i := 0; i < len(raw); {
		c := raw[i]
		if c != '\\' {
			if c < utf8.RuneSelf || r != Go {
				i++
				continue
			}
			ch, size := utf8.DecodeRune(raw[i:])
			if ch == utf8.RuneError && size == 1 {
				dst = append(dst, raw[plain:i]...)
				dst = utf8.AppendRune(dst, utf8.RuneError)
				plain = i + 1
			}
			i += size
			continue
		}
		dst = append(dst, raw[plain:i]...)
		if i+1 >= len(raw) {
			return dst, &Error{Offset: i, What: "unterminated escape"}
		}
		switch e := raw[i+1]; e {
		case '"', '\\', '/':
			dst = append(dst, e)
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			ch := Hex4(raw[i+2:])
			if ch < 0 {
				return dst, &Error{Offset: i + 2, What: `bad \u escape`}
			}
			i += 6
			if utf16.IsSurrogate(ch) {
				ch2 := rune(-1)
				if i+6 <= len(raw) && raw[i] == '\\' && raw[i+1] == 'u' {
					ch2 = Hex4(raw[i+2:])
				}
				if dec := utf16.DecodeRune(ch, ch2); dec != utf8.RuneError {
					ch = dec
					i += 6
				} else {
					ch = utf8.RuneError
				}
			}
			dst = utf8.AppendRune(dst, ch)
			plain = i
			continue
		default:
			return dst, &Error{Offset: i, What: `bad escape \` + string(rune(e))}
		}
		i += 2
		plain = i
	}
	dst = append(dst, raw[plain:]...)
	if r == Strict && !utf8.Valid(dst[start:]) {
		return dst, &Error{Offset: 0, What: "invalid UTF-8"}
	}
	return dst, nil
}

// Hex4 reads the four hex digits that b starts with, or returns -1.
func Hex4(b []byte) rune {
	if len(b) < 4 {
		return -1
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r<<4 | rune(c)
	}
	return r
}

// SkipSpace returns the index of the first byte of b at or after i that
// is not JSON white space (space, tab, newline, carriage return), or
// len(b).
func SkipSpace(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}
