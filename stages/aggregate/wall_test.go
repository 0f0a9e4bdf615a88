package aggregate

import (
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/inferbench/inferbench/pipeline/results"
)

// session returns n records of sophia sent every step from start, each
// closing after 1001 ms.
func session(start time.Time, first, n int, step time.Duration) []results.Record {
	var out []results.Record
	for i := range n {
		r := okRec("sophia", "m-b", first+i, 1000)
		r.StartedAt = start.Add(time.Duration(i) * step)
		r.CloseMs = 1001
		out = append(out, r)
	}
	return out
}

func TestRatesCountOnlyTimeSpentSending(t *testing.T) {
	t.Run("a resumed run's downtime between sessions is not wall time", func(t *testing.T) {
		// Two sessions of 10 sends 100 ms apart, ten minutes between them:
		// each spans 0.9 s + 1.001 s.
		recs := append(session(t0, 0, 10, 100*time.Millisecond), session(t0.Add(10*time.Minute), 10, 10, 100*time.Millisecond)...)
		g := groupOf(t, mustAggregate(t, twoPlatforms(), recs), "sophia")
		if !near(g.WallSeconds, 2*1.901, 1e-9) || !near(g.RequestThroughput, 20/3.802, 1e-9) || !near(g.Throughput, 400/3.802, 1e-9) {
			t.Errorf("wall %v rate %v throughput %v, want 3.802 s, %v req/s, %v tok/s", g.WallSeconds, g.RequestThroughput, g.Throughput, 20/3.802, 400/3.802)
		}
		if len(g.Warnings) == 0 || !contains(g.Warnings, "2 sessions") {
			t.Errorf("no warning about the two sessions: %q", g.Warnings)
		}
	})
	t.Run("sessions whose records interleave in the input are still told apart", func(t *testing.T) {
		a, b := session(t0, 0, 5, 200*time.Millisecond), session(t0.Add(time.Hour), 5, 5, 200*time.Millisecond)
		recs := []results.Record{b[0], a[0], b[1], a[1], a[2], b[2], b[3], a[3], a[4], b[4]}
		g := groupOf(t, mustAggregate(t, twoPlatforms(), recs), "sophia")
		if !near(g.WallSeconds, 2*1.801, 1e-9) {
			t.Errorf("wall %v, want 3.602", g.WallSeconds)
		}
	})
	t.Run("a pause shorter than the session gap stays inside the run", func(t *testing.T) {
		recs := append(session(t0, 0, 10, 100*time.Millisecond), session(t0.Add(5*time.Second), 10, 10, 100*time.Millisecond)...)
		g := groupOf(t, mustAggregate(t, twoPlatforms(), recs), "sophia")
		// nothing in flight from 1.901 s to 5 s: 3.1 s < SessionGapMin
		if !near(g.WallSeconds, 5+1.901, 1e-9) {
			t.Errorf("wall %v, want 6.901", g.WallSeconds)
		}
		for _, w := range g.Warnings {
			if contains([]string{w}, "sessions") {
				t.Errorf("unexpected session warning %q", w)
			}
		}
	})
	t.Run("a retry wait before the last attempt counts as time spent sending", func(t *testing.T) {
		recs := session(t0, 0, 2, 100*time.Millisecond)
		recs[0].RetryWaitMs = 2000 // first attempt 2 s before its final StartedAt
		g := groupOf(t, mustAggregate(t, twoPlatforms(), recs), "sophia")
		if !near(g.WallSeconds, 2+0.1+1.001, 1e-9) {
			t.Errorf("wall %v, want 3.101", g.WallSeconds)
		}
	})
	t.Run("a record never sent neither stretches the wall nor counts as sent", func(t *testing.T) {
		recs := session(t0, 0, 4, 100*time.Millisecond)
		recs = append(recs, results.Record{CellKey: results.CellKey{Platform: "sophia", Model: "m-b", Temperature: 0.7, SampleID: "never"},
			Error: results.ErrSetup, Attempts: 1})
		g := groupOf(t, mustAggregate(t, twoPlatforms(), recs), "sophia")
		if g.Count != 5 || !near(g.WallSeconds, 1.301, 1e-9) || !near(g.RequestThroughput, 4/1.301, 1e-9) {
			t.Errorf("count %d wall %v rate %v, want 5, 1.301, %v", g.Count, g.WallSeconds, g.RequestThroughput, 4/1.301)
		}
	})
	t.Run("Poisson arrivals at 8 req/s over 2000 sends are one session at about 8 req/s", func(t *testing.T) {
		rng := rand.New(rand.NewPCG(1, 2))
		at := t0
		var recs []results.Record
		for i := range 2000 {
			r := okRec("sophia", "m-b", i, 300)
			r.SampleID = "p" + strconv.Itoa(i)
			r.StartedAt, r.CloseMs = at, 301
			recs = append(recs, r)
			at = at.Add(time.Duration(rng.ExpFloat64() / 8 * float64(time.Second)))
		}
		g := groupOf(t, mustAggregate(t, twoPlatforms(), recs), "sophia")
		want := 2000 / (at.Sub(t0).Seconds() + 0.301) // upper bound: the last gap is not sent
		if g.RequestThroughput < want || g.RequestThroughput > 8*1.1 || g.RequestThroughput < 8*0.9 {
			t.Errorf("rate %v, want >= %v and within 10%% of 8", g.RequestThroughput, want)
		}
		if contains(g.Warnings, "sessions") {
			t.Errorf("a live Poisson run was split: %q", g.Warnings)
		}
	})
}

