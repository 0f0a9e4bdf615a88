package results

import (
	"fmt"

	"github.com/inferbench/inferbench/pipeline/config"
)

// SweepResults are the load curves of an experiment whose platforms run
// more than one load level: one curve per platform x model x temperature,
// the crossovers between each platform and the baseline, and the notes
// that say them in words.
type SweepResults struct {
	Curves     []SweepCurve `json:"curves"`
	Crossovers []Crossover  `json:"crossovers,omitempty"`
}

// SweepCurve is one platform x model x temperature over its load levels,
// in the order they ran.
type SweepCurve struct {
	GroupKey
	Points []SweepPoint `json:"points"`
	// Best is the label of the level with the highest request throughput
	// among those meeting every SLO set (p99 TTFT, TPOT and E2E within the
	// slo block, an error rate of at most slo.max_error_rate, no
	// saturation); "" when none does or no latency SLO is set.
	Best string `json:"best,omitempty"`
	// BestClientBound says that the Best level is client-bound: its p99s
	// are upper bounds, so it may be better than measured.
	BestClientBound bool `json:"best_client_bound,omitempty"`
}

// SweepPoint is one load level of a curve: the figures of its group.
type SweepPoint struct {
	Level string `json:"load"`
	// Concurrency and TargetRate are the configured level (0: not set; a
	// sweep's rate levels get their rate when it is decided).
	Concurrency int     `json:"concurrency,omitempty"`
	TargetRate  float64 `json:"target_rate,omitempty"`
	// InputTokens and OutputTokens are the lengths of the level's sample
	// group (config.Level), 0 when the level is no length group.
	InputTokens  int `json:"input_tokens,omitempty"`
	OutputTokens int `json:"output_tokens,omitempty"`
	// RequestThroughput is completed requests per second and SendRate
	// requests sent per second, as in the level's group (see GroupStats);
	// TokenRate is output tokens per second.
	RequestThroughput float64 `json:"request_throughput"`
	SendRate          float64 `json:"send_rate"`
	TokenRate         float64 `json:"token_rate"`
	Requests          int     `json:"requests"`
	// Successes is how many of Requests succeeded; the timing figures
	// (TTFT, TPOT, E2E) exist only when it is > 0.
	Successes int     `json:"successes"`
	ErrorRate float64 `json:"error_rate"`
	TTFTP50   float64 `json:"ttft_p50_ms"`
	TTFTP99   float64 `json:"ttft_p99_ms"`
	// TPOTCount is how many successful requests have a TPOT (streamed,
	// two tokens or more); TPOT figures exist only when it is > 0.
	TPOTCount   int     `json:"tpot_count"`
	TPOTP50     float64 `json:"tpot_p50_ms"`
	TPOTP99     float64 `json:"tpot_p99_ms"`
	E2EP50      float64 `json:"e2e_p50_ms"`
	E2EP99      float64 `json:"e2e_p99_ms"`
	Goodput     float64 `json:"goodput"`
	GoodputRate float64 `json:"goodput_rate"`
	// Saturated marks a level stopped early by a saturation rule while it
	// ran, or a closed-loop level past the knee of its curve (see
	// MarkKnees); SaturatedReason says why (it also keeps a max_duration
	// stop, which is not saturation).
	Saturated       bool   `json:"saturated,omitempty"`
	SaturatedReason string `json:"saturated_reason,omitempty"`

	// ClientBound marks a level whose client delay could distort its
	// timings (see GroupStats.ClientBound); its latencies are upper bounds.
	ClientBound       bool   `json:"client_bound,omitempty"`
	ClientBoundReason string `json:"client_bound_reason,omitempty"`
}

// HasTimings reports whether p has TTFT, TPOT and E2E figures: a level
// with a successful request.
func (p SweepPoint) HasTimings() bool { return p.Successes > 0 }

// HasTPOT reports whether p has TPOT figures: a request with two tokens or
// more, streamed (none in a non-streamed level).
func (p SweepPoint) HasTPOT() bool { return p.TPOTCount > 0 }

