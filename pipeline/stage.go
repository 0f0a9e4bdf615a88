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

	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/results"
	"github.com/inferbench/inferbench/pipeline/runfolder"
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
	// Seed is the experiment's seed, for sources that draw (synthetic
	// prompt lengths).
	Seed int64
}

// Loader reads a dataset source and returns the samples selected by
// spec.Slice (use ParseSlice), in source order. Filter and Sample are applied
// by the engine afterwards. Errors are fatal for the run.
type Loader interface {
	Load(ctx context.Context, spec config.DatasetSpec, env LoadEnv) (*config.Dataset, error)
}

// LoaderFunc adapts a function to Loader. The built-in loaders are types;
// it stays exported for in-memory datasets (the stages' tests use it).
type LoaderFunc func(ctx context.Context, spec config.DatasetSpec, env LoadEnv) (*config.Dataset, error)

// Load calls f.
func (f LoaderFunc) Load(ctx context.Context, spec config.DatasetSpec, env LoadEnv) (*config.Dataset, error) {
	return f(ctx, spec, env)
}

// QueryJob is one platform's share of the matrix.
type QueryJob struct {
	Platform config.Platform
	Params   config.Params
	// Cells in schedule order; warmup cells first. Source, when set,
	// generates them instead as they are sent (the engine's jobs; see
	// CellList) and Cells is ignored: read them with EachCell.
	Cells  []results.Cell
	Source *CellSource
	// Seed for arrivals and jitter of this platform.
	Seed int64
	Log  *slog.Logger
	// Stop, when closed, means "schedule no new cells": in-flight requests
	// go on until they finish or ctx is canceled (the engine closes Stop on
	// Ctrl-C and cancels ctx after a grace period). Nil never closes.
	Stop <-chan struct{}
	// Progress, if non-nil, is told about every finished record.
	Progress func(results.Record)
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
	// ServerMetrics, if non-nil, is told about every scrape of the
	// platform's metrics endpoint (Platform.MetricsURL) while the job
	// sends, failed ones included (Error set); the engine fills in the
	// platform and the level and appends it to server_metrics.jsonl.
	// Called from one goroutine at a time.
	ServerMetrics func(results.ServerSample)
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
	Query(ctx context.Context, job QueryJob, emit func(results.Record)) (QueryReport, error)
}

// Scorer fills the score fields of a successful record from its sample. It
// must be safe for concurrent use.
type Scorer interface {
	Score(r *results.Record, s *config.Sample)
}

// ScorerFactory builds a Scorer for a score spec and the dataset's SQuAD
// version ("v1.1" or "v2.0"). Errors are configuration errors.
type ScorerFactory func(spec config.ScoreSpec, version string) (Scorer, error)

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
	Add(r *results.Record) error
	Close(ctx context.Context) (*results.Results, error)
}

// Aggregator starts an Accumulator for exp. Errors are configuration
// errors (e.g. a metric that does not compile).
type Aggregator func(ctx context.Context, exp *config.Experiment) (Accumulator, error)

// Run is a finished (or re-read) run: everything an exporter may need.
type Run struct {
	// Dir is the run folder that exporters write into.
	Dir        string
	Experiment *config.Experiment
	Manifest   *runfolder.Manifest
	// Records, when not nil, are the run's final records in memory (a Run
	// built by a test or a tool from a slice). The engine leaves it nil and
	// exporters read records through EachRecord, which then streams the
	// journal in Dir, so that no stage holds every record at once.
	Records []results.Record
	// Count is the number of final records the last Finish aggregated.
	Count   int
	Results *results.Results
	// Samples by id, for per-question sheets.
	Samples map[string]*config.Sample

	memo *runMemo // see Memo
	skip *runMemo // FinalSkips of the journal, see EachRecord
	// server holds ServerSamples: a memo of its own, since an exporter's
	// Memo function may read them (f must not call Memo).
	server *runMemo
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

// ServerSamples returns the scrapes in the run folder's
// server_metrics.jsonl (none for a run held in memory or one that scraped
// nothing), read once per run (until Finish starts again) for the
// aggregate and the exporters.
func (r *Run) ServerSamples() ([]results.ServerSample, error) {
	if r.Dir == "" {
		return nil, nil
	}
	v, err := r.memoOf(&r.server).get("samples", func() (any, error) {
		s, _, err := runfolder.ReadServerMetrics(filepath.Join(r.Dir, runfolder.ServerMetricsFile))
		return s, err
	})
	if err != nil {
		return nil, err
	}
	return v.([]results.ServerSample), nil
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
	r.memo, r.skip, r.server = nil, nil, nil
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
	// Catalog holds what the experiment language reads of the
	// components: their names by kind, configs, rules and defaults.
	config.Catalog
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{Loaders: map[string]Loader{}, Exporters: map[string]Exporter{}, Outputs: map[string][]string{}}
}

// AddLoader registers a dataset source type; a duplicate name panics (a programming error).
func (r *Registry) AddLoader(name string, l Loader) {
	checker, _ := l.(config.DatasetChecker)
	r.AddSource(name, checker)
	if g, ok := l.(config.SampleGrouper); ok {
		r.AddSampleGrouper(name, g)
	}
	if r.Loaders == nil {
		r.Loaders = map[string]Loader{}
	}
	r.Loaders[name] = l
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
	r.AddFormat(name)
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
var engineFiles = []string{runfolder.ManifestFile, runfolder.SamplesFile, runfolder.JournalFile, runfolder.ServerMetricsFile, runfolder.LockFile}

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

// SendSpanSetter is an Accumulator that measures sending time from the
// run's sending marks: AggregateRun gives it the manifest's SendSpans
// (nil for a run folder written before marks existed, or a run without a
// manifest) before the first Add.
type SendSpanSetter interface {
	SetSendSpans(spans []runfolder.SendSpan)
}
