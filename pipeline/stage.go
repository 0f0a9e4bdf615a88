package pipeline

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"slices"
	"sort"
	"time"
)

// LoadEnv is what a loader may use besides its spec.
type LoadEnv struct {
	// BaseDir resolves relative dataset paths (the experiment file's folder).
	BaseDir string
	// CacheDir is where downloads are kept (user cache folder/inferbench).
	CacheDir string
	// HTTP is the client for downloads; nil means http.DefaultClient.
	HTTP *http.Client
	// Log receives progress lines; never nil when called by the engine.
	Log *slog.Logger
}

// Loader reads a dataset source and returns the samples selected by
// spec.Slice (use ParseSlice), in source order. Filter and Sample are applied
// by the engine afterwards. Errors are fatal for the run.
type Loader interface {
	Load(ctx context.Context, spec DatasetSpec, env LoadEnv) (*Dataset, error)
}

// LoaderFunc adapts a function to Loader.
type LoaderFunc func(ctx context.Context, spec DatasetSpec, env LoadEnv) (*Dataset, error)

// Load calls f.
func (f LoaderFunc) Load(ctx context.Context, spec DatasetSpec, env LoadEnv) (*Dataset, error) {
	return f(ctx, spec, env)
}

// QueryJob is one platform's share of the matrix.
type QueryJob struct {
	Platform Platform
	Params   Params
	// Cells in schedule order; warmup cells first.
	Cells []Cell
	// Seed for arrivals and jitter of this platform.
	Seed int64
	Log  *slog.Logger
	// Stop, when closed, means "schedule no new cells": in-flight requests
	// go on until they finish or ctx is canceled (the engine closes Stop on
	// Ctrl-C and cancels ctx after a grace period). Nil never closes.
	Stop <-chan struct{}
	// Progress, if non-nil, is told about every finished record.
	Progress func(Record)
	// RetryWait, if non-nil, is told when a request starts to wait d before
	// a retry; it returns the function to call when that wait ends. It is
	// called from many goroutines.
	RetryWait func(d time.Duration) (done func())
}

// QueryReport says how a platform's query stage ended.
type QueryReport struct {
	// StopReason is empty when every cell was attempted, else why not
	// (e.g. "max_errors: 10 failed requests", "max_duration", "interrupted").
	StopReason string
	// Notes are facts for the manifest (e.g. "stream_options rejected; resent without").
	Notes []string
	// Wall is the time from the first send to the last record.
	Wall time.Duration
}

// Querier runs one platform's job. It must call emit exactly once for every
// cell it attempts (emit is safe for concurrent use), never drop a failed
// request, and return when all attempted cells are emitted. The error is
// for fatal setup problems only (e.g. api_key_command failed); cancellation
// of ctx stops scheduling and is reported in QueryReport.StopReason.
type Querier interface {
	Query(ctx context.Context, job QueryJob, emit func(Record)) (QueryReport, error)
}

// Scorer fills the score fields of a successful record from its sample. It
// must be safe for concurrent use.
type Scorer interface {
	Score(r *Record, s *Sample)
}

// ScorerFactory builds a Scorer for a score spec and the dataset's SQuAD
// version ("v1.1" or "v2.0"). Errors are configuration errors.
type ScorerFactory func(spec ScoreSpec, version string) (Scorer, error)

// Aggregator turns records into results. records include warmups and failures.
type Aggregator func(ctx context.Context, exp *Experiment, records []Record) (*Results, error)

// Run is a finished (or re-read) run: everything an exporter may need.
type Run struct {
	// Dir is the run folder that exporters write into.
	Dir        string
	Experiment *Experiment
	Manifest   *Manifest
	Records    []Record
	Results    *Results
	// Samples by id, for per-question sheets.
	Samples map[string]*Sample
}

// Exporter writes one output format into run.Dir.
type Exporter func(ctx context.Context, run *Run) error

// Console prints the comparison table for humans.
type Console func(w io.Writer, run *Run) error

// Registry holds the stage implementations by their YAML type. It is a
// value built by stages.RegisterAll; it is not safe for concurrent
// registration but safe for concurrent lookup afterwards.
type Registry struct {
	Loaders   map[string]Loader
	Querier   Querier
	Scorer    ScorerFactory
	Aggregate Aggregator
	Exporters map[string]Exporter
	// Outputs are the file names each export format writes into a run
	// folder, by format; see AddExporter.
	Outputs map[string][]string
	Console Console
	// LoadModels make the config of each `load:` block type (see
	// LoadModel), registered by the query stage.
	LoadModels map[string]func() LoadModel
	// ExtractSteps are the built-in answer extraction step names, for
	// validating score.extract.
	ExtractSteps []string
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{Loaders: map[string]Loader{}, Exporters: map[string]Exporter{}, Outputs: map[string][]string{}}
}

// AddLoader registers a dataset source type; a duplicate name panics (a programming error).
func (r *Registry) AddLoader(name string, l Loader) {
	if _, dup := r.Loaders[name]; dup {
		panic("pipeline: loader registered twice: " + name)
	}
	r.Loaders[name] = l
}

// AddExporter registers an export format and the names of the files it
// writes into a run folder (plain file names, every file it may write).
// When an export does not write a format, or the format fails, the engine
// removes that format's outputs, so that no file left in the folder
// disagrees with the others. A duplicate name, or an output that is a
// path or one of the engine's own files, panics (a programming error).
// AddLoadModel registers the load model type name: newModel returns a
// fresh config (a pointer to a struct with yaml and validate tags) that a
// `load: {type: name, ...}` block is decoded into. It panics when name is
// registered twice.
func (r *Registry) AddLoadModel(name string, newModel func() LoadModel) {
	if r.LoadModels == nil {
		r.LoadModels = map[string]func() LoadModel{}
	}
	if _, dup := r.LoadModels[name]; dup {
		panic("pipeline: load model registered twice: " + name)
	}
	r.LoadModels[name] = newModel
}

func (r *Registry) AddExporter(name string, e Exporter, outputs ...string) {
	if _, dup := r.Exporters[name]; dup {
		panic("pipeline: exporter registered twice: " + name)
	}
	for _, o := range outputs {
		if o == "" || o != filepath.Base(o) || o == "." || o == ".." || slices.Contains(engineFiles, o) {
			panic(fmt.Sprintf("pipeline: exporter %s: output %q is not a file name an exporter may own", name, o))
		}
	}
	r.Exporters[name] = e
	if r.Outputs == nil {
		r.Outputs = map[string][]string{}
	}
	r.Outputs[name] = outputs
}

// engineFiles are the run-folder files the engine owns; no exporter may
// claim (and so have removed) one of them.
var engineFiles = []string{ManifestFile, SamplesFile, JournalFile, LockFile}

// LoaderNames lists registered sources, sorted.
func (r *Registry) LoaderNames() []string { return sortedKeys(r.Loaders) }

// ExporterNames lists registered formats, sorted.
func (r *Registry) ExporterNames() []string { return sortedKeys(r.Exporters) }

// complete reports the first missing piece of the registry.
func (r *Registry) complete() error {
	switch {
	case r.Querier == nil:
		return fmt.Errorf("registry: no querier")
	case r.Scorer == nil:
		return fmt.Errorf("registry: no scorer")
	case r.Aggregate == nil:
		return fmt.Errorf("registry: no aggregator")
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
