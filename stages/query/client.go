package query

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptrace"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/results"
	"github.com/inferbench/inferbench/stages/internal/retry"
)

// bodyBuilder renders request bodies. The parts that are the same for every
// request of a job are encoded once.
type bodyBuilder struct {
	// tail and tailNoOpts close the object after temperature, with and
	// without stream_options.
	tail, tailNoOpts []byte
	// temperature is false when params.extra sets it.
	temperature bool
	// maxTokens is params.max_tokens (-1 when params.extra sets it); a
	// sample's own length replaces it (see build).
	maxTokens int
	// exact sends min_tokens and ignore_eos with a sample's own length
	// (platforms[].exact_output_tokens), unless params.extra sets them.
	exact bool
	// models caches each model's name as JSON (string to []byte): a job
	// has a few models and sends thousands of requests.
	models sync.Map
}

// reservedKeys are body keys params.extra may not set: the stage needs them
// to address the model and to parse the answer.
var reservedKeys = []string{"model", "messages", "stream"}

// newBodyBuilder encodes once what every request of a job shares: p, and
// whether the platform takes exact output lengths (exact).
func newBodyBuilder(p config.Params, exact bool) (*bodyBuilder, error) {
	maxTokens := p.MaxTokens
	if maxTokens == 0 {
		maxTokens = config.DefaultMaxTokens
	}
	has := func(k string) bool { _, ok := p.Extra[k]; return ok }
	var common []byte
	if has("max_tokens") {
		maxTokens = -1
	}
	if p.TopP > 0 && !has("top_p") {
		common = append(common, `,"top_p":`...)
		common = strconv.AppendFloat(common, p.TopP, 'g', -1, 64)
	}
	common = append(common, `,"stream":`...)
	common = strconv.AppendBool(common, p.Stream)
	var extra []byte
	keys := make([]string, 0, len(p.Extra))
	for k := range p.Extra {
		if !slices.Contains(reservedKeys, k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		kb, _ := json.Marshal(k)
		vb, err := json.Marshal(p.Extra[k])
		if err != nil {
			return nil, fmt.Errorf("params.extra.%s: %w", k, err)
		}
		extra = append(append(append(append(extra, ','), kb...), ':'), vb...)
	}
	b := &bodyBuilder{temperature: !has("temperature"), maxTokens: maxTokens, exact: exact && !has("min_tokens") && !has("ignore_eos")}
	b.tailNoOpts = append(append(slices.Clone(common), extra...), '}')
	if p.Stream && !has("stream_options") {
		b.tail = append(append(append(slices.Clone(common), `,"stream_options":{"include_usage":true}`...), extra...), '}')
	} else {
		b.tail = b.tailNoOpts
	}
	return b, nil
}

// build appends the body of one request to dst, growing it once. out > 0
// is the sample's own answer length (config.Sample.MaxTokens): it is
// max_tokens, and min_tokens with ignore_eos on an exact platform.
func (b *bodyBuilder) build(dst []byte, model string, temp float64, msgs []config.Message, streamOptions bool, out int) ([]byte, error) {
	var mb []byte
	if v, ok := b.models.Load(model); ok {
		mb = v.([]byte)
	} else {
		var err error
		if mb, err = json.Marshal(model); err != nil {
			return nil, err
		}
		b.models.Store(model, mb)
	}
	msgb, err := json.Marshal(msgs)
	if err != nil {
		return nil, err
	}
	// 26: the keys below and a float's longest 'g' form; 80 the lengths.
	dst = slices.Grow(dst, len(`{"model":,"messages":,"temperature":`)+26+80+len(mb)+len(msgb)+max(len(b.tail), len(b.tailNoOpts)))
	dst = append(dst, `{"model":`...)
	dst = append(dst, mb...)
	dst = append(dst, `,"messages":`...)
	dst = append(dst, msgb...)
	if b.temperature {
		dst = append(dst, `,"temperature":`...)
		dst = strconv.AppendFloat(dst, temp, 'g', -1, 64)
	}
	dst = b.appendLength(dst, out)
	if streamOptions {
		return append(dst, b.tail...), nil
	}
	return append(dst, b.tailNoOpts...), nil
}

// appendLength writes max_tokens (the sample's length out when > 0, else
// params.max_tokens; none when params.extra sets it), and min_tokens and
// ignore_eos for a sample's length on an exact platform.
func (b *bodyBuilder) appendLength(dst []byte, out int) []byte {
	if b.maxTokens >= 0 {
		dst = append(dst, `,"max_tokens":`...)
		if out > 0 {
			dst = strconv.AppendInt(dst, int64(out), 10)
		} else {
			dst = strconv.AppendInt(dst, int64(b.maxTokens), 10)
		}
	}
	if b.exact && out > 0 {
		dst = append(dst, `,"min_tokens":`...)
		dst = strconv.AppendInt(dst, int64(out), 10)
		dst = append(dst, `,"ignore_eos":true`...)
	}
	return dst
}

// hasStreamOptions reports whether requests carry stream_options at all.
func (b *bodyBuilder) hasStreamOptions() bool { return !bytes.Equal(b.tail, b.tailNoOpts) }

// next says what to do after an attempt.
type next int

const (
	done         next = iota // the record is final
	retryBackoff             // retryable failure before the first body byte
	retryToken               // 401: refresh the token and retry at once
	retryNoOpts              // stream_options refused: resend without it
)

// outcome is what an attempt tells the retry loop.
type outcome struct {
	next       next
	retryAfter time.Duration // from a Retry-After header, 0 if none
	// refusal says how the server refused stream_options (retryNoOpts).
	refusal string
}

// How a server refuses stream_options, as the manifest's note says it.
const (
	refusedHTTP400  = "HTTP 400"
	refusedInStream = "an error event inside an HTTP 200 stream"
)

var (
	hdrJSON   = []string{"application/json"}
	hdrStream = []string{"text/event-stream"}
)

// attempt sends one request and reads its answer into a fresh record.
func (r *run) attempt(ctx context.Context, c *results.Cell, body []byte, token string) (rec results.Record, o outcome) {
	rec = results.Record{CellKey: c.CellKey, Seq: c.Seq}
	actx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	var t0, firstByte time.Time
	trace := &httptrace.ClientTrace{GotFirstResponseByte: func() { firstByte = time.Now() }}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(actx, trace), http.MethodPost, r.url, bytes.NewReader(body))
	if err != nil {
		rec.Error, rec.ErrorDetail = results.ErrTransport, r.detail(err.Error())
		return rec, o
	}
	r.setHeaders(req.Header, c, token)

	total := time.AfterFunc(r.total, func() { cancel(errTotalTimeout) })
	defer total.Stop()
	var first *time.Timer
	if r.firstToken > 0 {
		first = time.AfterFunc(r.firstToken, func() { cancel(errFirstTokenTimeout) })
		defer first.Stop()
	}

	rec.StartedAt = time.Now()
	t0 = rec.StartedAt
	resp, err := r.client.Do(req)
	if err != nil {
		rec.Error, rec.ErrorDetail = r.classify(ctx, actx, err)
		switch rec.Error {
		case results.ErrTransport, results.ErrTimeoutConnect, results.ErrClientResource:
			o.next = retryBackoff
		}
		return rec, o
	}
	defer resp.Body.Close()
	if firstByte.IsZero() {
		firstByte = time.Now()
	}
	rec.TTFBMs = ms(firstByte.Sub(t0))
	rec.HTTPStatus = resp.StatusCode
	if resp.StatusCode != http.StatusOK {
		return rec, r.refused(ctx, resp, &rec)
	}
	o = r.readAnswer(ctx, actx, cancel, first, resp, t0, &rec)
	r.countPrompt(&rec, c)
	return rec, o
}

