package aggregate

import "github.com/inferbench/inferbench/pipeline/results"

// usageSums are the server's and the tokenizer's token counts of a
// group's successful records that have both (see
// GroupStats.UsagePromptTokenDiffPct).
type usageSums struct {
	serverPrompt, countedPrompt int
	serverOutput, countedOutput int
}

// add takes a successful record's counts: those of a record with usage
// and a local count (a record counted for want of usage has no server
// figure to compare).
func (u *usageSums) add(r *results.Record) {
	if r.TokensCounted || r.TokensEstimated {
		return
	}
	if r.CountedPromptTokens > 0 {
		u.serverPrompt += r.PromptTokens
		u.countedPrompt += r.CountedPromptTokens
	}
	if r.CountedOutputTokens > 0 {
		u.serverOutput += r.OutputTokens
		u.countedOutput += r.CountedOutputTokens
	}
}

// diffs returns 100 * (server - counted) / counted for the prompt and
// the output tokens, nil where nothing was counted.
func (u *usageSums) diffs() (prompt, output *float64) {
	pct := func(server, counted int) *float64 {
		if counted == 0 {
			return nil
		}
		v := 100 * float64(server-counted) / float64(counted)
		return &v
	}
	return pct(u.serverPrompt, u.countedPrompt), pct(u.serverOutput, u.countedOutput)
}
