package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/inferbench/inferbench/internal/buildinfo"
	"github.com/inferbench/inferbench/pipeline/atomicfile"
	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/results"
	"github.com/inferbench/inferbench/pipeline/runfolder"
)

// DefaultGrace is how long in-flight requests may finish after Ctrl-C.
const DefaultGrace = 10 * time.Second

// Engine runs experiments. It knows stages only through its Registry. The
// zero value is not usable; set Registry. An Engine is safe to reuse but
// runs one experiment per Run call.
type Engine struct {
	Registry *Registry
	// Log receives stage progress; nil discards.
	Log *slog.Logger
	// Progress, if non-nil, shows live per-platform progress.
	Progress ProgressSink
	// CacheDir for dataset downloads; HTTP client for them (nil = default).
	CacheDir string
	HTTP     *http.Client
	// Version is the tool version recorded in manifests.
	Version string
	// Build is the binary's module version and VCS revision recorded in
	// manifests (Manifest.Build); nil when unknown.
	Build *buildinfo.Info
	// Grace bounds how long in-flight requests may finish once ctx is
	// canceled; zero means DefaultGrace.
	Grace time.Duration
	// Now is the wall clock for run ids; nil means time.Now.
	Now func() time.Time
}

// RunOptions are the per-invocation choices of `inferbench run`.
type RunOptions struct {
	// ExperimentFile is recorded in the manifest and resolves relative paths.
	ExperimentFile string
	// OutDir overrides export.dir.
	OutDir string
	// ResumeDir, when set, continues that run folder instead of a new one.
	ResumeDir string
	// Shard, when Count > 1, sends only that shard's cells (see Shard); a
	// resumed run keeps the shard its manifest records, and a different
	// one is an error.
	Shard runfolder.Shard
	// Overrides are recorded in the manifest (already redacted).
	Overrides []string
	// StartAt, when set, is when sending begins (run --start-at): the run
	// prepares everything, then waits for it (ctx ends the wait).
	StartAt time.Time
	// Note, if non-nil, is told what the run decided on its own (a shard
	// resuming its earlier folder, say).
	Note func(string)
}

// ErrShardFinished is returned (wrapped, with the folder) by a sharded
// Run whose shard already has a finished folder of the same experiment
// under the output folder: it is left alone and nothing is sent.
var ErrShardFinished = errors.New("this shard already finished")

func (o RunOptions) note(s string) {
	if o.Note != nil {
		o.Note(s)
	}
}

func (e *Engine) log() *slog.Logger {
	if e.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return e.Log
}

func (e *Engine) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

// stage times fn and records it in m under name; errors get the stage's
// name as prefix. A failure is logged at Info level only, beside the
// other stage lines: the caller reports the returned error, so that the
// user reads it once.
func stage(m *runfolder.Manifest, log *slog.Logger, name string, in int, fn func() (int, error)) error {
	start := time.Now()
	out, err := fn()
	d := time.Since(start)
	m.Stages = append(m.Stages, runfolder.StageStat{Stage: name, In: in, Out: out, Duration: config.Duration(d)})
	if err != nil {
		log.Info("stage failed", "stage", name, "err", err)
		return fmt.Errorf("%s: %w", name, err)
	}
	log.Info("stage done", "stage", name, "in", in, "out", out, "took", d.Round(time.Millisecond))
	return nil
}

