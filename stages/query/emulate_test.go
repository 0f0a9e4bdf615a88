package query

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/inferbench/inferbench/pipeline"
	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/results"
	"github.com/inferbench/inferbench/stages/query/emulator"
)

func emulatedJob(profile emulator.Profile, n int) pipeline.QueryJob {
	job := newJob("", ids("q", n)...)
	job.Platform.BaseURL, job.Platform.Emulate = "", profile.Block()
	job.Platform.Concurrency = 4
	for i := range job.Cells {
		s := job.Cells[i].Sample
		s.Context = "The match was won by the Blue Falcons at Riverside Park in " + s.ID + "."
		s.Answers = []string{"Blue Falcons"}
		job.Cells[i].Messages = []config.Message{{Role: "user", Content: "Context: " + s.Context + "\n\nQuestion: who won " + s.ID + "?\n\nAnswer:"}}
	}
	return job
}

func TestEmulatedPlatformGoesThroughTheHTTPClient(t *testing.T) {
	prof := emulator.Profile{TTFT: config.Duration(20 * time.Millisecond), TokensPerSecond: 2000,
		ReasoningTokens: 5, Accuracy: 1, Usage: "sambanova"}
	recs, rep, err := collect(t, context.Background(), New(), emulatedJob(prof, 6))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 6 || rep.StopReason != "" {
		t.Fatalf("%d records, stop %q", len(recs), rep.StopReason)
	}
	for id, r := range recs {
		if !r.OK() {
			t.Errorf("%s: %s %s", id, r.Error, r.ErrorDetail)
			continue
		}
		if !strings.Contains(r.Content, "Blue Falcons") || r.Reasoning == "" || r.ReasoningTokens != 5 || r.TokensEstimated {
			t.Errorf("%s: content %q reasoning %q tokens %d estimated %v", id, r.Content, r.Reasoning, r.ReasoningTokens, r.TokensEstimated)
		}
		if r.TTFTMs < 20 || r.TTFCMs <= r.TTFTMs || len(r.Server) == 0 {
			t.Errorf("%s: TTFT %.2f TTFC %.2f server %v", id, r.TTFTMs, r.TTFCMs, r.Server)
		}
	}
}

func TestEmulatorFaultsBecomeErrorClasses(t *testing.T) {
	cases := []struct {
		name   string
		faults emulator.Faults
		setup  func(*pipeline.QueryJob)
		want   string
	}{
		{"injected 429s are http_429 once retries run out", emulator.Faults{Rate429: 1, RetryAfter: config.Duration(time.Millisecond)}, nil, "http_429"},
		{"injected 500s are http_500", emulator.Faults{Rate500: 1}, nil, "http_500"},
		{"mid-stream disconnects are stream_truncated", emulator.Faults{Disconnect: 1}, nil, results.ErrStreamTruncated},
		{"malformed chunks are bad_json", emulator.Faults{Malformed: 1}, nil, results.ErrBadJSON},
		{"error events are sse_error_event", emulator.Faults{ErrorEvent: 1}, nil, results.ErrSSEErrorEvent},
		{"stalls are timeout_idle", emulator.Faults{Stall: 1, StallFor: config.Duration(5 * time.Second)},
			func(j *pipeline.QueryJob) { j.Platform.IdleTimeout = config.Duration(50 * time.Millisecond) }, results.ErrTimeoutIdle},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			prof := emulator.Profile{TokensPerSecond: 5000, Accuracy: 1, Faults: c.faults}
			job := emulatedJob(prof, 3)
			job.Platform.Retries = 1
			if c.setup != nil {
				c.setup(&job)
			}
			recs, _, err := collect(t, context.Background(), New(WithBackoff(time.Millisecond, time.Millisecond)), job)
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != 3 {
				t.Fatalf("%d records", len(recs))
			}
			for id, r := range recs {
				if r.Error != c.want {
					t.Errorf("%s: %q (%s), want %q", id, r.Error, r.ErrorDetail, c.want)
				}
			}
		})
	}
	t.Run("retries get past a share of 429s", func(t *testing.T) {
		prof := emulator.Profile{TokensPerSecond: 5000, Accuracy: 1,
			Faults: emulator.Faults{Rate429: 0.5, RetryAfter: config.Duration(time.Millisecond)}}
		job := emulatedJob(prof, 20)
		job.Platform.Retries = 10
		recs, _, err := collect(t, context.Background(), New(), job)
		if err != nil {
			t.Fatal(err)
		}
		retried := 0
		for id, r := range recs {
			if !r.OK() {
				t.Errorf("%s: %s", id, r.Error)
			}
			if r.Attempts > 1 {
				retried++
				if r.RetryWaitMs <= 0 {
					t.Errorf("%s: %d attempts and no retry wait", id, r.Attempts)
				}
			}
		}
		if retried == 0 {
			t.Error("no request was retried at a 429 share of 0.5")
		}
	})
	t.Run("a server rejecting stream_options is noted and the requests are resent without it", func(t *testing.T) {
		prof := emulator.Profile{TokensPerSecond: 5000, Accuracy: 1, RejectStreamOptions: true}
		recs, rep, err := collect(t, context.Background(), New(), emulatedJob(prof, 4))
		if err != nil {
			t.Fatal(err)
		}
		for id, r := range recs {
			if !r.OK() {
				t.Errorf("%s: %s %s", id, r.Error, r.ErrorDetail)
			}
			// Without stream_options the emulator sends no usage chunk, so
			// the token counts are the stream's own estimate.
			if !r.TokensEstimated || r.OutputTokens == 0 {
				t.Errorf("%s: tokens_estimated %v, output_tokens %d", id, r.TokensEstimated, r.OutputTokens)
			}
		}
		if len(rep.Notes) != 1 {
			t.Errorf("notes %q", rep.Notes)
		}
	})
}
