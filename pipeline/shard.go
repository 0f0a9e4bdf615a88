package pipeline

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Shard is one part of a matrix split across processes (`run --shard
// i/n`, e.g. one task of a Slurm, PBS or Kubernetes job array). Shard i
// of n sends, of every platform's schedule, the cells whose position Seq
// (fixed by the plan, see BuildPlan) is i modulo n: a deterministic
// partition that needs no coordination, does not depend on the order in
// which cells finish, and so stays the same under --resume. Index is
// 0-based (0 <= Index < Count). The zero value, and Count 1, mean the
// whole matrix.
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

// Has reports whether the cell at schedule position seq belongs to s.
func (s Shard) Has(seq int) bool { return s.Count <= 1 || seq%s.Count == s.Index }

// cellsOf is how many of the positions 0..n-1 belong to s.
func (s Shard) cellsOf(n int) int {
	if s.Count <= 1 {
		return n
	}
	if n <= s.Index {
		return 0
	}
	return (n-s.Index-1)/s.Count + 1
}

// String writes "i/n".
func (s Shard) String() string { return strconv.Itoa(s.Index) + "/" + strconv.Itoa(s.Count) }

// dirSuffix names a shard's run folder: "shard-2-of-4".
func (s Shard) dirSuffix() string {
	return "shard-" + strconv.Itoa(s.Index) + "-of-" + strconv.Itoa(s.Count)
}

// ShardInfo is what a manifest records of one shard: which one, and the
// host it ran on (os.Hostname).
type ShardInfo struct {
	Shard
	Host string `json:"host"`
	// RunID is the shard's own run folder name (in a merged manifest).
	RunID string `json:"run_id,omitempty"`
}

// ExperimentHash is the hex SHA-256 of the defaulted experiment (as the
// manifest stores it, secrets redacted) and the selected question ids:
// two shards can be merged only when their hashes are equal. What is
// computed after querying (PostQueryKeys but score, which each record
// carries, and the description) is left out, so shards that wrote into
// other export folders, say, still merge; merge applies the first
// shard's settings.
func ExperimentHash(exp *Experiment, ids []string) string {
	e := *exp
	e.Baseline, e.Checks, e.Export, e.Metrics = "", nil, ExportSpec{}, nil
	e.SLO, e.Stats, e.Description = SLOSpec{}, StatsSpec{}, ""
	b, _ := json.Marshal(struct {
		Experiment *Experiment `json:"experiment"`
		IDs        []string    `json:"ids"`
	}{&e, ids})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// setShard records shard s (when it splits anything) in m: the shard and
// host, and the shard's own cell counts in Cells and CellTotal.
func (m *Manifest) setShard(s Shard, plan *Plan) {
	m.ExperimentHash = ExperimentHash(&m.Experiment, m.Dataset.IDs)
	if s.Count <= 1 {
		return
	}
	host, _ := os.Hostname()
	m.Shard = &ShardInfo{Shard: s, Host: host}
	m.CellTotal = 0
	for _, j := range plan.Jobs {
		n := s.cellsOf(j.Cells.Planned())
		m.Cells[j.Platform.Name] = n
		m.CellTotal += n
	}
}

// shard is the shard m records, or the whole matrix.
func (m *Manifest) shard() Shard {
	if m.Shard == nil {
		return Shard{}
	}
	return m.Shard.Shard
}
