package query

import (
	"hash/fnv"
	"math"
	"math/rand/v2"
	"time"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/inferbench/inferbench/pipeline"
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
	rate float64
	seed int64
	gaps distuv.Gamma // inter-arrival times in seconds
	// hit is the last hit whose due time was drawn, due that time in
	// seconds: a run asks for hits in order, so only the last is kept (an
	// earlier hit is drawn again from the seed).
	hit uint64
	due float64
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
	// Gamma(Alpha: shape, Beta: rate parameter) has mean shape/Beta, so
	// Beta = shape*rate gives a mean gap of 1/rate. gonum draws shape 1 as
	// an exponential (Poisson arrivals) and shape < 1 by Marsaglia-Tsang
	// with the U^(1/shape) boost, or Liu-Martin-Syring below 0.2.
	return &ArrivalPacer{
		rate: rate,
		seed: seed,
		gaps: distuv.Gamma{
			Alpha: shape,
			Beta:  shape * rate,
			Src:   rand.NewPCG(uint64(seed), 0x9e3779b97f4a7c15),
		},
	}
}

// Due returns the scheduled offset of hit number hits.
func (p *ArrivalPacer) Due(hits uint64) time.Duration {
	if hits < p.hit {
		p.gaps.Src = rand.NewPCG(uint64(p.seed), 0x9e3779b97f4a7c15)
		p.hit, p.due = 0, 0
	}
	for p.hit < hits {
		p.due += p.gap()
		p.hit++
	}
	return time.Duration(p.due * float64(time.Second))
}

// Pace implements Pacer.
func (p *ArrivalPacer) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	if p.rate <= 0 {
		return 0, true
	}
	return max(p.Due(hits)-elapsed, 0), false
}

// gap draws one inter-arrival time in seconds; +Inf when the rate is not
// positive (nothing is ever due).
func (p *ArrivalPacer) gap() float64 {
	if p.rate <= 0 {
		return math.Inf(1)
	}
	return p.gaps.Rand()
}

// levelPacer builds the open-loop schedule of job, one load level of a
// platform (every cell of a job has the level's label): each level draws
// its own arrival sequence, seeded from the run seed and the level (see
// arrivalSeed), so that the levels of a sweep are independent draws and
// not one draw rescaled to each rate.
func levelPacer(job pipeline.QueryJob) Scheduler {
	p := &job.Platform
	level := ""
	for c := range job.EachCell() { // listed or generated: every cell has the level's label
		level = c.Level
		break
	}
	seed := arrivalSeed(job.Seed, level)
	if st := job.Stripe; st != nil {
		// A shard's part of the level's one schedule.
		return stripedPacer{newPacer(st.Rate, p.Arrival, p.Burstiness, seed), st}
	}
	return newPacer(p.Rate, p.Arrival, p.Burstiness, seed)
}

// arrivalSeed derives the arrival seed of a load level from the run's
// seed: the seed itself for a platform's only level (label ""), so that
// single-level runs keep their schedule; otherwise the seed mixed with
// the FNV-1a hash of the level's label.
func arrivalSeed(seed int64, level string) int64 {
	if level == "" {
		return seed
	}
	h := fnv.New64a()
	h.Write([]byte(level))
	return seed ^ int64(h.Sum64())
}

// newPacer builds the open-loop schedule of a platform: arrival constant,
// poisson (the default) or gamma with burstiness as its shape.
func newPacer(rate float64, arrival string, burstiness float64, seed int64) Scheduler {
	switch arrival {
	case ArrivalConstant:
		return ConstantPacer{Rate: rate}
	case ArrivalGamma:
		return NewGammaPacer(rate, burstiness, seed)
	default:
		return NewPoissonPacer(rate, seed)
	}
}

// stripedPacer sends a job's part of a schedule (pipeline.Stripe): its
// hit k is the schedule's hit stripe.Hit(k).
type stripedPacer struct {
	s      Scheduler
	stripe *pipeline.Stripe
}

// Due implements Scheduler.
func (p stripedPacer) Due(hits uint64) time.Duration { return p.s.Due(p.stripe.Hit(hits)) }

// Pace implements Pacer.
func (p stripedPacer) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	return p.s.Pace(elapsed, p.stripe.Hit(hits))
}
