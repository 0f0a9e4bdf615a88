package pipeline

import (
	"context"
	"errors"
	"os"
	"path/filepath"

	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/results"
	"github.com/inferbench/inferbench/pipeline/runfolder"
)

// EachRecord calls fn with the final record of every cell of the run, one
// at a time: run.Records when it is not nil (a Run built in memory), else
// the records read back from run.Dir's journal as a stream, keeping one
// when a cell has several (the first success, else the last failure),
// each where the kept record stands in the journal. fn must not keep the
// pointer, and must not modify the record when run.Records is set. A
// missing journal is no records. EachRecord is safe for concurrent use.
func (r *Run) EachRecord(fn func(*results.Record) error) error {
	if r.Records != nil {
		for i := range r.Records {
			if err := fn(&r.Records[i]); err != nil {
				return err
			}
		}
		return nil
	}
	path := filepath.Join(r.Dir, runfolder.JournalFile)
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	v, err := r.memoOf(&r.skip).get("skips", func() (any, error) { return runfolder.FinalSkips(path) })
	if err != nil {
		return err
	}
	skips := v.(map[int]bool)
	_, err = runfolder.ScanJournal(path, func(line int, rec *results.Record) error {
		if skips[line] {
			return nil
		}
		return fn(rec)
	})
	return err
}

// AggregateRun feeds every final record of run (see EachRecord) to a new
// accumulator of agg and returns its results and the number of records.
// The server metrics of run.Dir's server_metrics.jsonl, when there are
// any, are summarised into the groups (see ServerMetricsSetter).
func AggregateRun(ctx context.Context, agg Aggregator, run *Run) (*results.Results, int, error) {
	acc, err := agg(ctx, run.Experiment)
	if err != nil {
		return nil, 0, err
	}
	if ss, ok := acc.(SendSpanSetter); ok && run.Manifest != nil {
		ss.SetSendSpans(run.Manifest.SendSpans)
	}
	if cs, ok := acc.(ClientHealthSetter); ok && run.Manifest != nil {
		cs.SetClientHealth(run.Manifest.ClientHealth)
	}
	server, err := run.ServerSamples()
	if err != nil {
		return nil, 0, err
	}
	ss, setter := acc.(ServerMetricsSetter)
	if setter {
		ss.SetServerMetrics(server)
	}
	n := 0
	if err := run.EachRecord(func(r *results.Record) error {
		n++
		return acc.Add(r)
	}); err != nil {
		return nil, n, err
	}
	res, err := acc.Close(ctx)
	if err == nil && !setter {
		res.ApplyServerMetrics(server)
	}
	return res, n, err
}

// ServerMetricsSetter is an Accumulator that applies the server metrics
// itself (Results.ApplyServerMetrics) before it evaluates `metrics:` and
// `checks:`, so that they see the server_* figures: AggregateRun gives
// it the samples of the run folder's server_metrics.jsonl (nil: none)
// before the first Add. Another Accumulator gets them applied after
// Close.
type ServerMetricsSetter interface {
	SetServerMetrics(samples []results.ServerSample)
}

// AggregateRecords aggregates an in-memory slice of records with agg.
func AggregateRecords(ctx context.Context, agg Aggregator, exp *config.Experiment, recs []results.Record) (*results.Results, error) {
	if recs == nil {
		recs = []results.Record{}
	}
	res, _, err := AggregateRun(ctx, agg, &Run{Experiment: exp, Records: recs})
	return res, err
}
