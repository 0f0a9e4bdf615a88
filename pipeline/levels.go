package pipeline

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// levelRunner runs one platform's load levels one after the other, each
// as its own QueryJob (its own pacer, its own emulator), stopping a level
// early when its LevelWatch reports saturation.
type levelRunner struct {
	querier Querier
	job     QueryJob // every remaining cell of the platform, all levels
	// prior are the records an earlier attempt kept (resume): a sweep
	// whose synchronous and throughput levels are done reads its rates
	// from them when the manifest has none.
	prior []Record
	// rates are the sweep rates the manifest already holds (nil: none);
	// setRates records newly decided ones.
	rates    []float64
	setRates func([]float64)
}

// run queries every level in order. The report's StopReason is the first
// platform-wide stop (interruption, error budget); levels stopped by
// saturation or their max_duration are returned as LevelStops and the
// next level runs.
func (lr *levelRunner) run(ctx context.Context, emit func(Record)) (QueryReport, []LevelStop, error) {
	p := lr.job.Platform
	levels := p.LoadLevels(lr.rates)
	if len(levels) == 1 && p.Load == nil {
		rep, err := lr.querier.Query(ctx, lr.job, emit)
		return rep, nil, err
	}
	byLevel := map[string][]Cell{}
	for _, c := range lr.job.Cells {
		byLevel[c.Load] = append(byLevel[c.Load], c)
	}
	achieved := map[string]float64{} // completed requests per second by level
	var rep QueryReport
	var stops []LevelStop
	for li := 0; li < len(levels); li++ {
		lv := levels[li]
		if lv.SweepIndex > 0 && lv.Rate == 0 {
			lo, hi := achieved[LevelSync], achieved[LevelThroughput]
			if lo == 0 {
				lo = priorRate(lr.prior, p.Name, LevelSync)
			}
			if hi == 0 {
				hi = priorRate(lr.prior, p.Name, LevelThroughput)
			}
			if lo == 0 {
				stops = append(stops, LevelStop{Platform: p.Name, Load: lv.Label, Reason: "not run: the synchronous level completed no request, so no rate could be chosen"})
				continue
			}
			lr.rates = SweepRates(lo, hi, p.Load.rates())
			lr.setRates(lr.rates)
			levels = p.LoadLevels(lr.rates)
			lv = levels[li]
		}
		cells := byLevel[lv.Label]
		if len(cells) == 0 {
			continue
		}
		if stopped(lr.job.Stop) {
			rep.StopReason = StopInterrupted
			break
		}
		sub := lr.job
		sub.Platform = p.AtLevel(lv)
		sub.Cells = cells
		levelStop := make(chan struct{})
		var once sync.Once
		halt := func() { once.Do(func() { close(levelStop) }) }
		sub.Stop = levelStop
		done := make(chan struct{})
		if lr.job.Stop != nil {
			go func() {
				select {
				case <-lr.job.Stop:
					halt()
				case <-done:
				}
			}()
		}
		watch := &LevelWatch{}
		if l := p.Load; l != nil {
			watch.MaxErrorRate = l.MaxErrorRate
			if lv.Rate > 0 {
				watch.MaxQueue = l.MaxQueue
			}
		}
		var (
			mu     sync.Mutex
			reason string
			ok     int
		)
		start := time.Now()
		r, err := lr.querier.Query(ctx, sub, func(rec Record) {
			mu.Lock()
			if rec.OK() && !rec.Warmup {
				ok++
			}
			if why := watch.Observe(&rec); why != "" && reason == "" {
				reason = why
				halt()
			}
			mu.Unlock()
			emit(rec)
		})
		elapsed := time.Since(start)
		close(done)
		rep.Notes = append(rep.Notes, r.Notes...)
		if err != nil {
			return rep, stops, fmt.Errorf("load %s: %w", lv.Label, err)
		}
		mu.Lock()
		if elapsed > 0 {
			achieved[lv.Label] = float64(ok) / elapsed.Seconds()
		}
		why := reason
		mu.Unlock()
		switch {
		case stopped(lr.job.Stop):
			rep.StopReason = StopInterrupted
			return rep, stops, nil
		case why != "":
			stops = append(stops, LevelStop{Platform: p.Name, Load: lv.Label, Reason: "saturated: " + why})
		case r.StopReason == "max_duration":
			stops = append(stops, LevelStop{Platform: p.Name, Load: lv.Label, Reason: "max_duration"})
		case r.StopReason != "":
			rep.StopReason = r.StopReason
			return rep, stops, nil
		}
	}
	return rep, stops, nil
}

// stopped reports whether ch is closed (false for nil).
func stopped(ch <-chan struct{}) bool {
	if ch == nil {
		return false
	}
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// priorRate is the completed request rate of platform's level in records
// kept from an earlier attempt: successes over the span from the first
// send to the last close. Wall-clock times are the only ones a journal
// keeps; 0 when there are fewer than two successes.
func priorRate(recs []Record, platform, level string) float64 {
	var first, last time.Time
	n := 0
	for i := range recs {
		r := &recs[i]
		if r.Platform != platform || r.Load != level || r.Warmup || !r.OK() || r.StartedAt.IsZero() {
			continue
		}
		n++
		end := r.StartedAt.Add(time.Duration(r.CloseMs * float64(time.Millisecond)))
		if first.IsZero() || r.StartedAt.Before(first) {
			first = r.StartedAt
		}
		if end.After(last) {
			last = end
		}
	}
	if n < 2 || !last.After(first) {
		return 0
	}
	return float64(n) / last.Sub(first).Seconds()
}
