package pipeline

import (
	"math"
	"testing"

	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/runfolder"
)

// sharesOf returns the n shards' shares of lv.
func sharesOf(lv config.Level, n int) []*LevelShare {
	out := make([]*LevelShare, n)
	for i := range n {
		out[i] = LevelShareOf(runfolder.Shard{Index: i, Count: n}, lv)
	}
	return out
}

func TestShardsSplitAConcurrencyLevelLikeK6Segments(t *testing.T) {
	cases := []struct {
		c, n int
		want []int
	}{
		{8, 2, []int{4, 4}},
		{8, 3, []int{3, 3, 2}},
		{1, 3, []int{1, 0, 0}},
		{5, 4, []int{2, 1, 1, 1}},
		{24, 5, []int{5, 5, 5, 5, 4}},
	}
	for _, tc := range cases {
		sh := sharesOf(config.Level{Label: "c", Concurrency: tc.c}, tc.n)
		for i, s := range sh {
			if s.Concurrency != tc.want[i] || s.Rate != 0 {
				t.Errorf("c=%d over %d shards: shard %d has concurrency %d rate %g, want %d", tc.c, tc.n, i, s.Concurrency, s.Rate, tc.want[i])
			}
		}
	}
	if got := sharesOf(config.Level{Concurrency: 8}, 3)[1].Segment; got != "3/8:6/8" {
		t.Errorf("segment of shard 1/3 of c=8: %q, want 3/8:6/8", got)
	}
	if got := sharesOf(config.Level{Rate: 10}, 4)[1].Segment; got != "1/4:2/4" {
		t.Errorf("segment of shard 1/4 of an uncapped rate: %q, want 1/4:2/4", got)
	}
}

func TestShardsSplitRatesSoThatTheyAddUpToTheLevel(t *testing.T) {
	for _, lv := range []config.Level{{Rate: 10}, {Rate: 7.3}, {Rate: 0.1, Concurrency: 3}, {Rate: 1e6 / 7, Concurrency: 16}, {Rate: 2.5, Concurrency: 1}} {
		for n := 1; n <= 7; n++ {
			sum, conc := 0.0, 0
			for _, s := range sharesOf(lv, n) {
				sum += s.Rate
				conc += s.Concurrency
				if s.Concurrency == 0 && lv.Concurrency > 0 && s.Rate != 0 {
					t.Errorf("%+v over %d: a shard without an in-flight slot got rate %g", lv, n, s.Rate)
				}
			}
			if math.Abs(sum-lv.Rate) > 1e-12*lv.Rate {
				t.Errorf("%+v over %d shards: rates add up to %.17g", lv, n, sum)
			}
			if conc != lv.Concurrency {
				t.Errorf("%+v over %d shards: caps add up to %d", lv, n, conc)
			}
		}
	}
	if s := sharesOf(config.Level{Rate: 10}, 4); s[0].Rate != 2.5 || s[3].Rate != 2.5 {
		t.Errorf("rate 10 over 4 shards: %g, %g", s[0].Rate, s[3].Rate)
	}
}

func TestALevelsCellsGoToShardsInProportionToTheirShare(t *testing.T) {
	cases := []struct {
		lv    config.Level
		n     int
		cells int
		want  []int
	}{
		{config.Level{Concurrency: 8}, 2, 24, []int{12, 12}},
		{config.Level{Concurrency: 8}, 3, 24, []int{9, 9, 6}},
		{config.Level{Concurrency: 8}, 3, 8, []int{3, 3, 2}},
		{config.Level{Concurrency: 1}, 3, 24, []int{24, 0, 0}},
		{config.Level{Rate: 5}, 4, 10, []int{3, 3, 2, 2}},
		{config.Level{Rate: 5, Concurrency: 2}, 3, 10, []int{5, 5, 0}},
	}
	for _, tc := range cases {
		owner := make([]int, tc.cells)
		for i := range owner {
			owner[i] = -1
		}
		for si, s := range sharesOf(tc.lv, tc.n) {
			got := 0
			for i := range tc.cells {
				if s.Has(i) {
					if owner[i] >= 0 {
						t.Fatalf("%+v over %d: cell %d is in shards %d and %d", tc.lv, tc.n, i, owner[i], si)
					}
					owner[i] = si
					got++
				}
			}
			if got != tc.want[si] || s.CellsOf(tc.cells) != got {
				t.Errorf("%+v over %d shards, %d cells: shard %d gets %d (counted %d), want %d", tc.lv, tc.n, tc.cells, si, got, s.CellsOf(tc.cells), tc.want[si])
			}
		}
		for i, o := range owner {
			if o < 0 {
				t.Errorf("%+v over %d: cell %d is in no shard", tc.lv, tc.n, i)
			}
		}
	}
}

func TestStripesCoverEveryPositionForAnySplit(t *testing.T) {
	for c := 1; c <= 40; c++ {
		for n := 1; n <= 9; n++ {
			shares := sharesOf(config.Level{Concurrency: c, Rate: 1}, n)
			const cells = 120
			for i := range cells {
				k := 0
				for _, s := range shares {
					if s.Has(i) {
						k++
					}
				}
				if k != 1 {
					t.Fatalf("c=%d n=%d: cell %d is in %d shards", c, n, i, k)
				}
			}
			for si, s := range shares {
				// The k-th cell a shard sends is the Hit(k)-th of the level's schedule.
				k := 0
				for i := range cells {
					if s.Has(i) {
						if h := s.Hit(k); h != i {
							t.Fatalf("c=%d n=%d shard %d: hit %d is %d, want %d", c, n, si, k, h, i)
						}
						k++
					}
				}
			}
		}
	}
}
