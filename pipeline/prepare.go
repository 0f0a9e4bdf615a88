package pipeline

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/runfolder"
)

// Prepare loads and selects the dataset and expands the matrix: everything
// before the first request. `plan` and `run` share it.
func (e *Engine) Prepare(ctx context.Context, exp *config.Experiment, experimentFile string) (*config.Dataset, *Plan, *runfolder.Manifest, error) {
	m := &runfolder.Manifest{Tool: "inferbench", Version: e.Version, GoVersion: runtime.Version(), Build: e.Build, ExperimentFile: experimentFile, Experiment: *exp}
	loader, ok := e.Registry.Loaders[exp.Dataset.Source]
	if !ok {
		return nil, nil, nil, fmt.Errorf("load: unknown dataset source %q (have %v)", exp.Dataset.Source, e.Registry.LoaderNames())
	}
	var ds *config.Dataset
	err := stage(m, e.log(), "load", 0, func() (int, error) {
		var err error
		ds, err = loader.Load(ctx, exp.Dataset, LoadEnv{BaseDir: filepath.Dir(experimentFile), CacheDir: e.CacheDir, HTTP: e.HTTP, Log: e.log(), Seed: exp.Seed})
		if err != nil {
			return 0, err
		}
		loaded := len(ds.Samples)
		ds.Samples, err = Select(exp.Dataset, exp.Seed, ds.Samples)
		if err != nil {
			return loaded, err
		}
		if len(ds.Samples) == 0 {
			return 0, fmt.Errorf("no questions selected (source has %d; slice %q, filter %q, sample %d)", ds.Total, exp.Dataset.Slice, exp.Dataset.Filter, exp.Dataset.Sample)
		}
		return len(ds.Samples), nil
	})
	if err != nil {
		return nil, nil, nil, err
	}
	plan, err := BuildPlan(ctx, exp, ds.Samples)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("plan: %w", err)
	}
	m.Dataset = runfolder.DatasetInfo{Source: ds.Source, Location: ds.Location, SHA256: ds.SHA256, Revision: ds.Revision, Version: ds.Version, Total: ds.Total,
		SamplesSHA256: runfolder.SamplesDigest(ds.Samples)}
	for _, s := range ds.Samples {
		m.Dataset.IDs = append(m.Dataset.IDs, s.ID)
	}
	m.Cells = map[string]int{}
	for _, j := range plan.Jobs {
		m.Cells[j.Platform.Name] = j.Cells.Planned()
	}
	m.CellTotal = plan.Total()
	return ds, plan, m, nil
}

// ShardableLoads refuses a sharded run (shard.Count > 1) of a platform
// whose load model decides its rates at run time (a sweep, RateChooser):
// every shard would measure its own share and choose its own rates, and
// the merged levels would mix requests sent at different rates.
func ShardableLoads(exp *config.Experiment, shard runfolder.Shard) error {
	if shard.Count <= 1 {
		return nil
	}
	var errs []error
	for i, p := range exp.Platforms {
		if p.Levels == nil {
			continue
		}
		if _, decides := p.Levels.Model.(config.RateChooser); decides {
			errs = append(errs, fmt.Errorf("platforms[%d].load: --shard %s cannot split a %s load (platform %s): each shard would choose its own rates at run time; run the sweep in one process, or give the rates as a rate list", i, shard, p.Levels.Type, p.Name))
		}
	}
	return errors.Join(errs...)
}

// preflight checks what can only be checked at run time but must not
// cost a run folder: every api_key_env names a variable that is set.
// (validate does not check it, so that CI can validate experiments
// without their secrets.)
func preflight(exp *config.Experiment) error {
	var errs []error
	for i, p := range exp.Platforms {
		if p.APIKeyEnv != "" {
			if v, ok := os.LookupEnv(p.APIKeyEnv); !ok || v == "" {
				errs = append(errs, fmt.Errorf("platforms[%d].api_key_env: environment variable %s is not set (platform %s)", i, p.APIKeyEnv, p.Name))
			}
		}
	}
	return errors.Join(errs...)
}
