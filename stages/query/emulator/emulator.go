// Package emulator is an OpenAI-compatible chat completions server that
// behaves like vLLM serving a reasoning model (gpt-oss): role-only first
// chunk, reasoning deltas, then content deltas one word piece at a time,
// finish_reason, an optional usage chunk and [DONE]. Timings, answers and
// injected faults follow a Profile and are deterministic for
// a seed, so the query stage can be tested and benchmarked over real HTTP
// without a GPU.
//
// Wire choices (documented contract):
//   - The reasoning field is "reasoning" (vLLM's name) for usage vllm and
//     none, and "reasoning_content" for usage sambanova, in stream deltas
//     and in non-streaming messages.
//   - A token is a word piece as cut by the emulator: optional leading white
//     space, then a run of letters and digits or one other character. Each
//     token-bearing stream event carries exactly one token.
//   - Prompt tokens are estimated as PromptTokens documents.
//   - Reasoning counts against max_tokens (max_completion_tokens when both
//     are set and smaller): a budget smaller than the reasoning gives empty
//     content and finish_reason "length".
//   - Stream: a role-only chunk {"role":"assistant","content":""} at once,
//     reasoning deltas, content deltas, a chunk with an empty delta and
//     finish_reason "stop" or "length", then (if stream_options.include_usage
//     and usage is not none) a chunk with "choices":[] and usage
//     {prompt_tokens, total_tokens, completion_tokens,
//     completion_tokens_details.reasoning_tokens}, then data: [DONE].
//   - Usage sambanova adds SambaNova's server timings to usage:
//     time_to_first_token and total_latency (seconds from the request's
//     arrival until the first and the last token-bearing event were
//     written to the connection: each is written on its own and the clock
//     is read when the write returns), completion_tokens_per_sec, completion_tokens_after_first_per_sec,
//     total_tokens_per_sec, start_time and end_time (Unix seconds),
//     is_last_response and stop_reason.
//
// Answers: with probability profile.Accuracy a gold answer of the sample the
// Lookup returns (one picked deterministically; the empty string for a SQuAD
// v2 IsImpossible sample), otherwise 1 to 4 consecutive words of its context
// that do not normalize to a gold answer. For an unknown sample the answer is
// a span of the prompt's "Context:" section, or FixedAnswer without one.
// Style chatty wraps a non-empty answer in a sentence with the answer in
// bold, e.g. "The answer is **X**." (template chosen per request). At
// temperature 0 every content choice is keyed on the messages, model and
// temperature, not the request id, so repeats of a prompt answer alike.
//
// Timing: the first token-bearing event is due TTFT after the request
// arrived, each further one 1/tokens_per_second later, each interval scaled
// by a factor in [1-jitter, 1+jitter]. Every event is scheduled against an
// absolute deadline from the request's arrival (no drift from late wakeups)
// and flushed before the next wait; the last stretch of a wait
// (preciseWindow) is slept with nanosleep(2) by one goroutine at a time, so
// that the emulator itself is punctual to about 0.1 ms where a Go timer
// alone wakes up 0 to 1 ms late. Zero TTFT and zero tokens_per_second mean
// "as fast as possible" and read no clock per event.
//
// Capacity (profile.max_batch, profile.batch_slowdown): with max_batch set,
// at most that many requests are decoded at once; a later request waits in
// the server's queue for a free slot, and its schedule starts when it gets
// one, so the wait shows in its TTFT. With batch_slowdown set, the TTFT and
// every token gap are stretched by BatchFactor of the number of requests
// being decoded when the event is planned, so latency grows with load. The
// jittered plan stays a pure function of seed and request; how much the
// batch stretches it depends on what else is in flight.
//
// Faults (profile.Faults): one uniform draw per attempt is cut into the
// shares rate_429, rate_500, disconnect, stall, malformed, error_event, in
// that order. Attempts are counted per request key in memory (one small
// entry per distinct request, only when a fault share is set), so a retry of
// the same request draws again. rate_429: 429 with Retry-After (whole
// seconds, rounded up) and Retry-After-Ms, type RateLimitError. rate_500:
// 500 before any stream byte. Mid-stream faults fire after 1 to half of the
// token events: disconnect aborts the connection (no finish, no [DONE]);
// stall sends nothing for stall_for, then finishes normally (ends early if
// the client goes away or the server shuts down); malformed inserts one
// chunk that is not valid JSON and finishes normally; error_event sends
// data: {"error":{"message":...,"type":"internal_error","code":500}} and
// ends the stream without [DONE]. Without streaming: disconnect aborts
// before any byte, stall delays the answer, malformed sends a cut-short body
// with status 200, error_event answers 500.
//
// Errors are OpenAI-style: {"error":{"message","type","param","code"}}; bad
// JSON and invalid fields are 400 BadRequestError, unknown paths 404,
// reject_stream_options turns any stream_options into a 400 naming it. Any
// model name is accepted and GET /v1/models lists the names seen.
//
// Imports: pipeline (Duration, samples) and helper packages only;
// emulator must not import a stage: stages/query imports it to serve
// emulate: platforms, and cmd/inferbench to serve the emulate command.
package emulator

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/inferbench/inferbench/pipeline"
)

