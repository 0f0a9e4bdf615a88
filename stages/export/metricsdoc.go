package export

import (
	"fmt"
	"io"
	"strings"
)

// writeMetricsDoc writes docs/metrics.md: every metric definition and its
// peer-tool names as one Markdown document. TestMetricsDocIsCurrent checks
// the committed file against this output (and -update rewrites it), so the
// documentation cannot drift from the definitions the reports print.
func writeMetricsDoc(w io.Writer) error {
	ew := &errWriter{w: w}
	fmt.Fprint(ew, `# Metric definitions

This file is generated from stages/export/definitions.go. Regenerate it with
`+"`go test ./stages/export -run TestMetricsDocIsCurrent -update`"+`. Every report
(report.md, report.html, results.json) prints the same definitions.

Every duration is measured on the monotonic clock and starts when the request is written to the
connection: after any client queueing (open-loop schedules) and after retry waits. Timestamps are
taken when an event's bytes arrive, before its JSON is decoded.

| metric | definition | vLLM bench serve | GuideLLM | AIPerf |
| --- | --- | --- | --- | --- |
`)
	cell := func(s string) string {
		if s == "" {
			return "-"
		}
		return strings.ReplaceAll(s, "|", `\|`)
	}
	for _, d := range MetricDefinitions {
		fmt.Fprintf(ew, "| **%s** (`%s`) | %s | %s | %s | %s |\n", cell(d.Name), d.Key, cell(d.Formula), cell(d.VLLM), cell(d.GuideLLM), cell(d.AIPerf))
	}
	fmt.Fprint(ew, `
## Notes on the peer tools

- **Role-only first chunk.** vLLM and SambaNova first send a chunk that holds only `+"`role: assistant`"+`
  and an empty content. Counting it as the first token makes TTFT look like TTFB. inferbench
  does not count it, and reports TTFB separately.
- **Reasoning models.** TTFT counts reasoning deltas (`+"`reasoning`"+` or `+"`reasoning_content`"+`) as tokens,
  because the server has started generating. TTFC is when the user would see the first answer
  text.
- **Token counts.** inferbench reads `+"`usage`"+` (`+"`completion_tokens`"+`, and
  `+"`completion_tokens_details.reasoning_tokens`"+`) when the server sends it. Without usage, and with
  a tokenizer for the model (`+"`tokenizer:`"+` on the platform or the model entry, or inferred from a
  well-known name such as gpt-oss-*), it counts the tokens like vLLM's bench serve, GuideLLM and
  AIPerf do and flags the record `+"`tokens_counted`"+`: output = tokens of the reasoning text + tokens of
  the content (each tokenized whole); prompt = the tokens of each chat message's content, summed,
  without the chat template's role markers and headers (only the server knows its template).
  Tool-call arguments are not kept, so an answer with tool calls keeps the estimate. Without a
  tokenizer it estimates (one token per token-bearing event streamed, (characters + 3) / 4
  otherwise) and flags the record `+"`tokens_estimated`"+`; prompt tokens are then unknown.
- **Usage against the tokenizer.** When usage is present and a tokenizer is known, the local count
  is kept beside the server's (`+"`counted_prompt_tokens`"+`, `+"`counted_output_tokens`"+`) and each group
  reports `+"`usage_output_token_diff_pct`"+` and `+"`usage_prompt_token_diff_pct`"+`: signed and of the
  group's sums, where AIPerf's `+"`usage_*_tokens_diff_pct`"+` are absolute and per request.
- **Chunks are not tokens.** Some servers (SambaNova, speculative decoding) stream several tokens per
  event. Per-chunk gaps then overstate ITL by the chunk size. With a tokenizer, inferbench spreads
  each event's gap over the tokens it completes (see ITL above); TPOT divides by the token count.
- **Client queueing.** In an open-loop schedule, the time between the scheduled and the actual
  send is queue time. It is reported on its own and never included in TTFT or latency, where some
  Python clients hide it.
- **Vendor timings.** Numeric fields that a server adds to `+"`usage`"+` (SambaNova's
  `+"`time_to_first_token`"+`, `+"`total_latency`"+`, ...) are kept by their own names as `+"`server_*`"+`
  columns next to the client's figures.
`)
	return ew.err
}
