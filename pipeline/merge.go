package pipeline

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/results"
	"github.com/inferbench/inferbench/pipeline/runfolder"
)

// MergeOptions are the choices of `inferbench merge`.
type MergeOptions struct {
	// Dirs are the shards' run folders, in any order.
	Dirs []string
	// Out is the run folder to create; it must not exist, or be empty.
	Out string
}

// shardRun is one shard being merged.
type shardRun struct {
	dir string
	m   *runfolder.Manifest
}

// Merge joins the run folders of the shards of one sharded run (`run
// --shard i/n`) into a new run folder, then aggregates and exports it
// like a run that sent every cell itself: its results.json equals, to the
// last digit, the results of one process over the same records, since the
// aggregate does not depend on the order of records (only run_id,
// started_at and finished_at differ, and they are the merged folder's).
//
// It refuses, naming the problem, when a folder is not a shard, when the
// shards come from different experiments (ExperimentHash), split the
// matrix differently, repeat or miss a shard, or when their records do not
// cover every cell of the matrix exactly once (an interrupted shard: resume
// it first), or when a shard's folder is in use (LockRunDir). The merged
// journal holds the shards' final records in shard
// order; the manifest lists every shard with its host, and notes when
// they ran on different hosts. Nothing is left in Out when Merge refuses.
func (e *Engine) Merge(ctx context.Context, opts MergeOptions) (*Run, error) {
	if err := e.Registry.complete(); err != nil {
		return nil, err
	}
	if len(opts.Dirs) == 0 {
		return nil, errors.New("merge: no shard folders")
	}
	shards, err := readShards(opts.Dirs)
	if err != nil {
		return nil, fmt.Errorf("merge: %w", err)
	}
	// A shard still being written (or resumed, rescored) is not merged:
	// its journal is not final.
	for _, sh := range shards {
		l, err := runfolder.LockRunDir(sh.dir, true)
		if err != nil {
			return nil, fmt.Errorf("merge: shard %s: %w", sh.m.Shard.Shard, err)
		}
		defer l.Unlock()
	}
	first := shards[0].m
	exp := first.Experiment
	samples, err := runfolder.ReadSamples(shards[0].dir)
	if err != nil {
		return nil, fmt.Errorf("merge: %w", err)
	}
	plan, err := BuildPlan(ctx, &exp, samples)
	if err != nil {
		return nil, fmt.Errorf("merge: plan: %w", err)
	}
	if err := os.Mkdir(opts.Out, 0o755); err != nil {
		if !errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("merge: %w", err)
		}
		// A folder holding only a lock file is empty: a refused merge
		// leaves its lock behind (see LockFile), and must be retryable.
		ents, rerr := os.ReadDir(opts.Out)
		if rerr != nil || slices.ContainsFunc(ents, func(e os.DirEntry) bool { return e.Name() != runfolder.LockFile }) {
			return nil, fmt.Errorf("merge: %s exists and is not empty", opts.Out)
		}
	}
	lock, err := runfolder.LockRunDir(opts.Out, false)
	if err != nil {
		return nil, fmt.Errorf("merge: %w", err)
	}
	defer lock.Unlock()
	ok := false
	defer func() {
		if !ok { // leave nothing half-made behind
			for _, f := range []string{runfolder.JournalFile, runfolder.SamplesFile, runfolder.ServerMetricsFile, runfolder.ManifestFile} {
				os.Remove(filepath.Join(opts.Out, f))
			}
		}
	}()
	start := time.Now()
	n, err := writeMergedJournal(ctx, filepath.Join(opts.Out, runfolder.JournalFile), shards, plan)
	if err != nil {
		return nil, fmt.Errorf("merge: %w", err)
	}
	if err := writeJSON(filepath.Join(opts.Out, runfolder.SamplesFile), samples); err != nil {
		return nil, fmt.Errorf("merge: %w", err)
	}
	if err := writeMergedServerMetrics(opts.Out, shards); err != nil {
		return nil, fmt.Errorf("merge: %w", err)
	}
	m := mergedManifest(shards, plan, filepath.Base(opts.Out))
	m.Stages = []runfolder.StageStat{{Stage: "merge", In: len(shards), Out: n, Duration: config.Duration(time.Since(start))}}
	if err := writeJSON(filepath.Join(opts.Out, runfolder.ManifestFile), m); err != nil {
		return nil, fmt.Errorf("merge: %w", err)
	}
	ok = true
	run := &Run{Dir: opts.Out, Experiment: &m.Experiment, Manifest: m, Samples: sampleIndex(samples)}
	return run, e.Finish(ctx, run, nil)
}

