package runfolder

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/inferbench/inferbench/pipeline/jsonstr"
	"github.com/inferbench/inferbench/pipeline/results"
)

// decodeRecord decodes one journal line into r (which must be zero) as
// json.Unmarshal would. Reading a million records back, once for the
// aggregate and once for each export that needs them, is where the back
// half spends its time, and encoding/json's reflection costs about 10 µs
// a record; this reads the flat shape the journal's encoder writes in a
// few. Whatever it does not recognise (an unknown key, an escaped key, a
// number or string it is unsure of) makes it hand the whole line to
// json.Unmarshal, so its result is always encoding/json's: a test checks
// them against each other.
func decodeRecord(b []byte, r *results.Record) error {
	if decodeRecordFast(b, r) {
		return nil
	}
	*r = results.Record{}
	return json.Unmarshal(b, r)
}

// jsonScan reads one JSON value at a time from a line.
type jsonScan struct {
	b   []byte
	i   int
	bad bool
}

func (s *jsonScan) ws() { s.i = jsonstr.SkipSpace(s.b, s.i) }

// byte consumes c (after whitespace) or fails.
func (s *jsonScan) byte(c byte) bool {
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	s.bad = true
	return false
}

// peek returns the next byte after whitespace, or 0.
func (s *jsonScan) peek() byte {
	s.ws()
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

// null consumes a null literal if one is next.
func (s *jsonScan) null() bool {
	if s.peek() == 'n' && bytes.HasPrefix(s.b[s.i:], []byte("null")) {
		s.i += 4
		return true
	}
	return false
}

// rawString returns the value of a string token (quotes excluded, escapes
// decoded as encoding/json decodes them), or fails on a control byte or
// invalid UTF-8 (which encoding/json would rewrite). Without escapes the
// result aliases the line.
func (s *jsonScan) rawString() []byte {
	if !s.byte('"') {
		return nil
	}
	start, escaped := s.i, false
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			raw := s.b[start:s.i]
			s.i++
			if !escaped {
				if !utf8.Valid(raw) {
					s.bad = true
					return nil
				}
				return raw
			}
			out, err := jsonstr.Append(nil, raw, jsonstr.Strict)
			if err != nil {
				s.bad = true
				return nil
			}
			return out
		case c == '\\':
			escaped = true
			s.i++ // the escaped byte is not the end quote
		case c < 0x20:
			s.bad = true
			return nil
		}
		s.i++
	}
	s.bad = true
	return nil
}

func (s *jsonScan) str() string {
	if s.null() {
		return ""
	}
	return string(s.rawString())
}

