package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/inferbench/inferbench/pipeline"
	"github.com/inferbench/inferbench/pipeline/results"
	"github.com/inferbench/inferbench/pipeline/runfolder"
	"github.com/inferbench/inferbench/stages"
)

// compare aggregates each run under its manifest's sending marks, as
// report does: the rates it would compute are results.json's, not rates
// over a sending time inferred from the gaps between records. The run's
// marks are rewritten to say it sent for only the first 10 ms of its
// records, which no inference from the records can find.
func TestCompareAggregatesUnderTheRunsSendingMarksAsReportDoes(t *testing.T) {
	dir := t.TempDir()
	exp := writeFile(t, dir, "marks.yaml", `name: marks
seed: 3
dataset: {source: demo, slice: "[:6]"}
platforms:
  - name: solo
    emulate: {ttft: 2ms, tokens_per_second: 4000, accuracy: 0.9}
    models: [m]
    concurrency: 1
repeats: 2
export: {formats: [json]}
`)
	parent := filepath.Join(dir, "runs")
	if code, _, stderr := inferbench(t, "run", exp, "--out", parent, "--no-progress"); code != exitOK {
		t.Fatalf("run: exit %d\n%s", code, stderr)
	}
	run := glob1(parent, "marks-*")
	path := filepath.Join(run, runfolder.ManifestFile)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	spans, _ := m["send_spans"].([]any)
	if len(spans) != 1 {
		t.Fatalf("send_spans = %v, want the run's one mark", m["send_spans"])
	}
	mark := spans[0].(map[string]any)
	start, err := time.Parse(time.RFC3339Nano, mark["start"].(string))
	if err != nil {
		t.Fatal(err)
	}
	mark["stop"] = start.Add(10 * time.Millisecond).Format(time.RFC3339Nano)
	if b, err = json.Marshal(m); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := inferbench(t, "report", run); code != exitOK {
		t.Fatalf("report: exit %d\n%s", code, stderr)
	}
	var doc struct {
		Results results.Results `json:"results"`
	}
	b, err = os.ReadFile(filepath.Join(run, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &doc); err != nil || len(doc.Results.Groups) != 1 {
		t.Fatalf("results: %v %+v", err, doc.Results.Groups)
	}
	want := doc.Results.Groups[0]
	if want.WallSeconds > 0.0101 {
		t.Fatalf("report's sending time %v s: want at most the mark's 10 ms", want.WallSeconds)
	}
	r, err := pipeline.Reopen(run)
	if err == nil {
		err = r.LoadRecords()
	}
	if err != nil {
		t.Fatal(err)
	}
	res, err := compareAggregate(context.Background(), stages.NewRegistry().Aggregate, r)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Groups) != 1 {
		t.Fatalf("compare's groups: %+v", res.Groups)
	}
	got := res.Groups[0]
	if got.WallSeconds != want.WallSeconds || got.RequestThroughput != want.RequestThroughput || got.SendRate != want.SendRate || got.Throughput != want.Throughput {
		t.Errorf("compare: sending time %v s, request_throughput %v, send_rate %v, throughput %v; report: %v s, %v, %v, %v",
			got.WallSeconds, got.RequestThroughput, got.SendRate, got.Throughput, want.WallSeconds, want.RequestThroughput, want.SendRate, want.Throughput)
	}
}
