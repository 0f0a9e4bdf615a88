package query

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/inferbench/inferbench/pipeline"
	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/results"
	"github.com/inferbench/inferbench/pipeline/runfolder"
	"github.com/inferbench/inferbench/stages/tokenize"
)

// Default retry backoff: attempt n waits a uniformly random time in
// [0, min(DefaultBackoffMax, DefaultBackoffBase * 2^(n-1))] ("full jitter"),
// unless the server sent Retry-After, which is honoured instead.
const (
	DefaultBackoffBase = 500 * time.Millisecond
	DefaultBackoffMax  = 30 * time.Second
)

// openLoopIdleConns is how many idle connections an open-loop platform
// without a concurrency cap keeps for reuse: its requests in flight are
// bounded by the rate, not by a worker count.
const openLoopIdleConns = 512

// Querier is the query stage (pipeline.Querier). One Querier may run the
// jobs of several platforms at the same time; each job gets its own HTTP
// transport, token and schedule. It is safe for concurrent use.
type Querier struct {
	backoffBase, backoffMax time.Duration
	// dial, when set, replaces the network dialer (tests).
	dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// metricsNoted holds the platforms whose metrics endpoint failure was
	// noted (see metricsFailed).
	metricsNoted sync.Map
}

// Option configures a Querier.
type Option func(*Querier)

// WithBackoff sets the retry backoff base and cap (zero keeps the default).
// The binary keeps the defaults; it is exported, like WithDialer, for
// tests and for programs that embed the query stage.
func WithBackoff(base, maxWait time.Duration) Option {
	return func(q *Querier) {
		if base > 0 {
			q.backoffBase = base
		}
		if maxWait > 0 {
			q.backoffMax = maxWait
		}
	}
}

// WithDialer replaces the dialer that opens connections to endpoints; the
// platform's connect timeout still applies to it through its context. For
// tests and for unusual networks; nil keeps net.Dialer.
func WithDialer(dial func(ctx context.Context, network, addr string) (net.Conn, error)) Option {
	return func(q *Querier) { q.dial = dial }
}

// New returns a Querier with the default backoff.
func New(opts ...Option) *Querier {
	q := &Querier{backoffBase: DefaultBackoffBase, backoffMax: DefaultBackoffMax}
	for _, o := range opts {
		o(q)
	}
	return q
}

// Register sets reg.Querier to a default Querier and adds its rules on
// the settings of its requests (base_url, params.extra), the built-in
// level models (RegisterLevelModels) and the emulator's block.
func Register(reg *pipeline.Registry) {
	reg.Querier = New()
	reg.AddRequestChecker(requestRules{})
	registerTokenizers(reg)
	RegisterLevelModels(reg)
	registerEmulator(reg)
}

// run is one platform job in progress.
type run struct {
	q      *Querier
	job    pipeline.QueryJob
	emit   func(results.Record)
	url    string
	base   string // the endpoint's base URL (the emulator's when emulated)
	client *http.Client
	tr     *http.Transport
	tokens *tokenSource
	sec    *secrets // every token and header value; finish redacts them
	// tok holds each model's tokenizer (nil: none); prompts caches the
	// prompt counts.
	tok     map[string]tokenize.Tokenizer
	prompts promptCounts
	body    *bodyBuilder
	sse     sync.Pool
	noOpts  atomic.Bool
	optNote sync.Once
	capNote sync.Once
	// clientNote warns once that requests fail on this machine's resources.
	clientNote sync.Once
	// tokenRetries counts the requests sent again with a refreshed token
	// after a 401.
	tokenRetries atomic.Int64

	total, firstToken, idle time.Duration
	maxRetryWait            time.Duration

	start    time.Time
	mu       sync.Mutex
	level    string // the load level's label, from the first record
	notes    []string
	reason   string
	done     int
	failed   int
	canceled int
	stopped  chan struct{}
	stop1    sync.Once
}

