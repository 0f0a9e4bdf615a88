package load

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/inferbench/inferbench/pipeline"
	"github.com/inferbench/inferbench/pipeline/config"
)

func TestDemoDataset(t *testing.T) {
	ds, err := Demo{}.Load(context.Background(), config.DatasetSpec{Source: "demo"}, pipeline.LoadEnv{})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("it has at least 40 questions with unique ids", func(t *testing.T) {
		if len(ds.Samples) < 40 || ds.Total != len(ds.Samples) {
			t.Errorf("samples = %d, total = %d; want >= 40 and equal", len(ds.Samples), ds.Total)
		}
		seen := map[string]bool{}
		for _, s := range ds.Samples {
			if seen[s.ID] {
				t.Errorf("duplicate id %s", s.ID)
			}
			seen[s.ID] = true
		}
	})
	t.Run("every answer is a substring of its context", func(t *testing.T) {
		multi := 0
		for _, s := range ds.Samples {
			if len(s.Answers) == 0 || s.Question == "" || s.Title == "" {
				t.Errorf("%s: incomplete sample %+v", s.ID, s)
			}
			if len(s.Answers) > 1 {
				multi++
			}
			for _, a := range s.Answers {
				if strings.TrimSpace(a) != a || a == "" || !strings.Contains(s.Context, a) {
					t.Errorf("%s: answer %q is not a trimmed substring of its context", s.ID, a)
				}
			}
		}
		if multi < 3 {
			t.Errorf("%d questions with several acceptable answers, want at least 3", multi)
		}
	})
	t.Run("every answer_start indexes its answer text", func(t *testing.T) {
		var f struct {
			Data []struct {
				Paragraphs []struct {
					Context string
					QAs     []struct {
						ID      string
						Answers []struct {
							Text        string
							AnswerStart int `json:"answer_start"`
						}
					} `json:"qas"`
				}
			}
		}
		if err := json.Unmarshal(demoJSON, &f); err != nil {
			t.Fatal(err)
		}
		for _, a := range f.Data {
			for _, p := range a.Paragraphs {
				for _, q := range p.QAs {
					for _, ans := range q.Answers {
						end := ans.AnswerStart + len(ans.Text)
						if end > len(p.Context) || p.Context[ans.AnswerStart:end] != ans.Text {
							t.Errorf("%s: answer_start %d does not index %q", q.ID, ans.AnswerStart, ans.Text)
						}
					}
				}
			}
		}
	})
	t.Run("its checksum is the sha256 of the embedded bytes and pins the data", func(t *testing.T) {
		if ds.SHA256 != hexSum(demoJSON) || ds.Location != DemoLocation || ds.Version != "v1.1" {
			t.Errorf("sha %s location %s version %s", ds.SHA256, ds.Location, ds.Version)
		}
		if _, err := (Demo{}).Load(context.Background(), config.DatasetSpec{SHA256: ds.SHA256}, pipeline.LoadEnv{}); err != nil {
			t.Errorf("pinning the demo's own checksum fails: %v", err)
		}
		if _, err := (Demo{}).Load(context.Background(), config.DatasetSpec{SHA256: strings.Repeat("1", 64)}, pipeline.LoadEnv{}); err == nil {
			t.Error("a wrong pinned checksum loads")
		}
	})
	t.Run("a slice selects in dataset order", func(t *testing.T) {
		sl, err := Demo{}.Load(context.Background(), config.DatasetSpec{Slice: "[-3:]"}, pipeline.LoadEnv{})
		if err != nil {
			t.Fatal(err)
		}
		want := ids(ds.Samples[len(ds.Samples)-3:])
		if got := ids(sl.Samples); strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("ids = %v, want %v", got, want)
		}
	})
}

func BenchmarkDemoLoad(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := (Demo{}).Load(context.Background(), config.DatasetSpec{}, pipeline.LoadEnv{}); err != nil {
			b.Fatal(err)
		}
	}
}
