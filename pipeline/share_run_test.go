package pipeline

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/results"
	"github.com/inferbench/inferbench/pipeline/runfolder"
)

// jobQuerier answers every cell at once and remembers each job.
type jobQuerier struct {
	mu   sync.Mutex
	jobs map[string]QueryJob
}

func (q *jobQuerier) Query(_ context.Context, job QueryJob, emit func(results.Record)) (QueryReport, error) {
	var cells []results.Cell // the job's generated cells, kept for the tests to read
	for c := range job.EachCell() {
		cells = append(cells, *c)
	}
	job.Cells, job.Source = cells, nil
	q.mu.Lock()
	q.jobs[job.Platform.Name] = job
	q.mu.Unlock()
	for _, c := range job.Cells {
		emit(results.Record{CellKey: c.CellKey, Seq: c.Seq})
	}
	return QueryReport{}, nil
}

func shareRegistry(q Querier, questions int) *Registry {
	reg := NewRegistry()
	reg.AddLoader("mem", LoaderFunc(func(context.Context, config.DatasetSpec, LoadEnv) (*config.Dataset, error) {
		ds := &config.Dataset{Total: questions}
		for i := range questions {
			ds.Samples = append(ds.Samples, config.Sample{ID: fmt.Sprintf("q%02d", i), Question: "?"})
		}
		return ds, nil
	}))
	reg.Querier = q
	reg.Scorer = func(config.ScoreSpec, string) (Scorer, error) { return noScore{}, nil }
	reg.Aggregate = sliceAggregator(func(context.Context, *config.Experiment, []results.Record) (*results.Results, error) {
		return &results.Results{}, nil
	})
	return reg
}

func TestShardsSendTheirShareOfEachLevelAndTheManifestRecordsIt(t *testing.T) {
	base := t.TempDir()
	exp := &config.Experiment{Name: "s", Repeats: 1, Dataset: config.DatasetSpec{Source: "mem"}, Params: config.Params{Temperature: []float64{0}},
		Export: config.ExportSpec{Dir: base, Formats: []string{}}, Platforms: []config.Platform{
			{Name: "closed", Models: []string{"m"}, Concurrency: 8},
			{Name: "open", Models: []string{"m"}, Rate: 9, Arrival: "poisson"},
			{Name: "single", Models: []string{"m"}, Concurrency: 1},
		}}
	want := map[string][3]string{ // per shard: concurrency, rate, cells of 24
		"closed": {"c3 r0 n9", "c3 r0 n9", "c2 r0 n6"},
		"open":   {"c0 r3 n8", "c0 r3 n8", "c0 r3 n8"},
		"single": {"c1 r0 n24", "", ""},
	}
	seen := map[string]map[int]int{} // platform -> seq -> shard
	for i := range 3 {
		q := &jobQuerier{jobs: map[string]QueryJob{}}
		run, err := (&Engine{Registry: shareRegistry(q, 24)}).Run(context.Background(), exp, RunOptions{Shard: runfolder.Shard{Index: i, Count: 3}})
		if err != nil {
			t.Fatal(err)
		}
		for name, w := range want {
			job, ok := q.jobs[name]
			got := ""
			if ok {
				got = fmt.Sprintf("c%d r%g n%d", job.Platform.Concurrency, job.Platform.Rate, len(job.Cells))
			}
			if got != w[i] {
				t.Errorf("shard %d/3 of %s sent %q, want %q", i, name, got, w[i])
			}
			if name == "open" && ok && (job.Stripe == nil || job.Stripe.Rate != 9 || job.Stripe.Hit(0) != uint64(i) || job.Stripe.Hit(1) != uint64(i+3)) {
				t.Errorf("shard %d/3 of the open-loop level: stripe %+v, want hits %d, %d... of the rate-9 schedule", i, job.Stripe, i, i+3)
			}
			for _, c := range job.Cells {
				if seen[name] == nil {
					seen[name] = map[int]int{}
				}
				if prev, dup := seen[name][c.Seq]; dup {
					t.Errorf("%s cell %d sent by shards %d and %d", name, c.Seq, prev, i)
				}
				seen[name][c.Seq] = i
			}
		}
		m := run.Manifest
		if m.Shard == nil || m.Shard.Segment != fmt.Sprintf("%d/3:%d/3", i, i+1) || len(m.Shard.Levels) != 3 {
			t.Fatalf("shard %d manifest: %+v", i, m.Shard)
		}
		closed := m.Shard.Levels[0]
		wantSeg := []string{"0/8:3/8", "3/8:6/8", "6/8:8/8"}[i]
		if closed.Platform != "closed" || closed.Segment != wantSeg || closed.Concurrency != []int{3, 3, 2}[i] || closed.Cells != []int{9, 9, 6}[i] {
			t.Errorf("shard %d: closed level recorded as %+v", i, closed)
		}
		if open := m.Shard.Levels[1]; open.Rate != 3 || open.Segment != fmt.Sprintf("%d/3:%d/3", i, i+1) {
			t.Errorf("shard %d: open level recorded as %+v", i, open)
		}
		if m.CellTotal != []int{9 + 8 + 24, 9 + 8, 6 + 8}[i] {
			t.Errorf("shard %d: cell_total %d", i, m.CellTotal)
		}
	}
	for name, s := range seen {
		if len(s) != 24 {
			t.Errorf("%s: the shards sent %d of its 24 cells", name, len(s))
		}
	}
}
