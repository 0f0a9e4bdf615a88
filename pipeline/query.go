package pipeline

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/results"
	"github.com/inferbench/inferbench/pipeline/runfolder"
)

// requestRunner is Run's query stage: it runs every platform side by side
// (each through its levelRunner), scores every record and appends it to
// the journal, keeping none. Run fills the first fields; run sets the
// others.
type requestRunner struct {
	e       *Engine
	exp     *config.Experiment
	plan    *Plan
	scorer  Scorer
	journal *runfolder.Journal
	// server takes the scrapes of the platforms' metrics endpoints.
	server     *runfolder.ServerMetricsLog
	serverWarn sync.Once
	// done (nil for none) marks the cells of each plan job, by Seq, that
	// an earlier attempt finished; already counts them by platform. prior
	// are their completed rates by level (for a sweep's rate levels).
	done    []*seqSet
	already map[string]int
	prior   levelSpans
	// shard is the run's shard: only its cells are sent.
	shard runfolder.Shard
	// m is the run's manifest, written into the run folder dir as soon as
	// it gets a sweep's rates, a sending mark or the client's health.
	m   *runfolder.Manifest
	dir string

	stop    chan struct{}               // closed when ctx ends: no new requests
	members []func(seq int) bool        // per plan job, the shard's cells (nil: every cell)
	hashes  map[results.GroupKey]string // the experiment's RequestHash by group
	process int                         // this process's number in the sending marks
	shardIx *int                        // the shard index in the sending marks (nil: no shard)

	mu       sync.Mutex        // guards m and the fields below
	nrecs    int               // records journaled
	stops    map[string]string // why a platform stopped early, by name
	notes    []string          // the platforms' notes, each after its name
	errs     []error           // the platforms that could not run
	writeErr error             // the first journal error
}

// run sends the requests and returns the platform stops (nil: none), the
// platforms' notes (sorted) and the error of a platform that could not
// run or of the journal.
func (rr *requestRunner) run(ctx context.Context) (map[string]string, []string, error) {
	e := rr.e
	rr.stop = make(chan struct{})
	qctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	finished := make(chan struct{})
	go rr.interrupt(ctx, cancel, finished)
	defer close(finished)

	rr.stops = map[string]string{}
	totals, want := rr.begin()
	start := time.Now()
	// Sending marks (see SendSpan), written to the manifest at once so
	// that a process killed mid-level leaves its start.
	rr.process = rr.m.NextProcess()
	if sh := rr.m.RecordedShard(); sh.Count > 1 {
		rr.shardIx = &sh.Index
	}
	rr.hashes = requestHashes(rr.exp)
	var wg sync.WaitGroup
	for pi, j := range rr.plan.Jobs {
		if totals[j.Platform.Name]-rr.already[j.Platform.Name] <= 0 && !j.Cells.Timed() {
			continue
		}
		job, shares := rr.platformJob(pi, j)
		wg.Add(1)
		go func() {
			defer wg.Done()
			rr.runPlatform(qctx, j, job, shares)
		}()
	}
	wg.Wait()
	if e.Progress != nil {
		e.Progress.End()
	}
	rr.m.Stages = append(rr.m.Stages, runfolder.StageStat{Stage: "query+score", In: want, Out: rr.nrecs, Duration: config.Duration(time.Since(start))})
	e.log().Info("stage done", "stage", "query+score", "in", want, "out", rr.nrecs, "took", time.Since(start).Round(time.Millisecond))
	if rr.writeErr != nil {
		rr.errs = append(rr.errs, rr.writeErr)
	}
	var err error
	if len(rr.errs) > 0 {
		err = fmt.Errorf("query: %w", errors.Join(rr.errs...))
	}
	stops := rr.stops
	if len(stops) == 0 {
		stops = nil
	}
	slices.Sort(rr.notes)
	return stops, rr.notes, err
}

