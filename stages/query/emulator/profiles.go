package emulator

import (
	"time"

	"github.com/inferbench/inferbench/pipeline/config"
)

// Profiles returns the named emulator presets that the emulate command's
// --profile starts from (experiments set their emulate: profile in full). They are illustrative shapes, not measurements of any system:
//   - "metis-like": SambaNova SN40L-ish, TTFT 250ms, 420 tokens/s, 40
//     reasoning tokens, SambaNova-style usage, accuracy 0.86, chatty answers.
//   - "sophia-like": A100 vLLM-ish, TTFT 600ms, 150 tokens/s, 40 reasoning
//     tokens, vLLM usage, accuracy 0.84, chatty answers.
//
// Each call returns a fresh map that the caller may modify.
func Profiles() map[string]Profile {
	return map[string]Profile{
		"metis-like": {
			TTFT:            config.Duration(250 * time.Millisecond),
			TokensPerSecond: 420,
			Jitter:          0.1,
			ReasoningTokens: 40,
			Accuracy:        0.86,
			Style:           "chatty",
			Usage:           "sambanova",
		},
		"sophia-like": {
			TTFT:            config.Duration(600 * time.Millisecond),
			TokensPerSecond: 150,
			Jitter:          0.1,
			ReasoningTokens: 40,
			Accuracy:        0.84,
			Style:           "chatty",
			Usage:           "vllm",
		},
	}
}