// setHeaders sets a request's headers: the content types, the cell's
// X-Request-Id, the bearer token and the platform's own headers.
func (r *run) setHeaders(h http.Header, c *results.Cell, token string) {
	h["Content-Type"] = hdrJSON
	if r.job.Params.Stream {
		h["Accept"] = hdrStream
	}
	h["X-Request-Id"] = []string{c.CellKey.String()}
	if token != "" {
		h["Authorization"] = []string{"Bearer " + token}
	}
	for _, ph := range r.job.Platform.Headers {
		h.Set(ph.Name, ph.Value.Reveal())
	}
}

// refused records an answer other than 200 (http_<status>, its body
// quoted) and says what the retry loop does with it: 429 and 5xx back off
// (honouring Retry-After), 401 refreshes the token, a 400 naming
// stream_options resends without them.
func (r *run) refused(ctx context.Context, resp *http.Response, rec *results.Record) (o outcome) {
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	rec.Error = results.HTTPError(resp.StatusCode)
	rec.ErrorDetail = r.detail(strings.TrimSpace(string(msg)))
	if ctx.Err() != nil {
		rec.Error, rec.ErrorDetail = results.ErrCanceled, "canceled while in flight"
		return o
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		o.next, o.retryAfter = retryBackoff, retry.Delay(resp.Header, time.Now())
	case resp.StatusCode == http.StatusUnauthorized:
		o.next = retryToken
	case resp.StatusCode == http.StatusBadRequest && namesStreamOptions(msg):
		o.next, o.refusal = retryNoOpts, refusedHTTP400
	}
	return o
}

