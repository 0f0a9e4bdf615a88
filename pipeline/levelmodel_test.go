package pipeline

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/results"
	"github.com/inferbench/inferbench/pipeline/runfolder"
)

// testLoad is a load model for the engine's tests: closed-loop levels
// (conc), open-loop levels (rates), or, with sweep > 0, "sync",
// "throughput" (at most in flight) and sweep rate levels chosen evenly
// between those two levels' achieved rates.
type testLoad struct {
	conc        []int
	rates       []float64
	sweep, most int
}

func (m *testLoad) Expand(p *config.Platform) []config.Level {
	var out []config.Level
	for _, c := range m.conc {
		out = append(out, config.Level{Label: fmt.Sprint("c=", c), Concurrency: c})
	}
	for _, r := range m.rates {
		out = append(out, config.Level{Label: fmt.Sprint("r=", r), Concurrency: p.Concurrency, Rate: r})
	}
	if m.sweep > 0 {
		out = append(out, config.Level{Label: "sync", Concurrency: 1}, config.Level{Label: "throughput", Concurrency: m.most})
		for k := 1; k <= m.sweep; k++ {
			out = append(out, config.Level{Label: fmt.Sprint("sweep-", k), Concurrency: m.most, RateIndex: k})
		}
	}
	return out
}

func (m *testLoad) ChooseRates(achieved map[string]float64) ([]float64, error) {
	lo, hi := achieved["sync"], achieved["throughput"]
	out := make([]float64, m.sweep)
	for k := range out {
		out[k] = lo + float64(k+1)*(hi-lo)/float64(m.sweep+1)
	}
	return out, nil
}

// withLoad returns p with a resolved load block of model m and the shared
// settings of spec.
func withLoad(p config.Platform, m *testLoad, spec config.LevelsSpec) config.Platform {
	l := spec
	l.Type, l.Model = "test", m
	p.Levels = &l
	l.Resolved = m.Expand(&p)
	return p
}

func TestBuildPlanRunsEveryLoadLevelAsItsOwnCells(t *testing.T) {
	exp := &config.Experiment{Name: "x", Repeats: 1, Params: config.Params{Temperature: []float64{0}},
		Platforms: []config.Platform{
			withLoad(config.Platform{Name: "a", Models: []string{"m"}, Warmup: 1}, &testLoad{conc: []int{1, 4}}, config.LevelsSpec{}),
			{Name: "b", Models: []string{"m"}, Concurrency: 2},
		}}
	samples := []config.Sample{{ID: "q1", Question: "?"}, {ID: "q2", Question: "?"}}
	plan, err := BuildPlan(context.Background(), exp, samples)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, j := range plan.Jobs {
		for _, c := range j.Cells.Slice() {
			got = append(got, c.String())
		}
	}
	want := []string{
		"a/m/t=0/c=1/r=0/q1/warmup",
		"a/m/t=0/c=1/r=0/q1", "a/m/t=0/c=1/r=0/q2",
		"a/m/t=0/c=4/r=0/q1", "a/m/t=0/c=4/r=0/q2",
		"b/m/t=0/r=0/q1", "b/m/t=0/r=0/q2",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("cells =\n%q\nwant\n%q", got, want)
	}
	if n, _ := exp.MatrixCells(2); int(n) != plan.Total() {
		t.Errorf("MatrixCells = %d, plan has %d", n, plan.Total())
	}
}

// levelQuerier answers every cell at once, succeeding unless fail says
// otherwise, and remembers how each job was set up.
type levelQuerier struct {
	mu   sync.Mutex
	jobs []string
	fail func(config.Platform) bool
	// slow makes each request take this long, after checking Stop.
	slow time.Duration
}

func (q *levelQuerier) Query(ctx context.Context, job QueryJob, emit func(results.Record)) (QueryReport, error) {
	q.mu.Lock()
	var first results.Cell
	for c := range job.EachCell() {
		first = *c
		break
	}
	q.jobs = append(q.jobs, fmt.Sprintf("%s c%d r%g n%d", first.Level, job.Platform.Concurrency, job.Platform.Rate, job.CellCount()))
	q.mu.Unlock()
	for c := range job.EachCell() {
		if stopped(job.Stop) {
			return QueryReport{StopReason: runfolder.StopInterrupted}, nil
		}
		time.Sleep(q.slow)
		r := results.Record{CellKey: c.CellKey, StartedAt: time.Now()}
		if q.fail != nil && q.fail(job.Platform) {
			r.Error = results.HTTPError(503)
		}
		emit(r)
	}
	return QueryReport{}, nil
}

