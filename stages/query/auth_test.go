//go:build linux

package query

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/inferbench/inferbench/pipeline/config"
)

func TestTokenCommandIsBoundedAndExplainsItsFailures(t *testing.T) {
	t.Run("a command that outlives its timeout fails fast with a message naming the timeout", func(t *testing.T) {
		start := time.Now()
		_, err := runTokenCommand(context.Background(), "sleep 10", 100*time.Millisecond, nil)
		if took := time.Since(start); took > 5*time.Second {
			t.Errorf("took %v", took)
		}
		if err == nil || !strings.Contains(err.Error(), "100ms") || !strings.Contains(err.Error(), "api_key_command_timeout") {
			t.Errorf("err = %v, want one naming the 100ms api_key_command_timeout", err)
		}
	})
	t.Run("a failing command shows its stderr and its exit status", func(t *testing.T) {
		_, err := runTokenCommand(context.Background(), "echo oops >&2; exit 3", time.Minute, nil)
		if err == nil || !strings.Contains(err.Error(), "oops") || !strings.Contains(err.Error(), "exit status 3") {
			t.Errorf("err = %v, want stderr oops and exit status 3", err)
		}
	})
	t.Run("a command that prints nothing shows its stderr", func(t *testing.T) {
		_, err := runTokenCommand(context.Background(), "echo 'not logged in: run authenticate first' >&2", time.Minute, nil)
		if err == nil || !strings.Contains(err.Error(), "printed no token") || !strings.Contains(err.Error(), "not logged in: run authenticate first") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("only the last lines of a long stderr are shown", func(t *testing.T) {
		_, err := runTokenCommand(context.Background(), "for i in $(seq 1 50); do echo line$i >&2; done; exit 1", time.Minute, nil)
		if err == nil || !strings.Contains(err.Error(), "line50") || strings.Contains(err.Error(), "line40") {
			t.Errorf("err = %v, want line50 and not line40", err)
		}
	})
	t.Run("stderr never shows the token the command printed or a known secret", func(t *testing.T) {
		var sec secrets
		sec.add("sk-old-token-987654")
		_, err := runTokenCommand(context.Background(),
			"echo sk-new-token-123456; echo got sk-new-token-123456 after sk-old-token-987654 >&2; exit 1", time.Minute, &sec)
		if err == nil || strings.Contains(err.Error(), "sk-new-token") || strings.Contains(err.Error(), "sk-old-token") ||
			!strings.Contains(err.Error(), "got [redacted] after [redacted]") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("canceling the context stops the command and its children promptly", func(t *testing.T) {
		pidFile := filepath.Join(t.TempDir(), "pid")
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(200*time.Millisecond, cancel)
		start := time.Now()
		_, err := runTokenCommand(ctx, "sleep 10 & echo $! > "+pidFile+"; wait", time.Minute, nil)
		if took := time.Since(start); took > 5*time.Second {
			t.Errorf("took %v", took)
		}
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
		b, rerr := os.ReadFile(pidFile)
		pid, perr := strconv.Atoi(strings.TrimSpace(string(b)))
		if rerr != nil || perr != nil {
			t.Fatalf("no child pid: %v %v", rerr, perr)
		}
		deadline := time.Now().Add(3 * time.Second)
		for !processGone(pid) {
			if time.Now().After(deadline) {
				t.Fatalf("the command's child %d still runs after the cancel", pid)
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
	t.Run("closing Stop while the command runs ends Query's setup promptly", func(t *testing.T) {
		job := newJob("http://127.0.0.1:1/v1", "a")
		job.Platform.APIKeyCommand = "sleep 10"
		stop := make(chan struct{})
		job.Stop = stop
		time.AfterFunc(200*time.Millisecond, func() { close(stop) })
		start := time.Now()
		_, _, err := collect(t, context.Background(), New(), job)
		if took := time.Since(start); took > 5*time.Second {
			t.Errorf("took %v", took)
		}
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	})
	t.Run("the platform's api_key_command_timeout applies", func(t *testing.T) {
		job := newJob("http://127.0.0.1:1/v1", "a")
		job.Platform.APIKeyCommand = "sleep 10"
		job.Platform.APIKeyCommandTimeout = config.Duration(150 * time.Millisecond)
		_, _, err := collect(t, context.Background(), New(), job)
		if err == nil || !strings.Contains(err.Error(), "150ms") {
			t.Errorf("err = %v", err)
		}
	})
}

// processGone reports whether pid has exited (or is a zombie waiting for
// a parent that is not ours to reap it).
func processGone(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return true
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return os.IsNotExist(err)
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	return len(f) > 0 && f[0] == "Z"
}
