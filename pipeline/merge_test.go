package pipeline

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/results"
	"github.com/inferbench/inferbench/pipeline/runfolder"
)

func TestTheMergedManifestNotesShardsOnDifferentHosts(t *testing.T) {
	t0 := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	shard := func(i int, host string, start time.Duration) shardRun {
		return shardRun{dir: "d", m: &runfolder.Manifest{RunID: "r" + string(rune('0'+i)), StartedAt: t0.Add(start), FinishedAt: t0.Add(start + time.Hour),
			Shard: &runfolder.ShardInfo{Shard: runfolder.Shard{Index: i, Count: 3}, Host: host}, Cells: map[string]int{"p": 1}, CellTotal: 1}}
	}
	three := &config.Experiment{Platforms: []config.Platform{{Name: "p", Models: []string{"m"}}}}
	plan, err := BuildPlan(context.Background(), three, manySamples(3))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name     string
		hosts    [3]string
		wantNote string
	}{
		{"shards on one host get no note", [3]string{"a", "a", "a"}, ""},
		{"shards on two hosts are named with their shards", [3]string{"a", "b", "a"}, HostsNote + "a (0/3, 2/3); b (1/3)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			shards := []shardRun{shard(0, tc.hosts[0], time.Minute), shard(1, tc.hosts[1], 0), shard(2, tc.hosts[2], 2*time.Minute)}
			m := mergedManifest(shards, plan, "merged")
			var note string
			for _, n := range m.Notes {
				if strings.HasPrefix(n, HostsNote) {
					note = n
				}
			}
			if note != tc.wantNote {
				t.Errorf("note %q, want %q", note, tc.wantNote)
			}
			if m.RunID != "merged" || m.Shard != nil || len(m.Shards) != 3 || m.CellTotal != 3 || !m.StartedAt.Equal(t0) || !m.FinishedAt.Equal(t0.Add(2*time.Minute+time.Hour)) {
				t.Errorf("manifest %+v", m)
			}
		})
	}
}

func TestTheExperimentHashIgnoresWhatIsComputedAfterQuerying(t *testing.T) {
	base := func() *config.Experiment {
		return &config.Experiment{Name: "x", Repeats: 1, Params: config.Params{Temperature: []float64{0}, MaxTokens: 64},
			Platforms: []config.Platform{{Name: "p", Models: []string{"m"}, Tokenizers: []string{"/home/node1/tok/llama3.json"}}},
			Export:    config.ExportSpec{Dir: "results"}}
	}
	ids := []string{"q1", "q2"}
	h := runfolder.ExperimentHash(base(), ids)
	for name, change := range map[string]func(e *config.Experiment){
		"export.dir":  func(e *config.Experiment) { e.Export.Dir = "/scratch/node7" },
		"checks":      func(e *config.Experiment) { e.Checks = []string{"true"} },
		"slo":         func(e *config.Experiment) { e.SLO.E2E = config.Duration(time.Second) },
		"stats":       func(e *config.Experiment) { e.Stats.Bootstrap = 500 },
		"metrics":     func(e *config.Experiment) { e.Metrics = []config.MetricSpec{{Name: "a", Expr: "1"}} },
		"baseline":    func(e *config.Experiment) { e.Baseline = "p" },
		"description": func(e *config.Experiment) { e.Description = "node 7" },
		"the folder of a tokenizer file": func(e *config.Experiment) {
			e.Platforms[0].Tokenizers = []string{"/home/node7/tok/llama3.json"}
		},
	} {
		e := base()
		change(e)
		if got := runfolder.ExperimentHash(e, ids); got != h {
			t.Errorf("changing %s changed the hash: shards that differ only there could not be merged", name)
		}
	}
	for name, change := range map[string]func(e *config.Experiment){
		"params.max_tokens": func(e *config.Experiment) { e.Params.MaxTokens = 128 },
		"repeats":           func(e *config.Experiment) { e.Repeats = 2 },
		"score":             func(e *config.Experiment) { e.Score.Extract.Regex = "x" },
		"the tokenizer":     func(e *config.Experiment) { e.Platforms[0].Tokenizers = []string{"/home/node1/tok/qwen.json"} },
	} {
		e := base()
		change(e)
		if got := runfolder.ExperimentHash(e, ids); got == h {
			t.Errorf("changing %s left the hash alone", name)
		}
	}
	if runfolder.ExperimentHash(base(), ids[:1]) == h {
		t.Error("other questions left the hash alone")
	}
}

func TestTheMergedManifestKeepsEveryShardsStoppedLevels(t *testing.T) {
	stop := func(i int, ls ...results.LevelStop) shardRun {
		return shardRun{dir: "d", m: &runfolder.Manifest{Shard: &runfolder.ShardInfo{Shard: runfolder.Shard{Index: i, Count: 2}, Host: "h"}, LevelStops: ls}}
	}
	sat := results.LevelStop{Platform: "p", Level: "c=64", Reason: "saturated: error rate 40% above 20% after 10 requests"}
	dur := results.LevelStop{Platform: "p", Level: "c=8", Reason: "max_duration"}
	m := mergedManifest([]shardRun{stop(0, dur), stop(1, sat, dur)}, &Plan{}, "merged")
	if len(m.LevelStops) != 2 || !slices.Contains(m.LevelStops, sat) || !slices.Contains(m.LevelStops, dur) {
		t.Errorf("level stops %v, want shard 1's saturated level and the shared max_duration stop once", m.LevelStops)
	}
}

// A level's sending time in a merged run is the union of its shards'
// marks, so the merged manifest keeps every shard's, each naming its shard.
func TestTheMergedManifestKeepsEveryShardsSendingMarks(t *testing.T) {
	t0 := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	shard := func(i int, spans ...runfolder.SendSpan) shardRun {
		return shardRun{dir: "d", m: &runfolder.Manifest{Shard: &runfolder.ShardInfo{Shard: runfolder.Shard{Index: i, Count: 2}, Host: "h"}, SendSpans: spans}}
	}
	a := runfolder.SendSpan{Platform: "p", Process: 1, Start: t0, Stop: t0.Add(time.Minute)}
	b := runfolder.SendSpan{Platform: "p", Process: 1, Start: t0.Add(time.Hour)} // killed, never resumed
	c := runfolder.SendSpan{Platform: "p", Process: 2, Start: t0.Add(2 * time.Hour), Stop: t0.Add(3 * time.Hour)}
	m := mergedManifest([]shardRun{shard(0, a), shard(1, b, c)}, &Plan{}, "merged")
	var got []string
	for _, s := range m.SendSpans {
		if s.Shard == nil {
			t.Fatalf("mark %+v names no shard", s)
		}
		got = append(got, fmt.Sprintf("%d/%d %s", *s.Shard, s.Process, s.Start.Sub(t0)))
	}
	if want := []string{"0/1 0s", "1/1 1h0m0s", "1/2 2h0m0s"}; !slices.Equal(got, want) {
		t.Errorf("merged marks %q, want %q", got, want)
	}
}
