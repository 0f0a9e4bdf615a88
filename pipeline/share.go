package pipeline

import (
	"os"
	"slices"
	"strconv"

	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/runfolder"
)

// Shards split each load level the way k6's execution segments split a
// test: shard i of n is the segment (i/n, (i+1)/n] of the whole. Integer
// things (a level's concurrency, or its cap on in-flight requests) are
// handed out one at a time in shard order, so that shard i gets c/n plus
// one of the c mod n left over when i < c mod n: the shares add up to c
// exactly, and a shard may get none. The level's cells, and its arrival
// schedule's hits, are then striped over the shards in proportion to those
// shares (each shard's part spread evenly over the level, not a block),
// and a level's rate is split in the same proportion. A level without a
// concurrency (an uncapped rate) is split evenly: every shard gets 1/n of
// its rate and every n-th cell.
//
// Everything here is a pure function of the level, the shard and a cell's
// position within its level, so that every shard computes the same
// partition on its own, without a coordinator.

// LevelShare is one shard's share of one load level.
type LevelShare struct {
	// Concurrency is the shard's workers (closed loop) or its cap on
	// in-flight requests (open loop; 0: none, as the level's).
	Concurrency int `json:"concurrency,omitempty"`
	// Rate is the shard's requests per second (0: closed loop).
	Rate float64 `json:"rate,omitempty"`
	// Segment is the shard's part of the level as from:to over the
	// level's concurrency (or over n for an uncapped rate), e.g. "3/8:6/8".
	Segment string `json:"segment"`

	// owner[p] is the shard of position p of every period of len(owner)
	// positions; mine are the positions of this shard in a period.
	owner []int
	mine  []int
	self  int
	whole float64 // the level's rate
}

// LevelShareOf returns s's share of lv; the whole level when s is the whole
// matrix.
func LevelShareOf(s runfolder.Shard, lv config.Level) *LevelShare {
	n := s.Count
	if n <= 1 {
		return &LevelShare{Concurrency: lv.Concurrency, Rate: lv.Rate, Segment: "0/1:1/1", owner: []int{0}, mine: []int{0}, whole: lv.Rate}
	}
	weights := make([]int, n)
	total := n
	if c := lv.Concurrency; c > 0 {
		total = c
		for i := range weights {
			weights[i] = c / n
			if i < c%n {
				weights[i]++
			}
		}
	} else {
		for i := range weights {
			weights[i] = 1
		}
	}
	from := 0
	for _, w := range weights[:s.Index] {
		from += w
	}
	w := weights[s.Index]
	ls := &LevelShare{self: s.Index, whole: lv.Rate, Segment: strconv.Itoa(from) + "/" + strconv.Itoa(total) + ":" + strconv.Itoa(from+w) + "/" + strconv.Itoa(total)}
	if lv.Concurrency > 0 {
		ls.Concurrency = w
	}
	if lv.Rate > 0 && w > 0 {
		// The difference of the two ends, so that the shares telescope to
		// the level's rate.
		ls.Rate = lv.Rate*float64(from+w)/float64(total) - lv.Rate*float64(from)/float64(total)
	}
	ls.owner = stripe(weights)
	for p, o := range ls.owner {
		if o == s.Index {
			ls.mine = append(ls.mine, p)
		}
	}
	return ls
}

// stripe hands out the positions 0..L-1 of one period (L the sum of the
// weights over their greatest common divisor) to the shards, each shard
// getting its weight's share, spread evenly: position p goes to the
// largest shard (the first among equals) whose next position is due, a
// shard of weight w being due at p when it has taken fewer than p*w/L
// positions, rounded up. It returns the shard of every position.
func stripe(weights []int) []int {
	g := 0
	for _, w := range weights {
		g = gcd(g, w)
	}
	norm := make([]int, len(weights))
	period := 0
	for i, w := range weights {
		norm[i] = w / g
		period += norm[i]
	}
	order := make([]int, len(weights))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return norm[b] - norm[a] })
	taken := make([]int, len(weights))
	owner := make([]int, period)
	for p := range owner {
		owner[p] = -1
		for _, i := range order {
			if norm[i] > 0 && taken[i] < norm[i] && p*norm[i] >= taken[i]*period {
				owner[p] = i
				taken[i]++
				break
			}
		}
		if owner[p] < 0 { // never seen; keeps every position owned
			for _, i := range order {
				if taken[i] < norm[i] {
					owner[p] = i
					taken[i]++
					break
				}
			}
		}
	}
	return owner
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// Has reports whether the cell at position i of the level (0-based, in
// schedule order) belongs to the shard.
func (ls *LevelShare) Has(i int) bool {
	return ls.owner[i%len(ls.owner)] == ls.self
}

// CellsOf is how many of a level's first n cells belong to the shard.
func (ls *LevelShare) CellsOf(n int) int {
	if len(ls.mine) == 0 {
		return 0
	}
	period := len(ls.owner)
	k := n / period * len(ls.mine)
	for _, p := range ls.mine {
		if p < n%period {
			k++
		}
	}
	return k
}

// Hit is the position in the level's whole schedule of the k-th cell
// (0-based) the shard sends: an open-loop shard sends its cells at those
// hits of the level's arrival schedule, so that the shards' sends together
// are the one schedule of the level's whole rate.
func (ls *LevelShare) Hit(k int) int {
	w := len(ls.mine)
	return k/w*len(ls.owner) + ls.mine[k%w]
}

