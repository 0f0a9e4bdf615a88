package query

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/inferbench/inferbench/pipeline"
	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/results"
	"github.com/inferbench/inferbench/pipeline/runfolder"
)

func ids(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = prefix + strconv.Itoa(i)
	}
	return out
}

func TestOpenLoop(t *testing.T) {
	run := func(t *testing.T, seed int64) (map[string]results.Record, pipeline.QueryReport) {
		f := newFake(t, nil)
		job := newJob(f.URL+"/v1", ids("s", 40)...)
		job.Platform.Rate, job.Platform.Arrival, job.Platform.Concurrency = 400, "poisson", 0
		job.Seed = seed
		recs, rep, err := collect(t, context.Background(), New(), job)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 40 || rep.StopReason != "" {
			t.Fatalf("%d records, stop %q", len(recs), rep.StopReason)
		}
		assertGood(t, recs, ids("s", 40)...)
		return recs, rep
	}
	t.Run("no request is sent before it is due and queueing is reported", func(t *testing.T) {
		recs, _ := run(t, 5)
		pacer := NewPoissonPacer(400, 5)
		first := recs["s0"].StartedAt
		// s0 may itself go late (a busy machine): offsets from its send are
		// short by its own lateness, which its queue time measures.
		late0 := time.Duration(recs["s0"].QueueMs * float64(time.Millisecond))
		for i := range 40 {
			r := recs["s"+strconv.Itoa(i)]
			offset := r.StartedAt.Sub(first) // monotonic: StartedAt keeps its reading in memory
			if due := pacer.Due(uint64(i)); offset+late0+time.Millisecond < due-pacer.Due(0) {
				t.Errorf("s%d sent at %v, due at %v", i, offset, due)
			}
			if r.QueueMs < 0 {
				t.Errorf("s%d queue %.3f ms < 0", i, r.QueueMs)
			}
		}
		span := recs["s39"].StartedAt.Sub(first).Seconds()
		achieved := 39 / span
		t.Logf("target 400 req/s, achieved %.1f req/s over %.3fs", achieved, span)
		if want := 39 / pacer.Due(39).Seconds(); achieved > want*1.05 {
			t.Errorf("achieved %.1f req/s above the schedule's %.1f", achieved, want)
		}
	})
	t.Run("a concurrency cap bounds requests in flight", func(t *testing.T) {
		var in, peak atomic.Int32
		f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
			n := in.Add(1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			time.Sleep(5 * time.Millisecond)
			in.Add(-1)
			streamAnswer(w, "answer "+r.Header.Get("X-Request-Id")[strings.LastIndex(r.Header.Get("X-Request-Id"), "/")+1:])
		})
		job := newJob(f.URL+"/v1", ids("bad", 20)...)
		job.Platform.Rate, job.Platform.Arrival, job.Platform.Concurrency = 2000, "constant", 2
		recs, _, err := collect(t, context.Background(), New(), job)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 20 || peak.Load() > 2 {
			t.Errorf("%d records, peak in flight %d (cap 2)", len(recs), peak.Load())
		}
		queued := 0
		for _, r := range recs {
			if r.QueueMs > 1 {
				queued++
			}
		}
		if queued == 0 {
			t.Error("a capped schedule shows no queueing")
		}
	})
}

func TestWarmupCellsFinishBeforeMeasuredOnes(t *testing.T) {
	var mu sync.Mutex
	warmIn, warmDone, violations := 0, 0, 0
	f := newFake(t, nil, wrap(func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			warm := strings.HasSuffix(r.Header.Get("X-Request-Id"), "/warmup")
			mu.Lock()
			if warm {
				warmIn++
			} else if warmDone < 3 {
				violations++
			}
			mu.Unlock()
			if warm {
				time.Sleep(10 * time.Millisecond)
			}
			h.ServeHTTP(w, r)
			if warm {
				mu.Lock()
				warmDone++
				mu.Unlock()
			}
		})
	}))
	job := newJob(f.URL+"/v1", ids("w", 3)...)
	for i := range job.Cells {
		job.Cells[i].Warmup = true
	}
	measured := newJob(f.URL+"/v1", ids("m", 6)...)
	job.Cells = append(job.Cells, measured.Cells...)
	job.Platform.Concurrency = 4
	recs, _, err := collect(t, context.Background(), New(), job)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 9 || violations != 0 || warmIn != 3 {
		t.Errorf("%d records, %d measured requests during warmup, %d warmups", len(recs), violations, warmIn)
	}
	if !recs["w0"].Warmup || recs["m0"].Warmup {
		t.Error("warmup flag not kept on records")
	}
}