// Prepare loads and selects the dataset and expands the matrix: everything
// before the first request. `plan` and `run` share it.
func (e *Engine) Prepare(ctx context.Context, exp *config.Experiment, experimentFile string) (*config.Dataset, *Plan, *runfolder.Manifest, error) {
	m := &runfolder.Manifest{Tool: "inferbench", Version: e.Version, GoVersion: runtime.Version(), Build: e.Build, ExperimentFile: experimentFile, Experiment: *exp}
	loader, ok := e.Registry.Loaders[exp.Dataset.Source]
	if !ok {
		return nil, nil, nil, fmt.Errorf("load: unknown dataset source %q (have %v)", exp.Dataset.Source, e.Registry.LoaderNames())
	}
	var ds *config.Dataset
	err := stage(m, e.log(), "load", 0, func() (int, error) {
		var err error
		ds, err = loader.Load(ctx, exp.Dataset, LoadEnv{BaseDir: filepath.Dir(experimentFile), CacheDir: e.CacheDir, HTTP: e.HTTP, Log: e.log()})
		if err != nil {
			return 0, err
		}
		loaded := len(ds.Samples)
		ds.Samples, err = Select(exp.Dataset, exp.Seed, ds.Samples)
		if err != nil {
			return loaded, err
		}
		if len(ds.Samples) == 0 {
			return 0, fmt.Errorf("no questions selected (source has %d; slice %q, filter %q, sample %d)", ds.Total, exp.Dataset.Slice, exp.Dataset.Filter, exp.Dataset.Sample)
		}
		return len(ds.Samples), nil
	})
	if err != nil {
		return nil, nil, nil, err
	}
	plan, err := BuildPlan(ctx, exp, ds.Samples)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("plan: %w", err)
	}
	m.Dataset = runfolder.DatasetInfo{Source: ds.Source, Location: ds.Location, SHA256: ds.SHA256, Revision: ds.Revision, Version: ds.Version, Total: ds.Total}
	for _, s := range ds.Samples {
		m.Dataset.IDs = append(m.Dataset.IDs, s.ID)
	}
	m.Cells = map[string]int{}
	for _, j := range plan.Jobs {
		m.Cells[j.Platform.Name] = j.Cells.Planned()
	}
	m.CellTotal = plan.Total()
	return ds, plan, m, nil
}

// Run executes the experiment: load, query (with scoring and the journal
// inline), aggregate and export. A failed request never stops the run;
// cancellation of ctx stops scheduling, lets in-flight requests finish
// within the grace period, and still aggregates and exports what finished.
// The error is for fatal problems; the returned Run is non-nil whenever a
// run folder was created, even with an error. The run folder is locked
// (LockRunDir) while Run writes it; a locked folder is an error wrapping
// ErrRunDirInUse, and nothing is written.
func (e *Engine) Run(ctx context.Context, exp *config.Experiment, opts RunOptions) (*Run, error) {
	if err := e.Registry.complete(); err != nil {
		return nil, err
	}
	if err := ShardableLoads(exp, opts.Shard); err != nil {
		return nil, err
	}
	ds, plan, m, err := e.Prepare(ctx, exp, opts.ExperimentFile)
	if err != nil {
		return nil, err
	}
	m.Overrides = opts.Overrides
	if err := preflight(exp); err != nil {
		return nil, err
	}
	if err := e.fdPreflight(exp, opts.Shard); err != nil {
		return nil, err
	}
	scorer, err := e.Registry.Scorer(exp.Score, ds.Version)
	if err != nil {
		return nil, fmt.Errorf("score: %w", err)
	}

	base := exp.Export.Dir
	if opts.OutDir != "" {
		base = opts.OutDir
	}
	if opts.ResumeDir == "" && opts.Shard.Count > 1 {
		// A rerun of the same shard command (a requeued or resubmitted
		// array task, a restarted pod) continues its unfinished folder.
		if err := opts.Shard.Check(); err != nil {
			return nil, err
		}
		hash := runfolder.ExperimentHash(&m.Experiment, m.Dataset.IDs)
		found, finished, others := runfolder.FindShardDir(base, exp.Name, opts.Shard, hash)
		for _, o := range others {
			opts.note(fmt.Sprintf("%s is shard %s of another experiment (hash %.12s, this one %.12s): left alone, a new folder is made", o.Dir, opts.Shard, o.Hash, hash))
		}
		switch {
		case finished:
			return nil, fmt.Errorf("%w: %s (experiment hash %.12s); nothing to do", ErrShardFinished, found, hash)
		case found != "":
			opts.note(fmt.Sprintf("resuming shard %s in its unfinished folder %s (same experiment, hash %.12s)", opts.Shard, found, hash))
			opts.ResumeDir = found
		}
	}
	var (
		dir     string
		done    []*seqSet  // per plan job, by Seq: cells kept from an earlier attempt (resume)
		prior   levelSpans // their completed rates by level (resume)
		already = map[string]int{}
	)
	if opts.ResumeDir != "" {
		dir = opts.ResumeDir
		// Lock before resume reads or rewrites anything: a second process
		// on this folder must leave it untouched.
		lock, err := runfolder.LockRunDir(dir, true)
		if err != nil {
			return nil, fmt.Errorf("resume: %w", err)
		}
		defer lock.Unlock()
		done, prior, m, err = e.resume(dir, m, plan, opts.Shard)
		if err != nil {
			return nil, err
		}
		// The folder's own shard, which resume takes when --shard is not
		// given (and the load may have changed to a sweep since).
		if err := ShardableLoads(exp, m.RecordedShard()); err != nil {
			return nil, err
		}
		for ji, j := range plan.Jobs {
			already[j.Platform.Name] = done[ji].len()
		}
	} else {
		if err := opts.Shard.Check(); err != nil {
			return nil, err
		}
		name := exp.Name
		if opts.Shard.Count > 1 {
			name += "-" + opts.Shard.DirSuffix()
		}
		if dir, err = newRunDir(base, name, e.now()); err != nil {
			return nil, err
		}
		lock, err := runfolder.LockRunDir(dir, false)
		if err != nil {
			return nil, err
		}
		defer lock.Unlock()
		m.RunID = filepath.Base(dir)
		m.StartedAt = e.now().UTC()
		setShard(m, opts.Shard, plan)
		if err := writeJSON(filepath.Join(dir, runfolder.SamplesFile), ds.Samples); err != nil {
			return nil, err
		}
	}
	if err := writeJSON(filepath.Join(dir, runfolder.ManifestFile), m); err != nil {
		return nil, err
	}
	journal, err := runfolder.OpenJournal(filepath.Join(dir, runfolder.JournalFile))
	if err != nil {
		return nil, err
	}
	run := &Run{Dir: dir, Experiment: exp, Manifest: m, Samples: sampleIndex(ds.Samples)}

	var (
		stops map[string]string
		notes []string
		qerr  error
	)
	if !opts.StartAt.IsZero() {
		at := opts.StartAt.UTC()
		m.StartAt = &at
		if err := writeJSON(filepath.Join(dir, runfolder.ManifestFile), m); err != nil {
			journal.Close()
			return run, err
		}
	}
	if opts.StartAt.IsZero() || e.waitStart(ctx, opts.StartAt, opts.note) {
		_, stops, notes, qerr = e.query(ctx, exp, plan, done, prior, m.RecordedShard(), scorer, journal, already, m, dir)
	}
	if cerr := journal.Close(); cerr != nil && qerr == nil {
		qerr = cerr
	}
	plan = nil // the cells are not needed any more; let the collector have them
	m.Notes = appendUnique(m.Notes, notes...)
	m.PlatformStops = stops
	switch {
	case ctx.Err() != nil:
		m.StopReason = runfolder.StopInterrupted
	case len(stops) > 0:
		m.StopReason = runfolder.StopPartial
	default:
		m.StopReason = runfolder.StopCompleted
	}
	m.FinishedAt = e.now().UTC()
	// Aggregate and export even after a fatal query error or Ctrl-C: what
	// finished is worth keeping. Use a fresh context for that part.
	ferr := e.Finish(context.WithoutCancel(ctx), run, nil)
	return run, errors.Join(qerr, ferr)
}

