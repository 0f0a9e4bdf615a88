package aggregate

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/inferbench/inferbench/pipeline"
	"github.com/inferbench/inferbench/stages/score"
)

func TestAgreementComparesNormalizedAnswersOfSuccessfulRequests(t *testing.T) {
	exp := twoPlatforms()
	exp.Repeats = 3
	rec := func(repeat int, id, answer string) pipeline.Record {
		r := okRec("metis", "m-a", repeat*10, 100)
		r.Repeat, r.SampleID, r.Answer = repeat, id, answer
		return r
	}
	failed := func(repeat int, id string) pipeline.Record {
		r := rec(repeat, id, "")
		r.Error = pipeline.ErrTimeoutTotal
		return r
	}
	truncated := func(repeat int, id string) pipeline.Record {
		r := rec(repeat, id, "")
		r.Truncated, r.Content, r.FinishReason = true, "", "length"
		return r
	}
	for _, tc := range []struct {
		name string
		recs []pipeline.Record
		want float64
	}{
		{"answers that differ only in case, articles, punctuation and spaces agree",
			[]pipeline.Record{rec(0, "s1", "The Denver Broncos."), rec(1, "s1", "denver  broncos"), rec(2, "s1", "Denver Broncos")}, 1},
		{"answers with different words disagree",
			[]pipeline.Record{rec(0, "s1", "Denver Broncos"), rec(1, "s1", "Carolina Panthers"), rec(2, "s1", "Denver Broncos")}, 0},
		{"a question that failed in every repeat does not agree",
			[]pipeline.Record{failed(0, "s1"), failed(1, "s1"), failed(2, "s1")}, 0},
		{"a failure in one repeat breaks agreement",
			[]pipeline.Record{rec(0, "s1", "x"), failed(1, "s1"), rec(2, "s1", "x")}, 0},
		{"a truncated empty answer does not agree with another one",
			[]pipeline.Record{truncated(0, "s1"), truncated(1, "s1"), truncated(2, "s1")}, 0},
		{"two empty successful answers agree (a v2 'no answer' given twice)",
			[]pipeline.Record{rec(0, "s1", ""), rec(1, "s1", " ")}, 1},
		{"the share is over questions: one of two agrees",
			[]pipeline.Record{rec(0, "s1", "a cat"), rec(1, "s1", "cat"), rec(0, "s2", "dog"), rec(1, "s2", "cow")}, 0.5},
		{"one record per question means one repeat: agreement is 1",
			[]pipeline.Record{rec(0, "s1", "x"), rec(0, "s2", "y")}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := groupOf(t, mustAggregate(t, exp, tc.recs), "metis")
			if !near(g.Agreement, tc.want, 1e-12) {
				t.Errorf("agreement %v, want %v", g.Agreement, tc.want)
			}
		})
	}
	t.Run("a platform that fails every request has agreement 0, not 1", func(t *testing.T) {
		var recs []pipeline.Record
		for rep := range 3 {
			for s := range 4 {
				recs = append(recs, failed(rep, "s"+strconv.Itoa(s)))
			}
		}
		if g := groupOf(t, mustAggregate(t, exp, recs), "metis"); g.Agreement != 0 {
			t.Errorf("agreement %v", g.Agreement)
		}
	})
}

