package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/inferbench/inferbench/pipeline/runfolder"
)

func TestReportWithFewerFormatsRemovesTheOutputsOfTheOthers(t *testing.T) {
	dir := t.TempDir()
	exp := writeFile(t, dir, "fast.yaml", fastExperiment) // every format
	out := filepath.Join(dir, "results")
	run := runOK(t, exp, out)
	stale := []string{"requests.csv", "summary.csv", "results.xlsx", "report.md", "report.html",
		"latency.svg", "ttft_cdf.svg", "tokens_per_sec.svg", "f1.svg"}
	for _, f := range stale {
		if _, err := os.Stat(filepath.Join(run, f)); err != nil {
			t.Fatalf("the first run did not write %s: %v", f, err)
		}
	}
	writeFile(t, run, "notes.txt", "mine")
	writeFile(t, run, "my-plot.svg", "<svg/>")

	if code, stdout, stderr := inferbench(t, "report", run, "--set", "export.formats=[json]"); code != exitOK {
		t.Fatalf("report: exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, f := range stale {
		if _, err := os.Stat(filepath.Join(run, f)); !os.IsNotExist(err) {
			t.Errorf("%s is still there after report wrote only json (%v)", f, err)
		}
	}
	for _, f := range []string{"results.json", "records.jsonl", "manifest.json", "samples.json", "notes.txt", "my-plot.svg"} {
		if _, err := os.Stat(filepath.Join(run, f)); err != nil {
			t.Errorf("%s was removed: %v", f, err)
		}
	}
	m, err := runfolder.ReadManifest(run)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(m.Formats, ",") != "json" {
		t.Errorf("manifest formats %v, want [json]", m.Formats)
	}

	// And back: rescore with csv only removes results.json.
	if code, stdout, stderr := inferbench(t, "rescore", run, "--set", "export.formats=[csv]"); code != exitOK {
		t.Fatalf("rescore: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join(run, "results.json")); !os.IsNotExist(err) {
		t.Errorf("results.json is still there after rescore wrote only csv (%v)", err)
	}
	if _, err := os.Stat(filepath.Join(run, "summary.csv")); err != nil {
		t.Errorf("summary.csv: %v", err)
	}
	if m, _ := runfolder.ReadManifest(run); strings.Join(m.Formats, ",") != "csv" {
		t.Errorf("manifest formats %v, want [csv]", m.Formats)
	}
}
