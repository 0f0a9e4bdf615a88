package pipeline

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/results"
	"github.com/inferbench/inferbench/pipeline/runfolder"
)

func samplesN(n int) []config.Sample {
	out := make([]config.Sample, n)
	for i := range out {
		out[i] = config.Sample{ID: fmt.Sprintf("q%02d", i), Context: strings.Repeat("c", i*10), Question: fmt.Sprintf("question %d?", i), Answers: []string{"a"}}
	}
	return out
}

func ids(s []config.Sample) []string {
	var out []string
	for _, x := range s {
		out = append(out, x.ID)
	}
	return out
}

func TestParseSliceSelectsLikePython(t *testing.T) {
	cases := []struct {
		in   string
		n    int
		want []int
	}{
		{"", 5, []int{0, 1, 2, 3, 4}},
		{"[:3]", 5, []int{0, 1, 2}},
		{"[2:]", 5, []int{2, 3, 4}},
		{"[-2:]", 5, []int{3, 4}},
		{"[1:-1]", 5, []int{1, 2, 3}},
		{"[::2]", 5, []int{0, 2, 4}},
		{"[1:10:3]", 20, []int{1, 4, 7}},
		{"[:100]", 3, []int{0, 1, 2}},
		{"[4:2]", 5, []int{}},
		{"[3]", 5, []int{3}},
		{"[-1]", 5, []int{4}},
		{"[-10:2]", 5, []int{0, 1}},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%q over %d items", c.in, c.n), func(t *testing.T) {
			s, err := config.ParseSlice(c.in)
			if err != nil {
				t.Fatal(err)
			}
			if got := s.Indices(c.n); !slices.Equal(got, c.want) {
				t.Fatalf("got %v, want %v", got, c.want)
			}
		})
	}
}

func TestParseSliceRejectsWhatPythonWouldNot(t *testing.T) {
	for _, in := range []string{":10", "[a:]", "[1:2:3:4]", "[::0]", "[::-1]", "[]"} {
		t.Run(in, func(t *testing.T) {
			if _, err := config.ParseSlice(in); err == nil {
				t.Fatalf("ParseSlice(%q) accepted", in)
			}
		})
	}
}

func TestSelectFiltersThenDrawsTheSameSeededSample(t *testing.T) {
	all := samplesN(40)
	spec := config.DatasetSpec{Filter: "len(context) >= 100", Sample: 5}
	a, err := Select(spec, 7, all)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Select(spec, 7, all)
	c, _ := Select(spec, 8, all)
	if len(a) != 5 || !slices.Equal(ids(a), ids(b)) {
		t.Fatalf("same seed gave %v and %v", ids(a), ids(b))
	}
	if slices.Equal(ids(a), ids(c)) {
		t.Fatalf("seeds 7 and 8 drew the same sample %v", ids(a))
	}
	for _, s := range a {
		if len(s.Context) < 100 {
			t.Fatalf("filter let %s through", s.ID)
		}
	}
	if !slices.IsSorted(ids(a)) {
		t.Fatalf("sample lost source order: %v", ids(a))
	}
	whole, _ := Select(config.DatasetSpec{Sample: 100}, 1, all)
	if len(whole) != 40 {
		t.Fatalf("a sample larger than the data should keep it all, got %d", len(whole))
	}
}

