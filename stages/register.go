// Package stages is the one list of built-in stage implementations: each
// stage package below it implements pipeline's contracts and registers
// itself into a pipeline.Registry through this package.
//
// It is the only package that imports every stage; cmd/inferbench calls
// NewRegistry and passes the registry to pipeline. Besides what each
// package comment allows, any stage may import the helper packages
// (pipeline/<name> but config, results and runfolder, which are the
// core; stages/internal/...), which import no stage;
// imports_test.go checks these rules. Adding a stage
// implementation means registering it here (or in its package's Register).
package stages

import (
	"github.com/inferbench/inferbench/pipeline"
	"github.com/inferbench/inferbench/stages/aggregate"
	"github.com/inferbench/inferbench/stages/export"
	"github.com/inferbench/inferbench/stages/load"
	"github.com/inferbench/inferbench/stages/query"
	"github.com/inferbench/inferbench/stages/score"
)

// RegisterAll adds every built-in loader, the querier, the scorer, the
// aggregator and every exporter to reg. It is called explicitly by
// cmd/inferbench: no init() side effects, no blank imports.
func RegisterAll(reg *pipeline.Registry) {
	load.Register(reg)
	query.Register(reg)
	reg.Scorer = score.New
	reg.ExtractSteps = score.StepNames()
	aggregate.Register(reg)
	export.Register(reg)
}

// NewRegistry returns a registry holding every built-in stage.
func NewRegistry() *pipeline.Registry {
	reg := pipeline.NewRegistry()
	RegisterAll(reg)
	return reg
}
