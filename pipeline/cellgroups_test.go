package pipeline

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/runfolder"
)

// groupedSamples returns n samples in each of the groups, interleaved as a
// loader may return them.
func groupedSamples(n int, groups ...string) []config.Sample {
	var out []config.Sample
	for i := range n {
		for _, g := range groups {
			out = append(out, config.Sample{ID: fmt.Sprintf("%s-%d", g, i), Context: "c", Question: "q", Group: g})
		}
	}
	return out
}

func TestEachSampleGroupLevelSendsOnlyItsGroupsSamples(t *testing.T) {
	e := mustLoad(t, "config/testdata/minimal.good.yaml", config.LoadOptions{Sets: []string{"repeats=2", "platforms.0.warmup=1"}})
	e.Platforms[0].SampleGroups = []config.SampleGroup{{Label: "in=8", InputTokens: 8}, {Label: "in=64", InputTokens: 64}}
	plan, err := BuildPlan(context.Background(), e, groupedSamples(3, "in=8", "in=64"))
	if err != nil {
		t.Fatal(err)
	}
	l := plan.Jobs[0].Cells
	if got, want := l.Len(), 1+2*2*3; got != want {
		t.Fatalf("%d cells, want 1 warmup + 2 groups x 2 repeats x 3 samples", got)
	}
	if w := l.At(0); !w.Warmup || w.Level != "in=8" || w.Sample.Group != "in=8" {
		t.Errorf("warmup %+v", w.CellKey)
	}
	for seq := 1; seq < l.Len(); seq++ {
		c := l.At(seq)
		if c.Sample.Group != c.Level || !strings.HasPrefix(c.SampleID, c.Level+"-") {
			t.Errorf("cell %d of level %q sends sample %s of group %q", seq, c.Level, c.SampleID, c.Sample.Group)
		}
	}
	if c := l.At(1 + 6 + 4); c.Level != "in=64" || c.Repeat != 1 || c.SampleID != "in=64-1" {
		t.Errorf("cell 11 %+v", c.CellKey)
	}
}

func TestSampleGroupsOfUnequalSizesAreRefused(t *testing.T) {
	e := mustLoad(t, "config/testdata/minimal.good.yaml", config.LoadOptions{})
	e.Platforms[0].SampleGroups = []config.SampleGroup{{Label: "a"}, {Label: "b"}}
	samples := append(groupedSamples(2, "a", "b"), config.Sample{ID: "x", Group: "a"})
	if _, err := BuildPlan(context.Background(), e, samples); err == nil || !strings.Contains(err.Error(), "sample group b has 2 samples, group a 3") {
		t.Errorf("err %v", err)
	}
}

// TestAShardSharesTheLoadOfSampleGroupLevels: a shard of a platform whose
// levels are sample groups (no load block) sends its share of the
// platform's concurrency at every group's level.
func TestAShardSharesTheLoadOfSampleGroupLevels(t *testing.T) {
	p := config.Platform{Name: "p", Concurrency: 4, SampleGroups: []config.SampleGroup{{Label: "in=8"}, {Label: "in=64"}}}
	got, shares := sharedPlatform(runfolder.Shard{Index: 1, Count: 2}, p)
	if got.Concurrency != 2 || shares["in=8"] == nil || shares["in=64"].Concurrency != 2 {
		t.Errorf("shard 1/2: concurrency %d, shares %v", got.Concurrency, shares)
	}
}

// TestResumeRefusesChangedOutputLengths: a sample group's label names its
// input length only, so a resume compares the groups' lengths too.
func TestResumeRefusesChangedOutputLengths(t *testing.T) {
	groups := func(out int) []config.SampleGroup {
		return []config.SampleGroup{{Label: "in=8", InputTokens: 8, OutputTokens: out}, {Label: "in=64", InputTokens: 64, OutputTokens: out}}
	}
	exp := config.Experiment{Platforms: []config.Platform{{Name: "a", Models: []string{"m"}, Concurrency: 1, SampleGroups: groups(16)}}, Params: config.Params{Temperature: []float64{0}}, Repeats: 1}
	old := &runfolder.Manifest{Experiment: exp}
	changed := exp
	changed.Platforms = []config.Platform{{Name: "a", Models: []string{"m"}, Concurrency: 1, SampleGroups: groups(32)}}
	got := strings.Join(MatrixChanges(old, &changed, runfolder.DatasetInfo{}), "; ")
	if !strings.Contains(got, "platforms[0] sample groups:") || !strings.Contains(got, `"output_tokens":32`) {
		t.Errorf("changes %q, want the sample groups named", got)
	}
}
