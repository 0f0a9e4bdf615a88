package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/inferbench/inferbench/pipeline"
)

func TestReportAndRescoreAcceptOverridesOfARunWithExtractionSteps(t *testing.T) {
	dir := t.TempDir()
	exp := writeFile(t, dir, "fast.yaml", fastExperiment) // default extraction: a list of steps
	out := filepath.Join(dir, "results")
	if code, stdout, stderr := inferbench(t, "run", exp, "--out", out, "--no-progress"); code != exitOK {
		t.Fatalf("run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	run := runDir(t, out)
	goodput := func() []float64 {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(run, "results.json"))
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Results pipeline.Results `json:"results"`
		}
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatal(err)
		}
		var g []float64
		for _, gs := range doc.Results.Groups {
			g = append(g, gs.Goodput)
		}
		return g
	}
	if g := goodput(); slices.ContainsFunc(g, func(v float64) bool { return v != 1 }) {
		t.Fatalf("without an SLO every successful request is good: goodput %v", g)
	}

	t.Run("report with an SLO no request can meet sets goodput to zero", func(t *testing.T) {
		code, stdout, stderr := inferbench(t, "report", run, "--set", "slo.ttft=1us")
		if code != exitOK {
			t.Fatalf("report --set slo.ttft: exit %d\n%s\n%s", code, stdout, stderr)
		}
		if g := goodput(); slices.ContainsFunc(g, func(v float64) bool { return v != 0 }) {
			t.Errorf("goodput %v with a 1us TTFT SLO, want 0 everywhere", g)
		}
		m, err := pipeline.ReadManifest(run)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(m.Experiment.Score.Extract.Steps, pipeline.DefaultExtractSteps) {
			t.Errorf("report changed the extraction steps to %+v", m.Experiment.Score.Extract)
		}
		if !slices.Contains(m.Overrides, "slo.ttft=1us") {
			t.Errorf("manifest overrides %v lack slo.ttft=1us", m.Overrides)
		}
	})
	t.Run("rescore with an unrelated override keeps the extraction steps", func(t *testing.T) {
		code, stdout, stderr := inferbench(t, "rescore", run, "--set", "score.report_raw=false")
		if code != exitOK {
			t.Fatalf("rescore --set score.report_raw: exit %d\n%s\n%s", code, stdout, stderr)
		}
		m, err := pipeline.ReadManifest(run)
		if err != nil {
			t.Fatal(err)
		}
		if m.Experiment.Score.ReportRaw || !slices.Equal(m.Experiment.Score.Extract.Steps, pipeline.DefaultExtractSteps) {
			t.Errorf("score after rescore = %+v", m.Experiment.Score)
		}
	})
}

func TestSecretsFromTheEnvironmentAndSetReachNoOutputAndAreRecordedRedacted(t *testing.T) {
	const envSecret, setSecret = "ENV-SECRET-1f3a", "SET-SECRET-9c2b"
	t.Setenv("INFERBENCH_PLATFORMS_0_API_KEY", envSecret)
	t.Setenv("INFERBENCH_REPEATS", "1")
	dir := t.TempDir()
	exp := writeFile(t, dir, "fast.yaml", fastExperiment)
	out := filepath.Join(dir, "results")
	code, stdout, stderr := inferbench(t, "run", exp, "--out", out, "--no-progress", "-v",
		"--set", "platforms.slow.headers=[{name: X-Team, value: "+setSecret+"}]")
	if code != exitOK {
		t.Fatalf("run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	run := runDir(t, out)
	for name, text := range map[string]string{"stdout": stdout, "stderr": stderr} {
		if strings.Contains(text, envSecret) || strings.Contains(text, setSecret) {
			t.Errorf("%s shows a secret", name)
		}
	}
	files, _ := filepath.Glob(filepath.Join(run, "*"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), envSecret) || strings.Contains(string(b), setSecret) {
			t.Errorf("%s holds a secret", filepath.Base(f))
		}
	}
	m, err := pipeline.ReadManifest(run)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"INFERBENCH_PLATFORMS_0_API_KEY=" + pipeline.Redacted, "INFERBENCH_REPEATS=1", "platforms.slow.headers=" + pipeline.Redacted}
	if !slices.Equal(m.Overrides, want) {
		t.Errorf("manifest overrides = %q, want %q", m.Overrides, want)
	}
	if m.Experiment.Repeats != 1 {
		t.Errorf("the environment override of repeats was not applied: %d", m.Experiment.Repeats)
	}
}

