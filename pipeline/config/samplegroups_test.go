package config

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// testGroupedLoader is a source whose samples fall into two groups.
type testGroupedLoader struct{}

func (testGroupedLoader) SampleGroups(d DatasetSpec) []SampleGroup {
	return []SampleGroup{{Label: "in=128", InputTokens: 128, OutputTokens: 16}, {Label: "in=1024", InputTokens: 1024, OutputTokens: 16}}
}

func labelsOf(levels []Level) []string {
	var out []string
	for _, lv := range levels {
		out = append(out, lv.Label)
	}
	return out
}

func TestRunLevelsCrossTheSampleGroupsWithTheLoadLevels(t *testing.T) {
	groups := []SampleGroup{{Label: "in=128", InputTokens: 128}, {Label: "in=1024", InputTokens: 1024}}
	t.Run("one load level: one level per group, labelled by the group", func(t *testing.T) {
		p := Platform{Concurrency: 2, SampleGroups: groups}
		lv := p.RunLevels(nil)
		if got := labelsOf(lv); !slices.Equal(got, []string{"in=128", "in=1024"}) {
			t.Fatalf("labels %v", got)
		}
		if lv[1].Group != "in=1024" || lv[1].InputTokens != 1024 || lv[1].Concurrency != 2 {
			t.Errorf("level %+v", lv[1])
		}
	})
	t.Run("several load levels: each group runs every load level", func(t *testing.T) {
		p := Platform{SampleGroups: groups, Levels: &LevelsSpec{Type: "concurrency", Resolved: []Level{{Label: "c=1", Concurrency: 1}, {Label: "c=4", Concurrency: 4}}}}
		got := labelsOf(p.RunLevels(nil))
		if want := []string{"in=128 c=1", "in=128 c=4", "in=1024 c=1", "in=1024 c=4"}; !slices.Equal(got, want) {
			t.Errorf("labels %v, want %v", got, want)
		}
	})
	t.Run("one group: the levels are as without groups", func(t *testing.T) {
		p := Platform{Concurrency: 1, SampleGroups: groups[:1]}
		if got := p.RunLevels(nil); len(got) != 1 || got[0].Label != "" {
			t.Errorf("levels %+v", got)
		}
	})
}

func TestLoadExperimentTakesTheSampleGroupsFromTheSource(t *testing.T) {
	reg := testRegistry()
	reg.AddSource("grouped", nil)
	reg.AddSampleGrouper("grouped", testGroupedLoader{})
	path := filepath.Join(t.TempDir(), "x.yaml")
	reg.AddLevelModel("two", func() LevelModel { return &testTwoLevels{} })
	src := "name: x\ndataset: {source: grouped}\nplatforms:\n  - name: p\n    models: [m]\n    emulate: {}\n  - name: q\n    models: [m]\n    emulate: {}\n    load: {type: two}\n"
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	e := mustLoad(t, path, LoadOptions{Registry: reg})
	if got := labelsOf(e.Platforms[0].RunLevels(nil)); !slices.Equal(got, []string{"in=128", "in=1024"}) {
		t.Errorf("platform p levels %v", got)
	}
	if n := len(e.Platforms[1].RunLevels(nil)); n != 4 {
		t.Errorf("platform q has %d levels, want 2 groups x 2 load levels", n)
	}
	t.Run("a manifest's experiment keeps them", func(t *testing.T) {
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		var back Experiment
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if got := labelsOf(back.Platforms[0].RunLevels(nil)); !slices.Equal(got, []string{"in=128", "in=1024"}) {
			t.Errorf("levels read back %v", got)
		}
		re, diags := ReloadExperiment("manifest.json", &back, LoadOptions{Registry: reg})
		if len(diags) > 0 {
			t.Fatalf("reload: %v", diags)
		}
		if got := labelsOf(re.Platforms[0].RunLevels(nil)); !slices.Equal(got, []string{"in=128", "in=1024"}) {
			t.Errorf("levels reloaded %v", got)
		}
	})
}

func TestALoadThatDecidesItsRatesCannotCrossSampleGroups(t *testing.T) {
	reg := testRegistry()
	reg.AddSource("grouped", nil)
	reg.AddSampleGrouper("grouped", testGroupedLoader{})
	reg.AddLevelModel("chosen", func() LevelModel { return &testChosenLevels{} })
	path := filepath.Join(t.TempDir(), "x.yaml")
	src := "name: x\ndataset: {source: grouped}\nplatforms:\n  - name: p\n    models: [m]\n    emulate: {}\n    load: {type: chosen}\n"
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	_, diags := LoadExperiment(path, LoadOptions{Registry: reg})
	if want := "platforms[0].load: decides its rates at run time and cannot be crossed with the dataset's sample groups"; !strings.Contains(diags.Error(), want) {
		t.Errorf("diagnostics:\n%v\nwant %q", diags, want)
	}
}

// testChosenLevels is a load model whose second level's rate is decided
// at run time.
type testChosenLevels struct{}

func (*testChosenLevels) Expand(p *Platform) []Level {
	return []Level{{Label: "sync", Concurrency: 1}, {Label: "r1", RateIndex: 1}}
}

// testTwoLevels is a load model of two closed-loop levels.
type testTwoLevels struct{}

func (*testTwoLevels) Expand(p *Platform) []Level {
	return []Level{{Label: "c=1", Concurrency: 1}, {Label: "c=2", Concurrency: 2}}
}

func TestALevelIsNamedInASentenceByWhatItIs(t *testing.T) {
	groups := []SampleGroup{{Label: "in=128", InputTokens: 128}, {Label: "in=1024", InputTokens: 1024}}
	e := &Experiment{Platforms: []Platform{
		{Name: "lengths", Concurrency: 2, SampleGroups: groups},
		{Name: "both", SampleGroups: groups, Levels: &LevelsSpec{Type: "concurrency", Resolved: []Level{{Label: "c=1", Concurrency: 1}, {Label: "c=4", Concurrency: 4}}}},
		{Name: "loads", Levels: &LevelsSpec{Type: "concurrency", Resolved: []Level{{Label: "c=1", Concurrency: 1}, {Label: "c=4", Concurrency: 4}}}},
	}}
	for _, c := range []struct{ platform, label, want string }{
		{"lengths", "in=1024", " at in=1024"},
		{"both", "in=128 c=4", " at in=128 c=4"},
		{"loads", "c=4", " at load c=4"},
		{"loads", "", ""},
		{"gone", "c=9", " at load c=9"}, // a platform the experiment no longer has
	} {
		if got := e.LevelPhrase(c.platform, c.label); got != c.want {
			t.Errorf("LevelPhrase(%s, %q) = %q, want %q", c.platform, c.label, got, c.want)
		}
	}
}
