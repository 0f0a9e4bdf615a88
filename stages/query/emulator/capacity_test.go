package emulator

import (
	"context"
	"io"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/inferbench/inferbench/pipeline/config"
)

func TestBatchFactorGrowsWithTheBatchUpToMaxBatch(t *testing.T) {
	prof := Profile{MaxBatch: 8, BatchSlowdown: 0.25}
	tests := []struct {
		name  string
		prof  Profile
		batch int
		want  float64
	}{
		{"a request alone runs at the profile's speed", prof, 1, 1},
		{"an idle server counts as a batch of one", prof, 0, 1},
		{"each other request in the batch adds batch_slowdown", prof, 5, 2},
		{"the batch never exceeds max_batch", prof, 64, 1 + 0.25*7},
		{"without max_batch the batch is whatever is in flight", Profile{BatchSlowdown: 0.5}, 11, 6},
		{"without batch_slowdown batching costs nothing", Profile{MaxBatch: 4}, 4, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := BatchFactor(tt.prof, tt.batch); got != tt.want {
				t.Errorf("BatchFactor(%d) = %v, want %v", tt.batch, got, tt.want)
			}
		})
	}
}

// meanE2E sends n streamed requests at once to a fresh emulator and returns
// their mean time from send to the end of the body, and the most requests
// the server decoded at once.
func meanE2E(t *testing.T, prof Profile, n int) (time.Duration, int) {
	t.Helper()
	srv := New(prof, 1, fixtureLookup)
	base, shutdown, err := Start("127.0.0.1:0", srv)
	if err != nil {
		t.Fatal(err)
	}
	defer shutdown(context.Background())
	var peak atomic.Int64
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			case <-time.After(2 * time.Millisecond):
				if a := int64(srv.Active()); a > peak.Load() {
					peak.Store(a)
				}
			}
		}
	}()
	var total atomic.Int64
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b := streamBody(promptFor(&fixture[i%len(fixture)]))
			b.MaxTokens = 8
			start := time.Now()
			resp := post(t, context.Background(), base, "/chat/completions", b, "")
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Errorf("status %d", resp.StatusCode)
			}
			total.Add(int64(time.Since(start)))
		}()
	}
	wg.Wait()
	close(done)
	return time.Duration(total.Load() / int64(n)), int(peak.Load())
}

func TestCapacityModelMakesLatencyGrowWithLoad(t *testing.T) {
	base := Profile{TTFT: config.Duration(20 * time.Millisecond), TokensPerSecond: 100, Accuracy: 1, Style: "plain"}
	capped := base
	capped.MaxBatch, capped.BatchSlowdown = 4, 0.5

	alone, _ := meanE2E(t, capped, 1)
	loaded, peak := meanE2E(t, capped, 16)
	// Four rounds of four requests, each round 2.5x slower than a request
	// alone: the mean is about 6x; 3x leaves room for a loaded machine.
	if ratio := float64(loaded) / float64(alone); ratio < 3 {
		t.Errorf("mean E2E at 16 in flight = %v, alone %v: ratio %.1f, want >= 3 (queue and batch slowdown)", loaded, alone, ratio)
	}
	if peak > capped.MaxBatch {
		t.Errorf("the server decoded %d requests at once, more than max_batch %d", peak, capped.MaxBatch)
	}

	// Without a capacity model nothing queues: all 16 decode at once. (A
	// wall-clock ratio here measured the test machine, not the emulator:
	// under -race on 2 busy cores 16 streams alone took 3x as long.) A
	// first token at 1 s keeps every request open while the client, slow
	// under -race, is still sending the others.
	free := base
	free.TTFT = config.Duration(time.Second)
	if _, freePeak := meanE2E(t, free, 16); freePeak != 16 {
		t.Errorf("without a capacity model the server decoded at most %d of 16 requests at once; none may wait", freePeak)
	}
}