// Lookup maps a request's messages to the sample it asks about (nil if unknown).
// It must be safe for concurrent use and must not keep the messages slice
// after it returns (the emulator reuses its memory; the strings are safe to keep).
type Lookup func(messages []pipeline.Message) *pipeline.Sample

// DefaultModel is listed by GET /v1/models before any request named a model,
// and answers requests that name none.
const DefaultModel = "inferbench-emulator"

// DefaultRetryAfter is the Retry-After of injected 429s when the profile sets none.
const DefaultRetryAfter = time.Second

// DefaultStallFor is how long an injected stall lasts when the profile sets none.
const DefaultStallFor = 30 * time.Second

// maxBodyBytes bounds a request body; larger ones get 413.
const maxBodyBytes = 16 << 20

// Server is the emulator. It implements http.Handler and is safe for
// concurrent use. Routes: POST /v1/chat/completions and GET /v1/models;
// anything else is a 404 (or 405) with an OpenAI-style error body.
type Server struct {
	profile        Profile
	seed           uint64
	lookup         Lookup
	reasoningField string
	sambanova      bool
	noUsage        bool
	faulty         bool
	retryAfter     time.Duration
	stallFor       time.Duration
	filler         []string
	fillerStarts   []int
	attempts       sync.Map // request key -> *atomic.Uint32
	models         sync.Map // model name -> struct{}
	pool           sync.Pool
	// slots holds one token per request being decoded when the profile
	// sets max_batch (nil: no limit); active counts those requests.
	slots  chan struct{}
	active atomic.Int64
}

// New returns the emulator for a profile; seed makes every choice deterministic.
// lookup may be nil: then every sample is unknown and answers come from the
// prompt's "Context:" section (see the package doc). Every choice (answer,
// style, reasoning text, timing jitter) is a pure function of seed and the
// request (its X-Request-Id header if present, else a hash of its messages,
// plus model and temperature); fault decisions also depend on the attempt,
// counted per request so that a retried request can succeed. At temperature
// 0 the content (answer, right or wrong span, style, reasoning text) ignores
// the request id and depends on seed, messages, model and temperature only,
// as a greedy model answers the same prompt the same way on every repeat;
// timing jitter and faults stay per request id and attempt.
func New(profile Profile, seed int64, lookup Lookup) *Server {
	s := &Server{
		profile:        profile,
		seed:           mix(uint64(seed)),
		lookup:         lookup,
		reasoningField: "reasoning",
		retryAfter:     profile.Faults.RetryAfter.D(),
		stallFor:       profile.Faults.StallFor.D(),
	}
	switch profile.Usage {
	case "sambanova":
		s.sambanova = true
		s.reasoningField = "reasoning_content"
	case "none":
		s.noUsage = true
	}
	if s.retryAfter <= 0 {
		s.retryAfter = DefaultRetryAfter
	}
	if s.stallFor <= 0 {
		s.stallFor = DefaultStallFor
	}
	f := profile.Faults
	s.faulty = f.Rate429 > 0 || f.Rate500 > 0 || f.Disconnect > 0 || f.Stall > 0 || f.Malformed > 0 || f.ErrorEvent > 0
	// The filler is cut with the space between sentences leading each
	// piece, the wrap-around of the cycle included, so that no piece is
	// white space alone: cut as written, its trailing space was a piece of
	// its own and a sentence start, and a response starting there sent an
	// empty first reasoning delta (trimmed to "") that usage and
	// time_to_first_token counted as a token but no client can see as one.
	s.filler = pieces(" " + strings.TrimSpace(reasoningFiller))
	for i, p := range s.filler {
		if i == 0 || strings.HasSuffix(s.filler[i-1], ".") && p[0] == ' ' {
			s.fillerStarts = append(s.fillerStarts, i)
		}
	}
	s.pool.New = func() any { return new(scratch) }
	if profile.MaxBatch > 0 {
		s.slots = make(chan struct{}, profile.MaxBatch)
	}
	return s
}

