package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/inferbench/inferbench/pipeline/results"
	"github.com/inferbench/inferbench/pipeline/runfolder"
)

func TestTheFirstInterruptCancelsTheRunAndTheSecondAborts(t *testing.T) {
	sig := make(chan os.Signal, 2)
	seconds := make(chan struct{}, 1)
	ctx, abort, stop := watchInterrupts(sig, func() { seconds <- struct{}{} })
	defer stop()
	sig <- os.Interrupt
	<-ctx.Done()
	select {
	case <-abort:
		t.Fatal("one interrupt aborted")
	default:
	}
	sig <- syscall.SIGTERM
	<-abort
	<-seconds
	if abortOf(withAbort(ctx, abort)) != abort || abortOf(ctx) != nil {
		t.Error("the abort channel does not travel in the context")
	}
}

// waitFor polls until cond holds, failing the test after a minute (a
// guard against a hang, not a timing assertion).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("gave up waiting for %s", what)
}

// A second Ctrl-C stops a real process at once: the requests in flight
// (which a server holds open) are canceled and journaled as
// such, the journal stays readable, the run exits 130 and prints how to
// resume.
func TestASecondCtrlCStopsAtOnce(t *testing.T) {
	t.Parallel() // mostly waits on another process
	if testing.Short() {
		t.Skip("builds and interrupts a real process")
	}
	dir := t.TempDir()
	bin := buildBinary(t)
	// A server that holds every request open until the client gives up.
	var inFlight atomic.Int32
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/chat/completions" {
			http.NotFound(w, r) // e.g. /metrics, scraped by default on a local endpoint
			return
		}
		inFlight.Add(1)
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	exp := writeFile(t, dir, "stuck.yaml", `name: stuck
dataset: {source: demo, slice: "[:6]"}
platforms:
  - name: a
    base_url: `+srv.URL+`/v1
    models: [m]
    concurrency: 2
    timeout: 10m
export: {formats: [json]}
`)
	out := filepath.Join(dir, "out")
	cmd := exec.Command(bin, "run", exp, "--out", out, "--no-progress")
	var stderr syncBuffer
	cmd.Stderr = &stderr
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "two requests in flight", func() bool { return inFlight.Load() == 2 })
	cmd.Process.Signal(os.Interrupt)
	waitFor(t, "the first interrupt's message", func() bool { return strings.Contains(stderr.String(), "Ctrl-C again stops them at once") })
	cmd.Process.Signal(os.Interrupt)
	err := cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != exitInterrupted {
		t.Fatalf("exit: %v, want %d\n%s", err, exitInterrupted, stderr.String())
	}
	run := glob1(out, "stuck-*")
	for _, want := range []string{"interrupted again: canceling the requests in flight", "continue with --resume " + run} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
		}
	}
	recs, torn, err := runfolder.ReadJournal(filepath.Join(run, runfolder.JournalFile))
	if err != nil || torn || len(recs) != 2 {
		t.Fatalf("journal: %d records, torn %v, err %v; want the 2 in flight, intact\n%s", len(recs), torn, err, stderr.String())
	}
	for _, r := range recs {
		if r.Error != results.ErrCanceled {
			t.Errorf("%s: error %q, want %s", r.CellKey, r.Error, results.ErrCanceled)
		}
	}
}
