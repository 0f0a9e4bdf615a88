package query

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/inferbench/inferbench/pipeline"
	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/results"
)

func TestPacers(t *testing.T) {
	t.Run("the same seed gives the same send offsets", func(t *testing.T) {
		a, b, c := NewPoissonPacer(100, 42), NewPoissonPacer(100, 42), NewPoissonPacer(100, 43)
		same := 0
		for i := uint64(0); i < 200; i++ {
			if a.Due(i) != b.Due(i) {
				t.Fatalf("hit %d: %v != %v", i, a.Due(i), b.Due(i))
			}
			if a.Due(i) == c.Due(i) {
				same++
			}
		}
		if same > 1 { // only hit 0, at offset 0
			t.Errorf("a different seed shares %d offsets", same)
		}
	})
	t.Run("poisson gaps are the seeded source's exponential draws over the rate", func(t *testing.T) {
		const rate = 250.0
		p := NewPoissonPacer(rate, 42)
		r := rand.New(rand.NewPCG(42, 0x9e3779b97f4a7c15))
		var due float64
		for i := uint64(1); i <= 1000; i++ {
			due += r.ExpFloat64() / rate
			if got, want := p.Due(i), time.Duration(due*float64(time.Second)); got != want {
				t.Fatalf("hit %d due at %v, want %v", i, got, want)
			}
		}
	})
	t.Run("a non-positive rate stops at once", func(t *testing.T) {
		for _, p := range []Pacer{NewPoissonPacer(0, 1), NewGammaPacer(-1, 2, 1)} {
			if _, stop := p.Pace(0, 0); !stop {
				t.Errorf("%T does not stop", p)
			}
		}
	})
	t.Run("the first hit is due at once and offsets increase", func(t *testing.T) {
		for _, p := range []Scheduler{ConstantPacer{Rate: 10}, NewPoissonPacer(10, 1), NewGammaPacer(10, 0.5, 1), NewGammaPacer(10, 4, 1)} {
			if p.Due(0) != 0 {
				t.Errorf("%T: first hit due at %v", p, p.Due(0))
			}
			for i := uint64(1); i < 100; i++ {
				if p.Due(i) < p.Due(i-1) {
					t.Fatalf("%T: hit %d before hit %d", p, i, i-1)
				}
			}
		}
	})
	t.Run("the mean gap is 1/rate for every arrival law", func(t *testing.T) {
		const n, rate = 200000, 500.0
		for _, c := range []struct {
			name string
			p    Scheduler
			cv   float64 // coefficient of variation of the gaps: 1/sqrt(shape)
			// meanTol and cvTol are about four standard errors of the
			// estimates over n gaps (heavier tails for smaller shapes).
			meanTol, cvTol float64
		}{
			{"constant", ConstantPacer{Rate: rate}, 0, 0.01, 0.03},
			{"poisson", NewPoissonPacer(rate, 9), 1, 0.01, 0.03},
			{"gamma shape 0.25", NewGammaPacer(rate, 0.25, 9), 2, 0.02, 0.06},
			{"gamma shape 0.1, below gonum's small-shape threshold", NewGammaPacer(rate, 0.1, 9), math.Sqrt(10), 0.03, 0.12},
			{"gamma shape 4", NewGammaPacer(rate, 4, 9), 0.5, 0.01, 0.03},
		} {
			var sum, sq float64
			prev := c.p.Due(0)
			for i := uint64(1); i <= n; i++ {
				d := c.p.Due(i)
				g := (d - prev).Seconds()
				sum, sq, prev = sum+g, sq+g*g, d
			}
			mean := sum / n
			sd := math.Sqrt(sq/n - mean*mean)
			if math.Abs(mean*rate-1) > c.meanTol {
				t.Errorf("%s: mean gap %.6fs, want %.6fs", c.name, mean, 1/rate)
			}
			if math.Abs(sd/mean-c.cv) > c.cvTol {
				t.Errorf("%s: gap CV %.3f, want %.3f", c.name, sd/mean, c.cv)
			}
		}
	})
	t.Run("Pace waits until the hit is due and never when late", func(t *testing.T) {
		p := ConstantPacer{Rate: 10}
		if w, stop := p.Pace(50*time.Millisecond, 1); w != 50*time.Millisecond || stop {
			t.Errorf("Pace = %v, %v", w, stop)
		}
		if w, _ := p.Pace(time.Second, 1); w != 0 {
			t.Errorf("late Pace = %v", w)
		}
		if _, stop := (ConstantPacer{}).Pace(0, 0); !stop {
			t.Error("a zero rate does not stop")
		}
	})
}

