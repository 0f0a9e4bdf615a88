package aggregate

import (
	"testing"

	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/results"
)

var lengthGroups = []config.SampleGroup{{Label: "in=128", InputTokens: 128, OutputTokens: 64}, {Label: "in=4096", InputTokens: 4096, OutputTokens: 64}}

// TestASweepOverInputLengthsIsOneCurveWithTheLengths: length groups at
// one load are one curve per platform whose points carry the lengths, and
// a longer prompt's slower level is not a knee.
func TestASweepOverInputLengthsIsOneCurveWithTheLengths(t *testing.T) {
	exp := &config.Experiment{Baseline: "a", Params: config.Params{Temperature: []float64{0}},
		Platforms: []config.Platform{{Name: "a", Models: []string{"m"}, Concurrency: 2, SampleGroups: lengthGroups}}}
	g := func(load string, ok int, e2e float64) results.GroupStats {
		return results.GroupStats{GroupKey: results.GroupKey{Platform: "a", Model: "m", Level: load}, Count: ok, Successes: ok, WallSeconds: 10,
			RequestThroughput: float64(ok) / 10, LatencyMs: results.Dist{N: ok, P50: e2e}}
	}
	sw := Sweep(exp, []results.GroupStats{g("in=128", 100, 100), g("in=4096", 101, 900)}, "a")
	if sw == nil || len(sw.Curves) != 1 || len(sw.Curves[0].Points) != 2 {
		t.Fatalf("sweep %+v", sw)
	}
	p := sw.Curves[0].Points[1]
	if p.InputTokens != 4096 || p.OutputTokens != 64 || p.Concurrency != 2 || p.Saturated {
		t.Errorf("point %+v", p)
	}
}

// TestLoadLevelsPerLengthAreOneCurvePerLength: with several load levels
// per sample group, each group's levels are a load curve of their own.
func TestLoadLevelsPerLengthAreOneCurvePerLength(t *testing.T) {
	exp := &config.Experiment{Baseline: "a", Params: config.Params{Temperature: []float64{0}},
		Platforms: []config.Platform{{Name: "a", Models: []string{"m"}, SampleGroups: lengthGroups, Levels: levels("c=1", 1, "c=8", 8)}}}
	var groups []results.GroupStats
	for _, lv := range exp.Platforms[0].RunLevels(nil) {
		groups = append(groups, results.GroupStats{GroupKey: results.GroupKey{Platform: "a", Model: "m", Level: lv.Label}, Count: 4, Successes: 4, WallSeconds: 1})
	}
	sw := Sweep(exp, groups, "a")
	if sw == nil || len(sw.Curves) != 2 || sw.Curves[1].Level != "in=4096" || len(sw.Curves[1].Points) != 2 || sw.Curves[1].Points[1].Level != "in=4096 c=8" {
		t.Fatalf("sweep %+v", sw)
	}
}