// Crossover compares one platform's curve with the baseline's at the
// levels both ran with data (same label, a successful request in each),
// by median E2E latency.
type Crossover struct {
	GroupKey
	Baseline GroupKey `json:"baseline"`
	// From is the first level from which the platform is faster than the
	// baseline at every later shared level, when it is slower before it;
	// Until the last level up to which it is faster, when it is slower
	// after it. Both "" when one is faster at every shared level or the
	// order changes more than once.
	From  string `json:"from,omitempty"`
	Until string `json:"until,omitempty"`
	// Levels are the levels compared: those both platforms ran with a
	// successful request, in the platform's order. Every statement speaks
	// of these only.
	Levels []string `json:"levels"`
	// Statement says it in words, e.g. "sophia-sim is faster than
	// metis-sim from c=16 up (median E2E); metis-sim is faster below;
	// compared at c=1, c=16"; "no crossover" cases say who is faster at
	// every level both ran with data. The levels left out are named.
	Statement string `json:"statement"`
}

// LevelStop is a load level stopped early: by saturation, by its
// max_duration or by the run's interruption.
type LevelStop struct {
	Platform string `json:"platform"`
	Level    string `json:"load"`
	Reason   string `json:"reason"`
}

// KneeReason starts the SaturatedReason of a level MarkKnees marks.
const KneeReason = "saturated (knee): "

// MarkKnees marks, in curve c of platform pl, every closed-loop level
// past the knee of the curve as saturated: one whose completed request
// throughput (RequestThroughput) grew by less than pl's
// load.knee_throughput_gain over the previous closed-loop level's while
// its median E2E latency grew by more than load.knee_latency_growth (the
// defaults when not set). More workers then only queue. Open-loop levels
// have their own rules, applied while they run (LevelWatch). A level
// already saturated is left as it is; a level stopped by its
// max_duration keeps that reason after the knee's.
func MarkKnees(c *SweepCurve, pl *config.Platform) {
	if pl == nil || pl.Levels == nil {
		return
	}
	gain, growth := pl.Levels.KneeThroughputGain, pl.Levels.KneeLatencyGrowth
	if gain <= 0 {
		gain = config.DefaultKneeThroughputGain
	}
	if growth <= 0 {
		growth = config.DefaultKneeLatencyGrowth
	}
	closed := map[string]bool{}
	for _, lv := range pl.RunLevels(nil) {
		closed[lv.Label] = lv.Rate == 0 && lv.RateIndex == 0
	}
	var prev *SweepPoint
	for i := range c.Points {
		p := &c.Points[i]
		if !closed[p.Level] {
			continue
		}
		before := prev
		prev = p
		if before != nil && (before.InputTokens != p.InputTokens || before.OutputTokens != p.OutputTokens) {
			continue // another length, not more load
		}
		if before == nil || p.Saturated || before.RequestThroughput <= 0 || before.E2EP50 <= 0 || p.Successes == 0 {
			continue
		}
		tg := p.RequestThroughput/before.RequestThroughput - 1
		lg := p.E2EP50/before.E2EP50 - 1
		if tg >= gain || lg <= growth {
			continue
		}
		why := fmt.Sprintf("%srequest throughput %+.0f%% over %s (less than %+.0f%%) while median E2E %+.0f%% (more than %+.0f%%)",
			KneeReason, 100*tg, before.Level, 100*gain, 100*lg, 100*growth)
		if p.SaturatedReason != "" {
			why += "; " + p.SaturatedReason
		}
		p.Saturated, p.SaturatedReason = true, why
	}
}

// BestLevel returns the label of the point with the highest completed
// request rate among those that meet every SLO set in slo at p99 (TTFT,
// TPOT, E2E), failed no more than slo.MaxErrorRate of their requests, had
// a successful request and were not saturated; "" when slo sets no
// latency objective or no point meets it.
func BestLevel(points []SweepPoint, slo config.SLOSpec) string {
	if !slo.Set() {
		return ""
	}
	within := func(v float64, limit config.Duration) bool {
		return limit == 0 || v <= float64(limit.D().Microseconds())/1000
	}
	best, bestRate := "", -1.0
	for _, p := range points {
		if p.RequestThroughput <= 0 || p.Saturated || p.ErrorRate > slo.MaxErrorRate {
			continue
		}
		if within(p.TTFTP99, slo.TTFT) && within(p.TPOTP99, slo.TPOT) && within(p.E2EP99, slo.E2E) && p.RequestThroughput > bestRate {
			best, bestRate = p.Level, p.RequestThroughput
		}
	}
	return best
}