// BenchmarkArrivalPacerDue is the cost of scheduling one hit: one
// inter-arrival draw and one append, for each arrival law.
func BenchmarkArrivalPacerDue(b *testing.B) {
	for _, c := range []struct {
		name  string
		shape float64
	}{{"poisson", 1}, {"gamma shape 0.25", 0.25}, {"gamma shape 4", 4}} {
		b.Run(c.name, func(b *testing.B) {
			p := NewGammaPacer(500, c.shape, 1)
			b.ReportAllocs()
			var i uint64
			for b.Loop() {
				p.Due(i)
				i++
			}
		})
	}
}

func TestEachLoadLevelDrawsItsOwnArrivals(t *testing.T) {
	job := func(rate float64, label string) pipeline.QueryJob {
		j := pipeline.QueryJob{Seed: 7, Platform: config.Platform{Rate: rate, Arrival: "poisson"}}
		for i := range 50 {
			j.Cells = append(j.Cells, results.Cell{Seq: i, CellKey: results.CellKey{Level: label}})
		}
		return j
	}
	// Due(i) x rate is the schedule in units of the mean gap: one draw
	// rescaled to every rate would make it the same at every level (and
	// every level would reach the same fraction of its target).
	normalised := func(s Scheduler, rate float64, n int) []float64 {
		out := make([]float64, n)
		for i := range out {
			out[i] = s.Due(uint64(i)).Seconds() * rate
		}
		return out
	}
	r2 := normalised(levelPacer(job(2, "r=2")), 2, 50)
	r8 := normalised(levelPacer(job(8, "r=8")), 8, 50)
	same := 0
	for i := 1; i < 50; i++ {
		if math.Abs(r2[i]-r8[i]) < 1e-6 {
			same++
		}
	}
	if same > 0 {
		t.Errorf("levels r=2 and r=8 share %d of 49 normalised send offsets: one draw reused", same)
	}
	again := normalised(levelPacer(job(8, "r=8")), 8, 50)
	for i := range again {
		if again[i] != r8[i] {
			t.Fatalf("the same seed and level give another schedule at hit %d", i)
		}
	}
	// A platform's only level (label "") keeps the run seed's schedule.
	one := normalised(levelPacer(job(8, "")), 8, 50)
	plain := normalised(NewPoissonPacer(8, 7), 8, 50)
	for i := range one {
		if one[i] != plain[i] {
			t.Fatalf("a single-level schedule changed at hit %d", i)
		}
	}
}

// The engine's jobs generate their cells (QueryJob.Source) instead of
// listing them: a level's schedule must still be drawn for that level.
func TestALevelOfGeneratedCellsDrawsItsOwnArrivals(t *testing.T) {
	e, diags := config.LoadExperiment("testdata/loadlevels.good.yaml", config.LoadOptions{Registry: loadRegistry()})
	if len(diags) > 0 {
		t.Fatalf("diagnostics:\n%v", diags)
	}
	samples := []config.Sample{{ID: "q1", Question: "?", Context: "c"}, {ID: "q2", Question: "?", Context: "c"}}
	plan, err := pipeline.BuildPlan(context.Background(), e, samples)
	if err != nil {
		t.Fatal(err)
	}
	open := plan.Jobs[1] // rate: [2, 8.5]
	for _, label := range []string{"r=2", "r=8.5"} {
		lo, hi := open.Cells.LevelRange(label)
		src := open.Cells.Source(lo, hi, nil)
		generated := levelPacer(pipeline.QueryJob{Seed: 7, Platform: e.Platforms[1], Source: src})
		listed := pipeline.QueryJob{Seed: 7, Platform: e.Platforms[1]}
		for c := range src.All() {
			listed.Cells = append(listed.Cells, *c)
		}
		want := levelPacer(listed)
		for i := range uint64(20) {
			if g, w := generated.Due(i), want.Due(i); g != w {
				t.Fatalf("level %s, hit %d: generated cells are sent at %v, listed ones at %v (the level's own draw)", label, i, g, w)
			}
		}
	}
}
