package score

import (
	"testing"

	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/results"
)

// TestASampleWithoutAGoldAnswerIsNotScored: a synthetic prompt has no gold
// answer, so its record is not scored (no EM, no F1, not wrong) and says
// why, failed or not; a SQuAD v2 unanswerable question keeps its score.
func TestASampleWithoutAGoldAnswerIsNotScored(t *testing.T) {
	sc, err := New(config.ScoreSpec{Extract: config.ExtractSpec{Steps: []string{"first_line"}}}, "v1.1")
	if err != nil {
		t.Fatal(err)
	}
	synthetic := &config.Sample{ID: "in128-000", Context: "some prompt text"}
	for _, rec := range []results.Record{{Content: "a long answer", FinishReason: "length"}, {Error: "http_500"}} {
		r := rec
		r.EM, r.F1, r.Scored = 1, 1, true // left from an earlier scoring
		sc.Score(&r, synthetic)
		if r.Scored || !r.NoGold || r.EM != 0 || r.F1 != 0 || r.RawF1 != 0 || r.Answer != "" {
			t.Errorf("record %+v: want unscored with no_gold", r)
		}
	}
	v2, _ := New(config.ScoreSpec{Extract: config.ExtractSpec{Steps: []string{"first_line"}}}, "v2.0")
	r := results.Record{Content: ""}
	v2.Score(&r, &config.Sample{ID: "q", IsImpossible: true})
	if !r.Scored || r.NoGold || r.EM != 1 {
		t.Errorf("unanswerable question: %+v, want scored EM 1", r)
	}
}
