package query

import (
	"bytes"
	"errors"
	"strconv"
	"unicode/utf8"

	"github.com/inferbench/inferbench/pipeline/jsonstr"
)

// message is what the stage reads of a streamed delta or of a whole
// message. The byte slices alias the decoded event or the decoder's scratch
// space and are valid until the next decode.
type message struct {
	content, reasoning, reasoningContent []byte
	// has* record that the key was present with a string value.
	hasContent, hasReasoning, hasReasoningContent bool
	// toolCalls is true for a non-empty tool_calls array.
	toolCalls bool
}

// reasoningText returns whichever reasoning field the server used
// (reasoning, vLLM; reasoning_content, SambaNova and older vLLM).
func (m *message) reasoningText() []byte {
	if len(m.reasoning) > 0 {
		return m.reasoning
	}
	return m.reasoningContent
}

// tokenBearing reports whether the message carries content, reasoning or
// tool calls.
func (m *message) tokenBearing() bool {
	return len(m.content) > 0 || len(m.reasoning) > 0 || len(m.reasoningContent) > 0 || m.toolCalls
}

// chunk is the part of a chat.completion.chunk (or a whole chat.completion)
// that the stage reads: the first choice, usage and error.
type chunk struct {
	choices      int // number of elements in choices
	delta, msg   message
	finishReason []byte
	usage        []byte // raw JSON, nil when absent or null
	// errorVal is the error the document carries, raw JSON; nil when none.
	// Two shapes are errors: the OpenAI API's {"error": {...}} (the value
	// of "error" unless null), and vLLM's flat {"object": "error",
	// "message", "type", "param", "code"} (the whole document).
	errorVal  []byte
	flatError bool   // "object" is "error"
	scratch   []byte // unescaped strings
}

func (c *chunk) hasError() bool { return c.errorVal != nil }
func (c *chunk) hasUsage() bool { return c.usage != nil }

// decodeChunk decodes one event's data (or a whole response body) into c,
// which is reset first. It is a hand-written scanner for the few fields the
// stage needs: it validates the whole document's syntax, requires the
// fields it reads to have the OpenAI types (strings or null; choices an
// array of objects) and allocates nothing once c's scratch space has grown.
// Keys match exactly (encoding/json would also accept "Content").
func decodeChunk(data []byte, c *chunk) error {
	*c = chunk{scratch: c.scratch[:0]}
	d := decoder{b: data, c: c}
	d.ws()
	if err := d.object(objTop); err != nil {
		return err
	}
	d.ws()
	if d.i != len(d.b) {
		return d.fail("trailing data")
	}
	if c.flatError && c.errorVal == nil {
		c.errorVal = data
	}
	return nil
}

type objKind int

const (
	objTop objKind = iota
	objChoice
	objDelta
	objMessage
)

// decoder scans one JSON document.
type decoder struct {
	b []byte
	i int
	c *chunk
}

func (d *decoder) fail(what string) error {
	return errors.New("invalid JSON at offset " + strconv.Itoa(d.i) + ": " + what)
}

func (d *decoder) ws() { d.i = jsonstr.SkipSpace(d.b, d.i) }

// object scans an object whose fields matter according to kind.
func (d *decoder) object(kind objKind) error {
	if d.i >= len(d.b) || d.b[d.i] != '{' {
		return d.fail("want object")
	}
	return d.list('}', func() error {
		key, err := d.key()
		if err != nil {
			return err
		}
		if bytes.IndexByte(key, '\\') >= 0 {
			key, _ = d.unescape(key) // "cont\u0065nt" is "content"
		}
		return d.field(kind, key)
	})
}

