package score

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// Dataset is the part of an official SQuAD JSON file that scoring reads:
// its version and its questions in file order (articles, then paragraphs,
// then qas). Contexts and titles are skipped.
type Dataset struct {
	// Version is the file's "version" field ("1.1", "v2.0", ...).
	Version string
	// Questions are every qas entry in file order.
	Questions []Question
}

// Question is one qas entry.
type Question struct {
	// ID is the question id that predictions are keyed by.
	ID string
	// Answers are the gold answer texts in file order; empty for an
	// unanswerable v2 question.
	Answers []string
	// IsImpossible is the v2 is_impossible flag. Scoring reads only
	// Answers (empty for such a question); the flag is kept so that the
	// reader can be checked field by field against encoding/json.
	IsImpossible bool
}

// ParseDataset reads an official SQuAD v1.1 or v2.0 JSON file
// ({"data": [{"paragraphs": [{"qas": [{"id", "answers": [{"text"}]}]}]}],
// "version"}). It is a purpose-built scanner that decodes only the fields
// scoring needs and skips the rest (contexts are most of the bytes), about
// ten times faster than encoding/json into structs. Malformed JSON is an
// error naming the byte offset. Escapes are decoded as Python's json does,
// except that a lone UTF-16 surrogate becomes U+FFFD.
func ParseDataset(data []byte) (*Dataset, error) {
	// Decoded ids and answers go into one arena that becomes one string at
	// the end, so the 45,000 strings of the dev set cost two allocations.
	// Capacities are estimated from the size (SQuAD files hold about 450
	// bytes per question and three answers per question); appends grow them
	// when the guess is short.
	nq := len(data)/256 + 16
	na := 4 * nq
	p := &parser{data: data, arena: make([]byte, 0, len(data)/4+64)}
	ds := &Dataset{Questions: make([]Question, 0, nq)}
	ids := make([]strRef, 0, nq)     // per question
	answers := make([]strRef, 0, na) // all answers, in order
	firstAnswer := make([]int, 0, nq+1)
	err := p.object(func(key []byte) error {
		switch string(key) {
		case "version":
			if p.peek() != '"' {
				return p.skip()
			}
			v, err := p.str()
			ds.Version = v
			return err
		case "data":
			return p.array(func() error { // articles
				return p.object(func(key []byte) error {
					if string(key) != "paragraphs" {
						return p.skip()
					}
					return p.array(func() error {
						return p.object(func(key []byte) error {
							if string(key) != "qas" {
								return p.skip()
							}
							return p.array(func() error {
								var q Question
								var id strRef
								firstAnswer = append(firstAnswer, len(answers))
								err := p.object(func(key []byte) error {
									var err error
									switch string(key) {
									case "id":
										id, err = p.arenaStr()
									case "is_impossible":
										q.IsImpossible, err = p.boolean()
									case "answers":
										err = p.array(func() error {
											return p.object(func(key []byte) error {
												if string(key) != "text" {
													return p.skip()
												}
												t, err := p.arenaStr()
												answers = append(answers, t)
												return err
											})
										})
									default:
										err = p.skip()
									}
									return err
								})
								ids = append(ids, id)
								ds.Questions = append(ds.Questions, q)
								return err
							})
						})
					})
				})
			})
		default:
			return p.skip()
		}
	})
	if err == nil {
		err = p.end()
	}
	if err != nil {
		return nil, err
	}
	arena := string(p.arena)
	all := make([]string, len(answers))
	for i, r := range answers {
		all[i] = arena[r.a:r.b]
	}
	firstAnswer = append(firstAnswer, len(answers))
	for i := range ds.Questions {
		q := &ds.Questions[i]
		q.ID = arena[ids[i].a:ids[i].b]
		a, b := firstAnswer[i], firstAnswer[i+1]
		q.Answers = all[a:b:b]
	}
	return ds, nil
}

// strRef is a string's position in parser.arena.
type strRef struct{ a, b int }

