// Package wantdiag checks the diagnostics of a bad experiment file against
// the "# want: line:col: path: message" comments it holds, for the tests of
// pipeline/config and of the stages that register config rules (a message
// may be cut short: a want matches a diagnostic at its line and column
// whose "path: message" contains its text). It imports no inferbench
// package, so that config's own tests can use it.
package wantdiag

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
)

// Diag is a diagnostic as the checker sees it: where, and its
// "path: message".
type Diag struct {
	File      string
	Line, Col int
	Text      string
}

type want struct {
	line, col int
	text      string
}

// Check reports, on t, each want line of file that no diagnostic of got
// matches and each diagnostic that no want line names. A file without
// want lines is an error of the test.
func Check(t testing.TB, file string, got []Diag) {
	t.Helper()
	wants := read(t, file)
	if len(wants) == 0 {
		t.Fatal("no # want: lines")
	}
	used := make([]bool, len(got))
	for _, w := range wants {
		found := false
		for i, d := range got {
			if !used[i] && d.File == file && d.Line == w.line && d.Col == w.col && strings.Contains(d.Text, w.text) {
				used[i], found = true, true
				break
			}
		}
		if !found {
			t.Errorf("missing %d:%d: %s", w.line, w.col, w.text)
		}
	}
	for i, d := range got {
		if !used[i] {
			t.Errorf("unexpected %s:%d:%d: %s", d.File, d.Line, d.Col, d.Text)
		}
	}
	if t.Failed() {
		var all strings.Builder
		for _, d := range got {
			all.WriteString(d.File + ":" + strconv.Itoa(d.Line) + ":" + strconv.Itoa(d.Col) + ": " + d.Text + "\n")
		}
		t.Logf("got:\n%s", all.String())
	}
}

// read returns the want lines of the file at path.
func read(t testing.TB, path string) []want {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []want
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "# want: ")
		if !ok {
			continue
		}
		parts := strings.SplitN(rest, ":", 3)
		if len(parts) != 3 {
			t.Fatalf("%s: bad want line %q", path, sc.Text())
		}
		line, err1 := strconv.Atoi(parts[0])
		col, err2 := strconv.Atoi(parts[1])
		if err1 != nil || err2 != nil {
			t.Fatalf("%s: bad want line %q", path, sc.Text())
		}
		out = append(out, want{line, col, strings.TrimSpace(parts[2])})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
