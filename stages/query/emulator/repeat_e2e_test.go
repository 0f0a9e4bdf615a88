package emulator_test

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/inferbench/inferbench/pipeline"
	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/results"
	"github.com/inferbench/inferbench/stages/aggregate"
	"github.com/inferbench/inferbench/stages/query"
	"github.com/inferbench/inferbench/stages/query/emulator"
)

// TestRepeatsAgreeAtTemperatureZeroOnly runs an emulated platform through
// the real query client (which sends X-Request-Id with the repeat number)
// at accuracy 0.5, temperatures 0 and 0.7 and 3 repeats, and aggregates:
// greedy decoding answers every repeat alike, sampling does not.
func TestRepeatsAgreeAtTemperatureZeroOnly(t *testing.T) {
	const questions, repeats = 16, 3
	temps := []float64{0, 0.7}
	prof := emulator.Profile{Accuracy: 0.5, ReasoningTokens: 3}
	job := pipeline.QueryJob{
		Platform: config.Platform{Name: "emu", Models: []string{"m"}, Emulate: prof.Block(), Concurrency: 4,
			Timeout: config.Duration(10 * time.Second)},
		Params: config.Params{Temperature: temps, MaxTokens: 64, Stream: true},
		Seed:   42,
	}
	words := []string{"amber", "basalt", "cedar", "delta", "ember", "fjord", "granite", "harbour"}
	for _, temp := range temps {
		for rep := range repeats {
			for q := range questions {
				id := "q" + strconv.Itoa(q)
				ctx := "The " + words[q%8] + " bridge near " + words[(q+3)%8] + " crossing was rebuilt by the " +
					words[(q+5)%8] + " guild in year " + strconv.Itoa(1800+q) + " after a long winter flood."
				s := &config.Sample{ID: id, Context: ctx, Question: "Who rebuilt bridge " + id + "?", Answers: []string{"the " + words[(q+5)%8] + " guild"}}
				job.Cells = append(job.Cells, results.Cell{
					CellKey:  results.CellKey{Platform: "emu", Model: "m", Temperature: temp, Repeat: rep, SampleID: id},
					Seq:      len(job.Cells),
					Sample:   s,
					Messages: []config.Message{{Role: "user", Content: "Context: " + ctx + "\n\nQuestion: " + s.Question + "\n\nAnswer:"}},
				})
			}
		}
	}
	var mu sync.Mutex
	var recs []results.Record
	if _, err := query.New().Query(context.Background(), job, func(r results.Record) {
		r.Answer = r.Content // plain style: the content is the answer
		mu.Lock()
		recs = append(recs, r)
		mu.Unlock()
	}); err != nil {
		t.Fatal(err)
	}
	if len(recs) != len(job.Cells) {
		t.Fatalf("%d records for %d cells", len(recs), len(job.Cells))
	}
	for _, r := range recs {
		if !r.OK() {
			t.Fatalf("%s: %s %s", r.CellKey, r.Error, r.ErrorDetail)
		}
	}
	exp := &config.Experiment{Name: "agree", Seed: 42, Repeats: repeats, Platforms: []config.Platform{job.Platform},
		Params: job.Params, Stats: config.StatsSpec{Confidence: 0.95, Bootstrap: 100}}
	res, err := pipeline.AggregateRecords(context.Background(), aggregate.NewAccumulator, exp, recs)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Groups) != 2 {
		t.Fatalf("%d groups", len(res.Groups))
	}
	t.Run("at temperature 0 every question is answered alike in all 3 repeats", func(t *testing.T) {
		if g := res.Groups[0]; g.Temperature != 0 || g.Agreement != 1 {
			t.Errorf("t=%v agreement %v, want 1", g.Temperature, g.Agreement)
		}
	})
	t.Run("at temperature 0.7 some questions are answered differently across repeats", func(t *testing.T) {
		if g := res.Groups[1]; g.Temperature != 0.7 || g.Agreement >= 1 {
			t.Errorf("t=%v agreement %v, want < 1", g.Temperature, g.Agreement)
		}
	})
}
