package query

import (
	"context"
	"errors"
	"fmt"
	"syscall"
	"unicode/utf8"

	"github.com/inferbench/inferbench/pipeline/results"
)

// Causes given to an attempt's context when one of its timeouts fires.
var (
	errTotalTimeout      = errors.New("total timeout")
	errFirstTokenTimeout = errors.New("first token timeout")
	errIdleTimeout       = errors.New("idle timeout")
	errDrained           = errors.New("body not closed after [DONE]")
)

// connectTimeoutError marks a dial that ran out of its connect timeout.
type connectTimeoutError struct{ err error }

func (e *connectTimeoutError) Error() string { return "connect timeout: " + e.err.Error() }
func (e *connectTimeoutError) Unwrap() error { return e.err }

// maxDetail bounds ErrorDetail and quoted response bodies.
const maxDetail = 200

// detail makes an error_detail of s, which may quote the server: every
// secret is redacted first, then it is cut to maxDetail bytes, so that no
// cut leaves part of a secret behind.
func (r *run) detail(s string) string { return truncate(r.sec.redact(s), maxDetail) }

// truncate shortens s to at most n bytes without splitting a UTF-8 rune.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}

// classify maps the error of an attempt to an error class and a detail
// (redacted and shortened). parent is the run's context, actx the
// attempt's (whose cause names a fired timeout).
func (r *run) classify(parent, actx context.Context, err error) (class, detail string) {
	class, detail = classify(parent, actx, err)
	return class, r.detail(detail)
}

// classify maps the error of an attempt to an error class and a detail,
// which may quote the server and is neither redacted nor shortened.
func classify(parent, actx context.Context, err error) (class, detail string) {
	if parent.Err() != nil {
		return results.ErrCanceled, "canceled while in flight"
	}
	if clientResource(err) {
		return results.ErrClientResource, fmt.Sprint(err)
	}
	switch cause := context.Cause(actx); {
	case errors.Is(cause, errTotalTimeout):
		return results.ErrTimeoutTotal, "request exceeded the total timeout"
	case errors.Is(cause, errFirstTokenTimeout):
		return results.ErrTimeoutFirstToken, "no token before the first-token timeout"
	case errors.Is(cause, errIdleTimeout):
		return results.ErrTimeoutIdle, "no event within the idle timeout"
	}
	var ct *connectTimeoutError
	if errors.As(err, &ct) {
		return results.ErrTimeoutConnect, ct.Error()
	}
	return results.ErrTransport, fmt.Sprint(err)
}

// clientErrnos are the errors of this machine's own resources: file
// descriptors (per process, system-wide), local addresses and ephemeral
// ports, socket buffers, memory.
var clientErrnos = []syscall.Errno{syscall.EMFILE, syscall.ENFILE, syscall.EADDRNOTAVAIL, syscall.ENOBUFS, syscall.ENOMEM}

// clientResource reports whether err, through its wrapping chain
// (url.Error, net.OpError, os.SyscallError), is one of clientErrnos: a
// failure of the client, never of the platform (results.ErrClientResource).
func clientResource(err error) bool {
	if err == nil {
		return false
	}
	for _, e := range clientErrnos {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}
