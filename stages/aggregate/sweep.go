package aggregate

import (
	"fmt"
	"slices"
	"strings"

	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/results"
)

// Sweep builds the load curves of groups (in their order) when some
// platform of exp runs more than one load level, and nil otherwise. Each
// curve is one platform x model x temperature over its levels, in the
// order the platform runs them; each non-baseline curve is compared with
// the baseline platform's curve of its model's counterpart
// (config.Counterpart) and the same temperature (see results.Crossover). Closed-loop levels past the knee
// are marked saturated (results.MarkKnees). Saturation while running and a sweep's decided
// rates are not known here: the engine adds them from its manifest (see
// Results.ApplyLevels, which also recomputes each curve's best level).
func Sweep(exp *config.Experiment, groups []results.GroupStats, baseline string) *results.SweepResults {
	multi := false
	for i := range exp.Platforms {
		multi = multi || len(exp.Platforms[i].RunLevels(nil)) > 1
	}
	if !multi {
		return nil
	}
	type curveKey struct {
		platform, model string
		temperature     float64
		group           string
	}
	out := &results.SweepResults{}
	index := map[curveKey]int{}
	for i := range groups {
		g := &groups[i]
		k := curveKey{g.Platform, g.Model, g.Temperature, curveGroup(exp, g)}
		ci, ok := index[k]
		if !ok {
			ci = len(out.Curves)
			index[k] = ci
			out.Curves = append(out.Curves, results.SweepCurve{GroupKey: results.GroupKey{Platform: g.Platform, Model: g.Model, Temperature: g.Temperature, Level: k.group}})
		}
		c := &out.Curves[ci]
		c.Points = append(c.Points, pointOf(exp, g))
	}
	for i := range out.Curves {
		if pi := platformIndex(exp, out.Curves[i].Platform); pi >= 0 {
			results.MarkKnees(&out.Curves[i], &exp.Platforms[pi])
		}
		out.Curves[i].Best = results.BestLevel(out.Curves[i].Points, exp.SLO)
	}
	bi := platformIndex(exp, baseline)
	if bi < 0 {
		return out
	}
	base := exp.Platforms[bi]
	for _, c := range out.Curves {
		pi := platformIndex(exp, c.Platform)
		if pi < 0 || pi == bi {
			continue
		}
		bm, how := config.Counterpart(&exp.Platforms[pi], &base, modelIndex(exp.Platforms[pi].Models, c.Model))
		if how == config.Unpaired {
			continue
		}
		bk := curveKey{base.Name, base.Models[bm], c.Temperature, c.Level}
		bc, ok := index[bk]
		if !ok {
			continue
		}
		out.Crossovers = append(out.Crossovers, FindCrossover(c, out.Curves[bc]))
	}
	return out
}

// curveGroup is the sample group whose own curve g's level is on: the
// level's group when its platform runs several load levels per group (a
// load curve per input length), else "" (one curve over the groups).
func curveGroup(exp *config.Experiment, g *results.GroupStats) string {
	pi := platformIndex(exp, g.Platform)
	if pi < 0 {
		return ""
	}
	p := &exp.Platforms[pi]
	levels := p.RunLevels(nil)
	if len(p.SampleGroups) < 2 || len(levels) <= len(p.SampleGroups) {
		return ""
	}
	for _, lv := range levels {
		if lv.Label == g.Level {
			return lv.Group
		}
	}
	return ""
}

func modelIndex(models []string, m string) int {
	for i, x := range models {
		if x == m {
			return i
		}
	}
	return -1
}

