package query

import (
	"path/filepath"
	"testing"

	"github.com/inferbench/inferbench/internal/wantdiag"
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
			e, diags := config.LoadExperiment(file, config.LoadOptions{Registry: reg})
			if e != nil {
				t.Error("a bad experiment must not be returned")
			}
			var got []wantdiag.Diag
			for _, d := range diags {
				got = append(got, wantdiag.Diag{File: d.File, Line: d.Line, Col: d.Col, Text: d.Path + ": " + d.Message})
			}
			wantdiag.Check(t, file, got)
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
