package query

import (
	"slices"
	"testing"
	"time"

	"github.com/inferbench/inferbench/pipeline"
	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/runfolder"
)

// The shards of an open-loop level send, together, exactly the one
// schedule a single process would: each its own hits of it.
func TestShardsSendTheirHitsOfTheLevelsOneSchedule(t *testing.T) {
	for _, arrival := range []string{"constant", "poisson", "gamma"} {
		for _, lv := range []config.Level{{Rate: 9}, {Rate: 9, Concurrency: 5}} {
			const n, hits = 3, 60
			one := newPacer(lv.Rate, arrival, 0.5, 11)
			var want, got []time.Duration
			for h := range hits {
				want = append(want, one.Due(uint64(h)))
			}
			for i := range n {
				st := pipeline.LevelShareOf(runfolder.Shard{Index: i, Count: n}, lv).Stripe()
				if st == nil {
					continue
				}
				p := stripedPacer{newPacer(st.Rate, arrival, 0.5, 11), st}
				for k := uint64(0); ; k++ {
					d := p.Due(k)
					if st.Hit(k) >= hits {
						break
					}
					got = append(got, d)
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("%s %+v: the shards' sends are not the one schedule:\n%v\n%v", arrival, lv, got, want)
			}
		}
	}
}
