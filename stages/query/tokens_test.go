package query

import (
	"context"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/inferbench/inferbench/pipeline"
	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/results"
	"github.com/inferbench/inferbench/stages/query/emulator"
	"github.com/inferbench/inferbench/stages/tokenize"
)

func o200k(t *testing.T) tokenize.Tokenizer {
	t.Helper()
	tk, err := tokenize.Get(tokenize.O200kBase)
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

// tokenJob is newJob with the model's tokenizer o200k_base.
func tokenJob(baseURL string, ids ...string) pipeline.QueryJob {
	job := newJob(baseURL, ids...)
	job.Platform.Tokenizers = []string{tokenize.O200kBase}
	return job
}

func TestWithoutUsageTheModelsTokenizerCountsPromptAndOutput(t *testing.T) {
	const reasoning, content = "Let me think about the river.", "The river flows north, to the sea."
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		s := startSSE(w)
		s.data(delta(map[string]any{"role": "assistant", "content": ""}, nil))
		s.data(delta(map[string]any{"reasoning": reasoning[:10]}, nil))
		s.data(delta(map[string]any{"reasoning": reasoning[10:]}, nil))
		for _, part := range []string{"The river", " flows no", "rth, to the sea."} {
			s.data(delta(map[string]any{"content": part}, nil))
		}
		s.data(delta(map[string]any{}, "stop"))
		s.done()
	})
	job := tokenJob(f.URL+"/v1", "bad")
	recs, _, err := collect(t, context.Background(), New(), job)
	if err != nil {
		t.Fatal(err)
	}
	tk := o200k(t)
	r := recs["bad"]
	wantPrompt := tk.Count(job.Cells[0].Messages[0].Content)
	wantOut := tk.Count(reasoning) + tk.Count(content)
	if !r.OK() || !r.TokensCounted || r.TokensEstimated {
		t.Fatalf("ok %v counted %v estimated %v (%s)", r.OK(), r.TokensCounted, r.TokensEstimated, r.ErrorDetail)
	}
	if r.PromptTokens != wantPrompt || r.OutputTokens != wantOut || r.ReasoningTokens != tk.Count(reasoning) {
		t.Errorf("tokens prompt %d output %d reasoning %d, want %d %d %d", r.PromptTokens, r.OutputTokens, r.ReasoningTokens, wantPrompt, wantOut, tk.Count(reasoning))
	}
	if r.CountedPromptTokens != 0 || r.CountedOutputTokens != 0 {
		t.Errorf("counted_* are for records with usage, got %d %d", r.CountedPromptTokens, r.CountedOutputTokens)
	}
}

func TestWithUsageTheLocalCountIsKeptBeside(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		s := startSSE(w)
		s.data(delta(map[string]any{"content": "Denver"}, nil))
		s.data(delta(map[string]any{"content": " Broncos"}, "stop"))
		s.data(usageChunk(50, 3, 0, nil))
		s.done()
	})
	job := tokenJob(f.URL+"/v1", "bad")
	recs, _, err := collect(t, context.Background(), New(), job)
	if err != nil {
		t.Fatal(err)
	}
	tk := o200k(t)
	r := recs["bad"]
	if r.TokensCounted || r.TokensEstimated || r.PromptTokens != 50 || r.OutputTokens != 3 {
		t.Errorf("the server's usage stands: counted %v estimated %v tokens %d/%d", r.TokensCounted, r.TokensEstimated, r.PromptTokens, r.OutputTokens)
	}
	if r.CountedPromptTokens != tk.Count(job.Cells[0].Messages[0].Content) || r.CountedOutputTokens != tk.Count("Denver Broncos") {
		t.Errorf("local counts %d/%d", r.CountedPromptTokens, r.CountedOutputTokens)
	}
}

