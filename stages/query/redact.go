package query

import (
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/inferbench/inferbench/pipeline"
)

// minSecretLen is the shortest value secrets searches for. Shorter values
// (a header like "X-Debug: 1") cannot be credentials worth the name, and
// replacing them would rewrite ordinary words in every answer.
const minSecretLen = 4

// secrets is the set of values that must never leave the query stage: every
// bearer token a platform used (the literal api_key, api_key_env's, each one
// api_key_command printed, refreshed ones included) and every header value.
// redact replaces each of them, and the forms a server's JSON may give them
// (escaped "/", "<", ">", "&" and control characters), with
// pipeline.Redacted. The zero value holds no secret. It is safe for
// concurrent use: add may run while other goroutines redact.
type secrets struct {
	mu   sync.Mutex
	vals atomic.Pointer[[]string] // every form, longest first
}

// add registers values; empty and too short ones are ignored.
func (s *secrets) add(vals ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var cur []string
	if p := s.vals.Load(); p != nil {
		cur = slices.Clone(*p)
	}
	for _, v := range vals {
		if len(v) < minSecretLen {
			continue
		}
		for _, form := range secretForms(v) {
			if !slices.Contains(cur, form) {
				cur = append(cur, form)
			}
		}
	}
	// Longest first: a secret that contains another is replaced whole.
	slices.SortStableFunc(cur, func(a, b string) int { return len(b) - len(a) })
	s.vals.Store(&cur)
}

// secretForms is v and the ways a JSON encoder may have written it.
func secretForms(v string) []string {
	forms := []string{v}
	if b, err := json.Marshal(v); err == nil { // escapes < > & and controls
		forms = append(forms, string(b[1:len(b)-1]))
	}
	var sb strings.Builder
	enc := json.NewEncoder(&sb)
	enc.SetEscapeHTML(false)
	if enc.Encode(v) == nil {
		e := strings.TrimSuffix(sb.String(), "\n")
		forms = append(forms, e[1:len(e)-1])
	}
	for _, f := range forms[:len(forms):len(forms)] {
		if strings.Contains(f, "/") {
			forms = append(forms, strings.ReplaceAll(f, "/", `\/`)) // PHP, some proxies
		}
	}
	out := forms[:0]
	for _, f := range forms {
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

// redact returns x with every secret replaced by pipeline.Redacted. It
// allocates only when x holds a secret. A nil set redacts nothing.
func (s *secrets) redact(x string) string {
	if s == nil {
		return x
	}
	p := s.vals.Load()
	if p == nil || x == "" {
		return x
	}
	for _, v := range *p {
		if strings.Contains(x, v) {
			x = strings.ReplaceAll(x, v, pipeline.Redacted)
		}
	}
	return x
}

// record redacts every text a record carries that came from the server.
func (s *secrets) record(rec *pipeline.Record) {
	if p := s.vals.Load(); p == nil {
		return
	}
	rec.Content = s.redact(rec.Content)
	rec.Reasoning = s.redact(rec.Reasoning)
	rec.ErrorDetail = s.redact(rec.ErrorDetail)
	rec.FinishReason = s.redact(rec.FinishReason)
	rec.Answer = s.redact(rec.Answer)
	for k, v := range rec.Server {
		if r := s.redact(k); r != k {
			delete(rec.Server, k)
			rec.Server[r] = v
		}
	}
}
