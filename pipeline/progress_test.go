package pipeline

import (
	"bytes"
	"strings"
	"testing"
)

func TestProgressWritesAPlainLinePerPlatformWhenNotATerminal(t *testing.T) {
	var buf bytes.Buffer
	p := NewProgress(&buf, false)
	p.Begin(map[string]int{"a": 4, "b": 2}, map[string]int{"a": 1}, []string{"a", "b"})
	p.Observe(&Record{CellKey: CellKey{Platform: "a"}, OutputTokens: 10})
	p.Observe(&Record{CellKey: CellKey{Platform: "a"}, Error: "http_500"})
	p.Observe(&Record{CellKey: CellKey{Platform: "b"}})
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