func TestNonStreamedAnswerWithoutUsageIsCounted(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"id":"c","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant",` +
			`"content":"Denver Broncos","reasoning_content":"The AFC champion..."},"finish_reason":"stop"}]}`))
	})
	job := tokenJob(f.URL+"/v1", "bad")
	job.Params.Stream = false
	recs, _, err := collect(t, context.Background(), New(), job)
	if err != nil {
		t.Fatal(err)
	}
	tk := o200k(t)
	r := recs["bad"]
	if !r.TokensCounted || r.OutputTokens != tk.Count("Denver Broncos")+tk.Count("The AFC champion...") || r.ReasoningTokens != tk.Count("The AFC champion...") {
		t.Errorf("counted %v tokens %d reasoning %d", r.TokensCounted, r.OutputTokens, r.ReasoningTokens)
	}
}

// A chunk of k tokens arriving a gap g after the previous one gives k
// inter-token latencies of g/k (SGLang's bench_serving does the same);
// the first chunk's tokens give none; a chunk that completes no token
// (half a word) passes its gap on to the next.
func TestITLIsPerTokenWhenAChunkCarriesSeveral(t *testing.T) {
	chunks := []string{"one two", " three four five", " six", " sev", "en"}
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		s := startSSE(w)
		for i, c := range chunks {
			if i > 0 {
				time.Sleep(5 * time.Millisecond)
			}
			s.data(delta(map[string]any{"content": c}, nil))
		}
		s.data(delta(map[string]any{}, "stop"))
		s.data(usageChunk(9, 7, 0, nil))
		s.done()
	})
	t.Run("with a tokenizer", func(t *testing.T) {
		recs, _, err := collect(t, context.Background(), New(), tokenJob(f.URL+"/v1", "bad"))
		if err != nil {
			t.Fatal(err)
		}
		r := recs["bad"]
		tk := o200k(t)
		if n := tk.Count(strings.Join(chunks, "")); n != 7 {
			t.Fatalf("the fixture assumes 7 tokens, o200k gives %d", n)
		}
		// "one two" | " three four five" | " six" | " sev" | "en": 2, 3, 1, 0, 1
		if len(r.ITLMs) != 5 {
			t.Fatalf("ITL %v: want 5 values (7 tokens, 2 in the first chunk)", r.ITLMs)
		}
		if r.ITLMs[0] != r.ITLMs[1] || r.ITLMs[1] != r.ITLMs[2] {
			t.Errorf("the second chunk's gap is not spread evenly over its 3 tokens: %v", r.ITLMs)
		}
		sum := 0.0
		for _, v := range r.ITLMs {
			sum += v
		}
		if math.Abs(sum-(r.LatencyMs-r.TTFTMs)) > 1e-6 {
			t.Errorf("ITL sums to %.6f, E2E - TTFT is %.6f", sum, r.LatencyMs-r.TTFTMs)
		}
		if math.Abs(r.TPOTMs-(r.LatencyMs-r.TTFTMs)/6) > 1e-9 {
			t.Errorf("TPOT %.4f, want (E2E - TTFT) / 6", r.TPOTMs)
		}
	})
	t.Run("without a tokenizer one value per chunk as before", func(t *testing.T) {
		recs, _, err := collect(t, context.Background(), New(), newJob(f.URL+"/v1", "bad"))
		if err != nil {
			t.Fatal(err)
		}
		if r := recs["bad"]; len(r.ITLMs) != len(chunks)-1 {
			t.Errorf("ITL %v: want one per chunk after the first", r.ITLMs)
		}
	})
}

func TestAToolCallAnswerKeepsTheEstimate(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		s := startSSE(w)
		s.data(delta(map[string]any{"tool_calls": []any{map[string]any{"index": 0, "function": map[string]any{"name": "lookup"}}}}, nil))
		s.data(delta(map[string]any{"tool_calls": []any{map[string]any{"index": 0, "function": map[string]any{"arguments": "{}"}}}}, "tool_calls"))
		s.done()
	})
	recs, _, err := collect(t, context.Background(), New(), tokenJob(f.URL+"/v1", "bad"))
	if err != nil {
		t.Fatal(err)
	}
	if r := recs["bad"]; !r.TokensEstimated || r.TokensCounted || r.OutputTokens != 2 || len(r.ITLMs) != 1 {
		t.Errorf("estimated %v counted %v tokens %d ITL %v", r.TokensEstimated, r.TokensCounted, r.OutputTokens, r.ITLMs)
	}
}

func TestAnUnreadableTokenizerIsASetupError(t *testing.T) {
	job := newJob("http://127.0.0.1:1/v1", "a")
	job.Platform.Tokenizers = []string{filepath.Join(t.TempDir(), "missing.json")}
	_, err := New().Query(context.Background(), job, func(results.Record) {})
	if err == nil || !strings.Contains(err.Error(), "model m: tokenizer") || !strings.Contains(err.Error(), "missing.json") {
		t.Errorf("err = %v", err)
	}
}

func TestTheQueryStageRegistersTheTokenizers(t *testing.T) {
	reg := pipeline.NewRegistry()
	Register(reg)
	dir := t.TempDir()
	file := filepath.Join(dir, "x.yaml")
	os.WriteFile(file, []byte(`name: x
dataset: {source: demo}
platforms:
  - name: a
    emulate: {}
    models: [gpt-oss-120b, llama, {name: m, tokenizer: o200k_bse}]
`), 0o644)
	reg.AddSource("demo", nil)
	_, diags := config.LoadExperiment(file, config.LoadOptions{Registry: reg})
	if !strings.Contains(diags.Error(), `platforms[0].models[2].tokenizer: unknown tokenizer "o200k_bse" (did you mean "o200k_base"?)`) {
		t.Errorf("diagnostics:\n%v", diags)
	}
	os.WriteFile(file, []byte(`name: x
dataset: {source: demo}
platforms:
  - name: a
    emulate: {}
    models: [gpt-oss-120b, llama]
`), 0o644)
	e, diags := config.LoadExperiment(file, config.LoadOptions{Registry: reg})
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	if got := e.Platforms[0].Tokenizers; len(got) != 2 || got[0] != tokenize.O200kHarmony || got[1] != "" {
		t.Errorf("tokenizers %q", got)
	}
}

// Against the emulator streaming 4 tokens per event without usage: the
// o200k count is the record's, and ITL has one value per token after the
// first event, not one per event.
func TestChunkedEmulatorStreamsAreCountedPerToken(t *testing.T) {
	prof := emulator.Profile{TTFT: config.Duration(time.Millisecond), TokensPerSecond: 4000,
		ReasoningTokens: 12, Accuracy: 1, Usage: "none", TokensPerChunk: 4}
	job := emulatedJob(prof, 3)
	job.Platform.Tokenizers = []string{tokenize.O200kBase}
	recs, _, err := collect(t, context.Background(), New(), job)
	if err != nil {
		t.Fatal(err)
	}
	tk := o200k(t)
	for id, r := range recs {
		want := tk.Count(r.Reasoning) + tk.Count(r.Content)
		if !r.OK() || !r.TokensCounted || r.OutputTokens != want {
			t.Errorf("%s: ok %v counted %v tokens %d, want %d", id, r.OK(), r.TokensCounted, r.OutputTokens, want)
		}
		// The first event carries the first 4 reasoning tokens (the
		// filler's pieces are o200k tokens).
		if len(r.ITLMs) != r.OutputTokens-4 {
			t.Errorf("%s: %d ITL values for %d tokens in events of 4", id, len(r.ITLMs), r.OutputTokens)
		}
	}
}
