package score

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"

	"github.com/inferbench/inferbench/pipeline/jsonstr"
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
	r := newSquadReader(data)
	err := r.p.object(r.topLevel)
	if err == nil {
		err = r.p.end()
	}
	if err != nil {
		return nil, err
	}
	return r.finish(), nil
}

// squadReader walks a SQuAD file's nesting (data, paragraphs, qas,
// answers) with one method per level. Decoded ids and answers go into one
// arena that becomes one string at the end, so the 45,000 strings of the
// dev set cost two allocations.
type squadReader struct {
	p           *parser
	ds          *Dataset
	ids         []strRef // per question
	answers     []strRef // all answers, in order
	firstAnswer []int    // per question, its first answer's index in answers
}

// newSquadReader estimates capacities from the size (SQuAD files hold
// about 450 bytes per question and three answers per question); appends
// grow them when the guess is short.
func newSquadReader(data []byte) *squadReader {
	nq := len(data)/256 + 16
	return &squadReader{
		p:           &parser{data: data, arena: make([]byte, 0, len(data)/4+64)},
		ds:          &Dataset{Questions: make([]Question, 0, nq)},
		ids:         make([]strRef, 0, nq),
		answers:     make([]strRef, 0, 4*nq),
		firstAnswer: make([]int, 0, nq+1),
	}
}

func (r *squadReader) topLevel(key []byte) error {
	switch string(key) {
	case "version":
		if r.p.peek() != '"' {
			return r.p.skip()
		}
		v, err := r.p.str()
		r.ds.Version = v
		return err
	case "data":
		return r.p.array(func() error { return r.p.object(r.article) })
	default:
		return r.p.skip()
	}
}

func (r *squadReader) article(key []byte) error {
	if string(key) != "paragraphs" {
		return r.p.skip()
	}
	return r.p.array(func() error { return r.p.object(r.paragraph) })
}

func (r *squadReader) paragraph(key []byte) error {
	if string(key) != "qas" {
		return r.p.skip()
	}
	return r.p.array(r.question)
}

func (r *squadReader) question() error {
	var q Question
	var id strRef
	r.firstAnswer = append(r.firstAnswer, len(r.answers))
	err := r.p.object(func(key []byte) error {
		var err error
		switch string(key) {
		case "id":
			id, err = r.p.arenaStr()
		case "is_impossible":
			q.IsImpossible, err = r.p.boolean()
		case "answers":
			err = r.p.array(func() error { return r.p.object(r.answer) })
		default:
			err = r.p.skip()
		}
		return err
	})
	r.ids = append(r.ids, id)
	r.ds.Questions = append(r.ds.Questions, q)
	return err
}

func (r *squadReader) answer(key []byte) error {
	if string(key) != "text" {
		return r.p.skip()
	}
	t, err := r.p.arenaStr()
	r.answers = append(r.answers, t)
	return err
}

// finish turns the arena into one string and points every id and answer
// into it.
func (r *squadReader) finish() *Dataset {
	arena := string(r.p.arena)
	all := make([]string, len(r.answers))
	for i, ref := range r.answers {
		all[i] = arena[ref.a:ref.b]
	}
	first := append(r.firstAnswer, len(r.answers))
	for i := range r.ds.Questions {
		q := &r.ds.Questions[i]
		q.ID = arena[r.ids[i].a:r.ids[i].b]
		a, b := first[i], first[i+1]
		q.Answers = all[a:b:b]
	}
	return r.ds
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

func (p *parser) ws() { p.pos = jsonstr.SkipSpace(p.data, p.pos) }

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

// unescape decodes a string with escapes that starts at start, with the
// Python rules of jsonstr (bytes that are not UTF-8 are kept).
func (p *parser) unescape(start int) ([]byte, error) {
	end := start
	for end < len(p.data) && p.data[end] != '"' {
		if p.data[end] == '\\' {
			end++ // the escaped byte is not the end quote
		}
		end++
	}
	if end >= len(p.data) {
		return nil, errEOF
	}
	out, err := jsonstr.Append(p.tmp[:0], p.data[start:end], jsonstr.Python)
	if e, ok := err.(*jsonstr.Error); ok {
		p.pos = start + e.Offset
		return nil, p.errorf("%s", e.What)
	}
	p.pos = end + 1
	p.tmp = out
	return out, nil
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