// readShards reads every folder's manifest and checks that they are the
// shards 0..n-1 of one experiment, each once; it returns them in shard
// order.
func readShards(dirs []string) ([]shardRun, error) {
	var shards []shardRun
	for _, d := range dirs {
		m, err := runfolder.ReadManifest(d)
		if err != nil {
			return nil, err
		}
		if m.Shard == nil {
			return nil, fmt.Errorf("%s is not a shard (it was not run with --shard i/n)", d)
		}
		if err := m.Shard.Check(); err != nil {
			return nil, fmt.Errorf("%s: %w", d, err)
		}
		// Recomputed, not read: a folder written before the hash left out
		// the settings computed after querying still merges.
		m.ExperimentHash = runfolder.ExperimentHash(&m.Experiment, m.Dataset.IDs)
		shards = append(shards, shardRun{dir: d, m: m})
	}
	a := shards[0]
	for _, b := range shards[1:] {
		if b.m.ExperimentHash != a.m.ExperimentHash {
			return nil, fmt.Errorf("shards come from different experiments: %s (%s, hash %.12s) vs %s (%s, hash %.12s); two campaigns in one folder are never merged: give merge the shard folders of one hash (see experiment_hash in each manifest.json)",
				a.dir, a.m.ExperimentFile, a.m.ExperimentHash, b.dir, b.m.ExperimentFile, b.m.ExperimentHash)
		}
		if b.m.Shard.Count != a.m.Shard.Count {
			return nil, fmt.Errorf("shards split the matrix differently: %s is shard %s, %s is shard %s", a.dir, a.m.Shard.Shard, b.dir, b.m.Shard.Shard)
		}
	}
	count := a.m.Shard.Count
	byIndex := make([]*shardRun, count)
	for i := range shards {
		s := &shards[i]
		if prev := byIndex[s.m.Shard.Index]; prev != nil {
			return nil, fmt.Errorf("shard %s is given twice: %s and %s", s.m.Shard.Shard, prev.dir, s.dir)
		}
		byIndex[s.m.Shard.Index] = s
	}
	var missing []string
	for i, s := range byIndex {
		if s == nil {
			missing = append(missing, runfolder.Shard{Index: i, Count: count}.String())
		}
	}
	switch {
	case len(missing) == 1:
		return nil, fmt.Errorf("shard %s is missing", missing[0])
	case len(missing) > 1:
		return nil, fmt.Errorf("shards %s are missing", strings.Join(missing, ", "))
	}
	out := make([]shardRun, count)
	for i, s := range byIndex {
		out[i] = *s
	}
	return out, nil
}

// writeMergedJournal writes the final records of every shard, in shard
// order, into path, checking that each is a cell of plan that belongs to
// its shard and that together they cover every cell exactly once. It
// returns the number of records.
func writeMergedJournal(ctx context.Context, path string, shards []shardRun, plan *Plan) (int, error) {
	jobs := map[string]int{}
	seen := make([]*seqSet, len(plan.Jobs)) // one bit per cell seen
	for i, j := range plan.Jobs {
		jobs[j.Platform.Name] = i
		seen[i] = &seqSet{}
	}
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<16)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	n := 0
	for _, s := range shards {
		sh := s.m.Shard.Shard
		in := shardMembers(sh, plan)
		run := &Run{Dir: s.dir}
		got := 0
		err := run.EachRecord(func(r *results.Record) error {
			if n%4096 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			ji, ok := jobs[r.Platform]
			if !ok || !plan.Jobs[ji].Cells.Has(r.Seq, r.CellKey) {
				return fmt.Errorf("shard %s (%s): record %s is not a cell of the experiment", sh, s.dir, r.CellKey)
			}
			if in != nil && !in[ji](r.Seq) {
				return fmt.Errorf("shard %s (%s): record %s belongs to another shard", sh, s.dir, r.CellKey)
			}
			if !seen[ji].add(r.Seq) {
				return fmt.Errorf("shard %s (%s): cell %s appears twice", sh, s.dir, r.CellKey)
			}
			if r.Seq < plan.Jobs[ji].Cells.Planned() {
				got++ // a level sized by duration has no count to check
			}
			n++
			return enc.Encode(r)
		})
		if err != nil {
			return n, err
		}
		want := 0
		var example string
		for ji, j := range plan.Jobs {
			for seq := range j.Cells.Fixed() {
				if in == nil || in[ji](seq) {
					want++
					if !seen[ji].has(seq) && example == "" {
						example = j.Cells.At(seq).CellKey.String()
					}
				}
			}
		}
		if got != want {
			return n, fmt.Errorf("shard %s (%s) is missing %d of its %d cells (e.g. %s): finish it with inferbench run --resume %s FILE.yaml, then merge again",
				sh, s.dir, want-got, want, example, s.dir)
		}
	}
	if err := w.Flush(); err != nil {
		return n, err
	}
	return n, f.Sync()
}

