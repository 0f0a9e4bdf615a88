package query

import (
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/inferbench/inferbench/pipeline"
	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/results"
	"github.com/inferbench/inferbench/stages/tokenize"
)

// registerTokenizers tells the experiment language which tokenizers
// platforms[].tokenizer and model entries may name, and which one a model
// name implies.
func registerTokenizers(reg *pipeline.Registry) {
	reg.AddTokenizers(config.TokenizerRules{
		Names:    tokenize.Builtin(),
		ForModel: tokenize.ForModel,
		IsPath:   tokenize.IsPath,
		CheckFile: func(path string) error {
			_, err := tokenize.Load(path)
			return err
		},
	})
}

// modelTokenizers loads the tokenizer of each of the platform's models
// that has one (Platform.ModelTokenizer); nil when none has.
func modelTokenizers(p config.Platform) (map[string]tokenize.Tokenizer, error) {
	var out map[string]tokenize.Tokenizer
	for i, m := range p.Models {
		v := p.ModelTokenizer(i)
		if v == "" {
			continue
		}
		tk, err := tokenize.Resolve(v, "")
		if err != nil {
			return nil, fmt.Errorf("model %s: %w", m, err)
		}
		if out == nil {
			out = map[string]tokenize.Tokenizer{}
		}
		out[m] = tk
	}
	return out, nil
}

// promptCounts caches the prompt token count of each sample: every
// repeat, temperature and load level of a sample sends the same messages.
type promptCounts struct {
	mu sync.Mutex
	n  map[string]int // by model and sample id
}

// countPrompt counts the prompt of a record's cell with its model's
// tokenizer: the text of every message's content, summed. The chat
// template's tokens (role markers, headers, a default system prompt) are
// not counted: only the server knows its template. The count is the
// record's prompt tokens when the server sent no usage (TokensCounted),
// else CountedPromptTokens beside the server's.
func (r *run) countPrompt(rec *results.Record, c *results.Cell) {
	tk := r.tok[c.Model]
	if tk == nil || rec.HTTPStatus != 200 {
		return
	}
	key := c.Model + "\x00" + c.SampleID
	r.prompts.mu.Lock()
	n, ok := r.prompts.n[key]
	r.prompts.mu.Unlock()
	if !ok {
		for _, m := range c.Messages {
			n += tk.Count(m.Content)
		}
		r.prompts.mu.Lock()
		if r.prompts.n == nil {
			r.prompts.n = map[string]int{}
		}
		r.prompts.n[key] = n
		r.prompts.mu.Unlock()
	}
	if rec.TokensCounted {
		rec.PromptTokens = n
	} else if !rec.TokensEstimated {
		rec.CountedPromptTokens = n
	}
}

// chunkMark is where one token-bearing event ended in the answer's texts
// (byte lengths of the reasoning and the content so far), and when it came.
type chunkMark struct {
	at                       time.Time
	reasoningEnd, contentEnd int
}

// countOutput counts an answer's reasoning and content with tk: the
// record's output and reasoning tokens when the server sent no usage
// (hadUsage false; TokensCounted), else CountedOutputTokens beside the
// server's. With the marks of a stream it also makes ITL per token (see
// perTokenITL). An answer with tool calls keeps the estimate: their
// arguments are not kept, so not counted.
func countOutput(rec *results.Record, tk tokenize.Tokenizer, hadUsage, toolCalls bool, marks []chunkMark) {
	if toolCalls {
		return
	}
	rEnds, cEnds := tokenEnds(tk, rec.Reasoning), tokenEnds(tk, rec.Content)
	if hadUsage {
		rec.CountedOutputTokens = len(rEnds) + len(cEnds)
	} else {
		rec.OutputTokens, rec.ReasoningTokens = len(rEnds)+len(cEnds), len(rEnds)
		rec.TokensCounted, rec.TokensEstimated = true, false
	}
	if len(marks) > 1 && len(rEnds)+len(cEnds) > 0 {
		rec.ITLMs = perTokenITL(marks, tokensPerMark(marks, rEnds, cEnds))
	}
}

// tokenEnds returns the byte offset in s at which each of its tokens
// ends: from the tokenizer when it says (tokenize.Ender, the built-in
// encodings), else from each token's decoded length, scaled to len(s)
// where those do not add up to it (a normalizing tokenizer).
func tokenEnds(tk tokenize.Tokenizer, s string) []int {
	if s == "" {
		return nil
	}
	if e, ok := tk.(tokenize.Ender); ok {
		if ends := e.TokenEnds(s); len(ends) == 0 || ends[len(ends)-1] == len(s) {
			return ends
		}
	}
	ids := tk.Encode(s)
	ends := make([]int, len(ids))
	one := make([]int, 1)
	end := 0
	for i, id := range ids {
		one[0] = id
		end += len(tk.Decode(one))
		ends[i] = end
	}
	if end != len(s) && end > 0 {
		for i := range ends {
			ends[i] = int(math.Round(float64(ends[i]) * float64(len(s)) / float64(end)))
		}
	}
	return ends
}

// tokensPerMark counts the tokens that each event completes: those whose
// last byte arrived with it. Tokens ending past the last mark (none, as
// the last mark is the texts' end) go to the last one.
func tokensPerMark(marks []chunkMark, rEnds, cEnds []int) []int {
	per := make([]int, len(marks))
	ri, ci := 0, 0
	for i, m := range marks {
		for ri < len(rEnds) && rEnds[ri] <= m.reasoningEnd {
			per[i]++
			ri++
		}
		for ci < len(cEnds) && cEnds[ci] <= m.contentEnd {
			per[i]++
			ci++
		}
	}
	per[len(per)-1] += len(rEnds) - ri + len(cEnds) - ci
	return per
}

// perTokenITL spreads the gap before each event over the tokens it
// completes: an event of k tokens a gap g after the previous
// token-completing event gives k values of g/k (SGLang's bench_serving
// does the same). The first event's tokens give none (they arrive at
// TTFT); an event that completes no token passes its gap on to the next.
// The values sum to the time from the first event to the last that
// completes a token.
func perTokenITL(marks []chunkMark, per []int) []float64 {
	n := 0
	for _, k := range per[1:] {
		n += k
	}
	itl := make([]float64, 0, n)
	anchor := marks[0].at
	for i := 1; i < len(marks); i++ {
		k := per[i]
		if k == 0 {
			continue
		}
		g := ms(marks[i].at.Sub(anchor)) / float64(k)
		for j := 0; j < k; j++ {
			itl = append(itl, g)
		}
		anchor = marks[i].at
	}
	return itl
}
