package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

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
	for _, want := range []string{"a                     3/4", "errors 1", "b                     1/2"} {
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
