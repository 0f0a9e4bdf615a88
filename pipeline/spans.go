package pipeline

import "time"

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
	Load string `json:"load,omitempty"`
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

// SendSpanSetter is an Accumulator that measures sending time from the
// run's sending marks: AggregateRun gives it the manifest's SendSpans
// (nil for a run folder written before marks existed, or a run without a
// manifest) before the first Add.
type SendSpanSetter interface {
	SetSendSpans(spans []SendSpan)
}

// nextProcess is the Process number of a new sending process on m.
func (m *Manifest) nextProcess() int {
	n := 0
	for _, s := range m.SendSpans {
		n = max(n, s.Process)
	}
	return n + 1
}