func TestRunNamesEveryPlatformThatStoppedEarlyAndWhy(t *testing.T) {
	dir := t.TempDir()
	exp := writeFile(t, dir, "stops.yaml", `name: stops
dataset: {source: demo, slice: "[:12]"}
platforms:
  - name: flaky
    emulate: {ttft: 1ms, tokens_per_second: 0, accuracy: 1, faults: {rate_500: 1}}
    models: [m]
    retries: 0
    max_errors: 3
  - name: fine
    emulate: {ttft: 1ms, tokens_per_second: 0, accuracy: 1}
    models: [m]
export: {formats: [json]}
`)
	code, stdout, stderr := inferbench(t, "run", exp, "--out", filepath.Join(dir, "results"), "--no-progress")
	if code != exitTotalFailure { // flaky never succeeded
		t.Fatalf("run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "platform flaky stopped early: max_errors") {
		t.Errorf("stderr does not say why flaky stopped:\n%s", stderr)
	}
	if strings.Contains(stderr, "platform fine stopped") {
		t.Errorf("stderr says a platform that finished stopped early:\n%s", stderr)
	}
}

func TestPlanShowsTheOpenLoopConcurrencyCapAndDurationLimit(t *testing.T) {
	dir := t.TempDir()
	exp := writeFile(t, dir, "open.yaml", `name: open
dataset: {source: demo, slice: "[:3]"}
platforms:
  - name: capped
    emulate: {accuracy: 1}
    models: [m]
    rate: 10
    arrival: gamma
    burstiness: 0.5
    concurrency: 4
    max_duration: 30s
  - name: closed
    emulate: {accuracy: 1}
    models: [m]
    concurrency: 2
`)
	code, stdout, stderr := inferbench(t, "plan", exp)
	if code != exitOK {
		t.Fatalf("plan: exit %d\n%s", code, stderr)
	}
	for _, want := range []string{"gamma 10 req/s, at most 4 in flight, for at most 30s", "concurrency 2"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("plan lacks %q:\n%s", want, stdout)
		}
	}
}

