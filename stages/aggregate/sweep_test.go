package aggregate

import (
	"strings"
	"testing"
	"time"

	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/results"
)

// curve builds a curve of platform over levels c=1, c=8, c=24 with the
// given median E2E latencies (ms).
func curve(platform string, e2e ...float64) results.SweepCurve {
	c := results.SweepCurve{GroupKey: results.GroupKey{Platform: platform, Model: "m"}}
	for i, l := range []string{"c=1", "c=8", "c=24"}[:len(e2e)] {
		c.Points = append(c.Points, results.SweepPoint{Level: l, E2EP50: e2e[i]})
	}
	return c
}

func TestFindCrossoverSaysFromWhichLevelAPlatformWins(t *testing.T) {
	base := curve("metis", 50, 300, 900)
	tests := []struct {
		name        string
		c           results.SweepCurve
		from, until string
		statement   string
	}{
		{"a platform slower alone and faster under load wins from the first level it is faster at",
			curve("sophia", 120, 130, 160), "c=8", "", "sophia is faster than metis from c=8 up"},
		{"a platform faster alone and slower under load wins up to its last faster level",
			curve("sophia", 40, 400, 1000), "", "c=1", "metis is faster than sophia from c=8 up (median E2E); sophia is faster up to c=1"},
		{"a platform faster at every level has no crossover",
			curve("sophia", 40, 200, 800), "", "", "sophia is faster than metis at every load level both ran with data (median E2E); no crossover; compared at c=1, c=8, c=24"},
		{"a platform slower at every level has no crossover either",
			curve("sophia", 60, 310, 901), "", "", "metis is faster than sophia at every load level both ran with data"},
		{"an order that changes twice names the levels where the platform is faster",
			curve("sophia", 60, 200, 950), "", "", "the order changes 2 times: sophia is faster than metis at c=8 only"},
		{"levels without a successful request are left out",
			results.SweepCurve{GroupKey: results.GroupKey{Platform: "sophia"}, Points: []results.SweepPoint{{Level: "c=1"}, {Level: "c=8", E2EP50: 100}, {Level: "c=24", E2EP50: 100}}},
			"", "", "sophia is faster than metis at every load level both ran with data (median E2E); no crossover; compared at c=8, c=24; not compared (not run with a successful request by both): c=1"},
		{"levels only one platform ran are named and left out",
			curve("sophia", 40, 200), "", "", "sophia is faster than metis at every load level both ran with data (median E2E); no crossover; compared at c=1, c=8; not compared (not run with a successful request by both): c=24"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := FindCrossover(tt.c, base)
			if x.From != tt.from || x.Until != tt.until || !strings.Contains(x.Statement, tt.statement) {
				t.Errorf("crossover = from %q until %q %q, want from %q until %q %q", x.From, x.Until, x.Statement, tt.from, tt.until, tt.statement)
			}
		})
	}
}

func TestBestLevelIsTheHighestThroughputWithinEverySLO(t *testing.T) {
	points := []results.SweepPoint{
		{Level: "c=1", RequestThroughput: 5, TTFTP99: 100, E2EP99: 400},
		{Level: "c=8", RequestThroughput: 30, TTFTP99: 300, E2EP99: 900},
		{Level: "c=24", RequestThroughput: 60, TTFTP99: 900, E2EP99: 2500},
		{Level: "c=64", RequestThroughput: 80, TTFTP99: 100, E2EP99: 100, Saturated: true},
	}
	ms := func(n int) config.Duration { return config.Duration(time.Duration(n) * time.Millisecond) }
	tests := []struct {
		name string
		slo  config.SLOSpec
		want string
	}{
		{"no SLO means no best level", config.SLOSpec{}, ""},
		{"an E2E SLO keeps the levels whose p99 meets it", config.SLOSpec{E2E: ms(1000)}, "c=8"},
		{"every SLO set must hold", config.SLOSpec{E2E: ms(3000), TTFT: ms(500)}, "c=8"},
		{"a loose SLO picks the highest throughput, never a saturated level", config.SLOSpec{E2E: ms(3000)}, "c=24"},
		{"an SLO no level meets gives none", config.SLOSpec{TTFT: ms(50)}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := results.BestLevel(points, tt.slo); got != tt.want {
				t.Errorf("best = %q, want %q", got, tt.want)
			}
		})
	}
}

// levels is a resolved load block of closed-loop levels given as label,
// concurrency pairs (aggregate reads only the resolved levels).
func levels(pairs ...any) *config.LevelsSpec {
	l := &config.LevelsSpec{Type: "concurrency"}
	for i := 0; i+1 < len(pairs); i += 2 {
		l.Resolved = append(l.Resolved, config.Level{Label: pairs[i].(string), Concurrency: pairs[i+1].(int)})
	}
	return l
}

