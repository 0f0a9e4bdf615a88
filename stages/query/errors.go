package query

import (
	"context"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/inferbench/inferbench/pipeline"
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

// classify maps the error of an attempt to an error class. parent is the
// run's context, actx the attempt's (whose cause names a fired timeout).
func classify(parent, actx context.Context, err error) (class, detail string) {
	if parent.Err() != nil {
		return pipeline.ErrCanceled, "canceled while in flight"
	}
	switch cause := context.Cause(actx); {
	case errors.Is(cause, errTotalTimeout):
		return pipeline.ErrTimeoutTotal, "request exceeded the total timeout"
	case errors.Is(cause, errFirstTokenTimeout):
		return pipeline.ErrTimeoutFirstToken, "no token before the first-token timeout"
	case errors.Is(cause, errIdleTimeout):
		return pipeline.ErrTimeoutIdle, "no event within the idle timeout"
	}
	var ct *connectTimeoutError
	if errors.As(err, &ct) {
		return pipeline.ErrTimeoutConnect, truncate(ct.Error(), maxDetail)
	}
	return pipeline.ErrTransport, truncate(fmt.Sprint(err), maxDetail)
}
