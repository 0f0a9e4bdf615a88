package aggregate

import (
	"cmp"
	"slices"
	"time"

	"github.com/inferbench/inferbench/pipeline/runfolder"
)

// SessionGapMin and SessionGapFactor decide where a group's records split
// into sessions (a crashed run and its --resume are two): a new session
// starts when a request is sent after nothing of the group has been in
// flight for longer than max(SessionGapMin, SessionGapFactor x the median
// gap between consecutive sends). For Poisson arrivals an idle gap 20
// times the median happens once in about a million sends, so a live run is
// almost never split, while the minutes between a crash and a resume are.
const (
	SessionGapMin    = 5 * time.Second
	SessionGapFactor = 20
)

// span is one record's busy interval in Unix nanoseconds: from its first
// attempt (StartedAt minus the retry waits, which are part of sending it)
// to its stream close.
type span struct{ from, to int64 }

// wallStats is what activeWall measures of a group's records.
type wallStats struct {
	// wall is the time spent sending: per session, first begin -> last end,
	// summed over sessions; idle the downtime left out between sessions.
	wall, idle time.Duration
	// sessions is the number of sessions; sent the records with a send time.
	sessions, sent int
	// overlap is, for a level sent by several shards (marks only), the
	// time all of them were sending at once over the time any was (see
	// shardOverlap), and shards how many sent; 0 and 0 otherwise.
	overlap float64
	shards  int
}

// activeWall infers the time the records spent being sent, for run
// folders written before sending marks existed (see markedWall): the sum
// over sessions (see SessionGapMin) of first begin -> last end, the number
// of sessions and the downtime left out between them. Records with a zero
// StartedAt (never sent, e.g. a setup error) are ignored; sent is how many
// were not.
func activeWall(rows *rowStore) wallStats {
	spans := busySpans(rows)
	if len(spans) == 0 {
		return wallStats{}
	}
	gaps := make([]time.Duration, 0, len(spans)-1)
	for i := 1; i < len(spans); i++ {
		gaps = append(gaps, time.Duration(spans[i].from-spans[i-1].from))
	}
	threshold := SessionGapMin
	if len(gaps) > 0 {
		slices.Sort(gaps)
		threshold = max(threshold, SessionGapFactor*gaps[len(gaps)/2])
	}
	w := wallStats{sessions: 1, sent: len(spans)}
	from, to := spans[0].from, spans[0].to
	for _, s := range spans[1:] {
		if d := time.Duration(s.from - to); d > threshold {
			w.wall += time.Duration(to - from)
			w.idle += d
			w.sessions++
			from, to = s.from, s.to
			continue
		}
		to = max(to, s.to)
	}
	w.wall += time.Duration(to - from)
	return w
}

// busySpans are the rows' busy intervals (see span), sorted by start;
// rows never sent are left out.
func busySpans(rows *rowStore) []span {
	spans := make([]span, 0, rows.len())
	for i := range rows.len() {
		r := rows.at(i)
		if !r.hasStart() {
			continue
		}
		closeMs := r.close
		if closeMs <= 0 {
			closeMs = r.latency
		}
		spans = append(spans, span{
			from: r.started - int64(msDuration(r.retryWait)),
			to:   r.started + int64(msDuration(closeMs)),
		})
	}
	slices.SortStableFunc(spans, func(a, b span) int { return cmp.Compare(a.from, b.from) })
	return spans
}

// markedWall measures the time a group's rows spent being sent from the
// sending marks of its platform and level (marks; see runfolder.SendSpan),
// never from the gaps between rows, by runfolder.MarkedSending (the one
// definition, which a resumed sweep shares):
//
//   - a mark whose stop was never written (a process killed mid-level) is
//     closed at the last end of the group's rows sent at or after its
//     start and before the next start of a mark of the same shard, or at
//     its start when there is none;
//   - the marks are joined into their union (shards sending side by side
//     overlap);
//   - in each interval of the union the group was sending from its first
//     row's send to its last row's end, clipped to the interval (a level
//     with several models or temperatures sends them one after the other,
//     and its warmups before them); a row belongs to the interval its
//     send falls in, and a row sent between two intervals to the earlier
//     one; rows sent before the first interval (by a process that wrote
//     no marks: a folder started before marks existed, then resumed) are
//     one more interval, from their first send to their last end or the
//     first mark, whichever comes first;
//   - the sending time is the sum over the intervals, sessions their
//     number, idle the time between them.
//
// It also measures, when marks of two or more shards exist, how much of
// the union all shards were sending at once (see wallStats.overlap). ok is
// false when marks is empty.
func markedWall(rows *rowStore, marks []runfolder.SendSpan) (w wallStats, ok bool) {
	if len(marks) == 0 {
		return wallStats{}, false
	}
	busy := busySpans(rows)
	w.sent = len(busy)
	sent := func(from, to int64) (first, last int64, ok bool) {
		i, _ := slices.BinarySearchFunc(busy, from, func(b span, t int64) int { return cmp.Compare(b.from, t) })
		for ; i < len(busy) && busy[i].from < to; i++ {
			if !ok {
				first, last, ok = busy[i].from, busy[i].to, true
			}
			last = max(last, busy[i].to)
		}
		return first, last, ok
	}
	closed, sending := runfolder.MarkedSending(marks, sent)
	byShard := map[int][]runfolder.Interval{}
	for i, m := range marks {
		shard := -1
		if m.Shard != nil {
			shard = *m.Shard
		}
		byShard[shard] = append(byShard[shard], closed[i])
	}
	if len(byShard) > 1 {
		w.shards = len(byShard)
		var all []span
		first := true
		for _, ss := range byShard {
			if first {
				all, first = spansOf(runfolder.UnionOf(ss)), false
				continue
			}
			all = intersect(all, spansOf(runfolder.UnionOf(ss)))
		}
		if total := length(spansOf(runfolder.UnionOf(closed))); total > 0 {
			w.overlap = float64(length(all)) / float64(total)
		}
	}
	for k, iv := range sending {
		if k > 0 {
			w.idle += time.Duration(iv.From - sending[k-1].To)
		}
		w.wall += time.Duration(iv.To - iv.From)
		w.sessions++
	}
	return w, true
}

// spansOf converts pipeline intervals to spans.
func spansOf(ivs []runfolder.Interval) []span {
	out := make([]span, len(ivs))
	for i, iv := range ivs {
		out[i] = span{iv.From, iv.To}
	}
	return out
}

// intersect returns the intersection of two unions of disjoint, sorted spans.
func intersect(a, b []span) []span {
	var out []span
	for i, j := 0, 0; i < len(a) && j < len(b); {
		from, to := max(a[i].from, b[j].from), min(a[i].to, b[j].to)
		if to > from {
			out = append(out, span{from, to})
		}
		if a[i].to < b[j].to {
			i++
		} else {
			j++
		}
	}
	return out
}

// length is the total length of disjoint spans in nanoseconds.
func length(spans []span) int64 {
	var n int64
	for _, s := range spans {
		n += s.to - s.from
	}
	return n
}

func msDuration(ms float64) time.Duration { return time.Duration(ms * float64(time.Millisecond)) }
