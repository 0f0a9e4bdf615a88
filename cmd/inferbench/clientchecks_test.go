package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/inferbench/inferbench/pipeline/results"
	"github.com/inferbench/inferbench/pipeline/runfolder"
)

// injectClientHealth replaces the client health of run's manifest with
// one entry per group: the slow platform's at 97% CPU of 2 cores
// (client-bound under the default thresholds), the fast one's healthy.
func injectClientHealth(t *testing.T, run string) {
	t.Helper()
	m, err := runfolder.ReadManifest(run)
	if err != nil {
		t.Fatal(err)
	}
	m.ClientHealth = []results.ClientHealth{
		{Platform: "fast", Seconds: 1, SchedLatencyP99Ms: 0.5, CPUPercent: 20, Cores: 2},
		{Platform: "slow", Seconds: 1, SchedLatencyP99Ms: 7.5, CPUPercent: 97, Cores: 2, SendLagP50Ms: 3, SendLagP99Ms: 12, SendLagN: 16},
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(run, runfolder.ManifestFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestChecksSeeTheClientFiguresOfTheManifest: `checks:` are judged after
// the client's health is applied, so a check can refuse a client-bound
// run and read the client figures; report judges them again under other
// thresholds.
func TestChecksSeeTheClientFiguresOfTheManifest(t *testing.T) {
	dir := t.TempDir()
	exp := writeFile(t, dir, "fast.yaml", fastExperiment)
	out := filepath.Join(dir, "results")
	if code, stdout, stderr := inferbench(t, "run", exp, "--out", out, "--no-progress", "--set", "export.formats=[json]"); code != exitOK && code != exitChecksFailed {
		t.Fatalf("run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	run := runDir(t, out)
	injectClientHealth(t, run)
	checks := "checks=['!any(groups, .client_bound)', " +
		"'group(\"slow\").client_sched_latency_p99 == 7.5 && group(\"slow\").client_cpu == 97 && group(\"slow\").client_send_lag_p50 == 3 && group(\"slow\").client_send_lag_p99 == 12', " +
		"'group(\"fast\").client_cpu == 20 && !group(\"fast\").client_bound']"
	read := func() []results.CheckResult {
		t.Helper()
		var doc struct{ Results results.Results }
		b, err := os.ReadFile(filepath.Join(run, "results.json"))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatal(err)
		}
		if len(doc.Results.Checks) != 3 {
			t.Fatalf("results.json has %d checks, want 3: %+v", len(doc.Results.Checks), doc.Results.Checks)
		}
		return doc.Results.Checks
	}

	if code, stdout, stderr := inferbench(t, "report", run, "--set", checks); code != exitChecksFailed {
		t.Fatalf("report of a client-bound run with a check against it: exit %d, want %d\n%s\n%s", code, exitChecksFailed, stdout, stderr)
	}
	got := read()
	if got[0].Passed || got[0].Error != "" {
		t.Errorf("check %q = %+v, want failed (slow is client-bound)", got[0].Expr, got[0])
	}
	for _, c := range got[1:] {
		if !c.Passed {
			t.Errorf("check %q = %+v, want passed (the injected figures)", c.Expr, c)
		}
	}

	// Under thresholds nothing reaches, no group is client-bound: every check passes.
	if code, stdout, stderr := inferbench(t, "report", run, "--set", checks, "--set", "client.max_cpu=1000",
		"--set", "client.max_sched_latency=1h", "--set", "client.max_send_lag=1h"); code != exitOK {
		t.Fatalf("report under high thresholds: exit %d, want %d\n%s\n%s", code, exitOK, stdout, stderr)
	}
	for _, c := range read() {
		if !c.Passed {
			t.Errorf("check %q = %+v under high thresholds, want passed", c.Expr, c)
		}
	}
}
