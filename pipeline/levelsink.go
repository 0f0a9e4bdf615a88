package pipeline

// The engine's contract with a progress display that shows load levels
// (beside ProgressSink, TimedSink and RetryWaitSink); Progress implements
// it.

// LevelSink is a ProgressSink that also shows each platform's current load
// level: the engine calls Level as each level starts sending (a platform
// without load levels has one, with an empty label).
type LevelSink interface {
	Level(platform string, lv LevelProgress)
}

// LevelProgress is the level a platform sends, as the progress shows it.
type LevelProgress struct {
	// Label is the level's label ("c=8", "r=5"); "" for a platform's only level.
	Label string
	// Index and Count place it among the platform's levels (from 1).
	Index, Count int
	// Concurrency is the closed-loop worker count, or the open-loop cap
	// (0: none); Rate the open-loop target requests per second (0:
	// closed loop). A shard's are its share.
	Concurrency int
	Rate        float64
}
