package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"

	"github.com/inferbench/inferbench/pipeline/results"
	"github.com/inferbench/inferbench/pipeline/runfolder"
)

// Finish aggregates the run's records (see Run.EachRecord: run.Records, or
// else the journal read back as a stream) and writes the export formats (nil means
// the experiment's export.formats) into run.Dir, removes the outputs of
// every other registered format (see Registry.AddExporter), then rewrites
// the manifest with the stage bookkeeping and the formats written. It is the back half of the chain
// that rescore, report and resume share.
func (e *Engine) Finish(ctx context.Context, run *Run, formats []string) error {
	_, err := e.finish(ctx, run, formats)
	return err
}

// finish is Finish, also saying whether it rewrote the manifest (it does
// unless the aggregation fails).
func (e *Engine) finish(ctx context.Context, run *Run, formats []string) (bool, error) {
	m := run.Manifest
	run.forget()
	if err := e.aggregate(ctx, run); err != nil {
		return false, err
	}
	if formats == nil {
		formats = run.Experiment.Export.Formats
	}
	var errs []error
	m.Formats = nil
	_ = stage(m, e.log(), "export", len(formats), func() (int, error) {
		var n int
		n, errs = e.export(ctx, run, formats)
		return n, errors.Join(errs...)
	})
	wrote := true
	if err := writeJSON(filepath.Join(run.Dir, runfolder.ManifestFile), m); err != nil {
		errs = append(errs, err)
		wrote = false
	}
	if len(errs) > 0 {
		return wrote, fmt.Errorf("export: %w", errors.Join(errs...))
	}
	return true, nil
}

// aggregate is the aggregate stage: it sets run.Results (with the run's
// bookkeeping, levels and client health from its manifest) and run.Count.
func (e *Engine) aggregate(ctx context.Context, run *Run) error {
	m := run.Manifest
	var res *results.Results
	n := 0
	err := stage(m, e.log(), "aggregate", 0, func() (int, error) {
		var err error
		res, n, err = AggregateRun(ctx, e.Registry.Aggregate, run)
		if err != nil {
			return 0, err
		}
		return len(res.Groups), nil
	})
	m.Stages[len(m.Stages)-1].In = n
	run.Count = n
	if err != nil {
		return err
	}
	res.Experiment = run.Experiment.Name
	res.RunID = m.RunID
	res.StartedAt = m.StartedAt
	res.FinishedAt = m.FinishedAt
	res.StopReason = m.StopReason
	res.PlatformStops = m.PlatformStops
	ApplyLevels(res, m, run.Experiment.SLO)
	ApplyClient(res, m, run.Experiment.Client)
	run.Results = res
	return nil
}

// export writes formats into run.Dir, lists the ones written in the
// manifest's Formats, in the order asked, and removes the outputs of the
// others. It returns how many it wrote and the errors, in the order asked.
func (e *Engine) export(ctx context.Context, run *Run, formats []string) (int, []error) {
	var errs []error
	var todo []string
	for _, f := range formats {
		if _, ok := e.Registry.Exporters[f]; !ok {
			errs = append(errs, fmt.Errorf("unknown format %q (have %v)", f, e.Registry.ExporterNames()))
			continue
		}
		if !slices.Contains(todo, f) {
			todo = append(todo, f)
		}
	}
	ferrs := e.exportAll(ctx, run, todo)
	n := 0
	for i, f := range todo {
		if ferrs[i] != nil {
			errs = append(errs, fmt.Errorf("%s: %w", f, ferrs[i]))
			continue
		}
		run.Manifest.Formats = append(run.Manifest.Formats, f)
		n++
	}
	// The files of a format not written now (not asked for, or
	// failed) would show other numbers than the ones just written.
	for _, f := range e.Registry.ExporterNames() {
		if slices.Contains(run.Manifest.Formats, f) {
			continue
		}
		for _, o := range e.Registry.Outputs[f] {
			if err := os.Remove(filepath.Join(run.Dir, o)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, fmt.Errorf("%s: remove the outdated %s: %w", f, o, err))
			}
		}
	}
	return n, errs
}

// exportAll runs the exporters of formats and returns their errors, by
// format. Formats are independent files: they are written side by side,
// as many at once as there are CPUs (the workbook of a million requests
// takes most of the time, the others fit beside it), started in the
// order given.
func (e *Engine) exportAll(ctx context.Context, run *Run, formats []string) []error {
	errs := make([]error, len(formats))
	sem := make(chan struct{}, max(runtime.GOMAXPROCS(0), 1))
	var wg sync.WaitGroup
	for i, f := range formats {
		sem <- struct{}{} // start them in the order asked
		wg.Go(func() {
			defer func() { <-sem }()
			errs[i] = e.Registry.Exporters[f](ctx, run)
		})
	}
	wg.Wait()
	return errs
}