// arenaStr reads a string value into the arena.
func (p *parser) arenaStr() (strRef, error) {
	b, err := p.rawStr()
	return p.keep(b), err
}

// keep appends b to the arena and returns its position there.
func (p *parser) keep(b []byte) strRef {
	r := strRef{a: len(p.arena)}
	p.arena = append(p.arena, b...)
	r.b = len(p.arena)
	return r
}

// end checks that only white space follows the top-level value.
func (p *parser) end() error {
	p.ws()
	if p.pos != len(p.data) {
		return p.errorf("extra data after the top-level value")
	}
	return nil
}

// ParsePredictions reads a predictions file: one JSON object mapping
// question ids to answer strings. A repeated id keeps its last answer (as
// Python's json does); a value that is not a string is an error.
func ParsePredictions(data []byte) (map[string]string, error) {
	p := &parser{data: data, arena: make([]byte, 0, len(data))}
	refs := make([]strRef, 0, len(data)/16+2) // id, answer, id, answer, ...
	err := p.object(func(key []byte) error {
		if p.peek() != '"' {
			return p.errorf("prediction for %q is not a string", key)
		}
		// key may alias scratch memory that the next string reuses.
		k := p.keep(key)
		v, err := p.arenaStr()
		refs = append(refs, k, v)
		return err
	})
	if err == nil {
		err = p.end()
	}
	if err != nil {
		return nil, err
	}
	arena := string(p.arena)
	preds := make(map[string]string, len(refs)/2)
	for i := 0; i < len(refs); i += 2 {
		preds[arena[refs[i].a:refs[i].b]] = arena[refs[i+1].a:refs[i+1].b]
	}
	return preds, nil
}

// parser is a minimal JSON reader over a byte slice.
type parser struct {
	data  []byte
	pos   int
	tmp   []byte // decoded escapes
	arena []byte // decoded strings kept (see ParseDataset)
}

var errEOF = errors.New("unexpected end of JSON")

func (p *parser) errorf(format string, args ...any) error {
	return fmt.Errorf("json at byte %d: %s", p.pos, fmt.Sprintf(format, args...))
}

func (p *parser) ws() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

// peek returns the next non-space byte, 0 at the end.
func (p *parser) peek() byte {
	p.ws()
	if p.pos >= len(p.data) {
		return 0
	}
	return p.data[p.pos]
}

func (p *parser) expect(c byte) error {
	if p.peek() != c {
		if p.pos >= len(p.data) {
			return errEOF
		}
		return p.errorf("want %q, found %q", c, p.data[p.pos])
	}
	p.pos++
	return nil
}

// object calls fn for every key of an object with the parser positioned
// at the value, which fn must consume. The key slice is valid only during
// the call.
func (p *parser) object(fn func(key []byte) error) error {
	if err := p.expect('{'); err != nil {
		return err
	}
	if p.peek() == '}' {
		p.pos++
		return nil
	}
	for {
		if p.peek() != '"' {
			return p.errorf("want an object key")
		}
		key, err := p.rawStr()
		if err != nil {
			return err
		}
		if err := p.expect(':'); err != nil {
			return err
		}
		p.ws()
		if err := fn(key); err != nil {
			return err
		}
		switch p.peek() {
		case ',':
			p.pos++
		case '}':
			p.pos++
			return nil
		default:
			return p.errorf("want ',' or '}' in object")
		}
	}
}

// array calls fn for every element, with the parser positioned at it.
func (p *parser) array(fn func() error) error {
	if err := p.expect('['); err != nil {
		return err
	}
	if p.peek() == ']' {
		p.pos++
		return nil
	}
	for {
		p.ws()
		if err := fn(); err != nil {
			return err
		}
		switch p.peek() {
		case ',':
			p.pos++
		case ']':
			p.pos++
			return nil
		default:
			return p.errorf("want ',' or ']' in array")
		}
	}
}

// str reads a string value.
func (p *parser) str() (string, error) {
	b, err := p.rawStr()
	return string(b), err
}