// admit waits for a decoding slot (at once without max_batch) and counts
// the request as active until release is called; ok is false when ctx
// ended while the request was queued.
func (s *Server) admit(ctx context.Context) (release func(), ok bool) {
	if s.slots != nil {
		select {
		case s.slots <- struct{}{}:
		case <-ctx.Done():
			return nil, false
		}
	}
	s.active.Add(1)
	return func() {
		s.active.Add(-1)
		if s.slots != nil {
			<-s.slots
		}
	}, true
}

// Active returns the number of requests being decoded now.
func (s *Server) Active() int { return int(s.active.Load()) }

// slowdown is the capacity model's factor for the current batch: 1 +
// batch_slowdown x (active - 1).
func (s *Server) slowdown() float64 {
	return BatchFactor(s.profile, int(s.active.Load()))
}

// BatchFactor is how much a batch of batch requests stretches the TTFT and
// every token gap of the profile's requests: 1 + batch_slowdown x (batch -
// 1), and 1 for a batch of at most one. With max_batch set, a batch never
// exceeds max_batch: later requests queue instead.
func BatchFactor(profile Profile, batch int) float64 {
	if profile.MaxBatch > 0 && batch > profile.MaxBatch {
		batch = profile.MaxBatch
	}
	if batch <= 1 {
		return 1
	}
	return 1 + profile.BatchSlowdown*float64(batch-1)
}

// scratch is the per-request memory, reused through a sync.Pool.
type scratch struct {
	body   bytes.Buffer
	req    chatRequest
	out    []byte
	prefix []byte
	timer  *time.Timer
}

type streamOptions struct {
	IncludeUsage bool `json:"include_usage"`
}

// chatRequest is the part of the request body the emulator reads.
type chatRequest struct {
	Model               string             `json:"model"`
	Messages            []pipeline.Message `json:"messages"`
	Stream              bool               `json:"stream"`
	StreamOptions       *streamOptions     `json:"stream_options"`
	MaxTokens           *int               `json:"max_tokens"`
	MaxCompletionTokens *int               `json:"max_completion_tokens"`
	Temperature         *float64           `json:"temperature"`
}

func (r *chatRequest) reset() {
	msgs := r.Messages[:0]
	*r = chatRequest{Messages: msgs}
}

// ServeHTTP routes a request; see Server.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/v1/chat/completions":
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			s.writeError(w, http.StatusMethodNotAllowed, "method "+r.Method+" not allowed on "+r.URL.Path, "MethodNotAllowed", "")
			return
		}
		s.chat(w, r)
	case "/v1/models":
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", http.MethodGet)
			s.writeError(w, http.StatusMethodNotAllowed, "method "+r.Method+" not allowed on "+r.URL.Path, "MethodNotAllowed", "")
			return
		}
		s.listModels(w)
	default:
		s.writeError(w, http.StatusNotFound, "not found: "+r.URL.Path, "NotFoundError", "")
	}
}

