package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeRequestRules reports the base_url of every platform and every
// params.extra key, so that the test sees where their problems land.
type fakeRequestRules struct{}

func (fakeRequestRules) CheckPlatform(p *Platform) []Problem {
	return []Problem{{Path: "base_url", Message: "platform rule on " + p.BaseURL}}
}

func (fakeRequestRules) CheckParams(p *Params) []Problem {
	var out []Problem
	for k := range p.Extra {
		out = append(out, Problem{Path: "extra." + k, Message: "params rule"})
	}
	return out
}

// TestRequestCheckerProblemsAreLocatedUnderThePlatformAndParams checks
// that the experiment language has no rule of its own on base_url paths
// or params.extra keys (the querier owns them), and that the problems a
// registered RequestChecker finds are located in the file under the
// platform and under params.
func TestRequestCheckerProblemsAreLocatedUnderThePlatformAndParams(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.yaml")
	src := "name: x\ndataset: {source: demo}\nplatforms:\n  - name: p\n    models: [m]\n" +
		"    base_url: http://h/v1/chat/completions\nparams:\n  extra:\n    model: other\n"
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, diags := LoadExperiment(path, LoadOptions{Registry: testRegistry()}); len(diags) > 0 {
		t.Errorf("without request rules registered: %v", diags)
	}
	reg := testRegistry()
	reg.AddRequestChecker(fakeRequestRules{})
	_, diags := LoadExperiment(path, LoadOptions{Registry: reg})
	got := diags.Error()
	for _, want := range []string{
		path + ":6:5: platforms[0].base_url: platform rule on http://h/v1/chat/completions",
		path + ":9:5: params.extra.model: params rule",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("diagnostics:\n%s\nwant a line %q", got, want)
		}
	}
	if len(diags) != 2 {
		t.Errorf("got %d problems, want 2:\n%s", len(diags), got)
	}
	defer func() {
		if recover() == nil {
			t.Error("a second AddRequestChecker must panic")
		}
	}()
	reg.AddRequestChecker(fakeRequestRules{})
}
