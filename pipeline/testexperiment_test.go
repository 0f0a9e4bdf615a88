package pipeline

import (
	"testing"
)

// testRegistry stands in for stages.NewRegistry (which pipeline's tests
// cannot import): the same names, rules and defaults.
func testRegistry() *Registry {
	r := NewRegistry()
	r.AddLoader("demo", LoaderFunc(nil))
	for _, n := range []string{"squad", "jsonl", "csv"} {
		r.AddLoader(n, testFileLoader(n))
	}
	r.AddLoader("hf", testHFLoader{})
	for _, n := range testFormats {
		r.AddExporter(n, nil)
	}
	r.AddBlock(KindEmulator, "emulate", func() any { return &testEmulate{} })
	r.AddArrival("constant", ArrivalLaw{})
	r.AddArrival("poisson", ArrivalLaw{Default: true})
	r.AddArrival("gamma", ArrivalLaw{Shaped: true, DefaultShape: 1})
	r.ExtractSteps = []string{"strip_reasoning", "bold_span", "first_line", "strip_prefix", "trim_period", "unquote"}
	return r
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
