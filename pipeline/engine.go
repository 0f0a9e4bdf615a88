package pipeline

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"slices"
	"time"

	"github.com/inferbench/inferbench/internal/buildinfo"
	"github.com/inferbench/inferbench/pipeline/atomicfile"
	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/runfolder"
)

// DefaultGrace is how long in-flight requests may finish after Ctrl-C.
const DefaultGrace = 10 * time.Second

// Engine runs experiments. It knows stages only through its Registry. The
// zero value is not usable; set Registry. An Engine is safe to reuse but
// runs one experiment per Run call.
type Engine struct {
	Registry *Registry
	// Log receives stage progress; nil discards.
	Log *slog.Logger
	// Progress, if non-nil, shows live per-platform progress.
	Progress ProgressSink
	// CacheDir for dataset downloads; HTTP client for them (nil = default).
	CacheDir string
	HTTP     *http.Client
	// Version is the tool version recorded in manifests.
	Version string
	// Build is the binary's module version and VCS revision recorded in
	// manifests (Manifest.Build); nil when unknown.
	Build *buildinfo.Info
	// Grace bounds how long in-flight requests may finish once ctx is
	// canceled; zero means DefaultGrace.
	Grace time.Duration
	// Abort, when closed after ctx is canceled, ends the grace at once
	// (a second Ctrl-C): in-flight requests are canceled and journaled as
	// such, and the run is aggregated and exported as interrupted. Nil
	// never closes.
	Abort <-chan struct{}
	// Now is the wall clock for run ids; nil means time.Now.
	Now func() time.Time
}

// RunOptions are the per-invocation choices of `inferbench run`.
type RunOptions struct {
	// ExperimentFile is recorded in the manifest and resolves relative paths.
	ExperimentFile string
	// OutDir overrides export.dir.
	OutDir string
	// ResumeDir, when set, continues that run folder instead of a new one.
	ResumeDir string
	// Shard, when Count > 1, sends only that shard's cells (see Shard); a
	// resumed run keeps the shard its manifest records, and a different
	// one is an error.
	Shard runfolder.Shard
	// Overrides are recorded in the manifest (already redacted).
	Overrides []string
	// StartAt, when set, is when sending begins (run --start-at): the run
	// prepares everything, then waits for it (ctx ends the wait).
	StartAt time.Time
	// Note, if non-nil, is told what the run decided on its own (a shard
	// resuming its earlier folder, say).
	Note func(string)
}

// ErrShardFinished is returned (wrapped, with the folder) by a sharded
// Run whose shard already has a finished folder of the same experiment
// under the output folder: it is left alone and nothing is sent.
var ErrShardFinished = errors.New("this shard already finished")

func (o RunOptions) note(s string) {
	if o.Note != nil {
		o.Note(s)
	}
}

func (e *Engine) log() *slog.Logger {
	if e.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return e.Log
}

func (e *Engine) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

// stage times fn and records it in m under name; errors get the stage's
// name as prefix. A failure is logged at Info level only, beside the
// other stage lines: the caller reports the returned error, so that the
// user reads it once.
func stage(m *runfolder.Manifest, log *slog.Logger, name string, in int, fn func() (int, error)) error {
	start := time.Now()
	out, err := fn()
	d := time.Since(start)
	m.Stages = append(m.Stages, runfolder.StageStat{Stage: name, In: in, Out: out, Duration: config.Duration(d)})
	if err != nil {
		log.Info("stage failed", "stage", name, "err", err)
		return fmt.Errorf("%s: %w", name, err)
	}
	log.Info("stage done", "stage", name, "in", in, "out", out, "took", d.Round(time.Millisecond))
	return nil
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	if err := atomicfile.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	return nil
}

func sampleIndex(s []config.Sample) map[string]*config.Sample {
	m := make(map[string]*config.Sample, len(s))
	for i := range s {
		m[s[i].ID] = &s[i]
	}
	return m
}

func appendUnique(dst []string, add ...string) []string {
	for _, a := range add {
		if !slices.Contains(dst, a) {
			dst = append(dst, a)
		}
	}
	return dst
}
