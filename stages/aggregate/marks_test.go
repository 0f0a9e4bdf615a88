package aggregate

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/inferbench/inferbench/pipeline"
	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/results"
	"github.com/inferbench/inferbench/pipeline/runfolder"
)

// fakeClock is the wall clock of a test run: it moves only when told.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// streamQuerier is one stream answering each request in exactly one second
// of the fake clock. After stopAfter requests (0: never) it cancels the
// run, as Ctrl-C or a kill would, and sends nothing more.
type streamQuerier struct {
	clock     *fakeClock
	stopAfter int
	cancel    context.CancelFunc
	sent      int
}

func (q *streamQuerier) Query(ctx context.Context, job pipeline.QueryJob, emit func(results.Record)) (pipeline.QueryReport, error) {
	for c := range job.EachCell() {
		if q.stopAfter > 0 && q.sent == q.stopAfter {
			q.cancel()
			return pipeline.QueryReport{StopReason: runfolder.StopInterrupted}, nil
		}
		r := results.Record{CellKey: c.CellKey, Seq: c.Seq, StartedAt: q.clock.Now(), Attempts: 1,
			TTFTMs: 100, LatencyMs: 1000, CloseMs: 1000, OutputTokens: 10, TokensPerSec: 10, FinishReason: "stop", Scored: true}
		q.clock.advance(time.Second)
		q.sent++
		emit(r)
	}
	return pipeline.QueryReport{}, nil
}

type noScorer struct{}

func (noScorer) Score(*results.Record, *config.Sample) {}

