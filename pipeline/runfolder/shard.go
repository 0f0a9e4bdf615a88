package runfolder

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/inferbench/inferbench/pipeline/config"
)

// Shard is one part of a matrix split across processes (`run --shard
// i/n`, e.g. one task of a Slurm, PBS or Kubernetes job array). Shard i
// of n runs its share of every load level, as k6's execution segments do
// (see LevelShare): its part of the level's concurrency and rate, and the
// level's cells in proportion to that part, so that the n shards started
// together put the experiment's load on the endpoint, not n times it. The
// partition is fixed by the plan, needs no coordination and stays the
// same under --resume. Index is 0-based (0 <= Index < Count). The zero
// value, and Count 1, mean the whole matrix.
type Shard struct {
	Index int `json:"index"`
	Count int `json:"count"`
}

// ParseShard reads "i/n" (0 <= i < n). The empty string is the whole matrix.
func ParseShard(s string) (Shard, error) {
	if s == "" {
		return Shard{}, nil
	}
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(strings.TrimSpace(a))
	n, err2 := strconv.Atoi(strings.TrimSpace(b))
	if !ok || err1 != nil || err2 != nil {
		return Shard{}, fmt.Errorf("--shard %q: want i/n, e.g. 0/4 (i counts from 0)", s)
	}
	sh := Shard{Index: i, Count: n}
	if n < 1 {
		return Shard{}, fmt.Errorf("--shard %s: n must be at least 1 (i/n with 0 <= i < n)", s)
	}
	if err := sh.Check(); err != nil {
		return Shard{}, err
	}
	return sh, nil
}

// Check reports a shard whose index is out of range.
func (s Shard) Check() error {
	if s.Count == 0 && s.Index == 0 {
		return nil
	}
	if s.Count < 1 || s.Index < 0 || s.Index >= s.Count {
		return fmt.Errorf("--shard %d/%d: want 0 <= i < n (i counts from 0, as JOB_COMPLETION_INDEX does)", s.Index, s.Count)
	}
	return nil
}

// String writes "i/n".
func (s Shard) String() string { return strconv.Itoa(s.Index) + "/" + strconv.Itoa(s.Count) }

// DirSuffix names a shard's run folder: "shard-2-of-4".
func (s Shard) DirSuffix() string {
	return "shard-" + strconv.Itoa(s.Index) + "-of-" + strconv.Itoa(s.Count)
}

// ShardInfo is what a manifest records of one shard: which one, and the
// host it ran on (os.Hostname).
type ShardInfo struct {
	Shard
	Host string `json:"host"`
	// RunID is the shard's own run folder name (in a merged manifest).
	RunID string `json:"run_id,omitempty"`
	// Segment is the shard's part of the experiment, "i/n:(i+1)/n";
	// Levels its share of every platform's load levels.
	Segment string       `json:"segment,omitempty"`
	Levels  []ShardLevel `json:"levels,omitempty"`
}

// ExperimentHash is the hex SHA-256 of the defaulted experiment (as the
// manifest stores it, secrets redacted) and the selected question ids:
// two shards can be merged only when their hashes are equal. What is
// computed after querying (PostQueryKeys but score, which each record
// carries, and the description) is left out, so shards that wrote into
// other export folders, say, still merge; merge applies the first
// shard's settings. A tokenizer file enters by its name, not its folder
// (the manifest holds its absolute path, which differs between hosts
// that read the experiment from different places).
func ExperimentHash(exp *config.Experiment, ids []string) string {
	e := *exp
	e.Platforms = slices.Clone(e.Platforms)
	for i := range e.Platforms {
		p := &e.Platforms[i]
		p.Tokenizers = slices.Clone(p.Tokenizers)
		for j, t := range p.Tokenizers {
			if filepath.IsAbs(t) {
				p.Tokenizers[j] = filepath.Base(t)
			}
		}
	}
	e.Baseline, e.Checks, e.Export, e.Metrics = "", nil, config.ExportSpec{}, nil
	e.SLO, e.Stats, e.Description = config.SLOSpec{}, config.StatsSpec{}, ""
	b, _ := json.Marshal(struct {
		Experiment *config.Experiment `json:"experiment"`
		IDs        []string           `json:"ids"`
	}{&e, ids})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// ExecutionSegment writes s as k6 writes an execution segment: "1/4:2/4".
func (s Shard) ExecutionSegment() string {
	n := strconv.Itoa(s.Count)
	return strconv.Itoa(s.Index) + "/" + n + ":" + strconv.Itoa(s.Index+1) + "/" + n
}

// RecordedShard is the shard m records, or the whole matrix.
func (m *Manifest) RecordedShard() Shard {
	if m.Shard == nil {
		return Shard{}
	}
	return m.Shard.Shard
}

// ShardDir is a run folder of some shard found under an output folder.
type ShardDir struct {
	Dir, Hash string
}

// FindShardDir looks in base for run folders of shard s of the
// experiment named name. found is the latest whose experiment hash is
// hash, finished whether it ended on its own (completed, or partial: a
// platform stopped by its error budget) rather than being interrupted or
// killed. others are the folders of the same shard of other experiments.
func FindShardDir(base, name string, s Shard, hash string) (found string, finished bool, others []ShardDir) {
	dirs, _ := filepath.Glob(filepath.Join(base, name+"-"+s.DirSuffix()+"-*"))
	sort.Strings(dirs)
	for _, d := range dirs {
		m, err := ReadManifest(d)
		if err != nil || m.Shard == nil || m.Shard.Shard != s {
			continue
		}
		if m.ExperimentHash != hash {
			others = append(others, ShardDir{d, m.ExperimentHash})
			continue
		}
		found = d
		finished = m.StopReason == StopCompleted || m.StopReason == StopPartial
	}
	return found, finished, others
}

// ShardLevel is what a sharded run's manifest records of its share of
// one platform's load level.
type ShardLevel struct {
	Platform string `json:"platform"`
	Level    string `json:"load,omitempty"`
	// Concurrency and Rate are the shard's share of the level's; Segment
	// its part of the level (see LevelShare).
	Concurrency int     `json:"concurrency,omitempty"`
	Rate        float64 `json:"rate,omitempty"`
	Segment     string  `json:"segment"`
	// Cells is how many of the level's cells (warmups included) the shard sends.
	Cells int `json:"cells"`
}

// Share describes the shard's share of the level in words, e.g.
// "concurrency 3, 2.5 req/s"; none when it has neither.
func (l ShardLevel) Share(none string) string {
	var share []string
	if l.Concurrency > 0 {
		share = append(share, fmt.Sprintf("concurrency %d", l.Concurrency))
	}
	if l.Rate > 0 {
		share = append(share, fmt.Sprintf("%.4g req/s", l.Rate))
	}
	if len(share) == 0 {
		return none
	}
	return strings.Join(share, ", ")
}
