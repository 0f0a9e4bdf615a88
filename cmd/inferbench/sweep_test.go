package main

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/inferbench/inferbench/pipeline/results"
	"github.com/xuri/excelize/v2"
)

func TestSweepExperimentFindsTheCrossoverOffline(t *testing.T) {
	if testing.Short() {
		t.Skip("runs experiments/sweep.yaml (about 5 seconds)")
	}
	stdout, dir := sweepRun(t)
	doc := struct{ Results results.Results }{readResults(t, dir)}
	res := doc.Results
	if res.Sweep == nil || len(res.Sweep.Curves) != 2 {
		t.Fatalf("sweep = %+v, want two curves", res.Sweep)
	}
	for _, c := range res.Sweep.Curves {
		var levels []string
		for _, p := range c.Points {
			levels = append(levels, p.Level)
			if p.Requests != 24 || p.ErrorRate != 0 {
				t.Errorf("%s %s: %d requests, error rate %v; want 24 clean ones", c.Platform, p.Level, p.Requests, p.ErrorRate)
			}
		}
		if strings.Join(levels, ",") != "c=1,c=8,c=24" {
			t.Errorf("%s levels = %v", c.Platform, levels)
		}
	}
	// metis-sim decodes 2 requests at once, sophia-sim 32: metis-sim is
	// faster alone, sophia-sim from concurrency 8 up.
	if len(res.Sweep.Crossovers) != 1 {
		t.Fatalf("crossovers = %+v", res.Sweep.Crossovers)
	}
	x := res.Sweep.Crossovers[0]
	if x.Platform != "sophia-sim" || x.Baseline.Platform != "metis-sim" || x.From != "c=8" {
		t.Errorf("crossover = %+v, want sophia-sim faster from c=8", x)
	}
	if !strings.Contains(stdout, "sophia-sim is faster than metis-sim from c=8 up") {
		t.Errorf("console lacks the crossover:\n%s", stdout)
	}
	best := map[string]string{}
	for _, c := range res.Sweep.Curves {
		best[c.Platform] = c.Best
	}
	// sophia-sim's p99 at c=24 is about 160 ms against the 250 ms SLO; the
	// race detector's slower client can push it over, and then c=8 is best.
	if best["metis-sim"] != "c=1" || (best["sophia-sim"] != "c=24" && !(raceEnabled && best["sophia-sim"] == "c=8")) {
		t.Errorf("best levels under the 250ms E2E SLO = %v, want metis-sim c=1 and sophia-sim c=24", best)
	}
	report, err := os.ReadFile(filepath.Join(dir, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"## Load sweep", "from c=8 up", "sweep_latency_throughput.svg", "sweep_ttft.svg", "sweep_tpot.svg", "sweep_error_rate.svg", "metis-sim/gpt-oss-120b c=8"} {
		if !strings.Contains(string(report), want) {
			t.Errorf("report.md lacks %q", want)
		}
	}
	for _, f := range []string{"sweep_latency_throughput.svg", "sweep_ttft.svg", "sweep_tpot.svg", "sweep_error_rate.svg"} {
		svg, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil || !strings.Contains(string(svg), "metis-sim") || !strings.Contains(string(svg), "sophia-sim") {
			t.Errorf("%s: want one curve per platform in the legend (%v)", f, err)
		}
	}
	summary, err := os.ReadFile(filepath.Join(dir, "summary.csv"))
	if err != nil || !strings.HasPrefix(string(summary), "platform,model,temperature,load,") || !strings.Contains(string(summary), "sophia-sim,gpt-oss-120b,0,c=24,") {
		t.Errorf("summary.csv needs a load column (%v):\n%.300s", err, summary)
	}
	wb, err := excelize.OpenFile(filepath.Join(dir, "results.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer wb.Close()
	rows, err := wb.GetRows("Sweep")
	if err != nil {
		t.Fatalf("workbook has no Sweep sheet: %v", err)
	}
	if len(rows) < 7 || !strings.Contains(strings.Join(rows[0], ","), "Level") {
		t.Fatalf("Sweep sheet rows = %q", rows)
	}
	var charts int
	for _, s := range wb.GetSheetList() {
		if s == "Sweep" {
			// excelize reads no charts back; the drawing part names them.
			charts = countSweepCharts(t, filepath.Join(dir, "results.xlsx"))
		}
	}
	if charts < 4 {
		t.Errorf("Sweep sheet has %d charts, want 4 (latency vs throughput, TTFT, TPOT, error rate)", charts)
	}
}

var sweep struct {
	once        sync.Once
	stdout, dir string
	err         error
}

// sweepRun runs experiments/sweep.yaml once per test run, for the tests
// that read it, and returns its console output and run folder. The folder
// is shared: a test that changes it works on a copy. Those tests are not
// parallel: the run's latencies decide what they check (the crossover,
// the best level under the SLO), so it runs alone in the process.
func sweepRun(t *testing.T) (stdout, dir string) {
	t.Helper()
	sweep.once.Do(func() {
		out, err := os.MkdirTemp(sharedDir, "sweep-")
		if err != nil {
			sweep.err = err
			return
		}
		var outb, errb bytes.Buffer
		if code := execute(context.Background(), []string{"run", "../../experiments/sweep.yaml", "--out", out, "--no-progress"}, &outb, &errb); code != exitOK {
			sweep.err = fmt.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, outb.String(), errb.String())
			return
		}
		dirs, _ := filepath.Glob(filepath.Join(out, "*-*T*Z*"))
		if len(dirs) != 1 {
			sweep.err = fmt.Errorf("want one run folder in %s, got %v", out, dirs)
			return
		}
		sweep.stdout, sweep.dir = outb.String(), dirs[0]
	})
	if sweep.err != nil {
		t.Fatal(sweep.err)
	}
	return sweep.stdout, sweep.dir
}

// countSweepCharts counts the chart parts of the workbook at path whose
// series read the Sweep sheet with their values cached.
func countSweepCharts(t *testing.T, path string) int {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	n := 0
	for _, f := range zr.File {
		if !strings.HasPrefix(f.Name, "xl/charts/chart") {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		x := string(b)
		if strings.Contains(x, "Sweep!$") && strings.Contains(x, "<ptCount") {
			n++
		}
	}
	return n
}

func TestPlanListsEachPlatformsLoadLevels(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "s.yaml", `name: s
dataset: {source: demo, sample: 4}
platforms:
  - {name: a, emulate: {accuracy: 1}, models: [m], concurrency: [1, 8], max_duration: 30s}
  - {name: b, emulate: {accuracy: 1}, models: [m], load: {type: sweep, rates: 2, max_concurrency: 16}}
  - {name: c, emulate: {accuracy: 1}, models: [m], concurrency: 4}
`)
	code, stdout, stderr := inferbench(t, "plan", path)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"concurrency levels c=1, c=8, one after the other, each for at most 30s",
		"sweep levels sync, throughput, sweep-1..sweep-2 (rates chosen at run time)",
		"concurrency 4",
		"total requests: 28", // 4 questions x (2 + 4 + 1) levels
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("plan lacks %q:\n%s", want, stdout)
		}
	}
}

