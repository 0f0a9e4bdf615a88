// Package pipeline is the core of inferbench: the engine and everything
// that does not depend on how a stage does its work. It owns
//
//   - the stage contracts (Loader, Querier, ScorerFactory, Aggregator with
//     its Accumulator, SendSpanSetter and ClientHealthSetter, Exporter)
//     and the one Registry the stages fill, which embeds the experiment
//     language's config.Catalog of component names, configs and rules;
//   - the plan and the engine: dataset selection and BuildPlan, cells
//     generated as they are sent, load levels and their runner, the level
//     watch, shards as shares of every level, the client sampler, file
//     descriptor preflight, resume, merge, reopen, rescore and report.
//
// Its sub-packages hold the rest, each by concern: pipeline/config (the
// experiment language), pipeline/results (the records and the results
// schema every exporter reads), pipeline/runfolder (the run folder on
// disk), and small helpers (pipeline/atomicfile, pipeline/jsonstr). The
// terminal progress display is cmd/inferbench's.
//
// Imports: pipeline imports only its sub-packages. It must not import a
// stage (stages/...) or cmd/inferbench: the stages reach it only through
// the Registry that cmd/inferbench fills with stages.NewRegistry, so that
// a new stage never changes pipeline.
package pipeline
