package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/inferbench/inferbench/pipeline/results"
	"github.com/inferbench/inferbench/pipeline/runfolder"
)

// shardExperiment is fastExperiment with warmups, so that warmup cells
// are split across shards too.
const shardExperiment = `name: sharded
seed: 3
dataset: {source: demo, slice: "[:8]"}
platforms:
  - name: fast
    emulate: {ttft: 2ms, tokens_per_second: 4000, accuracy: 0.9, style: chatty, reasoning_tokens: 5}
    models: [m]
    concurrency: 4
    warmup: 3
  - name: slow
    emulate: {ttft: 5ms, tokens_per_second: 2000, accuracy: 0.7, reasoning_tokens: 5, faults: {rate_500: 0.1}}
    models: [m]
    concurrency: 4
    retries: 0
baseline: slow
repeats: 3
export: {formats: [json, csv, xlsx, markdown, html]}
`

// runShards runs every shard of n of exp as its own process, side by
// side, under parent, and returns their run folders in shard order.
func runShards(t *testing.T, bin, exp, parent string, n int, extra ...string) []string {
	t.Helper()
	var wg sync.WaitGroup
	errs := make([]error, n)
	outs := make([][]byte, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			args := append([]string{"run", exp, "--shard", fmt.Sprintf("%d/%d", i, n), "--out", parent, "--no-progress"}, extra...)
			outs[i], errs[i] = exec.Command(bin, args...).CombinedOutput()
		}()
	}
	wg.Wait()
	dirs := make([]string, n)
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("shard %d/%d: %v\n%s", i, n, errs[i], outs[i])
		}
		dirs[i] = glob1(parent, fmt.Sprintf("sharded-shard-%d-of-%d-*", i, n))
	}
	return dirs
}

func readLines(t *testing.T, path string) [][]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.SplitAfter(bytes.TrimSuffix(b, []byte("\n")), []byte("\n"))
	if last := lines[len(lines)-1]; !bytes.HasSuffix(last, []byte("\n")) {
		lines[len(lines)-1] = append(last, '\n')
	}
	return lines
}

