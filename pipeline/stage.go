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
	"sync"
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

// DatasetChecker is implemented by a Loader with rules on the dataset
// block beyond the struct tags (a path it needs, keys of its own block it
// requires). CheckDataset returns each problem with its path under
// dataset ("path", "hf.split").
type DatasetChecker interface {
	CheckDataset(d DatasetSpec) []Problem
}

// LoaderFunc adapts a function to Loader. The built-in loaders are types;
// it stays exported for in-memory datasets (the stages' tests use it).
type LoaderFunc func(ctx context.Context, spec DatasetSpec, env LoadEnv) (*Dataset, error)

// Load calls f.
func (f LoaderFunc) Load(ctx context.Context, spec DatasetSpec, env LoadEnv) (*Dataset, error) {
	return f(ctx, spec, env)
}

// QueryJob is one platform's share of the matrix.
type QueryJob struct {
	Platform Platform
	Params   Params
	// Cells in schedule order; warmup cells first. Source, when set,
	// generates them instead as they are sent (the engine's jobs; see
	// CellList) and Cells is ignored: read them with EachCell.
	Cells  []Cell
	Source *CellSource
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
	// SendLag, if non-nil, is told for every open-loop request how late it
	// started after it could first go (its scheduled time, or when the
	// concurrency cap let it go, if later). Called from many goroutines.
	SendLag func(lag time.Duration)
	// Stripe, when set, is the job's part of an open-loop level's arrival
	// schedule (a shard's share, see LevelShare): the schedule is drawn at
	// Stripe.Rate, the level's whole rate, and the job's k-th cell is sent
	// at the schedule's hit Stripe.Hit(k), so that the shards' sends
	// together are the level's one schedule. Nil: the k-th cell is sent at
	// hit k of a schedule at Platform.Rate.
	Stripe *Stripe
}

// QueryReport says how a platform's query stage ended.
type QueryReport struct {
	// StopReason is empty when every cell was attempted, else why not
	// (e.g. "max_errors: 10 failed requests", "max_duration", "interrupted").
	StopReason string
	// Notes are facts for the manifest (e.g. "stream_options rejected; resent without").
	Notes []string
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

// Accumulator turns a run's records into results one record at a time
// (vegeta's Metrics: Add, then Close), so that a run of millions of
// requests is aggregated in bounded memory: it keeps only what the
// statistics need, never the records. Records include warmups and
// failures, one final record per matrix cell, in any order: the results
// must not depend on the order (not even in the last digit). Add copies
// what it needs from r and must not keep r; an error from Add is fatal.
// Close computes the results; ctx cancels it. Neither is safe for
// concurrent use, and an Accumulator is not reused after Close.
type Accumulator interface {
	Add(r *Record) error
	Close(ctx context.Context) (*Results, error)
}

// Aggregator starts an Accumulator for exp. Errors are configuration
// errors (e.g. a metric that does not compile).
type Aggregator func(ctx context.Context, exp *Experiment) (Accumulator, error)

// Run is a finished (or re-read) run: everything an exporter may need.
type Run struct {
	// Dir is the run folder that exporters write into.
	Dir        string
	Experiment *Experiment
	Manifest   *Manifest
	// Records, when not nil, are the run's final records in memory (a Run
	// built by a test or a tool from a slice). The engine leaves it nil and
	// exporters read records through EachRecord, which then streams the
	// journal in Dir, so that no stage holds every record at once.
	Records []Record
	// Count is the number of final records the last Finish aggregated.
	Count   int
	Results *Results
	// Samples by id, for per-question sheets.
	Samples map[string]*Sample

	memo *runMemo // see Memo
	skip *runMemo // finalSkips of the journal, see EachRecord
}

// runMemo holds values computed once per Run.
type runMemo struct {
	mu sync.Mutex
	m  map[string]any
}

// Memo returns the value f computes for key, calling f only the first
// time for a run (until Finish starts again, which forgets every value,
// since the records may have changed), so that exporters can share one
// pass over the records. An error is returned and not kept. Memo is safe
// for concurrent use; f must not call Memo.
func (r *Run) Memo(key string, f func() (any, error)) (any, error) {
	return r.memoOf(&r.memo).get(key, f)
}

func (r *Run) memoOf(p **runMemo) *runMemo {
	runMemoInit.Lock()
	defer runMemoInit.Unlock()
	if *p == nil {
		*p = &runMemo{m: map[string]any{}}
	}
	return *p
}

// runMemoInit guards the lazy creation of every Run's memos.
var runMemoInit sync.Mutex

func (m *runMemo) get(key string, f func() (any, error)) (any, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if v, ok := m.m[key]; ok {
		return v, nil
	}
	v, err := f()
	if err != nil {
		return nil, err
	}
	m.m[key] = v
	return v, nil
}

// forget drops every memoized value (the records changed).
func (r *Run) forget() {
	runMemoInit.Lock()
	defer runMemoInit.Unlock()
	r.memo, r.skip = nil, nil
}

// Exporter writes one output format into run.Dir. Finish runs the
// formats side by side, so an Exporter must not modify run (Memo is the
// way to share work between formats) and must write only its own files.
// It reads records through run.EachRecord.
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
	// LevelModels make the config of each `load:` block type (see
	// LevelModel), registered by the query stage.
	LevelModels map[string]func() LevelModel
	// ExtractSteps are the built-in answer extraction step names, for
	// validating score.extract.
	ExtractSteps []string
	// Blocks are the config types of the blocks components own, by
	// their key (platforms[].emulate); see AddBlock.
	Blocks map[string]func() any
	// Arrivals are the open-loop arrival laws (platforms[].arrival),
	// registered by the rate level model; see AddArrival.
	Arrivals map[string]ArrivalLaw

	// components lists every registered component name by kind, in the
	// order registered (see Components).
	components map[ComponentKind][]string
	// schema is the experiment file's schema with the components' blocks
	// (see fileSchema), built once on first use.
	schemaOnce sync.Once
	schema     *schema
}

