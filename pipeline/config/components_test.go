package config

import (
	"slices"
	"sort"
	"testing"
)

// fakeComponents is a Components with names only: no real component is
// behind them, and no load model.
type fakeComponents struct {
	loaders, exporters, steps []string
}

func (f *fakeComponents) LoaderNames() []string      { return sorted(f.loaders) }
func (f *fakeComponents) ExporterNames() []string    { return sorted(f.exporters) }
func (f *fakeComponents) ExtractStepNames() []string { return f.steps }
func (f *fakeComponents) LoadModelNames() []string   { return nil }
func (f *fakeComponents) NewLoadModel(string) LoadModel {
	return nil
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	sort.Strings(s)
	return s
}

// testRegistry knows the built-in names without any real stage behind them.
func testRegistry() *fakeComponents {
	return &fakeComponents{
		loaders:   []string{"demo", "squad", "hf", "jsonl", "csv"},
		exporters: []string{"json", "csv", "xlsx", "markdown", "html"},
		steps:     []string{"strip_reasoning", "bold_span", "first_line", "strip_prefix", "trim_period", "unquote"},
	}
}

func mustLoad(t *testing.T, path string, opts LoadOptions) *Experiment {
	t.Helper()
	if opts.Registry == nil {
		opts.Registry = testRegistry()
	}
	e, diags := LoadExperiment(path, opts)
	if len(diags) > 0 {
		t.Fatalf("unexpected diagnostics:\n%v", diags)
	}
	return e
}
