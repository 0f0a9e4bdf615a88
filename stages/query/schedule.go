package query

import (
	"math"
	"math/rand/v2"
	"time"
)

// Pacer decides when the next request is due; it is vegeta's contract.
// Given the time elapsed since the schedule started and the number of
// requests sent so far (hits), it returns how long to wait before sending
// the next one (0: send now, the schedule is late) and whether to stop.
type Pacer interface {
	Pace(elapsed time.Duration, hits uint64) (wait time.Duration, stop bool)
}

// Scheduler is a Pacer that can also tell when a hit was due, which the
// query stage uses to report queueing (actual send - scheduled send).
type Scheduler interface {
	Pacer
	// Due returns the offset from the schedule's start at which hit number
	// hits (0-based) is scheduled.
	Due(hits uint64) time.Duration
}

// ConstantPacer sends Rate requests per second, evenly spaced, the first one
// at once. A Rate <= 0 stops at once. It is safe for concurrent use.
type ConstantPacer struct {
	Rate float64
}

// Due returns hits/Rate.
func (p ConstantPacer) Due(hits uint64) time.Duration {
	return time.Duration(float64(hits) / p.Rate * float64(time.Second))
}

// Pace implements Pacer.
func (p ConstantPacer) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	if p.Rate <= 0 {
		return 0, true
	}
	return max(p.Due(hits)-elapsed, 0), false
}

// ArrivalPacer draws independent gamma-distributed gaps between requests
// with mean 1/Rate and shape Shape from a seeded source: Shape 1 is a
// Poisson process, Shape < 1 is burstier, Shape > 1 smoother (vLLM's
// --burstiness). The first request is due at once. The same seed gives the
// same schedule. It is not safe for concurrent use.
type ArrivalPacer struct {
	rate, shape float64
	rng         *rand.Rand
	due         []float64 // seconds; due[i] is when hit i is scheduled
}

// NewPoissonPacer returns an ArrivalPacer with exponential gaps.
func NewPoissonPacer(rate float64, seed int64) *ArrivalPacer {
	return NewGammaPacer(rate, 1, seed)
}

// NewGammaPacer returns an ArrivalPacer with gamma gaps of the given shape
// (<= 0 means 1).
func NewGammaPacer(rate, shape float64, seed int64) *ArrivalPacer {
	if shape <= 0 {
		shape = 1
	}
	return &ArrivalPacer{
		rate: rate, shape: shape,
		rng: rand.New(rand.NewPCG(uint64(seed), 0x9e3779b97f4a7c15)),
		due: []float64{0},
	}
}

// Due returns the scheduled offset of hit number hits.
func (p *ArrivalPacer) Due(hits uint64) time.Duration {
	for uint64(len(p.due)) <= hits {
		p.due = append(p.due, p.due[len(p.due)-1]+p.gap())
	}
	return time.Duration(p.due[hits] * float64(time.Second))
}

// Pace implements Pacer.
func (p *ArrivalPacer) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	if p.rate <= 0 {
		return 0, true
	}
	return max(p.Due(hits)-elapsed, 0), false
}

// gap draws one inter-arrival time in seconds.
func (p *ArrivalPacer) gap() float64 {
	if p.shape == 1 {
		return p.rng.ExpFloat64() / p.rate
	}
	// Gamma(shape, theta) has mean shape*theta = 1/rate.
	return gammaRand(p.rng, p.shape) / (p.shape * p.rate)
}

// gammaRand draws from Gamma(shape, 1) by Marsaglia and Tsang's method
// (boosted by U^(1/shape) for shape < 1).
func gammaRand(r *rand.Rand, shape float64) float64 {
	if shape < 1 {
		return gammaRand(r, shape+1) * math.Pow(r.Float64(), 1/shape)
	}
	d := shape - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := r.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := r.Float64()
		if u < 1-0.0331*x*x*x*x || math.Log(u) < 0.5*x*x+d*(1-v+math.Log(v)) {
			return d * v
		}
	}
}

// newPacer builds the open-loop schedule of a platform: arrival constant,
// poisson (the default) or gamma with burstiness as its shape.
func newPacer(rate float64, arrival string, burstiness float64, seed int64) Scheduler {
	switch arrival {
	case "constant":
		return ConstantPacer{Rate: rate}
	case "gamma":
		return NewGammaPacer(rate, burstiness, seed)
	default:
		return NewPoissonPacer(rate, seed)
	}
}
