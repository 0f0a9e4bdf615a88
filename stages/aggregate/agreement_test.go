package aggregate

import (
	"strconv"
	"testing"

	"github.com/inferbench/inferbench/pipeline/results"
	"github.com/inferbench/inferbench/stages/score"
)

func TestAgreementComparesNormalizedAnswersOfSuccessfulRequests(t *testing.T) {
	exp := twoPlatforms()
	exp.Repeats = 3
	rec := func(repeat int, id, answer string) results.Record {
		r := okRec("metis", "m-a", repeat*10, 100)
		r.Repeat, r.SampleID, r.Answer = repeat, id, answer
		return r
	}
	failed := func(repeat int, id string) results.Record {
		r := rec(repeat, id, "")
		r.Error = results.ErrTimeoutTotal
		return r
	}
	truncated := func(repeat int, id string) results.Record {
		r := rec(repeat, id, "")
		r.Truncated, r.Content, r.FinishReason = true, "", "length"
		return r
	}
	for _, tc := range []struct {
		name string
		recs []results.Record
		want float64
	}{
		{"answers that differ only in case, articles, punctuation and spaces agree",
			[]results.Record{rec(0, "s1", "The Denver Broncos."), rec(1, "s1", "denver  broncos"), rec(2, "s1", "Denver Broncos")}, 1},
		{"answers with different words disagree",
			[]results.Record{rec(0, "s1", "Denver Broncos"), rec(1, "s1", "Carolina Panthers"), rec(2, "s1", "Denver Broncos")}, 0},
		{"a question that failed in every repeat does not agree",
			[]results.Record{failed(0, "s1"), failed(1, "s1"), failed(2, "s1")}, 0},
		{"a failure in one repeat breaks agreement",
			[]results.Record{rec(0, "s1", "x"), failed(1, "s1"), rec(2, "s1", "x")}, 0},
		{"a truncated empty answer does not agree with another one",
			[]results.Record{truncated(0, "s1"), truncated(1, "s1"), truncated(2, "s1")}, 0},
		{"two empty successful answers agree (a v2 'no answer' given twice)",
			[]results.Record{rec(0, "s1", ""), rec(1, "s1", " ")}, 1},
		{"the share is over questions: one of two agrees",
			[]results.Record{rec(0, "s1", "a cat"), rec(1, "s1", "cat"), rec(0, "s2", "dog"), rec(1, "s2", "cow")}, 0.5},
		{"one record per question means one repeat: agreement is 1",
			[]results.Record{rec(0, "s1", "x"), rec(0, "s2", "y")}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := groupOf(t, mustAggregate(t, exp, tc.recs), "metis")
			if !near(g.Agreement, tc.want, 1e-12) {
				t.Errorf("agreement %v, want %v", g.Agreement, tc.want)
			}
		})
	}
	t.Run("a platform that fails every request has agreement 0, not 1", func(t *testing.T) {
		var recs []results.Record
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

// shuffledRun is a run with everything that makes a sum order-sensitive:
// repeats, F1 in thirds, SQuAD v2 questions, failures, an undeclared
// platform and a baseline.
func shuffledRun() []results.Record {
	var recs []results.Record
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
