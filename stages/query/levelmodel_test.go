package query

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/inferbench/inferbench/pipeline"
	"github.com/inferbench/inferbench/pipeline/config"
)

// loadRegistry has the load models and a demo loader stub, enough to load
// experiment files.
func loadRegistry() *pipeline.Registry {
	reg := pipeline.NewRegistry()
	reg.AddLoader("demo", pipeline.LoaderFunc(nil))
	RegisterLevelModels(reg)
	registerEmulator(reg)
	return reg
}

func levelsOf(p config.Platform) []string {
	var out []string
	for _, lv := range p.RunLevels(nil) {
		out = append(out, fmt.Sprintf("%s c%d r%g", lv.Label, lv.Concurrency, lv.Rate))
	}
	return out
}

func TestLoadModelsExpandTheirBlocks(t *testing.T) {
	e, diags := config.LoadExperiment("testdata/loadlevels.good.yaml", config.LoadOptions{Registry: loadRegistry()})
	if len(diags) > 0 {
		t.Fatalf("diagnostics:\n%v", diags)
	}
	tests := []struct {
		name string
		want []string
	}{
		{"a concurrency list is closed-loop levels labelled by their worker count", []string{"c=1 c1 r0", "c=4 c4 r0", "c=16 c16 r0"}},
		{"a rate list is open-loop levels capped by the scalar concurrency", []string{"r=2 c32 r2", "r=8.5 c32 r8.5"}},
		{"a load block is the same as the list shorthand", []string{"c=2 c2 r0", "c=8 c8 r0"}},
		{"a sweep is sync, throughput and rate levels decided at run time", []string{"sync c1 r0", "throughput c16 r0", "sweep-1 c16 r0", "sweep-2 c16 r0", "sweep-3 c16 r0"}},
		{"a one-level list keeps the empty label of a scalar", []string{" c4 r0"}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := levelsOf(e.Platforms[i]); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("%s levels = %q, want %q", e.Platforms[i].Name, got, tt.want)
			}
		})
	}
	if p := e.Platforms[0]; p.Levels.Type != LevelConcurrency || p.Concurrency != 1 {
		t.Errorf("concurrency list: type %q, concurrency %d (the first level)", p.Levels.Type, p.Concurrency)
	}
	if p := e.Platforms[1]; p.Rate != 2 || p.Arrival != "poisson" {
		t.Errorf("rate list: rate %v arrival %q", p.Rate, p.Arrival)
	}
	if at := e.Platforms[2].AtLevel(e.Platforms[2].RunLevels(nil)[1]); at.Concurrency != 8 || at.MaxDuration != config.Duration(30*time.Second) {
		t.Errorf("block level 2 runs at %d for %v", at.Concurrency, at.MaxDuration)
	}
	if l := e.Platforms[3].Levels; l.MaxErrorRate != 0.2 || l.MaxQueue != config.DefaultMaxQueue {
		t.Errorf("sweep = %+v", l)
	}
	if at := e.Platforms[3].AtLevel(e.Platforms[3].RunLevels([]float64{5, 6, 7})[2]); at.Rate != 5 || at.Arrival != "constant" || at.Concurrency != 16 {
		t.Errorf("sweep-1 runs at rate %v, arrival %q, cap %d; want 5, constant, 16", at.Rate, at.Arrival, at.Concurrency)
	}
	if at := e.Platforms[3].AtLevel(e.Platforms[3].RunLevels(nil)[0]); at.Rate != 0 || at.Arrival != "" {
		t.Errorf("the synchronous level runs closed loop, got rate %v arrival %q", at.Rate, at.Arrival)
	}
	if n, _ := e.MatrixCells(10); n != 10*(3+2+2+5+1) {
		t.Errorf("matrix = %d cells, want one per level and question", n)
	}
}

func TestBadLoadBlocksReportEveryProblemWhereItIs(t *testing.T) {
	const file = "testdata/loadlevels.bad.yaml"
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var wants []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "# want: "); ok {
			wants = append(wants, file+":"+rest)
		}
	}
	e, diags := config.LoadExperiment(file, config.LoadOptions{Registry: loadRegistry()})
	if e != nil {
		t.Fatal("a bad experiment must not be returned")
	}
	var got []string
	for _, d := range diags {
		got = append(got, d.Error())
	}
	for _, w := range wants {
		found := false
		for _, g := range got {
			found = found || g == w
		}
		if !found {
			t.Errorf("missing %s", w)
		}
	}
	if len(got) != len(wants) {
		t.Errorf("got %d problems, want %d:\n%s", len(got), len(wants), strings.Join(got, "\n"))
	}
}

func TestSweepRatesAreEvenlySpacedBetweenTheMeasuredRates(t *testing.T) {
	tests := []struct {
		name   string
		lo, hi float64
		n      int
		want   []float64
	}{
		{"rates lie strictly between synchronous and throughput", 2, 12, 4, []float64{4, 6, 8, 10}},
		{"one rate is the midpoint", 3, 9, 1, []float64{6}},
		{"a platform that does not scale gets rates below its synchronous rate", 10, 8, 4, []float64{6, 7, 8, 9}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SweepRates(tt.lo, tt.hi, tt.n); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("SweepRates(%v, %v, %d) = %v, want %v", tt.lo, tt.hi, tt.n, got, tt.want)
			}
		})
	}
	if _, err := (&SweepLevels{}).ChooseRates(map[string]float64{LevelThroughput: 9}); err == nil {
		t.Error("a sweep whose synchronous level completed nothing cannot choose rates")
	}
}

func TestALoadBlockSurvivesTheManifest(t *testing.T) {
	reg := loadRegistry()
	e, diags := config.LoadExperiment("testdata/loadlevels.good.yaml", config.LoadOptions{Registry: reg})
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	data, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"load":{"knee_latency_growth":0.5,"knee_throughput_gain":0.1,"levels":[1,4,16],"max_queue":"2s","resolved":[`) {
		t.Errorf("the manifest's load block lacks the model's config or the resolved levels:\n%s", data)
	}
	var back config.Experiment
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	for i := range e.Platforms {
		if got, want := levelsOf(back.Platforms[i]), levelsOf(e.Platforms[i]); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: levels read back without a registry = %q, want %q", e.Platforms[i].Name, got, want)
		}
	}
	again, diags := config.ReloadExperiment("manifest.json", &back, config.LoadOptions{Registry: reg, Sets: []string{"platforms.closed.load.levels=[2, 3]"}})
	if len(diags) > 0 {
		t.Fatalf("reload: %v", diags)
	}
	if got := levelsOf(again.Platforms[0]); !reflect.DeepEqual(got, []string{"c=2 c2 r0", "c=3 c3 r0"}) {
		t.Errorf("reloaded with --set levels = %q", got)
	}
	if sw, ok := again.Platforms[3].Levels.Model.(*SweepLevels); !ok || sw.Rates != 3 || sw.MaxConcurrency != 16 {
		t.Errorf("reloaded sweep model = %#v", again.Platforms[3].Levels.Model)
	}
}
