package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestAModelEntryIsANameOrAnObjectWithACompareAsLabel(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "x.yaml")
	os.WriteFile(file, []byte(`name: x
dataset: {source: demo}
platforms:
  - name: metis
    emulate: {accuracy: 1}
    models: [{name: gpt-oss-120b-131072, compare_as: gpt-oss-120b}, llama]
  - name: sophia
    emulate: {accuracy: 1}
    models: [openai/gpt-oss-120b]
`), 0o644)
	e := mustLoad(t, file, LoadOptions{})
	if got := e.Platforms[0].Models; !reflect.DeepEqual(got, []string{"gpt-oss-120b-131072", "llama"}) {
		t.Errorf("models %q", got)
	}
	if got := e.Platforms[0].CompareAs; !reflect.DeepEqual(got, []string{"gpt-oss-120b", ""}) {
		t.Errorf("compare_as %q", got)
	}
	if e.Platforms[1].CompareAs != nil {
		t.Errorf("a platform of names only has compare_as %q", e.Platforms[1].CompareAs)
	}
}

func TestModelsArePairedByNameOrLabelAndByPositionOnlyWhenAlone(t *testing.T) {
	plat := func(name string, models []string, labels ...string) Platform {
		return Platform{Name: name, Models: models, CompareAs: labels}
	}
	tests := []struct {
		name    string
		p, base Platform
		i       int
		want    int
		how     Pairing
		warning string // "" for none
	}{
		{"the same name pairs wherever it stands", plat("a", []string{"x", "y"}), plat("b", []string{"y", "x"}), 0, 1, PairedByName, ""},
		{"a label pairs with the baseline's name", plat("a", []string{"x-131072"}, "x"), plat("b", []string{"z", "x"}), 0, 1, PairedByName, ""},
		{"labels on both sides pair", plat("a", []string{"x-131072", "y"}, "gpt", ""), plat("b", []string{"y", "openai/x"}, "", "gpt"), 0, 1, PairedByName, ""},
		{"two lone models of different names pair by position, with a warning", plat("a", []string{"x-131072"}), plat("b", []string{"openai/x"}), 0, 0, PairedAsOnlyModels,
			"platforms[1].models[0]: a/x-131072 is compared with b/openai/x, the only model of each platform, though their names differ; give both the same compare_as label to say they are the same model"},
		{"models in different orders are not paired by position", plat("a", []string{"x2", "y2"}), plat("b", []string{"y", "x"}), 0, -1, Unpaired,
			"platforms[1].models[0]: a/x2 has no counterpart on the baseline platform b (no model named or labelled \"x2\"; models are paired by name or compare_as label, by position only when each platform has one model): it is not compared"},
		{"a lone labelled model does not fall back to position", plat("a", []string{"x"}, "gpt"), plat("b", []string{"y"}), 0, -1, Unpaired, "has no counterpart"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, how := Counterpart(&tt.p, &tt.base, tt.i)
			if got != tt.want || how != tt.how {
				t.Errorf("Counterpart = %d, %v; want %d, %v", got, how, tt.want, tt.how)
			}
			e := &Experiment{Platforms: []Platform{tt.base, tt.p}, Baseline: tt.base.Name}
			ws := PairingWarnings(e, tt.base.Name)
			found := false
			for _, w := range ws {
				found = found || (tt.warning != "" && strings.Contains(w, tt.warning))
			}
			if (tt.warning == "") != (len(ws) == 0) || (tt.warning != "" && !found) {
				t.Errorf("warnings %q, want %q", ws, tt.warning)
			}
		})
	}
}
