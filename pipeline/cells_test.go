package pipeline

import (
	"context"
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/results"
	"github.com/inferbench/inferbench/pipeline/runfolder"
)

// A plan of ten million cells holds the questions' prompts and nothing per
// cell: building it allocates a few megabytes at most (holding the cells
// took 1.2 GB), and any cell is computed from its position.
func TestAPlanOfTenMillionCellsHoldsNoCell(t *testing.T) {
	e := mustLoad(t, "config/testdata/minimal.good.yaml", config.LoadOptions{Sets: []string{"repeats=100000", "platforms.0.warmup=3", "max_cells=10000003"}})
	samples := manySamples(100)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	plan, err := BuildPlan(context.Background(), e, samples[:100])
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := plan.Total(), 100_000*100+3; got != want {
		t.Fatalf("total %d, want %d", got, want)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8<<20 {
		t.Errorf("building a plan of %d cells allocated %d bytes", plan.Total(), alloc)
	}
	l := plan.Jobs[0].Cells
	last := l.At(plan.Total() - 1)
	if last.Repeat != 99_999 || last.SampleID != "99" || last.Warmup || last.Seq != plan.Total()-1 {
		t.Errorf("last cell %+v", last.CellKey)
	}
	if w := l.At(2); !w.Warmup || w.SampleID != "2" {
		t.Errorf("third warmup %+v", w.CellKey)
	}
	if c := l.At(3 + 100*7 + 42); c.Repeat != 7 || c.SampleID != "42" || c.Warmup {
		t.Errorf("cell 745 is %+v", c.CellKey)
	}
}

// The generated cells are the ones the nested loops made before, in the
// same order, so that records and shards keep their positions.
func TestTheCellListMatchesTheNestedExpansion(t *testing.T) {
	e := mustLoad(t, "config/testdata/minimal.good.yaml", config.LoadOptions{Sets: []string{"repeats=2", "platforms.0.warmup=5",
		"platforms.0.models=[m1,m2]", "params.temperature=[0,0.7]"}})
	samples := manySamples(3)
	plan, err := BuildPlan(context.Background(), e, samples)
	if err != nil {
		t.Fatal(err)
	}
	p := e.Platforms[0]
	var want []results.CellKey
	for w := range 5 {
		want = append(want, results.CellKey{Platform: p.Name, Model: "m1", Temperature: 0, Repeat: w / 3, SampleID: samples[w%3].ID, Warmup: true})
	}
	for _, m := range []string{"m1", "m2"} {
		for _, temp := range []float64{0, 0.7} {
			for r := range 2 {
				for i := range samples {
					want = append(want, results.CellKey{Platform: p.Name, Model: m, Temperature: temp, Repeat: r, SampleID: samples[i].ID})
				}
			}
		}
	}
	got := plan.Jobs[0].Cells.Slice()
	if len(got) != len(want) {
		t.Fatalf("%d cells, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].CellKey != want[i] || got[i].Seq != i || got[i].Sample.ID != want[i].SampleID || len(got[i].Messages) == 0 {
			t.Fatalf("cell %d is %+v, want %+v", i, got[i].CellKey, want[i])
		}
	}
}

// A max_cells raised to an absurd value no longer lets a plan allocate
// what the matrix would take (a Go out-of-memory crash before); a value
// past what a record's seq holds is a located validation error.
func TestAnAbsurdMaxCellsPlansWithoutAllocatingTheMatrix(t *testing.T) {
	e := mustLoad(t, "config/testdata/minimal.good.yaml", config.LoadOptions{Sets: []string{"repeats=1000000000", "max_cells=1000000000000000"}})
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	plan, err := BuildPlan(context.Background(), e, manySamples(1000))
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if plan.Total() != 1_000_000_000_000 {
		t.Errorf("total %d", plan.Total())
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8<<20 {
		t.Errorf("planning allocated %d bytes", alloc)
	}
	_, diags := config.LoadExperiment("config/testdata/minimal.good.yaml", config.LoadOptions{Registry: testRegistry(), Sets: []string{"max_cells=9007199254740993"}})
	if len(diags) != 1 || !strings.Contains(diags[0].Error(), "max_cells") || !strings.Contains(diags[0].Error(), "at most 9,007,199,254,740,992") {
		t.Errorf("diagnostics %v", diags)
	}
}

// The engine hands a querier a job that generates its cells as they are
// sent, not a slice of them, with resume's kept cells and other shards'
// cells left out.
func TestTheEngineSendsGeneratedCells(t *testing.T) {
	e := mustLoad(t, "config/testdata/minimal.good.yaml", config.LoadOptions{Sets: []string{"repeats=4"}})
	plan, err := BuildPlan(context.Background(), e, manySamples(5))
	if err != nil {
		t.Fatal(err)
	}
	l := plan.Jobs[0].Cells
	done := &seqSet{}
	done.add(2)
	done.add(7)
	src := l.Source(0, l.Len(), func(seq int) bool { return seq%2 == 1 && !done.has(seq) })
	job := QueryJob{Source: src}
	var seqs []int
	for c := range job.EachCell() {
		seqs = append(seqs, c.Seq)
	}
	want := []int{1, 3, 5, 9, 11, 13, 15, 17, 19}
	if len(seqs) != len(want) || job.CellCount() != len(want) {
		t.Fatalf("cells %v (count %d), want %v", seqs, job.CellCount(), want)
	}
	for i := range want {
		if seqs[i] != want[i] {
			t.Fatalf("cells %v, want %v", seqs, want)
		}
	}
	done.add(1)
	if done.add(1) || done.len() != 3 || !done.has(7) || done.has(3) || done.has(1<<40) {
		t.Errorf("seqSet %+v", done)
	}
}

// timedQuerier sends three cells of each level and ends it as its
// duration would, remembering the time each level was given.
type timedQuerier struct{ got []string }

func (q *timedQuerier) Query(_ context.Context, job QueryJob, emit func(results.Record)) (QueryReport, error) {
	n := 0
	var first results.Cell
	for c := range job.EachCell() {
		if n == 0 {
			first = *c
		}
		emit(results.Record{CellKey: c.CellKey, Seq: c.Seq})
		if n++; n == 3 {
			break
		}
	}
	q.got = append(q.got, fmt.Sprint(first.Level, " ", job.Platform.MaxDuration))
	return QueryReport{StopReason: "max_duration"}, nil
}

// A level sized by duration goes round the models, ends without a stop
// when its time is spent, and resumed it runs for what is left of its
// duration (a level whose time was spent does not run again).
func TestATimedLevelEndsWithoutAStopAndResumesForWhatIsLeft(t *testing.T) {
	p := withLoad(config.Platform{Name: "p", Models: []string{"m1", "m2"}}, &testLoad{conc: []int{1, 2, 4}}, config.LevelsSpec{Duration: config.Duration(10 * time.Second), Warmup: config.LevelWarmup{Requests: 2}})
	exp := &config.Experiment{Name: "x", Repeats: 1, Params: config.Params{Temperature: []float64{0}}, Platforms: []config.Platform{p}}
	plan, err := BuildPlan(context.Background(), exp, manySamples(3))
	if err != nil {
		t.Fatal(err)
	}
	l := plan.Jobs[0].Cells
	if !l.Timed() || plan.Total() != 0 {
		t.Fatalf("timed %v, total %d", l.Timed(), plan.Total())
	}
	lo, _ := l.LevelRange("c=2")
	var keys []string
	for seq := lo; seq < lo+7; seq++ {
		keys = append(keys, l.At(seq).String())
	}
	want := []string{"p/m1/t=0/c=2/r=0/0/warmup", "p/m2/t=0/c=2/r=0/0/warmup", "p/m1/t=0/c=2/r=0/1/warmup", "p/m2/t=0/c=2/r=0/1/warmup",
		"p/m1/t=0/c=2/r=0/2", "p/m2/t=0/c=2/r=0/2", "p/m1/t=0/c=2/r=1/0"}
	if !reflect.DeepEqual(keys, want) {
		t.Errorf("cells\n%q\nwant\n%q", keys, want)
	}
	q := &timedQuerier{}
	lr := &levelRunner{querier: q, job: QueryJob{Platform: p, Source: l.Source(0, l.Len(), nil)},
		spent: map[string]time.Duration{"c=1": 10 * time.Second, "c=2": 4 * time.Second}}
	_, stops, err := lr.run(context.Background(), func(results.Record) {})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"c=2 6s", "c=4 10s"}; !reflect.DeepEqual(q.got, want) || len(stops) > 0 {
		t.Errorf("levels ran %q with stops %v, want %q and none", q.got, stops, want)
	}
}

// A shard's cells computed from their positions are the ones the
// sequential picker chooses, warmups and level warmups included.
func TestShardMembersFromPositionsMatchThePicker(t *testing.T) {
	for _, spec := range []config.LevelsSpec{{}, {Warmup: config.LevelWarmup{Requests: 2}}, {Requests: 7, Warmup: config.LevelWarmup{Requests: 3}},
		{Duration: config.Duration(time.Second), Warmup: config.LevelWarmup{Requests: 2}}} {
		p := withLoad(config.Platform{Name: "p", Models: []string{"m1", "m2"}, Warmup: 3}, &testLoad{conc: []int{1, 3, 8}}, spec)
		exp := &config.Experiment{Name: "x", Repeats: 2, Params: config.Params{Temperature: []float64{0, 1}}, Platforms: []config.Platform{p}}
		plan, err := BuildPlan(context.Background(), exp, manySamples(5))
		if err != nil {
			t.Fatal(err)
		}
		l := plan.Jobs[0].Cells
		for _, sh := range []runfolder.Shard{{Index: 0, Count: 3}, {Index: 1, Count: 3}, {Index: 2, Count: 3}, {Index: 1, Count: 4}} {
			in := shardMembers(sh, plan)[0]
			pk := shardPickerOf(sh, &p)
			for _, lv := range p.RunLevels(nil) {
				lo, hi := l.LevelRange(lv.Label)
				if l.Timed() {
					hi = lo + 200 // the picker goes in order: the first of the level's 2^36
				}
				for seq := lo; seq < hi; seq++ {
					c := l.At(seq)
					if got, want := in(seq), pk.take(&c.CellKey); got != want {
						t.Fatalf("%+v shard %s: cell %d (%s) member %v, picker %v", spec, sh, seq, c.CellKey, got, want)
					}
				}
			}
		}
	}
}

// shardPicker decides, cell by cell in schedule (Seq) order, which cells
// of one platform belong to a shard: a cell's position within its level
// (warmup cells counted apart, with their level's share) is all it needs.
// It is the model that Shard.members, computed from positions, is tested
// against.
type shardPicker struct {
	shares map[string]*LevelShare // by level label
	next   map[pickKey]int
}

type pickKey struct {
	load   string
	warmup bool
}

// shardPickerOf returns s's picker for p's cells; nil (take every cell) for the
// whole matrix.
func shardPickerOf(s runfolder.Shard, p *config.Platform) *shardPicker {
	if s.Count <= 1 {
		return nil
	}
	pk := &shardPicker{shares: map[string]*LevelShare{}, next: map[pickKey]int{}}
	for _, lv := range p.RunLevels(nil) {
		pk.shares[lv.Label] = LevelShareOf(s, lv)
	}
	return pk
}

// take reports whether k, the platform's next cell in Seq order, belongs
// to the shard. Call it once per cell, in order.
func (pk *shardPicker) take(k *results.CellKey) bool {
	if pk == nil {
		return true
	}
	key := pickKey{k.Level, k.Warmup}
	i := pk.next[key]
	pk.next[key] = i + 1
	ls := pk.shares[k.Level]
	return ls != nil && ls.Has(i)
}
