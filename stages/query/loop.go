package query

import (
	"context"
	"iter"
	"runtime"
	"sync"
	"time"

	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/results"
)

// closedLoop runs the cells with Concurrency workers, the platform's
// warmup cells first (all of them finished before the measured cells
// start; a level's warmups, LevelWarmup, run on with its measured cells). Cells are drawn
// from the job one at a time as workers free up, so none is held before
// it is sent. It reports whether every cell was attempted.
func (r *run) closedLoop(ctx context.Context) bool {
	next, stop := iter.Pull(r.job.EachCell())
	defer stop()
	var pending *results.Cell // the first measured cell, drawn by the warmup phase
	warm := func() *results.Cell {
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
	return r.phase(ctx, func() *results.Cell {
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
func (r *run) phase(ctx context.Context, next func() *results.Cell) bool {
	workers := r.job.Platform.Concurrency
	if workers <= 0 {
		workers = config.DefaultConcurrency
	}
	work := make(chan *results.Cell)
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
