package runfolder

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/inferbench/inferbench/internal/buildinfo"

	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/results"
)

// Manifest is manifest.json: everything needed to reproduce, rescore,
// resume or compare a run without the experiment file.
type Manifest struct {
	Tool      string    `json:"tool"`
	Version   string    `json:"version"`
	GoVersion string    `json:"go_version"`
	RunID     string    `json:"run_id"`
	StartedAt time.Time `json:"started_at"`
	// ExperimentFile is the path the experiment was read from.
	ExperimentFile string `json:"experiment_file"`
	// Overrides are the --set and INFERBENCH_* overrides applied, values
	// redacted where the key is a secret.
	Overrides []string `json:"overrides,omitempty"`
	// Experiment is the fully defaulted experiment, secrets redacted.
	Experiment config.Experiment `json:"experiment"`
	Dataset    DatasetInfo       `json:"dataset"`
	// ExperimentHash identifies the experiment and questions (see
	// ExperimentHash); merge requires it equal across shards.
	ExperimentHash string `json:"experiment_hash,omitempty"`
	// Shard is set in a sharded run's manifest (run --shard i/n); Shards
	// in a merged run's manifest, one per shard merged, in shard order.
	Shard  *ShardInfo  `json:"shard,omitempty"`
	Shards []ShardInfo `json:"shards,omitempty"`
	// Cells is the number of planned cells per platform and CellTotal in
	// total (of the shard only, in a sharded run); levels sized by duration
	// alone count none (see CellList.Planned).
	Cells     map[string]int `json:"cells"`
	CellTotal int            `json:"cell_total"`
	// Notes are facts learned while running (e.g. a server rejected stream_options).
	Notes []string `json:"notes,omitempty"`
	// StartAt is when sending was to begin (run --start-at), the last
	// attempt's when resumed; nil: at once.
	StartAt *time.Time `json:"start_at,omitempty"`
	// Resumes lists when the run was resumed.
	Resumes []time.Time `json:"resumes,omitempty"`
	// FinishedAt, StopReason and PlatformStops are set when the run ends.
	FinishedAt    time.Time         `json:"finished_at,omitempty"`
	StopReason    string            `json:"stop_reason,omitempty"`
	PlatformStops map[string]string `json:"platform_stops,omitempty"`
	// SweepRates are the rates each sweep platform chose for its rate
	// levels at run time (resume reruns the same), by platform name.
	SweepRates map[string][]float64 `json:"sweep_rates,omitempty"`
	// LevelStops are the load levels stopped early, saturated ones with
	// their reason.
	LevelStops []results.LevelStop `json:"level_stops,omitempty"`
	// ClientHealth is what the client measured of itself while each
	// platform x load level ran, appended when the level ends (a resumed
	// level adds a second entry); report and rescore judge it again.
	ClientHealth []results.ClientHealth `json:"client_health,omitempty"`
	// SendSpans are the sending marks of every process that sent (see
	// SendSpan), in the order they started; a merged run holds every
	// shard's.
	SendSpans []SendSpan `json:"send_spans,omitempty"`
	// Formats are the export formats whose files the last export wrote;
	// the outputs of every other format were removed then, so that no
	// file in the folder disagrees with the others.
	Formats []string `json:"formats,omitempty"`
	// Stages times each stage and counts what went in and out of it.
	Stages []StageStat `json:"stages,omitempty"`
	// Build is the module version and VCS revision (with the dirty flag)
	// of the binary that ran; absent when the binary does not know them
	// (go run, go test, -buildvcs=false).
	Build *buildinfo.Info `json:"build,omitempty"`
}

// StageStat is the engine's bookkeeping for one stage execution.
type StageStat struct {
	Stage string `json:"stage"`
	// In and Out count samples (load), cells/records (query, score) or
	// records/groups (aggregate), files (export).
	In       int             `json:"in"`
	Out      int             `json:"out"`
	Duration config.Duration `json:"duration"`
}

// DatasetInfo records exactly which questions were used.
type DatasetInfo struct {
	Source   string   `json:"source"`
	Location string   `json:"location,omitempty"`
	SHA256   string   `json:"sha256,omitempty"`
	Revision string   `json:"revision,omitempty"`
	Version  string   `json:"version"`
	Total    int      `json:"total"`
	IDs      []string `json:"ids"`
	// SamplesSHA256 is the digest of the selected samples (SamplesDigest):
	// generated questions keep their ids when their text changes.
	SamplesSHA256 string `json:"samples_sha256,omitempty"`
}

// SamplesDigest is the hex SHA-256 of samples as JSON: their ids, texts,
// answers, groups and lengths.
func SamplesDigest(samples []config.Sample) string {
	h := sha256.New()
	_ = json.NewEncoder(h).Encode(samples) // samples are strings and numbers: no error
	return hex.EncodeToString(h.Sum(nil))
}

// ReadManifest reads dir/manifest.json.
func ReadManifest(dir string) (*Manifest, error) {
	b, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if err != nil {
		return nil, fmt.Errorf("run folder %s: %w", dir, err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, ManifestFile), err)
	}
	return &m, nil
}

// ReadSamples reads the selected samples saved in a run folder.
func ReadSamples(dir string) ([]config.Sample, error) {
	b, err := os.ReadFile(filepath.Join(dir, SamplesFile))
	if err != nil {
		return nil, fmt.Errorf("run folder %s: %w", dir, err)
	}
	var s []config.Sample
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, SamplesFile), err)
	}
	return s, nil
}

// Run-folder file names written by the engine (exporters add their own).
const (
	ManifestFile = "manifest.json"
	SamplesFile  = "samples.json"
)

// Stop reasons of a whole run.
const (
	StopCompleted   = "completed"
	StopInterrupted = "interrupted"
	StopPartial     = "partial" // some platform stopped early; see PlatformStops
)
