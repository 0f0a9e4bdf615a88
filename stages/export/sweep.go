package export

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/results"
)

// curveLabel names a sweep curve: the platform, plus the model when the
// platform has several and the temperature when the run has several.
func curveLabel(sw *results.SweepResults, c results.SweepCurve) string {
	models := map[string]map[string]bool{}
	temps := map[float64]bool{}
	for _, x := range sw.Curves {
		if models[x.Platform] == nil {
			models[x.Platform] = map[string]bool{}
		}
		models[x.Platform][x.Model] = true
		temps[x.Temperature] = true
	}
	s := c.Platform
	if len(models[c.Platform]) > 1 {
		s += "/" + c.Model
	}
	if len(temps) > 1 {
		s += " t=" + strconv.FormatFloat(c.Temperature, 'g', -1, 64)
	}
	if c.Level != "" {
		s += " " + c.Level // the curve of one sample group (input length)
	}
	return s
}

// closedLoopOnly reports whether every point of every curve ran closed
// loop, so that concurrency is the load axis; otherwise the achieved
// request rate is.
func closedLoopOnly(sw *results.SweepResults) bool {
	for _, c := range sw.Curves {
		for _, p := range c.Points {
			if p.TargetRate > 0 || p.Concurrency <= 0 {
				return false
			}
		}
	}
	return true
}

// sweepSection is the report's load-curve part: crossovers and best
// levels in words, then one row per curve and level.
func sweepSection(sw *results.SweepResults, slo config.SLOSpec) reportSection {
	s := reportSection{Title: "Load sweep"}
	s.Paragraphs = []string{"Each platform ran its load levels one after the other; every level is its own group. Request throughput counts completed requests per second of sending time; latencies in ms at p50 and p99. The crossover compares median E2E latency with the baseline at the levels both ran with a successful request, and names them. A closed-loop level is saturated past the knee when its request throughput grew little over the previous level's while its median E2E grew much (load.knee_throughput_gain, load.knee_latency_growth). The best level within the SLO also fails at most slo.max_error_rate of its requests. A level marked (≤) was client-bound: its latencies are upper bounds."}
	for _, x := range sw.Crossovers {
		s.Bullets = append(s.Bullets, "**"+mdText(x.Statement)+"**")
	}
	sloSet := slo.Set()
	for _, c := range sw.Curves {
		name := curveLabel(sw, c)
		switch {
		case !sloSet:
		case c.Best != "":
			s.Bullets = append(s.Bullets, fmt.Sprintf("%s: best level within the SLO is %s (highest request throughput with p99 within every SLO, at most %s of requests failed, not saturated)", name, c.Best, fshare(slo.MaxErrorRate)))
		default:
			s.Bullets = append(s.Bullets, name+": no level meets the SLO at p99")
		}
	}
	for _, c := range sw.Curves {
		if k := kneeLevel(c); k != nil {
			s.Bullets = append(s.Bullets, fmt.Sprintf("%s: knee at %s, %s", curveLabel(sw, c), k.Level, k.SaturatedReason))
		}
	}
	t := reportTable{
		Header: []string{"Curve", "Level", "Concurrency", "Target req/s", "Completed req/s", "Tok/s", "TTFT p50", "TTFT p99", "TPOT p50", "TPOT p99", "E2E p50", "E2E p99", "Goodput", "Errors", "Saturated"},
		Right:  []bool{false, false, true, true, true, true, true, true, true, true, true, true, true, true, false},
	}
	for _, c := range sw.Curves {
		name := curveLabel(sw, c)
		for _, p := range c.Points {
			conc, target := missing, missing
			if p.Concurrency > 0 {
				conc = strconv.Itoa(p.Concurrency)
			}
			if p.TargetRate > 0 {
				target = strconv.FormatFloat(p.TargetRate, 'g', -1, 64)
			}
			sat := "no"
			if p.SaturatedReason != "" {
				sat = p.SaturatedReason
			}
			level := p.Level
			if level == c.Best {
				level += " (best)"
			}
			if p.ClientBound {
				level += upperBoundMark
			}
			t.Rows = append(t.Rows, []string{name, level, conc, target, fnum(p.RequestThroughput, 2), fnum(p.TokenRate, 1),
				pointMs(p.HasTimings(), p.TTFTP50), pointMs(p.HasTimings(), p.TTFTP99), pointMs(p.HasTPOT(), p.TPOTP50), pointMs(p.HasTPOT(), p.TPOTP99), pointMs(p.HasTimings(), p.E2EP50), pointMs(p.HasTimings(), p.E2EP99),
				fshare(p.Goodput), fshare(p.ErrorRate), sat})
		}
	}
	s.Tables = append(s.Tables, t)
	return s
}

// pointMs renders a timing figure of a level in ms, or missing when the
// level has none (HasTimings, HasTPOT).
func pointMs(has bool, v float64) string {
	if !has {
		return missing
	}
	return fnum(v, 1)
}

// writeSweepConsole prints the LOAD SWEEP section (sweepConsoleLines);
// nothing without a sweep.
func writeSweepConsole(w io.Writer, sw *results.SweepResults, exp *config.Experiment) {
	if sw == nil {
		return
	}
	fmt.Fprintf(w, "\nLOAD SWEEP\n----------\n")
	for _, l := range sweepConsoleLines(sw, exp) {
		fmt.Fprintln(w, "  "+l)
	}
}

// kneeLevel returns c's first level past the knee of its curve (see
// results.MarkKnees), nil when none is.
func kneeLevel(c results.SweepCurve) *results.SweepPoint {
	for i := range c.Points {
		if strings.HasPrefix(c.Points[i].SaturatedReason, results.KneeReason) {
			return &c.Points[i]
		}
	}
	return nil
}
