package pipeline

import (
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/results"
	"github.com/inferbench/inferbench/pipeline/runfolder"
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
	// spent is, by level, the sending time of the kept records of an
	// earlier attempt under the manifest's marks (resume; see levelSpans):
	// a level sized by duration runs for what is left of it. Nil: none.
	spent map[string]time.Duration
	// rates are the sweep rates the manifest already holds (nil: none);
	// setRates records newly decided ones.
	rates    []float64
	setRates func([]float64)
	// health, when set, gets the client's health over each level that
	// ran (see ClientSampler), as soon as the level ends.
	health func(results.ClientHealth)
	// shares are a shard's shares of the levels, by label (nil: the
	// whole load); job.Platform already runs them.
	shares map[string]*LevelShare
	// mark, when not nil, records that this process starts sending a
	// level (its label) and returns the function that records the stop.
	mark func(load string) (stop func())
	// timedLevel, when not nil, is told as a level sized by duration
	// starts, with the time it sends for (see TimedSink).
	timedLevel func(load string, d time.Duration)
	// level, when not nil, is told as each level starts (see LevelSink).
	level func(LevelProgress)
	// server, when not nil, takes the scrapes of the platform's metrics
	// endpoint, each with its platform and level (see QueryJob.ServerMetrics).
	server func(results.ServerSample)
}

// starts tells lr.level that the level of platform p (at its level's
// settings) starts, the i-th of n.
func (lr *levelRunner) starts(label string, p config.Platform, i, n int) {
	if lr.level != nil {
		lr.level(LevelProgress{Label: label, Index: i, Count: n, Concurrency: p.Concurrency, Rate: p.Rate})
	}
}

