// Package query is the query stage: it sends every matrix cell of a platform
// to an OpenAI-compatible endpoint (POST {base_url}/chat/completions), over
// real HTTP even for emulated platforms, and turns each answer into a
// results.Record.
//
// # Metric definitions
//
// Every duration is measured on the monotonic clock from t0, the moment the
// final attempt's request is handed to the HTTP transport (after any client
// queueing, which is reported separately as QueueMs). Event timestamps are
// taken when an SSE event's first line is read off the response body, before
// its JSON is decoded.
//
//   - TTFB (ttfb_ms): t0 -> first byte of the response (headers included).
//   - TTFT (ttft_ms): t0 -> first SSE event carrying non-empty content,
//     reasoning (delta.reasoning or delta.reasoning_content) or tool calls.
//     A role-only delta, an empty delta, an SSE comment or a keep-alive does
//     not count. vLLM "TTFT", GuideLLM "time_to_first_token", AIPerf "TTFT".
//   - TTFC (ttfc_ms): t0 -> first event with non-empty content (for reasoning
//     models, the first answer token after the reasoning).
//   - E2E (latency_ms): t0 -> last token-bearing event. vLLM "E2EL",
//     GuideLLM "request_latency", AIPerf "Request Latency".
//   - Close (close_ms): t0 -> end of the stream (body EOF or [DONE]).
//   - ITL (itl_ms): the gaps between consecutive token-bearing events, one
//     value per gap; with the model's tokenizer, per token: an event that
//     completes k tokens gives k values of its gap / k (tokens.go). vLLM
//     "ITL".
//   - TPOT (tpot_ms) = (E2E - TTFT) / (output_tokens - 1), 0 when
//     output_tokens < 2. vLLM "TPOT", GuideLLM "time_per_output_token"
//     (excluding the first), AIPerf "Inter Token Latency".
//   - Tokens/s (tokens_per_sec) = output_tokens / (E2E in seconds).
//   - Queue (queue_ms): open loop only, actual send of the first attempt -
//     scheduled send.
//
// Token counts come from the server's usage object (prompt_tokens,
// completion_tokens, completion_tokens_details.reasoning_tokens); output
// tokens are completion_tokens. Without usage, the model's tokenizer counts
// the prompt and the output (tokens_counted; with usage it counts beside
// it, counted_prompt_tokens and counted_output_tokens); without a tokenizer
// either, the stream's token-bearing events are counted (reasoning-bearing
// ones as reasoning tokens) and the record is marked tokens_estimated; for
// a non-streamed answer the estimate is one token per 4 bytes of content
// and reasoning. Any other
// numeric field of usage (SambaNova's time_to_first_token, total_latency,
// completion_tokens_per_sec, acceptance_rate, ...) is kept in Record.Server
// under its own name. For a non-streamed request TTFT = TTFC = E2E = Close =
// the time to the full body.
//
// When a request is retried, every timing above is of the final attempt;
// the waits between attempts are in retry_wait_ms and never in latency.
//
// # Scheduling
//
// Without a rate, a platform runs closed loop: Concurrency workers (default
// config.DefaultConcurrency) each send the next cell as soon as their
// previous one finished. The platform's warmup cells (at the head of the
// job) run first and all finish before the measured cells start; a load
// level's warmups (load.warmup, Cell.LevelWarmup) are sent at the level's
// load with its measured cells, without that pause. With rate > 0 the platform
// runs open loop: cells are sent on a seeded schedule (a Pacer, vegeta's
// contract) whose gaps are constant, exponential (poisson, the default) or
// gamma with shape burstiness; concurrency then caps requests in flight
// (0: no cap) and any wait for the cap shows as queue_ms. max_duration,
// max_errors and max_error_rate (judged after
// config.MinRequestsForErrorRate requests) stop scheduling and let the
// requests in flight finish; canceling the context stops scheduling and
// cancels the requests in flight, which are emitted as "canceled". Every
// attempted cell is emitted exactly once.
//
// # Retries and authentication
//
// Connection errors (timeout_connect, transport) and HTTP 429 and 5xx
// answers, all of which happen before the first byte of a body, are retried
// up to platform.retries times. The wait is Retry-After-Ms or Retry-After
// (seconds or an HTTP date) when the server sends one, else a seeded "full
// jitter" exponential backoff (see DefaultBackoffBase); either is capped by
// max_retry_wait (config.DefaultMaxRetryWait) and by the platform
// timeout, and a capped Retry-After is noted in the report and in the
// error_detail of a request that fails in the end. Each attempt has its
// own total timeout. A 401 re-runs api_key_command once and retries at
// once (the refreshes and the requests retried are counted in a note:
// "the token was refreshed 4 times; 4 requests were retried"); a refusal of stream_options (an HTTP 400 whose body names it, or
// an error event naming it before any token of an HTTP 200 stream) makes
// the platform resend the request without stream_options and stop sending
// them for the rest of its run (noted in the manifest, saying which way
// the refusal came).
// api_key_command runs in its own process group, bounded by
// api_key_command_timeout and by Ctrl-C (the job's Stop), which kill the
// group. Tokens never appear in errors, details or logs: every token the
// platform used and every header value is redacted from each record
// (content, reasoning, error_detail, vendor usage names) before it is
// emitted, so a server that echoes them back leaks nothing.
//
// # Error classes
//
// A failed request is a record with Error set to one of pipeline's classes:
// http_<status> (after retries), timeout_connect, timeout_first_token,
// timeout_idle (no SSE line for the idle timeout after the first one),
// timeout_total (one attempt took longer than the platform timeout),
// stream_truncated (the stream ended without finish_reason and without
// [DONE]), sse_error_event (an error object in a stream or in a 200 body:
// the OpenAI API's {"error": {...}} or vLLM's flat {"object": "error",
// "message", ...}; or "event: error"), bad_json (an event or body that is not the expected
// JSON), unexpected_content_type (a 200 answer that is not an event stream
// for a streamed request, or not JSON for a non-streamed one, such as a
// login page; error_detail quotes its first bytes), empty_content_length (finish_reason "length" with empty content;
// content, reasoning and usage are kept), transport (any other connection
// failure) and canceled (the run's context was canceled while in flight).
//
// # Imports
//
// query imports pipeline, its core packages (pipeline/config,
// pipeline/results, pipeline/runfolder), stages/query/emulator (a platform with an
// emulate: profile is served by an in-process emulator, over real HTTP),
// stages/tokenize (token counts where usage is missing, and per-token ITL)
// and helper packages; it must not import another stage.
package query
