package config

import (
	"fmt"
	"math"
	"math/bits"
	"strconv"
)

// DefaultMaxCells is the largest matrix an experiment may expand to when it
// does not set max_cells: ten million cells (requests before retries).
// Cells are generated as they are sent (see CellList), so the limit
// guards the run's length and its aggregation, not the plan's memory.
const DefaultMaxCells = 10_000_000

// MaxCellsCeiling is the largest max_cells allowed: 2^53, the last count
// that every JSON reader holds exactly (a record's seq is a cell's
// position).
const MaxCellsCeiling = 1 << 53

// matrixSize holds the factors of an experiment's matrix; questions is the
// one factor only the loaded dataset knows.
type matrixSize struct {
	pairs   uint64 // platform-model-level triples: the sum of every platform's models x load levels
	levels  bool   // some platform counted in pairs runs several load levels
	temps   uint64
	repeats uint64
	warmups uint64 // the sum of every platform's warmup requests
	// sized are the cells of the platforms whose levels are sized by
	// load.requests: models x levels x temperatures x requests each.
	sized    uint64
	overflow bool // sized does not fit in 64 bits
}

// matrixSizeOf reads the factors the way BuildPlan expands them: no
// temperature means one, repeats below 1 mean one, and a platform without
// models sends no warmups.
func (e *Experiment) matrixSizeOf() matrixSize {
	m := matrixSize{temps: uint64(max(len(e.Params.Temperature), 1)), repeats: uint64(max(e.Repeats, 1))}
	for _, p := range e.Platforms {
		if p.Levels != nil && p.Levels.Requests > 0 {
			n, over := uint64(len(p.Models))*uint64(len(p.RunLevels(nil))), false
			for _, f := range []uint64{m.temps, uint64(p.Levels.Requests)} {
				hi, lo := bits.Mul64(n, f)
				over, n = over || hi != 0, lo
			}
			sum, carry := bits.Add64(m.sized, n, 0)
			m.sized, m.overflow = sum, m.overflow || over || carry != 0
		} else {
			// Each sample group sends only its own questions, so the
			// groups share the questions instead of multiplying them.
			n := len(p.loadLevels(nil))
			m.pairs += uint64(len(p.Models)) * uint64(n)
			m.levels = m.levels || (len(p.RunLevels(nil)) > 1 && len(p.Models) > 0)
		}
		if len(p.Models) > 0 {
			m.warmups += uint64(max(p.Warmup, 0))
		}
	}
	return m
}

// cells returns pairs x temps x repeats x questions + sized + warmups (no
// sized cells or warmups for zero questions), or overflow when that does
// not fit in 64 bits.
func (m matrixSize) cells(questions uint64) (n uint64, overflow bool) {
	if m.overflow && questions > 0 {
		return math.MaxUint64, true
	}
	n = m.pairs
	for _, f := range []uint64{m.temps, m.repeats, questions} {
		hi, lo := bits.Mul64(n, f)
		if hi != 0 {
			return math.MaxUint64, true
		}
		n = lo
	}
	if questions == 0 {
		return n, false
	}
	n, carry := bits.Add64(n, m.warmups, 0)
	n, carry2 := bits.Add64(n, m.sized, 0)
	if carry != 0 || carry2 != 0 {
		return math.MaxUint64, true
	}
	return n, false
}

// MatrixCells returns the number of cells BuildPlan makes for e over the
// given number of questions: platform-model-level triples (every
// platform's models x its load levels) x temperatures x repeats x
// questions, plus the cells of levels sized by load.requests and every
// platform's warmup requests (neither for zero questions). It is computed without building anything. overflow reports a
// count past 64 bits (n is then math.MaxUint64).
func (e *Experiment) MatrixCells(questions int) (n uint64, overflow bool) {
	return e.matrixSizeOf().cells(uint64(max(questions, 0)))
}

// maxCells is e's limit, DefaultMaxCells when unset.
func (e *Experiment) maxCells() uint64 {
	if e.MaxCells <= 0 {
		return DefaultMaxCells
	}
	return min(uint64(e.MaxCells), MaxCellsCeiling)
}

// CheckMatrix returns an error when the matrix over questions (exact when
// upTo is false, an upper bound when true; 0 with upTo false checks one
// question, the least any plan has) exceeds e's max_cells. The message
// gives the count, its factors and what to change.
func (e *Experiment) CheckMatrix(questions uint64, upTo bool) error {
	m := e.matrixSizeOf()
	perQuestion := questions == 0 && !upTo
	q := questions
	if perQuestion {
		q = 1
	}
	n, overflow := m.cells(q)
	limit := e.maxCells()
	if !overflow && n <= limit {
		return nil
	}
	count := thousands(n)
	if overflow {
		count = "more than " + count
	}
	pairs := "platform-model"
	if m.levels {
		pairs = "platform-model-level" // load levels multiply the models
	}
	factors := fmt.Sprintf("%s x %s x %s", countOf(m.pairs, pairs), countOf(m.temps, "temperature"), countOf(m.repeats, "repeat"))
	var what string
	switch {
	case perQuestion:
		what = "one question alone makes " + count + " cells"
	case upTo:
		what = "the matrix has up to " + count + " cells"
		factors += " x at most " + countOf(questions, "question")
	default:
		what = "the matrix has " + count + " cells"
		factors += " x " + countOf(questions, "question")
	}
	if m.sized > 0 {
		factors += " + " + countOf(m.sized, "request") + " of levels sized by load.requests"
	}
	if m.warmups > 0 {
		factors += " + " + countOf(m.warmups, "warmup")
	}
	hint := "lower repeats or raise max_cells"
	if m.repeats <= 1 {
		hint = "select fewer questions, models or temperatures, or raise max_cells"
	}
	return fmt.Errorf("%s (%s), more than max_cells %s; %s", what, factors, thousands(limit), hint)
}

// countOf writes "1 question" or "1,000 questions".
func countOf(n uint64, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return thousands(n) + " " + noun + "s"
}

// thousands formats n with comma thousands separators.
func thousands(n uint64) string {
	s := strconv.FormatUint(n, 10)
	out := make([]byte, 0, len(s)+len(s)/3)
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}

// questionBound returns an upper bound on the questions d can select
// without loading the dataset (the slice's length, at most dataset.sample),
// and false when only the dataset can tell.
func questionBound(d DatasetSpec) (uint64, bool) {
	n, known := uint64(0), false
	if s, err := ParseSlice(d.Slice); err == nil {
		n, known = s.maxLen()
	}
	if d.Sample > 0 && (!known || uint64(d.Sample) < n) {
		n, known = uint64(d.Sample), true
	}
	return n, known
}

// maxLen is the most items the slice selects from any sequence, and false
// when that depends on the sequence's length ("[5:]").
func (s Slice) maxLen() (uint64, bool) {
	var n int
	known := false
	if s.Stop != nil && *s.Stop >= 0 {
		start := 0
		if s.Start != nil && *s.Start > 0 {
			start = *s.Start
		}
		n, known = max(*s.Stop-start, 0), true
	}
	if s.Start != nil && *s.Start < 0 {
		m := -*s.Start
		if s.Stop != nil && *s.Stop < 0 {
			m = max(*s.Stop-*s.Start, 0)
		}
		if !known || m < n {
			n = m
		}
		known = true
	}
	if !known {
		return 0, false
	}
	step := max(s.Step, 1)
	return uint64((n + step - 1) / step), true
}