func TestBuildPlanExpandsTheMatrixWithWarmupsFirst(t *testing.T) {
	exp := &config.Experiment{
		Platforms: []config.Platform{
			{Name: "a", Models: []string{"m1", "m2"}, Warmup: 3},
			{Name: "b", Models: []string{"m"}},
		},
		Params:  config.Params{Temperature: []float64{0, 0.7}},
		Repeats: 3,
		Prompt:  config.PromptSpec{System: "You answer from {{.Title}}.", User: "Q: {{.Question}}"},
	}
	s := samplesN(4)
	s[0].Title = "T0"
	plan, err := BuildPlan(context.Background(), exp, s)
	if err != nil {
		t.Fatal(err)
	}
	if got := plan.Jobs[0].Cells.Len(); got != 3+2*2*3*4 {
		t.Fatalf("platform a: %d cells", got)
	}
	if got := plan.Jobs[1].Cells.Len(); got != 2*3*4 {
		t.Fatalf("platform b: %d cells", got)
	}
	if plan.Total() != 51+24 {
		t.Fatalf("total %d", plan.Total())
	}
	seen := map[results.CellKey]bool{}
	for i, c := range plan.Jobs[0].Cells.Slice() {
		if (i < 3) != c.Warmup {
			t.Fatalf("cell %d warmup=%v", i, c.Warmup)
		}
		if c.Seq != i {
			t.Fatalf("cell %d has seq %d", i, c.Seq)
		}
		if seen[c.CellKey] {
			t.Fatalf("duplicate cell %v", c.CellKey)
		}
		seen[c.CellKey] = true
	}
	first := plan.Jobs[0].Cells.At(0)
	if first.Messages[0].Role != "system" || first.Messages[0].Content != "You answer from T0." || first.Messages[1].Content != "Q: question 0?" {
		t.Fatalf("messages %+v", first.Messages)
	}
}

func TestPromptTemplatesRejectUnknownFields(t *testing.T) {
	r, err := config.NewPromptRenderer(config.PromptSpec{User: "{{.Nope}}"})
	if err == nil {
		_, err = r.Render(&config.Sample{})
	}
	if err == nil || !strings.Contains(err.Error(), "prompt.user") {
		t.Fatalf("err = %v", err)
	}
}

// Generated questions (synthetic prompts) keep their ids when the seed or
// the generator's settings change; the digest of the selected samples
// tells the texts apart (an old manifest without one is not compared).
func TestMatrixChangesNamesQuestionsWhoseTextChangedUnderTheSameIds(t *testing.T) {
	exp := config.Experiment{Platforms: []config.Platform{{Name: "a", Models: []string{"m"}}}, Params: config.Params{Temperature: []float64{0}}, Repeats: 1}
	ids := []string{"in64-000", "in64-001"}
	old := &runfolder.Manifest{Experiment: exp, Dataset: runfolder.DatasetInfo{IDs: ids, SamplesSHA256: "aaaa"}}
	got := strings.Join(MatrixChanges(old, &exp, runfolder.DatasetInfo{IDs: ids, SamplesSHA256: "bbbb"}), "; ")
	if !strings.Contains(got, "dataset: the selected questions' text differs") {
		t.Errorf("changes %q, want the changed texts named", got)
	}
	if ch := MatrixChanges(old, &exp, runfolder.DatasetInfo{IDs: ids, SamplesSHA256: "aaaa"}); len(ch) != 0 {
		t.Errorf("same samples reported %v", ch)
	}
	old.Dataset.SamplesSHA256 = ""
	if ch := MatrixChanges(old, &exp, runfolder.DatasetInfo{IDs: ids, SamplesSHA256: "bbbb"}); len(ch) != 0 {
		t.Errorf("a manifest from before the digest reported %v", ch)
	}
}