func TestFourShardProcessesMergeIntoTheResultsOfOneProcess(t *testing.T) {
	t.Parallel() // mostly waits on other processes: these tests overlap
	if testing.Short() {
		t.Skip("builds the binary and runs four processes")
	}
	dir := t.TempDir()
	bin := buildBinary(t)
	exp := writeFile(t, dir, "sharded.yaml", shardExperiment)
	shards := runShards(t, bin, exp, filepath.Join(dir, "shards"), 4)

	t.Run("each shard records its shard, share, host and the experiment's hash, and sends every 4th cell of each level", func(t *testing.T) {
		total := 0
		for i, d := range shards {
			m, err := runfolder.ReadManifest(d)
			if err != nil {
				t.Fatal(err)
			}
			if m.Shard == nil || m.Shard.Index != i || m.Shard.Count != 4 || m.Shard.Host == "" || m.ExperimentHash == "" {
				t.Fatalf("shard %d manifest: %+v hash %q", i, m.Shard, m.ExperimentHash)
			}
			// concurrency 4 over 4 shards: one worker each, every 4th cell.
			if seg := fmt.Sprintf("%d/4:%d/4", i, i+1); m.Shard.Segment != seg || len(m.Shard.Levels) != 2 ||
				m.Shard.Levels[0].Concurrency != 1 || m.Shard.Levels[0].Segment != seg {
				t.Errorf("shard %d share: %+v", i, m.Shard)
			}
			recs, _, err := runfolder.ReadJournal(filepath.Join(d, runfolder.JournalFile))
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range recs {
				pos := r.Seq // the cell's position in its level (warmups apart)
				if r.Platform == "fast" && !r.Warmup {
					pos -= 3
				}
				if pos%4 != i {
					t.Errorf("shard %d sent %s at seq %d", i, r.CellKey, r.Seq)
				}
			}
			if len(recs) != m.CellTotal {
				t.Errorf("shard %d: %d records, manifest says %d cells", i, len(recs), m.CellTotal)
			}
			total += len(recs)
		}
		if want := 2*8*3 + 3; total != want {
			t.Errorf("shards sent %d cells together, want %d", total, want)
		}
	})

	// Shard 1 "crashed": the last 3 records are gone.
	j1 := filepath.Join(shards[1], runfolder.JournalFile)
	lines := readLines(t, j1)
	if err := os.WriteFile(j1, bytes.Join(lines[:len(lines)-3], nil), 0o644); err != nil {
		t.Fatal(err)
	}
	merged := filepath.Join(dir, "merged")
	t.Run("merge refuses a shard that did not finish and leaves nothing behind", func(t *testing.T) {
		res, err := exec.Command(bin, append(append([]string{"merge"}, shards...), "--out", merged)...).CombinedOutput()
		if err == nil || !strings.Contains(string(res), "shard 1/4 ("+shards[1]+") is missing 3 of its") || !strings.Contains(string(res), "--resume") {
			t.Fatalf("err %v, output:\n%s", err, res)
		}
		if ents, _ := os.ReadDir(merged); len(ents) > 1 { // the lock file may stay
			t.Errorf("merge left %d files in %s", len(ents), merged)
		}
	})
	t.Run("resuming a shard with another shard is refused", func(t *testing.T) {
		res, err := exec.Command(bin, "run", exp, "--resume", shards[1], "--shard", "2/4", "--no-progress").CombinedOutput()
		if err == nil || !strings.Contains(string(res), "is shard 1/4, not shard 2/4") {
			t.Fatalf("err %v, output:\n%s", err, res)
		}
	})
	t.Run("resuming the shard sends only its missing cells", func(t *testing.T) {
		res, err := exec.Command(bin, "run", exp, "--resume", shards[1], "--no-progress").CombinedOutput()
		if err != nil {
			t.Fatalf("%v\n%s", err, res)
		}
		if got := len(readLines(t, j1)); got != len(lines) {
			t.Errorf("resumed shard has %d records, want %d", got, len(lines))
		}
	})
	os.RemoveAll(merged)
	res, err := exec.Command(bin, append(append([]string{"merge"}, shards[3], shards[1], shards[0], shards[2]), "--out", merged)...).CombinedOutput()
	if err != nil && !strings.Contains(string(res), "checks failed") {
		t.Fatalf("merge: %v\n%s", err, res)
	}
	t.Run("the merged folder lists every shard and covers the matrix once", func(t *testing.T) {
		m, err := runfolder.ReadManifest(merged)
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Shards) != 4 || m.Shard != nil || m.CellTotal != 2*8*3+3 {
			t.Fatalf("shards %+v, shard %+v, cells %d", m.Shards, m.Shard, m.CellTotal)
		}
		for i, s := range m.Shards {
			if s.Index != i || s.RunID != filepath.Base(shards[i]) {
				t.Errorf("shard %d listed as %+v", i, s)
			}
		}
		if got := len(readLines(t, filepath.Join(merged, runfolder.JournalFile))); got != m.CellTotal {
			t.Errorf("%d records, want %d", got, m.CellTotal)
		}
		for _, f := range []string{"results.json", "requests.csv", "results.xlsx", "report.md", "report.html"} {
			if _, err := os.Stat(filepath.Join(merged, f)); err != nil {
				t.Error(err)
			}
		}
	})
	t.Run("results.json equals one process's over the same records in another order, to the last digit", func(t *testing.T) {
		single := filepath.Join(dir, "single")
		if err := os.Mkdir(single, 0o755); err != nil {
			t.Fatal(err)
		}
		// server_metrics.jsonl: the emulated platforms' /metrics, scraped by every shard.
		for _, f := range []string{runfolder.ManifestFile, runfolder.SamplesFile, runfolder.ServerMetricsFile} {
			b, err := os.ReadFile(filepath.Join(merged, f))
			if err != nil {
				t.Fatal(err)
			}
			writeFile(t, single, f, string(b))
		}
		recs := readLines(t, filepath.Join(merged, runfolder.JournalFile))
		slices.Reverse(recs)
		writeFile(t, single, runfolder.JournalFile, string(bytes.Join(recs, nil)))
		if code, _, stderr := inferbench(t, "report", single); code != exitOK && code != exitChecksFailed {
			t.Fatalf("report exit %d: %s", code, stderr)
		}
		a, errA := os.ReadFile(filepath.Join(merged, "results.json"))
		b, errB := os.ReadFile(filepath.Join(single, "results.json"))
		if errA != nil || errB != nil {
			t.Fatal(errA, errB)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("results.json differ:\n%s\n----\n%s", a, b)
		}
		var doc struct {
			Results results.Results `json:"results"`
		}
		if err := json.Unmarshal(a, &doc); err != nil || len(doc.Results.Groups) != 2 || doc.Results.Groups[0].Count != 24 {
			t.Errorf("results: %v %+v", err, doc.Results.Groups)
		}
	})
}

