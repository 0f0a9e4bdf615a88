package emulator

import (
	"encoding/json"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/inferbench/inferbench/pipeline/config"
)

// loadSquadDev reads the SQuAD v1.1 dev set named by INFERBENCH_SQUAD_DEV;
// it skips when the variable is unset and fails when the file is wrong.
func loadSquadDev(t *testing.T) []config.Sample {
	t.Helper()
	path := os.Getenv("INFERBENCH_SQUAD_DEV")
	if path == "" {
		t.Skip("INFERBENCH_SQUAD_DEV not set")
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("INFERBENCH_SQUAD_DEV: %v", err)
	}
	var f struct {
		Version string `json:"version"`
		Data    []struct {
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
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatalf("INFERBENCH_SQUAD_DEV %s: %v", path, err)
	}
	var out []config.Sample
	for _, a := range f.Data {
		for _, p := range a.Paragraphs {
			for _, q := range p.QAs {
				s := config.Sample{ID: q.ID, Context: p.Context, Question: q.Question}
				for _, an := range q.Answers {
					s.Answers = append(s.Answers, an.Text)
				}
				out = append(out, s)
			}
		}
	}
	if f.Version != "1.1" || len(out) != 10570 {
		t.Fatalf("INFERBENCH_SQUAD_DEV %s: version %q with %d questions, want 1.1 with 10570", path, f.Version, len(out))
	}
	return out
}

func TestAccuracyOnSquadDev(t *testing.T) {
	samples := loadSquadDev(t)
	const p = 0.84
	hits, fixed := 0, 0
	for i := range samples {
		s := &samples[i]
		msgs := []config.Message{{Role: "user", Content: "Context: " + s.Context + "\n\nQuestion: " + s.Question + "\n\nAnswer:"}}
		key := mix(mix(42) ^ requestKey(s.ID, msgs, "openai/gpt-oss-120b", 0.7))
		ans := answerFor(key, p, s, msgs)
		if exactMatch(ans, s.Answers) {
			hits++
			continue
		}
		if ans == FixedAnswer {
			fixed++
		} else if !strings.Contains(s.Context, ans) {
			t.Fatalf("%s: wrong answer %q is not a span of the context", s.ID, ans)
		}
	}
	n := float64(len(samples))
	got := float64(hits) / n
	// Four binomial standard deviations; the seed is fixed, so this cannot flake.
	if sd := math.Sqrt(p * (1 - p) / n); math.Abs(got-p) > 4*sd {
		t.Errorf("EM %.4f over %d questions, want %.2f ± %.4f", got, len(samples), p, 4*sd)
	}
	if fixed > len(samples)/100 {
		t.Errorf("%d wrong answers fell back to the fixed sentence, want spans", fixed)
	}
	t.Log("EM " + strconv.FormatFloat(got, 'f', 4, 64) + ", fixed fallbacks " + strconv.Itoa(fixed))
}
