package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/inferbench/inferbench/pipeline"
	"github.com/inferbench/inferbench/pipeline/config"
)

// levelEstimate is what plan can say of one load level's sending time
// before running it.
type levelEstimate struct {
	label    string
	requests int
	timed    bool // sized by duration alone: requests are its warmups only
	// text is the expected sending time in words: "~3s (24 requests at 8
	// req/s)", "at most 1m0s (max_duration)", or why it cannot be known.
	text string
}

// configuredDuration is a level's own sizing by time, the load block's
// `duration:` (a level that sends for a set time, questions cycled), or 0.
// A max_duration shorter than it ends the level first.
func configuredDuration(p *config.Platform, lv config.Level) time.Duration {
	if p.Levels == nil || p.Levels.Duration <= 0 {
		return 0
	}
	return min(p.Levels.Duration.D(), p.AtLevel(lv).MaxDuration.D())
}

// estimateLevels returns the expected sending time of each of job's load
// levels, in the order they run: a configured duration (see
// configuredDuration); else, for an open-loop level whose rate is known,
// its requests / rate (the mean of any arrival law), bounded by
// max_duration; else max_duration as an upper bound; else unknown, since a
// closed loop's time depends on the endpoint and a sweep's rate levels get
// their rate at run time. Warmup requests count: they are sent too.
func estimateLevels(job pipeline.PlanJob) []levelEstimate {
	p := &job.Platform
	var out []levelEstimate
	for li, lv := range p.RunLevels(nil) {
		lo, hi := job.Cells.LevelRange(lv.Label)
		e := levelEstimate{label: lv.Label, requests: hi - lo, timed: job.Cells.Timed()}
		if e.timed { // a level sized by time alone: only the platform's warmups are counted
			e.requests = 0
			if li == 0 {
				e.requests = job.Cells.Planned()
			}
		}
		at := p.AtLevel(lv)
		bound := at.MaxDuration.D()
		switch d := configuredDuration(p, lv); {
		case d > 0:
			e.text = fmt.Sprintf("~%s (duration)", roundEstimate(d))
		case lv.Rate > 0:
			d := time.Duration(float64(e.requests) / lv.Rate * float64(time.Second))
			e.text = fmt.Sprintf("~%s (%d requests at %g req/s)", roundEstimate(d), e.requests, lv.Rate)
			if bound > 0 && bound < d {
				e.text = fmt.Sprintf("~%s (max_duration; %d requests at %g req/s would take %s)", bound, e.requests, lv.Rate, roundEstimate(d))
			}
		case bound > 0:
			e.text = fmt.Sprintf("at most %s (max_duration)", bound)
		case lv.RateIndex > 0:
			e.text = "unknown (rate chosen at run time)"
		default:
			e.text = "unknown (closed loop: depends on the endpoint)"
		}
		out = append(out, e)
	}
	return out
}

// roundEstimate rounds an expected duration to what plan can promise.
func roundEstimate(d time.Duration) time.Duration {
	if d < 10*time.Second {
		return d.Round(time.Millisecond)
	}
	return d.Round(time.Second)
}

// printLevelEstimates prints, per platform and load level, the requests
// and expected sending time (see estimateLevels).
func printLevelEstimates(w io.Writer, plan *pipeline.Plan) error {
	fmt.Fprintln(w, "\nexpected sending time per load level (before retries):")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  PLATFORM\tLEVEL\tREQUESTS\tEXPECTED")
	for _, j := range plan.Jobs {
		for _, e := range estimateLevels(j) {
			label := e.label
			if label == "" {
				label = "-"
			}
			requests := strconv.Itoa(e.requests)
			if e.timed {
				requests += " + timed"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", j.Platform.Name, label, requests, strings.TrimSpace(e.text))
		}
	}
	return tw.Flush()
}
