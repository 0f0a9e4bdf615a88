package pipeline

import (
	"strings"
	"testing"
	"time"
)

func TestTheMergedManifestNotesShardsOnDifferentHosts(t *testing.T) {
	t0 := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	shard := func(i int, host string, start time.Duration) shardRun {
		return shardRun{dir: "d", m: &Manifest{RunID: "r" + string(rune('0'+i)), StartedAt: t0.Add(start), FinishedAt: t0.Add(start + time.Hour),
			Shard: &ShardInfo{Shard: Shard{Index: i, Count: 3}, Host: host}, Cells: map[string]int{"p": 1}, CellTotal: 1}}
	}
	plan := &Plan{Jobs: []PlanJob{{Platform: Platform{Name: "p"}, Cells: make([]Cell, 3)}}}
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