// number returns a number token checked against JSON's grammar
// (-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?).
func (s *jsonScan) number() []byte {
	s.ws()
	b, i := s.b, s.i
	start := i
	digits := func() bool {
		j := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		return i > j
	}
	if i < len(b) && b[i] == '-' {
		i++
	}
	if i < len(b) && b[i] == '0' {
		i++
	} else if !digits() {
		s.bad = true
		return nil
	}
	if i < len(b) && b[i] == '.' {
		i++
		if !digits() {
			s.bad = true
			return nil
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if !digits() {
			s.bad = true
			return nil
		}
	}
	s.i = i
	return b[start:i]
}

func (s *jsonScan) float() float64 {
	if s.null() {
		return 0
	}
	n := s.number()
	if s.bad {
		return 0
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil {
		s.bad = true
	}
	return f
}

func (s *jsonScan) int() int {
	if s.null() {
		return 0
	}
	n := s.number()
	if s.bad {
		return 0
	}
	v, err := strconv.ParseInt(string(n), 10, 64)
	if err != nil || int64(int(v)) != v {
		s.bad = true // a fraction or exponent: encoding/json says why
	}
	return int(v)
}

func (s *jsonScan) bool() bool {
	switch {
	case s.null():
		return false
	case bytes.HasPrefix(s.b[s.i:], []byte("true")):
		s.i += 4
		return true
	case bytes.HasPrefix(s.b[s.i:], []byte("false")):
		s.i += 5
		return false
	}
	s.bad = true
	return false
}

// more reads the separator after a member or element: true for ',',
// false for the closing bracket end.
func (s *jsonScan) more(end byte) bool {
	switch s.peek() {
	case ',':
		s.i++
		return true
	case end:
		s.i++
		return false
	}
	s.bad = true
	return false
}

func (s *jsonScan) floats() []float64 {
	if s.null() {
		return nil
	}
	if !s.byte('[') {
		return nil
	}
	out := []float64{}
	if s.peek() == ']' {
		s.i++
		return out
	}
	for !s.bad {
		out = append(out, s.float())
		if !s.more(']') {
			break
		}
	}
	return out
}

// floatMap reads an object of numbers into out (a new map when nil), as
// encoding/json does.
func (s *jsonScan) floatMap(out map[string]float64) map[string]float64 {
	if !s.byte('{') {
		return nil
	}
	if out == nil {
		out = map[string]float64{}
	}
	if s.peek() == '}' {
		s.i++
		return out
	}
	for !s.bad {
		k := s.rawString()
		if !s.byte(':') {
			break
		}
		out[string(k)] = s.float()
		if !s.more('}') {
			break
		}
	}
	return out
}

// knownKeys are the keys decodeField reads: every json name of Record
// (and its CellKey). A test checks that decodeField reads each of them.
var knownKeys = recordKeys()

func recordKeys() map[string]bool {
	out := map[string]bool{}
	var add func(t reflect.Type)
	add = func(t reflect.Type) {
		for i := range t.NumField() {
			f := t.Field(i)
			if f.Anonymous {
				add(f.Type)
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if f.IsExported() && name != "" && name != "-" {
				out[name] = true
			}
		}
	}
	add(reflect.TypeOf(results.Record{}))
	return out
}

// decodeRecordFast decodes the journal's own flat lines; false means
// "use encoding/json" (r may be half filled then).
func decodeRecordFast(b []byte, r *results.Record) bool {
	s := &jsonScan{b: b}
	if !s.byte('{') {
		return false
	}
	if s.peek() == '}' {
		s.i++
	} else {
		for !s.bad {
			key := s.rawString()
			if s.bad || !s.byte(':') {
				return false
			}
			if !decodeField(s, string(key), r) {
				return false
			}
			if !s.more('}') {
				break
			}
		}
	}
	s.ws()
	return !s.bad && s.i == len(b)
}

// decodeField decodes the value of key into r; false for a key it does
// not know (or one whose value needs encoding/json). The keys are read by
// group, in the order of Record's fields.
func decodeField(s *jsonScan, key string, r *results.Record) bool {
	if s.null() {
		// encoding/json: null leaves a value as it is, but sets a slice
		// or map to nil.
		switch key {
		case "itl_ms":
			r.ITLMs = nil
		case "server":
			r.Server = nil
		}
		return knownKeys[key]
	}
	known := decodeCellField(s, key, r) || decodeTimingField(s, key, r) ||
		decodeResponseField(s, key, r) || decodeScoreField(s, key, r)
	return known && !s.bad
}

// decodeCellField decodes a key of the record's cell (CellKey, Seq,
// RequestHash); false for another key.
func decodeCellField(s *jsonScan, key string, r *results.Record) bool {
	switch key {
	case "platform":
		r.Platform = s.str()
	case "model":
		r.Model = s.str()
	case "temperature":
		r.Temperature = s.float()
	case "repeat":
		r.Repeat = s.int()
	case "sample_id":
		r.SampleID = s.str()
	case "warmup":
		r.Warmup = s.bool()
	case "load":
		r.Level = s.str()
	case "seq":
		r.Seq = s.int()
	case "request_hash":
		r.RequestHash = s.str()
	default:
		return false
	}
	return true
}

// decodeTimingField decodes a key of the request's timing (StartedAt to
// HTTP429); false for another key.
func decodeTimingField(s *jsonScan, key string, r *results.Record) bool {
	switch key {
	case "started_at":
		s.ws()
		start := s.i
		s.rawString()
		if !s.bad && r.StartedAt.UnmarshalJSON(s.b[start:s.i]) != nil {
			s.bad = true
		}
	case "queue_ms":
		r.QueueMs = s.float()
	case "ttfb_ms":
		r.TTFBMs = s.float()
	case "ttft_ms":
		r.TTFTMs = s.float()
	case "ttfc_ms":
		r.TTFCMs = s.float()
	case "latency_ms":
		r.LatencyMs = s.float()
	case "close_ms":
		r.CloseMs = s.float()
	case "tpot_ms":
		r.TPOTMs = s.float()
	case "itl_ms":
		r.ITLMs = s.floats()
	case "tokens_per_sec":
		r.TokensPerSec = s.float()
	case "attempts":
		r.Attempts = s.int()
	case "retry_wait_ms":
		r.RetryWaitMs = s.float()
	case "http_429":
		r.HTTP429 = s.int()
	default:
		return false
	}
	return true
}

// decodeResponseField decodes a key of the response: its token counts,
// server metrics, status, content and error (PromptTokens to
// ErrorDetail); false for another key.
func decodeResponseField(s *jsonScan, key string, r *results.Record) bool {
	switch key {
	case "prompt_tokens":
		r.PromptTokens = s.int()
	case "output_tokens":
		r.OutputTokens = s.int()
	case "reasoning_tokens":
		r.ReasoningTokens = s.int()
	case "tokens_estimated":
		r.TokensEstimated = s.bool()
	case "tokens_counted":
		r.TokensCounted = s.bool()
	case "counted_prompt_tokens":
		r.CountedPromptTokens = s.int()
	case "counted_output_tokens":
		r.CountedOutputTokens = s.int()
	case "server":
		r.Server = s.floatMap(r.Server)
	case "http_status":
		r.HTTPStatus = s.int()
	case "finish_reason":
		r.FinishReason = s.str()
	case "content":
		r.Content = s.str()
	case "reasoning":
		r.Reasoning = s.str()
	case "error":
		r.Error = s.str()
	case "error_detail":
		r.ErrorDetail = s.str()
	default:
		return false
	}
	return true
}

// decodeScoreField decodes a key of the answer's score (Answer to
// Impossible); false for another key.
func decodeScoreField(s *jsonScan, key string, r *results.Record) bool {
	switch key {
	case "answer":
		r.Answer = s.str()
	case "em":
		r.EM = s.float()
	case "f1":
		r.F1 = s.float()
	case "raw_em":
		r.RawEM = s.float()
	case "raw_f1":
		r.RawF1 = s.float()
	case "truncated":
		r.Truncated = s.bool()
	case "scored":
		r.Scored = s.bool()
	case "impossible":
		r.Impossible = s.bool()
	case "no_gold":
		r.NoGold = s.bool()
	default:
		return false
	}
	return true
}