// list scans the rest of an object or an array whose opening bracket is at
// d.i, through its closing bracket close ('}' or ']'). item scans one
// member or element, the white space before it already skipped.
func (d *decoder) list(close byte, item func() error) error {
	d.i++
	d.ws()
	if d.i < len(d.b) && d.b[d.i] == close {
		d.i++
		return nil
	}
	for {
		d.ws()
		if err := item(); err != nil {
			return err
		}
		d.ws()
		if d.i >= len(d.b) {
			if close == '}' {
				return d.fail("unterminated object")
			}
			return d.fail("unterminated array")
		}
		switch d.b[d.i] {
		case ',':
			d.i++
		case close:
			d.i++
			return nil
		default:
			if close == '}' {
				return d.fail("want ',' or '}'")
			}
			return d.fail("want ',' or ']'")
		}
	}
}

// key scans an object member's key and colon and returns the key, escapes
// still in place, leaving d at the member's value.
func (d *decoder) key() ([]byte, error) {
	key, err := d.rawString()
	if err != nil {
		return nil, err
	}
	d.ws()
	if d.i >= len(d.b) || d.b[d.i] != ':' {
		return nil, d.fail("want ':'")
	}
	d.i++
	d.ws()
	return key, nil
}

// field scans the value of key inside an object of the given kind.
func (d *decoder) field(kind objKind, key []byte) error {
	c := d.c
	switch kind {
	case objTop:
		switch string(key) {
		case "choices":
			c.choices, c.delta, c.msg, c.finishReason = 0, message{}, message{}, nil
			return d.choices()
		case "object":
			s, _, err := d.stringOrNull()
			c.flatError = string(s) == "error"
			return err
		case "usage", "error":
			start := d.i
			if err := d.skip(); err != nil {
				return err
			}
			v := d.b[start:d.i]
			if string(v) == "null" {
				v = nil
			}
			if key[0] == 'u' {
				c.usage = v
			} else {
				c.errorVal = v
			}
			return nil
		}
	case objChoice:
		switch string(key) {
		case "delta":
			c.delta = message{}
			return d.nullOr(objDelta)
		case "message":
			c.msg = message{}
			return d.nullOr(objMessage)
		case "finish_reason":
			s, _, err := d.stringOrNull()
			c.finishReason = s
			return err
		}
	case objDelta, objMessage:
		m := &c.delta
		if kind == objMessage {
			m = &c.msg
		}
		switch string(key) {
		case "content":
			s, ok, err := d.stringOrNull()
			m.content, m.hasContent = s, ok
			return err
		case "reasoning":
			s, ok, err := d.stringOrNull()
			m.reasoning, m.hasReasoning = s, ok
			return err
		case "reasoning_content":
			s, ok, err := d.stringOrNull()
			m.reasoningContent, m.hasReasoningContent = s, ok
			return err
		case "tool_calls":
			start := d.i
			if err := d.skip(); err != nil {
				return err
			}
			m.toolCalls = d.b[start] == '[' && !isEmptyArray(d.b[start:d.i])
			return nil
		}
	}
	return d.skip()
}

// isEmptyArray reports whether v (a valid JSON array) is [].
func isEmptyArray(v []byte) bool {
	return len(bytes.TrimSpace(v[1:len(v)-1])) == 0
}

// nullOr scans null or an object of kind.
func (d *decoder) nullOr(kind objKind) error {
	if d.literal("null") {
		return nil
	}
	return d.object(kind)
}

// choices scans the choices array: the first element is read, the others
// only validated.
func (d *decoder) choices() error {
	if d.literal("null") {
		return nil
	}
	if d.i >= len(d.b) || d.b[d.i] != '[' {
		return d.fail("choices: want array")
	}
	return d.list(']', func() error {
		var err error
		if d.c.choices == 0 {
			err = d.object(objChoice)
		} else {
			err = d.skip()
		}
		if err == nil {
			d.c.choices++
		}
		return err
	})
}

// literal consumes lit if it is next.
func (d *decoder) literal(lit string) bool {
	if len(d.b)-d.i >= len(lit) && string(d.b[d.i:d.i+len(lit)]) == lit {
		d.i += len(lit)
		return true
	}
	return false
}

// stringOrNull scans a string (returned unescaped, ok true) or null.
func (d *decoder) stringOrNull() (s []byte, ok bool, err error) {
	if d.literal("null") {
		return nil, false, nil
	}
	raw, err := d.rawString()
	if err != nil {
		return nil, false, err
	}
	s, err = d.unescape(raw)
	return s, err == nil, err
}

