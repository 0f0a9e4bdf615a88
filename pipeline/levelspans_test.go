package pipeline_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/inferbench/inferbench/pipeline"
	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/results"
	"github.com/inferbench/inferbench/pipeline/runfolder"
	"github.com/inferbench/inferbench/stages/aggregate"
)

// TestResumedSweepRatesAreResultsRequestThroughput: the achieved rates a
// resumed sweep chooses its rates from are results.json's
// request_throughput of the same records under the same sending marks,
// not the time from their first send to their last close: a level sent
// by a process killed mid-level and by its resume leaves the downtime
// out, and a level with records from before marks existed, marks of two
// shards and a mark never stopped is measured as aggregate measures it.
func TestResumedSweepRatesAreResultsRequestThroughput(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	zero, one := 0, 1
	marks := []runfolder.SendSpan{
		// throughput: process 1 killed mid-level (no stop), process 2 resumed 100 s later.
		{Platform: "p", Level: "throughput", Process: 1, Start: at(0)},
		{Platform: "p", Level: "throughput", Process: 2, Start: at(100), Stop: at(111)},
		// sync: two shards, one killed, after records of a process that wrote no marks.
		{Platform: "p", Level: "sync", Process: 1, Shard: &zero, Start: at(-20), Stop: at(-10)},
		{Platform: "p", Level: "sync", Process: 1, Shard: &one, Start: at(-18)},
		// another platform's marks are not this one's.
		{Platform: "q", Level: "throughput", Process: 1, Start: at(-500), Stop: at(500)},
	}
	var recs []*results.Record
	rec := func(load string, sent float64, closeMs float64) *results.Record {
		r := &results.Record{CellKey: results.CellKey{Platform: "p", Model: "m", Level: load, SampleID: "q", Repeat: len(recs)},
			Seq: len(recs), StartedAt: at(sent), CloseMs: closeMs, LatencyMs: closeMs}
		recs = append(recs, r)
		return r
	}
	for i := range 4 {
		rec("throughput", 0.5+float64(i), 1000)
	}
	recs[0].RetryWaitMs = 300
	for i := range 10 {
		rec("throughput", 100.2+float64(i), 800)
	}
	rec("throughput", 100.1, 50).Warmup = true
	for i := range 3 {
		rec("sync", -50+float64(i), 900)
	}
	for i := range 5 {
		rec("sync", -19.5+2*float64(i), 1500)
	}
	got := pipeline.LevelRatesOf(marks, recs, "p")

	exp := &config.Experiment{Name: "x", Repeats: 1, Params: config.Params{Temperature: []float64{0}},
		Platforms: []config.Platform{{Name: "p", Models: []string{"m"}}}}
	acc, err := aggregate.NewAccumulator(context.Background(), exp)
	if err != nil {
		t.Fatal(err)
	}
	acc.(pipeline.SendSpanSetter).SetSendSpans(marks)
	for _, r := range recs {
		if err := acc.Add(r); err != nil {
			t.Fatal(err)
		}
	}
	res, err := acc.Close(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{}
	for _, g := range res.Groups {
		if g.Count == 0 {
			continue // the experiment's own level, which these records are not of
		}
		want[g.Level] = g.RequestThroughput
	}
	if len(want) != 2 || len(got) != len(want) {
		t.Fatalf("rates = %v, results.json's request_throughput = %v", got, want)
	}
	for load, w := range want {
		if math.Abs(got[load]-w) > 1e-9*w {
			t.Errorf("level %s: resume's rate %.6f req/s, results.json's request_throughput %.6f", load, got[load], w)
		}
	}
	// throughput: 4.3 s (from 0.2, 0.3 s of retry wait before 0.5, to the last close
	// at 4.5) plus 9.8 s (100.2 to 110.0): 14 successes over 14.1 s.
	if w := 14 / 14.1; math.Abs(got["throughput"]-w) > 1e-9 {
		t.Errorf("throughput rate = %.6f, want %.6f (the downtime between the processes is not sending time)", got["throughput"], w)
	}
}