// query runs every platform side by side, appending every record to the
// journal (and keeping none), and returns how many it wrote. done (nil
// for none) marks the cells of each plan job, by Seq, that an earlier
// attempt finished; prior are their completed rates by level (for a
// sweep's rate levels); only the cells of shard are sent. dir is the run
// folder, whose manifest gets a sweep's rates as soon as they are chosen.
func (e *Engine) query(ctx context.Context, exp *config.Experiment, plan *Plan, done []*seqSet, prior levelSpans, shard runfolder.Shard, scorer Scorer,
	journal *runfolder.Journal, already map[string]int, m *runfolder.Manifest, dir string) (int, map[string]string, []string, error) {
	stop := make(chan struct{})
	qctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	grace := e.Grace
	if grace == 0 {
		grace = DefaultGrace
	}
	finished := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			close(stop)
			e.log().Warn("interrupted: no new requests; waiting for in-flight ones", "grace", grace)
			select {
			case <-time.After(grace):
				cancel()
			case <-finished:
			}
		case <-finished:
		}
	}()
	defer close(finished)

	var (
		mu       sync.Mutex
		nrecs    int
		stops    = map[string]string{}
		notes    []string
		errs     []error
		wg       sync.WaitGroup
		writeErr error
	)
	totals := map[string]int{}
	var order []string
	want := 0
	// The cells each platform sends: its shard's (see Shard) that an
	// earlier attempt did not finish, generated as they are sent.
	members := shardMembers(shard, plan) // nil: every cell
	for pi, j := range plan.Jobs {
		if members == nil {
			totals[j.Platform.Name] = j.Cells.Planned()
		} else {
			for seq := range j.Cells.Fixed() {
				if members[pi](seq) {
					totals[j.Platform.Name]++
				}
			}
		}
		order = append(order, j.Platform.Name)
		want += totals[j.Platform.Name] - already[j.Platform.Name]
	}
	if ts, ok := e.Progress.(TimedSink); ok {
		for _, j := range plan.Jobs {
			if j.Cells.Timed() {
				ts.Timed(j.Platform.Name)
			}
		}
	}
	if e.Progress != nil {
		e.Progress.Begin(totals, already, order)
	}
	start := time.Now()
	// Sending marks (see SendSpan), written to the manifest at once so
	// that a process killed mid-level leaves its start.
	process := m.NextProcess()
	var shardIndex *int
	if sh := m.RecordedShard(); sh.Count > 1 {
		shardIndex = &sh.Index
	}
	writeMarks := func() {
		if err := writeJSON(filepath.Join(dir, runfolder.ManifestFile), m); err != nil {
			e.log().Warn("could not record a sending mark in the manifest", "err", err)
		}
	}
	mark := func(platform, load string) func() {
		mu.Lock()
		defer mu.Unlock()
		i := len(m.SendSpans)
		m.SendSpans = append(m.SendSpans, runfolder.SendSpan{Platform: platform, Load: load, Process: process, Shard: shardIndex, Start: e.now().UTC()})
		writeMarks()
		return func() {
			mu.Lock()
			defer mu.Unlock()
			m.SendSpans[i].Stop = e.now().UTC()
			writeMarks()
		}
	}
	hashes := requestHashes(exp)
	// emit scores r against its question q (nil: not in this run's
	// questions) and journals it.
	emit := func(r results.Record, q *config.Sample) {
		r.RequestHash = hashes[results.GroupKey{Platform: r.Platform, Model: r.Model, Temperature: r.Temperature}]
		if q != nil {
			scorer.Score(&r, q)
		}
		err := journal.Append(&r)
		mu.Lock()
		nrecs++
		if err != nil && writeErr == nil {
			writeErr = err
		}
		mu.Unlock()
		if e.Progress != nil {
			e.Progress.Observe(&r)
		}
	}
	for pi, j := range plan.Jobs {
		var jdone *seqSet
		if done != nil {
			jdone = done[pi]
		}
		var in func(int) bool
		if members != nil {
			in = members[pi]
		}
		var keep func(int) bool // nil: every cell is to be sent
		if jdone.len() > 0 || in != nil {
			keep = func(seq int) bool { return (in == nil || in(seq)) && !jdone.has(seq) }
		}
		if totals[j.Platform.Name]-already[j.Platform.Name] <= 0 && !j.Cells.Timed() {
			continue
		}
		cells := j.Cells.Source(0, j.Cells.Len(), keep)
		all := j.Cells // by Seq: a record finds its sample without a map
		// A shard sends its share of every level (the same seed as the
		// other shards: they share one arrival schedule).
		platform, shares := sharedPlatform(shard, j.Platform)
		job := QueryJob{Platform: platform, Params: exp.Params, Source: cells, Seed: exp.Seed + int64(pi)*7919,
			Log: e.log().With("platform", j.Platform.Name), Stop: stop}
		if ls := shares[""]; ls != nil && (platform.Levels == nil || len(platform.Levels.Resolved) == 0) {
			job.Stripe = ls.Stripe()
		}
		if ws, ok := e.Progress.(RetryWaitSink); ok {
			name := j.Platform.Name
			job.RetryWait = func(d time.Duration) func() { return ws.RetryWait(name, d) }
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := j.Platform.Name
			mu.Lock()
			rates := m.SweepRates[name]
			mu.Unlock()
			lr := &levelRunner{querier: e.Registry.Querier, job: job, prior: prior.rates(name), spent: prior.spent(name), rates: rates, shares: shares, setRates: func(r []float64) {
				mu.Lock()
				defer mu.Unlock()
				if m.SweepRates == nil {
					m.SweepRates = map[string][]float64{}
				}
				m.SweepRates[name] = r
				// At once, so that a resume after a crash reruns these rates.
				if err := writeJSON(filepath.Join(dir, runfolder.ManifestFile), m); err != nil {
					e.log().Warn("could not record the sweep rates in the manifest", "platform", name, "err", err)
				}
			}, mark: func(load string) func() { return mark(name, load) }}
			lr.health = func(h results.ClientHealth) { e.recordClientHealth(&mu, m, dir, exp.Client, h) }
			if ts, ok := e.Progress.(TimedSink); ok {
				lr.timedLevel = func(load string, d time.Duration) { ts.TimedLevel(name, load, d) }
			}
			rep, lstops, err := lr.run(qctx, func(r results.Record) {
				var q *config.Sample
				if all.Has(r.Seq, r.CellKey) {
					q = all.At(r.Seq).Sample
				}
				emit(r, q)
			})
			mu.Lock()
			defer mu.Unlock()
			m.LevelStops = append(m.LevelStops, lstops...)
			if err != nil {
				errs = append(errs, fmt.Errorf("platform %s: %w", j.Platform.Name, err))
				stops[j.Platform.Name] = "setup failed: " + err.Error()
			}
			if rep.StopReason != "" && rep.StopReason != runfolder.StopInterrupted {
				stops[j.Platform.Name] = rep.StopReason
			}
			for _, n := range rep.Notes {
				notes = append(notes, j.Platform.Name+": "+n)
			}
		}()
	}
	wg.Wait()
	if e.Progress != nil {
		e.Progress.End()
	}
	m.Stages = append(m.Stages, runfolder.StageStat{Stage: "query+score", In: want, Out: nrecs, Duration: config.Duration(time.Since(start))})
	e.log().Info("stage done", "stage", "query+score", "in", want, "out", nrecs, "took", time.Since(start).Round(time.Millisecond))
	if writeErr != nil {
		errs = append(errs, writeErr)
	}
	var err error
	if len(errs) > 0 {
		err = fmt.Errorf("query: %w", errors.Join(errs...))
	}
	if len(stops) == 0 {
		stops = nil
	}
	slices.Sort(notes)
	return nrecs, stops, notes, err
}