// shardMembers returns, per plan job, whether the cell at a position belongs
// to shard s: a cell's index within its level (warmups counted apart,
// with their level's share) decides it, computed from the position (CellList.pickIndex), so that no table of the cells is
// held. Nil when s is the whole matrix.
func shardMembers(s runfolder.Shard, plan *Plan) []func(seq int) bool {
	if s.Count <= 1 {
		return nil
	}
	out := make([]func(int) bool, len(plan.Jobs))
	for ji, j := range plan.Jobs {
		shares := map[string]*LevelShare{}
		for _, lv := range j.Platform.RunLevels(nil) {
			shares[lv.Label] = LevelShareOf(s, lv)
		}
		l := j.Cells
		out[ji] = func(seq int) bool {
			if seq < 0 || seq >= l.Len() {
				return false
			}
			load, _, i := l.pickIndex(seq)
			ls := shares[load]
			return ls != nil && ls.Has(i)
		}
	}
	return out
}

// sharedPlatform returns p set up to send shard s's share: every level's
// concurrency and rate replaced by the shard's (labels kept), and the
// shares by level label. The whole matrix returns p and nil.
func sharedPlatform(s runfolder.Shard, p config.Platform) (config.Platform, map[string]*LevelShare) {
	if s.Count <= 1 {
		return p, nil
	}
	shares := map[string]*LevelShare{}
	levels := p.RunLevels(nil)
	for _, lv := range levels {
		shares[lv.Label] = LevelShareOf(s, lv)
	}
	// The load's own levels take their shares from their values alone
	// (the labels of sample groups' levels differ, their loads do not).
	if p.Levels == nil || len(p.Levels.Resolved) == 0 {
		ls := LevelShareOf(s, config.Level{Concurrency: p.Concurrency, Rate: p.Rate})
		p.Concurrency, p.Rate = ls.Concurrency, ls.Rate
		return p, shares
	}
	l := *p.Levels
	l.Resolved = slices.Clone(l.Resolved)
	for i, lv := range l.Resolved {
		ls := LevelShareOf(s, lv)
		l.Resolved[i].Concurrency, l.Resolved[i].Rate = ls.Concurrency, ls.Rate
	}
	p.Levels = &l
	return p, shares
}

// shardLevels lists s's share of every level of plan, with its cells
// (members, by job; nil: every cell).
func shardLevels(s runfolder.Shard, plan *Plan, members []func(int) bool) []runfolder.ShardLevel {
	var out []runfolder.ShardLevel
	for ji, j := range plan.Jobs {
		count := map[string]int{}
		for seq := range j.Cells.Fixed() { // a level sized by duration counts none
			if members == nil || members[ji](seq) {
				load, _, _ := j.Cells.pickIndex(seq)
				count[load]++
			}
		}
		for _, lv := range j.Platform.RunLevels(nil) {
			label := lv.Label
			ls := LevelShareOf(s, lv)
			out = append(out, runfolder.ShardLevel{Platform: j.Platform.Name, Level: label, Concurrency: ls.Concurrency, Rate: ls.Rate, Segment: ls.Segment, Cells: count[label]})
		}
	}
	return out
}

// Stripe is a job's part of an open-loop level's arrival schedule (a
// shard's share; see LevelShare and QueryJob.Stripe).
type Stripe struct {
	// Rate is the level's whole rate, at which the schedule is drawn.
	Rate  float64
	share *LevelShare
}

// Hit is the schedule's hit (0-based) at which the job's k-th cell is sent.
func (s *Stripe) Hit(k uint64) uint64 { return uint64(s.share.Hit(int(k))) }

// Stripe is the shard's part of the level's arrival schedule; nil for a
// closed-loop level or a shard that sends none of it.
func (ls *LevelShare) Stripe() *Stripe {
	if ls == nil || ls.whole <= 0 || len(ls.mine) == 0 {
		return nil
	}
	return &Stripe{Rate: ls.whole, share: ls}
}

// ShardLevels lists s's share of every platform's load levels in plan, with
// the cells of each it sends (warmups included).
func ShardLevels(s runfolder.Shard, plan *Plan) []runfolder.ShardLevel {
	if s.Count <= 1 {
		s = runfolder.Shard{Index: 0, Count: 1}
	}
	return shardLevels(s, plan, shardMembers(s, plan))
}

// setShard records shard s (when it splits anything) in m: the shard, its
// segment and host, its share of every level, and the shard's own cell
// counts in Cells and CellTotal.
func setShard(m *runfolder.Manifest, s runfolder.Shard, plan *Plan) {
	m.ExperimentHash = runfolder.ExperimentHash(&m.Experiment, m.Dataset.IDs)
	if s.Count <= 1 {
		return
	}
	host, _ := os.Hostname()
	members := shardMembers(s, plan)
	m.Shard = &runfolder.ShardInfo{Shard: s, Host: host, Segment: s.ExecutionSegment(), Levels: shardLevels(s, plan, members)}
	m.CellTotal = 0
	for ji, j := range plan.Jobs {
		n := 0
		for seq := range j.Cells.Fixed() {
			if members[ji](seq) {
				n++
			}
		}
		m.Cells[j.Platform.Name] = n
		m.CellTotal += n
	}
}
