package pipeline

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/results"
	"github.com/inferbench/inferbench/pipeline/runfolder"
)

// stuckQuerier answers the first cell, then keeps the others in flight
// until its context ends, when it records them as canceled.
type stuckQuerier struct{ answered chan struct{} }

func (q *stuckQuerier) Query(ctx context.Context, job QueryJob, emit func(results.Record)) (QueryReport, error) {
	first := true
	var inFlight []results.Cell
	for c := range job.EachCell() {
		if first {
			emit(results.Record{CellKey: c.CellKey, Seq: c.Seq, StartedAt: time.Now()})
			close(q.answered)
			first = false
			continue
		}
		inFlight = append(inFlight, *c)
	}
	<-ctx.Done()
	for _, c := range inFlight {
		emit(results.Record{CellKey: c.CellKey, Seq: c.Seq, StartedAt: time.Now(), Error: results.ErrCanceled, ErrorDetail: "canceled while in flight"})
	}
	return QueryReport{StopReason: runfolder.StopInterrupted}, nil
}

// A second Ctrl-C (Engine.Abort) ends the grace at once: the in-flight
// requests are canceled and journaled as such, and the run ends
// interrupted with what finished exported, however long the grace.
func TestAbortEndsTheGraceAtOnce(t *testing.T) {
	base := t.TempDir()
	exp := &config.Experiment{Name: "abort", Repeats: 1, Dataset: config.DatasetSpec{Source: "mem"}, Params: config.Params{Temperature: []float64{0}},
		Export: config.ExportSpec{Dir: base, Formats: []string{}}, Platforms: []config.Platform{{Name: "p", Models: []string{"m"}, Concurrency: 4}}}
	q := &stuckQuerier{answered: make(chan struct{})}
	abort := make(chan struct{})
	eng := &Engine{Registry: shareRegistry(q, 4), Grace: time.Hour, Abort: abort}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-q.answered
		cancel()     // the first Ctrl-C: the grace of an hour starts
		close(abort) // the second
	}()
	type result struct {
		run *Run
		err error
	}
	done := make(chan result, 1)
	go func() {
		run, err := eng.Run(ctx, exp, RunOptions{})
		done <- result{run, err}
	}()
	var r result
	select {
	case r = <-done:
	case <-time.After(time.Minute): // not a timing assertion: the grace is an hour
		t.Fatal("the run still waits out its grace after the abort")
	}
	if r.run == nil || r.run.Manifest.StopReason != runfolder.StopInterrupted {
		t.Fatalf("run %+v, err %v; want an interrupted run", r.run, r.err)
	}
	recs, torn, err := runfolder.ReadJournal(filepath.Join(r.run.Dir, runfolder.JournalFile))
	if err != nil || torn || len(recs) != 4 {
		t.Fatalf("journal: %d records, torn %v, err %v; want all 4, intact", len(recs), torn, err)
	}
	canceled := 0
	for _, rec := range recs {
		if rec.Error == results.ErrCanceled {
			canceled++
		}
	}
	if canceled != 3 {
		t.Errorf("%d canceled records, want the 3 in flight", canceled)
	}
}