func TestMergeRefusesShardsThatDoNotMakeOneRun(t *testing.T) {
	t.Parallel() // mostly waits on other processes: these tests overlap
	if testing.Short() {
		t.Skip("builds the binary and runs shard processes")
	}
	dir := t.TempDir()
	bin := buildBinary(t)
	exp := writeFile(t, dir, "sharded.yaml", shardExperiment)
	shards := runShards(t, bin, exp, filepath.Join(dir, "a"), 3)
	other := runShards(t, bin, exp, filepath.Join(dir, "b"), 3, "--set", "seed=4")
	unsharded := filepath.Join(dir, "c")
	if code, _, stderr := inferbench(t, "run", exp, "--out", unsharded, "--no-progress"); code != exitOK && code != exitChecksFailed {
		t.Fatalf("run: %d %s", code, stderr)
	}
	cases := []struct {
		name string
		dirs []string
		want string
	}{
		{"a missing shard is named", []string{shards[0], shards[2]}, "shard 1/3 is missing"},
		{"a shard given twice is named", []string{shards[0], shards[1], shards[1], shards[2]}, "shard 1/3 is given twice"},
		{"shards of another experiment are refused with both hashes", []string{shards[0], other[1], shards[2]}, "shards come from different experiments"},
		{"a folder that is not a shard is refused", []string{shards[0], runDir(t, unsharded)}, "is not a shard"},
	}
	t.Run("a shard whose folder is in use is not merged", func(t *testing.T) {
		lock, err := runfolder.LockRunDir(shards[1], true)
		if err != nil {
			t.Fatal(err)
		}
		defer lock.Unlock()
		code, _, stderr := inferbench(t, append(append([]string{"merge"}, shards...), "--out", filepath.Join(dir, "merged-busy"))...)
		if code != exitError || !strings.Contains(stderr, "shard 1/3: ") || !strings.Contains(stderr, "in use") {
			t.Errorf("exit %d, stderr %q", code, stderr)
		}
	})
	t.Run("a merge refused after making its folder can be run again into it", func(t *testing.T) {
		out := filepath.Join(dir, "merged-again")
		cut := t.TempDir()
		if err := os.CopyFS(cut, os.DirFS(shards[2])); err != nil {
			t.Fatal(err)
		}
		journal := filepath.Join(cut, runfolder.JournalFile)
		b, err := os.ReadFile(journal)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.SplitAfter(strings.TrimSpace(string(b)), "\n")
		if err := os.WriteFile(journal, []byte(strings.Join(lines[:len(lines)-1], "")), 0o644); err != nil {
			t.Fatal(err)
		}
		if code, _, stderr := inferbench(t, "merge", shards[0], shards[1], cut, "--out", out); code != exitError || !strings.Contains(stderr, "missing") {
			t.Fatalf("merge with a cell missing: exit %d, stderr %q", code, stderr)
		}
		if code, _, stderr := inferbench(t, "merge", shards[0], shards[1], shards[2], "--out", out); code != exitOK && code != exitChecksFailed {
			t.Errorf("merge again into %s: exit %d, stderr %q", out, code, stderr)
		}
	})
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(dir, fmt.Sprintf("merged-%d", i))
			code, _, stderr := inferbench(t, append(append([]string{"merge"}, tc.dirs...), "--out", out)...)
			if code != exitError || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %q, want %q", code, stderr, tc.want)
			}
		})
	}
}