func TestAMisspeltEnvironmentOverrideIsNamedInAWarning(t *testing.T) {
	dir := t.TempDir()
	exp := writeFile(t, dir, "fast.yaml", fastExperiment)
	t.Setenv("INFERBENCH_REPAETS", "3")
	t.Setenv("INFERBENCH_REPEATS", "1")
	if os.Getenv("INFERBENCH_SQUAD_DEV") == "" {
		t.Setenv("INFERBENCH_SQUAD_DEV", "/nonexistent/dev-v1.1.json")
	}
	t.Setenv("INFERBENCH_CACHE_DIR", t.TempDir())
	code, stdout, stderr := inferbench(t, "validate", exp)
	if code != exitOK {
		t.Fatalf("validate: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "$INFERBENCH_REPAETS names no experiment value") {
		t.Errorf("no warning about the misspelt variable:\n%s", stderr)
	}
	for _, quiet := range []string{"INFERBENCH_REPEATS", "INFERBENCH_SQUAD_DEV", "INFERBENCH_CACHE_DIR"} {
		if strings.Contains(stderr, "$"+quiet+" ") {
			t.Errorf("warning about %s, which is in use:\n%s", quiet, stderr)
		}
	}
}

func TestResumeOfARunFolderWithoutAJournalRunsEveryCell(t *testing.T) {
	dir := t.TempDir()
	exp := writeFile(t, dir, "fast.yaml", fastExperiment)
	out := filepath.Join(dir, "results")
	if code, stdout, stderr := inferbench(t, "run", exp, "--out", out, "--no-progress"); code != exitOK {
		t.Fatalf("run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	run := runDir(t, out)
	journal := filepath.Join(run, pipeline.JournalFile)
	first, _, err := pipeline.ReadJournal(journal)
	if err != nil || len(first) == 0 {
		t.Fatalf("first run journal: %d records, %v", len(first), err)
	}
	// A crash between writing the manifest and the first record leaves a
	// folder without records.jsonl.
	if err := os.Remove(journal); err != nil {
		t.Fatal(err)
	}
	if code, stdout, stderr := inferbench(t, "run", exp, "--resume", run, "--no-progress"); code != exitOK {
		t.Fatalf("resume: exit %d\n%s\n%s", code, stdout, stderr)
	}
	again, _, err := pipeline.ReadJournal(journal)
	if err != nil {
		t.Fatal(err)
	}
	if len(again) != len(first) {
		t.Errorf("resume wrote %d records, want every one of the %d cells", len(again), len(first))
	}
}

func TestAPlatformWhoseEveryRequestFailedExitsFourAfterExporting(t *testing.T) {
	dir := t.TempDir()
	exp := writeFile(t, dir, "down.yaml", `name: down
dataset: {source: demo, slice: "[:6]"}
platforms:
  - name: down
    emulate: {ttft: 1ms, tokens_per_second: 0, accuracy: 1, faults: {rate_500: 1}}
    models: [m]
    retries: 0
  - name: fine
    emulate: {ttft: 1ms, tokens_per_second: 0, accuracy: 1}
    models: [m]
baseline: fine
checks: ['group("fine").f1 > 100']
export: {formats: [json, csv]}
`)
	out := filepath.Join(dir, "results")
	code, stdout, stderr := inferbench(t, "run", exp, "--out", out, "--no-progress")
	t.Run("run exits 4, before the failed check's 3, and names the platform", func(t *testing.T) {
		if code != exitTotalFailure {
			t.Fatalf("exit %d, want %d\n%s\n%s", code, exitTotalFailure, stdout, stderr)
		}
		if !strings.Contains(stderr, "no request to platform down succeeded (http_500=6)") || !strings.Contains(stderr, `FAIL group("fine").f1 > 100`) {
			t.Errorf("stderr:\n%s", stderr)
		}
	})
	run := runDir(t, out)
	t.Run("the results are still exported, with null latency for that platform", func(t *testing.T) {
		b, err := os.ReadFile(filepath.Join(run, "results.json"))
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Results struct {
				Groups []struct {
					Platform  string         `json:"platform"`
					Successes int            `json:"successes"`
					LatencyMs map[string]any `json:"latency_ms"`
				} `json:"groups"`
			} `json:"results"`
		}
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatal(err)
		}
		g := doc.Results.Groups
		if len(g) != 2 || g[0].Platform != "down" || g[0].Successes != 0 || g[0].LatencyMs["mean"] != nil || g[0].LatencyMs["n"] != 0.0 || g[1].LatencyMs["mean"] == nil {
			t.Errorf("groups %+v", g)
		}
		if _, err := os.Stat(filepath.Join(run, "summary.csv")); err != nil {
			t.Error(err)
		}
		if !strings.Contains(stdout, "no successful requests on down: no latency comparison with fine") {
			t.Errorf("console:\n%s", stdout)
		}
	})
	t.Run("report on the same folder exits 4 as well", func(t *testing.T) {
		if code, _, stderr := inferbench(t, "report", run); code != exitTotalFailure {
			t.Errorf("exit %d\n%s", code, stderr)
		}
	})
	t.Run("without the failing platform the run exits 3 for the check", func(t *testing.T) {
		code, _, stderr := inferbench(t, "run", exp, "--out", filepath.Join(dir, "again"), "--no-progress", "--set", "platforms.down.emulate.faults.rate_500=0")
		if code != exitChecksFailed {
			t.Errorf("exit %d\n%s", code, stderr)
		}
	})
}
