package query

import (
	"context"
	"net"
	"net/http"
	"os"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/inferbench/inferbench/pipeline/results"
)

// TestClientResourceFailuresAreLeftOutOfTheErrorRateBudget: max_error_rate
// is the platform's error rate, so requests that failed on this machine's
// resources count neither as failures nor as requests: 10 of them, then 10
// requests the platform fails, stop the level after the platform's 10th
// (rate 1.00), not after 13 requests at a rate diluted by the client's.
func TestClientResourceFailuresAreLeftOutOfTheErrorRateBudget(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", 500) })
	var dials atomic.Int32
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		if dials.Add(1) <= 10 {
			return nil, &net.OpError{Op: "dial", Net: network, Err: os.NewSyscallError("socket", syscall.EMFILE)}
		}
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
	job := newJob(f.URL+"/v1", append(ids("local", 10), ids("bad", 10)...)...)
	job.Platform.Concurrency, job.Platform.MaxErrorRate = 1, 0.2
	recs, rep, err := collect(t, context.Background(), New(WithDialer(dial)), job)
	if err != nil {
		t.Fatal(err)
	}
	client := 0
	for _, r := range recs {
		if r.Error == results.ErrClientResource {
			client++
		}
	}
	want := "max_error_rate: 1.00 > 0.2 after 10 requests"
	if client != 10 || len(recs) != 20 || rep.StopReason != want {
		t.Errorf("%d records (%d client_resource), stop %q; want 20 (10) and %q", len(recs), client, rep.StopReason, want)
	}
}
