package export

import (
	"context"
	"encoding/json"
	"io"
	"path/filepath"

	"github.com/inferbench/inferbench/pipeline"
	"github.com/inferbench/inferbench/pipeline/results"
)

// ResultsFile is the document written to results.json.
type ResultsFile struct {
	Experiment string `json:"experiment"`
	RunID      string `json:"run_id"`
	// ToolVersion and DatasetSHA256 come from the manifest (empty without one).
	ToolVersion   string `json:"tool_version,omitempty"`
	DatasetSHA256 string `json:"dataset_sha256,omitempty"`
	// Results is the aggregate stage's output, unchanged.
	Results *results.Results `json:"results"`
	// MetricDefinitions maps each metric key to its formula (see MetricDefinitions).
	MetricDefinitions map[string]string `json:"metric_definitions"`
}

// JSON is the pipeline.Exporter of format "json": it writes results.json,
// indented, with keys in a stable order (struct order; map keys sorted). It
// fails when run has no Results.
func JSON(ctx context.Context, run *pipeline.Run) error {
	if err := checkRun(run); err != nil {
		return err
	}
	doc := ResultsFile{
		Experiment:        run.Results.Experiment,
		RunID:             run.Results.RunID,
		Results:           run.Results,
		MetricDefinitions: DefinitionMap(),
	}
	if run.Manifest != nil {
		doc.ToolVersion = run.Manifest.Version
		doc.DatasetSHA256 = run.Manifest.Dataset.SHA256
	}
	return writeFileAtomic(filepath.Join(run.Dir, ResultsJSONFile), func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(doc)
	})
}
