package pipeline

import (
	"fmt"
	"math"
	"strings"

	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/runfolder"
)

// FDMargin is the number of file descriptors the preflight keeps aside
// beside the connections: standard streams, the journal, the manifest and
// the other files of the run folder, the Go runtime's poller, DNS lookups,
// the listeners of emulated platforms and an api_key_command's pipes.
const FDMargin = 64

// FDPlan is the preflight's estimate of how many file descriptors a run
// may hold at once.
type FDPlan struct {
	// Connections is the peak number of connections: per platform the
	// largest concurrency of its levels (they run one after the other),
	// summed over the platforms (they run side by side), twice for an
	// emulated platform, whose server side is in this process too.
	Connections int
	// Need is Connections + FDMargin.
	Need int
	// Uncapped names the open-loop platforms without a concurrency cap,
	// whose requests in flight only the rate and the latency bound; each
	// is counted in Connections as rate x 1 s (at least 1) and described
	// with its worst case, rate x timeout.
	Uncapped []string
	// UncappedWorst is the sum of rate x timeout of those platforms.
	UncappedWorst int
}

// PlanFDs estimates the file descriptors exp needs (see FDPlan).
func PlanFDs(exp *config.Experiment) FDPlan {
	var fp FDPlan
	for i := range exp.Platforms {
		p := &exp.Platforms[i]
		peak, worst := 0, 0
		uncapped := false
		for _, lv := range p.RunLevels(nil) {
			c := lv.Concurrency
			if c <= 0 && (lv.Rate > 0 || lv.RateIndex > 0) {
				uncapped = true
				timeout := p.Timeout.D()
				if timeout <= 0 {
					timeout = config.DefaultTimeout.D()
				}
				c = max(int(math.Ceil(lv.Rate)), 1)
				worst = max(worst, int(math.Ceil(lv.Rate*timeout.Seconds())))
			}
			if c <= 0 {
				c = config.DefaultConcurrency
			}
			peak = max(peak, c)
		}
		if p.Emulate != nil {
			peak, worst = 2*peak, 2*worst
		}
		fp.Connections += peak
		if uncapped {
			fp.Uncapped = append(fp.Uncapped, p.Name)
			fp.UncappedWorst += worst
		}
	}
	fp.Need = fp.Connections + FDMargin
	return fp
}

// shardExperiment returns exp with each platform's levels cut to shard's
// share of their concurrency and rate (exp itself when shard is the whole
// load or not a valid shard): a shard process opens only its share of the
// connections.
func shardExperiment(exp *config.Experiment, shard runfolder.Shard) *config.Experiment {
	if shard.Count <= 1 || shard.Check() != nil {
		return exp
	}
	x := *exp
	x.Platforms = make([]config.Platform, len(exp.Platforms))
	for i, p := range exp.Platforms {
		x.Platforms[i], _ = sharedPlatform(shard, p)
	}
	return &x
}

// FDLimitError is the preflight's refusal: the file-descriptor limit,
// even raised to the hard limit, is below what the plan needs.
type FDLimitError struct {
	Plan       FDPlan
	Soft, Hard uint64
}

func (e *FDLimitError) Error() string {
	return fmt.Sprintf("the file-descriptor limit (%d, hard limit %d) is below the %d this run may need (%d connections at once + %d kept aside): raise it (ulimit -n %d, or LimitNOFILE for a service), lower the concurrency, or split the load over machines with --shard",
		e.Soft, e.Hard, e.Plan.Need, e.Plan.Connections, FDMargin, e.Plan.Need)
}

// FDCheck is what the preflight would find: a plan's need against this
// process's RLIMIT_NOFILE limits, read without changing them (plan shows
// it; run raises the soft limit when it must).
type FDCheck struct {
	Plan       FDPlan
	Soft, Hard uint64
	// Known is false where the limits cannot be read: run checks nothing.
	Known bool
}

// CheckFDs returns the file descriptors exp (shard's share of it) needs
// against the current limits.
func CheckFDs(exp *config.Experiment, shard runfolder.Shard) FDCheck {
	c := FDCheck{Plan: PlanFDs(shardExperiment(exp, shard))}
	c.Soft, c.Hard, c.Known = readFDLimit()
	return c
}

// String says the need, the limits and what run will do about them: go
// on, raise the soft limit to the hard one, or refuse (exit 5).
func (c FDCheck) String() string {
	fp := c.Plan
	s := fmt.Sprintf("need %d (%d connections at once + %d kept aside); ", fp.Need, fp.Connections, FDMargin)
	switch need := uint64(fp.Need); {
	case !c.Known:
		s += "the limit cannot be read here, so run does not check it"
	case need <= c.Soft:
		s += fmt.Sprintf("limit %d (hard limit %d): enough", c.Soft, c.Hard)
	case need <= c.Hard:
		s += fmt.Sprintf("limit %d (hard limit %d): run raises the soft limit to %d", c.Soft, c.Hard, c.Hard)
	default:
		s += fmt.Sprintf("limit %d (hard limit %d): too low, run refuses and exits 5; raise it (ulimit -n %d), lower the concurrency, or split the load over machines with --shard", c.Soft, c.Hard, fp.Need)
	}
	if len(fp.Uncapped) > 0 {
		s += fmt.Sprintf("; open-loop platforms without a concurrency cap (%s) count rate x 1 s, and may hold up to rate x timeout = %d if the endpoint slows down", strings.Join(fp.Uncapped, ", "), fp.UncappedWorst)
	}
	return s
}

// fdPreflight compares the plan's need with the RLIMIT_NOFILE soft limit,
// raising the soft limit to the hard one when it is lower (the Go runtime
// already raises it to hard - 1 at start-up, see syscall/rlimit.go); it
// returns an *FDLimitError when the limit is still too low, and warns
// about open-loop platforms without a concurrency cap whose worst case
// would not fit. Where limits cannot be read it checks nothing.
func (e *Engine) fdPreflight(exp *config.Experiment, shard runfolder.Shard) error {
	fp := PlanFDs(shardExperiment(exp, shard))
	soft, hard, ok := raiseFDLimit(uint64(fp.Need))
	if !ok {
		return nil
	}
	if soft < uint64(fp.Need) {
		return &FDLimitError{Plan: fp, Soft: soft, Hard: hard}
	}
	if len(fp.Uncapped) > 0 && uint64(fp.Connections-len(fp.Uncapped)+fp.UncappedWorst+FDMargin) > soft {
		e.log().Warn(fmt.Sprintf("open-loop platforms without a concurrency cap (%s) may hold up to rate x timeout = %d connections if the endpoint slows down, more than the file-descriptor limit %d allows; set concurrency on them to cap requests in flight",
			strings.Join(fp.Uncapped, ", "), fp.UncappedWorst, soft))
	}
	return nil
}
