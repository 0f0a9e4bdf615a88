package pipeline

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/results"
	"github.com/inferbench/inferbench/pipeline/runfolder"
)

func TestFinishRemovesTheOutputsOfEveryFormatItDidNotWrite(t *testing.T) {
	dir := t.TempDir()
	write := func(name string) Exporter {
		return func(ctx context.Context, run *Run) error {
			return os.WriteFile(filepath.Join(run.Dir, name), []byte("new"), 0o644)
		}
	}
	reg := NewRegistry()
	reg.Aggregate = sliceAggregator(func(ctx context.Context, exp *config.Experiment, records []results.Record) (*results.Results, error) {
		return &results.Results{}, nil
	})
	reg.AddExporter("a", write("a.txt"), "a.txt")
	reg.AddExporter("b", write("b.txt"), "b.txt", "b.svg")
	reg.AddExporter("broken", func(ctx context.Context, run *Run) error { return errors.New("disk full") }, "broken.txt")
	for _, f := range []string{"a.txt", "b.txt", "b.svg", "broken.txt", runfolder.ManifestFile, runfolder.SamplesFile, runfolder.JournalFile, "mine.txt"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("old"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run := &Run{Dir: dir, Experiment: &config.Experiment{}, Manifest: &runfolder.Manifest{}}
	err := (&Engine{Registry: reg}).Finish(context.Background(), run, []string{"a", "broken"})
	if err == nil || !strings.Contains(err.Error(), "broken: disk full") {
		t.Fatalf("err = %v, want the broken format's error", err)
	}
	for _, f := range []string{"b.txt", "b.svg", "broken.txt"} {
		if _, err := os.Stat(filepath.Join(dir, f)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s was left behind (%v)", f, err)
		}
	}
	for _, f := range []string{"a.txt", runfolder.ManifestFile, runfolder.SamplesFile, runfolder.JournalFile, "mine.txt"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("%s was removed: %v", f, err)
		}
	}
	if !slices.Equal(run.Manifest.Formats, []string{"a"}) {
		t.Errorf("manifest formats %v, want [a]", run.Manifest.Formats)
	}
}

func TestAnExporterMayNotClaimTheEngineFilesOrAPath(t *testing.T) {
	for _, out := range []string{runfolder.ManifestFile, runfolder.JournalFile, runfolder.SamplesFile, runfolder.LockFile, "../x", "sub/x", ""} {
		t.Run("claiming "+out+" panics", func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("AddExporter accepted the output %q", out)
				}
			}()
			NewRegistry().AddExporter("x", nil, out)
		})
	}
}