func TestSweepBuildsOneCurvePerPlatformAndComparesItWithTheBaseline(t *testing.T) {
	exp := &config.Experiment{Baseline: "metis", Params: config.Params{Temperature: []float64{0}},
		Platforms: []config.Platform{
			{Name: "metis", Models: []string{"a"}, Levels: levels("c=1", 1, "c=8", 8)},
			{Name: "sophia", Models: []string{"b"}, Levels: levels("c=1", 1, "c=8", 8)},
		}}
	g := func(p, m, load string, e2e float64) results.GroupStats {
		return results.GroupStats{GroupKey: results.GroupKey{Platform: p, Model: m, Level: load}, Count: 4, Successes: 4, WallSeconds: 2, RequestThroughput: 2,
			LatencyMs: results.Dist{N: 4, P50: e2e}}
	}
	groups := []results.GroupStats{g("metis", "a", "c=1", 50), g("metis", "a", "c=8", 400), g("sophia", "b", "c=1", 100), g("sophia", "b", "c=8", 150)}
	sw := Sweep(exp, groups, "metis")
	if sw == nil || len(sw.Curves) != 2 {
		t.Fatalf("sweep = %+v", sw)
	}
	if p := sw.Curves[1].Points[1]; p.Level != "c=8" || p.Concurrency != 8 || p.RequestThroughput != 2 {
		t.Errorf("sophia c=8 point = %+v", p)
	}
	if len(sw.Crossovers) != 1 || sw.Crossovers[0].From != "c=8" || sw.Crossovers[0].Baseline.Model != "a" {
		t.Errorf("crossovers = %+v, want sophia faster from c=8 against metis's model at the same position", sw.Crossovers)
	}
	exp.Platforms[0].Levels, exp.Platforms[1].Levels = nil, nil
	if Sweep(exp, groups, "metis") != nil {
		t.Error("an experiment with one level per platform has no sweep")
	}
}

func TestSweepMarksTheKneeOfAClosedLoopCurveSaturated(t *testing.T) {
	exp := &config.Experiment{Baseline: "metis", Params: config.Params{Temperature: []float64{0}},
		SLO: config.SLOSpec{E2E: config.Duration(5 * time.Second), MaxErrorRate: 0.01},
		Platforms: []config.Platform{
			{Name: "metis", Models: []string{"a"}, Levels: levels("c=1", 1, "c=8", 8, "c=24", 24)},
			{Name: "sophia", Models: []string{"b"}, Levels: levels("c=1", 1, "c=8", 8, "c=24", 24)},
		}}
	// successes over 10 s of sending: the request throughput x 10.
	g := func(p, m, load string, ok int, e2e float64) results.GroupStats {
		return results.GroupStats{GroupKey: results.GroupKey{Platform: p, Model: m, Level: load}, Count: ok, Successes: ok, WallSeconds: 10,
			RequestThroughput: float64(ok) / 10, LatencyMs: results.Dist{N: ok, P50: e2e}}
	}
	groups := []results.GroupStats{
		// metis plateaus at 10 req/s from c=8 while its latency grows 8x, then 3x.
		g("metis", "a", "c=1", 100, 100), g("metis", "a", "c=8", 105, 800), g("metis", "a", "c=24", 106, 2400),
		// sophia scales: more throughput for more latency is no knee.
		g("sophia", "b", "c=1", 50, 200), g("sophia", "b", "c=8", 300, 260), g("sophia", "b", "c=24", 320, 290),
	}
	sw := Sweep(exp, groups, "metis")
	metis, sophia := sw.Curves[0].Points, sw.Curves[1].Points
	if metis[0].Saturated || !metis[1].Saturated || !metis[2].Saturated {
		t.Errorf("metis saturated = %v %v %v, want c=8 and c=24 past the knee", metis[0].Saturated, metis[1].Saturated, metis[2].Saturated)
	}
	if want := "saturated (knee): request throughput +5% over c=1 (less than +10%) while median E2E +700% (more than +50%)"; metis[1].SaturatedReason != want {
		t.Errorf("metis c=8 reason = %q, want %q", metis[1].SaturatedReason, want)
	}
	for _, p := range sophia {
		if p.Saturated {
			t.Errorf("sophia %s marked saturated: %s", p.Level, p.SaturatedReason)
		}
	}
	if b := sw.Curves[0].Best; b != "c=1" {
		t.Errorf("metis best = %q, want c=1: a level past the knee is never best", b)
	}
	// The thresholds are the load block's.
	exp.Platforms[0].Levels.KneeLatencyGrowth = 5
	sw = Sweep(exp, groups, "metis")
	if p := sw.Curves[0].Points; !p[1].Saturated || p[2].Saturated {
		t.Errorf("with knee_latency_growth 5, saturated = %v %v, want c=8 (+700%%) and not c=24 (+200%%)", p[1].Saturated, p[2].Saturated)
	}
}

func TestBestLevelNeedsAnErrorRateWithinTheSLO(t *testing.T) {
	points := []results.SweepPoint{
		{Level: "c=1", RequestThroughput: 5, E2EP99: 400},
		{Level: "c=8", RequestThroughput: 30, E2EP99: 600, ErrorRate: 0.01},
		{Level: "c=24", RequestThroughput: 60, E2EP99: 900, ErrorRate: 0.208},
	}
	slo := config.SLOSpec{E2E: config.Duration(time.Second), MaxErrorRate: 0.01}
	if got := results.BestLevel(points, slo); got != "c=8" {
		t.Errorf("best = %q, want c=8: c=24 failed 20.8%% of its requests", got)
	}
	slo.MaxErrorRate = 0
	if got := results.BestLevel(points, slo); got != "c=1" {
		t.Errorf("best with max_error_rate 0 = %q, want c=1", got)
	}
}
