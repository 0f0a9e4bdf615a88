package config

import "testing"

// testFormats are testRegistry's export formats, in registration order.
var testFormats = []string{"json", "csv", "xlsx", "markdown", "html"}

// testFileLoader stands for a source that reads a file: dataset.path is
// required.
type testFileLoader string

func (l testFileLoader) CheckDataset(d DatasetSpec) []Problem {
	if d.Path == "" {
		return []Problem{{Path: "path", Message: "is required for source " + string(l)}}
	}
	return nil
}

// testHFLoader requires hf.dataset, hf.config and hf.split.
type testHFLoader struct{}

func (testHFLoader) CheckDataset(d DatasetSpec) []Problem {
	var out []Problem
	var hf testHF
	_ = d.HF.Decode(&hf)
	for _, f := range []struct{ key, val string }{{"dataset", hf.Dataset}, {"config", hf.Config}, {"split", hf.Split}} {
		if f.val == "" {
			out = append(out, Problem{Path: "hf." + f.key, Message: "is required for source hf"})
		}
	}
	return out
}

// testRegistry stands in for stages.NewRegistry's catalog (which config's
// tests cannot import): the same names, rules and defaults.
func testRegistry() *Catalog {
	r := &Catalog{}
	r.AddSource("demo", nil)
	for _, n := range []string{"squad", "jsonl", "csv"} {
		r.AddSource(n, testFileLoader(n))
	}
	r.AddSource("hf", testHFLoader{})
	for _, n := range testFormats {
		r.AddFormat(n)
	}
	r.AddBlock(KindEmulator, "emulate", func() any { return &testEmulate{} })
	r.AddBlock(KindDatasetBlock, "hf", func() any { return &testHF{} })
	r.AddBlock(KindDatasetBlock, "fields", func() any { return &testFields{} })
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
