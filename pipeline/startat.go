package pipeline

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// ParseStartAt reads `run --start-at`: an RFC 3339 time
// ("2026-12-05T07:30:00Z") or "+" and a Go duration from now ("+30s").
func ParseStartAt(s string, now time.Time) (time.Time, error) {
	if rest, ok := strings.CutPrefix(s, "+"); ok {
		d, err := time.ParseDuration(rest)
		if err != nil || d < 0 {
			return time.Time{}, fmt.Errorf("--start-at %q: want +DURATION (e.g. +30s) or an RFC 3339 time (e.g. 2026-12-05T07:30:00Z)", s)
		}
		return now.Add(d), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("--start-at %q: want an RFC 3339 time (e.g. 2026-12-05T07:30:00Z) or +DURATION (e.g. +30s)", s)
	}
	return t, nil
}

// waitStart blocks until at (a barrier without coordinator: every shard
// given the same time begins sending together), telling note how long it
// waits. It returns false when ctx ends first.
func (e *Engine) waitStart(ctx context.Context, at time.Time, note func(string)) bool {
	d := time.Until(at)
	if d <= 0 {
		if d < -time.Second {
			note(fmt.Sprintf("--start-at %s passed %s ago: sending at once", at.UTC().Format(time.RFC3339), (-d).Round(time.Second)))
		}
		return ctx.Err() == nil
	}
	note(fmt.Sprintf("waiting until %s (%s from now) to start sending (--start-at); Ctrl-C stops", at.UTC().Format(time.RFC3339), d.Round(time.Second)))
	e.log().Info("waiting for --start-at", "at", at.UTC(), "in", d.Round(time.Millisecond))
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
