package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/results"
	"github.com/inferbench/inferbench/pipeline/runfolder"
)

func TestReportAndRescoreAcceptOverridesOfARunWithExtractionSteps(t *testing.T) {
	dir := t.TempDir()
	exp := writeFile(t, dir, "fast.yaml", fastExperiment) // default extraction: a list of steps
	out := filepath.Join(dir, "results")
	run := runOK(t, exp, out)
	goodput := func() []float64 {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(run, "results.json"))
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Results results.Results `json:"results"`
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
		m, err := runfolder.ReadManifest(run)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(m.Experiment.Score.Extract.Steps, config.DefaultExtractSteps) {
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
		m, err := runfolder.ReadManifest(run)
		if err != nil {
			t.Fatal(err)
		}
		if m.Experiment.Score.ReportRaw || !slices.Equal(m.Experiment.Score.Extract.Steps, config.DefaultExtractSteps) {
			t.Errorf("score after rescore = %+v", m.Experiment.Score)
		}
	})
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
	t.Setenv("INFERBENCH_REQUIRE_SCIPY", "1")
	t.Setenv("INFERBENCH_REQUIRE_OPENAI_NODE", "1")
	t.Setenv("INFERBENCH_REQUIRE_JS_TIKTOKEN", "1")
	code, stdout, stderr := inferbench(t, "validate", exp)
	if code != exitOK {
		t.Fatalf("validate: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "$INFERBENCH_REPAETS names no experiment value") {
		t.Errorf("no warning about the misspelt variable:\n%s", stderr)
	}
	for _, quiet := range []string{"INFERBENCH_REPEATS", "INFERBENCH_SQUAD_DEV", "INFERBENCH_CACHE_DIR", "INFERBENCH_REQUIRE_SCIPY", "INFERBENCH_REQUIRE_OPENAI_NODE", "INFERBENCH_REQUIRE_JS_TIKTOKEN"} {
		if strings.Contains(stderr, "$"+quiet+" ") {
			t.Errorf("warning about %s, which is in use:\n%s", quiet, stderr)
		}
	}
}

func TestReportAndRescoreRefuseOverridesOfWhatDefinedTheQueries(t *testing.T) {
	dir := t.TempDir()
	exp := writeFile(t, dir, "fast.yaml", fastExperiment)
	out := filepath.Join(dir, "results")
	if code, stdout, stderr := inferbench(t, "run", exp, "--out", out, "--no-progress", "--set", "export.formats=[json]"); code != exitOK {
		t.Fatalf("run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	run := runDir(t, out)
	const allowed = "baseline, checks, client, export, metrics, score, slo, stats"
	refused := []struct {
		name, set, want string
	}{
		{"a platform's concurrency", "platforms.0.concurrency=8", "platforms"},
		{"a platform by name", "platforms.fast.base_url=http://x/v1", "platforms"},
		{"the dataset slice", "dataset.slice=[:2]", "dataset"},
		{"a request parameter", "params.top_p=0.5", "params"},
		{"the repeats", "repeats=3", "repeats"},
		{"the prompt", "prompt.user={{.Question}}", "prompt"},
		{"the seed", "seed=9", "seed"},
		{"the name", "name=other", "name"},
	}
	before := folderState(t, run)
	for _, cmd := range []string{"report", "rescore"} {
		for _, tt := range refused {
			t.Run(cmd+" refuses "+tt.name, func(t *testing.T) {
				code, stdout, stderr := inferbench(t, cmd, run, "--set", tt.set)
				if code != exitError {
					t.Fatalf("exit %d, want %d\n%s\n%s", code, exitError, stdout, stderr)
				}
				key, _, _ := strings.Cut(tt.set, "=")
				for _, want := range []string{"--set " + key + ": " + cmd + " cannot change " + tt.want, allowed} {
					if !strings.Contains(stderr, want) {
						t.Errorf("stderr lacks %q:\n%s", want, stderr)
					}
				}
				after := folderState(t, run)
				for name, body := range before {
					if after[name] != body {
						t.Errorf("%s changed", name)
					}
				}
			})
		}
	}
	t.Run("report refuses a new extraction and points at rescore", func(t *testing.T) {
		code, _, stderr := inferbench(t, "report", run, "--set", "score.extract=[first_line]")
		if code != exitError || !strings.Contains(stderr, "--set score.extract: report cannot change the extraction") || !strings.Contains(stderr, "rescore") {
			t.Fatalf("exit %d\n%s", code, stderr)
		}
	})
	accepted := []struct {
		cmd string
		set []string
	}{
		{"report", []string{"slo.ttft=1s", "stats.bootstrap=200", "checks=['true']", "metrics=[{name: x, expr: 'count * 2'}]", "export.formats=[json]", "baseline=fast", "score.report_raw=false"}},
		{"rescore", []string{"score.extract=[first_line]", "slo.e2e=5s", "baseline=slow"}},
	}
	for _, tt := range accepted {
		t.Run(tt.cmd+" accepts "+strings.Join(tt.set, " "), func(t *testing.T) {
			args := []string{tt.cmd, run}
			for _, s := range tt.set {
				args = append(args, "--set", s)
			}
			if code, stdout, stderr := inferbench(t, args...); code != exitOK {
				t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
			}
		})
	}
	m, err := runfolder.ReadManifest(run)
	if err != nil {
		t.Fatal(err)
	}
	if m.Experiment.Baseline != "slow" || m.Experiment.Score.Extract.Steps[0] != "first_line" {
		t.Errorf("manifest baseline %q, extraction %+v", m.Experiment.Baseline, m.Experiment.Score.Extract)
	}
}