// mergedManifest is the manifest of the merged run folder named runID:
// the first shard's, with the whole matrix's cell counts, the earliest
// start and latest finish, every shard's notes and stops, and the list of
// shards with their hosts.
func mergedManifest(shards []shardRun, plan *Plan, runID string) *runfolder.Manifest {
	m := *shards[0].m
	m.RunID = runID
	m.Shard = nil
	m.Shards = nil
	m.Notes = nil
	m.Resumes = nil
	m.PlatformStops = nil
	m.LevelStops = nil
	m.ClientHealth = nil
	m.SendSpans = nil
	m.Formats = nil
	m.Cells = map[string]int{}
	for _, j := range plan.Jobs {
		m.Cells[j.Platform.Name] = j.Cells.Planned()
	}
	m.CellTotal = plan.Total()
	m.StopReason = runfolder.StopCompleted
	hosts := map[string][]string{}
	var hostOrder []string
	for _, s := range shards {
		sm := s.m
		info := *sm.Shard
		info.RunID = sm.RunID
		m.Shards = append(m.Shards, info)
		if _, ok := hosts[info.Host]; !ok {
			hostOrder = append(hostOrder, info.Host)
		}
		hosts[info.Host] = append(hosts[info.Host], info.Shard.String())
		if sm.StartedAt.Before(m.StartedAt) {
			m.StartedAt = sm.StartedAt
		}
		if sm.FinishedAt.After(m.FinishedAt) {
			m.FinishedAt = sm.FinishedAt
		}
		for _, n := range sm.Notes {
			m.Notes = appendUnique(m.Notes, "shard "+info.Shard.String()+": "+n)
		}
		m.Resumes = append(m.Resumes, sm.Resumes...)
		// Every shard's sending marks, each naming its shard: a level's
		// sending time is the union of its shards' (see SendSpan).
		for _, sp := range sm.SendSpans {
			if sp.Shard == nil {
				i := info.Shard.Index
				sp.Shard = &i
			}
			m.SendSpans = append(m.SendSpans, sp)
		}
		// Every shard's stopped levels: one shard's saturated level is the
		// merged level's too.
		for _, ls := range sm.LevelStops {
			if !slices.Contains(m.LevelStops, ls) {
				m.LevelStops = append(m.LevelStops, ls)
			}
		}
		// Every shard's client health: ApplyClient judges a level by the
		// worst shard, whose client distorted its share of the timings.
		m.ClientHealth = append(m.ClientHealth, sm.ClientHealth...)
		for p, why := range sm.PlatformStops {
			if m.PlatformStops == nil {
				m.PlatformStops = map[string]string{}
			}
			m.PlatformStops[p] = "shard " + info.Shard.String() + ": " + why
		}
	}
	slices.SortFunc(m.Resumes, func(a, b time.Time) int { return a.Compare(b) })
	if len(m.PlatformStops) > 0 {
		m.StopReason = runfolder.StopPartial
	}
	if len(hostOrder) > 1 {
		var parts []string
		for _, h := range hostOrder {
			parts = append(parts, fmt.Sprintf("%s (%s)", h, strings.Join(hosts[h], ", ")))
		}
		m.Notes = append(m.Notes, HostsNote+strings.Join(parts, "; "))
	}
	return &m
}

// HostsNote begins the manifest note of a merged run whose shards ran on
// different hosts: each host's timings include its own client machine.
const HostsNote = "shards ran on different hosts, so timings mix client machines: "