// rawStr reads a string and returns its decoded bytes, which alias the
// input or p.tmp and are valid until the next call.
func (p *parser) rawStr() ([]byte, error) {
	if p.pos >= len(p.data) || p.data[p.pos] != '"' {
		return nil, p.errorf("want a string")
	}
	p.pos++
	start := p.pos
	for i := start; i < len(p.data); i++ {
		switch p.data[i] {
		case '"':
			p.pos = i + 1
			return p.data[start:i], nil
		case '\\':
			return p.unescape(start)
		}
	}
	return nil, errEOF
}

// unescape decodes a string with escapes that starts at start.
func (p *parser) unescape(start int) ([]byte, error) {
	out := p.tmp[:0]
	i := start
	for i < len(p.data) {
		c := p.data[i]
		switch {
		case c == '"':
			p.pos = i + 1
			p.tmp = out
			return out, nil
		case c != '\\':
			out = append(out, c)
			i++
			continue
		}
		if i+1 >= len(p.data) {
			return nil, errEOF
		}
		i += 2
		switch e := p.data[i-1]; e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := p.hex4(i)
			if !ok {
				p.pos = i
				return nil, p.errorf("bad \\u escape")
			}
			i += 4
			if utf16.IsSurrogate(r) {
				r2, ok := rune(-1), false
				if i+6 <= len(p.data) && p.data[i] == '\\' && p.data[i+1] == 'u' {
					r2, ok = p.hex4(i + 2)
				}
				if d := utf16.DecodeRune(r, r2); ok && d != utf8.RuneError {
					r = d
					i += 6
				} else {
					r = utf8.RuneError
				}
			}
			out = utf8.AppendRune(out, r)
		default:
			p.pos = i - 2
			return nil, p.errorf("bad escape \\%c", e)
		}
	}
	return nil, errEOF
}

func (p *parser) hex4(i int) (rune, bool) {
	if i+4 > len(p.data) {
		return 0, false
	}
	v, err := strconv.ParseUint(string(p.data[i:i+4]), 16, 32)
	return rune(v), err == nil
}

// skipStr skips a string without decoding it.
func (p *parser) skipStr() error {
	i := p.pos + 1
	for {
		j := bytes.IndexByte(p.data[i:], '"')
		if j < 0 {
			return errEOF
		}
		i += j
		// The quote is escaped when an odd number of backslashes precede it.
		n := 0
		for k := i - 1; k > p.pos && p.data[k] == '\\'; k-- {
			n++
		}
		i++
		if n%2 == 0 {
			p.pos = i
			return nil
		}
	}
}

func (p *parser) boolean() (bool, error) {
	p.ws()
	switch {
	case bytes.HasPrefix(p.data[p.pos:], []byte("true")):
		p.pos += 4
		return true, nil
	case bytes.HasPrefix(p.data[p.pos:], []byte("false")):
		p.pos += 5
		return false, nil
	}
	return false, p.errorf("want true or false")
}

// skip skips any value.
func (p *parser) skip() error {
	switch c := p.peek(); {
	case c == '"':
		return p.skipStr()
	case c == '{':
		return p.object(func([]byte) error { return p.skip() })
	case c == '[':
		return p.array(p.skip)
	case c == 't' || c == 'f' || c == 'n' || c == '-' || (c >= '0' && c <= '9'):
		start := p.pos
		for p.pos < len(p.data) {
			switch d := p.data[p.pos]; {
			case d >= 'a' && d <= 'z', d >= '0' && d <= '9', d == '-', d == '+', d == '.', d == 'E':
				p.pos++
				continue
			}
			break
		}
		switch lit := p.data[start:p.pos]; string(lit) {
		case "true", "false", "null":
			return nil
		default:
			if _, err := strconv.ParseFloat(string(lit), 64); err != nil {
				p.pos = start
				return p.errorf("bad literal %q", lit)
			}
		}
		return nil
	case c == 0:
		return errEOF
	default:
		return p.errorf("unexpected %q", c)
	}
}
