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
//     token-bearing stream event carries one token, or tokens_per_chunk
//     of them. Word pieces agree with o200k_base tokens exactly on the
//     reasoning filler and within 10% on English answer text (a test
//     keeps it so), so usage is close to what a client counts with o200k.
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
// Metrics: GET /metrics answers in the Prometheus text format with vLLM's
// names (see metrics.go): the requests decoded, those queued for a slot,
// the KV cache the batch holds and a preemption counter that stays 0.
//
// Faults (profile.Faults): one uniform draw per attempt is cut into the
// shares rate_429, rate_500, disconnect, stall, malformed, error_event, in
// that order. Attempts are counted per request key in memory (one small
// entry per distinct request, only when a fault share is set), so a retry of
// the same request draws again. rate_429: 429 with Retry-After (whole
// seconds, rounded up) and Retry-After-Ms, type "requests", code
// "rate_limit_exceeded". rate_500: 500 server_error before any stream
// byte. Mid-stream faults fire after 1 to half of the token events:
// disconnect aborts the connection (no finish, no [DONE]);
// stall sends nothing for stall_for, then finishes normally (ends early if
// the client goes away or the server shuts down); malformed inserts one
// chunk that is not valid JSON and finishes normally; error_event sends
// data: {"error":{"message":...,"type":"server_error","param":null,"code":null}}
// and ends the stream without [DONE]. Without streaming: disconnect aborts
// before any byte, stall delays the answer, malformed sends a cut-short body
// with status 200, error_event answers 500.
//
// Errors answer like the OpenAI API (see apierror.go): the body is
// {"error":{"message","type","param","code"}} with the API's status codes and
// types, code a string or null. Rejected like the API: a body that is not
// JSON, no model, no messages, a message role the API does not know, a
// temperature outside [0, 2], max_tokens below 1 and stream_options without
// stream (400 invalid_request_error, param naming the field); a model not in
// the list given by WithModels (404 model_not_found; without the option any
// model is accepted and GET /v1/models lists the names seen); a missing or
// refused bearer token when WithAuth is given (401 invalid_api_key);
// unknown paths (404) and methods (405). reject_stream_options turns any
// stream_options into a 400 naming it.
//
// Identity: every response gets a fresh id ("chatcmpl-" and 16 hex digits,
// unique within the process and random across processes, as the API's are),
// and every answer carries an X-Request-Id header: the client's own when it
// sent one (vLLM echoes it), else a fresh "req_" id. The id is not part of
// any deterministic choice.
//
// Imports: pipeline/config (messages, samples), pipeline (Register),
// stages/tokenize (prompt tokens counted with o200k_base) and helper
// packages only; emulator must not
// import another stage: stages/query imports it to serve
// emulate: platforms, and cmd/inferbench to serve the emulate command.
package emulator

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/inferbench/inferbench/pipeline/config"
)

// Lookup maps a request's messages to the sample it asks about (nil if unknown).
// It must be safe for concurrent use and must not keep the messages slice
// after it returns (the emulator reuses its memory; the strings are safe to keep).
type Lookup func(messages []config.Message) *config.Sample

// DefaultModel is listed by GET /v1/models before any request named a
// model when the server was given no model list (WithModels).
const DefaultModel = "inferbench-emulator"

// DefaultRetryAfter is the Retry-After of injected 429s when the profile sets none.
const DefaultRetryAfter = time.Second

// DefaultStallFor is how long an injected stall lasts when the profile sets none.
const DefaultStallFor = 30 * time.Second

// maxBodyBytes bounds a request body; larger ones get 413.
const maxBodyBytes = 16 << 20

// Server is the emulator. It implements http.Handler and is safe for
// concurrent use. Routes: POST /v1/chat/completions, GET /v1/models and
// GET /metrics (Prometheus text, vLLM's names; see metrics); anything else is a 404 (or 405) with an OpenAI-style error body.
type Server struct {
	// prompts caches the prompt token count of each prompt seen.
	prompts        promptCounts
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
	// known, when set (WithModels), are the only models served, in the
	// order given; auth, when set (WithAuth), judges bearer tokens.
	known []string
	auth  func(token string) bool
	// idBase is drawn at random when the server is made and idSeq counts
	// the ids handed out, so that ids differ between processes and
	// within one (see nextID).
	idBase uint64
	idSeq  atomic.Uint64
	// slots holds one token per request being decoded when the profile
	// sets max_batch (nil: no limit); active counts those requests.
	slots  chan struct{}
	active atomic.Int64
	// waiting counts the requests queued for a slot; kvTokens the tokens
	// the active requests hold in the emulated KV cache (see metrics).
	waiting  atomic.Int64
	kvTokens atomic.Int64
}

