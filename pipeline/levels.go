package pipeline

import (
	"context"
	"fmt"
	"maps"
	"sync"
	"time"
)

// levelRunner runs one platform's load levels one after the other, each
// as its own QueryJob (its own pacer, its own emulator), stopping a level
// early when its LevelWatch reports saturation.
type levelRunner struct {
	querier Querier
	job     QueryJob // every remaining cell of the platform, all levels
	// prior are the completed request rates, by level, of this
	// platform's records an earlier attempt kept (resume; see levelSpans):
	// a sweep whose synchronous and throughput levels are done reads its
	// rates from them when the manifest has none. Nil: none.
	prior map[string]float64
	// spent is, by level, the time the kept records of an earlier attempt
	// span (resume; see levelSpans): a level sized by duration runs for
	// what is left of it. Nil: none.
	spent map[string]time.Duration
	// rates are the sweep rates the manifest already holds (nil: none);
	// setRates records newly decided ones.
	rates    []float64
	setRates func([]float64)
	// health, when set, gets the client's health over each level that
	// ran (see ClientSampler), as soon as the level ends.
	health func(ClientHealth)
	// shares are a shard's shares of the levels, by label (nil: the
	// whole load); job.Platform already runs them.
	shares map[string]*LevelShare
	// mark, when not nil, records that this process starts sending a
	// level (its label) and returns the function that records the stop.
	mark func(load string) (stop func())
}

// query runs one level's job, measuring the client's health meanwhile
// when lr.health is set.
func (lr *levelRunner) query(ctx context.Context, job QueryJob, label string, emit func(Record)) (QueryReport, error) {
	if lr.health == nil {
		return lr.querier.Query(ctx, job, emit)
	}
	s := StartClientSampler()
	if job.Platform.Rate > 0 {
		job.SendLag = s.SendLag
	}
	rep, err := lr.querier.Query(ctx, job, emit)
	h := s.Stop()
	h.Platform, h.Load = job.Platform.Name, label
	if err == nil {
		lr.health(h)
	}
	return rep, err
}

// begin marks the start of sending level load and returns the stop mark.
func (lr *levelRunner) begin(load string) (stop func()) {
	if lr.mark == nil {
		return func() {}
	}
	return lr.mark(load)
}

// run queries every level in order. The report's StopReason is the first
// platform-wide stop (interruption, error budget); levels stopped by
// saturation or their max_duration are returned as LevelStops and the
// next level runs.
func (lr *levelRunner) run(ctx context.Context, emit func(Record)) (QueryReport, []LevelStop, error) {
	p := lr.job.Platform
	levels := p.LoadLevels(lr.rates)
	if len(levels) == 1 && p.Load == nil {
		stop := lr.begin(levels[0].Label)
		rep, err := lr.query(ctx, lr.job, levels[0].Label, emit)
		stop()
		return rep, nil, err
	}
	byLevel := map[string][]Cell{} // in-memory cells (Cells); a Source is cut by level range instead
	if lr.job.Source == nil {
		for _, c := range lr.job.Cells {
			byLevel[c.Load] = append(byLevel[c.Load], c)
		}
	}
	achieved := map[string]float64{} // completed requests per second by level
	var rep QueryReport
	var stops []LevelStop
	for li := 0; li < len(levels); li++ {
		lv := levels[li]
		if lv.RateIndex > 0 && lv.Rate == 0 {
			chooser, ok := p.Load.Model.(RateChooser)
			if !ok {
				return rep, stops, fmt.Errorf("load %s: type %s decides rates at run time but was not resolved", lv.Label, p.Load.Type)
			}
			seen := maps.Clone(achieved)
			for label, r := range lr.prior {
				if _, ran := seen[label]; !ran {
					seen[label] = r
				}
			}
			rates, err := chooser.ChooseRates(seen)
			if err != nil {
				stops = append(stops, LevelStop{Platform: p.Name, Load: lv.Label, Reason: "not run: " + err.Error()})
				continue
			}
			lr.rates = rates
			lr.setRates(rates)
			levels = p.LoadLevels(rates)
			lv = levels[li]
		}
		cells := byLevel[lv.Label]
		var src *CellSource
		if ls := lr.shares[lv.Label]; ls != nil && len(ls.mine) == 0 {
			continue // the shard's share of this level rounds to no cell
		}
		if s := lr.job.Source; s != nil {
			src = s.Range(s.list.LevelRange(lv.Label))
			if !src.Any() {
				continue
			}
		} else if len(cells) == 0 {
			continue
		}
		if stopped(lr.job.Stop) {
			rep.StopReason = StopInterrupted
			break
		}
		sub := lr.job
		sub.Platform = p.AtLevel(lv)
		sub.Cells, sub.Source = cells, src
		timed := p.Load != nil && p.Load.Duration > 0 && sub.Platform.MaxDuration == p.Load.Duration
		if timed && lr.spent[lv.Label] > 0 {
			left := p.Load.Duration.D() - lr.spent[lv.Label]
			if left <= 0 {
				continue // its time was spent before the resume
			}
			sub.Platform.MaxDuration = Duration(left)
		}
		sub.Stripe = lr.shares[lv.Label].Stripe()
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
		stopMark := lr.begin(lv.Label)
		start := time.Now()
		var warmUntil time.Time // load.warmup as a duration: requests sent before it are warmups
		if l := p.Load; l != nil && l.Warmup.Duration > 0 {
			warmUntil = start.Add(l.Warmup.Duration.D())
		}
		r, err := lr.query(ctx, sub, lv.Label, func(rec Record) {
			if !warmUntil.IsZero() && !rec.StartedAt.IsZero() && rec.StartedAt.Before(warmUntil) {
				rec.Warmup = true
			}
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
		stopMark()
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
		case r.StopReason == "max_duration" && timed:
			// A level sized by duration ends when it is spent: no stop.
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

// levelSpans gathers, record by record, the completed request rates by
// platform and load level of the records an earlier attempt kept: per
// level, successes over the span from the first send to the last close.
// Wall-clock times are the only ones a journal keeps; a level with fewer
// than two successes is left out. It holds one small entry per level, so
// resume can fill it while it streams the journal.
type levelSpans map[string]map[string]*levelSpan

type levelSpan struct {
	first, last time.Time
	n           int
}

// add counts r if it is a successful, sent, non-warmup record.
func (ls levelSpans) add(r *Record) {
	if r.Warmup || !r.OK() || r.StartedAt.IsZero() {
		return
	}
	if ls[r.Platform] == nil {
		ls[r.Platform] = map[string]*levelSpan{}
	}
	s := ls[r.Platform][r.Load]
	if s == nil {
		s = &levelSpan{}
		ls[r.Platform][r.Load] = s
	}
	s.n++
	end := r.StartedAt.Add(time.Duration(r.CloseMs * float64(time.Millisecond)))
	if s.first.IsZero() || r.StartedAt.Before(s.first) {
		s.first = r.StartedAt
	}
	if end.After(s.last) {
		s.last = end
	}
}

// spent returns, by level, the time platform's kept records span.
func (ls levelSpans) spent(platform string) map[string]time.Duration {
	out := map[string]time.Duration{}
	for label, s := range ls[platform] {
		if s.last.After(s.first) {
			out[label] = s.last.Sub(s.first)
		}
	}
	return out
}

// rates returns platform's completed request rates by level.
func (ls levelSpans) rates(platform string) map[string]float64 {
	out := map[string]float64{}
	for label, s := range ls[platform] {
		if s.n >= 2 && s.last.After(s.first) {
			out[label] = float64(s.n) / s.last.Sub(s.first).Seconds()
		}
	}
	return out
}