// A one-stream run of 10 one-second requests, stopped after 4, then 3 s
// of downtime, then --resume sending the other 6: the sending time is the
// 4 s of the run plus the 6 s of the resume, read from the marks each
// process wrote, so request throughput is 10 / 10 s. The gap inference
// counted the 3 s pause (shorter than 20 x the 1 s gap): 10 / 13 s.
func TestAStoppedAndResumedRunMeasuresOnlyItsSendingSpans(t *testing.T) {
	clock := &fakeClock{now: t0}
	reg := pipeline.NewRegistry()
	reg.AddLoader("mem", pipeline.LoaderFunc(func(context.Context, config.DatasetSpec, pipeline.LoadEnv) (*config.Dataset, error) {
		var ss []config.Sample
		for i := range 10 {
			ss = append(ss, config.Sample{ID: "q" + strconv.Itoa(i), Question: "?"})
		}
		return &config.Dataset{Samples: ss, Total: 10}, nil
	}))
	reg.Scorer = func(config.ScoreSpec, string) (pipeline.Scorer, error) { return noScorer{}, nil }
	reg.Aggregate = NewAccumulator
	exp := &config.Experiment{Name: "s", Repeats: 1, Seed: 1, Dataset: config.DatasetSpec{Source: "mem"},
		Params: config.Params{Temperature: []float64{0}}, Stats: config.StatsSpec{Bootstrap: 100, Confidence: 0.95},
		Export:    config.ExportSpec{Dir: t.TempDir(), Formats: []string{}},
		Platforms: []config.Platform{{Name: "p", Models: []string{"m"}, Concurrency: 1}}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	reg.Querier = &streamQuerier{clock: clock, stopAfter: 4, cancel: cancel}
	eng := &pipeline.Engine{Registry: reg, Now: clock.Now}
	run, err := eng.Run(ctx, exp, pipeline.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(run.Manifest.SendSpans); n != 1 || !run.Manifest.SendSpans[0].Stop.Equal(t0.Add(4*time.Second)) {
		t.Fatalf("marks after the stopped run %+v, want one from t0 to t0+4s", run.Manifest.SendSpans)
	}
	clock.advance(3 * time.Second)
	reg.Querier = &streamQuerier{clock: clock}
	again, err := eng.Run(context.Background(), exp, pipeline.RunOptions{ResumeDir: run.Dir})
	if err != nil {
		t.Fatal(err)
	}
	spans := again.Manifest.SendSpans
	if len(spans) != 2 || spans[1].Process != 2 || !spans[1].Start.Equal(t0.Add(7*time.Second)) || !spans[1].Stop.Equal(t0.Add(13*time.Second)) {
		t.Fatalf("marks after the resume %+v, want the run's and the resume's (process 2, t0+7s to t0+13s)", spans)
	}
	g := groupOf(t, again.Results, "p")
	if g.Successes != 10 || g.WallSeconds != 10 || g.RequestThroughput != 1 || g.SendRate != 1 || g.Throughput != 10 {
		t.Errorf("successes %d, sending time %v s, request throughput %v, send rate %v, %v tok/s; want 10, 10 s, 1, 1, 10",
			g.Successes, g.WallSeconds, g.RequestThroughput, g.SendRate, g.Throughput)
	}
}

// marked aggregates recs of sophia (platform of twoPlatforms) with the
// given sending marks.
func marked(t *testing.T, recs []results.Record, marks ...runfolder.SendSpan) *results.GroupStats {
	t.Helper()
	run := &pipeline.Run{Experiment: twoPlatforms(), Records: recs, Manifest: &runfolder.Manifest{SendSpans: marks}}
	res, _, err := pipeline.AggregateRun(context.Background(), NewAccumulator, run)
	if err != nil {
		t.Fatal(err)
	}
	return groupOf(t, res, "sophia")
}

func mark(process int, shard *int, from, to time.Duration) runfolder.SendSpan {
	s := runfolder.SendSpan{Platform: "sophia", Process: process, Shard: shard, Start: t0.Add(from)}
	if to >= 0 {
		s.Stop = t0.Add(to)
	}
	return s
}

func TestSendingTimeComesFromTheMarks(t *testing.T) {
	// One request a second, each closing after 1001 ms.
	oneStream := func(from time.Duration, first, n int) []results.Record {
		return session(t0.Add(from), first, n, time.Second)
	}
	t.Run("a process killed mid-level is closed at its last response before the next start", func(t *testing.T) {
		recs := append(oneStream(0, 0, 4), oneStream(7*time.Second, 4, 6)...)
		g := marked(t, recs, mark(1, nil, 0, -1), mark(2, nil, 7*time.Second, 13001*time.Millisecond))
		// 0 -> 3 s + 1.001 s, then 7 s -> 12 s + 1.001 s
		if !near(g.WallSeconds, 4.001+6.001, 1e-9) || !near(g.RequestThroughput, 10/10.002, 1e-9) {
			t.Errorf("sending time %v, request throughput %v; want 10.002 s and %v", g.WallSeconds, g.RequestThroughput, 10/10.002)
		}
	})
	t.Run("a stall inside one process's mark is sending time", func(t *testing.T) {
		// A slow endpoint: a minute without a response inside one process's
		// sending (the gap inference cut it out as downtime).
		recs := append(oneStream(0, 0, 5), oneStream(65*time.Second, 5, 5)...)
		g := marked(t, recs, mark(1, nil, 0, 70001*time.Millisecond))
		if !near(g.WallSeconds, 70.001, 1e-9) || contains(g.Warnings, "sessions") {
			t.Errorf("sending time %v (warnings %q), want 70.001 s in one session", g.WallSeconds, g.Warnings)
		}
	})
	t.Run("records a process without marks sent before the first mark keep their own span", func(t *testing.T) {
		// A run folder from before marks existed (4 records), resumed by a
		// process that writes them (6 records).
		recs := append(oneStream(0, 0, 4), oneStream(7*time.Second, 4, 6)...)
		g := marked(t, recs, mark(1, nil, 7*time.Second, 13001*time.Millisecond))
		if !near(g.WallSeconds, 4.001+6.001, 1e-9) {
			t.Errorf("sending time %v, want 10.002 s", g.WallSeconds)
		}
	})
	zero, one := 0, 1
	t.Run("shards sending side by side: the union, and no warning", func(t *testing.T) {
		recs := append(oneStream(0, 0, 10), oneStream(0, 10, 10)...)
		for i := 10; i < 20; i++ {
			recs[i].SampleID = "r" + strconv.Itoa(i)
		}
		g := marked(t, recs, mark(1, &zero, 0, 10001*time.Millisecond), mark(1, &one, 0, 10001*time.Millisecond))
		if !near(g.WallSeconds, 10.001, 1e-9) || g.ShardOverlap == nil || *g.ShardOverlap != 1 || contains(g.Warnings, "shards") {
			t.Errorf("sending time %v, overlap %v, warnings %q; want 10.001 s, 1, none", g.WallSeconds, overlapOf(g), g.Warnings)
		}
	})
	t.Run("shards sent one after the other: the union, and the level says so", func(t *testing.T) {
		recs := append(oneStream(0, 0, 10), oneStream(20*time.Second, 10, 10)...)
		g := marked(t, recs, mark(1, &zero, 0, 10001*time.Millisecond), mark(1, &one, 20*time.Second, 30001*time.Millisecond))
		if !near(g.WallSeconds, 20.002, 1e-9) || g.ShardOverlap == nil || *g.ShardOverlap != 0 || !contains(g.Warnings, "2 shards sent at the same time for only 0% of the level's sending time (under 80%)") {
			t.Errorf("sending time %v, overlap %v, warnings %q; want 20.002 s, 0 and the warning", g.WallSeconds, overlapOf(g), g.Warnings)
		}
	})
	t.Run("a level with two models: each model's part of the mark", func(t *testing.T) {
		a := oneStream(0, 0, 5)
		b := oneStream(5*time.Second, 5, 5)
		for i := range b {
			b[i].Model = "m-c"
		}
		exp := twoPlatforms()
		exp.Platforms[1].Models = []string{"m-b", "m-c"}
		run := &pipeline.Run{Experiment: exp, Records: append(a, b...), Manifest: &runfolder.Manifest{SendSpans: []runfolder.SendSpan{mark(1, nil, 0, 10001*time.Millisecond)}}}
		res, _, err := pipeline.AggregateRun(context.Background(), NewAccumulator, run)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range res.Groups {
			if g.Platform == "sophia" && !near(g.WallSeconds, 5.001, 1e-9) {
				t.Errorf("%s: sending time %v, want 5.001 s", g.Model, g.WallSeconds)
			}
		}
	})
}

func overlapOf(g *results.GroupStats) any {
	if g.ShardOverlap == nil {
		return nil
	}
	return *g.ShardOverlap
}