func TestLevelRunnerRunsLevelsInOrderAndStopsASaturatedOne(t *testing.T) {
	tests := []struct {
		name      string
		load      *testLoad
		spec      config.LevelsSpec
		fail      func(config.Platform) bool
		wantJobs  []string
		wantStops []string
		wantRates int
	}{
		{
			name:     "concurrency levels run one after the other with their own worker count",
			load:     &testLoad{conc: []int{1, 8}},
			wantJobs: []string{"c=1 c1 r0 n20", "c=8 c8 r0 n20"},
		},
		{
			name:      "a level whose error rate passes its bound stops early and the next level still runs",
			load:      &testLoad{rates: []float64{5, 50}},
			spec:      config.LevelsSpec{MaxErrorRate: 0.5},
			fail:      func(p config.Platform) bool { return p.Rate == 50 },
			wantJobs:  []string{"r=5 c0 r5 n20", "r=50 c0 r50 n20"},
			wantStops: []string{"r=50: saturated: error rate 100% above 50% after 10 requests"},
		},
		{
			name:      "a sweep measures synchronous and throughput levels, then runs the rates it chose between them",
			load:      &testLoad{sweep: 2, most: 4},
			wantJobs:  []string{"sync c1 r0 n20", "throughput c4 r0 n20", "sweep-1 c4 r", "sweep-2 c4 r"},
			wantRates: 2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := withLoad(config.Platform{Name: "p", Models: []string{"m"}}, tt.load, tt.spec)
			exp := &config.Experiment{Name: "x", Repeats: 1, Params: config.Params{Temperature: []float64{0}}, Platforms: []config.Platform{p}}
			samples := make([]config.Sample, 20)
			for i := range samples {
				samples[i] = config.Sample{ID: fmt.Sprint("q", i), Question: "?"}
			}
			plan, err := BuildPlan(context.Background(), exp, samples)
			if err != nil {
				t.Fatal(err)
			}
			q := &levelQuerier{fail: tt.fail, slow: time.Millisecond}
			var rates []float64
			lr := &levelRunner{querier: q, job: QueryJob{Platform: p, Cells: plan.Jobs[0].Cells.Slice()}, setRates: func(r []float64) { rates = r }}
			var n int
			_, stops, err := lr.run(context.Background(), func(results.Record) { n++ })
			if err != nil {
				t.Fatal(err)
			}
			if len(q.jobs) != len(tt.wantJobs) {
				t.Fatalf("jobs = %q, want %q", q.jobs, tt.wantJobs)
			}
			for i, w := range tt.wantJobs {
				if !strings.HasPrefix(q.jobs[i], w) {
					t.Errorf("job %d = %q, want %q...", i, q.jobs[i], w)
				}
			}
			var gotStops []string
			for _, s := range stops {
				gotStops = append(gotStops, s.Level+": "+s.Reason)
			}
			if !reflect.DeepEqual(gotStops, tt.wantStops) {
				t.Errorf("stops = %q, want %q", gotStops, tt.wantStops)
			}
			if len(rates) != tt.wantRates {
				t.Errorf("rates = %v, want %d of them", rates, tt.wantRates)
			}
			for _, r := range rates {
				if !(r > 0) {
					t.Errorf("sweep rates %v: each must come from the measured levels", rates)
				}
			}
		})
	}
}

