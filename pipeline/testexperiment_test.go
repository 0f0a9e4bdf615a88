package pipeline

import (
	"context"
	"testing"

	"github.com/inferbench/inferbench/pipeline/config"
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
	r.AddBlock(config.KindEmulator, "emulate", func() any { return &testEmulate{} })
	r.AddBlock(config.KindDatasetBlock, "hf", func() any { return &testHF{} })
	r.AddBlock(config.KindDatasetBlock, "fields", func() any { return &testFields{} })
	r.AddArrival("constant", config.ArrivalLaw{})
	r.AddArrival("poisson", config.ArrivalLaw{Default: true})
	r.AddArrival("gamma", config.ArrivalLaw{Shaped: true, DefaultShape: 1})
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

// testFormats are testRegistry's export formats, in registration order.
var testFormats = []string{"json", "csv", "xlsx", "markdown", "html"}

// testFileLoader is a source that reads a file: dataset.path is required.
type testFileLoader string

func (l testFileLoader) Load(context.Context, config.DatasetSpec, LoadEnv) (*config.Dataset, error) {
	return nil, nil
}

func (l testFileLoader) CheckDataset(d config.DatasetSpec) []config.Problem {
	if d.Path == "" {
		return []config.Problem{{Path: "path", Message: "is required for source " + string(l)}}
	}
	return nil
}

// testHFLoader requires hf.dataset, hf.config and hf.split.
type testHFLoader struct{}

func (testHFLoader) Load(context.Context, config.DatasetSpec, LoadEnv) (*config.Dataset, error) {
	return nil, nil
}

func (testHFLoader) CheckDataset(d config.DatasetSpec) []config.Problem {
	var out []config.Problem
	var hf testHF
	_ = d.HF.Decode(&hf)
	for _, f := range []struct{ key, val string }{{"dataset", hf.Dataset}, {"config", hf.Config}, {"split", hf.Split}} {
		if f.val == "" {
			out = append(out, config.Problem{Path: "hf." + f.key, Message: "is required for source hf"})
		}
	}
	return out
}