var (
	hdrJSON = []string{"application/json"}
	hdrSSE  = []string{"text/event-stream"}
	hdrNoCa = []string{"no-cache"}
)

// writeError sends an OpenAI-style error with status.
func (s *Server) writeError(w http.ResponseWriter, status int, message, typ, param string) {
	w.Header()["Content-Type"] = hdrJSON
	w.WriteHeader(status)
	_, _ = w.Write(appendError(make([]byte, 0, 128+len(message)), status, message, typ, param))
}

// listModels answers GET /v1/models with the models seen so far (sorted),
// or DefaultModel before any.
func (s *Server) listModels(w http.ResponseWriter) {
	var names []string
	s.models.Range(func(k, _ any) bool {
		names = append(names, k.(string))
		return true
	})
	if len(names) == 0 {
		names = []string{DefaultModel}
	}
	slices.Sort(names)
	b := []byte(`{"object":"list","data":[`)
	for i, n := range names {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"id":`...)
		b = appendJSONString(b, n)
		b = append(b, `,"object":"model","created":0,"owned_by":"inferbench-emulator","root":`...)
		b = appendJSONString(b, n)
		b = append(b, `,"parent":null}`...)
	}
	b = append(b, "]}"...)
	w.Header()["Content-Type"] = hdrJSON
	_, _ = w.Write(b)
}

// fault is the failure injected into one attempt.
type fault uint8

const (
	faultNone fault = iota
	fault429
	fault500
	faultDisconnect
	faultStall
	faultMalformed
	faultErrorEvent
)

// pickFault decides the fault of one attempt: a single uniform draw is cut
// into consecutive shares in the order 429, 500, disconnect, stall,
// malformed, error_event, so each share is exact when they sum to <= 1.
func (s *Server) pickFault(key uint64, attempt uint32) fault {
	if !s.faulty {
		return faultNone
	}
	u := unit(key^mix(uint64(attempt)+1), saltFault)
	f := s.profile.Faults
	shares := [...]float64{f.Rate429, f.Rate500, f.Disconnect, f.Stall, f.Malformed, f.ErrorEvent}
	acc := 0.0
	for i, p := range shares {
		acc += p
		if u < acc {
			return fault(i + 1)
		}
	}
	return faultNone
}

// attempt returns how many earlier requests had this key (0 for the first).
func (s *Server) attempt(key uint64) uint32 {
	v, ok := s.attempts.Load(key)
	if !ok {
		v, _ = s.attempts.LoadOrStore(key, new(atomic.Uint32))
	}
	return v.(*atomic.Uint32).Add(1) - 1
}

func (s *Server) chat(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	sc := s.pool.Get().(*scratch)
	defer s.pool.Put(sc)
	sc.body.Reset()
	if _, err := sc.body.ReadFrom(http.MaxBytesReader(w, r.Body, maxBodyBytes)); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			s.writeError(w, http.StatusRequestEntityTooLarge, "request body too large", "BadRequestError", "")
			return
		}
		s.writeError(w, http.StatusBadRequest, "reading request body: "+err.Error(), "BadRequestError", "")
		return
	}
	req := &sc.req
	req.reset()
	if err := json.Unmarshal(sc.body.Bytes(), req); err != nil {
		s.writeError(w, http.StatusBadRequest, "invalid request JSON: "+err.Error(), "BadRequestError", "")
		return
	}
	if len(req.Messages) == 0 {
		s.writeError(w, http.StatusBadRequest, "messages must be a non-empty list", "BadRequestError", "messages")
		return
	}
	if s.profile.RejectStreamOptions && req.StreamOptions != nil {
		s.writeError(w, http.StatusBadRequest, "Unrecognized request argument supplied: stream_options", "BadRequestError", "stream_options")
		return
	}
	budget := -1
	for _, p := range [...]*int{req.MaxTokens, req.MaxCompletionTokens} {
		if p == nil {
			continue
		}
		if *p < 1 {
			s.writeError(w, http.StatusBadRequest, "max_tokens must be at least 1, got "+strconv.Itoa(*p), "BadRequestError", "max_tokens")
			return
		}
		if budget < 0 || *p < budget {
			budget = *p
		}
	}
	model := req.Model
	if model == "" {
		model = DefaultModel
	}
	if _, ok := s.models.Load(model); !ok {
		s.models.LoadOrStore(strings.Clone(model), struct{}{})
	}
	temperature := 1.0
	if req.Temperature != nil {
		temperature = *req.Temperature
	}
	requestID := r.Header.Get("X-Request-Id")
	// key decides timing jitter and faults (per request id and attempt);
	// ckey decides the content, which at temperature 0 ignores the id.
	key := mix(s.seed ^ requestKey(requestID, req.Messages, model, temperature))
	ckey := key
	if temperature == 0 {
		ckey = mix(s.seed ^ contentKey(requestID, req.Messages, model, temperature))
	}

	var flt fault
	if s.faulty {
		flt = s.pickFault(key, s.attempt(key))
	}
	switch flt {
	case fault429:
		ra := s.retryAfter
		secs := int64((ra + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
		w.Header().Set("Retry-After-Ms", strconv.FormatInt(ra.Milliseconds(), 10))
		s.writeError(w, http.StatusTooManyRequests, "rate limit exceeded (fault injection); retry after "+ra.String(), "RateLimitError", "")
		return
	case fault500:
		s.writeError(w, http.StatusInternalServerError, "internal server error (fault injection)", "InternalServerError", "")
		return
	}

	var sample *pipeline.Sample
	if s.lookup != nil {
		sample = s.lookup(req.Messages)
	}
	p := plan{
		key:     key,
		model:   model,
		content: styleAnswer(ckey, s.profile.Style, answerFor(ckey, s.profile.Accuracy, sample, req.Messages)),
		prompt:  PromptTokens(req.Messages),
		fault:   flt,
		start:   start,
	}
	p.reasoningOff = s.fillerStarts[mix(ckey^saltReasoning)%uint64(len(s.fillerStarts))]
	p.reasoningN = s.profile.ReasoningTokens
	contentTotal := countPieces(p.content)
	p.finish = "stop"
	if budget >= 0 {
		if p.reasoningN > budget {
			p.reasoningN = budget
		}
		if rest := budget - p.reasoningN; contentTotal > rest {
			p.contentN = rest
			p.finish = "length"
		} else {
			p.contentN = contentTotal
		}
		if p.reasoningN < s.profile.ReasoningTokens {
			p.finish = "length"
		}
	} else {
		p.contentN = contentTotal
	}
	if flt != faultNone {
		total := p.reasoningN + p.contentN
		half := total / 2
		if half < 1 {
			half = 1
		}
		p.faultAt = 1 + int(unit(key, saltFaultAt)*float64(half))
		if p.faultAt > total {
			p.faultAt = total
		}
	}
	if id := r.Header["X-Request-Id"]; len(id) > 0 {
		w.Header()["X-Request-Id"] = id // echoed like vLLM, without a copy
	}
	release, ok := s.admit(r.Context())
	if !ok {
		return
	}
	defer release()
	if s.slots != nil {
		p.start = time.Now() // the queue wait comes before the first token
	}
	if req.Stream {
		includeUsage := req.StreamOptions != nil && req.StreamOptions.IncludeUsage && !s.noUsage
		s.stream(w, r.Context(), sc, &p, includeUsage)
		return
	}
	s.complete(w, r.Context(), sc, &p)
}

// plan is everything decided about one response before its first byte.
type plan struct {
	key          uint64
	model        string
	content      string
	prompt       int
	reasoningOff int
	reasoningN   int // reasoning tokens sent
	contentN     int // content tokens sent
	finish       string
	fault        fault
	faultAt      int // token events sent before a mid-stream fault fires
	start        time.Time
}

// schedule yields the absolute deadline of each token-bearing event: the
// first at TTFT, then one gap of 1/tokens_per_second each, every one jittered
// by ±jitter with a factor drawn from (key, index). Deadlines are offsets
// from the request's arrival, so sleeping late never accumulates drift.
type schedule struct {
	// slow, when set, stretches the TTFT and each gap by the server's
	// current batch factor, read as the event is planned.
	slow   func() float64
	key    uint64
	ttft   time.Duration
	gap    float64 // nanoseconds per token; 0 = as fast as possible
	jitter float64
	i      int
	off    time.Duration
}

func newSchedule(key uint64, prof *Profile) schedule {
	sc := schedule{key: key, jitter: prof.Jitter}
	sc.ttft = time.Duration(float64(prof.TTFT.D()) * sc.factor(saltTTFT))
	if prof.TokensPerSecond > 0 {
		sc.gap = 1e9 / prof.TokensPerSecond
	}
	return sc
}

func (sc *schedule) factor(salt uint64) float64 {
	if sc.jitter == 0 {
		return 1
	}
	return 1 + sc.jitter*(2*unit(sc.key^mix(uint64(sc.i)+1), salt)-1)
}

// Plan returns the injected truth of one request: the offsets from the
// request's arrival at which a Server made by New(profile, seed, ...) plans
// to send its first and its last token-bearing event, for a response of
// tokens such events and the X-Request-Id, model and temperature the
// request carried. The server never sends earlier than its plan; it may
// send later (its own lateness), which is what timing benchmarks measure a
// client's reported TTFT and E2E against. Plan is a pure function, exported
// for the query stage's timing-fidelity benchmark, which checks every
// reported time against it.
func Plan(profile Profile, seed int64, requestID, model string, temperature float64, tokens int) (ttft, e2e time.Duration) {
	sc := newSchedule(mix(mix(uint64(seed))^requestKey(requestID, nil, model, temperature)), &profile)
	ttft = sc.next()
	e2e = ttft
	for i := 1; i < tokens; i++ {
		e2e = sc.next()
	}
	return ttft, e2e
}

// next returns the offset of the next token event from the request's arrival.
func (sc *schedule) next() time.Duration {
	f := 1.0
	if sc.slow != nil {
		f = sc.slow()
	}
	if sc.i == 0 {
		sc.off = time.Duration(float64(sc.ttft) * f)
	} else if sc.gap > 0 {
		sc.off += time.Duration(sc.gap * sc.factor(saltGap) * f)
	}
	sc.i++
	return sc.off
}

// preciseWindow is the last stretch of a wait that one goroutine at a time
// may sleep with sleepPrecise instead of a Go timer, and maxPrecise is how
// many may do so at once. A Go timer wakes up 0 to about 1 ms late, which
// would be the emulator's own error in every injected TTFT and token gap;
// nanosleep blocks a thread (and, until the scheduler takes it back, its
// P), so the number of such sleeps is capped below GOMAXPROCS on this
// 2-core target, and the others wait with the timer alone.
const (
	preciseWindow = 1500 * time.Microsecond
	maxPrecise    = 1
)

// precise counts the goroutines in a precise sleep (see maxPrecise).
var precise atomic.Int32

// wait blocks until deadline or ctx is done; it reports false on ctx done.
// A Go timer covers the wait up to preciseWindow before the deadline; the
// rest is slept precisely when a slot is free (see maxPrecise), else with
// the timer. ctx is not watched during a precise sleep (at most
// preciseWindow).
func (sc *scratch) wait(ctx context.Context, deadline time.Time) bool {
	d := time.Until(deadline)
	if d <= 0 {
		return ctx.Err() == nil
	}
	if d > preciseWindow {
		if !sc.sleep(ctx, d-preciseWindow) {
			return false
		}
		if d = time.Until(deadline); d <= 0 {
			return true
		}
	}
	if precise.Add(1) <= maxPrecise {
		sleepPrecise(d)
		precise.Add(-1)
		return ctx.Err() == nil
	}
	precise.Add(-1)
	return sc.sleep(ctx, d)
}

// sleep waits d on the reused timer; it reports false when ctx is done first.
func (sc *scratch) sleep(ctx context.Context, d time.Duration) bool {
	if sc.timer == nil {
		sc.timer = time.NewTimer(d)
	} else {
		sc.timer.Reset(d)
	}
	select {
	case <-sc.timer.C:
		return true
	case <-ctx.Done():
		sc.timer.Stop()
		return false
	}
}

// token returns the text of token event i: reasoning first, then content.
func (s *Server) token(p *plan, i int, contentAt *int) (field string, tok string) {
	if i < p.reasoningN {
		return s.reasoningField, s.reasoningPiece(p, i)
	}
	j := nextPiece(p.content, *contentAt)
	tok = p.content[*contentAt:j]
	*contentAt = j
	return "content", tok
}

// reasoningPiece is reasoning token i of the response: the filler cycled
// from the plan's sentence, the first piece without its leading space.
func (s *Server) reasoningPiece(p *plan, i int) string {
	tok := s.filler[(p.reasoningOff+i)%len(s.filler)]
	if i == 0 {
		tok = strings.TrimLeft(tok, " ")
	}
	return tok
}

// stream writes the SSE response. Events are appended to a reused buffer and
// written (and flushed) whenever the next event has to wait, and at the end.
func (s *Server) stream(w http.ResponseWriter, ctx context.Context, sc *scratch, p *plan, includeUsage bool) {
	flusher, _ := w.(http.Flusher)
	h := w.Header()
	h["Content-Type"] = hdrSSE
	h["Cache-Control"] = hdrNoCa
	w.WriteHeader(http.StatusOK)

	sc.prefix = appendChunkPrefix(sc.prefix[:0], p.key, time.Now().Unix(), p.model)
	out := append(sc.out[:0], sc.prefix...)
	out = append(out, roleDelta...)
	out = append(out, sseEnd...)
	flush := func() {
		if len(out) > 0 {
			_, _ = w.Write(out)
			out = out[:0]
		}
		if flusher != nil {
			flusher.Flush()
		}
	}
	defer func() { sc.out = out[:0] }()
	// The role chunk is not a token. It goes out at once whenever the first
	// token has to wait (the loop flushes before every wait, like vLLM sends
	// it before the first token); with zero delays the whole response is one
	// write.

	sched := newSchedule(p.key, &s.profile)
	if s.profile.BatchSlowdown > 0 {
		sched.slow = s.slowdown
	}
	var shift time.Duration
	var firstTok, lastTok time.Time
	total := p.reasoningN + p.contentN
	contentAt := 0
	for i := 0; i <= total; i++ {
		if p.fault != faultNone && i == p.faultAt {
			switch p.fault {
			case faultDisconnect:
				flush()
				panic(http.ErrAbortHandler)
			case faultStall:
				flush()
				if !sc.wait(ctx, time.Now().Add(s.stallFor)) {
					return
				}
				shift += s.stallFor
			case faultMalformed:
				out = append(out, sc.prefix...)
				out = append(out, malformedChunk...)
				out = append(out, sseEnd...)
			case faultErrorEvent:
				out = append(out, errorEvent...)
				flush()
				return
			}
		}
		var off time.Duration
		if i < total || total == 0 {
			off = sched.next() + shift
		} else {
			off = sched.off + shift // the finish chunk follows the last token at once
		}
		// A zero offset is already due: no clock read on the zero-delay path.
		if deadline := p.start.Add(off); off > 0 && time.Until(deadline) > 0 {
			flush()
			if !sc.wait(ctx, deadline) {
				return
			}
		}
		if i == total {
			break
		}
		field, tok := s.token(p, i, &contentAt)
		out = append(out, sc.prefix...)
		out = append(out, deltaOpen...)
		out = append(out, field...)
		out = append(out, '"', ':')
		out = appendJSONString(out, tok)
		out = append(out, deltaClose...)
		out = append(out, sseEnd...)
		if s.sambanova && (i == 0 || i == total-1) {
			// The server timings are when the first and the last token
			// were handed to the kernel: write them at once and read the
			// clock when the write returns, not before it.
			flush()
			lastTok = time.Now()
			if i == 0 {
				firstTok = lastTok
			}
		}
	}
	out = append(out, sc.prefix...)
	out = append(out, finishOpen...)
	out = append(out, p.finish...)
	out = append(out, finishClose...)
	out = append(out, sseEnd...)
	if includeUsage {
		u := s.usage(p, firstTok, lastTok)
		out = append(out, sc.prefix...)
		out = append(out, usageOpen...)
		out = appendUsage(out, &u, s.sambanova)
		out = append(out, '}')
		out = append(out, sseEnd...)
	}
	out = append(out, sseDone...)
	flush()
}

// usage gathers the usage figures of a finished response. firstTok and
// lastTok are when the first and the last token were sent (zero if none;
// a zero lastTok means now).
func (s *Server) usage(p *plan, firstTok, lastTok time.Time) usageFigures {
	u := usageFigures{
		prompt:     p.prompt,
		completion: p.reasoningN + p.contentN,
		reasoning:  p.reasoningN,
		finish:     p.finish,
	}
	if s.sambanova {
		if lastTok.IsZero() {
			lastTok = time.Now()
		}
		u.total = lastTok.Sub(p.start).Seconds()
		u.ttft = u.total
		if !firstTok.IsZero() {
			u.ttft = firstTok.Sub(p.start).Seconds()
		}
		u.startUnix = float64(p.start.UnixNano()) / 1e9
	}
	return u
}

// complete writes a non-streaming chat.completion after the time the whole
// stream would have taken. Faults: disconnect aborts the connection before
// any byte, stall delays the response by stall_for, malformed sends a body
// cut short, error_event answers 500 with an error body.
func (s *Server) complete(w http.ResponseWriter, ctx context.Context, sc *scratch, p *plan) {
	sched := newSchedule(p.key, &s.profile)
	if s.profile.BatchSlowdown > 0 {
		sched.slow = s.slowdown
	}
	total := p.reasoningN + p.contentN
	var off, first time.Duration
	for i := 0; i < total || i == 0; i++ {
		off = sched.next()
		if i == 0 {
			first = off
		}
	}
	switch p.fault {
	case faultStall:
		off += s.stallFor
	case faultErrorEvent:
		s.writeError(w, http.StatusInternalServerError, "emulated internal error (fault injection)", "internal_error", "")
		return
	}
	if p.fault == faultDisconnect {
		if sc.wait(ctx, p.start.Add(first)) {
			panic(http.ErrAbortHandler)
		}
		return
	}
	if !sc.wait(ctx, p.start.Add(off)) {
		return
	}
	b := append(sc.out[:0], `{"id":"`...)
	b = appendID(b, p.key)
	b = append(b, '"')
	b = append(b, completionObj...)
	b = strconv.AppendInt(b, time.Now().Unix(), 10)
	b = append(b, modelKey...)
	b = appendJSONString(b, p.model)
	b = append(b, choicesOpen...)
	if p.fault == faultMalformed {
		b = append(b, malformedChunk...)
		w.Header()["Content-Type"] = hdrJSON
		_, _ = w.Write(b)
		sc.out = b[:0]
		return
	}
	b = append(b, `{"index":0,"message":{"role":"assistant","content":`...)
	contentAt := 0
	for i := 0; i < p.contentN; i++ {
		contentAt = nextPiece(p.content, contentAt)
	}
	b = appendJSONString(b, p.content[:contentAt])
	b = append(b, ',', '"')
	b = append(b, s.reasoningField...)
	b = append(b, '"', ':', '"')
	for i := 0; i < p.reasoningN; i++ {
		b = appendJSONChars(b, s.reasoningPiece(p, i))
	}
	b = append(b, `","tool_calls":[]},"logprobs":null,"finish_reason":`...)
	b = appendJSONString(b, p.finish)
	b = append(b, `,"stop_reason":null}]`...)
	if !s.noUsage {
		firstTok := p.start.Add(first)
		if total == 0 {
			firstTok = time.Time{}
		}
		u := s.usage(p, firstTok, time.Time{})
		b = append(b, `,"usage":`...)
		b = appendUsage(b, &u, s.sambanova)
	}
	b = append(b, '}')
	w.Header()["Content-Type"] = hdrJSON
	_, _ = w.Write(b)
	sc.out = b[:0]
}