func TestLevelWatchFindsSaturation(t *testing.T) {
	rec := func(queueMs float64, failed bool) *results.Record {
		r := &results.Record{QueueMs: queueMs}
		if failed {
			r.Error = results.ErrTimeoutTotal
		}
		return r
	}
	tests := []struct {
		name  string
		watch LevelWatch
		recs  []*results.Record
		want  string
	}{
		{"a healthy level is never stopped", LevelWatch{MaxErrorRate: 0.1, MaxQueue: config.Duration(time.Second)},
			repeat(rec(5, false), 40), ""},
		{"an error rate above the bound stops the level once enough requests finished", LevelWatch{MaxErrorRate: 0.2},
			append(repeat(rec(0, false), 7), repeat(rec(0, true), 3)...), "error rate 30% above 20% after 10 requests"},
		{"too few requests are not judged", LevelWatch{MaxErrorRate: 0.2}, repeat(rec(0, true), 9), ""},
		{"a client queue above the bound and rising stops the level", LevelWatch{MaxQueue: config.Duration(time.Second)},
			rising(16, 200), "client queue growing"},
		{"a queue above the bound that has stopped rising is not saturation", LevelWatch{MaxQueue: config.Duration(time.Second)},
			append(repeat(rec(1500, false), 8), repeat(rec(1500, false), 8)...), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := tt.watch
			var got string
			for _, r := range tt.recs {
				got = w.Observe(r)
			}
			if tt.want == "" && got != "" || !strings.Contains(got, tt.want) {
				t.Errorf("reason = %q, want %q", got, tt.want)
			}
		})
	}
}

func repeat(r *results.Record, n int) []*results.Record {
	out := make([]*results.Record, n)
	for i := range out {
		out[i] = r
	}
	return out
}

// rising returns n records whose queue time grows by step ms each.
func rising(n int, step float64) []*results.Record {
	out := make([]*results.Record, n)
	for i := range out {
		out[i] = &results.Record{QueueMs: float64(i) * step}
	}
	return out
}

func TestApplyLevelsMarksSaturatedLevelsAndFillsSweepRates(t *testing.T) {
	res := &results.Results{Sweep: &results.SweepResults{Curves: []results.SweepCurve{{
		GroupKey: results.GroupKey{Platform: "p", Model: "m"},
		Points: []results.SweepPoint{
			{Level: "sync", RequestThroughput: 5, E2EP99: 100},
			{Level: "throughput", RequestThroughput: 50, E2EP99: 150},
			{Level: "sweep-1", RequestThroughput: 20, E2EP99: 120},
			{Level: "sweep-2", RequestThroughput: 35, E2EP99: 130},
		},
	}}}}
	res.Groups = []results.GroupStats{{GroupKey: results.GroupKey{Platform: "p", Model: "m", Level: "sync"}},
		{GroupKey: results.GroupKey{Platform: "p", Model: "m", Level: "sweep-1"}}, {GroupKey: results.GroupKey{Platform: "p", Model: "m", Level: "sweep-2"}}}
	m := &runfolder.Manifest{
		Experiment: config.Experiment{Platforms: []config.Platform{withLoad(config.Platform{Name: "p"}, &testLoad{sweep: 2, most: 8}, config.LevelsSpec{})}},
		SweepRates: map[string][]float64{"p": {20, 35}},
		LevelStops: []results.LevelStop{{Platform: "p", Level: "throughput", Reason: "saturated: error rate 40% above 20% after 10 requests"},
			{Platform: "p", Level: "sweep-2", Reason: "max_duration"}},
	}
	ApplyLevels(res, m, config.SLOSpec{E2E: config.Duration(200 * time.Millisecond)})
	pts := res.Sweep.Curves[0].Points
	if !pts[1].Saturated || !strings.Contains(pts[1].SaturatedReason, "error rate") {
		t.Errorf("throughput level = %+v, want saturated with its reason", pts[1])
	}
	if pts[3].Saturated || pts[3].SaturatedReason != "max_duration" {
		t.Errorf("a level stopped by max_duration is not saturated but keeps its reason: %+v", pts[3])
	}
	if pts[2].TargetRate != 20 || pts[3].TargetRate != 35 || pts[0].TargetRate != 0 {
		t.Errorf("target rates = %v %v %v", pts[0].TargetRate, pts[2].TargetRate, pts[3].TargetRate)
	}
	if g := res.Groups; g[0].TargetRate != 0 || g[1].TargetRate != 20 || g[2].TargetRate != 35 {
		t.Errorf("group target rates = %v %v %v, want 0 20 35: a group of a rate level chosen at run time is open loop at that rate",
			g[0].TargetRate, g[1].TargetRate, g[2].TargetRate)
	}
	if best := res.Sweep.Curves[0].Best; best != "sweep-2" {
		t.Errorf("best = %q, want sweep-2: the saturated throughput level is out", best)
	}
}

