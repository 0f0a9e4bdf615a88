package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

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
