package score

import (
	"strings"
	"sync"
	"testing"

	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/results"
)

func TestScorerScoresRecords(t *testing.T) {
	sample := &config.Sample{ID: "q1", Question: "Who won?", Answers: []string{"Denver Broncos", "Broncos"}}
	impossible := &config.Sample{ID: "q2", Question: "Who lost?", IsImpossible: true}
	cases := []struct {
		name    string
		version string
		rec     results.Record
		sample  *config.Sample
		want    results.Record
	}{
		{"a chatty right answer scores 1 extracted and partial raw", "v1.1",
			results.Record{Content: "The AFC was represented by the **Denver Broncos**.", FinishReason: "stop"}, sample,
			// raw tokens: afc was represented by denver broncos (6); overlap 2:
			// p=2/6, r=2/2, f1 = 2*(1/3)*1/(4/3) = 0.5.
			results.Record{Answer: "Denver Broncos", EM: 1, F1: 1, RawEM: 0, RawF1: 0.5, Scored: true}},
		{"a wrong answer scores 0", "v1.1",
			results.Record{Content: "Carolina Panthers", FinishReason: "stop"}, sample,
			results.Record{Answer: "Carolina Panthers", Scored: true}},
		{"a failed request is not scored", "v1.1",
			results.Record{Error: "http_500", Content: "Denver Broncos"}, sample,
			results.Record{Scored: false}},
		{"empty content cut by max_tokens is truncated and scores 0", "v1.1",
			results.Record{Content: " \n", FinishReason: "length"}, sample,
			results.Record{Truncated: true, Scored: true}},
		{"a record query classified as empty_content_length is truncated", "v1.1",
			results.Record{Error: results.ErrEmptyContentLength, FinishReason: "length"}, sample,
			results.Record{Truncated: true}},
		{"content cut by max_tokens is not truncated", "v1.1",
			results.Record{Content: "Denver", FinishReason: "length"}, sample,
			results.Record{Answer: "Denver", F1: 2.0 / 3, RawF1: 2.0 / 3, Scored: true}},
		{"empty content that stopped normally is a wrong answer, not truncated", "v1.1",
			results.Record{Content: "", FinishReason: "stop"}, sample,
			results.Record{Scored: true}},
		{"v2.0: the empty answer is right for an unanswerable question", "v2.0",
			results.Record{Content: "<think>no answer in the passage</think>", FinishReason: "stop"}, impossible,
			// raw content normalizes to tokens: think no answer in passage/think
			results.Record{Answer: "", EM: 1, F1: 1, RawEM: 0, RawF1: 0, Scored: true, Impossible: true}},
		{"v2.0: a made-up answer to an unanswerable question scores 0", "v2.0",
			results.Record{Content: "Carolina", FinishReason: "stop"}, impossible,
			results.Record{Answer: "Carolina", Scored: true, Impossible: true}},
		{"v2.0: a failed request on an unanswerable question is still marked impossible", "v2.0",
			results.Record{Error: "http_500"}, impossible,
			results.Record{Impossible: true}},
		{"v2.0: an empty answer to an answerable question scores 0", "v2.0",
			results.Record{Content: "", FinishReason: "stop"}, sample,
			results.Record{Scored: true}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sc, err := New(config.ScoreSpec{}, c.version)
			if err != nil {
				t.Fatal(err)
			}
			r := c.rec
			sc.Score(&r, c.sample)
			type view struct {
				Answer               string
				EM, F1, RawEM, RawF1 float64
				Truncated, Scored    bool
				Impossible           bool
			}
			got := view{r.Answer, r.EM, r.F1, r.RawEM, r.RawF1, r.Truncated, r.Scored, r.Impossible}
			want := view{c.want.Answer, c.want.EM, c.want.F1, c.want.RawEM, c.want.RawF1, c.want.Truncated, c.want.Scored, c.want.Impossible}
			if got != want {
				t.Errorf("got  %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestScorerRescoringOverwritesOldScores(t *testing.T) {
	sc, err := New(config.ScoreSpec{}, "v1.1")
	if err != nil {
		t.Fatal(err)
	}
	r := results.Record{Error: "timeout_total", Answer: "old", EM: 1, F1: 1, RawEM: 1, RawF1: 1, Scored: true}
	sc.Score(&r, &config.Sample{Answers: []string{"old"}})
	if r.Answer != "" || r.EM != 0 || r.F1 != 0 || r.RawEM != 0 || r.RawF1 != 0 || r.Scored {
		t.Errorf("failed record kept scores: %+v", r)
	}
}

func TestScorerReportsExprRuntimeErrors(t *testing.T) {
	sc, err := New(config.ScoreSpec{Extract: config.ExtractSpec{Expr: `split(content, "\n")[1]`}}, "v1.1")
	if err != nil {
		t.Fatal(err)
	}
	r := results.Record{Content: "one line only"}
	sc.Score(&r, &config.Sample{Answers: []string{"one line only"}})
	if r.Answer != "" || r.EM != 0 || r.RawEM != 1 || !r.Scored || !strings.HasPrefix(r.ErrorDetail, "extract: ") || !r.OK() {
		t.Errorf("got %+v", r)
	}
}

func TestNewRejectsUnknownVersionsAndSteps(t *testing.T) {
	if _, err := New(config.ScoreSpec{}, "v3"); err == nil {
		t.Error("accepted version v3")
	}
	if _, err := New(config.ScoreSpec{Extract: config.ExtractSpec{Steps: []string{"nope"}}}, "v1.1"); err == nil {
		t.Error("accepted an unknown step")
	}
}

func TestScorerIsSafeForConcurrentUse(t *testing.T) {
	sc, err := New(config.ScoreSpec{}, "v1.1")
	if err != nil {
		t.Fatal(err)
	}
	sample := &config.Sample{Answers: []string{"Denver Broncos"}}
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Go(func() {
			for i := 0; i < 200; i++ {
				r := results.Record{Content: "**Denver Broncos**"}
				if i%2 == 1 {
					r.Content = "Answer: Ὀδυσσεύς ΣΟΦΟΣ"
				}
				sc.Score(&r, sample)
				if wantEM := float64(1 - i%2); r.EM != wantEM {
					t.Errorf("EM = %v, want %v", r.EM, wantEM)
					return
				}
			}
		})
	}
	wg.Wait()
}
