package pipeline

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/results"
)

// A resumed level sized by duration runs for what is left of its time,
// and a warmup given as a duration starts again with it: the requests the
// resumed level sends in its first W are warmups, since after the
// downtime the load ramps up from cold again (the README says why).
func TestAResumedTimedLevelWarmsUpAgain(t *testing.T) {
	p := withLoad(config.Platform{Name: "p", Models: []string{"m"}}, &testLoad{conc: []int{2}},
		config.LevelsSpec{Duration: config.Duration(time.Hour), Warmup: config.LevelWarmup{Duration: config.Duration(10 * time.Minute)}})
	exp := &config.Experiment{Name: "x", Repeats: 1, Params: config.Params{Temperature: []float64{0}}, Platforms: []config.Platform{p}}
	plan, err := BuildPlan(context.Background(), exp, []config.Sample{{ID: "q1", Question: "?"}, {ID: "q2", Question: "?"}})
	if err != nil {
		t.Fatal(err)
	}
	src := plan.Jobs[0].Cells.Source(0, plan.Jobs[0].Cells.Len(), nil)
	q := &boundedQuerier{max: 6}
	lr := &levelRunner{querier: q, job: QueryJob{Platform: p, Source: src}, spent: map[string]time.Duration{"": 45 * time.Minute},
		setRates: func([]float64) {}}
	var mu sync.Mutex
	var warm, measured int
	if _, _, err := lr.run(context.Background(), func(r results.Record) {
		mu.Lock()
		defer mu.Unlock()
		if r.Warmup {
			warm++
		} else {
			measured++
		}
	}); err != nil {
		t.Fatal(err)
	}
	if q.maxDuration != config.Duration(15*time.Minute) {
		t.Errorf("the resumed level runs for %v, want the 15m left of its hour", q.maxDuration)
	}
	if warm != 6 || measured != 0 {
		t.Errorf("%d warmups and %d measured requests sent in the first minutes after the resume, want every one a warmup", warm, measured)
	}
}

// boundedQuerier sends the first max cells of a job at once and records
// the job's MaxDuration.
type boundedQuerier struct {
	max         int
	maxDuration config.Duration
}

func (q *boundedQuerier) Query(_ context.Context, job QueryJob, emit func(results.Record)) (QueryReport, error) {
	q.maxDuration = job.Platform.MaxDuration
	n := 0
	for c := range job.EachCell() {
		if n == q.max {
			break
		}
		n++
		emit(results.Record{CellKey: c.CellKey, StartedAt: time.Now()})
	}
	return QueryReport{StopReason: "max_duration"}, nil
}
