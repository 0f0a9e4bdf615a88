package pipeline

import "strings"

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
	// slo block, no saturation); "" when none does or no SLO is set.
	Best string `json:"best,omitempty"`
	// BestClientBound says that the Best level is client-bound: its p99s
	// are upper bounds, so it may be better than measured.
	BestClientBound bool `json:"best_client_bound,omitempty"`
}

// SweepPoint is one load level of a curve: the figures of its group.
type SweepPoint struct {
	Load string `json:"load"`
	// Concurrency and TargetRate are the configured level (0: not set; a
	// sweep's rate levels get their rate when it is decided).
	Concurrency int     `json:"concurrency,omitempty"`
	TargetRate  float64 `json:"target_rate,omitempty"`
	// RequestRate is completed requests per second (successes /
	// WallSeconds), TokenRate output tokens per second.
	RequestRate float64 `json:"request_rate"`
	TokenRate   float64 `json:"token_rate"`
	Requests    int     `json:"requests"`
	// Successes is how many of Requests succeeded; the timing figures
	// (TTFT, TPOT, E2E) exist only when it is > 0.
	Successes   int     `json:"successes"`
	ErrorRate   float64 `json:"error_rate"`
	TTFTP50     float64 `json:"ttft_p50_ms"`
	TTFTP99     float64 `json:"ttft_p99_ms"`
	TPOTP50     float64 `json:"tpot_p50_ms"`
	TPOTP99     float64 `json:"tpot_p99_ms"`
	E2EP50      float64 `json:"e2e_p50_ms"`
	E2EP99      float64 `json:"e2e_p99_ms"`
	Goodput     float64 `json:"goodput"`
	GoodputRate float64 `json:"goodput_rate"`
	// Saturated marks a level stopped early; SaturatedReason says why.
	Saturated       bool   `json:"saturated,omitempty"`
	SaturatedReason string `json:"saturated_reason,omitempty"`

	// ClientBound marks a level whose client delay could distort its
	// timings (see GroupStats.ClientBound); its latencies are upper bounds.
	ClientBound       bool   `json:"client_bound,omitempty"`
	ClientBoundReason string `json:"client_bound_reason,omitempty"`
}

// Crossover compares one platform's curve with the baseline's at the
// levels both ran (same label), by median E2E latency.
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
	// Statement says it in words, e.g. "sophia-sim is faster than
	// metis-sim from c=16 up (median E2E)"; "no crossover" cases say who
	// is faster throughout.
	Statement string `json:"statement"`
}

// LevelStop is a load level stopped early: by saturation, by its
// max_duration or by the run's interruption.
type LevelStop struct {
	Platform string `json:"platform"`
	Load     string `json:"load"`
	Reason   string `json:"reason"`
}

// ApplyLevels adds what only the run knows to r: the rates a sweep chose
// (m.SweepRates) as the TargetRate of its rate levels' groups and sweep
// points (aggregate sees those levels without their rate), and the levels
// stopped early (m.LevelStops): saturated ones are marked Saturated, and
// every stop reason is kept. Curves whose best level was saturated lose
// it: Best is recomputed under slo.
func (r *Results) ApplyLevels(m *Manifest, slo SLOSpec) {
	if r.Sweep == nil || m == nil {
		return
	}
	rates := map[GroupKey]float64{} // by platform and level only
	for _, pl := range m.Experiment.Platforms {
		for _, lv := range pl.LoadLevels(m.SweepRates[pl.Name]) {
			if lv.Rate > 0 {
				rates[GroupKey{Platform: pl.Name, Load: lv.Label}] = lv.Rate
			}
		}
	}
	rateOf := func(k GroupKey) float64 { return rates[GroupKey{Platform: k.Platform, Load: k.Load}] }
	for i := range r.Groups {
		if g := &r.Groups[i]; g.TargetRate == 0 && g.Load != "" {
			g.TargetRate = rateOf(g.GroupKey)
		}
	}
	for ci := range r.Sweep.Curves {
		c := &r.Sweep.Curves[ci]
		for pi := range c.Points {
			p := &c.Points[pi]
			for _, s := range m.LevelStops {
				if s.Platform == c.Platform && s.Load == p.Load {
					p.SaturatedReason = s.Reason
					p.Saturated = strings.HasPrefix(s.Reason, "saturated")
				}
			}
			if p.TargetRate == 0 {
				p.TargetRate = rateOf(GroupKey{Platform: c.Platform, Load: p.Load})
			}
		}
		c.Best = BestLevel(c.Points, slo)
	}
}

// BestLevel returns the label of the point with the highest completed
// request rate among those that meet every SLO set in slo at p99 (TTFT,
// TPOT, E2E), had a successful request and were not saturated; "" when
// slo sets nothing or no point meets it.
func BestLevel(points []SweepPoint, slo SLOSpec) string {
	if !slo.Set() {
		return ""
	}
	within := func(v float64, limit Duration) bool {
		return limit == 0 || v <= float64(limit.D().Microseconds())/1000
	}
	best, bestRate := "", -1.0
	for _, p := range points {
		if p.RequestRate <= 0 || p.Saturated {
			continue
		}
		if within(p.TTFTP99, slo.TTFT) && within(p.TPOTP99, slo.TPOT) && within(p.E2EP99, slo.E2E) && p.RequestRate > bestRate {
			best, bestRate = p.Load, p.RequestRate
		}
	}
	return best
}
