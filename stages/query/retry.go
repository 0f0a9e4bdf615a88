package query

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/inferbench/inferbench/pipeline"
	"github.com/inferbench/inferbench/stages/internal/retry"
)

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
					note := "the server rejected stream_options (" + o.refusal + "); requests were resent without it, so usage may be missing"
					r.note(note)
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
				r.tokenRetries.Add(1)
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
