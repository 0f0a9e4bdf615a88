package query

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/inferbench/inferbench/pipeline"
	"github.com/inferbench/inferbench/pipeline/config"
)

// TestRequestRulesReportEveryDeclaredProblemWhereItIs loads the bad files
// of the querier's rules on the settings it builds requests from
// (base_url, params.extra) with the querier registered by Register, and
// checks that each "# want: line:col: path: message" line is reported at
// its place in the file, and nothing else.
func TestRequestRulesReportEveryDeclaredProblemWhereItIs(t *testing.T) {
	for _, file := range []string{"testdata/baseurl.bad.yaml", "testdata/extra.bad.yaml"} {
		t.Run(filepath.Base(file)+" reports exactly its want lines", func(t *testing.T) {
			reg := pipeline.NewRegistry()
			reg.AddLoader("demo", pipeline.LoaderFunc(nil))
			Register(reg)
			wants := readWantLines(t, file)
			if len(wants) == 0 {
				t.Fatal("no # want: lines")
			}
			e, diags := config.LoadExperiment(file, config.LoadOptions{Registry: reg})
			if e != nil {
				t.Error("a bad experiment must not be returned")
			}
			used := make([]bool, len(diags))
			for _, w := range wants {
				found := false
				for i, d := range diags {
					if !used[i] && d.File == file && d.Line == w.line && d.Col == w.col && strings.Contains(d.Path+": "+d.Message, w.text) {
						used[i], found = true, true
						break
					}
				}
				if !found {
					t.Errorf("missing %d:%d: %s", w.line, w.col, w.text)
				}
			}
			for i, d := range diags {
				if !used[i] {
					t.Errorf("unexpected %v", d)
				}
			}
			if t.Failed() {
				t.Logf("got:\n%v", diags)
			}
		})
	}
}

// TestRequestRuleProblemsFromAnOverrideAreNamedByIt checks that a problem
// the querier's rules find in a value set by --set or the environment is
// reported at that override.
func TestRequestRuleProblemsFromAnOverrideAreNamedByIt(t *testing.T) {
	tests := []struct {
		name string
		opts config.LoadOptions
		want string
	}{
		{"an extra key that shadows max_tokens", config.LoadOptions{Sets: []string{"params.extra.max_tokens=5"}}, "--set params.extra.max_tokens: params.extra.max_tokens: set params.max_tokens instead"},
		{"a base_url with the path appended", config.LoadOptions{Environ: []string{"INFERBENCH_PLATFORMS_0_BASE_URL=http://h/v1/chat/completions"}, Sets: []string{"platforms.0.emulate=null"}},
			"$INFERBENCH_PLATFORMS_0_BASE_URL: platforms[0].base_url: should end before /chat/completions: inferbench appends it; use http://h/v1"},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is reported with the override", func(t *testing.T) {
			reg := pipeline.NewRegistry()
			reg.AddLoader("demo", pipeline.LoaderFunc(nil))
			Register(reg)
			tt.opts.Registry = reg
			e, diags := config.LoadExperiment("testdata/loadlevels.good.yaml", tt.opts)
			if e != nil || len(diags) != 1 {
				t.Fatalf("want exactly one diagnostic, got %d:\n%v", len(diags), diags)
			}
			if got := diags[0].Error(); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

type wantLine struct {
	line, col int
	text      string
}

// readWantLines reads the "# want: line:col: path: message" comments of a
// bad file (the message may be cut short).
func readWantLines(t *testing.T, path string) []wantLine {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []wantLine
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
		out = append(out, wantLine{line, col, strings.TrimSpace(parts[2])})
	}
	return out
}
