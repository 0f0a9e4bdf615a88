package emulator

import (
	"context"
	"sync/atomic"
	"time"
)

// schedule yields the absolute deadline of each token-bearing event: the
// first at TTFT, then one gap of 1/tokens_per_second each, every one jittered
// by ±jitter with a factor drawn from (key, index). Deadlines are offsets
// from the request's arrival, so sleeping late never accumulates drift.
type schedule struct {
	// slow, when set, stretches the TTFT and each gap by the server's
	// current batch factor, read as the event is planned.
	slow   func() float64
	key    uint64
	ttft   time.Duration
	gap    float64 // nanoseconds per token; 0 = as fast as possible
	jitter float64
	i      int
	off    time.Duration
}

// newSchedule is the schedule of a response to a prompt of prompt
// tokens: its first token after ttft plus the prefill of the prompt.
func newSchedule(key uint64, prof *Profile, prompt int) schedule {
	sc := schedule{key: key, jitter: prof.Jitter}
	ttft := float64(prof.TTFT.D()) + float64(prompt)*prof.PrefillMsPerToken*float64(time.Millisecond)
	sc.ttft = time.Duration(ttft * sc.factor(saltTTFT))
	if prof.TokensPerSecond > 0 {
		sc.gap = 1e9 / prof.TokensPerSecond
	}
	return sc
}

func (sc *schedule) factor(salt uint64) float64 {
	if sc.jitter == 0 {
		return 1
	}
	return 1 + sc.jitter*(2*unit(sc.key^mix(uint64(sc.i)+1), salt)-1)
}

// Plan returns the injected truth of one request: the offsets from the
// request's arrival at which a Server made by New(profile, seed, ...) plans
// to send its first and its last token-bearing event, for a response of
// tokens such events and the X-Request-Id, model and temperature the
// request carried (for a prompt that costs no prefill: a profile without
// prefill_ms_per_token). The server never sends earlier than its plan; it may
// send later (its own lateness), which is what timing benchmarks measure a
// client's reported TTFT and E2E against. Plan is a pure function, exported
// for the query stage's timing-fidelity benchmark, which checks every
// reported time against it.
func Plan(profile Profile, seed int64, requestID, model string, temperature float64, tokens int) (ttft, e2e time.Duration) {
	sc := newSchedule(mix(mix(uint64(seed))^requestKey(requestID, nil, model, temperature)), &profile, 0)
	ttft = sc.next()
	e2e = ttft
	for i := 1; i < tokens; i++ {
		e2e = sc.next()
	}
	return ttft, e2e
}

// next returns the offset of the next token event from the request's arrival.
func (sc *schedule) next() time.Duration {
	f := 1.0
	if sc.slow != nil {
		f = sc.slow()
	}
	if sc.i == 0 {
		sc.off = time.Duration(float64(sc.ttft) * f)
	} else if sc.gap > 0 {
		sc.off += time.Duration(sc.gap * sc.factor(saltGap) * f)
	}
	sc.i++
	return sc.off
}

// preciseWindow is the last stretch of a wait that one goroutine at a time
// may sleep with sleepPrecise instead of a Go timer, and maxPrecise is how
// many may do so at once. A Go timer wakes up 0 to about 1 ms late, which
// would be the emulator's own error in every injected TTFT and token gap;
// nanosleep blocks a thread (and, until the scheduler takes it back, its
// P), so the number of such sleeps is capped below GOMAXPROCS on this
// 2-core target, and the others wait with the timer alone.
const (
	preciseWindow = 1500 * time.Microsecond
	maxPrecise    = 1
)

// precise counts the goroutines in a precise sleep (see maxPrecise).
var precise atomic.Int32

// wait blocks until deadline or ctx is done; it reports false on ctx done.
// A Go timer covers the wait up to preciseWindow before the deadline; the
// rest is slept precisely when a slot is free (see maxPrecise), else with
// the timer. ctx is not watched during a precise sleep (at most
// preciseWindow).
func (sc *scratch) wait(ctx context.Context, deadline time.Time) bool {
	d := time.Until(deadline)
	if d <= 0 {
		return ctx.Err() == nil
	}
	if d > preciseWindow {
		if !sc.sleep(ctx, d-preciseWindow) {
			return false
		}
		if d = time.Until(deadline); d <= 0 {
			return true
		}
	}
	if precise.Add(1) <= maxPrecise {
		sleepPrecise(d)
		precise.Add(-1)
		return ctx.Err() == nil
	}
	precise.Add(-1)
	return sc.sleep(ctx, d)
}

// sleep waits d on the reused timer; it reports false when ctx is done first.
func (sc *scratch) sleep(ctx context.Context, d time.Duration) bool {
	if sc.timer == nil {
		sc.timer = time.NewTimer(d)
	} else {
		sc.timer.Reset(d)
	}
	select {
	case <-sc.timer.C:
		return true
	case <-ctx.Done():
		sc.timer.Stop()
		return false
	}
}

// newSchedule is the schedule of a plan's token events, stretched by the
// batch when the profile sets batch_slowdown.
func (s *Server) newSchedule(p *plan) schedule {
	sched := newSchedule(p.key, &s.profile, p.prompt)
	if s.profile.BatchSlowdown > 0 {
		sched.slow = s.slowdown
	}
	return sched
}
