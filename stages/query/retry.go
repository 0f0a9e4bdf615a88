package query

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/inferbench/inferbench/pipeline/results"
	"github.com/inferbench/inferbench/stages/internal/retry"
)

// tries is the state of one cell's request across its attempts.
type tries struct {
	c         *results.Cell
	body      []byte
	bodyOpts  bool // body carries stream_options
	rng       *rand.Rand
	waited    time.Duration
	queue     float64
	refreshed bool
	n429      int // attempts answered HTTP 429
	capped    string
	retries   int // retries left
	token     string
	gen       int // the token's generation
}

// do makes one cell's request with its retries and returns its record.
// due is the scheduled send time (zero in closed loop).
func (r *run) do(ctx context.Context, c *results.Cell, due time.Time) results.Record {
	t := tries{c: c, retries: r.job.Platform.Retries}
	t.token, t.gen = r.tokens.get()
	for attempt := 1; ; attempt++ {
		opts, err := r.prepareBody(&t)
		if err != nil {
			return results.Record{CellKey: c.CellKey, Seq: c.Seq, Attempts: attempt,
				Error: results.ErrSetup, ErrorDetail: r.detail("request body: " + err.Error())}
		}
		if attempt == 1 && !due.IsZero() {
			t.queue = ms(time.Since(due))
		}
		rec, o := r.attempt(ctx, c, t.body, t.token)
		if rec.HTTPStatus == http.StatusTooManyRequests {
			t.n429++
		}
		rec.Attempts, rec.QueueMs, rec.RetryWaitMs, rec.HTTP429 = attempt, t.queue, ms(t.waited), t.n429
		again := false
		switch o.next {
		case retryNoOpts:
			again = opts && r.dropStreamOptions(o.refusal)
		case retryToken:
			if again, err = r.refreshToken(ctx, &t); err != nil {
				rec.ErrorDetail = r.detail("token refresh after 401: " + err.Error())
				return rec
			}
		case retryBackoff:
			again = t.retries > 0 && r.backoff(ctx, &t, attempt, o.retryAfter, &rec)
		}
		if !again {
			return withCap(rec, t.capped)
		}
	}
}

// prepareBody builds the request body when there is none yet or when
// stream_options were dropped since; it reports whether the body carries
// them. A body is never rewritten once sent: the transport may still be
// reading it when an early answer (a 429, say) arrives.
func (r *run) prepareBody(t *tries) (opts bool, err error) {
	opts = r.body.hasStreamOptions() && !r.noOpts.Load()
	if t.body == nil || opts != t.bodyOpts {
		c := t.c
		out := 0
		if c.Sample != nil {
			out = c.Sample.MaxTokens
		}
		if t.body, err = r.body.build(nil, c.Model, c.Temperature, c.Messages, opts, out); err != nil {
			return opts, err
		}
		t.bodyOpts = opts
	}
	return opts, nil
}

// dropStreamOptions stops sending stream_options for the rest of the
// platform's run after the server refused them (refusal says how), noting
// it once; the request is then sent again.
func (r *run) dropStreamOptions(refusal string) bool {
	r.noOpts.Store(true)
	r.optNote.Do(func() {
		note := "the server rejected stream_options (" + refusal + "); requests were resent without it, so usage may be missing"
		r.note(note)
		if r.job.Log != nil {
			r.job.Log.Warn(note)
		}
	})
	return true
}

// refreshToken answers a 401: once per request, when the token comes from
// a command, it takes a fresh token (re-running the command unless another
// request already did since) and reports that the request goes again,
// counted in the run's token note.
func (r *run) refreshToken(ctx context.Context, t *tries) (again bool, err error) {
	if !r.tokens.refreshable() || t.refreshed {
		return false, nil
	}
	t.refreshed = true
	if t.token, t.gen, err = r.tokens.refresh(ctx, t.gen); err != nil {
		return false, err
	}
	r.tokenRetries.Add(1)
	return true, nil
}

// backoff spends one retry: it waits the server's Retry-After or the
// seeded backoff, capped (capWait), and reports whether the request goes
// again; when ctx ends first, rec becomes canceled and it reports false.
func (r *run) backoff(ctx context.Context, t *tries, attempt int, retryAfter time.Duration, rec *results.Record) bool {
	t.retries--
	if t.rng == nil {
		t.rng = rand.New(rand.NewPCG(uint64(r.job.Seed), uint64(t.c.Seq)))
	}
	b := retry.Backoff{Base: r.q.backoffBase, Max: r.q.backoffMax}
	var wait time.Duration
	wait, t.capped = r.capWait(b.Wait(attempt-1, retryAfter, t.rng), retryAfter, t.capped)
	var waitDone func()
	if r.job.RetryWait != nil {
		waitDone = r.job.RetryWait(wait)
	}
	defer func() {
		if waitDone != nil {
			waitDone()
		}
	}()
	timer := time.NewTimer(wait)
	ws := time.Now()
	select {
	case <-timer.C:
		t.waited += time.Since(ws)
		return true
	case <-ctx.Done():
		timer.Stop()
		t.waited += time.Since(ws)
		rec.RetryWaitMs = ms(t.waited)
		rec.Error, rec.ErrorDetail = results.ErrCanceled, "canceled while waiting to retry"
		return false
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
			r.note(note)
			if r.job.Log != nil {
				r.job.Log.Warn(note)
			}
		})
	}
	return limit, capped
}

// withCap puts the phrase of a capped retry wait in front of a failed
// record's error_detail.
func withCap(rec results.Record, capped string) results.Record {
	if capped != "" && rec.Error != "" {
		rec.ErrorDetail = truncate(capped+"; "+rec.ErrorDetail, maxDetail)
	}
	return rec
}