// Finish aggregates the run's records (see Run.EachRecord: run.Records, or
// else the journal read back as a stream) and writes the export formats (nil means
// the experiment's export.formats) into run.Dir, removes the outputs of
// every other registered format (see Registry.AddExporter), then rewrites
// the manifest with the stage bookkeeping and the formats written. It is the back half of the chain
// that rescore, report and resume share.
func (e *Engine) Finish(ctx context.Context, run *Run, formats []string) error {
	_, err := e.finish(ctx, run, formats)
	return err
}

// finish is Finish, also saying whether it rewrote the manifest (it does
// unless the aggregation fails).
func (e *Engine) finish(ctx context.Context, run *Run, formats []string) (bool, error) {
	m := run.Manifest
	run.forget()
	var res *results.Results
	n := 0
	err := stage(m, e.log(), "aggregate", 0, func() (int, error) {
		var err error
		res, n, err = AggregateRun(ctx, e.Registry.Aggregate, run)
		if err != nil {
			return 0, err
		}
		return len(res.Groups), nil
	})
	m.Stages[len(m.Stages)-1].In = n
	run.Count = n
	if err != nil {
		return false, err
	}
	res.Experiment = run.Experiment.Name
	res.RunID = m.RunID
	res.StartedAt = m.StartedAt
	res.FinishedAt = m.FinishedAt
	res.StopReason = m.StopReason
	res.PlatformStops = m.PlatformStops
	ApplyLevels(res, m, run.Experiment.SLO)
	ApplyClient(res, m, run.Experiment.Client)
	run.Results = res
	if formats == nil {
		formats = run.Experiment.Export.Formats
	}
	var errs []error
	m.Formats = nil
	_ = stage(m, e.log(), "export", len(formats), func() (int, error) {
		// Formats are independent files: write them side by side, as
		// many at once as there are CPUs (the workbook of a million
		// requests takes most of the time, the others fit beside it).
		// Formats are listed and errors reported in the order asked.
		var todo []string
		for _, f := range formats {
			if _, ok := e.Registry.Exporters[f]; !ok {
				errs = append(errs, fmt.Errorf("unknown format %q (have %v)", f, e.Registry.ExporterNames()))
				continue
			}
			if !slices.Contains(todo, f) {
				todo = append(todo, f)
			}
		}
		ferrs := make([]error, len(todo))
		sem := make(chan struct{}, max(runtime.GOMAXPROCS(0), 1))
		var wg sync.WaitGroup
		for i, f := range todo {
			sem <- struct{}{} // start them in the order asked
			wg.Go(func() {
				defer func() { <-sem }()
				ferrs[i] = e.Registry.Exporters[f](ctx, run)
			})
		}
		wg.Wait()
		n := 0
		for i, f := range todo {
			if ferrs[i] != nil {
				errs = append(errs, fmt.Errorf("%s: %w", f, ferrs[i]))
				continue
			}
			m.Formats = append(m.Formats, f)
			n++
		}
		// The files of a format not written now (not asked for, or
		// failed) would show other numbers than the ones just written.
		for _, f := range e.Registry.ExporterNames() {
			if slices.Contains(m.Formats, f) {
				continue
			}
			for _, o := range e.Registry.Outputs[f] {
				if err := os.Remove(filepath.Join(run.Dir, o)); err != nil && !errors.Is(err, fs.ErrNotExist) {
					errs = append(errs, fmt.Errorf("%s: remove the outdated %s: %w", f, o, err))
				}
			}
		}
		return n, errors.Join(errs...)
	})
	wrote := true
	if err := writeJSON(filepath.Join(run.Dir, runfolder.ManifestFile), m); err != nil {
		errs = append(errs, err)
		wrote = false
	}
	if len(errs) > 0 {
		return wrote, fmt.Errorf("export: %w", errors.Join(errs...))
	}
	return true, nil
}

