package pipeline

import (
	"time"

	"github.com/inferbench/inferbench/pipeline/results"
)

// ProgressSink is told about the plan and every finished record. Its
// methods are called from many goroutines.
type ProgressSink interface {
	Begin(totals map[string]int, done map[string]int, order []string)
	Observe(r *results.Record)
	End()
}

// TimedSink is a ProgressSink that also shows levels sized by duration
// (load.duration without load.requests), whose number of requests is
// known only once they end: the engine calls Timed before Begin for each
// such platform, and TimedLevel as each of its levels starts.
type TimedSink interface {
	// Timed tells that platform's levels are sized by duration.
	Timed(platform string)
	// TimedLevel tells that platform starts sending level load for d
	// (its duration, or what an earlier attempt left of it).
	TimedLevel(platform, load string, d time.Duration)
}

// RetryWaitSink is a ProgressSink that also shows retry waits; the engine
// tells it about each wait before a retry when it implements this.
type RetryWaitSink interface {
	// RetryWait is called when a request of platform starts to wait d
	// before a retry; the returned function is called when the wait ends.
	RetryWait(platform string, d time.Duration) (done func())
}
