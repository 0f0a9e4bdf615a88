package query

import (
	"context"
	"fmt"
	"iter"
	"math/rand/v2"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/inferbench/inferbench/pipeline"
	"github.com/inferbench/inferbench/stages/internal/retry"
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

// Register sets reg.Querier to a default Querier and adds the built-in
// load models (RegisterLevelModels).
func Register(reg *pipeline.Registry) {
	reg.Querier = New()
	RegisterLevelModels(reg)
	registerEmulator(reg)
}

// run is one platform job in progress.
type run struct {
	q       *Querier
	job     pipeline.QueryJob
	emit    func(pipeline.Record)
	url     string
	client  *http.Client
	tr      *http.Transport
	tokens  *tokenSource
	sec     *secrets // every token and header value; finish redacts them
	body    *bodyBuilder
	sse     sync.Pool
	noOpts  atomic.Bool
	optNote sync.Once
	capNote sync.Once
	// clientNote warns once that requests fail on this machine's resources.
	clientNote sync.Once

	total, firstToken, idle time.Duration
	maxRetryWait            time.Duration

	start    time.Time
	mu       sync.Mutex
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
func (q *Querier) Query(ctx context.Context, job pipeline.QueryJob, emit func(pipeline.Record)) (pipeline.QueryReport, error) {
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
				r.halt(pipeline.StopInterrupted)
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
	r.mu.Lock()
	defer r.mu.Unlock()
	rep := pipeline.QueryReport{StopReason: r.reason, Notes: r.notes}
	if ctx.Err() != nil && rep.StopReason == "" && (!all || r.canceled > 0) {
		rep.StopReason = pipeline.StopInterrupted
	}
	return rep, nil
}

// newRun prepares a platform's run. setup bounds the token command; ctx,
// which outlives it, the emulator.
func (q *Querier) newRun(ctx, setup context.Context, job pipeline.QueryJob, emit func(pipeline.Record)) (*run, func(), error) {
	p := job.Platform
	r := &run{q: q, job: job, emit: emit, stopped: make(chan struct{})}
	r.sse.New = func() any { return newSSEReader(nil) }
	var err error
	if r.body, err = newBodyBuilder(job.Params); err != nil {
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
		r.total = pipeline.DefaultTimeout.D()
	}
	r.firstToken, r.idle = p.FirstTokenTimeout.D(), p.IdleTimeout.D()
	r.maxRetryWait = p.MaxRetryWait.D()
	if r.maxRetryWait <= 0 {
		r.maxRetryWait = pipeline.DefaultMaxRetryWait.D()
	}
	connect := p.ConnectTimeout.D()
	if connect <= 0 {
		connect = pipeline.DefaultConnectTimeout.D()
	}
	dial := q.dial
	if dial == nil {
		dial = (&net.Dialer{KeepAlive: 30 * time.Second}).DialContext
	}
	conns := p.Concurrency
	if conns <= 0 {
		conns = pipeline.DefaultConcurrency
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
	r.url = strings.TrimRight(base, "/") + "/chat/completions"
	return r, shutdown, nil
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
func (r *run) finish(rec pipeline.Record) {
	r.sec.record(&rec)
	if r.job.Progress != nil {
		r.job.Progress(rec)
	}
	r.emit(rec)
	p := r.job.Platform
	r.mu.Lock()
	r.done++
	switch rec.Error {
	case "":
	case pipeline.ErrCanceled:
		r.canceled++
	case pipeline.ErrClientResource:
		// The client's failure: not the platform's error budget, neither
		// a failure nor a request of its error rate.
		r.done--
		if r.job.Log != nil {
			r.clientNote.Do(func() {
				r.job.Log.Warn("requests are failing on this machine's resources, not the platform's: "+pipeline.ClientResourceAdvice(rec.ErrorDetail), "detail", rec.ErrorDetail)
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
	case p.MaxErrorRate > 0 && done >= pipeline.MinRequestsForErrorRate &&
		float64(failed)/float64(done) > p.MaxErrorRate:
		r.halt(fmt.Sprintf("max_error_rate: %.2f > %g after %d requests", float64(failed)/float64(done), p.MaxErrorRate, done))
	}
}

// closedLoop runs the cells with Concurrency workers, the platform's
// warmup cells first (all of them finished before the measured cells
// start; a level's warmups, LevelWarmup, run on with its measured cells). Cells are drawn
// from the job one at a time as workers free up, so none is held before
// it is sent. It reports whether every cell was attempted.
func (r *run) closedLoop(ctx context.Context) bool {
	next, stop := iter.Pull(r.job.EachCell())
	defer stop()
	var pending *pipeline.Cell // the first measured cell, drawn by the warmup phase
	warm := func() *pipeline.Cell {
		c, ok := next()
		if !ok || !c.Warmup || c.LevelWarmup {
			pending = c
			return nil
		}
		return c
	}
	if !r.phase(ctx, warm) {
		return false
	}
	if pending == nil {
		return true
	}
	return r.phase(ctx, func() *pipeline.Cell {
		if c := pending; c != nil {
			pending = nil
			return c
		}
		c, _ := next()
		return c
	})
}

// phase sends the cells next returns (nil: no more) to Concurrency
// workers, started as cells come, and waits for them. It reports whether
// next ran out (every cell was attempted).
func (r *run) phase(ctx context.Context, next func() *pipeline.Cell) bool {
	workers := r.job.Platform.Concurrency
	if workers <= 0 {
		workers = pipeline.DefaultConcurrency
	}
	work := make(chan *pipeline.Cell)
	var wg sync.WaitGroup
	started, all := 0, false
loop:
	for {
		if r.isStopped() || ctx.Err() != nil {
			break
		}
		c := next()
		if c == nil {
			all = true
			break
		}
		if started < workers {
			started++
			wg.Go(func() {
				for c := range work {
					r.finish(r.do(ctx, c, time.Time{}))
				}
			})
		}
		select {
		case work <- c:
		case <-r.stopped:
			break loop
		case <-ctx.Done():
			break loop
		}
	}
	close(work)
	wg.Wait()
	return all
}

// preciseWindow is the last stretch of an open-loop wait that is slept
// with sleepPrecise instead of a Go timer.
const preciseWindow = 2 * time.Millisecond

// openLoop sends cells on the platform's arrival schedule, at most
// Concurrency in flight when Concurrency > 0, drawing each cell from the
// job when it is due. It reports whether every cell was attempted.
func (r *run) openLoop(ctx context.Context) bool {
	p := r.job.Platform
	pacer := levelPacer(r.job)
	var sem chan struct{}
	if p.Concurrency > 0 {
		sem = make(chan struct{}, p.Concurrency)
	}
	var wg sync.WaitGroup
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	i, all := 0, true // all: the loop ran out of cells, it did not break
loop:
	for c := range r.job.EachCell() {
		if r.isStopped() || ctx.Err() != nil {
			all = false
			break
		}
		wait, stop := pacer.Pace(time.Since(r.start), uint64(i))
		if stop {
			all = false
			break
		}
		due := r.start.Add(pacer.Due(uint64(i)))
		if wait > preciseWindow {
			timer.Reset(wait - preciseWindow)
			select {
			case <-timer.C:
			case <-r.stopped:
				timer.Stop()
				all = false
				break loop
			case <-ctx.Done():
				timer.Stop()
				all = false
				break loop
			}
		}
		if rest := time.Until(due); rest > 0 {
			sleepPrecise(rest)
		}
		ready := due // when the request may go: its time, or when the cap lets it
		if sem != nil {
			select {
			case sem <- struct{}{}:
			default:
				select {
				case sem <- struct{}{}:
					ready = later(due, time.Now())
				case <-r.stopped:
					all = false
					break loop
				case <-ctx.Done():
					all = false
					break loop
				}
			}
		}
		i++
		wg.Go(func() {
			if r.job.SendLag != nil {
				r.job.SendLag(time.Since(ready))
			}
			rec := r.do(ctx, c, due)
			if sem != nil {
				<-sem
			}
			r.finish(rec)
		})
		// Let the request start now: the next wait may block this thread
		// (sleepPrecise) with the new goroutine queued behind it.
		runtime.Gosched()
	}
	wg.Wait()
	return all
}

// later returns the later of a and b.
func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// do makes one cell's request with its retries and returns its record.
// due is the scheduled send time (zero in closed loop).
func (r *run) do(ctx context.Context, c *pipeline.Cell, due time.Time) pipeline.Record {
	var (
		body      []byte
		bodyOpts  bool
		rng       *rand.Rand
		waited    time.Duration
		queue     float64
		refreshed bool
		n429      int // attempts answered HTTP 429
		capped    string
		retries   = r.job.Platform.Retries
	)
	token, gen := r.tokens.get()
	for attempt := 1; ; attempt++ {
		// A body is never rewritten once sent: the transport may still be
		// reading it when an early answer (a 429, say) arrives.
		opts := r.body.hasStreamOptions() && !r.noOpts.Load()
		if body == nil || opts != bodyOpts {
			var err error
			if body, err = r.body.build(nil, c.Model, c.Temperature, c.Messages, opts); err != nil {
				return pipeline.Record{CellKey: c.CellKey, Seq: c.Seq, Attempts: attempt,
					Error: pipeline.ErrSetup, ErrorDetail: r.detail("request body: " + err.Error())}
			}
			bodyOpts = opts
		}
		if attempt == 1 && !due.IsZero() {
			queue = ms(time.Since(due))
		}
		rec, o := r.attempt(ctx, c, body, token)
		if rec.HTTPStatus == http.StatusTooManyRequests {
			n429++
		}
		rec.Attempts, rec.QueueMs, rec.RetryWaitMs, rec.HTTP429 = attempt, queue, ms(waited), n429
		switch o.next {
		case retryNoOpts:
			if opts {
				r.noOpts.Store(true)
				r.optNote.Do(func() {
					// The engine prefixes notes with the platform's name.
					const note = "the server rejected stream_options (HTTP 400); requests were resent without it, so usage may be missing"
					r.mu.Lock()
					r.notes = append(r.notes, note)
					r.mu.Unlock()
					if r.job.Log != nil {
						r.job.Log.Warn(note)
					}
				})
				continue
			}
		case retryToken:
			if r.tokens.refreshable() && !refreshed {
				refreshed = true
				t, g, err := r.tokens.refresh(ctx, gen)
				if err != nil {
					rec.ErrorDetail = r.detail("token refresh after 401: " + err.Error())
					return rec
				}
				token, gen = t, g
				continue
			}
		case retryBackoff:
			if retries > 0 {
				retries--
				if rng == nil {
					rng = rand.New(rand.NewPCG(uint64(r.job.Seed), uint64(c.Seq)))
				}
				backoff := retry.Backoff{Base: r.q.backoffBase, Max: r.q.backoffMax}
				wait := backoff.Wait(attempt-1, o.retryAfter, rng)
				wait, capped = r.capWait(wait, o.retryAfter, capped)
				var waitDone func()
				if r.job.RetryWait != nil {
					waitDone = r.job.RetryWait(wait)
				}
				t := time.NewTimer(wait)
				ws := time.Now()
				select {
				case <-t.C:
				case <-ctx.Done():
					t.Stop()
					waited += time.Since(ws)
					rec.RetryWaitMs = ms(waited)
					rec.Error, rec.ErrorDetail = pipeline.ErrCanceled, "canceled while waiting to retry"
				}
				if waitDone != nil {
					waitDone()
				}
				if rec.Error == pipeline.ErrCanceled {
					return withCap(rec, capped)
				}
				waited += time.Since(ws)
				continue
			}
		}
		return withCap(rec, capped)
	}
}

// capWait bounds the wait before a retry by max_retry_wait and by the
// platform timeout. When it shortens what the server asked for
// (retryAfter), it notes that once per platform and returns a phrase for
// the request's error_detail (or capped, the phrase of an earlier wait).
func (r *run) capWait(wait, retryAfter time.Duration, capped string) (time.Duration, string) {
	limit, by := r.maxRetryWait, "max_retry_wait"
	if r.total < limit {
		limit, by = r.total, "timeout"
	}
	if wait <= limit {
		return wait, capped
	}
	if retryAfter > limit {
		capped = fmt.Sprintf("Retry-After %v capped to %v by %s", retryAfter, limit, by)
		r.capNote.Do(func() {
			// The engine prefixes notes with the platform's name.
			note := fmt.Sprintf("the server asked to wait %v before a retry (Retry-After); waits were capped by %s %v", retryAfter, by, limit)
			r.mu.Lock()
			r.notes = append(r.notes, note)
			r.mu.Unlock()
			if r.job.Log != nil {
				r.job.Log.Warn(note)
			}
		})
	}
	return limit, capped
}

// withCap puts the phrase of a capped retry wait in front of a failed
// record's error_detail.
func withCap(rec pipeline.Record, capped string) pipeline.Record {
	if capped != "" && rec.Error != "" {
		rec.ErrorDetail = truncate(capped+"; "+rec.ErrorDetail, maxDetail)
	}
	return rec
}
