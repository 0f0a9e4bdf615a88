// Package aggregate is the aggregate stage: it turns a run's records into
// pipeline.Results (per-group statistics with bootstrap confidence
// intervals, speedups against the baseline with Mann-Whitney p-values,
// goodput, derived metrics and checks) and compares two runs.
//
// Percentiles are Hyndman-Fan type 7 (pipeline.PercentileMethod), standard
// deviations are sample (n-1) deviations, and every random choice is seeded
// from the experiment, so the same records and seed give the same results.
package aggregate

import (
	"context"

	"github.com/inferbench/inferbench/pipeline"
)

// Aggregate computes the results of records (warmups and failures included)
// under exp. It implements pipeline.Aggregator. It fills PercentileMethod,
// Experiment, Baseline, Groups, Comparisons, Checks and Warnings; the engine
// fills RunID, timestamps and stop reasons afterwards.
//
// Groups are platform x model x temperature in the experiment's order (see
// partition); warmup records only count in Warmups. Records are taken as
// given: the engine passes one final record per matrix cell.
//
// Errors: a nil experiment, a metric that does not compile, and
// cancellation of ctx (checked between groups; after an interrupted run the
// engine should pass a context that is not cancelled, e.g.
// context.WithoutCancel) are returned; everything else (failed checks,
// odd records) is reported in the results. Aggregate is safe for concurrent
// use; it does not modify records. It feeds the records to NewAccumulator,
// the streaming form the engine uses.
func Aggregate(ctx context.Context, exp *pipeline.Experiment, records []pipeline.Record) (*pipeline.Results, error) {
	return pipeline.AggregateRecords(ctx, NewAccumulator, exp, records)
}

// Register installs Aggregate as reg's aggregator, replacing any other.
func Register(reg *pipeline.Registry) {
	reg.Aggregate = NewAccumulator
}
