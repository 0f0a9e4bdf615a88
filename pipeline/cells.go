package pipeline

import (
	"iter"

	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/results"
)

// CellList is one platform's cells in schedule order, generated on demand
// from the factors of the matrix instead of held: a mixed-radix index
// over the warmups, then level, model, temperature, repeat and sample.
// At(seq) returns the cell at schedule position seq in constant time and
// without allocating, so a matrix of ten million cells costs what its
// questions cost. The zero value has no cells.
type CellList struct {
	platform string
	models   []string
	temps    []float64
	levels   []string // labels, in the order they run
	warmup   int
	repeats  int
	samples  []config.Sample
	msgs     [][]config.Message // rendered messages by sample
	// perSamples is the samples one level sends: all of them, or with
	// sample groups the size of a group; firsts[lv] is the index of level
	// lv's first sample (its group's samples are contiguous), nil
	// without groups.
	perSamples int
	firsts     []int
	perGroup   int // cells per level, model and temperature: repeats x samples, or load.requests
	perLevel   int // models x temps x perGroup
	// levelWarmup is load.warmup: the first cells of each level, model
	// and temperature that are warmups.
	levelWarmup int
	// timedWarmup is a load.warmup given as a duration: the level runner
	// flags the requests sent in it when they are sent, so that a
	// record's warmup flag is not part of what Has compares.
	timedWarmup bool
	// timed levels (load.duration) send until their duration ends: their
	// cells go round the models and temperatures (k-major) so that each
	// gets its share of the time, and without load.requests a level has
	// timedLevelCells positions, more than any duration sends.
	timed, bounded bool
}

// timedLevelCells is the positions of a level sized by duration alone:
// 2^36 (68 billion) requests, so that 2^17 levels still fit in 2^53.
const timedLevelCells = 1 << 36

// Len is the number of cells.
func (l *CellList) Len() int {
	if len(l.samples) == 0 || len(l.models) == 0 {
		return 0
	}
	return l.warmup + len(l.levels)*l.perLevel
}

// At returns the cell at schedule position seq (0 <= seq < Len()): the
// first Warmup positions are the warmups (the first Warmup samples,
// cycling, with the first level, model and temperature, repeats numbered
// on), then the measured cells in level, model, temperature, repeat,
// sample order (each level, model and temperature has perGroup cells: the
// questions cycled, repeats numbered on; the first levelWarmup of them
// are the level's warmups). A timed level's cells go k-major instead:
// request k of every model and temperature, then request k+1.
func (l *CellList) At(seq int) results.Cell {
	nS := l.perSamples
	if seq < l.warmup {
		i := seq%nS + l.first(0)
		return results.Cell{CellKey: results.CellKey{Platform: l.platform, Model: l.models[0], Temperature: l.temps[0], Level: l.levels[0],
			Repeat: seq / nS, SampleID: l.samples[i].ID, Warmup: true}, Seq: seq, Sample: &l.samples[i], Messages: l.msgs[i]}
	}
	j := seq - l.warmup
	lv, j := j/l.perLevel, j%l.perLevel
	var m, t, k int
	if l.timed {
		g := len(l.models) * len(l.temps)
		k, j = j/g, j%g
		m, t = j/len(l.temps), j%len(l.temps)
	} else {
		perModel := l.perLevel / len(l.models)
		m, j = j/perModel, j%perModel
		t, k = j/l.perGroup, j%l.perGroup
	}
	r, i := k/nS, k%nS+l.first(lv)
	warm := k < l.levelWarmup
	return results.Cell{CellKey: results.CellKey{Platform: l.platform, Model: l.models[m], Temperature: l.temps[t], Level: l.levels[lv],
		Repeat: r, SampleID: l.samples[i].ID, Warmup: warm}, Seq: seq, Sample: &l.samples[i], Messages: l.msgs[i], LevelWarmup: warm}
}

// first is the index of level lv's first sample.
func (l *CellList) first(lv int) int {
	if l.firsts == nil {
		return 0
	}
	return l.firsts[lv]
}

// Planned is the number of cells known before the run: every cell, but
// those of levels sized by duration alone (see Timed), which send as many
// as their time allows.
func (l *CellList) Planned() int {
	if l.timed && !l.bounded && l.Len() > 0 {
		return l.warmup
	}
	return l.Len()
}

// Timed reports whether l's levels are sized by duration alone, so that
// how many cells they send is known only after the run.
func (l *CellList) Timed() bool { return l.timed && !l.bounded }

// Fixed yields the positions of the cells Planned counts, in order.
func (l *CellList) Fixed() iter.Seq[int] {
	return func(yield func(int) bool) {
		for seq := range l.Planned() {
			if !yield(seq) {
				return
			}
		}
	}
}

// Has reports whether k is the cell at seq.
func (l *CellList) Has(seq int, k results.CellKey) bool {
	if seq < 0 || seq >= l.Len() {
		return false
	}
	c := l.At(seq).CellKey
	if l.timedWarmup && seq >= l.warmup {
		c.Warmup, k.Warmup = false, false
	}
	return c == k
}

// LevelRange returns the schedule positions [lo, hi) of the level
// labelled label: the first level's range begins with the warmups.
func (l *CellList) LevelRange(label string) (lo, hi int) {
	if l.Len() == 0 {
		return 0, 0
	}
	for li, lb := range l.levels {
		if lb == label {
			lo, hi = l.warmup+li*l.perLevel, l.warmup+(li+1)*l.perLevel
			if li == 0 {
				lo = 0
			}
			return lo, hi
		}
	}
	return 0, 0
}

