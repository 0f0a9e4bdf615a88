// Package aggregate is the aggregate stage: it turns a run's records into
// results.Results (per-group statistics with bootstrap confidence
// intervals, speedups against the baseline with Mann-Whitney p-values,
// goodput, derived metrics and checks) and compares two runs.
//
// Percentiles are Hyndman-Fan type 7 (results.PercentileMethod), standard
// deviations are sample (n-1) deviations, and every random choice is seeded
// from the experiment, so the same records and seed give the same results.
//
// Imports: pipeline, its core packages (pipeline/config, pipeline/results,
// pipeline/runfolder) and stages/score (its answer normalization, which
// groups answers for the answer-agreement figures); aggregate must not
// import another stage, and score must not import aggregate.
package aggregate

import "github.com/inferbench/inferbench/pipeline"

// Register installs NewAccumulator as reg's aggregator, replacing any other.
func Register(reg *pipeline.Registry) {
	reg.Aggregate = NewAccumulator
}
