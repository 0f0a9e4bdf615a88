// Package retry holds what the stages' HTTP clients (the query stage's
// and the HuggingFace loader's) share about retrying: reading the wait a
// server asks for and the exponential backoff used when it asks none. It
// imports only the standard library.
package retry

import (
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Delay is the wait a 429 or 5xx answer asks for: Retry-After-Ms (sent by
// OpenAI and Azure, in milliseconds) when it holds a positive number, else
// Retry-After (delay seconds, fractions allowed, or an HTTP date relative
// to now). It is 0 when the answer asks for nothing usable.
func Delay(h http.Header, now time.Time) time.Duration {
	if v := strings.TrimSpace(h.Get("Retry-After-Ms")); v != "" {
		if n, err := strconv.ParseFloat(v, 64); err == nil && n > 0 {
			return time.Duration(n * float64(time.Millisecond))
		}
	}
	return after(h.Get("Retry-After"), now)
}

// after parses a Retry-After value: delay seconds ("2", "1.5") or an HTTP
// date. It returns 0 when v is empty, unparseable, not positive or a date
// that has passed.
func after(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil {
		if s <= 0 {
			return 0
		}
		return time.Duration(s * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0)
	}
	return 0
}

// Backoff is exponential backoff: retry n (0 for the first) may wait up
// to ceil(n) = min(Max, Base·2^n).
type Backoff struct {
	Base, Max time.Duration
}

// ceil is the longest wait before retry n (0-based).
func (b Backoff) ceil(n int) time.Duration {
	return min(b.Max, b.Base<<min(max(n, 0), 30))
}

// Wait is the wait before retry n (0-based): asked, when the server asked
// for a wait (asked > 0); else a wait drawn uniformly from [0, ceil(n)]
// with rng ("full jitter"), or ceil(n) itself when rng is nil.
func (b Backoff) Wait(n int, asked time.Duration, rng *rand.Rand) time.Duration {
	if asked > 0 {
		return asked
	}
	ceil := b.ceil(n)
	if rng == nil {
		return ceil
	}
	return time.Duration(rng.Int64N(int64(ceil) + 1))
}