// pointOf reads a sweep point from a group's statistics.
func pointOf(exp *config.Experiment, g *results.GroupStats) results.SweepPoint {
	p := results.SweepPoint{
		Level: g.Level, TargetRate: g.TargetRate, TokenRate: g.Throughput, Requests: g.Count, Successes: g.Successes, ErrorRate: g.ErrorRate,
		TTFTP50: g.TTFTMs.P50, TTFTP99: g.TTFTMs.P99, TPOTCount: g.TPOTMs.N, TPOTP50: g.TPOTMs.P50, TPOTP99: g.TPOTMs.P99,
		E2EP50: g.LatencyMs.P50, E2EP99: g.LatencyMs.P99, Goodput: g.Goodput, GoodputRate: g.GoodputRate,
	}
	p.RequestThroughput, p.SendRate = g.RequestThroughput, g.SendRate
	if pi := platformIndex(exp, g.Platform); pi >= 0 {
		for _, lv := range exp.Platforms[pi].RunLevels(nil) {
			if lv.Label == g.Level {
				p.Concurrency, p.InputTokens, p.OutputTokens = lv.Concurrency, lv.InputTokens, lv.OutputTokens
			}
		}
	}
	return p
}

// FindCrossover compares curve c with the baseline curve base by median
// E2E latency at the levels both ran with data (same label, a successful
// request in each), in c's level order. See results.Crossover for the
// cases. Its statement speaks only of those levels and names them, and
// names the levels left out (run by one platform only, or without a
// successful request in one of them).
func FindCrossover(c, base results.SweepCurve) results.Crossover {
	out := results.Crossover{GroupKey: c.GroupKey, Baseline: base.GroupKey}
	bp := map[string]results.SweepPoint{}
	for _, p := range base.Points {
		bp[p.Level] = p
	}
	var labels, left []string
	var faster []bool
	compared := map[string]bool{}
	for _, p := range c.Points {
		b, ok := bp[p.Level]
		if !ok || p.E2EP50 <= 0 || b.E2EP50 <= 0 {
			continue
		}
		labels = append(labels, p.Level)
		compared[p.Level] = true
		faster = append(faster, p.E2EP50 < b.E2EP50)
	}
	for _, pts := range [][]results.SweepPoint{c.Points, base.Points} {
		for _, p := range pts {
			if !compared[p.Level] && !slices.Contains(left, p.Level) {
				left = append(left, p.Level)
			}
		}
	}
	out.Levels = labels
	name, bname := c.Platform, base.Platform
	if len(labels) == 0 {
		out.Statement = fmt.Sprintf("%s and %s share no load level with successful requests; no crossover", name, bname)
		return out
	}
	var changes []int
	for i := 1; i < len(faster); i++ {
		if faster[i] != faster[i-1] {
			changes = append(changes, i)
		}
	}
	every := "at every load level both ran with data"
	if len(labels) == 1 {
		every = "at the only load level both ran with data"
	}
	switch {
	case len(changes) == 0 && faster[0]:
		out.Statement = fmt.Sprintf("%s is faster than %s %s (median E2E); no crossover", name, bname, every)
	case len(changes) == 0:
		out.Statement = fmt.Sprintf("%s is faster than %s %s (median E2E); no crossover", bname, name, every)
	case len(changes) == 1 && faster[changes[0]]:
		out.From = labels[changes[0]]
		out.Statement = fmt.Sprintf("%s is faster than %s from %s up (median E2E); %s is faster below", name, bname, out.From, bname)
	case len(changes) == 1:
		out.Until = labels[changes[0]-1]
		out.Statement = fmt.Sprintf("%s is faster than %s from %s up (median E2E); %s is faster up to %s", bname, name, labels[changes[0]], name, out.Until)
	default:
		var at []string
		for i, f := range faster {
			if f {
				at = append(at, labels[i])
			}
		}
		out.Statement = fmt.Sprintf("the order changes %d times: %s is faster than %s at %s only (median E2E)", len(changes), name, bname, strings.Join(at, ", "))
	}
	out.Statement += "; compared at " + strings.Join(labels, ", ")
	if len(left) > 0 {
		out.Statement += "; not compared (not run with a successful request by both): " + strings.Join(left, ", ")
	}
	return out
}
