//go:build linux

package query

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/inferbench/inferbench/pipeline/results"
)

func TestClientResourceErrorsAreTheClientsNotThePlatforms(t *testing.T) {
	wrapped := func(op string, errno syscall.Errno) error {
		// What net/http returns for a dial that failed in socket() or connect().
		return &url.Error{Op: "Post", URL: "http://x/v1/chat/completions",
			Err: &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError(op, errno)}}
	}
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"too many open files in this process (EMFILE)", wrapped("socket", syscall.EMFILE), results.ErrClientResource},
		{"too many open files in the system (ENFILE)", wrapped("socket", syscall.ENFILE), results.ErrClientResource},
		{"ephemeral ports exhausted (EADDRNOTAVAIL)", wrapped("connect", syscall.EADDRNOTAVAIL), results.ErrClientResource},
		{"no socket buffer space (ENOBUFS)", wrapped("write", syscall.ENOBUFS), results.ErrClientResource},
		{"no memory (ENOMEM)", wrapped("socket", syscall.ENOMEM), results.ErrClientResource},
		{"a refused connection is still the platform's", wrapped("connect", syscall.ECONNREFUSED), results.ErrTransport},
		{"a reset connection is still the platform's", wrapped("read", syscall.ECONNRESET), results.ErrTransport},
	} {
		t.Run(tc.name, func(t *testing.T) {
			class, detail := classify(context.Background(), context.Background(), tc.err)
			if class != tc.want {
				t.Fatalf("class %q (%s), want %q", class, detail, tc.want)
			}
			if class == results.ErrClientResource && results.ClientResourceKind(detail) == "" {
				t.Errorf("detail %q names no resource kind", detail)
			}
		})
	}
}

func TestAClientResourceFailureIsRetriedLikeATransportError(t *testing.T) {
	f := newFake(t, nil)
	var dials atomic.Int32
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		if dials.Add(1) == 1 {
			return nil, &net.OpError{Op: "dial", Net: network, Err: os.NewSyscallError("socket", syscall.EMFILE)}
		}
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
	job := newJob(f.URL+"/v1", "a")
	job.Platform.Retries = 1
	recs, _, err := collect(t, context.Background(), New(WithDialer(dial), WithBackoff(time.Millisecond, time.Millisecond)), job)
	if err != nil {
		t.Fatal(err)
	}
	if r := recs["a"]; !r.OK() || r.Attempts != 2 {
		t.Fatalf("record: error %q (%s), attempts %d; want success at attempt 2", r.Error, r.ErrorDetail, r.Attempts)
	}

	job.Platform.Retries = 0
	dials.Store(0)
	recs, _, err = collect(t, context.Background(), New(WithDialer(dial)), job)
	if err != nil {
		t.Fatal(err)
	}
	if r := recs["a"]; r.Error != results.ErrClientResource {
		t.Fatalf("without retries: error %q (%s), want %s", r.Error, r.ErrorDetail, results.ErrClientResource)
	}
}

// emfileChildEnv names the fixed-delay server a child of
// TestTooManyOpenFilesInAChildAreClientResourceFailures sends to.
const emfileChildEnv = "INFERBENCH_TEST_EMFILE_URL"

// TestTooManyOpenFilesInAChildAreClientResourceFailures runs the test
// binary again as a child whose RLIMIT_NOFILE is 24, and has it send 60
// requests at once to a fixed-delay SSE server (first token after 200 ms)
// in this process: the child runs out of file descriptors, and those
// requests must be client_resource, never transport.
func TestTooManyOpenFilesInAChildAreClientResourceFailures(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	f := newFake(t, nil, wrap(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			time.Sleep(200 * time.Millisecond) // every connection is open at once
			next.ServeHTTP(w, r)
		})
	}))
	cmd := exec.Command(os.Args[0], "-test.run=^TestEMFILEChild$", "-test.v")
	cmd.Env = append(os.Environ(), emfileChildEnv+"="+f.URL+"/v1")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	var counts map[string]int
	for _, line := range splitLines(string(out)) {
		if json.Unmarshal([]byte(line), &counts) == nil {
			break
		}
	}
	if counts == nil {
		t.Fatalf("child printed no counts:\n%s", out)
	}
	t.Logf("child's records by class: %v", counts)
	if counts[results.ErrClientResource] == 0 || counts[results.ErrTransport] != 0 {
		t.Fatalf("error classes %v: want client_resource failures and no transport failure", counts)
	}
	if counts["ok"] == 0 {
		t.Errorf("error classes %v: the requests that got a descriptor should succeed", counts)
	}
}

func splitLines(s string) []string {
	var out []string
	for len(s) > 0 {
		i := 0
		for i < len(s) && s[i] != '\n' {
			i++
		}
		out = append(out, s[:i])
		if i < len(s) {
			i++
		}
		s = s[i:]
	}
	return out
}

// TestEMFILEChild is the child of
// TestTooManyOpenFilesInAChildAreClientResourceFailures; it does nothing
// in an ordinary test run.
func TestEMFILEChild(t *testing.T) {
	base := os.Getenv(emfileChildEnv)
	if base == "" {
		t.Skip("only as the child of TestTooManyOpenFilesInAChildAreClientResourceFailures")
	}
	lim := syscall.Rlimit{Cur: 24, Max: 24}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	ids := make([]string, 60)
	for i := range ids {
		ids[i] = "s" + string(rune('a'+i/26)) + string(rune('a'+i%26))
	}
	job := newJob(base, ids...)
	job.Platform.Concurrency = len(ids)
	recs, _, err := collect(t, context.Background(), New(), job)
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, r := range recs {
		if r.OK() {
			counts["ok"]++
		} else {
			counts[r.Error]++
			if r.Error != results.ErrClientResource {
				t.Logf("%s: %s", r.Error, r.ErrorDetail)
			}
		}
	}
	b, _ := json.Marshal(counts)
	os.Stdout.Write(append(append([]byte("\n"), b...), '\n'))
}

func TestOpenLoopReportsEachRequestsSendLag(t *testing.T) {
	f := newFake(t, nil)
	for _, cap := range []int{0, 1} {
		job := newJob(f.URL+"/v1", "a", "b", "c", "d", "e")
		job.Platform.Rate, job.Platform.Arrival, job.Platform.Concurrency = 200, "constant", cap
		var n atomic.Int32
		var neg atomic.Bool
		job.SendLag = func(d time.Duration) {
			n.Add(1)
			if d < 0 {
				neg.Store(true)
			}
		}
		if _, _, err := collect(t, context.Background(), New(), job); err != nil {
			t.Fatal(err)
		}
		if n.Load() != 5 || neg.Load() {
			t.Errorf("cap %d: %d send lags (negative: %v), want 5 non-negative", cap, n.Load(), neg.Load())
		}
	}
}
