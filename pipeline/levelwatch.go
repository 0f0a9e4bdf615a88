package pipeline

import (
	"fmt"
	"slices"

	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/results"
)

// LevelWatch decides when a running load level is saturated: fed every
// finished non-warmup record of one level, Observe returns a non-empty
// reason once the level should stop. It is not safe for concurrent use.
type LevelWatch struct {
	// MaxErrorRate: see LevelsSpec.MaxErrorRate (0: never).
	MaxErrorRate float64
	// MaxQueue: see LevelsSpec.MaxQueue (0: never). Only open-loop records
	// carry a queue time.
	MaxQueue config.Duration

	n, failed int
	queue     []float64
	reason    string
}

// queueWindow is how many recent requests the queue-growth rule looks at:
// the median of the last queueWindow must exceed MaxQueue and the median
// of the queueWindow before them.
const queueWindow = 8

// Observe adds r and returns the saturation reason ("" while the level
// may go on); once a reason is given it is returned for every later call.
func (w *LevelWatch) Observe(r *results.Record) string {
	if w.reason != "" || r.Warmup || r.Error == results.ErrClientResource {
		return w.reason // a client failure says nothing of the platform's saturation
	}
	w.n++
	if !r.OK() {
		w.failed++
	}
	if w.MaxErrorRate > 0 && w.n >= config.MinRequestsForErrorRate {
		if rate := float64(w.failed) / float64(w.n); rate > w.MaxErrorRate {
			w.reason = fmt.Sprintf("error rate %.0f%% above %.0f%% after %d requests", 100*rate, 100*w.MaxErrorRate, w.n)
			return w.reason
		}
	}
	if w.MaxQueue <= 0 {
		return w.reason
	}
	// Only the last 2*queueWindow queue times are read: keep no more, so
	// a long level holds a fixed few values (shifted down, not regrown).
	if len(w.queue) == 2*queueWindow {
		copy(w.queue, w.queue[1:])
		w.queue = w.queue[:2*queueWindow-1]
	}
	w.queue = append(w.queue, r.QueueMs)
	if len(w.queue) == 2*queueWindow {
		last := median(w.queue[len(w.queue)-queueWindow:])
		prev := median(w.queue[len(w.queue)-2*queueWindow : len(w.queue)-queueWindow])
		if limit := float64(w.MaxQueue.D().Milliseconds()); last > limit && last > prev {
			w.reason = fmt.Sprintf("client queue growing: median queue time %.0f ms over the last %d requests (was %.0f ms), above %s", last, queueWindow, prev, w.MaxQueue)
		}
	}
	return w.reason
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
