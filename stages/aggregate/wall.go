package aggregate

import (
	"slices"
	"time"

	"github.com/inferbench/inferbench/pipeline"
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

// span is one record's busy interval: from its first attempt (StartedAt
// minus the retry waits, which are part of sending it) to its stream close.
type span struct{ from, to time.Time }

// activeWall returns the time the records spent being sent: the sum over
// sessions (see SessionGapMin) of first begin -> last end, the number of
// sessions, and the downtime left out between them. Records with a zero
// StartedAt (never sent, e.g. a setup error) are ignored; sent is how many
// were not.
func activeWall(recs []*pipeline.Record) (wall time.Duration, sessions, sent int, idle time.Duration) {
	spans := make([]span, 0, len(recs))
	for _, r := range recs {
		if r.StartedAt.IsZero() {
			continue
		}
		closeMs := r.CloseMs
		if closeMs <= 0 {
			closeMs = r.LatencyMs
		}
		spans = append(spans, span{
			from: r.StartedAt.Add(-msDuration(r.RetryWaitMs)),
			to:   r.StartedAt.Add(msDuration(closeMs)),
		})
	}
	if len(spans) == 0 {
		return 0, 0, 0, 0
	}
	slices.SortFunc(spans, func(a, b span) int { return a.from.Compare(b.from) })
	gaps := make([]time.Duration, 0, len(spans)-1)
	for i := 1; i < len(spans); i++ {
		gaps = append(gaps, spans[i].from.Sub(spans[i-1].from))
	}
	threshold := SessionGapMin
	if len(gaps) > 0 {
		slices.Sort(gaps)
		threshold = max(threshold, SessionGapFactor*gaps[len(gaps)/2])
	}
	from, to := spans[0].from, spans[0].to
	sessions = 1
	for _, s := range spans[1:] {
		if d := s.from.Sub(to); d > threshold {
			wall += to.Sub(from)
			idle += d
			sessions++
			from, to = s.from, s.to
			continue
		}
		if s.to.After(to) {
			to = s.to
		}
	}
	wall += to.Sub(from)
	return wall, sessions, len(spans), idle
}

func msDuration(ms float64) time.Duration { return time.Duration(ms * float64(time.Millisecond)) }
