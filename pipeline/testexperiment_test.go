package pipeline

import (
	"testing"

	"github.com/inferbench/inferbench/pipeline/config"
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

func mustLoad(t *testing.T, path string, opts config.LoadOptions) *config.Experiment {
	t.Helper()
	if opts.Registry == nil {
		opts.Registry = testRegistry()
	}
	e, diags := config.LoadExperiment(path, opts)
	if len(diags) > 0 {
		t.Fatalf("unexpected diagnostics:\n%v", diags)
	}
	return e
}
