package query

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/inferbench/inferbench/pipeline/config"
)

func TestRetryAfterIsCapped(t *testing.T) {
	// A slack for timers on a shared machine; the cap itself is asserted
	// through RetryWaitMs, never through wall-clock time.
	const slack = 200 * time.Millisecond
	cases := []struct {
		name   string
		header http.Header
		setup  func(*config.Platform)
		limit  time.Duration
		note   string
	}{
		{name: "Retry-After 3600 waits only max_retry_wait",
			header: http.Header{"Retry-After": {"3600"}},
			setup:  func(p *config.Platform) { p.MaxRetryWait = config.Duration(50 * time.Millisecond) },
			limit:  50 * time.Millisecond, note: "max_retry_wait 50ms"},
		{name: "a Retry-After date a day away waits only max_retry_wait",
			header: http.Header{"Retry-After": {time.Now().Add(24 * time.Hour).UTC().Format(http.TimeFormat)}},
			setup:  func(p *config.Platform) { p.MaxRetryWait = config.Duration(50 * time.Millisecond) },
			limit:  50 * time.Millisecond, note: "max_retry_wait 50ms"},
		{name: "Retry-After-Ms of a day waits only max_retry_wait",
			header: http.Header{"Retry-After-Ms": {"86400000"}},
			setup:  func(p *config.Platform) { p.MaxRetryWait = config.Duration(50 * time.Millisecond) },
			limit:  50 * time.Millisecond, note: "max_retry_wait 50ms"},
		{name: "Retry-After longer than the timeout waits only the timeout",
			header: http.Header{"Retry-After": {"3600"}},
			setup:  func(p *config.Platform) { p.Timeout = config.Duration(80 * time.Millisecond) },
			limit:  80 * time.Millisecond, note: "timeout 80ms"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var calls atomic.Int32
			f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
				if calls.Add(1) == 1 {
					for k, v := range tc.header {
						w.Header()[k] = v
					}
					http.Error(w, "slow down", http.StatusTooManyRequests)
					return
				}
				streamAnswer(w, "answer bad")
			})
			job := newJob(f.URL+"/v1", "bad", "good")
			job.Platform.Retries = 2
			tc.setup(&job.Platform)
			// A generous bound that only stops a broken cap from hanging the test.
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			recs, rep, err := collect(t, ctx, New(WithBackoff(time.Hour, time.Hour)), job)
			if err != nil {
				t.Fatal(err)
			}
			r := recs["bad"]
			if !r.OK() || r.Attempts != 2 || calls.Load() != 2 {
				t.Fatalf("error %q (%s) attempts %d calls %d, want a success on the second attempt", r.Error, r.ErrorDetail, r.Attempts, calls.Load())
			}
			if r.RetryWaitMs < ms(tc.limit)*0.9 || r.RetryWaitMs > ms(tc.limit+slack) {
				t.Errorf("retry wait %.1f ms, want about %v", r.RetryWaitMs, tc.limit)
			}
			notes := strings.Join(rep.Notes, "\n")
			if !strings.Contains(notes, "capped") || !strings.Contains(notes, tc.note) {
				t.Errorf("notes %q do not say the wait was capped by %s", notes, tc.note)
			}
			assertGood(t, recs, "good")
		})
	}
	t.Run("a capped wait on a request that fails in the end says so in error_detail", func(t *testing.T) {
		f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "3600")
			http.Error(w, "slow down", http.StatusTooManyRequests)
		})
		job := newJob(f.URL+"/v1", "bad", "good")
		job.Platform.Retries = 1
		job.Platform.MaxRetryWait = config.Duration(10 * time.Millisecond)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		recs, _, err := collect(t, ctx, New(), job)
		if err != nil {
			t.Fatal(err)
		}
		r := recs["bad"]
		if r.Error != "http_429" || r.Attempts != 2 || !strings.Contains(r.ErrorDetail, "slow down") ||
			!strings.Contains(r.ErrorDetail, "Retry-After 1h0m0s capped to 10ms") {
			t.Errorf("error %q attempts %d detail %q", r.Error, r.Attempts, r.ErrorDetail)
		}
	})
}
