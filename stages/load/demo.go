package load

import (
	"context"
	_ "embed" // for the built-in dataset
	"fmt"

	"github.com/inferbench/inferbench/pipeline"
	"github.com/inferbench/inferbench/pipeline/config"
)

// demoJSON is the built-in dataset in official SQuAD v1.1 JSON: original
// passages and questions written for inferbench (no SQuAD text), every gold
// answer an exact substring of its passage at its answer_start.
//
//go:embed demo.json
var demoJSON []byte

// DemoLocation is Dataset.Location of the built-in dataset.
const DemoLocation = "builtin:demo"

// Demo loads the built-in dataset: 48 questions over 15 invented or
// encyclopedic passages (geography, science, history, technology), some
// with several acceptable answers. Dataset.SHA256 is the sha256 of the
// embedded bytes, so it changes only when the dataset does; DatasetSpec.SHA256
// is checked against it when set. The zero value is ready to use and safe
// for concurrent use.
type Demo struct{}

// Load implements pipeline.Loader. DatasetSpec.Path is ignored.
func (Demo) Load(ctx context.Context, spec config.DatasetSpec, env pipeline.LoadEnv) (*config.Dataset, error) {
	sl, err := config.ParseSlice(spec.Slice)
	if err != nil {
		return nil, fmt.Errorf("dataset.slice: %w", err)
	}
	sum := hexSum(demoJSON)
	if err := verifySum(DemoLocation, sum, spec.SHA256); err != nil {
		return nil, err
	}
	all, version, err := DecodeSquad(demoJSON, spec.Version)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", DemoLocation, err) // a broken build, caught by tests
	}
	ds, err := selectAll(SourceDemo, sl, all, version)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", DemoLocation, err)
	}
	ds.Location, ds.SHA256 = DemoLocation, sum
	return ds, nil
}