func TestMatrixChangesNamesWhatChanged(t *testing.T) {
	exp := config.Experiment{Platforms: []config.Platform{{Name: "a", Models: []string{"m"}}}, Params: config.Params{Temperature: []float64{0}, MaxTokens: 10}, Repeats: 1}
	old := &runfolder.Manifest{Experiment: exp, Dataset: runfolder.DatasetInfo{IDs: []string{"1", "2"}}}
	if ch := MatrixChanges(old, &exp, runfolder.DatasetInfo{IDs: []string{"1", "2"}}); len(ch) != 0 {
		t.Fatalf("unchanged experiment reported %v", ch)
	}
	changed := exp
	changed.Repeats = 2
	changed.Platforms = []config.Platform{{Name: "a", Models: []string{"m", "n"}}}
	ch := MatrixChanges(old, &changed, runfolder.DatasetInfo{IDs: []string{"1"}})
	joined := strings.Join(ch, "; ")
	for _, want := range []string{"repeats: 1 -> 2", `platforms[0].models: ["m"] -> ["m","n"]`, "selected questions differ"} {
		if !strings.Contains(joined, want) {
			t.Errorf("missing %q in %q", want, joined)
		}
	}

	endpoint := exp
	endpoint.Platforms = []config.Platform{{Name: "a", Models: []string{"m"}, BaseURL: "http://b/v1", Emulate: config.ConfigBlock(&testEmulate{TTFT: config.Duration(time.Millisecond)}),
		Headers: []config.Header{{Name: "X-Team", Value: "s3cret"}}}}
	endpoint.Params.TopP = 0.9
	ch = MatrixChanges(old, &endpoint, runfolder.DatasetInfo{IDs: []string{"1", "2"}})
	joined = strings.Join(ch, "; ")
	for _, want := range []string{"platforms[0].base_url: (none) -> http://b/v1", `platforms[0].emulate: null -> {"ttft":"1ms"`,
		`platforms[0].headers names: [] -> ["X-Team"]`, "params.top_p: 0 -> 0.9"} {
		if !strings.Contains(joined, want) {
			t.Errorf("missing %q in %q", want, joined)
		}
	}
	if strings.Contains(joined, "s3cret") {
		t.Errorf("a header value is shown: %q", joined)
	}
}

func TestMatrixChangesNamesAChangedLoad(t *testing.T) {
	exp := config.Experiment{Platforms: []config.Platform{{Name: "a", Models: []string{"m"}, Concurrency: 4, Rate: 8, Arrival: "gamma", Burstiness: 1}}, Params: config.Params{Temperature: []float64{0}}, Repeats: 1}
	old := &runfolder.Manifest{Experiment: exp}
	if ch := MatrixChanges(old, &exp, runfolder.DatasetInfo{}); len(ch) != 0 {
		t.Fatalf("unchanged load reported %v", ch)
	}
	changed := exp
	changed.Platforms = []config.Platform{{Name: "a", Models: []string{"m"}, Concurrency: 4, Rate: 8, Arrival: "gamma", Burstiness: 0.5}}
	if got := strings.Join(MatrixChanges(old, &changed, runfolder.DatasetInfo{}), "; "); got != "platforms[0].burstiness: 1 -> 0.5" {
		t.Errorf("burstiness change = %q", got)
	}
	changed.Platforms = []config.Platform{{Name: "a", Models: []string{"m"}, Concurrency: 4, Rate: 8, Arrival: "constant", MaxDuration: config.Duration(time.Minute)}}
	if got := strings.Join(MatrixChanges(old, &changed, runfolder.DatasetInfo{}), "; "); got != "platforms[0].arrival: gamma -> constant" {
		t.Errorf("arrival change = %q", got)
	}
	levels := func(lv ...config.Level) *config.LevelsSpec { return &config.LevelsSpec{Type: "rate", Resolved: lv} }
	old.Experiment.Platforms = []config.Platform{{Name: "a", Models: []string{"m"}, Levels: levels(config.Level{Label: "r=2", Rate: 2}, config.Level{Label: "r=8", Rate: 8})}}
	changed.Platforms = []config.Platform{{Name: "a", Models: []string{"m"}, Levels: levels(config.Level{Label: "r=2", Rate: 2}, config.Level{Label: "r=16", Rate: 16, Concurrency: 4})}}
	want := "platforms[0] load levels: [r=2 (rate 2/s), r=8 (rate 8/s)] -> [r=2 (rate 2/s), r=16 (rate 16/s, at most 4 in flight)]"
	if got := strings.Join(MatrixChanges(old, &changed, runfolder.DatasetInfo{}), "; "); got != want {
		t.Errorf("levels change = %q, want %q", got, want)
	}
}