func TestAnOverloadedRateLevelStopsEarlyAsSaturated(t *testing.T) {
	if testing.Short() {
		t.Skip("runs an emulated platform past its capacity (about 2 seconds)")
	}
	dir := t.TempDir()
	// One request decoded at a time, about 15 ms each: some 60 requests/s
	// at most. 20/s is easy; at 400/s the client queue grows.
	path := writeFile(t, dir, "sat.yaml", `name: sat
seed: 5
dataset: {source: demo, sample: 40}
platforms:
  - name: tiny
    emulate: {ttft: 5ms, tokens_per_second: 1000, accuracy: 1, style: plain, max_batch: 1}
    models: [m]
    concurrency: 2
    load: {type: rate, levels: [20, 400], max_queue: 100ms}
params: {temperature: 0, max_tokens: 16}
export: {formats: [json, markdown]}
`)
	out := filepath.Join(dir, "out")
	code, stdout, stderr := inferbench(t, "run", path, "--out", out, "--no-progress")
	if code != exitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	run := runDir(t, out)
	doc := struct{ Results results.Results }{readResults(t, run)}
	if doc.Results.Sweep == nil || len(doc.Results.Sweep.Curves) != 1 || len(doc.Results.Sweep.Curves[0].Points) != 2 {
		t.Fatalf("sweep = %+v", doc.Results.Sweep)
	}
	easy, hard := doc.Results.Sweep.Curves[0].Points[0], doc.Results.Sweep.Curves[0].Points[1]
	if easy.Saturated || easy.Requests != 40 {
		t.Errorf("r=20 = %+v, want all 40 requests and no saturation", easy)
	}
	if !hard.Saturated || !strings.Contains(hard.SaturatedReason, "client queue growing") || hard.Requests >= 40 {
		t.Errorf("r=400 = saturated %v (%q) after %d requests, want stopped early by the growing queue", hard.Saturated, hard.SaturatedReason, hard.Requests)
	}
	if !strings.Contains(stdout, "tiny r=400 stopped early: saturated: client queue growing") {
		t.Errorf("console does not say so:\n%s", stdout)
	}
	report, _ := os.ReadFile(filepath.Join(run, "report.md"))
	if !strings.Contains(string(report), "| saturated: client queue growing") {
		t.Error("report.md does not mark the saturated level")
	}
}