// readAnswer reads a 200 answer as its type and first bytes say
// (sniff): a stream, one JSON document, or neither
// (unexpected_content_type, quoting its first bytes).
func (r *run) readAnswer(ctx, actx context.Context, cancel context.CancelCauseFunc, first *time.Timer, resp *http.Response, t0 time.Time, rec *results.Record) (o outcome) {
	rawCT := resp.Header.Get("Content-Type")
	// The usual values as they are: ParseMediaType allocates a map each.
	ct := rawCT
	if ct != "text/event-stream" && ct != "application/json" {
		ct, _, _ = mime.ParseMediaType(rawCT)
	}
	answer := io.Reader(resp.Body)
	var head []byte
	if !isJSONType(ct) {
		// Look at the first bytes before choosing a reader: a login page or
		// a proxy's error served with 200 is not an answer to parse.
		head, answer = peekBody(resp.Body)
	}
	switch sniff(ct, head) {
	case formatStream:
		if r.readStream(ctx, actx, cancel, first, answer, t0, rec) {
			o.next, o.refusal = retryNoOpts, refusedInStream
		}
	case formatJSON:
		r.readWhole(ctx, actx, answer, t0, rec)
	default:
		want := "JSON"
		if r.job.Params.Stream {
			want = "an event stream"
		}
		if rawCT == "" {
			rawCT = "none"
		}
		rest, _ := io.ReadAll(io.LimitReader(answer, maxDetail))
		rec.CloseMs = ms(time.Since(t0))
		rec.Error = results.ErrUnexpectedContentType
		rec.ErrorDetail = r.detail("content type " + rawCT + ", not " + want + ": " + printable(rest))
	}
	return o
}

// Formats an answer body can have.
const (
	formatOther  = iota // neither: unexpected_content_type
	formatStream        // server-sent events
	formatJSON          // one JSON document
)

// isJSONType reports whether a media type is JSON (application/json or a
// +json type).
func isJSONType(ct string) bool { return ct == "application/json" || strings.HasSuffix(ct, "+json") }

// sniff decides how to read a 200 answer from its media type and its first
// bytes (nil when none arrived before an error or the end): JSON types are
// read whole; text/event-stream, a missing type and text/plain (servers
// that forget the header) are read as a stream when the body starts like
// SSE, a text/plain or untyped body that starts with '{' is read whole;
// anything else (text/html, say) is neither.
func sniff(ct string, head []byte) int {
	switch {
	case isJSONType(ct):
		return formatJSON
	case ct != "text/event-stream" && ct != "" && ct != "text/plain":
		return formatOther
	case len(head) == 0 || looksLikeSSE(head):
		return formatStream // an empty or failed body is judged by the stream reader
	case ct != "text/event-stream" && head[0] == '{':
		return formatJSON
	}
	return formatOther
}

// sseStarts are the ways the first line of an event stream can begin.
var sseStarts = []string{"data:", "event:", "id:", "retry:", ":", "\n", "\r"}

// looksLikeSSE reports whether b can be the start of an event stream: its
// first line is a comment, a blank line or one of the SSE fields (b may end
// before the field name does).
func looksLikeSSE(b []byte) bool {
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")) // a UTF-8 byte order mark
	for _, p := range sseStarts {
		n := min(len(p), len(b))
		if n > 0 && string(b[:n]) == p[:n] {
			return true
		}
	}
	return false
}

// peekBody reads the first bytes of body that arrive (one read that
// returns data, at most sniffLen bytes: enough to sniff, and a copy from
// the transport's buffer, not a syscall of its own) and returns them with
// a reader that yields the whole body again. On an error or at the end
// head is what was read, possibly nothing; the reader then returns that
// error after head. It allocates once.
func peekBody(body io.Reader) (head []byte, all io.Reader) {
	p := &prefixReader{r: body}
	var n int
	var err error
	for n == 0 && err == nil {
		n, err = body.Read(p.buf[:])
	}
	p.head = p.buf[:n]
	return p.head, p
}

// sniffLen is how many bytes peekBody reads: "retry:" after a byte order mark.
const sniffLen = 16

// prefixReader reads head, then r.
type prefixReader struct {
	buf  [sniffLen]byte
	head []byte
	r    io.Reader
}

func (p *prefixReader) Read(b []byte) (int, error) {
	if len(p.head) > 0 {
		n := copy(b, p.head)
		p.head = p.head[n:]
		return n, nil
	}
	return p.r.Read(b)
}

// printable turns the first bytes of a body into one line for a detail:
// control characters and invalid UTF-8 become spaces, runs of spaces one.
func printable(b []byte) string {
	var sb strings.Builder
	space := false
	for _, c := range strings.ToValidUTF8(string(b), " ") {
		if c < 0x20 || c == 0x7f || c == ' ' || !unicode.IsPrint(c) {
			if !space && sb.Len() > 0 {
				sb.WriteByte(' ')
			}
			space = true
			continue
		}
		space = false
		sb.WriteRune(c)
	}
	return strings.TrimSpace(sb.String())
}
