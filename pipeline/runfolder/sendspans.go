package runfolder

import (
	"cmp"
	"math"
	"slices"
	"time"
)

// SendSpan is an explicit sending mark: one process (a run, each
// --resume, each shard) sending one platform's load level, from Start
// (just before its first request) to Stop (once its last record is
// written). The engine appends a span to the manifest, and rewrites the
// manifest atomically, as each level starts and again as it stops, so a
// process killed mid-level leaves its start mark. Rates never infer
// sending time from the gaps between records: aggregate measures it from
// these spans (see GroupStats.WallSeconds).
type SendSpan struct {
	Platform string `json:"platform"`
	// Load is the level's label, "" for a platform with one level.
	Level string `json:"load,omitempty"`
	// Process numbers the sending processes of a run folder: 1 for the
	// run, then one more for each --resume.
	Process int `json:"process"`
	// Shard is the shard index of the process (see Shard); nil when the
	// run was not sharded.
	Shard *int      `json:"shard,omitempty"`
	Start time.Time `json:"start"`
	// Stop is zero when the process never wrote it (killed mid-level):
	// aggregate then closes the span at the last response of the level's
	// records sent after Start and before the next span's Start of the
	// same platform, level and shard (at Start when there is none).
	Stop time.Time `json:"stop,omitzero"`
}

// NextProcess is the Process number of a new sending process on m.
func (m *Manifest) NextProcess() int {
	n := 0
	for _, s := range m.SendSpans {
		n = max(n, s.Process)
	}
	return n + 1
}

// Interval is a stretch of time in Unix nanoseconds, [From, To].
type Interval struct{ From, To int64 }

// SentFunc reports the first send and the last end of the records of a
// level whose send falls in [from, to); ok is false when there is none.
type SentFunc func(from, to int64) (first, last int64, ok bool)

// MarkedSending measures a level's sending time from its marks (at least
// one), the one definition that results and resume share. closed[i] is
// marks[i] with its stop, or, never written, the last end of the records
// sent from its start to the next start of its shard (at its start when
// there is none). intervals, in time order, are the sending time: the
// records sent before the first mark (a folder started before marks
// existed), from their first send up to that mark; then in each interval
// of the union of closed, the first send to the last end of the records
// sent in it (or up to the next interval), clipped to it.
func MarkedSending(marks []SendSpan, sent SentFunc) (closed, intervals []Interval) {
	shardOf := func(m SendSpan) int {
		if m.Shard == nil {
			return -1
		}
		return *m.Shard
	}
	closed = make([]Interval, len(marks))
	for i, m := range marks {
		s := Interval{From: m.Start.UnixNano(), To: m.Stop.UnixNano()}
		if m.Stop.IsZero() {
			next := int64(math.MaxInt64)
			for _, o := range marks {
				if st := o.Start.UnixNano(); shardOf(o) == shardOf(m) && st > s.From && st < next {
					next = st
				}
			}
			s.To = s.From
			if _, last, ok := sent(s.From, next); ok {
				s.To = max(s.To, last)
			}
		}
		s.To = max(s.To, s.From)
		closed[i] = s
	}
	union := UnionOf(closed)
	if first, last, ok := sent(math.MinInt64, union[0].From); ok {
		intervals = append(intervals, Interval{first, min(last, union[0].From)})
	}
	for ui, u := range union {
		end := int64(math.MaxInt64)
		if ui+1 < len(union) {
			end = union[ui+1].From
		}
		first, last, ok := sent(u.From, end)
		if !ok {
			continue
		}
		if from, to := max(first, u.From), min(last, u.To); to > from {
			intervals = append(intervals, Interval{from, to})
		}
	}
	return closed, intervals
}

// UnionOf returns the union of spans as disjoint intervals in time order.
func UnionOf(spans []Interval) []Interval {
	s := slices.Clone(spans)
	slices.SortFunc(s, func(a, b Interval) int { return cmp.Compare(a.From, b.From) })
	var out []Interval
	for _, x := range s {
		if n := len(out); n > 0 && x.From <= out[n-1].To {
			out[n-1].To = max(out[n-1].To, x.To)
			continue
		}
		out = append(out, x)
	}
	return out
}
