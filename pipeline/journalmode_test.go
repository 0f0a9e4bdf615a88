package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/runfolder"
)

func TestResumeKeepsTheJournalsFileMode(t *testing.T) {
	exp := &config.Experiment{Name: "s", Repeats: 1, Dataset: config.DatasetSpec{Source: "mem"}, Params: config.Params{Temperature: []float64{0}},
		Export: config.ExportSpec{Dir: t.TempDir(), Formats: []string{}}, Platforms: []config.Platform{{Name: "p", Models: []string{"m"}, Concurrency: 1}}}
	eng := &Engine{Registry: shareRegistry(&jobQuerier{jobs: map[string]QueryJob{}}, 3)}
	run, err := eng.Run(context.Background(), exp, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	journal := filepath.Join(run.Dir, runfolder.JournalFile)
	for _, mode := range []os.FileMode{0o644, 0o640} {
		if err := os.Chmod(journal, mode); err != nil {
			t.Fatal(err)
		}
		if _, err := eng.Run(context.Background(), exp, RunOptions{ResumeDir: run.Dir}); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(journal)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != mode {
			t.Errorf("records.jsonl is %v after --resume, was %v", fi.Mode().Perm(), mode)
		}
	}
}