func TestResumedSweepRunsTheRatesItChoseBefore(t *testing.T) {
	p := withLoad(config.Platform{Name: "p", Models: []string{"m"}}, &testLoad{sweep: 2, most: 4}, config.LevelsSpec{})
	exp := &config.Experiment{Name: "x", Repeats: 1, Params: config.Params{Temperature: []float64{0}}, Platforms: []config.Platform{p}}
	samples := []config.Sample{{ID: "q1", Question: "?"}, {ID: "q2", Question: "?"}, {ID: "q3", Question: "?"}}
	plan, err := BuildPlan(context.Background(), exp, samples)
	if err != nil {
		t.Fatal(err)
	}
	// sync and throughput finished before the crash: only the rate levels remain.
	var rest []results.Cell
	prior := levelSpans{}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, c := range plan.Jobs[0].Cells.Slice() {
		if c.Level == "sync" || c.Level == "throughput" {
			// sync: one request per second; throughput: ten per second.
			step := time.Second
			if c.Level == "throughput" {
				step = 100 * time.Millisecond
			}
			prior.add(&results.Record{CellKey: c.CellKey, StartedAt: t0.Add(time.Duration(i) * step), CloseMs: float64(step.Milliseconds())})
			continue
		}
		rest = append(rest, c)
	}
	tests := []struct {
		name     string
		rates    []float64
		wantJobs []string
		wantSet  bool
	}{
		{"the manifest's rates are used again", []float64{3, 7}, []string{"sweep-1 c4 r3 n3", "sweep-2 c4 r7 n3"}, false},
		{"without manifest rates they come from the kept records", nil, []string{"sweep-1 c4 r4 n3", "sweep-2 c4 r7 n3"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := &levelQuerier{}
			set := false
			lr := &levelRunner{querier: q, job: QueryJob{Platform: p, Cells: rest}, prior: prior.rates(p.Name), rates: tt.rates,
				setRates: func([]float64) { set = true }}
			if _, _, err := lr.run(context.Background(), func(results.Record) {}); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(q.jobs, tt.wantJobs) {
				t.Errorf("jobs = %q, want %q", q.jobs, tt.wantJobs)
			}
			if set != tt.wantSet {
				t.Errorf("rates recorded = %v, want %v", set, tt.wantSet)
			}
		})
	}
}

// manifestPeeker is a levelQuerier that, when a sweep rate level starts,
// reads the run's manifest from disk.
type manifestPeeker struct {
	levelQuerier
	dir   func() string
	rates map[string][]float64
}

func (q *manifestPeeker) Query(ctx context.Context, job QueryJob, emit func(results.Record)) (QueryReport, error) {
	var first results.Cell
	for c := range job.EachCell() {
		first = *c
		break
	}
	if first.Level == "sweep-1" && q.rates == nil {
		m, err := runfolder.ReadManifest(q.dir())
		if err == nil {
			q.rates = m.SweepRates
		}
	}
	return q.levelQuerier.Query(ctx, job, emit)
}

type noScore struct{}

func (noScore) Score(*results.Record, *config.Sample) {}

