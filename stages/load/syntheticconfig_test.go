package load

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/inferbench/inferbench/pipeline"
	"github.com/inferbench/inferbench/pipeline/config"
)

// TestSyntheticBlockProblemsAreLocatedInTheFile: the block's keys, tags
// and rules come from SyntheticSpec, and each problem names its line.
func TestSyntheticBlockProblemsAreLocatedInTheFile(t *testing.T) {
	reg := pipeline.NewRegistry()
	Register(reg)
	path := filepath.Join(t.TempDir(), "x.yaml")
	src := `name: x
dataset:
  source: synthetic
  sample: 4
  synthetic:
    input_tokens: [0, 64]
    tokenizr: o200k_base
platforms:
  - name: p
    base_url: http://localhost:8000/v1
    models: [m]
`
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	_, diags := config.LoadExperiment(path, config.LoadOptions{Registry: reg})
	got := diags.Error()
	for _, want := range []string{
		path + ":4:3: dataset.sample: is not used by source synthetic: set synthetic.count",
		path + ":7:5: dataset.synthetic.tokenizr: unknown key",
		`did you mean "tokenizer"?`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("diagnostics:\n%s\nwant %q", got, want)
		}
	}
	fixed := strings.NewReplacer("tokenizr", "tokenizer", "  sample: 4\n", "").Replace(src)
	if err := os.WriteFile(path, []byte(fixed), 0o644); err != nil {
		t.Fatal(err)
	}
	_, diags = config.LoadExperiment(path, config.LoadOptions{Registry: reg})
	if want := path + ":5:20:"; !strings.Contains(diags.Error(), want) || !strings.Contains(diags.Error(), "dataset.synthetic.input_tokens[0]: must be >= 1") {
		t.Errorf("diagnostics:\n%s\nwant input_tokens[0] located at %s", diags, want)
	}
	e, diags := config.LoadExperiment(path, config.LoadOptions{Registry: reg, Sets: []string{"dataset.synthetic.input_tokens=[32,64]"}})
	if len(diags) > 0 {
		t.Fatalf("fixed: %v", diags)
	}
	if lv := e.Platforms[0].RunLevels(nil); len(lv) != 2 || lv[1].Label != "in=64" || lv[1].InputTokens != 64 {
		t.Errorf("levels %+v, want one per input length", lv)
	}
}