// Query runs one platform's job: closed loop with Concurrency workers, or an
// open-loop schedule when Rate > 0. It emits one record per attempted cell
// and returns when all of them are emitted. The error is a fatal setup
// problem (no token, an emulator that cannot start, a bad params.extra);
// it never contains a token.
func (q *Querier) Query(ctx context.Context, job pipeline.QueryJob, emit func(results.Record)) (pipeline.QueryReport, error) {
	// Setup (api_key_command above all) ends when Stop closes too: Ctrl-C
	// must not wait for the grace period to stop a token command.
	sctx, scancel := context.WithCancel(ctx)
	setupDone := make(chan struct{})
	if job.Stop != nil {
		go func() {
			select {
			case <-job.Stop:
				scancel()
			case <-setupDone:
			}
		}()
	}
	r, shutdown, err := q.newRun(ctx, sctx, job, emit)
	close(setupDone)
	scancel()
	if err != nil {
		return pipeline.QueryReport{}, err // the engine prefixes "platform <name>: "
	}
	defer shutdown()
	defer r.startScraper(ctx, r.base)()
	r.start = time.Now()
	if d := job.Platform.MaxDuration.D(); d > 0 {
		t := time.AfterFunc(d, func() { r.halt("max_duration") })
		defer t.Stop()
	}
	if job.Stop != nil {
		// Stop means "no new cells"; in-flight ones finish unless ctx ends.
		finished := make(chan struct{})
		defer close(finished)
		go func() {
			select {
			case <-job.Stop:
				r.halt(runfolder.StopInterrupted)
			case <-finished:
			}
		}()
	}
	var all bool // every cell was attempted
	if job.Platform.Rate > 0 {
		all = r.openLoop(ctx)
	} else {
		all = r.closedLoop(ctx)
	}
	if n, m := r.tokens.refreshCount(), int(r.tokenRetries.Load()); n > 0 || m > 0 {
		// Each load level runs with its own token source: say which.
		if r.level != "" {
			r.note("load " + r.level + ": " + tokenNote(n, m))
		} else {
			r.note(tokenNote(n, m))
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	rep := pipeline.QueryReport{StopReason: r.reason, Notes: r.notes}
	if ctx.Err() != nil && rep.StopReason == "" && (!all || r.canceled > 0) {
		rep.StopReason = runfolder.StopInterrupted
	}
	return rep, nil
}

// newRun prepares a platform's run. setup bounds the token command; ctx,
// which outlives it, the emulator.
func (q *Querier) newRun(ctx, setup context.Context, job pipeline.QueryJob, emit func(results.Record)) (*run, func(), error) {
	p := job.Platform
	r := &run{q: q, job: job, emit: emit, stopped: make(chan struct{})}
	r.sse.New = func() any { return newSSEReader(nil) }
	var err error
	if r.body, err = newBodyBuilder(job.Params, p.ExactOutputTokens); err != nil {
		return nil, nil, err
	}
	if r.tok, err = modelTokenizers(p); err != nil {
		return nil, nil, err
	}
	r.sec = &secrets{}
	for _, h := range p.Headers {
		r.sec.addHeader(h.Name, h.Value.Reveal())
	}
	if r.tokens, err = newTokenSource(setup, p, r.sec); err != nil {
		return nil, nil, err
	}
	r.total = p.Timeout.D()
	if r.total <= 0 {
		r.total = config.DefaultTimeout.D()
	}
	r.firstToken, r.idle = p.FirstTokenTimeout.D(), p.IdleTimeout.D()
	r.maxRetryWait = p.MaxRetryWait.D()
	if r.maxRetryWait <= 0 {
		r.maxRetryWait = config.DefaultMaxRetryWait.D()
	}
	connect := p.ConnectTimeout.D()
	if connect <= 0 {
		connect = config.DefaultConnectTimeout.D()
	}
	dial := q.dial
	if dial == nil {
		dial = (&net.Dialer{KeepAlive: 30 * time.Second}).DialContext
	}
	conns := p.Concurrency
	if conns <= 0 {
		conns = config.DefaultConcurrency
		if p.Rate > 0 {
			conns = openLoopIdleConns
		}
	}
	r.tr = &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			dctx, cancel := context.WithTimeout(ctx, connect)
			defer cancel()
			c, err := dial(dctx, network, addr)
			if err != nil && ctx.Err() == nil && dctx.Err() != nil {
				return nil, &connectTimeoutError{err}
			}
			return c, err
		},
		ForceAttemptHTTP2:   true,
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: connect,
		DisableCompression:  true, // gzip would buffer the stream
	}
	r.client = &http.Client{Transport: r.tr}
	shutdown := func() { r.tr.CloseIdleConnections() }
	base := p.BaseURL
	if p.Emulate != nil {
		url, stop, err := startEmulator(ctx, job)
		if err != nil {
			return nil, nil, fmt.Errorf("emulator: %w", err)
		}
		base = url
		shutdown = func() {
			r.tr.CloseIdleConnections()
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = stop(sctx)
		}
	}
	r.base = base
	r.url = strings.TrimRight(base, "/") + chatPath
	return r, shutdown, nil
}

// note adds a fact for the manifest (the engine prefixes the platform's
// name).
func (r *run) note(s string) {
	r.mu.Lock()
	r.notes = append(r.notes, s)
	r.mu.Unlock()
}

// tokenNote is the manifest's note on token refreshes: "the token was
// refreshed 4 times; 4 requests were retried". Requests that met a 401
// together share one refresh, so the counts can differ.
func tokenNote(refreshes, retried int) string {
	plural := func(n int, one, many string) string {
		if n == 1 {
			return "1 " + one
		}
		return strconv.Itoa(n) + " " + many
	}
	return "the token was refreshed " + plural(refreshes, "time", "times") + "; " + plural(retried, "request was", "requests were") + " retried"
}

// halt stops scheduling new cells, keeping the first reason given.
func (r *run) halt(reason string) {
	r.stop1.Do(func() {
		r.mu.Lock()
		r.reason = reason
		r.mu.Unlock()
		close(r.stopped)
	})
}

func (r *run) isStopped() bool {
	select {
	case <-r.stopped:
		return true
	default:
		return false
	}
}

// finish redacts every secret from a record, emits it and judges the
// error budget.
func (r *run) finish(rec results.Record) {
	r.sec.record(&rec)
	if r.job.Progress != nil {
		r.job.Progress(rec)
	}
	r.emit(rec)
	p := r.job.Platform
	r.mu.Lock()
	r.done++
	if r.level == "" {
		r.level = rec.Level
	}
	switch rec.Error {
	case "":
	case results.ErrCanceled:
		r.canceled++
	case results.ErrClientResource:
		// The client's failure: not the platform's error budget, neither
		// a failure nor a request of its error rate.
		r.done--
		if r.job.Log != nil {
			r.clientNote.Do(func() {
				r.job.Log.Warn("requests are failing on this machine's resources, not the platform's: "+results.ClientResourceAdvice(rec.ErrorDetail), "detail", rec.ErrorDetail)
			})
		}
	default:
		r.failed++
	}
	done, failed := r.done, r.failed
	r.mu.Unlock()
	switch {
	case p.MaxErrors > 0 && failed >= p.MaxErrors:
		r.halt(fmt.Sprintf("max_errors: %d failed requests", failed))
	case p.MaxErrorRate > 0 && done >= config.MinRequestsForErrorRate &&
		float64(failed)/float64(done) > p.MaxErrorRate:
		r.halt(fmt.Sprintf("max_error_rate: %.2f > %g after %d requests", float64(failed)/float64(done), p.MaxErrorRate, done))
	}
}
