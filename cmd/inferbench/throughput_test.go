package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/inferbench/inferbench/pipeline/results"
	"github.com/inferbench/inferbench/pipeline/runfolder"
)

// Two shards run one after the other, never side by side: the merged
// level's sending time is the union of their marks, and the merged console,
// report and results.json say that the shards sent apart instead of
// presenting the level as the configured load.
func TestShardsRunOneAfterTheOtherAreNotPresentedAsTheConfiguredLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two shards and a merge")
	}
	dir := t.TempDir()
	exp := writeFile(t, dir, "apart.yaml", `name: apart
seed: 3
dataset: {source: demo, slice: "[:8]"}
platforms:
  - name: solo
    emulate: {ttft: 2ms, tokens_per_second: 4000, accuracy: 0.9}
    models: [m]
    concurrency: 2
repeats: 2
export: {formats: [json, markdown]}
`)
	parent := filepath.Join(dir, "shards")
	var shards []string
	for i := range 2 {
		if code, _, stderr := inferbench(t, "run", exp, "--shard", fmt.Sprintf("%d/2", i), "--out", parent, "--no-progress"); code != exitOK {
			t.Fatalf("shard %d: exit %d\n%s", i, code, stderr)
		}
		shards = append(shards, glob1(parent, fmt.Sprintf("apart-shard-%d-of-2-*", i)))
	}
	merged := filepath.Join(dir, "merged")
	code, stdout, stderr := inferbench(t, "merge", shards[0], shards[1], "--out", merged)
	if code != exitOK {
		t.Fatalf("merge: exit %d\n%s", code, stderr)
	}
	if !strings.Contains(stdout, "shards sent apart (0% overlap): not the configured load") {
		t.Errorf("the merged console does not say the shards sent apart:\n%s", stdout)
	}
	md, err := os.ReadFile(filepath.Join(merged, "report.md"))
	if err != nil || !strings.Contains(string(md), "shards sent apart (0% overlap)") {
		t.Errorf("report.md does not say the shards sent apart (%v)", err)
	}
	b, err := os.ReadFile(filepath.Join(merged, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Results results.Results `json:"results"`
	}
	if err := json.Unmarshal(b, &doc); err != nil || len(doc.Results.Groups) != 1 {
		t.Fatalf("results: %v %+v", err, doc.Results.Groups)
	}
	m, err := runfolder.ReadManifest(merged)
	if err != nil {
		t.Fatal(err)
	}
	g := doc.Results.Groups[0]
	if g.ShardOverlap == nil || *g.ShardOverlap != 0 || len(m.SendSpans) != 2 {
		t.Fatalf("shard_overlap %v, marks %+v: want 0 over the two shards' marks", g.ShardOverlap, m.SendSpans)
	}
	// The sending time is the sum of the two shards' spans (disjoint), not
	// the first start to the last stop, which includes the time between.
	a, z := m.SendSpans[0], m.SendSpans[1]
	if whole := z.Stop.Sub(a.Start).Seconds(); g.WallSeconds > a.Stop.Sub(a.Start).Seconds()+z.Stop.Sub(z.Start).Seconds() || g.WallSeconds >= whole {
		t.Errorf("sending time %v s, want at most the two spans' %v s and under the %v s from first start to last stop",
			g.WallSeconds, a.Stop.Sub(a.Start).Seconds()+z.Stop.Sub(z.Start).Seconds(), whole)
	}
}
