package pipeline

import (
	"testing"
)

// testRegistry knows the built-in names without any real stage behind them.
func testRegistry() *Registry {
	r := NewRegistry()
	for _, n := range []string{"demo", "squad", "hf", "jsonl", "csv"} {
		r.AddLoader(n, LoaderFunc(nil))
	}
	for _, n := range []string{"json", "csv", "xlsx", "markdown", "html"} {
		r.AddExporter(n, nil)
	}
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
