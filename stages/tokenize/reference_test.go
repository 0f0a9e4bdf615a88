package tokenize

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// referenceDir holds the node script and the pinned js-tiktoken package
// (npm ci there installs it; .ci/run does).
var referenceDir = filepath.Join("testdata", "js-tiktoken")

// TestCountsEqualJsTiktoken encodes the fixture texts (English, numbers,
// punctuation, several scripts and emoji, whitespace runs, long words,
// code, special-token text) with the built-in encodings and with
// js-tiktoken, the reference port of OpenAI's tiktoken, and requires the
// same ids, hence the same counts. It skips when node or the package is
// missing, unless INFERBENCH_REQUIRE_JS_TIKTOKEN=1 (CI, whose .ci/run
// installs them).
func TestCountsEqualJsTiktoken(t *testing.T) {
	texts := fixtureTexts(t)
	fixtures, err := filepath.Abs(fixturesFile)
	if err != nil {
		t.Fatal(err)
	}
	want := runReference(t, "js-tiktoken", "reference.mjs", fixtures, O200kBase, Cl100kBase)
	for _, enc := range []string{O200kBase, Cl100kBase} {
		tk, err := Get(enc)
		if err != nil {
			t.Fatal(err)
		}
		if len(want[enc]) != len(texts) {
			t.Fatalf("%s: reference gave %d encodings for %d texts", enc, len(want[enc]), len(texts))
		}
		total := 0
		for i, text := range texts {
			ids := want[enc][i]
			total += len(ids)
			if got := tk.Encode(text); !slices.Equal(got, ids) {
				t.Errorf("%s text %d %q:\n got %v\nwant %v", enc, i, text, got, ids)
			}
			if n := tk.Count(text); n != len(ids) {
				t.Errorf("%s text %d %q: Count %d, js-tiktoken %d", enc, i, text, n, len(ids))
			}
		}
		t.Logf("%s: %d texts, %d tokens, equal to js-tiktoken", enc, len(texts), total)
	}
}

// runReference runs the node script of referenceDir with args and returns
// the encodings it prints (a JSON object of name to one id list per
// fixture text). It skips the test when node or the npm package pkg is
// missing, unless INFERBENCH_REQUIRE_JS_TIKTOKEN=1 (CI, whose .ci/run
// installs them), where it fails instead.
func runReference(t *testing.T, pkg, script string, args ...string) map[string][][]int {
	t.Helper()
	node, err := exec.LookPath("node")
	if _, serr := os.Stat(filepath.Join(referenceDir, "node_modules", pkg, "package.json")); err != nil || serr != nil {
		if os.Getenv("INFERBENCH_REQUIRE_JS_TIKTOKEN") == "1" {
			t.Fatalf("INFERBENCH_REQUIRE_JS_TIKTOKEN=1 but node (%v) or the %s package (%v) is missing: run npm ci in %s", err, pkg, serr, referenceDir)
		}
		t.Skipf("node or the %s npm package is not installed (npm ci in %s)", pkg, referenceDir)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, append([]string{script}, args...)...)
	cmd.Dir = referenceDir
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node %s: %v", script, err)
	}
	var want map[string][][]int
	if err := json.Unmarshal(out, &want); err != nil {
		t.Fatalf("reference output: %v", err)
	}
	return want
}