// interrupt waits for ctx to end, then closes rr.stop (no new requests)
// and gives the requests in flight the engine's grace, or until a second
// Ctrl-C (Engine.Abort), before cancel cancels them. It returns when
// finished is closed.
func (rr *requestRunner) interrupt(ctx context.Context, cancel context.CancelFunc, finished <-chan struct{}) {
	e := rr.e
	grace := e.Grace
	if grace == 0 {
		grace = DefaultGrace
	}
	select {
	case <-ctx.Done():
		close(rr.stop)
		e.log().Warn("interrupted: no new requests; waiting for in-flight ones (Ctrl-C again stops them at once)", "grace", grace)
		select {
		case <-time.After(grace):
			cancel()
		case <-e.Abort:
			e.log().Warn("interrupted again: canceling the requests in flight")
			cancel()
		case <-finished:
		}
	case <-finished:
	}
}

// begin counts the cells each platform sends, its shard's (see Shard),
// and tells the progress display: it returns them by platform, and how
// many are left to send after those an earlier attempt finished.
func (rr *requestRunner) begin() (totals map[string]int, want int) {
	totals = map[string]int{}
	var order []string
	rr.members = shardMembers(rr.shard, rr.plan) // nil: every cell
	for pi, j := range rr.plan.Jobs {
		if rr.members == nil {
			totals[j.Platform.Name] = j.Cells.Planned()
		} else {
			for seq := range j.Cells.Fixed() {
				if rr.members[pi](seq) {
					totals[j.Platform.Name]++
				}
			}
		}
		order = append(order, j.Platform.Name)
		want += totals[j.Platform.Name] - rr.already[j.Platform.Name]
	}
	progress := rr.e.Progress
	if ts, ok := progress.(TimedSink); ok {
		for _, j := range rr.plan.Jobs {
			if j.Cells.Timed() {
				ts.Timed(j.Platform.Name)
			}
		}
	}
	if progress != nil {
		progress.Begin(totals, rr.already, order)
	}
	return totals, want
}

// platformJob is the QueryJob of plan job pi: the cells of its platform
// to send, those of its shard that an earlier attempt did not finish,
// generated as they are sent. A shard sends its share of every level (the
// same seed as the other shards: they share one arrival schedule); shares
// are those shares by level label (nil: the whole load).
func (rr *requestRunner) platformJob(pi int, j PlanJob) (QueryJob, map[string]*LevelShare) {
	var jdone *seqSet
	if rr.done != nil {
		jdone = rr.done[pi]
	}
	var in func(int) bool
	if rr.members != nil {
		in = rr.members[pi]
	}
	var keep func(int) bool // nil: every cell is to be sent
	if jdone.len() > 0 || in != nil {
		keep = func(seq int) bool { return (in == nil || in(seq)) && !jdone.has(seq) }
	}
	cells := j.Cells.Source(0, j.Cells.Len(), keep)
	platform, shares := sharedPlatform(rr.shard, j.Platform)
	job := QueryJob{Platform: platform, Params: rr.exp.Params, Source: cells, Seed: rr.exp.Seed + int64(pi)*7919,
		Log: rr.e.log().With("platform", j.Platform.Name), Stop: rr.stop}
	if ls := shares[""]; ls != nil && (platform.Levels == nil || len(platform.Levels.Resolved) == 0) {
		job.Stripe = ls.Stripe()
	}
	if ws, ok := rr.e.Progress.(RetryWaitSink); ok {
		name := j.Platform.Name
		job.RetryWait = func(d time.Duration) func() { return ws.RetryWait(name, d) }
	}
	return job, shares
}

// runPlatform runs the levels of plan job j's platform with job and
// records how they ended: the level stops, and the platform's stop, notes
// and setup error.
func (rr *requestRunner) runPlatform(ctx context.Context, j PlanJob, job QueryJob, shares map[string]*LevelShare) {
	name := j.Platform.Name
	all := j.Cells // by Seq: a record finds its sample without a map
	rep, lstops, err := rr.levelRunner(name, job, shares).run(ctx, func(r results.Record) {
		var q *config.Sample
		if all.Has(r.Seq, r.CellKey) {
			q = all.At(r.Seq).Sample
		}
		rr.emit(r, q)
	})
	rr.mu.Lock()
	defer rr.mu.Unlock()
	rr.m.LevelStops = append(rr.m.LevelStops, lstops...)
	if err != nil {
		rr.errs = append(rr.errs, fmt.Errorf("platform %s: %w", name, err))
		rr.stops[name] = "setup failed: " + err.Error()
	}
	if rep.StopReason != "" && rep.StopReason != runfolder.StopInterrupted {
		rr.stops[name] = rep.StopReason
	}
	for _, n := range rep.Notes {
		rr.notes = append(rr.notes, name+": "+n)
	}
}