func TestStops(t *testing.T) {
	t.Run("max_errors stops scheduling after that many failures", func(t *testing.T) {
		f := newFake(t, func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", 500) })
		job := newJob(f.URL+"/v1", ids("bad", 10)...)
		job.Platform.Concurrency, job.Platform.MaxErrors = 1, 3
		recs, rep, err := collect(t, context.Background(), New(), job)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 3 || rep.StopReason != "max_errors: 3 failed requests" {
			t.Errorf("%d records, stop %q", len(recs), rep.StopReason)
		}
	})
	t.Run("max_error_rate is judged after the minimum number of requests", func(t *testing.T) {
		f := newFake(t, func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", 500) })
		cells := append(ids("good", 7), ids("bad", 13)...)
		job := newJob(f.URL+"/v1", cells...)
		job.Platform.Concurrency, job.Platform.MaxErrorRate = 1, 0.2
		recs, rep, err := collect(t, context.Background(), New(), job)
		if err != nil {
			t.Fatal(err)
		}
		n := config.MinRequestsForErrorRate
		want := "max_error_rate: 0.30 > 0.2 after 10 requests"
		if len(recs) != n || rep.StopReason != want {
			t.Errorf("%d records, stop %q, want %d and %q", len(recs), rep.StopReason, n, want)
		}
	})
	t.Run("max_duration stops scheduling and drains in-flight requests", func(t *testing.T) {
		f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
			time.Sleep(30 * time.Millisecond)
			streamAnswer(w, "answer "+r.Header.Get("X-Request-Id")[strings.LastIndex(r.Header.Get("X-Request-Id"), "/")+1:])
		})
		job := newJob(f.URL+"/v1", ids("bad", 50)...)
		job.Platform.Concurrency, job.Platform.MaxDuration = 2, config.Duration(100*time.Millisecond)
		recs, rep, err := collect(t, context.Background(), New(), job)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) == 0 || len(recs) == 50 || rep.StopReason != "max_duration" {
			t.Errorf("%d records, stop %q", len(recs), rep.StopReason)
		}
		for id, r := range recs {
			if !r.OK() {
				t.Errorf("%s was not drained: %s", id, r.Error)
			}
		}
	})
	t.Run("cancel emits every attempted cell exactly once", func(t *testing.T) {
		arrived := make(chan struct{}, 100)
		f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
			s := startSSE(w)
			s.data(delta(map[string]any{"content": "slow"}, nil))
			arrived <- struct{}{}
			<-r.Context().Done()
		})
		job := newJob(f.URL+"/v1", ids("bad", 10)...)
		job.Platform.Concurrency = 3
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			for range 3 {
				<-arrived
			}
			cancel()
		}()
		recs, rep, err := collect(t, ctx, New(), job)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 3 || rep.StopReason != "interrupted" {
			t.Errorf("%d records, stop %q", len(recs), rep.StopReason)
		}
		for id, r := range recs {
			if r.Error != results.ErrCanceled || r.Attempts != 1 {
				t.Errorf("%s: error %q attempts %d", id, r.Error, r.Attempts)
			}
		}
	})
	t.Run("cancel during an open-loop schedule emits every attempted cell once", func(t *testing.T) {
		f := newFake(t, nil)
		job := newJob(f.URL+"/v1", ids("s", 1000)...)
		job.Platform.Rate, job.Platform.Arrival, job.Platform.Concurrency = 200, "constant", 0
		ctx, cancel := context.WithCancel(context.Background())
		var seen atomic.Int32
		job.Progress = func(results.Record) {
			if seen.Add(1) == 5 {
				cancel()
			}
		}
		recs, rep, err := collect(t, ctx, New(), job)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) < 5 || len(recs) == 1000 || int(seen.Load()) != len(recs) || rep.StopReason != "interrupted" {
			t.Errorf("%d records, %d progress calls, stop %q", len(recs), seen.Load(), rep.StopReason)
		}
	})
	t.Run("a closed Stop channel schedules nothing new but lets in-flight requests finish", func(t *testing.T) {
		arrived := make(chan struct{}, 100)
		release := make(chan struct{})
		f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
			arrived <- struct{}{}
			<-release
			streamAnswer(w, "finished")
		})
		job := newJob(f.URL+"/v1", ids("bad", 10)...)
		job.Platform.Concurrency = 3
		stop := make(chan struct{})
		job.Stop = stop
		go func() {
			for range 3 {
				<-arrived
			}
			close(stop)
			time.Sleep(20 * time.Millisecond) // let the scheduler see Stop first
			close(release)
		}()
		recs, rep, err := collect(t, context.Background(), New(), job)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 3 || rep.StopReason != runfolder.StopInterrupted {
			t.Errorf("%d records, stop %q; want the 3 in flight and %q", len(recs), rep.StopReason, runfolder.StopInterrupted)
		}
		for id, r := range recs {
			if !r.OK() || r.Content != "finished" {
				t.Errorf("%s was cut short: %q %q", id, r.Error, r.Content)
			}
		}
	})
}
