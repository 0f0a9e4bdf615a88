package pipeline

import (
	"context"
	"fmt"
	"runtime"
	"testing"

	"github.com/inferbench/inferbench/pipeline/config"
)

func manySamples(n int) []config.Sample {
	out := make([]config.Sample, n)
	for i := range out {
		out[i] = config.Sample{ID: fmt.Sprint(i), Context: "c", Question: "q", Answers: []string{"a"}}
	}
	return out
}

func TestBuildPlanRefusesAnOversizedMatrixBeforeAllocatingIt(t *testing.T) {
	// One question makes 1,000,000 cells, which validation accepts; 100
	// questions make 100,000,000, which only the loaded dataset reveals.
	e := mustLoad(t, "config/testdata/minimal.good.yaml", config.LoadOptions{Sets: []string{"repeats=1000000"}})
	samples := manySamples(100)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	plan, err := BuildPlan(context.Background(), e, samples)
	runtime.ReadMemStats(&after)
	if plan != nil || err == nil {
		t.Fatal("an oversized plan was built")
	}
	want := "the matrix has 100,000,000 cells (1 platform-model x 1 temperature x 1,000,000 repeats x 100 questions), more than max_cells 10,000,000; lower repeats or raise max_cells"
	if err.Error() != want {
		t.Errorf("got  %v\nwant %s", err, want)
	}
	// Building it would take gigabytes; refusing it takes a few small strings.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
		t.Errorf("refusing the plan allocated %d bytes", alloc)
	}
}

func TestBuildPlanStillBuildsAMatrixAtTheLimit(t *testing.T) {
	e := mustLoad(t, "config/testdata/minimal.good.yaml", config.LoadOptions{Sets: []string{"repeats=10", "max_cells=1000", "platforms.0.warmup=2"}})
	plan, err := BuildPlan(context.Background(), e, manySamples(99))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := plan.Total(), 10*99+2; got != want {
		t.Errorf("total %d, want %d", got, want)
	}
	n, overflow := e.MatrixCells(99)
	if overflow || n != uint64(plan.Total()) {
		t.Errorf("MatrixCells(99) = %d (overflow %v), the plan has %d", n, overflow, plan.Total())
	}
	if _, err := BuildPlan(context.Background(), e, manySamples(100)); err == nil {
		t.Error("1,002 cells passed a max_cells of 1,000")
	}
}

func BenchmarkRefusingABillionRepeats(b *testing.B) {
	e := &config.Experiment{Name: "b", Dataset: config.DatasetSpec{Source: "demo"}, Repeats: 1_000_000_000,
		Platforms: []config.Platform{{Name: "a", Emulate: config.ConfigBlock(&testEmulate{}), Models: []string{"m"}}}}
	e.ApplyDefaults()
	samples := manySamples(1000)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := BuildPlan(context.Background(), e, samples); err == nil {
			b.Fatal("built")
		}
	}
}
