package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/inferbench/inferbench/pipeline/results"
	"github.com/inferbench/inferbench/pipeline/runfolder"
)

const sizedLevels = `name: sized
seed: 3
dataset: {source: demo, slice: "[:4]"}
platforms:
  - name: fast
    emulate: {ttft: 1ms, tokens_per_second: 4000}
    models: [m]
    load:
      type: concurrency
      levels: [2, 6]
      requests: 10
      warmup: 3
export: {formats: [json]}
`

// load.requests sizes each level by count (the 4 questions cycled, repeats
// numbered on) instead of one burst of repeats x questions, and
// load.warmup makes each level's first requests warmups: in the journal
// with warmup true, out of the statistics.
func TestLevelsSizedByRequestsWithWarmups(t *testing.T) {
	dir := t.TempDir()
	exp := writeFile(t, dir, "sized.yaml", sizedLevels)
	code, stdout, stderr := inferbench(t, "plan", exp)
	if code != exitOK || !strings.Contains(stdout, "total requests: 20") {
		t.Fatalf("plan: exit %d\n%s\n%s", code, stdout, stderr)
	}
	out := filepath.Join(dir, "results")
	run := runOK(t, exp, out)
	recs, _, err := runfolder.ReadJournal(filepath.Join(run, runfolder.JournalFile))
	if err != nil {
		t.Fatal(err)
	}
	type tally struct{ n, warm, repeat2 int }
	by := map[string]*tally{}
	for _, r := range recs {
		if by[r.Level] == nil {
			by[r.Level] = &tally{}
		}
		tl := by[r.Level]
		tl.n++
		if r.Warmup {
			tl.warm++
			if r.Repeat != 0 {
				t.Errorf("warmup %s is not among the level's first requests", r.CellKey)
			}
		}
		if r.Repeat == 2 {
			tl.repeat2++
		}
	}
	for _, lv := range []string{"c=2", "c=6"} {
		if tl := by[lv]; tl == nil || tl.n != 10 || tl.warm != 3 || tl.repeat2 != 2 {
			t.Errorf("level %s: %+v, want 10 requests (questions cycled: 2 in a third repeat), 3 warmups", lv, tl)
		}
	}
	m, err := runfolder.ReadManifest(run)
	if err != nil || m.CellTotal != 20 {
		t.Fatalf("manifest cell_total %v, %v", m, err)
	}
	b, err := os.ReadFile(filepath.Join(run, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"count": 7`, `"warmups": 3`} {
		if strings.Count(string(b), want) < 2 {
			t.Errorf("results.json has not %s for both levels", want)
		}
	}
}

func TestALevelWarmupOfEveryRequestIsALocatedError(t *testing.T) {
	dir := t.TempDir()
	exp := writeFile(t, dir, "bad.yaml", strings.Replace(sizedLevels, "warmup: 3", "warmup: 10", 1))
	code, _, stderr := inferbench(t, "validate", exp)
	if code != exitError || !strings.Contains(stderr, "bad.yaml:12:") || !strings.Contains(stderr, "load.warmup: must be less than requests (10), got 10") {
		t.Errorf("exit %d\n%s", code, stderr)
	}
}

// max_cells counts the cells of levels sized by requests, not repeats x
// questions.
func TestMaxCellsCountsLevelsSizedByRequests(t *testing.T) {
	dir := t.TempDir()
	exp := writeFile(t, dir, "sized.yaml", sizedLevels+"max_cells: 19\n")
	code, _, stderr := inferbench(t, "validate", exp)
	if code != exitError || !strings.Contains(stderr, "the matrix has up to 20 cells") || !strings.Contains(stderr, "20 requests of levels sized by load.requests") {
		t.Errorf("exit %d\n%s", code, stderr)
	}
}

// load.duration sizes each level by time: it sends, the questions cycled
// and repeats numbered on, until its duration ends, which is not a stop.
func TestLevelsSizedByDuration(t *testing.T) {
	t.Parallel() // its own folder; mostly waits for the levels' durations
	dir := t.TempDir()
	body := strings.Replace(sizedLevels, "requests: 10", "duration: 300ms", 1)
	body = strings.Replace(body, "warmup: 3", "warmup: 2", 1)
	exp := writeFile(t, dir, "timed.yaml", body)
	code, stdout, stderr := inferbench(t, "plan", exp)
	if code != exitOK || !strings.Contains(stdout, "0 + timed") || !strings.Contains(stdout, "each for 300ms") {
		t.Fatalf("plan: exit %d\n%s\n%s", code, stdout, stderr)
	}
	out := filepath.Join(dir, "results")
	run := runOK(t, exp, out)
	recs, _, err := runfolder.ReadJournal(filepath.Join(run, runfolder.JournalFile))
	if err != nil {
		t.Fatal(err)
	}
	type tally struct{ n, warm, later int }
	by := map[string]*tally{}
	for _, r := range recs {
		if by[r.Level] == nil {
			by[r.Level] = &tally{}
		}
		by[r.Level].n++
		if r.Warmup {
			by[r.Level].warm++
		}
		if r.Repeat > 0 {
			by[r.Level].later++
		}
	}
	for _, lv := range []string{"c=2", "c=6"} {
		if tl := by[lv]; tl == nil || tl.later == 0 || tl.warm != 2 {
			t.Errorf("level %s: %+v, want the 4 questions cycled into later repeats and 2 warmups", lv, tl)
		}
	}
	m, err := runfolder.ReadManifest(run)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.LevelStops) > 0 || m.StopReason != runfolder.StopCompleted {
		t.Errorf("a level that spent its duration is reported as stopped: %+v, %s", m.LevelStops, m.StopReason)
	}
}

// warmup given as a duration makes the requests each level sends in its
// first that long warmups; it must be shorter than the level's duration.
func TestALevelWarmupByDuration(t *testing.T) {
	t.Parallel() // its own folder; mostly waits for the levels' durations
	dir := t.TempDir()
	body := strings.Replace(sizedLevels, "requests: 10", "duration: 400ms", 1)
	body = strings.Replace(body, "warmup: 3", "warmup: 100ms", 1)
	exp := writeFile(t, dir, "timed.yaml", body)
	out := filepath.Join(dir, "results")
	run := runOK(t, exp, out)
	// The manifest keeps the warmup as written: report and rescore --set reload it.
	if code, stdout, stderr := inferbench(t, "rescore", run, "--set", "score.report_raw=false"); code != exitOK {
		t.Fatalf("rescore: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if m, err := runfolder.ReadManifest(run); err != nil || m.Experiment.Platforms[0].Levels.Warmup.String() != "100ms" {
		t.Fatalf("manifest warmup %v (%v)", m.Experiment.Platforms[0].Levels.Warmup, err)
	}
	recs, _, err := runfolder.ReadJournal(filepath.Join(run, runfolder.JournalFile))
	if err != nil {
		t.Fatal(err)
	}
	lastWarm, firstMeasured := map[string]results.Record{}, map[string]results.Record{}
	for _, r := range recs {
		if r.Warmup {
			if w, ok := lastWarm[r.Level]; !ok || r.StartedAt.After(w.StartedAt) {
				lastWarm[r.Level] = r
			}
		} else if m, ok := firstMeasured[r.Level]; !ok || r.StartedAt.Before(m.StartedAt) {
			firstMeasured[r.Level] = r
		}
	}
	for _, lv := range []string{"c=2", "c=6"} {
		w, okW := lastWarm[lv]
		m, okM := firstMeasured[lv]
		if !okW || !okM || w.StartedAt.After(m.StartedAt) {
			t.Errorf("level %s: warmups (last sent %v) must all be sent before the measured requests (first sent %v)", lv, w.StartedAt, m.StartedAt)
		}
	}

	for _, tc := range []struct{ warmup, want string }{
		{"warmup: 1s", "platforms[0].load.warmup: must be shorter than duration (400ms), got 1s"},
		{"warmup: soon", "platforms[0].load.warmup: must be a number of requests or a duration like \"5s\", got"},
	} {
		bad := writeFile(t, dir, "bad.yaml", strings.Replace(body, "warmup: 100ms", tc.warmup, 1))
		code, _, stderr := inferbench(t, "validate", bad)
		if code != exitError || !strings.Contains(stderr, "bad.yaml:12:") || !strings.Contains(stderr, tc.want) {
			t.Errorf("%s: exit %d\n%s", tc.warmup, code, stderr)
		}
	}
}

// Shards of levels sized by duration each send their share of the cells
// for the whole duration, and merge takes every record: such a level has
// no count of cells to check.
func TestShardsOfTimedLevelsMerge(t *testing.T) {
	t.Parallel() // its own folder; mostly waits for the levels' durations
	dir := t.TempDir()
	exp := writeFile(t, dir, "timed.yaml", strings.Replace(sizedLevels, "requests: 10", "duration: 200ms", 1))
	var shards []string
	total := 0
	sent := map[int]bool{}
	for i := range 2 {
		out := filepath.Join(dir, "s"+string(rune('0'+i)))
		if code, stdout, stderr := inferbench(t, "run", exp, "--out", out, "--shard", string(rune('0'+i))+"/2", "--no-progress"); code != exitOK {
			t.Fatalf("shard %d: exit %d\n%s\n%s", i, code, stdout, stderr)
		}
		shard := runDir(t, out)
		recs, _, err := runfolder.ReadJournal(filepath.Join(shard, runfolder.JournalFile))
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			if sent[r.Seq] {
				t.Fatalf("cell %d sent by both shards", r.Seq)
			}
			sent[r.Seq] = true
		}
		total += len(recs)
		shards = append(shards, shard)
	}
	merged := filepath.Join(dir, "merged")
	if code, stdout, stderr := inferbench(t, append(append([]string{"merge"}, shards...), "--out", merged)...); code != exitOK {
		t.Fatalf("merge: exit %d\n%s\n%s", code, stdout, stderr)
	}
	recs, _, err := runfolder.ReadJournal(filepath.Join(merged, runfolder.JournalFile))
	if err != nil || len(recs) != total {
		t.Errorf("merged %d records of %d (%v)", len(recs), total, err)
	}
}

// A resume that would size the levels otherwise, or count other warmups,
// is refused and says what changed.
func TestResumeRefusesAnotherLevelSizing(t *testing.T) {
	dir := t.TempDir()
	exp := writeFile(t, dir, "sized.yaml", sizedLevels)
	out := filepath.Join(dir, "results")
	run := runOK(t, exp, out)
	code, _, stderr := inferbench(t, "run", exp, "--resume", run, "--no-progress", "--set", "platforms.0.load.requests=12", "--set", "platforms.0.load.warmup=2s")
	if code != exitError || !strings.Contains(stderr, "platforms[0].load.requests: 10 -> 12") || !strings.Contains(stderr, `platforms[0].load.warmup: 3 -> "2s"`) {
		t.Errorf("exit %d\n%s", code, stderr)
	}
}
