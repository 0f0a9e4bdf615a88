package pipeline

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/results"
	"github.com/inferbench/inferbench/pipeline/runfolder"
)

func TestMergeInterleavesTheShardsScrapesOfOneServerInTimeOrder(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f := func(v float64) *float64 { return &v }
	// Two shards scrape the same server; its preemption counter grows 0..3.
	write := func(dir string, samples ...results.ServerSample) shardRun {
		l := runfolder.NewServerMetricsLog(filepath.Join(dir, runfolder.ServerMetricsFile))
		for _, s := range samples {
			if err := l.Append(s); err != nil {
				t.Fatal(err)
			}
		}
		l.Close()
		return shardRun{dir: dir}
	}
	a := write(t.TempDir(), results.ServerSample{Time: t0, Platform: "p", Preemptions: f(0)}, results.ServerSample{Time: t0.Add(2 * time.Second), Platform: "p", Preemptions: f(2)})
	b := write(t.TempDir(), results.ServerSample{Time: t0.Add(time.Second), Platform: "p", Preemptions: f(1)}, results.ServerSample{Time: t0.Add(3 * time.Second), Platform: "p", Preemptions: f(3)})
	none := shardRun{dir: t.TempDir()}
	out := t.TempDir()
	if err := writeMergedServerMetrics(out, []shardRun{a, none, b}); err != nil {
		t.Fatal(err)
	}
	got, _, err := runfolder.ReadServerMetrics(filepath.Join(out, runfolder.ServerMetricsFile))
	if err != nil || len(got) != 4 {
		t.Fatalf("%d samples, %v", len(got), err)
	}
	for i, s := range got {
		if *s.Preemptions != float64(i) {
			t.Errorf("sample %d has %v preemptions: not in time order", i, *s.Preemptions)
		}
	}
	if p := results.SummariseServerMetrics(got)[results.ServerKey{Platform: "p"}].Preemptions; *p != 3 {
		t.Errorf("merged preemptions %v, want 3 (not one shard's count after the other's)", *p)
	}
	if err := writeMergedServerMetrics(t.TempDir(), []shardRun{none}); err != nil {
		t.Errorf("shards without scrapes: %v", err)
	}
}

// scrapingQuerier tells the job's ServerMetrics one scrape per level,
// carrying the level's concurrency as its running figure.
type scrapingQuerier struct{ levelQuerier }

func (q *scrapingQuerier) Query(ctx context.Context, job QueryJob, emit func(results.Record)) (QueryReport, error) {
	if job.ServerMetrics != nil {
		running := float64(job.Platform.Concurrency)
		job.ServerMetrics(results.ServerSample{Time: time.Now(), Running: &running, Platform: "ignored", Level: "ignored"})
	}
	return q.levelQuerier.Query(ctx, job, emit)
}

func TestTheLevelRunnerLabelsEachScrapeWithItsPlatformAndLevel(t *testing.T) {
	p := withLoad(config.Platform{Name: "p", Models: []string{"m"}}, &testLoad{conc: []int{1, 8}}, config.LevelsSpec{})
	exp := &config.Experiment{Name: "x", Repeats: 1, Params: config.Params{Temperature: []float64{0}}, Platforms: []config.Platform{p}}
	samples := []config.Sample{{ID: "q1", Question: "?"}, {ID: "q2", Question: "?"}}
	plan, err := BuildPlan(context.Background(), exp, samples)
	if err != nil {
		t.Fatal(err)
	}
	var got []results.ServerSample
	lr := &levelRunner{querier: &scrapingQuerier{}, job: QueryJob{Platform: p, Cells: plan.Jobs[0].Cells.Slice()},
		server: func(s results.ServerSample) { got = append(got, s) }}
	if _, _, err := lr.run(context.Background(), func(results.Record) {}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Platform != "p" || got[0].Level != "c=1" || *got[0].Running != 1 || got[1].Level != "c=8" || *got[1].Running != 8 {
		t.Errorf("scrapes %+v", got)
	}
}
