package pipeline

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/runfolder"
)

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
		if opts.ResumeDir, err = shardFolder(base, exp, m, opts); err != nil {
			return nil, err
		}
	}
	f, err := e.openRunFolder(base, exp, ds, plan, m, opts)
	if err != nil {
		return nil, err
	}
	defer f.lock.Unlock()
	m = f.m
	journal, err := runfolder.OpenJournal(filepath.Join(f.dir, runfolder.JournalFile))
	if err != nil {
		return nil, err
	}
	run := &Run{Dir: f.dir, Experiment: exp, Manifest: m, Samples: sampleIndex(ds.Samples)}

	var (
		stops map[string]string
		notes []string
		qerr  error
	)
	if !opts.StartAt.IsZero() {
		at := opts.StartAt.UTC()
		m.StartAt = &at
		if err := writeJSON(filepath.Join(f.dir, runfolder.ManifestFile), m); err != nil {
			journal.Close()
			return run, err
		}
	}
	if opts.StartAt.IsZero() || e.waitStart(ctx, opts.StartAt, opts.note) {
		rr := &requestRunner{e: e, exp: exp, plan: plan, done: f.done, prior: f.prior, shard: m.RecordedShard(), scorer: scorer,
			journal: journal, already: f.already, m: m, dir: f.dir,
			server: runfolder.NewServerMetricsLog(filepath.Join(f.dir, runfolder.ServerMetricsFile))}
		stops, notes, qerr = rr.run(ctx)
		if cerr := rr.server.Close(); cerr != nil {
			e.log().Warn("could not close the server metrics", "err", cerr)
		}
	}
	if cerr := journal.Close(); cerr != nil && qerr == nil {
		qerr = cerr
	}
	plan = nil // the cells are not needed any more; let the collector have them
	m.Notes = appendUnique(m.Notes, notes...)
	m.PlatformStops = stops
	m.StopReason = stopReason(ctx, stops)
	m.FinishedAt = e.now().UTC()
	// Aggregate and export even after a fatal query error or Ctrl-C: what
	// finished is worth keeping. Use a fresh context for that part.
	ferr := e.Finish(context.WithoutCancel(ctx), run, nil)
	return run, errors.Join(qerr, ferr)
}

// shardFolder returns the folder under base that a sharded run without
// --resume continues ("" for none: a new folder is made). A rerun of the
// same shard command (a requeued or resubmitted array task, a restarted
// pod) continues its unfinished folder of the same experiment; a finished
// one is an error wrapping ErrShardFinished.
func shardFolder(base string, exp *config.Experiment, m *runfolder.Manifest, opts RunOptions) (string, error) {
	if err := opts.Shard.Check(); err != nil {
		return "", err
	}
	hash := runfolder.ExperimentHash(&m.Experiment, m.Dataset.IDs)
	found, finished, others := runfolder.FindShardDir(base, exp.Name, opts.Shard, hash)
	for _, o := range others {
		opts.note(fmt.Sprintf("%s is shard %s of another experiment (hash %.12s, this one %.12s): left alone, a new folder is made", o.Dir, opts.Shard, o.Hash, hash))
	}
	switch {
	case finished:
		return "", fmt.Errorf("%w: %s (experiment hash %.12s); nothing to do", ErrShardFinished, found, hash)
	case found != "":
		opts.note(fmt.Sprintf("resuming shard %s in its unfinished folder %s (same experiment, hash %.12s)", opts.Shard, found, hash))
	}
	return found, nil
}

// runFolder is the run folder a Run writes, held locked, with what an
// earlier attempt left in it (resume).
type runFolder struct {
	dir  string
	lock *runfolder.RunLock
	// m is the manifest, written into dir: the fresh one, or on resume
	// the one resume made from it and the folder's.
	m       *runfolder.Manifest
	done    []*seqSet      // per plan job, by Seq: cells kept from an earlier attempt (resume)
	prior   levelSpans     // their completed rates by level (resume)
	already map[string]int // by platform: how many cells were kept (resume)
}

// openRunFolder locks opts.ResumeDir and prepares it for continuing (see
// resume), or else creates a new run folder under base, locks it and
// writes the selected samples; either way it then writes the manifest
// (fresh m, or resume's). The caller unlocks the folder it returns; on an
// error nothing stays locked.
func (e *Engine) openRunFolder(base string, exp *config.Experiment, ds *config.Dataset, plan *Plan, m *runfolder.Manifest, opts RunOptions) (*runFolder, error) {
	f := &runFolder{m: m, already: map[string]int{}}
	var err error
	if opts.ResumeDir != "" {
		f.dir = opts.ResumeDir
		// Lock before resume reads or rewrites anything: a second process
		// on this folder must leave it untouched.
		if f.lock, err = runfolder.LockRunDir(f.dir, true); err != nil {
			return nil, fmt.Errorf("resume: %w", err)
		}
		if f.done, f.prior, f.m, err = e.resume(f.dir, m, plan, opts.Shard); err != nil {
			f.lock.Unlock()
			return nil, err
		}
		// The folder's own shard, which resume takes when --shard is not
		// given (and the load may have changed to a sweep since).
		if err := ShardableLoads(exp, f.m.RecordedShard()); err != nil {
			f.lock.Unlock()
			return nil, err
		}
		for ji, j := range plan.Jobs {
			f.already[j.Platform.Name] = f.done[ji].len()
		}
	} else {
		if err := opts.Shard.Check(); err != nil {
			return nil, err
		}
		name := exp.Name
		if opts.Shard.Count > 1 {
			name += "-" + opts.Shard.DirSuffix()
		}
		if f.dir, err = newRunDir(base, name, e.now()); err != nil {
			return nil, err
		}
		if f.lock, err = runfolder.LockRunDir(f.dir, false); err != nil {
			return nil, err
		}
		m.RunID = filepath.Base(f.dir)
		m.StartedAt = e.now().UTC()
		setShard(m, opts.Shard, plan)
		if err := writeJSON(filepath.Join(f.dir, runfolder.SamplesFile), ds.Samples); err != nil {
			f.lock.Unlock()
			return nil, err
		}
	}
	if err := writeJSON(filepath.Join(f.dir, runfolder.ManifestFile), f.m); err != nil {
		f.lock.Unlock()
		return nil, err
	}
	return f, nil
}

// stopReason is the manifest's StopReason of a run that ended with the
// platform stops given (nil: none) and ctx.
func stopReason(ctx context.Context, stops map[string]string) string {
	switch {
	case ctx.Err() != nil:
		return runfolder.StopInterrupted
	case len(stops) > 0:
		return runfolder.StopPartial
	default:
		return runfolder.StopCompleted
	}
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