// ComponentKind names a kind of component that registers itself, with its
// configuration, into a Registry: the experiment names one by a value
// (dataset.source, load.type, platforms[].arrival, export.formats) and
// pipeline learns its names, rules and defaults only from the registry.
type ComponentKind string

// The component kinds.
const (
	KindSource     ComponentKind = "dataset source"
	KindLevelModel ComponentKind = "level model"
	KindArrival    ComponentKind = "arrival law"
	KindFormat     ComponentKind = "export format"
)

// register records name under kind; a duplicate panics (a programming error).
func (r *Registry) register(kind ComponentKind, name string) {
	if slices.Contains(r.components[kind], name) {
		panic(fmt.Sprintf("pipeline: %s registered twice: %s", kind, name))
	}
	if r.components == nil {
		r.components = map[ComponentKind][]string{}
	}
	r.components[kind] = append(r.components[kind], name)
}

// Components lists the names registered under kind, in registration order.
func (r *Registry) Components(kind ComponentKind) []string {
	return slices.Clone(r.components[kind])
}

// ArrivalLaw is the registration of an open-loop arrival law: its rules
// and defaults, so that pipeline names none of them.
type ArrivalLaw struct {
	// Default marks the law an open-loop platform that sets no arrival
	// runs with (one law is the default).
	Default bool
	// Shaped marks a law that takes platforms[].burstiness as its shape;
	// DefaultShape is the shape when burstiness is left out.
	Shaped       bool
	DefaultShape float64
}

// AddArrival registers an arrival law; a duplicate name, or a second
// default, panics.
func (r *Registry) AddArrival(name string, law ArrivalLaw) {
	r.register(KindArrival, name)
	if law.Default && r.DefaultArrival() != "" {
		panic("pipeline: two default arrival laws: " + r.DefaultArrival() + " and " + name)
	}
	if r.Arrivals == nil {
		r.Arrivals = map[string]ArrivalLaw{}
	}
	r.Arrivals[name] = law
}

// DefaultArrival returns the default arrival law, "" when none is registered.
func (r *Registry) DefaultArrival() string {
	for _, name := range r.components[KindArrival] {
		if r.Arrivals[name].Default {
			return name
		}
	}
	return ""
}

// shapedArrivals lists the arrival laws that take a burstiness, in
// registration order.
func (r *Registry) shapedArrivals() []string {
	var out []string
	for _, name := range r.components[KindArrival] {
		if r.Arrivals[name].Shaped {
			out = append(out, name)
		}
	}
	return out
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{Loaders: map[string]Loader{}, Exporters: map[string]Exporter{}, Outputs: map[string][]string{}}
}

// AddLoader registers a dataset source type; a duplicate name panics (a programming error).
func (r *Registry) AddLoader(name string, l Loader) {
	r.register(KindSource, name)
	if r.Loaders == nil {
		r.Loaders = map[string]Loader{}
	}
	r.Loaders[name] = l
}

// AddLevelModel registers the load model type name: newModel returns a
// fresh config (a pointer to a struct with yaml and validate tags) that a
// `load: {type: name, ...}` block is decoded into. It panics when name is
// registered twice.
func (r *Registry) AddLevelModel(name string, newModel func() LevelModel) {
	if r.LevelModels == nil {
		r.LevelModels = map[string]func() LevelModel{}
	}
	r.register(KindLevelModel, name)
	r.LevelModels[name] = newModel
}

// AddExporter registers an export format and the names of the files it
// writes into a run folder (plain file names, every file it may write).
// When an export does not write a format, or the format fails, the engine
// removes that format's outputs, so that no file left in the folder
// disagrees with the others. A duplicate name, or an output that is a
// path or one of the engine's own files, panics (a programming error).
// The order of registration is the default order of export.formats
// (see DefaultFormats).
func (r *Registry) AddExporter(name string, e Exporter, outputs ...string) {
	for _, o := range outputs {
		if o == "" || o != filepath.Base(o) || o == "." || o == ".." || slices.Contains(engineFiles, o) {
			panic(fmt.Sprintf("pipeline: exporter %s: output %q is not a file name an exporter may own", name, o))
		}
	}
	r.register(KindFormat, name)
	if r.Exporters == nil {
		r.Exporters = map[string]Exporter{}
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

// DefaultFormats are the formats an experiment that sets no
// export.formats writes: every registered one, in registration order.
func (r *Registry) DefaultFormats() []string { return r.Components(KindFormat) }

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
