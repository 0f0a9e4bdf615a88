package query

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/inferbench/inferbench/pipeline/results"
)

func TestRecordCountsAttemptsAnswered429(t *testing.T) {
	tests := []struct {
		name     string
		statuses []int // answers before the stream; 0 streams the answer
		retries  int
		attempts int
		http429  int
		errClass string
	}{
		{"429s retried away are counted on the successful record", []int{429, 503, 429, 0}, 3, 4, 2, ""},
		{"a 429 that exhausts the retries is counted with the final one", []int{503, 429, 429}, 2, 3, 2, results.HTTPError(429)},
		{"a request answered at once has no 429", []int{0}, 2, 1, 0, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var calls atomic.Int32
			f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
				i := int(calls.Add(1)) - 1
				if i < len(tc.statuses) && tc.statuses[i] != 0 {
					http.Error(w, "no", tc.statuses[i])
					return
				}
				streamAnswer(w, "answer bad")
			})
			job := newJob(f.URL+"/v1", "bad", "good")
			job.Platform.Retries = tc.retries
			recs, _, err := collect(t, context.Background(), New(WithBackoff(time.Millisecond, 2*time.Millisecond)), job)
			if err != nil {
				t.Fatal(err)
			}
			r := recs["bad"]
			if r.Attempts != tc.attempts || r.HTTP429 != tc.http429 || r.Error != tc.errClass {
				t.Errorf("attempts %d http_429 %d error %q, want %d %d %q", r.Attempts, r.HTTP429, r.Error, tc.attempts, tc.http429, tc.errClass)
			}
			if g := recs["good"]; g.HTTP429 != 0 {
				t.Errorf("good record http_429 %d", g.HTTP429)
			}
		})
	}
}
