package aggregate

import (
	"strings"
	"testing"
	"time"
)

// A merged sharded run whose shards sent at different times has sessions
// too: the warning must not call it a resumed run.
func TestTheSessionsWarningDoesNotCallEveryRunResumed(t *testing.T) {
	recs := append(session(t0, 0, 10, 100*time.Millisecond), session(t0.Add(10*time.Minute), 10, 10, 100*time.Millisecond)...)
	g := groupOf(t, mustAggregate(t, twoPlatforms(), recs), "sophia")
	if !contains(g.Warnings, "2 sessions") {
		t.Fatalf("no warning about the two sessions: %q", g.Warnings)
	}
	for _, w := range g.Warnings {
		if strings.Contains(w, "a resumed run") {
			t.Errorf("warning %q calls the run resumed; shards that sent at different times give sessions too", w)
		}
	}
}
