package query

import (
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/inferbench/inferbench/pipeline"
	"github.com/inferbench/inferbench/pipeline/config"
)

// Level model types, registered by RegisterLevelModels.
const (
	// LevelConcurrency runs closed-loop levels: Levels are worker counts.
	LevelConcurrency = "concurrency"
	// LevelRate runs open-loop levels: Levels are requests per second, with
	// the platform's arrival, burstiness and concurrency (as a cap).
	LevelRate = "rate"
	// LevelSweep is GuideLLM's sweep profile (see SweepLevels).
	LevelSweep = "sweep"
)

// Arrival laws of open-loop levels (platforms[].arrival), registered with
// the rate level model: constant gaps, exponential gaps (the default) and
// gamma gaps whose shape is platforms[].burstiness (DefaultBurstiness
// when left out: 1 is poisson, below 1 burstier, above 1 smoother).
const (
	ArrivalConstant   = "constant"
	ArrivalPoisson    = "poisson"
	ArrivalGamma      = "gamma"
	DefaultBurstiness = 1.0
)

// RegisterLevelModels adds the built-in level models and the arrival laws
// of their open-loop levels to reg.
func RegisterLevelModels(reg *pipeline.Registry) {
	reg.AddArrival(ArrivalConstant, config.ArrivalLaw{})
	reg.AddArrival(ArrivalPoisson, config.ArrivalLaw{Default: true})
	reg.AddArrival(ArrivalGamma, config.ArrivalLaw{Shaped: true, DefaultShape: DefaultBurstiness})
	reg.AddLevelModel(LevelConcurrency, func() config.LevelModel { return &ConcurrencyLevels{} })
	reg.AddLevelModel(LevelRate, func() config.LevelModel { return &RateLevels{} })
	reg.AddLevelModel(LevelSweep, func() config.LevelModel { return &SweepLevels{} })
}

// ConcurrencyLevels is `load: {type: concurrency, levels: [1, 4, 16]}`:
// closed-loop levels labelled "c=1", "c=4", "c=16".
type ConcurrencyLevels struct {
	// Levels are the worker counts, whole numbers, in the order they run.
	Levels []float64 `yaml:"levels" json:"levels" validate:"min=1,dive,gt=0"`
}

// Expand implements config.LevelModel.
func (c *ConcurrencyLevels) Expand(*config.Platform) []config.Level {
	out := make([]config.Level, len(c.Levels))
	for i, v := range c.Levels {
		out[i] = config.Level{Label: "c=" + strconv.Itoa(int(v)), Concurrency: int(v)}
	}
	return out
}

// Check implements config.LevelChecker: whole numbers, no duplicates, no
// rate beside closed-loop levels.
func (c *ConcurrencyLevels) Check(p *config.Platform) []config.Problem {
	out := checkLevels(c.Levels, func(x float64) string {
		if x != math.Trunc(x) {
			return fmt.Sprintf("must be a whole number of requests in flight, got %v", x)
		}
		return ""
	})
	if p.Rate > 0 {
		out = append(out, config.Problem{Path: "type", Message: "concurrency levels run closed loop; remove rate or use type rate"})
	}
	return out
}

// RateLevels is `load: {type: rate, levels: [2, 8]}`: open-loop levels
// labelled "r=2", "r=8", each with the platform's arrival, burstiness and
// concurrency (a cap on requests in flight; none when it is not set).
type RateLevels struct {
	// Levels are requests per second, in the order they run.
	Levels []float64 `yaml:"levels" json:"levels" validate:"min=1,dive,gt=0"`
}

// Expand implements config.LevelModel.
func (r *RateLevels) Expand(p *config.Platform) []config.Level {
	out := make([]config.Level, len(r.Levels))
	for i, v := range r.Levels {
		out[i] = config.Level{Label: "r=" + strconv.FormatFloat(v, 'g', -1, 64), Concurrency: p.Concurrency, Rate: v}
	}
	return out
}

// Check implements config.LevelChecker: no duplicate levels.
func (r *RateLevels) Check(*config.Platform) []config.Problem {
	return checkLevels(r.Levels, func(float64) string { return "" })
}

