package retry

import (
	"math/rand/v2"
	"net/http"
	"testing"
	"time"
)

func TestRetryAfterReadsSecondsOrAnHTTPDate(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, c := range []struct {
		v    string
		want time.Duration
	}{
		{"", 0}, {"7", 7 * time.Second}, {"2", 2 * time.Second}, {" 2 ", 2 * time.Second},
		{"0.5", 500 * time.Millisecond}, {"1.5", 1500 * time.Millisecond},
		{"0", 0}, {"-1", 0}, {"soon", 0},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
	} {
		if got := after(c.v, now); got != c.want {
			t.Errorf("after(%q) = %v, want %v", c.v, got, c.want)
		}
	}
}

func TestDelayPrefersRetryAfterMs(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, c := range []struct {
		h    http.Header
		want time.Duration
	}{
		{http.Header{"Retry-After": {"3"}, "Retry-After-Ms": {"250"}}, 250 * time.Millisecond},
		{http.Header{"Retry-After-Ms": {"12.5"}}, 12500 * time.Microsecond},
		{http.Header{"Retry-After": {"3"}, "Retry-After-Ms": {"0"}}, 3 * time.Second},
		{http.Header{"Retry-After": {"3"}, "Retry-After-Ms": {"x"}}, 3 * time.Second},
		{http.Header{}, 0},
	} {
		if got := Delay(c.h, now); got != c.want {
			t.Errorf("Delay(%v) = %v, want %v", c.h, got, c.want)
		}
	}
}

func TestBackoffDoublesUpToTheCapAndHonoursTheServer(t *testing.T) {
	b := Backoff{Base: time.Second, Max: 5 * time.Second}
	var got []time.Duration
	for n := range 5 {
		got = append(got, b.Wait(n, 0, nil))
	}
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 5 * time.Second, 5 * time.Second}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("waits %v, want %v", got, want)
		}
	}
	if w := b.Wait(0, time.Minute, nil); w != time.Minute {
		t.Errorf("a server's wait is not taken as it is: %v", w)
	}
	if c := b.ceil(1000); c != b.Max {
		t.Errorf("a late retry's ceiling %v overflows the cap", c)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for n := range 40 {
		if w := b.Wait(n, 0, rng); w < 0 || w > b.ceil(n) {
			t.Errorf("jittered wait %v outside [0, %v]", w, b.ceil(n))
		}
	}
}
