package query

import (
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/results"
)

// minSecretLen is the shortest value secrets searches for. Shorter values
// (a header like "X-Debug: 1") cannot be credentials worth the name, and
// replacing them would rewrite ordinary words in every answer.
const minSecretLen = 4

// minTextSecretLen is the shortest header value that is also redacted
// from model text (content, reasoning, answer) when the header's name does
// not say it is a credential: a value that long does not turn up in an
// answer by chance, while "east" (X-Region: east) would rewrite "least"
// and change EM and F1.
const minTextSecretLen = 12

// secrets is the set of values that must never leave the query stage: every
// bearer token a platform used (the literal api_key, api_key_env's, each one
// api_key_command printed, refreshed ones included) and every header value.
// redact replaces each of them, and the forms a server's JSON may give them
// (escaped "/", "<", ">", "&" and control characters), with
// config.Redacted; redactText, for model text, replaces the tokens, the
// values of credential headers (see credentialHeader) and header values of
// at least minTextSecretLen bytes. The zero value holds no secret. It is
// safe for concurrent use: add may run while other goroutines redact.
type secrets struct {
	mu   sync.Mutex
	vals atomic.Pointer[[]string] // every form, longest first
	text atomic.Pointer[[]string] // the forms redactText replaces
}

// add registers tokens, redacted everywhere; empty and too short ones are
// ignored.
func (s *secrets) add(vals ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range vals {
		addForms(&s.vals, v)
		addForms(&s.text, v)
	}
}

// addHeader registers the value of header name: redacted from error
// details always, and from model text when the name says it is a
// credential or the value is long enough to be one.
func (s *secrets) addHeader(name, v string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	addForms(&s.vals, v)
	if credentialHeader(name) || len(v) >= minTextSecretLen {
		addForms(&s.text, v)
	}
}

// credentialHeader reports whether a header's name says it carries a
// credential (Authorization, Cookie, or a name with key, token, secret,
// auth, password or session in it).
func credentialHeader(name string) bool {
	n := strings.ToLower(name)
	for _, w := range []string{"authorization", "cookie", "key", "token", "secret", "auth", "password", "session"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// addForms adds v's forms to the set p points at (the caller holds the
// lock); a value shorter than minSecretLen is ignored.
func addForms(p *atomic.Pointer[[]string], v string) {
	if len(v) < minSecretLen {
		return
	}
	var cur []string
	if old := p.Load(); old != nil {
		cur = slices.Clone(*old)
	}
	for _, form := range secretForms(v) {
		if !slices.Contains(cur, form) {
			cur = append(cur, form)
		}
	}
	// Longest first: a secret that contains another is replaced whole.
	slices.SortStableFunc(cur, func(a, b string) int { return len(b) - len(a) })
	p.Store(&cur)
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

// redact returns x with every secret replaced by config.Redacted. It
// allocates only when x holds a secret. A nil set redacts nothing.
func (s *secrets) redact(x string) string {
	if s == nil {
		return x
	}
	return replaceAll(s.vals.Load(), x)
}

// redactText is redact for model text: it leaves short values of headers
// that are not credentials alone (see addHeader).
func (s *secrets) redactText(x string) string {
	if s == nil {
		return x
	}
	return replaceAll(s.text.Load(), x)
}

func replaceAll(p *[]string, x string) string {
	if p == nil || x == "" {
		return x
	}
	for _, v := range *p {
		if strings.Contains(x, v) {
			x = strings.ReplaceAll(x, v, config.Redacted)
		}
	}
	return x
}

// record redacts every text a record carries that came from the server.
func (s *secrets) record(rec *results.Record) {
	if p := s.vals.Load(); p == nil {
		return
	}
	rec.Content = s.redactText(rec.Content)
	rec.Reasoning = s.redactText(rec.Reasoning)
	rec.ErrorDetail = s.redact(rec.ErrorDetail)
	rec.FinishReason = s.redact(rec.FinishReason)
	rec.Answer = s.redactText(rec.Answer)
	for k, v := range rec.Server {
		if r := s.redact(k); r != k {
			delete(rec.Server, k)
			rec.Server[r] = v
		}
	}
}
