package main

import (
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/inferbench/inferbench/pipeline/results"
	"github.com/inferbench/inferbench/pipeline/runfolder"
)

// serverMetricsExperiment has an emulated platform whose /metrics is
// scraped by default over two load levels, one whose metrics_url nobody
// answers (%s), and one with a single level.
const serverMetricsExperiment = `name: server-metrics
seed: 5
dataset: {source: demo, slice: "[:6]"}
platforms:
  - name: batched
    emulate: {ttft: 150ms, tokens_per_second: 400, accuracy: 1, max_batch: 2, kv_cache_tokens: 2000}
    models: [m]
    concurrency: [1, 4]
    metrics_interval: 100ms
  - name: dark
    emulate: {ttft: 5ms, tokens_per_second: 4000, accuracy: 1}
    models: [m]
    concurrency: 2
    metrics_url: %s
    metrics_interval: 100ms
  - name: single
    emulate: {ttft: 5ms, tokens_per_second: 4000, accuracy: 1}
    models: [m]
    concurrency: 2
export: {formats: [json, csv, markdown]}
`

func TestServerMetricsAreSampledSummarisedAndReReported(t *testing.T) {
	t.Parallel() // its own folder; mostly waits on the emulated platforms
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + ln.Addr().String() + "/metrics"
	ln.Close() // nobody listens there any more: connection refused

	dir := t.TempDir()
	exp := writeFile(t, dir, "sm.yaml", strings.Replace(serverMetricsExperiment, "%s", refused, 1))
	out := filepath.Join(dir, "results")
	code, stdout, stderr := inferbench(t, "run", exp, "--out", out, "--no-progress")
	if code != exitOK {
		t.Fatalf("a dead metrics endpoint must not fail the run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	run := runDir(t, out)
	// Said once as it happens, and once among the results' warnings.
	if n, m := strings.Count(stdout+stderr, "server's metrics endpoint failed"), strings.Count(stdout+stderr, "server metrics of dark"); n != 1 || m != 1 {
		t.Errorf("the dead endpoint should be said once as it fails (%d) and once in the warnings (%d):\n%s\n%s", n, m, stdout, stderr)
	}

	samples, torn, err := runfolder.ReadServerMetrics(filepath.Join(run, runfolder.ServerMetricsFile))
	if err != nil || torn != 0 {
		t.Fatalf("server_metrics.jsonl: %v (torn %d)", err, torn)
	}
	levels := map[string]int{}
	for _, s := range samples {
		if s.Platform == "batched" && s.Error == "" {
			levels[s.Level]++
		}
	}
	if levels["c=1"] < 2 || levels["c=4"] < 2 {
		t.Errorf("want scrapes at the start and end of each level of batched, got %v", levels)
	}

	res := readResults(t, run)
	got := map[string]*results.ServerMetrics{}
	for _, g := range res.Groups {
		got[g.Platform+"/"+g.Level] = g.ServerMetrics
	}
	c1, c4 := got["batched/c=1"], got["batched/c=4"]
	if c1 == nil || c4 == nil || got["dark/"] != nil || got["single/"] == nil || got["single/"].Samples < 2 {
		t.Fatalf("server_metrics by group: %v", got)
	}
	if *c1.RunningMax > 1 || *c1.WaitingMax != 0 {
		t.Errorf("one worker: at most 1 running and none waiting, got %v and %v", *c1.RunningMax, *c1.WaitingMax)
	}
	if *c4.RunningMax != 2 || *c4.WaitingMax != 2 || *c4.KVCacheUsageMax <= *c1.KVCacheUsageMax || *c4.Preemptions != 0 {
		t.Errorf("four workers on a batch of two: running max %v (want 2), waiting max %v (want 2), KV max %v (want above one worker's %v), preemptions %v",
			*c4.RunningMax, *c4.WaitingMax, *c4.KVCacheUsageMax, *c1.KVCacheUsageMax, *c4.Preemptions)
	}
	var warned []string
	for _, w := range res.Warnings {
		if strings.Contains(w, "server metrics of dark") {
			warned = append(warned, w)
		}
	}
	if len(warned) != 1 || !strings.Contains(warned[0], "refused") {
		t.Errorf("results.json should note the dead endpoint once: %q", res.Warnings)
	}
	summary, err := os.ReadFile(filepath.Join(run, "summary.csv"))
	if err != nil || !strings.Contains(string(summary), "server_kv_cache_usage_max") {
		t.Errorf("summary.csv lacks the server columns (%v)", err)
	}
	md, _ := os.ReadFile(filepath.Join(run, "report.md"))
	if !strings.Contains(string(md), "## Server metrics") {
		t.Error("report.md lacks the Server metrics section")
	}

	// Re-report from the run folder alone: the same figures, from
	// server_metrics.jsonl, without any endpoint.
	os.Remove(filepath.Join(run, "results.json"))
	if code, stdout, stderr := inferbench(t, "report", run); code != exitOK {
		t.Fatalf("report: exit %d\n%s\n%s", code, stdout, stderr)
	}
	again := readResults(t, run)
	for _, g := range again.Groups {
		if want := got[g.Platform+"/"+g.Level]; !reflect.DeepEqual(g.ServerMetrics, want) {
			t.Errorf("re-report %s/%s: %+v, want %+v", g.Platform, g.Level, g.ServerMetrics, want)
		}
	}
	if !reflect.DeepEqual(again.Warnings, res.Warnings) {
		t.Errorf("re-report warnings %q, want %q", again.Warnings, res.Warnings)
	}
}
