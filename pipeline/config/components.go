package config

// Components is what the experiment language needs of the component
// registry (pipeline.Registry implements it): the names it checks dataset
// sources, export formats and extraction steps against, and the config
// type of every load model. A nil Components skips the name checks but
// knows no load model, so every load block is rejected.
type Components interface {
	// LoaderNames, ExporterNames, ExtractStepNames and LoadModelNames
	// list the registered names, sorted (extraction steps in order).
	LoaderNames() []string
	ExporterNames() []string
	ExtractStepNames() []string
	LoadModelNames() []string
	// NewLoadModel returns a new, zero config of load model type typ, or
	// nil when no such type is registered.
	NewLoadModel(typ string) LoadModel
}
