package load

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/inferbench/inferbench/pipeline"
	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/stages/tokenize"
)

// loadSynthetic loads s (defaults applied) from the built-in corpus, or
// from the SQuAD file at path.
func loadSynthetic(t *testing.T, s SyntheticSpec, path string, seed int64) *config.Dataset {
	t.Helper()
	s.ApplyDefaults(func(string) bool { return false })
	if pr := s.Check(); len(pr) > 0 {
		t.Fatalf("check: %v", pr)
	}
	ds, err := Synthetic{}.Load(context.Background(), config.DatasetSpec{Source: SourceSynthetic, Path: path, Synthetic: s.Block()}, pipeline.LoadEnv{Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func TestSyntheticPromptsHaveExactlyTheInputLengthAsked(t *testing.T) {
	tok, err := tokenize.Get(tokenize.O200kBase)
	if err != nil {
		t.Fatal(err)
	}
	ds := loadSynthetic(t, SyntheticSpec{InputTokens: []int{1, 7, 128, 1024, 4096}, OutputTokens: []int{64}, Count: 3}, "", 1)
	if len(ds.Samples) != 15 || ds.Location != CorpusLocation || ds.SHA256 == "" {
		t.Fatalf("%d samples from %s (sha %q)", len(ds.Samples), ds.Location, ds.SHA256)
	}
	for _, s := range ds.Samples {
		want := map[string]int{"in=1": 1, "in=7": 7, "in=128": 128, "in=1024": 1024, "in=4096": 4096}[s.Group]
		if got := tok.Count(s.Context); got != want {
			t.Errorf("sample %s of group %s has %d tokens, want %d", s.ID, s.Group, got, want)
		}
		if s.MaxTokens != 64 || len(s.Answers) != 0 || s.Question != "" {
			t.Errorf("sample %s asks for %d tokens, answers %v, question %q", s.ID, s.MaxTokens, s.Answers, s.Question)
		}
	}
	if ds.Samples[0].ID != "in1-000" || ds.Samples[14].ID != "in4096-002" {
		t.Errorf("ids %s .. %s", ds.Samples[0].ID, ds.Samples[14].ID)
	}
	if ds.Samples[6].Context == ds.Samples[7].Context {
		t.Error("two prompts of one group are the same text")
	}
}

func TestSyntheticLengthsAreDrawnFromTheSeed(t *testing.T) {
	tok, _ := tokenize.Get(tokenize.Cl100kBase)
	lengths := func(s SyntheticSpec, seed int64) []int {
		var out []int
		for _, x := range loadSynthetic(t, s, "", seed).Samples {
			out = append(out, tok.Count(x.Context))
		}
		return out
	}
	t.Run("a normal law around each length", func(t *testing.T) {
		s := SyntheticSpec{InputTokens: []int{200}, InputStddev: 20, Count: 40, Tokenizer: tokenize.Cl100kBase}
		a, b, c := lengths(s, 7), lengths(s, 7), lengths(s, 8)
		if !slices.Equal(a, b) || slices.Equal(a, c) {
			t.Errorf("seed 7 twice: %v / %v; seed 8: %v", a, b, c)
		}
		var sum float64
		for _, n := range a {
			sum += float64(n)
		}
		if m := sum / float64(len(a)); m < 185 || m > 215 || slices.Min(a) == slices.Max(a) {
			t.Errorf("lengths %v (mean %.1f), want spread around 200", a, m)
		}
	})
	t.Run("a uniform law over a range", func(t *testing.T) {
		s := SyntheticSpec{InputMin: 50, InputMax: 60, Count: 30, Tokenizer: tokenize.Cl100kBase}
		a := lengths(s, 3)
		if slices.Min(a) < 50 || slices.Max(a) > 60 || slices.Min(a) == slices.Max(a) {
			t.Errorf("lengths %v, want spread over 50..60", a)
		}
		if g := loadSynthetic(t, s, "", 3).Samples[0].Group; g != "in=50..60" {
			t.Errorf("group %q", g)
		}
	})
}

func TestSyntheticPromptsShareTheirPrefix(t *testing.T) {
	tok, _ := tokenize.Get(tokenize.O200kBase)
	ds := loadSynthetic(t, SyntheticSpec{InputTokens: []int{100, 300}, PrefixTokens: 40, Count: 4}, "", 5)
	prefix := tok.Decode(tok.Encode(ds.Samples[0].Context)[:40])
	for _, s := range ds.Samples {
		if !strings.HasPrefix(s.Context, prefix) {
			t.Errorf("sample %s does not start with the shared prefix %q", s.ID, prefix)
		}
	}
	if ds.Samples[0].Context[len(prefix):] == ds.Samples[1].Context[len(prefix):] {
		t.Error("the prompts differ only in their prefix")
	}
}

func TestSyntheticPromptsCanBeCutFromASquadFilesContexts(t *testing.T) {
	ds := loadSynthetic(t, SyntheticSpec{InputTokens: []int{50}, Count: 2}, filepath.Join("testdata", "synthetic-contexts.json"), 1)
	data, err := os.ReadFile(filepath.Join("testdata", "synthetic-contexts.json"))
	if err != nil {
		t.Fatal(err)
	}
	all, _, _ := DecodeSquad(data, "")
	words := strings.Fields(ds.Samples[0].Context)
	var contexts []string
	for _, s := range all {
		contexts = append(contexts, strings.Join(strings.Fields(s.Context), " "))
	}
	joined := strings.Join(contexts, " ")
	if len(words) < 3 || !strings.Contains(joined+" "+joined, strings.Join(words[1:len(words)-1], " ")) {
		t.Errorf("prompt %q is not cut from the file's contexts", ds.Samples[0].Context)
	}
	if ds.Location != filepath.Join("testdata", "synthetic-contexts.json") && !strings.HasSuffix(ds.Location, "synthetic-contexts.json") {
		t.Errorf("location %s", ds.Location)
	}
}

// TestSyntheticPromptsFromTheSquadDevSet builds long prompts from the real
// SQuAD dev set when INFERBENCH_SQUAD_DEV names it.
func TestSyntheticPromptsFromTheSquadDevSet(t *testing.T) {
	path := os.Getenv("INFERBENCH_SQUAD_DEV")
	if path == "" {
		t.Skip("INFERBENCH_SQUAD_DEV is not set")
	}
	tok, _ := tokenize.Get(tokenize.O200kBase)
	ds := loadSynthetic(t, SyntheticSpec{InputTokens: []int{2048, 8192}, Count: 2}, path, 1)
	for _, s := range ds.Samples {
		if n := tok.Count(s.Context); n != 2048 && n != 8192 {
			t.Errorf("sample %s: %d tokens", s.ID, n)
		}
	}
}

func TestSyntheticGroupsAreTheLengthsAsked(t *testing.T) {
	for _, tc := range []struct {
		name string
		spec SyntheticSpec
		want []string
	}{
		{"input lengths name the groups", SyntheticSpec{InputTokens: []int{128, 1024}, OutputTokens: []int{64}}, []string{"in=128", "in=1024"}},
		{"output lengths name them when they vary", SyntheticSpec{InputTokens: []int{128}, OutputTokens: []int{16, 256}}, []string{"out=16", "out=256"}},
		{"both when both vary, inputs outer", SyntheticSpec{InputTokens: []int{8, 16}, OutputTokens: []int{1, 2}}, []string{"in=8 out=1", "in=8 out=2", "in=16 out=1", "in=16 out=2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, g := range (Synthetic{}).SampleGroups(config.DatasetSpec{Synthetic: tc.spec.Block()}) {
				got = append(got, g.Label)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("groups %v, want %v", got, tc.want)
			}
		})
	}
}

func TestSyntheticBlockRules(t *testing.T) {
	for _, tc := range []struct {
		name string
		spec SyntheticSpec
		want string
	}{
		{"a group has a prompt", SyntheticSpec{InputTokens: []int{5}, Count: -1}, "count: must be >= 1, got -1"},
		{"not both a list and a range", SyntheticSpec{InputTokens: []int{5}, InputMin: 1, InputMax: 9}, "not both"},
		{"a range goes up", SyntheticSpec{InputMin: 9, InputMax: 3}, "input_max: must be >= input_min"},
		{"the prefix is shorter than every prompt", SyntheticSpec{InputTokens: []int{64, 16}, PrefixTokens: 16}, "prefix_tokens: must be less than the shortest input length (16)"},
		{"the tokenizer is built in", SyntheticSpec{InputTokens: []int{5}, Tokenizer: "gpt2"}, `tokenizer: unknown tokenizer "gpt2"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, p := range tc.spec.Check() {
				got = append(got, p.Path+": "+p.Message)
			}
			if !strings.Contains(strings.Join(got, "\n"), tc.want) {
				t.Errorf("problems %v, want %q", got, tc.want)
			}
		})
	}
	d := config.DatasetSpec{Source: SourceSynthetic, Sample: 5}
	var got []string
	for _, p := range (Synthetic{}).CheckDataset(d) {
		got = append(got, p.Path+": "+p.Message)
	}
	if want := []string{"synthetic.input_tokens: is required for source synthetic (or input_min and input_max)", "sample: is not used by source synthetic: set synthetic.count"}; !slices.Equal(got, want) {
		t.Errorf("dataset problems %v, want %v", got, want)
	}
}