// checkLevels reports duplicates and each level bad words.
func checkLevels(levels []float64, bad func(float64) string) []config.Problem {
	var out []config.Problem
	seen := map[float64]bool{}
	for i, x := range levels {
		at := "levels[" + strconv.Itoa(i) + "]"
		if msg := bad(x); msg != "" {
			out = append(out, config.Problem{Path: at, Message: msg})
		}
		if seen[x] {
			out = append(out, config.Problem{Path: at, Message: fmt.Sprintf("duplicate level %v", x)})
		}
		seen[x] = true
	}
	return out
}

// Sweep defaults and level labels.
const (
	// DefaultSweepRates is the number of rates a sweep runs between its
	// synchronous and its throughput level.
	DefaultSweepRates = 4
	// DefaultSweepMaxConcurrency is a sweep's throughput-level concurrency
	// and its rate levels' cap on requests in flight.
	DefaultSweepMaxConcurrency = 64
	// LevelSync and LevelThroughput label a sweep's first two levels; its
	// rate levels are "sweep-1" ... "sweep-N".
	LevelSync       = "sync"
	LevelThroughput = "throughput"
)

// SweepLevels is GuideLLM's sweep profile, `load: {type: sweep, rates: 4,
// max_concurrency: 64}`: a synchronous level (concurrency 1), a throughput
// level (max_concurrency in flight) and then Rates open-loop levels at
// rates evenly spaced strictly between the request rates the first two
// achieved, decided at run time (config.RateChooser), each capped at
// max_concurrency in flight.
type SweepLevels struct {
	// Rates is the number of rate levels (DefaultSweepRates when 0).
	Rates int `yaml:"rates" json:"rates,omitempty" validate:"gte=0,lte=100"`
	// MaxConcurrency is the throughput level and the rate levels' cap
	// (DefaultSweepMaxConcurrency when 0).
	MaxConcurrency int `yaml:"max_concurrency" json:"max_concurrency,omitempty" validate:"gte=0"`
}

func (s *SweepLevels) rates() int {
	if s.Rates > 0 {
		return s.Rates
	}
	return DefaultSweepRates
}

func (s *SweepLevels) maxConcurrency() int {
	if s.MaxConcurrency > 0 {
		return s.MaxConcurrency
	}
	return DefaultSweepMaxConcurrency
}

// Expand implements config.LevelModel; the rate levels have RateIndex
// 1..Rates and no rate until ChooseRates decides it.
func (s *SweepLevels) Expand(*config.Platform) []config.Level {
	mc := s.maxConcurrency()
	out := []config.Level{{Label: LevelSync, Concurrency: 1}, {Label: LevelThroughput, Concurrency: mc}}
	for k := 1; k <= s.rates(); k++ {
		out = append(out, config.Level{Label: "sweep-" + strconv.Itoa(k), Concurrency: mc, RateIndex: k})
	}
	return out
}

// ChooseRates implements config.RateChooser with SweepRates over the
// synchronous and throughput levels' achieved rates.
func (s *SweepLevels) ChooseRates(achieved map[string]float64) ([]float64, error) {
	lo, hi := achieved[LevelSync], achieved[LevelThroughput]
	if lo <= 0 {
		return nil, errors.New("the synchronous level completed no request, so no rate could be chosen")
	}
	return SweepRates(lo, hi, s.rates()), nil
}

// SweepRates returns n rates evenly spaced strictly between lo and hi
// (GuideLLM's sweep): lo + k (hi - lo) / (n + 1) for k = 1..n, rounded to
// 3 decimals. When hi is not above lo (the platform does not scale with
// concurrency) the rates are spaced between lo/2 and lo instead, so that
// the levels still differ.
func SweepRates(lo, hi float64, n int) []float64 {
	if !(hi > lo) {
		lo, hi = lo/2, lo
	}
	out := make([]float64, n)
	for k := range out {
		r := lo + float64(k+1)*(hi-lo)/float64(n+1)
		out[k] = math.Round(r*1000) / 1000
	}
	return out
}