func TestASweepRecordsItsRatesInTheManifestBeforeRunningThem(t *testing.T) {
	base := t.TempDir()
	q := &manifestPeeker{levelQuerier: levelQuerier{slow: time.Millisecond}, dir: func() string {
		dirs, _ := filepath.Glob(filepath.Join(base, "s-*"))
		if len(dirs) != 1 {
			return ""
		}
		return dirs[0]
	}}
	reg := NewRegistry()
	reg.AddLoader("mem", LoaderFunc(func(context.Context, config.DatasetSpec, LoadEnv) (*config.Dataset, error) {
		return &config.Dataset{Samples: []config.Sample{{ID: "q1", Question: "?"}, {ID: "q2", Question: "?"}, {ID: "q3", Question: "?"}}, Total: 3}, nil
	}))
	reg.Querier = q
	reg.Scorer = func(config.ScoreSpec, string) (Scorer, error) { return noScore{}, nil }
	reg.Aggregate = sliceAggregator(func(context.Context, *config.Experiment, []results.Record) (*results.Results, error) {
		return &results.Results{}, nil
	})
	exp := &config.Experiment{Name: "s", Repeats: 1, Dataset: config.DatasetSpec{Source: "mem"}, Params: config.Params{Temperature: []float64{0}},
		Export:    config.ExportSpec{Dir: base, Formats: []string{}},
		Platforms: []config.Platform{withLoad(config.Platform{Name: "p", Models: []string{"m"}}, &testLoad{sweep: 2, most: 2}, config.LevelsSpec{})}}
	run, err := (&Engine{Registry: reg}).Run(context.Background(), exp, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := q.rates["p"]; len(got) != 2 || !(got[0] > 0 && got[1] > 0) {
		t.Fatalf("manifest on disk when sweep-1 started had sweep_rates %v, want the two chosen rates", q.rates)
	}
	if !reflect.DeepEqual(run.Manifest.SweepRates["p"], q.rates["p"]) {
		t.Errorf("final manifest rates %v differ from the ones recorded before running them %v", run.Manifest.SweepRates, q.rates)
	}
}

func TestChecksSeeEachGroupsLoadLevel(t *testing.T) {
	prog, err := config.CompileCheck(`all(filter(groups, .load == "c=16"), .latency_p50 < 100)`)
	if err != nil {
		t.Fatal(err)
	}
	res := &results.Results{Groups: []results.GroupStats{
		{GroupKey: results.GroupKey{Platform: "a", Level: "c=1"}, LatencyMs: results.Dist{N: 1, P50: 500}},
		{GroupKey: results.GroupKey{Platform: "a", Level: "c=16"}, LatencyMs: results.Dist{N: 1, P50: 50}},
	}}
	ok, err := config.RunExpr(prog, results.NewCheckEnv(res))
	if err != nil || ok != true {
		t.Errorf("check over the c=16 groups = %v, %v; want true (only c=1 is slow)", ok, err)
	}
}

func TestAShardedRunRefusesASweepWhoseRatesEachShardWouldChooseAlone(t *testing.T) {
	base := t.TempDir()
	q := &levelQuerier{}
	reg := NewRegistry()
	reg.AddLoader("mem", LoaderFunc(func(context.Context, config.DatasetSpec, LoadEnv) (*config.Dataset, error) {
		return &config.Dataset{Samples: []config.Sample{{ID: "q1", Question: "?"}, {ID: "q2", Question: "?"}}, Total: 2}, nil
	}))
	reg.Querier = q
	reg.Scorer = func(config.ScoreSpec, string) (Scorer, error) { return noScore{}, nil }
	reg.Aggregate = sliceAggregator(func(context.Context, *config.Experiment, []results.Record) (*results.Results, error) {
		return &results.Results{}, nil
	})
	exp := &config.Experiment{Name: "s", Repeats: 1, Dataset: config.DatasetSpec{Source: "mem"}, Params: config.Params{Temperature: []float64{0}},
		Export:    config.ExportSpec{Dir: base, Formats: []string{}},
		Platforms: []config.Platform{withLoad(config.Platform{Name: "p", Models: []string{"m"}}, &testLoad{sweep: 2, most: 2}, config.LevelsSpec{})}}
	_, err := (&Engine{Registry: reg}).Run(context.Background(), exp, RunOptions{Shard: runfolder.Shard{Index: 0, Count: 2}})
	if err == nil || !strings.Contains(err.Error(), "platforms[0]") || !strings.Contains(err.Error(), "--shard") {
		t.Fatalf("err = %v, want a refusal naming the sweep platform and --shard", err)
	}
	if len(q.jobs) != 0 {
		t.Errorf("requests were sent: %q", q.jobs)
	}
	if dirs, _ := filepath.Glob(filepath.Join(base, "*")); len(dirs) != 0 {
		t.Errorf("a run folder was made: %v", dirs)
	}
}

func TestLevelWatchHoldsAFixedFewQueueTimes(t *testing.T) {
	for _, maxQueue := range []config.Duration{0, config.Duration(time.Hour)} {
		w := &LevelWatch{MaxQueue: maxQueue}
		for i := range 10_000 {
			w.Observe(&results.Record{QueueMs: float64(i % 7)})
		}
		if len(w.queue) > 2*queueWindow {
			t.Errorf("max_queue %v: %d queue times held after 10,000 requests, want at most %d", maxQueue, len(w.queue), 2*queueWindow)
		}
	}
}

func TestResumingAShardFolderWithASweepIsRefusedToo(t *testing.T) {
	base := t.TempDir()
	reg := NewRegistry()
	reg.AddLoader("mem", LoaderFunc(func(context.Context, config.DatasetSpec, LoadEnv) (*config.Dataset, error) {
		return &config.Dataset{Samples: []config.Sample{{ID: "q1", Question: "?"}, {ID: "q2", Question: "?"}}, Total: 2}, nil
	}))
	reg.Querier = &levelQuerier{}
	reg.Scorer = func(config.ScoreSpec, string) (Scorer, error) { return noScore{}, nil }
	reg.Aggregate = sliceAggregator(func(context.Context, *config.Experiment, []results.Record) (*results.Results, error) {
		return &results.Results{}, nil
	})
	exp := func(p config.Platform) *config.Experiment {
		return &config.Experiment{Name: "s", Repeats: 1, Dataset: config.DatasetSpec{Source: "mem"}, Params: config.Params{Temperature: []float64{0}},
			Export: config.ExportSpec{Dir: base, Formats: []string{}}, Platforms: []config.Platform{p}}
	}
	run, err := (&Engine{Registry: reg}).Run(context.Background(), exp(config.Platform{Name: "p", Models: []string{"m"}, Concurrency: 1}),
		RunOptions{Shard: runfolder.Shard{Index: 0, Count: 2}})
	if err != nil {
		t.Fatal(err)
	}
	sweep := exp(withLoad(config.Platform{Name: "p", Models: []string{"m"}}, &testLoad{sweep: 2, most: 2}, config.LevelsSpec{}))
	_, err = (&Engine{Registry: reg}).Run(context.Background(), sweep, RunOptions{ResumeDir: run.Dir})
	// A sweep resumed over a folder run at one level is another load
	// (MatrixChanges) before it is a sweep in a shard.
	if err == nil || !strings.Contains(err.Error(), "--shard 0/2") && !strings.Contains(err.Error(), "platforms[0] load levels") {
		t.Fatalf("err = %v, want the folder's shard or the changed load to refuse the sweep", err)
	}
}

func TestResumeKeepsTheLevelsAnEarlierAttemptStopped(t *testing.T) {
	base := t.TempDir()
	reg := NewRegistry()
	reg.AddLoader("mem", LoaderFunc(func(context.Context, config.DatasetSpec, LoadEnv) (*config.Dataset, error) {
		return &config.Dataset{Samples: []config.Sample{{ID: "q1", Question: "?"}}, Total: 1}, nil
	}))
	reg.Querier = &levelQuerier{}
	reg.Scorer = func(config.ScoreSpec, string) (Scorer, error) { return noScore{}, nil }
	reg.Aggregate = sliceAggregator(func(context.Context, *config.Experiment, []results.Record) (*results.Results, error) {
		return &results.Results{}, nil
	})
	exp := &config.Experiment{Name: "s", Repeats: 1, Dataset: config.DatasetSpec{Source: "mem"}, Params: config.Params{Temperature: []float64{0}},
		Export: config.ExportSpec{Dir: base, Formats: []string{}}, Platforms: []config.Platform{{Name: "p", Models: []string{"m"}, Concurrency: 1}}}
	run, err := (&Engine{Registry: reg}).Run(context.Background(), exp, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := runfolder.ReadManifest(run.Dir)
	if err != nil {
		t.Fatal(err)
	}
	sat := results.LevelStop{Platform: "p", Level: "c=64", Reason: "saturated: client queue growing"}
	m.LevelStops = []results.LevelStop{sat}
	if err := writeJSON(filepath.Join(run.Dir, runfolder.ManifestFile), m); err != nil {
		t.Fatal(err)
	}
	again, err := (&Engine{Registry: reg}).Run(context.Background(), exp, RunOptions{ResumeDir: run.Dir})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(again.Manifest.LevelStops, sat) {
		t.Errorf("level stops after resume %v: the saturated level lost its mark", again.Manifest.LevelStops)
	}
}
