package load

import (
	"fmt"

	"github.com/inferbench/inferbench/pipeline"
	"github.com/inferbench/inferbench/pipeline/config"
)

// Keys of the dataset blocks the loaders own.
const (
	HFBlock     = "hf"
	FieldsBlock = "fields"
)

// registerBlocks adds the config types of dataset.hf and dataset.fields
// to reg (see pipeline.Registry.AddBlock).
func registerBlocks(reg *pipeline.Registry) {
	reg.AddBlock(config.KindDatasetBlock, HFBlock, func() any { return &HFSpec{} })
	reg.AddBlock(config.KindDatasetBlock, FieldsBlock, func() any { return &FieldsSpec{} })
	reg.AddBlock(config.KindDatasetBlock, SyntheticBlock, func() any { return &SyntheticSpec{} })
}

// HFSpec addresses a HuggingFace dataset through the dataset viewer's
// rows API: the dataset.hf block.
type HFSpec struct {
	Dataset  string `yaml:"dataset" json:"dataset,omitempty"`
	Config   string `yaml:"config" json:"config,omitempty"`
	Split    string `yaml:"split" json:"split,omitempty"`
	Revision string `yaml:"revision" json:"revision,omitempty"`
	// Endpoint is the viewer's base URL; empty means DefaultHFEndpoint.
	Endpoint string `yaml:"endpoint" json:"endpoint,omitempty"`
	// TokenEnv names an environment variable holding an HF token.
	TokenEnv string `yaml:"token_env" json:"token_env,omitempty"`
}

// DefaultHFEndpoint is the HuggingFace dataset viewer API.
const DefaultHFEndpoint = "https://datasets-server.huggingface.co"

// FieldsSpec maps the columns of a jsonl, csv or hf row onto a Sample:
// the dataset.fields block. Empty names default to the Sample's own
// field names.
type FieldsSpec struct {
	ID       string `yaml:"id" json:"id,omitempty"`
	Title    string `yaml:"title" json:"title,omitempty"`
	Context  string `yaml:"context" json:"context,omitempty"`
	Question string `yaml:"question" json:"question,omitempty"`
	Answers  string `yaml:"answers" json:"answers,omitempty"`
	// AnswersSep splits a string answers column into several answers;
	// empty means DefaultAnswersSep.
	AnswersSep   string `yaml:"answers_sep" json:"answers_sep,omitempty"`
	IsImpossible string `yaml:"is_impossible" json:"is_impossible,omitempty"`
}

// DefaultAnswersSep separates several answers in one csv or jsonl string.
const DefaultAnswersSep = "|"

// Block returns h as a resolved dataset.hf block, for specs built in code.
func (h HFSpec) Block() config.Block { return *config.ConfigBlock(&h) }

// Block returns f as a resolved dataset.fields block, for specs built in code.
func (f FieldsSpec) Block() config.Block { return *config.ConfigBlock(&f) }

// hfOf returns the dataset.hf block of spec, resolved or as a manifest
// recorded it.
func hfOf(spec config.DatasetSpec) (HFSpec, error) {
	if h, ok := spec.HF.Config.(*HFSpec); ok {
		return *h, nil
	}
	var h HFSpec
	if err := spec.HF.Decode(&h); err != nil {
		return HFSpec{}, fmt.Errorf("dataset.hf: %w", err)
	}
	return h, nil
}

// fieldsOf returns the dataset.fields block of spec, resolved or as a
// manifest recorded it.
func fieldsOf(spec config.DatasetSpec) (FieldsSpec, error) {
	if f, ok := spec.Fields.Config.(*FieldsSpec); ok {
		return *f, nil
	}
	var f FieldsSpec
	if err := spec.Fields.Decode(&f); err != nil {
		return FieldsSpec{}, fmt.Errorf("dataset.fields: %w", err)
	}
	return f, nil
}