// levelRunner is the levelRunner of platform name, wired to the run's
// manifest (sweep rates, sending marks, client health) and to the
// progress display.
func (rr *requestRunner) levelRunner(name string, job QueryJob, shares map[string]*LevelShare) *levelRunner {
	e := rr.e
	rr.mu.Lock()
	rates := rr.m.SweepRates[name]
	rr.mu.Unlock()
	lr := &levelRunner{querier: e.Registry.Querier, job: job, prior: rr.prior.rates(name), spent: rr.prior.spent(name), rates: rates, shares: shares,
		setRates: func(r []float64) { rr.setRates(name, r) },
		mark:     func(load string) func() { return rr.mark(name, load) }}
	lr.health = func(h results.ClientHealth) { e.recordClientHealth(&rr.mu, rr.m, rr.dir, rr.exp.Client, h) }
	if rr.server != nil {
		lr.server = func(s results.ServerSample) {
			if err := rr.server.Append(s); err != nil {
				rr.serverWarn.Do(func() { e.log().Warn("could not record the server metrics", "err", err) })
			}
		}
	}
	if ts, ok := e.Progress.(TimedSink); ok {
		lr.timedLevel = func(load string, d time.Duration) { ts.TimedLevel(name, load, d) }
	}
	if ls, ok := e.Progress.(LevelSink); ok {
		lr.level = func(lv LevelProgress) { ls.Level(name, lv) }
	}
	return lr
}

// setRates records the sweep rates platform's levelRunner chose.
func (rr *requestRunner) setRates(platform string, r []float64) {
	rr.mu.Lock()
	defer rr.mu.Unlock()
	if rr.m.SweepRates == nil {
		rr.m.SweepRates = map[string][]float64{}
	}
	rr.m.SweepRates[platform] = r
	// At once, so that a resume after a crash reruns these rates.
	if err := writeJSON(filepath.Join(rr.dir, runfolder.ManifestFile), rr.m); err != nil {
		rr.e.log().Warn("could not record the sweep rates in the manifest", "platform", platform, "err", err)
	}
}

// mark records that this process starts sending platform's level load
// and returns the function that records its stop.
func (rr *requestRunner) mark(platform, load string) func() {
	rr.mu.Lock()
	defer rr.mu.Unlock()
	i := len(rr.m.SendSpans)
	rr.m.SendSpans = append(rr.m.SendSpans, runfolder.SendSpan{Platform: platform, Level: load, Process: rr.process, Shard: rr.shardIx, Start: rr.e.now().UTC()})
	rr.writeMarks()
	return func() {
		rr.mu.Lock()
		defer rr.mu.Unlock()
		rr.m.SendSpans[i].Stop = rr.e.now().UTC()
		rr.writeMarks()
	}
}

// writeMarks writes the manifest with its sending marks; rr.mu is held.
func (rr *requestRunner) writeMarks() {
	if err := writeJSON(filepath.Join(rr.dir, runfolder.ManifestFile), rr.m); err != nil {
		rr.e.log().Warn("could not record a sending mark in the manifest", "err", err)
	}
}

// emit scores r against its question q (nil: not in this run's
// questions) and journals it.
func (rr *requestRunner) emit(r results.Record, q *config.Sample) {
	r.RequestHash = rr.hashes[results.GroupKey{Platform: r.Platform, Model: r.Model, Temperature: r.Temperature}]
	if q != nil {
		rr.scorer.Score(&r, q)
	}
	err := rr.journal.Append(&r)
	rr.mu.Lock()
	rr.nrecs++
	if err != nil && rr.writeErr == nil {
		rr.writeErr = err
	}
	rr.mu.Unlock()
	if rr.e.Progress != nil {
		rr.e.Progress.Observe(&r)
	}
}