// ShardableLoads refuses a sharded run (shard.Count > 1) of a platform
// whose load model decides its rates at run time (a sweep, RateChooser):
// every shard would measure its own share and choose its own rates, and
// the merged levels would mix requests sent at different rates.
func ShardableLoads(exp *config.Experiment, shard runfolder.Shard) error {
	if shard.Count <= 1 {
		return nil
	}
	var errs []error
	for i, p := range exp.Platforms {
		if p.Levels == nil {
			continue
		}
		if _, decides := p.Levels.Model.(config.RateChooser); decides {
			errs = append(errs, fmt.Errorf("platforms[%d].load: --shard %s cannot split a %s load (platform %s): each shard would choose its own rates at run time; run the sweep in one process, or give the rates as a rate list", i, shard, p.Levels.Type, p.Name))
		}
	}
	return errors.Join(errs...)
}

// preflight checks what can only be checked at run time but must not
// cost a run folder: every api_key_env names a variable that is set.
// (validate does not check it, so that CI can validate experiments
// without their secrets.)
func preflight(exp *config.Experiment) error {
	var errs []error
	for i, p := range exp.Platforms {
		if p.APIKeyEnv != "" {
			if v, ok := os.LookupEnv(p.APIKeyEnv); !ok || v == "" {
				errs = append(errs, fmt.Errorf("platforms[%d].api_key_env: environment variable %s is not set (platform %s)", i, p.APIKeyEnv, p.Name))
			}
		}
	}
	return errors.Join(errs...)
}

// newRunDir creates base/<name>-<UTC timestamp>, adding -2, -3... if a run
// started in the same second.
func newRunDir(base, name string, now time.Time) (string, error) {
	stamp := now.UTC().Format("20060102T150405Z")
	if err := os.MkdirAll(base, 0o755); err != nil {
		return "", fmt.Errorf("run folder: %w", err)
	}
	for i := 1; ; i++ {
		dir := filepath.Join(base, name+"-"+stamp)
		if i > 1 {
			dir += fmt.Sprintf("-%d", i)
		}
		err := os.Mkdir(dir, 0o755)
		if err == nil {
			return dir, nil
		}
		if !errors.Is(err, os.ErrExist) || i > 100 {
			return "", fmt.Errorf("run folder: %w", err)
		}
	}
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	if err := atomicfile.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	return nil
}

func sampleIndex(s []config.Sample) map[string]*config.Sample {
	m := make(map[string]*config.Sample, len(s))
	for i := range s {
		m[s[i].ID] = &s[i]
	}
	return m
}

func appendUnique(dst []string, add ...string) []string {
	for _, a := range add {
		if !slices.Contains(dst, a) {
			dst = append(dst, a)
		}
	}
	return dst
}