func TestRepeatMeansAreIndexedByRepeat(t *testing.T) {
	// repeat 0: EM 1,1 (100), repeat 1: EM 0,1 (50), repeat 2: EM 0,0 plus a
	// failure (0); F1 = EM/2 per record, so F1 per repeat is half of EM's.
	exp := twoPlatforms()
	exp.Repeats = 3
	var recs []pipeline.Record
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

func TestSpeedupVerdictWording(t *testing.T) {
	t.Run("a slower platform's factor and CI are the inverses of the speedup's", func(t *testing.T) {
		recs := append(latencies("metis", "m-a", 40, 1000), latencies("sophia", "m-b", 40, 600)...)
		c := mustAggregate(t, twoPlatforms(), recs).Comparisons[0]
		// medians 1195 (metis) and 795 (sophia): speedup 795/1195 < 1
		if !near(c.SpeedupMedian, 795.0/1195, 1e-12) || c.CILow >= c.CIHigh || c.CIHigh >= 1 {
			t.Fatalf("%+v", c)
		}
		want := fmt.Sprintf("metis is %.2fx slower than sophia (median latency, 95%% CI %.2f-%.2f, p<0.001), ", 1195.0/795, 1/c.CIHigh, 1/c.CILow)
		if !strings.HasPrefix(c.Verdict, want) {
			t.Errorf("verdict %q\nwant    %q", c.Verdict, want)
		}
	})
	t.Run("equal medians with different spreads are not called faster or slower", func(t *testing.T) {
		// both medians 1000; metis is tight, sophia spread out
		var recs []pipeline.Record
		for i, v := range []float64{990, 995, 1000, 1005, 1010} {
			recs = append(recs, okRec("metis", "m-a", i, v))
		}
		for i, v := range []float64{500, 700, 1000, 1300, 1500} {
			recs = append(recs, okRec("sophia", "m-b", i, v))
		}
		c := mustAggregate(t, twoPlatforms(), recs).Comparisons[0]
		if c.SpeedupMedian != 1 || c.Significant || !strings.HasPrefix(c.Verdict, "no significant latency difference") {
			t.Errorf("%+v", c)
		}
		if !near(c.SpeedupMean, 1, 1e-12) {
			t.Errorf("mean speedup %v, want 1 (both means are 1000)", c.SpeedupMean)
		}
	})
}

func TestCompareRunsDirectionAndSignificance(t *testing.T) {
	exp := twoPlatforms()
	runA := latencies("metis", "m-a", 30, 1200)
	runB := latencies("metis", "m-a", 30, 600)
	for i := range runB {
		if i%3 == 0 {
			runB[i].Error = "http_500" // B: 10 of 30 failed
		}
	}
	resA := mustAggregate(t, exp, runA)
	resB := mustAggregate(t, exp, runB)
	deltas := CompareRuns(resA, resB, runA, runB, 1)
	get := func(figure string) RunDelta {
		for _, d := range deltas {
			if d.Platform == "metis" && d.Figure == figure {
				return d
			}
		}
		t.Fatalf("no %s", figure)
		return RunDelta{}
	}
	t.Run("a faster run B has a negative latency change whose CI lies below 0", func(t *testing.T) {
		d := get("latency_p50")
		if val(d.Change) >= 0 || val(d.Change) != val(d.B)-val(d.A) || !d.Significant || val(d.CIHigh) >= 0 || !(val(d.CILow) <= val(d.Change) && val(d.Change) <= val(d.CIHigh)) {
			t.Errorf("%+v", d)
		}
	})
	t.Run("a rise in failures is a positive, significant error-rate change", func(t *testing.T) {
		d := get("error_rate")
		if !near(val(d.Change), 1.0/3, 1e-12) || !d.Significant || val(d.CILow) <= 0 {
			t.Errorf("%+v", d)
		}
	})
	t.Run("failures lower EM in B: its change is negative", func(t *testing.T) {
		d := get("em")
		if !near(val(d.A), 100, 1e-12) || !near(val(d.B), 200.0/3, 1e-9) || val(d.Change) >= 0 || !d.Significant || val(d.CIHigh) >= 0 {
			t.Errorf("%+v", d)
		}
	})
}

// shuffledRun is a run with everything that makes a sum order-sensitive:
// repeats, F1 in thirds, SQuAD v2 questions, failures, an undeclared
// platform and a baseline.
func shuffledRun() []pipeline.Record {
	var recs []pipeline.Record
	for _, p := range []struct {
		name, model string
		base        float64
	}{{"metis", "m-a", 600}, {"sophia", "m-b", 900}, {"ghost", "g", 100}, {"alien", "z", 100}} {
		for rep := range 3 {
			for s := range 12 {
				r := okRec(p.name, p.model, rep*12+s, p.base+float64((s*37+rep*11)%50))
				r.Repeat, r.SampleID = rep, "q"+strconv.Itoa(s)
				r.F1 = float64((s+rep)%3) / 3
				r.EM = float64(s % 2)
				r.Answer = "ans" + strconv.Itoa((s+rep)%2)
				r.Impossible = s%4 == 0
				if (s+rep)%7 == 0 {
					r.Error = "http_500"
				}
				recs = append(recs, r)
			}
		}
	}
	return recs
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
		res := mustAggregate(t, exp, []pipeline.Record{hot, cold})
		if res.Groups[0].Temperature != 0 || res.Groups[1].Temperature != 1 {
			t.Errorf("temperatures %v then %v", res.Groups[0].Temperature, res.Groups[1].Temperature)
		}
	})
}

func TestJoinedEqualsMatchesTheNormalizedString(t *testing.T) {
	for _, tc := range []struct {
		name, answer, stored string
		want                 bool
	}{
		{"the same words after normalization are equal", "The  Denver Broncos!", "denver broncos", true},
		{"a prefix is not equal", "Denver", "denver broncos", false},
		{"a longer answer is not equal", "Denver Broncos won", "denver broncos", false},
		{"a split word is not equal", "denverbroncos", "denver broncos", false},
		{"an empty answer equals the empty string", " the . ", "", true},
		{"an empty answer does not equal a word", "", "denver", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var tok score.Tokens
			tok.Normalize(tc.answer)
			if got := joinedEquals(&tok, tc.stored); got != tc.want {
				t.Errorf("joinedEquals(%q, %q) = %v", tc.answer, tc.stored, got)
			}
			if same := score.Normalize(tc.answer) == tc.stored; same != tc.want {
				t.Errorf("score.Normalize(%q) == %q is %v: the table is wrong", tc.answer, tc.stored, same)
			}
		})
	}
}