// rawString scans a string and returns the bytes between its quotes,
// escapes still in place. It checks the escapes' syntax and rejects
// control characters.
func (d *decoder) rawString() ([]byte, error) {
	if d.i >= len(d.b) || d.b[d.i] != '"' {
		return nil, d.fail("want string")
	}
	d.i++
	start := d.i
	for d.i < len(d.b) {
		ch := d.b[d.i]
		if plainStringByte[ch] {
			d.i++
			continue
		}
		switch {
		case ch == '"':
			s := d.b[start:d.i]
			d.i++
			return s, nil
		case ch == '\\':
			if d.i+1 >= len(d.b) {
				return nil, d.fail("unterminated string")
			}
			switch d.b[d.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				d.i += 2
			case 'u':
				if jsonstr.Hex4(d.b[d.i+2:]) < 0 {
					return nil, d.fail("bad \\u escape")
				}
				d.i += 6
			default:
				return nil, d.fail("bad escape")
			}
		case ch < 0x20:
			return nil, d.fail("control character in string")
		default:
			d.i++
		}
	}
	return nil, d.fail("unterminated string")
}

// plainStringByte marks the bytes that stand for themselves inside a JSON
// string (not '"', '\\' or a control character).
var plainStringByte = func() (t [256]bool) {
	for i := range t {
		t[i] = i >= 0x20 && i != '"' && i != '\\'
	}
	return t
}()

// unescape returns the string value of raw (validated by rawString),
// as encoding/json decodes it: invalid UTF-8 and lone surrogates become
// U+FFFD. Without escapes and with valid UTF-8 it returns raw itself.
func (d *decoder) unescape(raw []byte) ([]byte, error) {
	if bytes.IndexByte(raw, '\\') < 0 && utf8.Valid(raw) {
		return raw, nil
	}
	sc := &d.c.scratch
	start := len(*sc)
	var err error
	*sc, err = jsonstr.Append(*sc, raw, jsonstr.Go)
	return (*sc)[start:len(*sc):len(*sc)], err
}

// skip scans and validates any JSON value.
func (d *decoder) skip() error {
	if d.i >= len(d.b) {
		return d.fail("want value")
	}
	switch ch := d.b[d.i]; {
	case ch == '{':
		return d.list('}', d.skipMember)
	case ch == '[':
		return d.list(']', d.skip)
	case ch == '"':
		_, err := d.rawString()
		return err
	case ch == 't':
		if d.literal("true") {
			return nil
		}
	case ch == 'f':
		if d.literal("false") {
			return nil
		}
	case ch == 'n':
		if d.literal("null") {
			return nil
		}
	case ch == '-' || ch >= '0' && ch <= '9':
		return d.number()
	}
	return d.fail("want value")
}

// skipMember scans and validates one object member, key and value.
func (d *decoder) skipMember() error {
	if _, err := d.key(); err != nil {
		return err
	}
	return d.skip()
}

// number scans -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (d *decoder) number() error {
	if d.b[d.i] == '-' {
		d.i++
	}
	digits := func() int {
		n := 0
		for d.i < len(d.b) && d.b[d.i] >= '0' && d.b[d.i] <= '9' {
			d.i++
			n++
		}
		return n
	}
	if d.i < len(d.b) && d.b[d.i] == '0' {
		d.i++
	} else if digits() == 0 {
		return d.fail("bad number")
	}
	if d.i < len(d.b) && d.b[d.i] == '.' {
		d.i++
		if digits() == 0 {
			return d.fail("bad number")
		}
	}
	if d.i < len(d.b) && (d.b[d.i] == 'e' || d.b[d.i] == 'E') {
		d.i++
		if d.i < len(d.b) && (d.b[d.i] == '+' || d.b[d.i] == '-') {
			d.i++
		}
		if digits() == 0 {
			return d.fail("bad number")
		}
	}
	return nil
}
