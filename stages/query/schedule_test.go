package query

import (
	"math"
	"testing"
	"time"
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
		}{
			{"constant", ConstantPacer{Rate: rate}, 0},
			{"poisson", NewPoissonPacer(rate, 9), 1},
			{"gamma shape 0.25", NewGammaPacer(rate, 0.25, 9), 2},
			{"gamma shape 4", NewGammaPacer(rate, 4, 9), 0.5},
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
			if math.Abs(mean*rate-1) > 0.01 {
				t.Errorf("%s: mean gap %.6fs, want %.6fs", c.name, mean, 1/rate)
			}
			if math.Abs(sd/mean-c.cv) > 0.03 {
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
