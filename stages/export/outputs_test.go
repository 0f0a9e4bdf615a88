package export

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/inferbench/inferbench/pipeline"
	"github.com/inferbench/inferbench/pipeline/results"
)

func TestEveryFormatDeclaresEachFileItWrites(t *testing.T) {
	reg := pipeline.NewRegistry()
	Register(reg)
	for _, name := range reg.ExporterNames() {
		t.Run(name+" writes only declared files", func(t *testing.T) {
			run := fixtureRun(t, t.TempDir())
			run.Results.Sweep = handSweep()
			before, _ := os.ReadDir(run.Dir)
			if err := reg.Exporters[name](context.Background(), run); err != nil {
				t.Fatal(err)
			}
			after, _ := os.ReadDir(run.Dir)
			if len(after) <= len(before) {
				t.Fatalf("%s wrote no file", name)
			}
			for _, e := range after {
				if slices.ContainsFunc(before, func(b os.DirEntry) bool { return b.Name() == e.Name() }) {
					continue
				}
				if !slices.Contains(reg.Outputs[name], e.Name()) {
					t.Errorf("%s wrote %s, which it does not declare (declared: %v)", name, e.Name(), reg.Outputs[name])
				}
			}
		})
	}
}

func TestMarkdownRemovesAPlotItNoLongerDraws(t *testing.T) {
	run := fixtureRun(t, t.TempDir())
	run.Results.Sweep = handSweep()
	if err := Markdown(context.Background(), run); err != nil {
		t.Fatal(err)
	}
	for _, f := range plotFiles {
		if _, err := os.Stat(filepath.Join(run.Dir, f)); err != nil {
			t.Fatalf("the fixture does not draw %s: %v", f, err)
		}
	}
	// No request data (an empty slice; nil would read the journal): the
	// distribution plots have nothing to draw. A new Run, since a Run
	// remembers what its exporters read of its records.
	run = &pipeline.Run{Dir: run.Dir, Experiment: run.Experiment, Manifest: run.Manifest, Results: run.Results,
		Samples: run.Samples, Records: []results.Record{}}
	if err := Markdown(context.Background(), run); err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join(run.Dir, MarkdownFile))
	if err != nil {
		t.Fatal(err)
	}
	gone := 0
	for _, f := range plotFiles {
		_, err := os.Stat(filepath.Join(run.Dir, f))
		linked := strings.Contains(string(md), "("+f+")")
		if linked != (err == nil) {
			t.Errorf("%s: linked from report.md %v, on disk %v", f, linked, err == nil)
		}
		if err != nil {
			gone++
		}
	}
	if gone == 0 {
		t.Fatal("every plot was drawn without records; the test shows nothing")
	}
}