func TestAnswerBreakdownForSquadV2(t *testing.T) {
	exp := twoPlatforms()
	mk := func(seq int, impossible bool, em, f1 float64) results.Record {
		r := okRec("metis", "m-a", seq, 100)
		r.Impossible, r.EM, r.F1 = impossible, em, f1
		return r
	}
	truncated := mk(4, false, 1, 1) // truncated answers score 0
	truncated.Truncated, truncated.Content, truncated.Answer = true, "", ""
	failed := mk(5, true, 1, 1) // failed requests score 0
	failed.Error = results.ErrTimeoutTotal
	recs := []results.Record{
		mk(0, false, 1, 1), mk(1, false, 0, 0.5), mk(2, true, 1, 1), mk(3, true, 0, 0), truncated, failed,
	}
	recs = append(recs, latencies("sophia", "m-b", 3, 100)...)
	res := mustAggregate(t, exp, recs)
	g := groupOf(t, res, "metis")
	t.Run("answerable questions are counted and scored apart", func(t *testing.T) {
		if g.HasAns == nil || g.HasAns.Count != 3 || !near(g.HasAns.EM, 100.0/3, 1e-9) || !near(g.HasAns.F1, 50, 1e-9) {
			t.Errorf("has_ans %+v, want 3 questions, EM 33.3, F1 50", g.HasAns)
		}
	})
	t.Run("unanswerable questions are counted and scored apart", func(t *testing.T) {
		if g.NoAns == nil || g.NoAns.Count != 3 || !near(g.NoAns.EM, 100.0/3, 1e-9) || !near(g.NoAns.F1, 100.0/3, 1e-9) {
			t.Errorf("no_ans %+v, want 3 questions, EM 33.3, F1 33.3", g.NoAns)
		}
	})
	t.Run("the two kinds average back to the group's EM and F1", func(t *testing.T) {
		em := (g.HasAns.EM*3 + g.NoAns.EM*3) / 6
		if !near(em, g.EM.Mean, 1e-9) {
			t.Errorf("breakdown EM %v, group EM %v", em, g.EM.Mean)
		}
	})
	t.Run("a group without unanswerable questions has no breakdown", func(t *testing.T) {
		if s := groupOf(t, res, "sophia"); s.HasAns != nil || s.NoAns != nil {
			t.Errorf("v1 group has %+v / %+v", s.HasAns, s.NoAns)
		}
	})
}

// contains reports whether any of ss contains sub.
func contains(ss []string, sub string) bool {
	for _, s := range ss {
		if len(sub) <= len(s) && indexOf(s, sub) >= 0 {
			return true
		}
	}
	return false
}

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}
