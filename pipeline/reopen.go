package pipeline

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/results"
	"github.com/inferbench/inferbench/pipeline/runfolder"
)

// Reopen reads a finished (or interrupted) run folder back into a Run:
// manifest and saved samples. Records stay in the journal, which
// Run.EachRecord streams (the final record of every cell), so that a run
// of millions of requests reopens in bounded memory. No endpoint
// and no dataset source is touched, which is what makes rescore, report
// and compare cheap ("attack once, report many times").
func Reopen(dir string) (*Run, error) {
	m, err := runfolder.ReadManifest(dir)
	if err != nil {
		return nil, err
	}
	samples, err := runfolder.ReadSamples(dir)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(dir, runfolder.JournalFile)); err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	exp := m.Experiment
	return &Run{Dir: dir, Experiment: &exp, Manifest: m, Samples: sampleIndex(samples)}, nil
}

// LoadRecords reads run's final records into run.Records (see EachRecord),
// for tools that need them all at once (compare). It holds every record
// in memory.
func (run *Run) LoadRecords() error {
	if run.Records != nil {
		return nil
	}
	recs := []results.Record{}
	err := run.EachRecord(func(r *results.Record) error {
		recs = append(recs, *r)
		return nil
	})
	if err != nil {
		return err
	}
	run.Records = recs
	return nil
}

// Rescore recomputes every record's score with spec (the run's own spec
// when nil), rewrites the journal, and re-runs aggregate and export. The
// new records, results, exports and manifest replace the old ones in one
// step (see Staged): killed at any moment, the folder holds the old state
// or the new one. The caller should hold the folder's lock (LockRunDir)
// from before Reopen.
func (e *Engine) Rescore(ctx context.Context, run *Run, spec *config.ScoreSpec) error {
	if spec != nil {
		run.Experiment.Score = *spec
		run.Manifest.Experiment.Score = *spec
	}
	scorer, err := e.Registry.Scorer(run.Experiment.Score, run.Manifest.Dataset.Version)
	if err != nil {
		return fmt.Errorf("score: %w", err)
	}
	n := 0
	rescore := func(r *results.Record) error {
		s := run.Samples[r.SampleID]
		if s == nil {
			return fmt.Errorf("record %s: sample %q is not in %s", r.CellKey, r.SampleID, runfolder.SamplesFile)
		}
		r.Answer, r.EM, r.F1, r.RawEM, r.RawF1, r.Truncated, r.Scored = "", 0, 0, 0, 0, false, false
		scorer.Score(r, s)
		n++
		return nil
	}
	return e.staged(ctx, run, func(dir string) error {
		err := stage(run.Manifest, e.log(), "score", 0, func() (int, error) {
			path := filepath.Join(dir, runfolder.JournalFile)
			if run.Records != nil {
				for i := range run.Records {
					if err := rescore(&run.Records[i]); err != nil {
						return n, err
					}
				}
				return n, runfolder.WriteJournal(path, run.Records)
			}
			// Stream: read the final records of the run folder, rescore
			// each, write a new journal in the stage.
			defer run.forget()
			return n, runfolder.RewriteJournal(path, func(write func(*results.Record) error) error {
				return run.EachRecord(func(r *results.Record) error {
					if err := rescore(r); err != nil {
						return err
					}
					return write(r)
				})
			})
		})
		run.Manifest.Stages[len(run.Manifest.Stages)-1].In = n
		return err
	})
}

// Report re-runs aggregate and export (see Finish) on a reopened run
// and replaces its results, exports and manifest in one step (see
// Staged). The caller should hold the folder's lock.
func (e *Engine) Report(ctx context.Context, run *Run, formats []string) error {
	return e.staged(ctx, run, nil, formats...)
}

// staged runs before (if any) and then Finish with the run's new state
// written into a stage beside run.Dir, and swaps it in when Finish wrote
// a manifest (an export that failed is reported, as Finish does, with
// the formats that did not fail swapped in); when before or the
// aggregation fails the run folder is left as it was.
func (e *Engine) staged(ctx context.Context, run *Run, before func(stage string) error, formats ...string) error {
	dir := run.Dir
	var ferr error
	err := runfolder.Staged(dir, func(st string) error {
		if before != nil {
			if err := before(st); err != nil {
				return err
			}
		}
		run.Dir = st
		defer func() { run.Dir = dir }()
		var wrote bool
		wrote, ferr = e.finish(ctx, run, formats)
		if !wrote {
			return ferr
		}
		return nil
	})
	run.forget() // its memo read the stage's files
	if err != nil {
		return err
	}
	return ferr
}
