package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// testTokenizers registers three built-ins, infers one from "gpt-oss*"
// and accepts every existing file but bad.json.
func testTokenizers(r *Catalog) *Catalog {
	r.AddTokenizers(TokenizerRules{
		Names: []string{"cl100k_base", "o200k_base", "o200k_harmony"},
		ForModel: func(m string) string {
			if strings.HasPrefix(m, "gpt-oss") {
				return "o200k_harmony"
			}
			return ""
		},
		IsPath: func(v string) bool { return strings.HasSuffix(v, ".json") || strings.Contains(v, "/") },
		CheckFile: func(p string) error {
			if filepath.Base(p) == "bad.json" {
				return os.ErrInvalid
			}
			_, err := os.Stat(p)
			return err
		},
	})
	return r
}

func writeExperiment(t *testing.T, body string) (file, dir string) {
	t.Helper()
	dir = t.TempDir()
	file = filepath.Join(dir, "x.yaml")
	if err := os.WriteFile(file, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return file, dir
}

func TestTokenizerIsSetPerPlatformOrModelAndInferredFromTheName(t *testing.T) {
	file, dir := writeExperiment(t, `name: x
dataset: {source: demo}
platforms:
  - name: metis
    emulate: {accuracy: 1}
    tokenizer: cl100k_base
    models: [a, {name: b, tokenizer: tok/llama3.json}, {name: c, compare_as: cc}]
  - name: sophia
    emulate: {accuracy: 1}
    models: [gpt-oss-120b, llama, {name: gpt-oss-20b, tokenizer: none}]
`)
	os.MkdirAll(filepath.Join(dir, "tok"), 0o755)
	os.WriteFile(filepath.Join(dir, "tok", "llama3.json"), []byte("{}"), 0o644)
	e := mustLoad(t, file, LoadOptions{Registry: testTokenizers(testRegistry())})
	p := e.Platforms[0]
	if p.Tokenizer != "cl100k_base" {
		t.Errorf("platform tokenizer %q", p.Tokenizer)
	}
	want := []string{"cl100k_base", filepath.Join(dir, "tok", "llama3.json"), "cl100k_base"}
	if !reflect.DeepEqual(p.Tokenizers, want) {
		t.Errorf("metis tokenizers %q, want %q", p.Tokenizers, want)
	}
	if !reflect.DeepEqual(p.CompareAs, []string{"", "", "cc"}) {
		t.Errorf("compare_as %q", p.CompareAs)
	}
	want = []string{"o200k_harmony", "", "none"}
	if got := e.Platforms[1].Tokenizers; !reflect.DeepEqual(got, want) {
		t.Errorf("sophia tokenizers %q, want %q", got, want)
	}
	if got := e.Platforms[1].ModelTokenizer(1); got != "" {
		t.Errorf("ModelTokenizer(1) %q", got)
	}

	// The manifest's encoding reloads to the same choice (report --set).
	again, diags := ReloadExperiment("manifest.json", e, LoadOptions{Registry: testTokenizers(testRegistry())})
	if len(diags) > 0 {
		t.Fatalf("reload: %v", diags)
	}
	for i := range e.Platforms {
		if !reflect.DeepEqual(again.Platforms[i].Tokenizers, e.Platforms[i].Tokenizers) || !reflect.DeepEqual(again.Platforms[i].CompareAs, e.Platforms[i].CompareAs) {
			t.Errorf("reloaded platform %d: tokenizers %q compare_as %q", i, again.Platforms[i].Tokenizers, again.Platforms[i].CompareAs)
		}
	}
}

func TestBadTokenizersAreReportedWhereTheyAreWritten(t *testing.T) {
	file, _ := writeExperiment(t, `name: x
dataset: {source: demo}
platforms:
  - name: metis
    emulate: {accuracy: 1}
    tokenizer: o200k_bas
    models: [a, {name: b, tokenizer: missing/tok.json}]
  - name: sophia
    emulate: {accuracy: 1}
    tokenizers: [x]
    models: [{name: c, tokenizer: bad.json}]
`)
	os.WriteFile(filepath.Join(filepath.Dir(file), "bad.json"), []byte("{}"), 0o644)
	_, diags := LoadExperiment(file, LoadOptions{Registry: testTokenizers(testRegistry())})
	got := diags.Error()
	for _, want := range []string{
		`x.yaml:6:5: platforms[0].tokenizer: unknown tokenizer "o200k_bas" (did you mean "o200k_base"?) (built in: cl100k_base, o200k_base, o200k_harmony, none; or the path of a tokenizer.json)`,
		`x.yaml:7:38: platforms[0].models[1].tokenizer: file not found: ` + filepath.Join(filepath.Dir(file), "missing", "tok.json"),
		`x.yaml:10:5: platforms[1].tokenizers: write tokenizer: on the platform (all its models) or on a model entry: models: [{name: m, tokenizer: t}]`,
		`x.yaml:11:35: platforms[1].models[0].tokenizer: ` + filepath.Join(filepath.Dir(file), "bad.json") + `: invalid argument`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}
}
