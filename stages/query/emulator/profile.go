package emulator

import (
	"fmt"

	"github.com/inferbench/inferbench/pipeline"
	"github.com/inferbench/inferbench/pipeline/config"
)

// BlockKey is the experiment key of the emulator's block (platforms[].emulate).
const BlockKey = "emulate"

// Register adds the emulator's profile to reg as the config type of the
// platforms' emulate block: lint, validation and defaults read it from
// here (see pipeline.Registry.AddBlock).
func Register(reg *pipeline.Registry) {
	reg.AddBlock(config.KindEmulator, BlockKey, func() any { return &Profile{} })
}

// Profile configures the built-in OpenAI-compatible emulator: a
// platform's emulate block. Every random choice is a pure function of the
// seed and the request.
type Profile struct {
	TTFT            config.Duration `yaml:"ttft" json:"ttft"`
	TokensPerSecond float64         `yaml:"tokens_per_second" json:"tokens_per_second" validate:"gte=0"`
	// Jitter is the relative spread of TTFT and token gaps (0.1 = ±10%).
	Jitter float64 `yaml:"jitter" json:"jitter,omitempty" validate:"gte=0,lte=1"`
	// ReasoningTokens are streamed as reasoning deltas before the answer.
	ReasoningTokens int `yaml:"reasoning_tokens" json:"reasoning_tokens,omitempty" validate:"gte=0"`
	// Accuracy is the share of questions answered with a gold answer;
	// absent means DefaultAccuracy (an explicit 0 is kept: every answer
	// wrong).
	Accuracy float64 `yaml:"accuracy" json:"accuracy" validate:"gte=0,lte=1"`
	// Style is how answers are phrased: plain (default) or chatty
	// (a sentence with the answer in bold, like reasoning models do).
	Style string `yaml:"style" json:"style,omitempty" validate:"omitempty,oneof=plain chatty"`
	// Usage is how usage is reported: vllm (default), sambanova (adds
	// server timing fields) or none.
	Usage string `yaml:"usage" json:"usage,omitempty" validate:"omitempty,oneof=vllm sambanova none"`
	// MaxBatch is the emulated server's capacity: at most this many
	// requests are decoded at once, later ones wait in its queue for a
	// free slot (their TTFT grows with load). 0: no limit.
	MaxBatch int `yaml:"max_batch" json:"max_batch,omitempty" validate:"gte=0"`
	// BatchSlowdown is how much each other request in the batch slows a
	// request's first token and every token gap: time x (1 +
	// batch_slowdown x (batch - 1)), batch read when the token is due.
	// 0: batching costs nothing.
	BatchSlowdown float64 `yaml:"batch_slowdown" json:"batch_slowdown,omitempty" validate:"gte=0"`
	// PrefillMsPerToken is the prefill cost: each prompt token adds this
	// many milliseconds to the first token's time (before jitter and the
	// batch slowdown), so that TTFT grows with the prompt's length. 0:
	// the prompt's length costs nothing.
	PrefillMsPerToken float64 `yaml:"prefill_ms_per_token" json:"prefill_ms_per_token,omitempty" validate:"gte=0"`
	// KVCacheTokens is the size of the emulated KV cache in tokens, which
	// only /metrics reports (vllm:kv_cache_usage_perc: the batch's prompt
	// and output tokens over it); 0: DefaultKVCacheTokens.
	KVCacheTokens int `yaml:"kv_cache_tokens" json:"kv_cache_tokens,omitempty" validate:"gte=0"`
	// TokensPerChunk is how many tokens one stream event carries, as
	// servers that batch their output (SambaNova, speculative decoding)
	// send them: the event goes out when its last token is due, and the
	// last event of the reasoning and of the content may carry fewer. 0
	// or 1: one token per event.
	TokensPerChunk int `yaml:"tokens_per_chunk" json:"tokens_per_chunk,omitempty" validate:"gte=0"`
	// RejectStreamOptions answers 400 to requests carrying stream_options.
	RejectStreamOptions bool   `yaml:"reject_stream_options" json:"reject_stream_options,omitempty"`
	Faults              Faults `yaml:"faults" json:"faults,omitempty"`
}

// DefaultAccuracy is the emulator's accuracy when the profile does not
// set one: every answer is a gold answer.
const DefaultAccuracy = 1.0

// ApplyDefaults implements config.BlockDefaulter: accuracy left out is
// DefaultAccuracy.
func (p *Profile) ApplyDefaults(written func(key string) bool) {
	if p.Accuracy == 0 && !written("accuracy") {
		p.Accuracy = DefaultAccuracy
	}
}

// Faults injects failures into the emulator; each rate is the share of
// requests (0..1) that get that fault.
type Faults struct {
	Rate429    float64         `yaml:"rate_429" json:"rate_429,omitempty" validate:"gte=0,lte=1"`
	RetryAfter config.Duration `yaml:"retry_after" json:"retry_after,omitempty"`
	Rate500    float64         `yaml:"rate_500" json:"rate_500,omitempty" validate:"gte=0,lte=1"`
	Disconnect float64         `yaml:"disconnect" json:"disconnect,omitempty" validate:"gte=0,lte=1"`
	Stall      float64         `yaml:"stall" json:"stall,omitempty" validate:"gte=0,lte=1"`
	StallFor   config.Duration `yaml:"stall_for" json:"stall_for,omitempty"`
	Malformed  float64         `yaml:"malformed" json:"malformed,omitempty" validate:"gte=0,lte=1"`
	ErrorEvent float64         `yaml:"error_event" json:"error_event,omitempty" validate:"gte=0,lte=1"`
}

// Block returns p as a platform's resolved emulate block, for
// experiments built in code.
func (p Profile) Block() *config.Block { return config.ConfigBlock(&p) }

// ProfileOf returns the profile of an emulate block, resolved (its
// config) or read back from a manifest (its settings).
func ProfileOf(b *config.Block) (Profile, error) {
	if p, ok := b.Config.(*Profile); ok {
		return *p, nil
	}
	var p Profile
	if err := b.Decode(&p); err != nil {
		return Profile{}, fmt.Errorf("emulate: %w", err)
	}
	return p, nil
}
