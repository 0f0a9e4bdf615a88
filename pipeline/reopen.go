package pipeline

import (
	"context"
	"fmt"
	"path/filepath"
)

// Reopen reads a finished (or interrupted) run folder back into a Run:
// manifest, saved samples and the final record of every cell. No endpoint
// and no dataset source is touched, which is what makes rescore, report
// and compare cheap ("attack once, report many times").
func Reopen(dir string) (*Run, error) {
	m, err := ReadManifest(dir)
	if err != nil {
		return nil, err
	}
	samples, err := ReadSamples(dir)
	if err != nil {
		return nil, err
	}
	recs, _, err := ReadJournal(filepath.Join(dir, JournalFile))
	if err != nil {
		return nil, err
	}
	exp := m.Experiment
	return &Run{Dir: dir, Experiment: &exp, Manifest: m, Records: FinalRecords(recs), Samples: sampleIndex(samples)}, nil
}

// Rescore recomputes every record's score with spec (the run's own spec
// when nil), rewrites the journal, and re-runs aggregate and export.
func (e *Engine) Rescore(ctx context.Context, run *Run, spec *ScoreSpec) error {
	if spec != nil {
		run.Experiment.Score = *spec
		run.Manifest.Experiment.Score = *spec
	}
	scorer, err := e.Registry.Scorer(run.Experiment.Score, run.Manifest.Dataset.Version)
	if err != nil {
		return fmt.Errorf("score: %w", err)
	}
	err = stage(run.Manifest, e.log(), "score", len(run.Records), func() (int, error) {
		n := 0
		for i := range run.Records {
			r := &run.Records[i]
			s := run.Samples[r.SampleID]
			if s == nil {
				return n, fmt.Errorf("record %s: sample %q is not in %s", r.CellKey, r.SampleID, SamplesFile)
			}
			r.Answer, r.EM, r.F1, r.RawEM, r.RawF1, r.Truncated, r.Scored = "", 0, 0, 0, 0, false, false
			scorer.Score(r, s)
			n++
		}
		return n, WriteJournal(filepath.Join(run.Dir, JournalFile), run.Records)
	})
	if err != nil {
		return err
	}
	return e.Finish(ctx, run, nil)
}
