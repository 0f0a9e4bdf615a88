package pipeline

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/results"
)

// requestHashVersion is part of every hashed document, so that a change
// of what the hash covers can never make two different requests look
// alike; bump it when requestDef changes.
const requestHashVersion = 1

// requestDef is everything that defines the request of one matrix cell
// except its messages' sample text: where it goes, the model, the body's
// parameters, the prompt templates and the extra headers. Header values
// are secrets: they enter the hash and are never stored.
type requestDef struct {
	Version     int               `json:"v"`
	BaseURL     string            `json:"base_url,omitempty"`
	Emulate     *config.Block     `json:"emulate,omitempty"`
	Model       string            `json:"model"`
	Temperature float64           `json:"temperature"`
	MaxTokens   int               `json:"max_tokens"`
	TopP        float64           `json:"top_p"`
	Stream      bool              `json:"stream"`
	Extra       map[string]any    `json:"extra,omitempty"`
	Prompt      config.PromptSpec `json:"prompt"`
	Headers     [][2]string       `json:"headers,omitempty"`
	// Exact is platforms[].exact_output_tokens; left out when false, so
	// that the hashes of runs made before it existed still match.
	Exact bool `json:"exact_output_tokens,omitempty"`
}

// RequestHash returns the hash stored in Record.RequestHash for a request
// of platform p to model at temperature temp: the first 16 hex digits of
// the SHA-256 of a canonical JSON document holding p's base_url or
// emulate profile, model, temperature, params (max_tokens, top_p, stream,
// extra), the prompt templates and every header name and value in order.
// It is the same in every process for the same inputs (encoding/json
// sorts map keys) and reveals no header value. Not covered: the API key
// (tokens rotate mid-run), the load shape and timeouts.
func RequestHash(p *config.Platform, model string, temp float64, params *config.Params, prompt config.PromptSpec) string {
	d := requestDef{Version: requestHashVersion, BaseURL: p.BaseURL, Emulate: p.Emulate, Model: model,
		Temperature: temp, MaxTokens: params.MaxTokens, TopP: params.TopP, Stream: params.Stream,
		Extra: params.Extra, Prompt: prompt, Exact: p.ExactOutputTokens}
	for _, h := range p.Headers {
		d.Headers = append(d.Headers, [2]string{h.Name, h.Value.Reveal()})
	}
	b, err := json.Marshal(d)
	if err != nil {
		// Only params.extra can fail to encode, and the querier refuses
		// such a body before sending anything; hash the error instead.
		b = []byte(err.Error())
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// requestHashes maps every (platform, model, temperature) of exp to its
// RequestHash.
func requestHashes(exp *config.Experiment) map[results.GroupKey]string {
	out := map[results.GroupKey]string{}
	for i := range exp.Platforms {
		p := &exp.Platforms[i]
		for _, m := range p.Models {
			for _, t := range exp.Params.Temperature {
				out[results.GroupKey{Platform: p.Name, Model: m, Temperature: t}] = RequestHash(p, m, t, &exp.Params, exp.Prompt)
			}
		}
	}
	return out
}