// Samples are the questions the cells ask, in plan order.
func (l *CellList) Samples() []config.Sample { return l.samples }

// CellSource is a sequence of cells generated as they are sent (see
// QueryJob.Source): the cells of a CellList in a range of positions that
// a filter keeps.
type CellSource struct {
	list   *CellList
	lo, hi int
	keep   func(seq int) bool // nil keeps every cell
}

// Source returns the cells of l at positions [lo, hi) for which keep (nil:
// every one) is true.
func (l *CellList) Source(lo, hi int, keep func(seq int) bool) *CellSource {
	return &CellSource{list: l, lo: max(lo, 0), hi: min(hi, l.Len()), keep: keep}
}

// All yields the cells in schedule order; each is a fresh value that the
// caller may keep.
func (s *CellSource) All() iter.Seq[*results.Cell] {
	return func(yield func(*results.Cell) bool) {
		for seq := s.lo; seq < s.hi; seq++ {
			if s.keep != nil && !s.keep(seq) {
				continue
			}
			c := s.list.At(seq)
			if !yield(&c) {
				return
			}
		}
	}
}

// Len counts the cells (one pass over the positions, nothing allocated).
func (s *CellSource) Len() int {
	if s.keep == nil {
		return max(s.hi-s.lo, 0)
	}
	n := 0
	for seq := s.lo; seq < s.hi; seq++ {
		if s.keep(seq) {
			n++
		}
	}
	return n
}

// Any reports whether s has a cell (it stops at the first one).
func (s *CellSource) Any() bool {
	for range s.All() {
		return true
	}
	return false
}

// Questions yields every question the cells may ask with its rendered
// messages.
func (s *CellSource) Questions() iter.Seq2[*config.Sample, []config.Message] {
	return func(yield func(*config.Sample, []config.Message) bool) {
		for i := range s.list.samples {
			if !yield(&s.list.samples[i], s.list.msgs[i]) {
				return
			}
		}
	}
}

// Range narrows s to the positions [lo, hi) (intersected with its own).
func (s *CellSource) Range(lo, hi int) *CellSource {
	return &CellSource{list: s.list, lo: max(lo, s.lo), hi: min(hi, s.hi), keep: s.keep}
}

// CellCount is the number of cells of j (Source when set, else Cells),
// counted in one pass: a level sized by duration alone has 2^36 positions,
// so a querier should draw cells with EachCell rather than count them.
func (j *QueryJob) CellCount() int {
	if j.Source != nil {
		return j.Source.Len()
	}
	return len(j.Cells)
}

// EachCell yields j's cells in schedule order (Source when set, else
// Cells); a yielded cell may be kept.
func (j *QueryJob) EachCell() iter.Seq[*results.Cell] {
	if j.Source != nil {
		return j.Source.All()
	}
	return func(yield func(*results.Cell) bool) {
		for i := range j.Cells {
			if !yield(&j.Cells[i]) {
				return
			}
		}
	}
}

// seqSet is a set of schedule positions, one bit per position, stored in
// chunks of 65,536 positions that are allocated when first used: the
// cells an earlier attempt finished (resume) or a merge has seen.
type seqSet struct {
	chunks map[int]*[1024]uint64
	n      int
}

// add puts seq in the set and reports whether it was new.
func (s *seqSet) add(seq int) bool {
	if s.chunks == nil {
		s.chunks = map[int]*[1024]uint64{}
	}
	c := s.chunks[seq>>16]
	if c == nil {
		c = new([1024]uint64)
		s.chunks[seq>>16] = c
	}
	w, b := (seq>>6)&1023, uint(seq&63)
	if c[w]&(1<<b) != 0 {
		return false
	}
	c[w] |= 1 << b
	s.n++
	return true
}

// has reports whether seq is in the set (false for a nil set).
func (s *seqSet) has(seq int) bool {
	if s == nil || s.chunks == nil {
		return false
	}
	c := s.chunks[seq>>16]
	return c != nil && c[(seq>>6)&1023]&(1<<uint(seq&63)) != 0
}

// len is the number of positions in the set.
func (s *seqSet) len() int {
	if s == nil {
		return 0
	}
	return s.n
}

// Slice builds every cell of l: for small plans (tests, tools); a run
// never calls it.
func (l *CellList) Slice() []results.Cell {
	out := make([]results.Cell, l.Len())
	for i := range out {
		out[i] = l.At(i)
	}
	return out
}

// pickIndex returns what a shard's share of a level is decided by (see
// Shard.members): the cell's level, its warmup flag, and its index among the
// cells of that level and flag in schedule order (the platform's warmups
// count with the first level's warmups, before them). Computed from seq,
// so that a shard's cells need no table.
func (l *CellList) pickIndex(seq int) (load string, warmup bool, i int) {
	if seq < l.warmup {
		return l.levels[0], true, seq
	}
	j := seq - l.warmup
	li, j := j/l.perLevel, j%l.perLevel
	base := 0
	if li == 0 {
		base = l.warmup
	}
	lw := min(l.levelWarmup, l.perGroup)
	if l.timed {
		g := len(l.models) * len(l.temps)
		if j/g < lw {
			return l.levels[li], true, base + j
		}
		return l.levels[li], false, j - lw*g
	}
	g, k := j/l.perGroup, j%l.perGroup
	if k < lw {
		return l.levels[li], true, base + g*lw + k
	}
	return l.levels[li], false, g*(l.perGroup-lw) + k - lw
}
