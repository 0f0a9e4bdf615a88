package pipeline

import (
	"strings"

	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/results"
	"github.com/inferbench/inferbench/pipeline/runfolder"
)

// ApplyLevels adds what only the run knows to r: the rates a sweep chose
// (m.SweepRates) as the TargetRate of its rate levels' groups and sweep
// points (aggregate sees those levels without their rate), and the levels
// stopped early (m.LevelStops): saturated ones are marked Saturated, and
// every stop reason is kept. Curves whose best level was saturated lose
// it: Best is recomputed under slo.
func ApplyLevels(r *results.Results, m *runfolder.Manifest, slo config.SLOSpec) {
	if r.Sweep == nil || m == nil {
		return
	}
	rates := map[results.GroupKey]float64{} // by platform and level only
	for _, pl := range m.Experiment.Platforms {
		for _, lv := range pl.RunLevels(m.SweepRates[pl.Name]) {
			if lv.Rate > 0 {
				rates[results.GroupKey{Platform: pl.Name, Level: lv.Label}] = lv.Rate
			}
		}
	}
	rateOf := func(k results.GroupKey) float64 { return rates[results.GroupKey{Platform: k.Platform, Level: k.Level}] }
	for i := range r.Groups {
		if g := &r.Groups[i]; g.TargetRate == 0 && g.Level != "" {
			g.TargetRate = rateOf(g.GroupKey)
		}
	}
	for ci := range r.Sweep.Curves {
		c := &r.Sweep.Curves[ci]
		for pi := range c.Points {
			p := &c.Points[pi]
			for _, s := range m.LevelStops {
				if s.Platform == c.Platform && s.Level == p.Level {
					p.SaturatedReason = s.Reason
					p.Saturated = strings.HasPrefix(s.Reason, "saturated")
				}
			}
			if p.TargetRate == 0 {
				p.TargetRate = rateOf(results.GroupKey{Platform: c.Platform, Level: p.Level})
			}
		}
		for pi := range m.Experiment.Platforms {
			if pl := &m.Experiment.Platforms[pi]; pl.Name == c.Platform {
				results.MarkKnees(c, pl)
			}
		}
		c.Best = results.BestLevel(c.Points, slo)
	}
}
