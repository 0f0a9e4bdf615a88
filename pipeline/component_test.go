package pipeline

import "github.com/inferbench/inferbench/pipeline/config"

// testEmulate stands in for the emulator's profile (stages/query/emulator,
// which pipeline's tests cannot import) as the registered config type of
// the emulate block: the same keys, tags and default.
type testEmulate struct {
	TTFT                config.Duration `yaml:"ttft" json:"ttft"`
	TokensPerSecond     float64         `yaml:"tokens_per_second" json:"tokens_per_second" validate:"gte=0"`
	Jitter              float64         `yaml:"jitter" json:"jitter,omitempty" validate:"gte=0,lte=1"`
	ReasoningTokens     int             `yaml:"reasoning_tokens" json:"reasoning_tokens,omitempty" validate:"gte=0"`
	Accuracy            float64         `yaml:"accuracy" json:"accuracy" validate:"gte=0,lte=1"`
	Style               string          `yaml:"style" json:"style,omitempty" validate:"omitempty,oneof=plain chatty"`
	Usage               string          `yaml:"usage" json:"usage,omitempty" validate:"omitempty,oneof=vllm sambanova none"`
	MaxBatch            int             `yaml:"max_batch" json:"max_batch,omitempty" validate:"gte=0"`
	BatchSlowdown       float64         `yaml:"batch_slowdown" json:"batch_slowdown,omitempty" validate:"gte=0"`
	RejectStreamOptions bool            `yaml:"reject_stream_options" json:"reject_stream_options,omitempty"`
	Faults              testFaults      `yaml:"faults" json:"faults,omitempty"`
}

type testFaults struct {
	Rate429    float64         `yaml:"rate_429" json:"rate_429,omitempty" validate:"gte=0,lte=1"`
	RetryAfter config.Duration `yaml:"retry_after" json:"retry_after,omitempty"`
	Rate500    float64         `yaml:"rate_500" json:"rate_500,omitempty" validate:"gte=0,lte=1"`
	Disconnect float64         `yaml:"disconnect" json:"disconnect,omitempty" validate:"gte=0,lte=1"`
	Stall      float64         `yaml:"stall" json:"stall,omitempty" validate:"gte=0,lte=1"`
	StallFor   config.Duration `yaml:"stall_for" json:"stall_for,omitempty"`
	Malformed  float64         `yaml:"malformed" json:"malformed,omitempty" validate:"gte=0,lte=1"`
	ErrorEvent float64         `yaml:"error_event" json:"error_event,omitempty" validate:"gte=0,lte=1"`
}

func (p *testEmulate) ApplyDefaults(written func(key string) bool) {
	if p.Accuracy == 0 && !written("accuracy") {
		p.Accuracy = 1
	}
}

// testHF and testFields stand in for stages/load's dataset.hf and
// dataset.fields config types.
type testHF struct {
	Dataset  string `yaml:"dataset" json:"dataset,omitempty"`
	Config   string `yaml:"config" json:"config,omitempty"`
	Split    string `yaml:"split" json:"split,omitempty"`
	Revision string `yaml:"revision" json:"revision,omitempty"`
	Endpoint string `yaml:"endpoint" json:"endpoint,omitempty"`
	TokenEnv string `yaml:"token_env" json:"token_env,omitempty"`
}

type testFields struct {
	ID           string `yaml:"id" json:"id,omitempty"`
	Title        string `yaml:"title" json:"title,omitempty"`
	Context      string `yaml:"context" json:"context,omitempty"`
	Question     string `yaml:"question" json:"question,omitempty"`
	Answers      string `yaml:"answers" json:"answers,omitempty"`
	AnswersSep   string `yaml:"answers_sep" json:"answers_sep,omitempty"`
	IsImpossible string `yaml:"is_impossible" json:"is_impossible,omitempty"`
}
