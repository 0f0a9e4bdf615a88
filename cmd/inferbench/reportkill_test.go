package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/inferbench/inferbench/pipeline/runfolder"
)

// report killed with SIGKILL at random moments leaves the run folder in
// one state: the manifest's export formats and slo, results.json and the
// set of outputs (a format not asked is removed) are all of the report
// before or all of the one asked, and no temporary file is left in it.
func TestReportKilledAtAnyMomentLeavesOneState(t *testing.T) {
	t.Parallel() // mostly waits on other processes: these tests overlap
	if testing.Short() {
		t.Skip("builds the binary and kills it a dozen times")
	}
	bin, out, run := killableRun(t)
	sets := map[string][]string{
		"few":  {"--set", "export.formats=[json]", "--set", "slo.e2e=1ms"},
		"many": {"--set", "export.formats=[json, csv, markdown, html]", "--set", "slo.e2e=10s"},
	}
	kind := func() string {
		m, err := runfolder.ReadManifest(run)
		if err != nil {
			t.Fatal(err)
		}
		few := len(m.Experiment.Export.Formats) == 1
		if slo := m.Experiment.SLO.E2E.D(); few != (slo == time.Millisecond) {
			t.Fatalf("the manifest mixes two reports: formats %v, slo.e2e %v", m.Experiment.Export.Formats, slo)
		}
		if few {
			return "few"
		}
		return "many"
	}
	files := func() []string {
		entries, err := os.ReadDir(run)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range entries {
			if e.Name() != runfolder.LockFile {
				names = append(names, e.Name())
			}
		}
		return names
	}
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(run, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	type state struct {
		files   []string
		results []byte
	}
	want := map[string]state{}
	for _, k := range []string{"few", "many"} {
		if code, stdout, stderr := inferbench(t, append([]string{"report", run}, sets[k]...)...); code != exitOK {
			t.Fatalf("report: exit %d\n%s\n%s", code, stdout, stderr)
		}
		want[k] = state{files(), scores(t, read("results.json"))}
	}
	if slices.Equal(want["few"].files, want["many"].files) || bytes.Equal(want["few"].results, want["many"].results) {
		t.Fatalf("the two reports leave the same outputs or results: %v, %v", want["few"].files, want["many"].files)
	}
	killAtRandom(t, bin, out, run, 500*time.Millisecond, func(i int) []string {
		return append([]string{"report", run}, sets[[]string{"few", "many"}[i%2]]...)
	}, func(i int) {
		got := kind()
		if f := files(); !slices.Equal(f, want[got].files) {
			t.Fatalf("kill %d: the manifest names the %s report, the outputs are %v, want %v", i, got, f, want[got].files)
		}
		if !bytes.Equal(scores(t, read("results.json")), want[got].results) {
			t.Fatalf("kill %d: the manifest names the %s report, results.json is of another state", i, got)
		}
	})
}
