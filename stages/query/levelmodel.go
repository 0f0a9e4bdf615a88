package query

import (
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/inferbench/inferbench/pipeline"
)

// Load model types, registered by RegisterLoadModels.
const (
	// LoadConcurrency runs closed-loop levels: Levels are worker counts.
	LoadConcurrency = "concurrency"
	// LoadRate runs open-loop levels: Levels are requests per second, with
	// the platform's arrival, burstiness and concurrency (as a cap).
	LoadRate = "rate"
	// LoadSweep is GuideLLM's sweep profile (see SweepLoad).
	LoadSweep = "sweep"
)

// RegisterLoadModels adds the built-in load models to reg.
func RegisterLoadModels(reg *pipeline.Registry) {
	reg.AddLoadModel(LoadConcurrency, func() pipeline.LoadModel { return &ConcurrencyLoad{} })
	reg.AddLoadModel(LoadRate, func() pipeline.LoadModel { return &RateLoad{} })
	reg.AddLoadModel(LoadSweep, func() pipeline.LoadModel { return &SweepLoad{} })
}

// ConcurrencyLoad is `load: {type: concurrency, levels: [1, 4, 16]}`:
// closed-loop levels labelled "c=1", "c=4", "c=16".
type ConcurrencyLoad struct {
	// Levels are the worker counts, whole numbers, in the order they run.
	Levels []float64 `yaml:"levels" json:"levels" validate:"min=1,dive,gt=0"`
}

// Expand implements pipeline.LoadModel.
func (c *ConcurrencyLoad) Expand(*pipeline.Platform) []pipeline.LoadLevel {
	out := make([]pipeline.LoadLevel, len(c.Levels))
	for i, v := range c.Levels {
		out[i] = pipeline.LoadLevel{Label: "c=" + strconv.Itoa(int(v)), Concurrency: int(v)}
	}
	return out
}

// Check implements pipeline.LoadChecker: whole numbers, no duplicates, no
// rate beside closed-loop levels.
func (c *ConcurrencyLoad) Check(p *pipeline.Platform) []pipeline.LoadProblem {
	out := checkLevels(c.Levels, func(x float64) string {
		if x != math.Trunc(x) {
			return fmt.Sprintf("must be a whole number of requests in flight, got %v", x)
		}
		return ""
	})
	if p.Rate > 0 {
		out = append(out, pipeline.LoadProblem{Path: "type", Message: "concurrency levels run closed loop; remove rate or use type rate"})
	}
	return out
}

// RateLoad is `load: {type: rate, levels: [2, 8]}`: open-loop levels
// labelled "r=2", "r=8", each with the platform's arrival, burstiness and
// concurrency (a cap on requests in flight; none when it is not set).
type RateLoad struct {
	// Levels are requests per second, in the order they run.
	Levels []float64 `yaml:"levels" json:"levels" validate:"min=1,dive,gt=0"`
}

// Expand implements pipeline.LoadModel.
func (r *RateLoad) Expand(p *pipeline.Platform) []pipeline.LoadLevel {
	out := make([]pipeline.LoadLevel, len(r.Levels))
	for i, v := range r.Levels {
		out[i] = pipeline.LoadLevel{Label: "r=" + strconv.FormatFloat(v, 'g', -1, 64), Concurrency: p.Concurrency, Rate: v}
	}
	return out
}

// Check implements pipeline.LoadChecker: no duplicate levels.
func (r *RateLoad) Check(*pipeline.Platform) []pipeline.LoadProblem {
	return checkLevels(r.Levels, func(float64) string { return "" })
}

// checkLevels reports duplicates and each level bad words.
func checkLevels(levels []float64, bad func(float64) string) []pipeline.LoadProblem {
	var out []pipeline.LoadProblem
	seen := map[float64]bool{}
	for i, x := range levels {
		at := "levels[" + strconv.Itoa(i) + "]"
		if msg := bad(x); msg != "" {
			out = append(out, pipeline.LoadProblem{Path: at, Message: msg})
		}
		if seen[x] {
			out = append(out, pipeline.LoadProblem{Path: at, Message: fmt.Sprintf("duplicate level %v", x)})
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

// SweepLoad is GuideLLM's sweep profile, `load: {type: sweep, rates: 4,
// max_concurrency: 64}`: a synchronous level (concurrency 1), a throughput
// level (max_concurrency in flight) and then Rates open-loop levels at
// rates evenly spaced strictly between the request rates the first two
// achieved, decided at run time (pipeline.RateChooser), each capped at
// max_concurrency in flight.
type SweepLoad struct {
	// Rates is the number of rate levels (DefaultSweepRates when 0).
	Rates int `yaml:"rates" json:"rates,omitempty" validate:"gte=0,lte=100"`
	// MaxConcurrency is the throughput level and the rate levels' cap
	// (DefaultSweepMaxConcurrency when 0).
	MaxConcurrency int `yaml:"max_concurrency" json:"max_concurrency,omitempty" validate:"gte=0"`
}

func (s *SweepLoad) rates() int {
	if s.Rates > 0 {
		return s.Rates
	}
	return DefaultSweepRates
}

func (s *SweepLoad) maxConcurrency() int {
	if s.MaxConcurrency > 0 {
		return s.MaxConcurrency
	}
	return DefaultSweepMaxConcurrency
}

// Expand implements pipeline.LoadModel; the rate levels have RateIndex
// 1..Rates and no rate until ChooseRates decides it.
func (s *SweepLoad) Expand(*pipeline.Platform) []pipeline.LoadLevel {
	mc := s.maxConcurrency()
	out := []pipeline.LoadLevel{{Label: LevelSync, Concurrency: 1}, {Label: LevelThroughput, Concurrency: mc}}
	for k := 1; k <= s.rates(); k++ {
		out = append(out, pipeline.LoadLevel{Label: "sweep-" + strconv.Itoa(k), Concurrency: mc, RateIndex: k})
	}
	return out
}

// ChooseRates implements pipeline.RateChooser with SweepRates over the
// synchronous and throughput levels' achieved rates.
func (s *SweepLoad) ChooseRates(achieved map[string]float64) ([]float64, error) {
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
