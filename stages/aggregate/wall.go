package aggregate

import (
	"cmp"
	"slices"
	"time"
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
	// sendGaps and sendSpan give the achieved send rate: per session, the
	// number of gaps between consecutive sends (sends - 1) and first send ->
	// last send, summed over sessions.
	sendGaps int
	sendSpan time.Duration
}

// sendRate is sendGaps / sendSpan in requests per second, or 0 when no
// session has two sends at different times.
func (w wallStats) sendRate() float64 {
	if w.sendSpan <= 0 {
		return 0
	}
	return float64(w.sendGaps) / w.sendSpan.Seconds()
}

// activeWall measures the time the records spent being sent: the sum over
// sessions (see SessionGapMin) of first begin -> last end, the number of
// sessions, the downtime left out between them, and the send span of each
// session. Records with a zero StartedAt (never sent, e.g. a setup error)
// are ignored; sent is how many were not.
func activeWall(rows *rowStore) wallStats {
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
	if len(spans) == 0 {
		return wallStats{}
	}
	slices.SortStableFunc(spans, func(a, b span) int { return cmp.Compare(a.from, b.from) })
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
	from, to, last, sends := spans[0].from, spans[0].to, spans[0].from, 1
	endSession := func() {
		w.wall += time.Duration(to - from)
		w.sendGaps += sends - 1
		w.sendSpan += time.Duration(last - from)
	}
	for _, s := range spans[1:] {
		if d := time.Duration(s.from - to); d > threshold {
			endSession()
			w.idle += d
			w.sessions++
			from, to, last, sends = s.from, s.to, s.from, 1
			continue
		}
		if s.to > to {
			to = s.to
		}
		last = s.from
		sends++
	}
	endSession()
	return w
}

func msDuration(ms float64) time.Duration { return time.Duration(ms * float64(time.Millisecond)) }
