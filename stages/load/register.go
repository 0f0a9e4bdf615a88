// Package load holds the dataset loaders, one file per dataset source type:
// squad (official SQuAD JSON from a path or URL), demo (a built-in dataset),
// hf (the HuggingFace dataset viewer rows API), jsonl and csv (own files with
// a column mapping). Every loader returns the samples selected by the
// experiment's slice, in source order; the engine filters and samples after.
//
// Imports: pipeline and its core packages (pipeline/config, ...) and
// helper packages only; load must not import
// another stage.
package load

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/inferbench/inferbench/pipeline"
	"github.com/inferbench/inferbench/pipeline/config"
)

// Source names, as written in dataset.source.
const (
	SourceSquad = "squad"
	SourceDemo  = "demo"
	SourceHF    = "hf"
	SourceJSONL = "jsonl"
	SourceCSV   = "csv"
)

// CacheDirEnv names the environment variable that overrides DefaultCacheDir.
const CacheDirEnv = "INFERBENCH_CACHE_DIR"

// Register adds every loader of this package to reg under its source name.
// It panics if one of the names is already registered (a programming error).
func Register(reg *pipeline.Registry) {
	reg.AddLoader(SourceSquad, Squad{})
	reg.AddLoader(SourceDemo, Demo{})
	reg.AddLoader(SourceHF, &HF{})
	reg.AddLoader(SourceJSONL, JSONL{})
	reg.AddLoader(SourceCSV, CSV{})
	reg.AddLoader(SourceSynthetic, Synthetic{})
	registerBlocks(reg)
}

// needsPath is the rule of the sources that read a file: dataset.path is
// required.
func needsPath(source string, d config.DatasetSpec) []config.Problem {
	if d.Path == "" {
		return []config.Problem{{Path: "path", Message: "is required for source " + source}}
	}
	return nil
}

// CheckDataset implements config.DatasetChecker: a path is required.
func (Squad) CheckDataset(d config.DatasetSpec) []config.Problem {
	return needsPath(SourceSquad, d)
}

// CheckDataset implements config.DatasetChecker: a path is required.
func (JSONL) CheckDataset(d config.DatasetSpec) []config.Problem {
	return needsPath(SourceJSONL, d)
}

// CheckDataset implements config.DatasetChecker: a path is required.
func (CSV) CheckDataset(d config.DatasetSpec) []config.Problem { return needsPath(SourceCSV, d) }

// CheckDataset implements config.DatasetChecker: hf.dataset, hf.config
// and hf.split are required.
func (*HF) CheckDataset(d config.DatasetSpec) []config.Problem {
	hs, err := hfOf(d)
	if err != nil {
		return []config.Problem{{Path: HFBlock, Message: err.Error()}}
	}
	var out []config.Problem
	for _, f := range []struct{ key, val string }{{"dataset", hs.Dataset}, {"config", hs.Config}, {"split", hs.Split}} {
		if f.val == "" {
			out = append(out, config.Problem{Path: "hf." + f.key, Message: "is required for source " + SourceHF})
		}
	}
	return out
}

// DefaultCacheDir returns the folder where downloads and HF pages are kept:
// the value of INFERBENCH_CACHE_DIR when set, else os.UserCacheDir()/inferbench.
// It does not create the folder. The error says when neither is available.
func DefaultCacheDir() (string, error) {
	if d := os.Getenv(CacheDirEnv); d != "" {
		return d, nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no user cache folder (set %s): %w", CacheDirEnv, err)
	}
	return filepath.Join(d, "inferbench"), nil
}
