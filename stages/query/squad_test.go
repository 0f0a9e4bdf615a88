package query

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/results"
	"github.com/inferbench/inferbench/stages/query/emulator"
)

// TestRealSQuADQuestionsThroughTheEmulator sends the first SQuAD v1.1 dev
// questions (long contexts, Unicode) through the real client path to the
// emulator at accuracy 1 and checks every answer is a gold answer. It reads
// the file named by INFERBENCH_SQUAD_DEV and skips when that is unset.
func TestRealSQuADQuestionsThroughTheEmulator(t *testing.T) {
	path := os.Getenv("INFERBENCH_SQUAD_DEV")
	if path == "" {
		t.Skip("INFERBENCH_SQUAD_DEV not set")
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("INFERBENCH_SQUAD_DEV: %v", err)
	}
	var file struct {
		Version string `json:"version"`
		Data    []struct {
			Title      string `json:"title"`
			Paragraphs []struct {
				Context string `json:"context"`
				QAs     []struct {
					ID       string `json:"id"`
					Question string `json:"question"`
					Answers  []struct {
						Text string `json:"text"`
					} `json:"answers"`
				} `json:"qas"`
			} `json:"paragraphs"`
		} `json:"data"`
	}
	if err := json.Unmarshal(raw, &file); err != nil || file.Version != "1.1" || len(file.Data) == 0 {
		t.Fatalf("INFERBENCH_SQUAD_DEV is not SQuAD v1.1 dev: version %q, err %v", file.Version, err)
	}
	const n = 60
	var samples []*config.Sample
	for _, a := range file.Data {
		for _, p := range a.Paragraphs {
			for _, q := range p.QAs {
				s := &config.Sample{ID: q.ID, Title: a.Title, Context: p.Context, Question: q.Question}
				for _, ans := range q.Answers {
					s.Answers = append(s.Answers, ans.Text)
				}
				if len(samples) < n {
					samples = append(samples, s)
				}
			}
		}
	}
	prof := emulator.Profile{TokensPerSecond: 0, Accuracy: 1, ReasoningTokens: 3}
	job := newJob("")
	job.Platform.Emulate, job.Platform.Concurrency = prof.Block(), 8
	for i, s := range samples {
		job.Cells = append(job.Cells, results.Cell{
			CellKey:  results.CellKey{Platform: "fake", Model: "m", Temperature: 0.7, SampleID: s.ID},
			Seq:      i,
			Sample:   s,
			Messages: []config.Message{{Role: "user", Content: "Context: " + s.Context + "\n\nQuestion: " + s.Question + "\n\nAnswer:"}},
		})
	}
	recs, _, err := collect(t, context.Background(), New(), job)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != len(samples) {
		t.Fatalf("%d records for %d questions", len(recs), len(samples))
	}
	for _, s := range samples {
		r := recs[s.ID]
		gold := false
		for _, a := range s.Answers {
			gold = gold || strings.Contains(r.Content, a)
		}
		if !r.OK() || !gold || r.PromptTokens == 0 {
			t.Errorf("%s: error %q content %q (gold %q) prompt tokens %d", s.ID, r.Error, r.Content, s.Answers, r.PromptTokens)
		}
	}
}
