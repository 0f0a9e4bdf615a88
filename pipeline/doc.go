// Package pipeline is the core of inferbench: everything that does not
// depend on how a stage does its work. It owns
//
//   - the experiment language: the Experiment types, YAML loading with
//     --set and INFERBENCH_ overrides, lint, defaults, validation and the
//     located Diagnostics;
//   - the stage contracts (Loader, Querier, ScorerFactory, Aggregator,
//     Exporter, LevelModel) and the one Registry the stages fill;
//   - the plan and the engine: matrix sizing, cells generated as they are
//     sent, load levels and their runner, shards as shares of every level;
//   - the run folder: journal, lock, manifest with its sending marks,
//     resume, reopen, merge and the client-health checks;
//   - the results schema every exporter reads, and the terminal progress
//     display.
//
// Imports: pipeline imports no other package of this module but its small
// helper packages (pipeline/<name>), which import no other package of the
// module except other helpers. It must not import a stage (stages/...) or
// cmd/inferbench: the stages reach it only
// through the Registry that cmd/inferbench fills with stages.NewRegistry,
// so that a new stage never changes pipeline.
package pipeline