// query runs one level's job, measuring the client's health meanwhile
// when lr.health is set.
func (lr *levelRunner) query(ctx context.Context, job QueryJob, label string, emit func(results.Record)) (QueryReport, error) {
	if lr.server != nil {
		name := job.Platform.Name
		job.ServerMetrics = func(s results.ServerSample) {
			s.Platform, s.Level = name, label
			lr.server(s)
		}
	}
	if lr.health == nil {
		return lr.querier.Query(ctx, job, emit)
	}
	s := StartClientSampler()
	if job.Platform.Rate > 0 {
		job.SendLag = s.SendLag
	}
	rep, err := lr.querier.Query(ctx, job, emit)
	h := s.Stop()
	h.Platform, h.Level = job.Platform.Name, label
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
func (lr *levelRunner) run(ctx context.Context, emit func(results.Record)) (QueryReport, []results.LevelStop, error) {
	p := lr.job.Platform
	levels := p.RunLevels(lr.rates)
	if len(levels) == 1 && p.Levels == nil {
		stop := lr.begin(levels[0].Label)
		lr.starts(levels[0].Label, p, 1, 1)
		rep, err := lr.query(ctx, lr.job, levels[0].Label, emit)
		stop()
		return rep, nil, err
	}
	byLevel := map[string][]results.Cell{} // in-memory cells (Cells); a Source is cut by level range instead
	if lr.job.Source == nil {
		for _, c := range lr.job.Cells {
			byLevel[c.Level] = append(byLevel[c.Level], c)
		}
	}
	achieved := map[string]float64{} // completed requests per second by level
	var rep QueryReport
	var stops []results.LevelStop
	for li := 0; li < len(levels); li++ {
		lv := levels[li]
		if lv.RateIndex > 0 && lv.Rate == 0 {
			chooser, ok := p.Levels.Model.(config.RateChooser)
			if !ok {
				return rep, stops, fmt.Errorf("load %s: type %s decides rates at run time but was not resolved", lv.Label, p.Levels.Type)
			}
			rates, err := chooser.ChooseRates(lr.seen(achieved))
			if err != nil {
				stops = append(stops, results.LevelStop{Platform: p.Name, Level: lv.Label, Reason: "not run: " + err.Error()})
				continue
			}
			lr.rates = rates
			lr.setRates(rates)
			levels = p.RunLevels(rates)
			lv = levels[li]
		}
		sub, ok := lr.levelJob(lv, byLevel[lv.Label])
		if !ok {
			continue
		}
		if stopped(lr.job.Stop) {
			rep.StopReason = runfolder.StopInterrupted
			break
		}
		timed, ok := lr.timeLeft(&sub, lv)
		if !ok {
			continue // its time was spent before the resume
		}
		out, err := lr.runLevel(ctx, sub, lv, timed, li+1, len(levels), emit)
		rep.Notes = append(rep.Notes, out.Notes...)
		if err != nil {
			return rep, stops, fmt.Errorf("load %s: %w", lv.Label, err)
		}
		if out.elapsed > 0 {
			achieved[lv.Label] = float64(out.ok) / out.elapsed.Seconds()
		}
		switch {
		case stopped(lr.job.Stop):
			rep.StopReason = runfolder.StopInterrupted
			return rep, stops, nil
		case out.saturated != "":
			stops = append(stops, results.LevelStop{Platform: p.Name, Level: lv.Label, Reason: "saturated: " + out.saturated})
		case out.StopReason == "max_duration" && timed:
			// A level sized by duration ends when it is spent: no stop.
		case out.StopReason == "max_duration":
			stops = append(stops, results.LevelStop{Platform: p.Name, Level: lv.Label, Reason: "max_duration"})
		case out.StopReason != "":
			rep.StopReason = out.StopReason
			return rep, stops, nil
		}
	}
	return rep, stops, nil
}

// seen are the completed request rates by level that a sweep chooses its
// rates from: those achieved in this attempt, and for a level that did
// not run in it, an earlier attempt's (lr.prior).
func (lr *levelRunner) seen(achieved map[string]float64) map[string]float64 {
	seen := maps.Clone(achieved)
	for label, r := range lr.prior {
		if _, ran := seen[label]; !ran {
			seen[label] = r
		}
	}
	return seen
}

// levelJob returns the platform's job cut to level lv, at its settings,
// with its cells (those in memory, or its range of the Source); false
// when the level has no cell to send, here or in the shard's share.
func (lr *levelRunner) levelJob(lv config.Level, cells []results.Cell) (QueryJob, bool) {
	var src *CellSource
	if ls := lr.shares[lv.Label]; ls != nil && len(ls.mine) == 0 {
		return QueryJob{}, false // the shard's share of this level rounds to no cell
	}
	if s := lr.job.Source; s != nil {
		src = s.Range(s.list.LevelRange(lv.Label))
		if !src.Any() {
			return QueryJob{}, false
		}
	} else if len(cells) == 0 {
		return QueryJob{}, false
	}
	sub := lr.job
	sub.Platform = lr.job.Platform.AtLevel(lv)
	sub.Cells, sub.Source = cells, src
	return sub, true
}

// timeLeft reports whether level lv is sized by duration (timed), and
// then shortens sub's max_duration by the sending time an earlier attempt
// spent on it; false when none is left.
func (lr *levelRunner) timeLeft(sub *QueryJob, lv config.Level) (timed, ok bool) {
	p := lr.job.Platform
	timed = p.Levels != nil && p.Levels.Duration > 0 && sub.Platform.MaxDuration == p.Levels.Duration
	if timed && lr.spent[lv.Label] > 0 {
		left := p.Levels.Duration.D() - lr.spent[lv.Label]
		if left <= 0 {
			return timed, false
		}
		sub.Platform.MaxDuration = config.Duration(left)
	}
	return timed, true
}

// levelOutcome is how one level's query ended.
type levelOutcome struct {
	QueryReport
	ok        int           // successes, warmups not counted
	elapsed   time.Duration // from the level's start to its end
	saturated string        // why its LevelWatch stopped it ("": it did not)
}

// runLevel queries level lv (the i-th of n) with sub, the level's job,
// stopping it when the platform's job stops or its LevelWatch reports
// saturation, and marking the records sent during its warmup.
func (lr *levelRunner) runLevel(ctx context.Context, sub QueryJob, lv config.Level, timed bool, i, n int, emit func(results.Record)) (levelOutcome, error) {
	p := lr.job.Platform
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
	if l := p.Levels; l != nil {
		watch.MaxErrorRate = l.MaxErrorRate
		if lv.Rate > 0 {
			watch.MaxQueue = l.MaxQueue
		}
	}
	var (
		mu  sync.Mutex
		out levelOutcome
	)
	if timed && lr.timedLevel != nil {
		lr.timedLevel(lv.Label, sub.Platform.MaxDuration.D())
	}
	lr.starts(lv.Label, sub.Platform, i, n)
	stopMark := lr.begin(lv.Label)
	start := time.Now()
	var warmUntil time.Time // load.warmup as a duration: requests sent before it are warmups
	if l := p.Levels; l != nil && l.Warmup.Duration > 0 {
		warmUntil = start.Add(l.Warmup.Duration.D())
	}
	r, err := lr.query(ctx, sub, lv.Label, func(rec results.Record) {
		if !warmUntil.IsZero() && !rec.StartedAt.IsZero() && rec.StartedAt.Before(warmUntil) {
			rec.Warmup = true
		}
		mu.Lock()
		if rec.OK() && !rec.Warmup {
			out.ok++
		}
		if why := watch.Observe(&rec); why != "" && out.saturated == "" {
			out.saturated = why
			halt()
		}
		mu.Unlock()
		emit(rec)
	})
	elapsed := time.Since(start)
	stopMark()
	close(done)
	mu.Lock()
	defer mu.Unlock()
	out.QueryReport, out.elapsed = r, elapsed
	return out, err
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
// platform and load level of the records an earlier attempt kept, with
// the sending time results.json gives their group: the sum over the
// manifest's sending marks of the level (see SendSpan) of the time the
// records were being sent in each, as aggregate's markedWall measures it.
// Records sent before the level's first mark (a folder started before
// marks existed) are one more span, from their first send to their last
// close. It holds a few numbers per mark and level, never per record, so
// resume can fill it while it streams the journal: a record only widens
// the bucket between the two mark starts its send falls in.
type levelSpans map[string]map[string]*levelSpan

type levelSpan struct {
	marks []runfolder.SendSpan
	// starts are the distinct mark starts (Unix ns), sorted; buckets[0]
	// holds the records sent before starts[0], buckets[j] those sent in
	// [starts[j-1], starts[j]).
	starts  []int64
	buckets []sendBucket
	n       int // successes (non-warmup)
}

// sendBucket is the first send and last end of the records in a bucket.
type sendBucket struct {
	from, to int64
	seen     bool
}

// newLevelSpans starts the spans of a run whose manifest holds marks.
func newLevelSpans(marks []runfolder.SendSpan) levelSpans {
	ls := levelSpans{}
	for _, m := range marks {
		ls.level(m.Platform, m.Level).marks = append(ls.level(m.Platform, m.Level).marks, m)
	}
	for _, lv := range ls {
		for _, s := range lv {
			for _, m := range s.marks {
				s.starts = append(s.starts, m.Start.UnixNano())
			}
			slices.Sort(s.starts)
			s.starts = slices.Compact(s.starts)
			s.buckets = make([]sendBucket, len(s.starts)+1)
		}
	}
	return ls
}

func (ls levelSpans) level(platform, load string) *levelSpan {
	if ls[platform] == nil {
		ls[platform] = map[string]*levelSpan{}
	}
	s := ls[platform][load]
	if s == nil {
		s = &levelSpan{buckets: make([]sendBucket, 1)}
		ls[platform][load] = s
	}
	return s
}

// add counts r if it is a sent record of a group (not a warmup, not the
// client's own failure), as aggregate does.
func (ls levelSpans) add(r *results.Record) {
	if r.Warmup || r.Error == results.ErrClientResource || r.StartedAt.IsZero() {
		return
	}
	s := ls.level(r.Platform, r.Level)
	if r.OK() {
		s.n++
	}
	closeMs := r.CloseMs
	if closeMs <= 0 {
		closeMs = r.LatencyMs
	}
	from := r.StartedAt.UnixNano() - int64(r.RetryWaitMs*float64(time.Millisecond))
	to := r.StartedAt.UnixNano() + int64(closeMs*float64(time.Millisecond))
	j, _ := slices.BinarySearch(s.starts, from+1) // the number of starts <= from
	b := &s.buckets[j]
	if !b.seen {
		b.from, b.to, b.seen = from, to, true
	}
	b.from, b.to = min(b.from, from), max(b.to, to)
}

// between joins the buckets of the records sent in [from, to).
func (s *levelSpan) between(from, to int64) sendBucket {
	var out sendBucket
	for j, b := range s.buckets {
		if !b.seen || (j > 0 && (s.starts[j-1] < from || s.starts[j-1] >= to)) || (j == 0 && from > math.MinInt64) {
			continue
		}
		if !out.seen {
			out = b
			continue
		}
		out.from, out.to = min(out.from, b.from), max(out.to, b.to)
	}
	return out
}

// wall is the level's sending time, as aggregate's markedWall measures a
// group's: each mark closed (at its stop, or, never written, at the last
// end of the records sent from its start to the next start of its
// shard), their union, and in each interval of the union the records'
// first send to last end clipped to it.
func (s *levelSpan) wall() time.Duration {
	if len(s.marks) == 0 {
		b := s.buckets[0]
		return time.Duration(b.to - b.from)
	}
	_, sending := runfolder.MarkedSending(s.marks, func(from, to int64) (int64, int64, bool) {
		b := s.between(from, to)
		return b.from, b.to, b.seen
	})
	var wall time.Duration
	for _, iv := range sending {
		wall += time.Duration(iv.To - iv.From)
	}
	return wall
}

// spent returns, by level, the sending time of platform's kept records.
func (ls levelSpans) spent(platform string) map[string]time.Duration {
	out := map[string]time.Duration{}
	for label, s := range ls[platform] {
		if w := s.wall(); w > 0 {
			out[label] = w
		}
	}
	return out
}

// rates returns platform's completed request rates by level: successes
// over sending time, results.json's request_throughput of the level.
func (ls levelSpans) rates(platform string) map[string]float64 {
	out := map[string]float64{}
	for label, s := range ls[platform] {
		if w := s.wall(); s.n > 0 && w > 0 {
			out[label] = float64(s.n) / w.Seconds()
		}
	}
	return out
}