// Option configures a Server.
type Option func(*Server)

// WithModels makes the server serve only the named models, as the API
// serves the models an account has: a request for any other model is a
// 404 model_not_found, and GET /v1/models lists these. Without it any
// model name is accepted, and so it is when names is empty.
func WithModels(names ...string) Option {
	return func(s *Server) {
		if len(names) > 0 {
			s.known = append([]string(nil), names...)
		}
	}
}

// WithAuth makes the server require a bearer token that ok accepts (ok
// must be safe for concurrent use): a request without one, or with one ok
// refuses, is a 401 invalid_api_key. Without it no token is needed.
func WithAuth(ok func(token string) bool) Option {
	return func(s *Server) { s.auth = ok }
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
// timing jitter and faults stay per request id and attempt. Response ids
// are not choices: they are fresh for every response.
func New(profile Profile, seed int64, lookup Lookup, opts ...Option) *Server {
	s := &Server{
		profile:        profile,
		seed:           mix(uint64(seed)),
		lookup:         lookup,
		reasoningField: "reasoning",
		retryAfter:     profile.Faults.RetryAfter.D(),
		stallFor:       profile.Faults.StallFor.D(),
	}
	// Load the prompt tokenizer's vocabulary now (about 0.1 s), not in
	// the first request's time to first token.
	promptTokenizer()
	var nonce [8]byte
	_, _ = crand.Read(nonce[:]) // never fails (crypto/rand panics instead)
	s.idBase = binary.LittleEndian.Uint64(nonce[:])
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
	for _, o := range opts {
		o(s)
	}
	return s
}

// nextID returns a fresh 64-bit id: mix is a bijection, so the ids of one
// server never repeat, and idBase makes them differ between processes.
func (s *Server) nextID() uint64 { return mix(s.idBase + s.idSeq.Add(1)) }

// admit waits for a decoding slot (at once without max_batch), counted
// as waiting meanwhile, and counts the request as active, holding tokens
// of the KV cache, until release is called; ok is false when ctx ended
// while the request was queued.
func (s *Server) admit(ctx context.Context, tokens int) (release func(), ok bool) {
	if s.slots != nil {
		s.waiting.Add(1)
		select {
		case s.slots <- struct{}{}:
			s.waiting.Add(-1)
		case <-ctx.Done():
			s.waiting.Add(-1)
			return nil, false
		}
	}
	s.active.Add(1)
	s.kvTokens.Add(int64(tokens))
	return func() {
		s.kvTokens.Add(-int64(tokens))
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
	body  bytes.Buffer
	req   chatRequest
	out   []byte    // a non-streamed answer
	sw    sseWriter // a streamed answer
	timer *time.Timer
}

// ServeHTTP routes a request; see Server. Every answer carries an
// X-Request-Id: the request's own, else a fresh one.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if id := r.Header["X-Request-Id"]; len(id) > 0 {
		w.Header()["X-Request-Id"] = id // echoed like vLLM, without a copy
	} else {
		w.Header()["X-Request-Id"] = []string{string(appendHex(append(make([]byte, 0, 20), "req_"...), s.nextID()))}
	}
	if r.URL.Path == "/metrics" {
		s.metrics(w, r)
		return
	}
	if s.auth != nil {
		if e := s.authorize(r); e != nil {
			s.writeError(w, e)
			return
		}
	}
	switch r.URL.Path {
	case "/v1/chat/completions":
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			s.writeError(w, errMethod(r))
			return
		}
		s.chat(w, r)
	case "/v1/models":
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", http.MethodGet)
			s.writeError(w, errMethod(r))
			return
		}
		s.listModels(w)
	default:
		s.writeError(w, errNotFound(r))
	}
}

var (
	hdrJSON = []string{"application/json"}
	hdrSSE  = []string{"text/event-stream"}
	hdrNoCa = []string{"no-cache"}
)

// chat answers POST /v1/chat/completions: the request is read and checked
// like the API checks it, every choice about the answer is planned, an
// injected 429 or 500 is sent at once, and otherwise the request waits for
// a decoding slot and is answered as a stream or as one completion.
func (s *Server) chat(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	sc := s.pool.Get().(*scratch)
	defer s.pool.Put(sc)
	req, e := s.readRequest(w, r, sc)
	if e == nil {
		e = s.check(req)
	}
	if e != nil {
		s.writeError(w, e)
		return
	}
	s.noteModel(req.Model)
	p := s.newPlan(r, req, start)
	switch p.fault {
	case fault429:
		s.writeRateLimit(w)
		return
	case fault500:
		s.writeError(w, errInjected500)
		return
	}
	release, ok := s.admit(r.Context(), p.prompt+p.reasoningN+p.contentN)
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
