package main

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/inferbench/inferbench/pipeline"
	"github.com/inferbench/inferbench/pipeline/results"
)

func TestProgressWritesAPlainLinePerPlatformWhenNotATerminal(t *testing.T) {
	var buf bytes.Buffer
	p := NewProgress(&buf, false)
	p.Begin(map[string]int{"a": 4, "b": 2}, map[string]int{"a": 1}, []string{"a", "b"})
	p.Observe(&results.Record{CellKey: results.CellKey{Platform: "a"}, OutputTokens: 10})
	p.Observe(&results.Record{CellKey: results.CellKey{Platform: "a"}, Error: "http_500"})
	p.Observe(&results.Record{CellKey: results.CellKey{Platform: "b"}})
	p.End()
	out := buf.String()
	if strings.Contains(out, "\x1b[") {
		t.Fatalf("escape codes in plain output: %q", out)
	}
	for _, want := range []string{"done 3/4", "failed 1", "done 1/2"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
}

func TestProgressShowsRetryWaits(t *testing.T) {
	t.Run("a platform waiting on a retry shows the wait on its terminal line until it ends", func(t *testing.T) {
		var buf bytes.Buffer
		p := NewProgress(&buf, true)
		p.Begin(map[string]int{"a": 4, "b": 2}, nil, []string{"a", "b"})
		defer p.End()
		done := p.RetryWait("a", 12*time.Second)
		p.draw(false)
		lines := strings.Split(buf.String(), "\n")
		if len(lines) < 2 || !strings.Contains(lines[0], "retry wait 12s") || strings.Contains(lines[1], "retry wait") {
			t.Errorf("want the wait on a's line only:\n%q", buf.String())
		}
		done()
		buf.Reset()
		p.draw(false)
		if strings.Contains(buf.String(), "retry wait") {
			t.Errorf("the wait is still shown after it ended:\n%q", buf.String())
		}
	})
	t.Run("several waiting requests show the longest remaining wait and their count", func(t *testing.T) {
		var buf bytes.Buffer
		p := NewProgress(&buf, true)
		p.Begin(map[string]int{"a": 4}, nil, []string{"a"})
		defer p.End()
		d1 := p.RetryWait("a", 3*time.Second)
		d2 := p.RetryWait("a", 30*time.Second)
		p.draw(false)
		if !strings.Contains(buf.String(), "retry wait 30s (2 requests)") {
			t.Errorf("got %q", buf.String())
		}
		d2()
		buf.Reset()
		p.draw(false)
		if !strings.Contains(buf.String(), "retry wait 3s") || strings.Contains(buf.String(), "requests") {
			t.Errorf("after the long wait ended: %q", buf.String())
		}
		d1()
	})
	t.Run("the plain output prints a line when a wait over a second starts", func(t *testing.T) {
		var buf bytes.Buffer
		p := NewProgress(&buf, false)
		p.Begin(map[string]int{"metis": 4}, nil, []string{"metis"})
		defer p.End()
		p.RetryWait("metis", 200*time.Millisecond)()
		if buf.Len() != 0 {
			t.Errorf("a short wait printed %q", buf.String())
		}
		done := p.RetryWait("metis", 5*time.Second)
		if got := buf.String(); !strings.HasPrefix(got, "metis") || !strings.Contains(got, "retry wait 5s") {
			t.Errorf("got %q, want a line naming metis and the wait", got)
		}
		done()
	})
}

// lastLines are the last n lines of the plain progress output.
func lastLines(out string, n int) []string {
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	return lines[max(len(lines)-n, 0):]
}

func TestProgressShowsTheCurrentLevelItsTargetAndAchievedRate(t *testing.T) {
	t0 := time.Now().Add(-10 * time.Second)
	ok := func(platform, load string, started time.Time, tokens int) *results.Record {
		return &results.Record{CellKey: results.CellKey{Platform: platform, Level: load}, StartedAt: started, OutputTokens: tokens}
	}
	t.Run("a closed-loop level shows its label, position, concurrency and labelled rates", func(t *testing.T) {
		var buf bytes.Buffer
		p := NewProgress(&buf, false)
		p.Begin(map[string]int{"metis": 40}, nil, []string{"metis"})
		p.Level("metis", pipeline.LevelProgress{Label: "c=8", Index: 2, Count: 3, Concurrency: 8})
		p.Observe(ok("metis", "c=8", t0, 100))
		p.Observe(&results.Record{CellKey: results.CellKey{Platform: "metis", Level: "c=8"}, StartedAt: t0, Error: "http_500"})
		p.End()
		line := lastLines(buf.String(), 1)[0]
		for _, want := range []string{"metis ", "level c=8 (2/3)", "concurrency 8", "completed ", " req/s", "done 2/40 (5.0%)", "failed 1", "aggregate ", " tok/s", "ETA "} {
			if !strings.Contains(line, want) {
				t.Errorf("missing %q in %q", want, line)
			}
		}
	})
	t.Run("an open-loop level shows the rate sent against its target", func(t *testing.T) {
		var buf bytes.Buffer
		p := NewProgress(&buf, false)
		p.Begin(map[string]int{"sophia": 40}, nil, []string{"sophia"})
		p.Level("sophia", pipeline.LevelProgress{Label: "r=5", Index: 1, Count: 2, Rate: 5})
		p.Observe(ok("sophia", "r=5", t0, 10))
		p.End()
		line := lastLines(buf.String(), 1)[0]
		if !regexp.MustCompile(`done 1/40 .*  level r=5 \(1/2\)  sent \d+\.\d+/5 req/s  completed \d+\.\d+ req/s  aggregate`).MatchString(line) {
			t.Errorf("got %q", line)
		}
	})
	t.Run("aggregate tok/s counts the level's successful non-warmup requests over their sending time, as the table does", func(t *testing.T) {
		var buf bytes.Buffer
		p := NewProgress(&buf, false)
		p.Begin(map[string]int{"a": 10}, nil, []string{"a"})
		p.Level("a", pipeline.LevelProgress{Label: "c=1", Index: 1, Count: 2, Concurrency: 1})
		p.Observe(ok("a", "c=1", t0, 999)) // the previous level: left out of the next one
		p.Level("a", pipeline.LevelProgress{Label: "c=2", Index: 2, Count: 2, Concurrency: 2})
		start := time.Now().Add(-4 * time.Second)
		p.Observe(ok("a", "c=2", start, 100))
		p.Observe(&results.Record{CellKey: results.CellKey{Platform: "a", Level: "c=2", Warmup: true}, StartedAt: start.Add(-time.Hour), OutputTokens: 5000})
		p.Observe(&results.Record{CellKey: results.CellKey{Platform: "a", Level: "c=2"}, StartedAt: start, OutputTokens: 7000, Error: "timeout"})
		p.Observe(ok("a", "c=2", start.Add(time.Second), 100))
		p.End()
		line := lastLines(buf.String(), 1)[0]
		m := regexp.MustCompile(`completed (\d+\.\d+) req/s .* aggregate (\d+\.\d+) tok/s`).FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("got %q", line)
		}
		// 200 tokens and 2 requests over the 4 s from the first send to the
		// last end: 50 tok/s and 0.5 req/s (the level's clock stops at its
		// last record once the platform is done).
		if m[1] != "0.50" || m[2] != "50.0" {
			t.Errorf("completed %s req/s, aggregate %s tok/s; want 0.50 and 50.0 in %q", m[1], m[2], line)
		}
	})
	t.Run("a platform without load levels shows its concurrency and no level", func(t *testing.T) {
		var buf bytes.Buffer
		p := NewProgress(&buf, false)
		p.Begin(map[string]int{"a": 4}, nil, []string{"a"})
		p.Level("a", pipeline.LevelProgress{Index: 1, Count: 1, Concurrency: 4})
		p.Observe(ok("a", "", t0, 10))
		p.End()
		line := lastLines(buf.String(), 1)[0]
		if strings.Contains(line, "level") || !strings.Contains(line, "concurrency 4  completed") {
			t.Errorf("got %q", line)
		}
	})
	t.Run("a terminal line is clipped to the terminal's width so that redrawing stays in place", func(t *testing.T) {
		var buf bytes.Buffer
		p := NewProgress(&buf, true)
		p.Width = 40
		p.Begin(map[string]int{"a-platform-with-a-long-name": 4}, nil, []string{"a-platform-with-a-long-name"})
		p.Level("a-platform-with-a-long-name", pipeline.LevelProgress{Label: "c=8", Index: 2, Count: 3, Concurrency: 8})
		p.End()
		for _, l := range strings.Split(buf.String(), "\n") {
			if i := strings.LastIndex(l, "\x1b[2K"); i >= 0 {
				l = l[i+len("\x1b[2K"):]
			}
			if len(l) > 40 {
				t.Errorf("line of %d characters: %q", len(l), l)
			}
		}
	})
}
