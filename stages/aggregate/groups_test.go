package aggregate

import (
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"testing"

	"github.com/inferbench/inferbench/pipeline/results"
)

func TestRepeatMeansAreIndexedByRepeat(t *testing.T) {
	// repeat 0: EM 1,1 (100), repeat 1: EM 0,1 (50), repeat 2: EM 0,0 plus a
	// failure (0); F1 = EM/2 per record, so F1 per repeat is half of EM's.
	exp := twoPlatforms()
	exp.Repeats = 3
	var recs []results.Record
	for _, c := range []struct {
		repeat int
		id     string
		em     float64
		failed bool
	}{{2, "a", 0, false}, {0, "a", 1, false}, {1, "b", 1, false}, {0, "b", 1, false}, {1, "a", 0, false}, {2, "b", 0, false}, {2, "c", 1, true}} {
		r := okRec("metis", "m-a", 0, 100)
		r.Repeat, r.SampleID, r.EM, r.F1 = c.repeat, c.id, c.em, c.em/2
		if c.failed {
			r.Error = "http_500"
		}
		recs = append(recs, r)
	}
	g := groupOf(t, mustAggregate(t, exp, recs), "metis")
	if want := []float64{100, 50, 0}; !slices.Equal(g.RepeatEM, want) {
		t.Errorf("repeat EM %v, want %v", g.RepeatEM, want)
	}
	if want := []float64{50, 25, 0}; !slices.Equal(g.RepeatF1, want) {
		t.Errorf("repeat F1 %v, want %v", g.RepeatF1, want)
	}
	// (100+100+100+0+0+0+0)/7 records: the failure counts as 0
	if !near(g.EM.Mean, 300.0/7, 1e-12) {
		t.Errorf("EM %v, want %v", g.EM.Mean, 300.0/7)
	}
}

func TestResultsDoNotDependOnRecordOrder(t *testing.T) {
	exp := twoPlatforms()
	exp.Repeats = 3
	base := shuffledRun()
	a := mustAggregate(t, exp, base)
	other := mustAggregate(t, exp, latencies("metis", "m-a", 20, 700))
	deltas := CompareRuns(a, other, base, latencies("metis", "m-a", 20, 700), 5)
	r := rand.New(rand.NewPCG(8, 9))
	for k := range 5 {
		recs := slices.Clone(base)
		r.Shuffle(len(recs), func(i, j int) { recs[i], recs[j] = recs[j], recs[i] })
		t.Run("shuffle "+strconv.Itoa(k)+" gives identical groups, comparisons and warnings", func(t *testing.T) {
			b := mustAggregate(t, exp, recs)
			if !reflect.DeepEqual(a.Groups, b.Groups) {
				for i := range a.Groups {
					if !reflect.DeepEqual(a.Groups[i], b.Groups[i]) {
						t.Errorf("group %d differs:\n%+v\n%+v", i, a.Groups[i], b.Groups[i])
						break
					}
				}
			}
			if !reflect.DeepEqual(a.Comparisons, b.Comparisons) || !reflect.DeepEqual(a.Warnings, b.Warnings) {
				t.Errorf("comparisons or warnings differ:\n%+v %q\n%+v %q", a.Comparisons, a.Warnings, b.Comparisons, b.Warnings)
			}
		})
		t.Run("shuffle "+strconv.Itoa(k)+" gives identical run deltas", func(t *testing.T) {
			if got := CompareRuns(a, other, recs, latencies("metis", "m-a", 20, 700), 5); !reflect.DeepEqual(got, deltas) {
				t.Errorf("deltas differ:\n%+v\n%+v", got, deltas)
			}
		})
	}
	t.Run("undeclared groups come after the declared ones, sorted", func(t *testing.T) {
		var got []string
		for _, g := range a.Groups {
			got = append(got, g.Platform)
		}
		if want := []string{"metis", "sophia", "alien", "ghost"}; !slices.Equal(got, want) {
			t.Errorf("groups %v, want %v", got, want)
		}
	})
	t.Run("temperatures the experiment does not list are taken ascending", func(t *testing.T) {
		exp := twoPlatforms()
		exp.Params.Temperature = nil
		hot, cold := okRec("metis", "m-a", 0, 100), okRec("metis", "m-a", 1, 100)
		hot.Temperature, cold.Temperature = 1, 0
		res := mustAggregate(t, exp, []results.Record{hot, cold})
		if res.Groups[0].Temperature != 0 || res.Groups[1].Temperature != 1 {
			t.Errorf("temperatures %v then %v", res.Groups[0].Temperature, res.Groups[1].Temperature)
		}
	})
}
