package export

import "github.com/inferbench/inferbench/pipeline/results"

// MetricDefinition states one reported figure: its formula as inferbench
// computes it, and the closest name in three peer tools so that numbers can
// be compared across tools. An empty peer name means the tool has no
// equivalent figure.
type MetricDefinition struct {
	// Key is the metric's short name as used in column names and results.json.
	Key string `json:"key"`
	// Name is the human name shown in reports.
	Name string `json:"name"`
	// Formula is the exact definition.
	Formula string `json:"formula"`
	// VLLM, GuideLLM and AIPerf name the peer tools' closest figure.
	VLLM     string `json:"vllm,omitempty"`
	GuideLLM string `json:"guidellm,omitempty"`
	AIPerf   string `json:"aiperf,omitempty"`
}

// MetricDefinitions lists every figure inferbench reports, in report order.
// Every time is measured on the monotonic clock from the moment the request
// was written to the connection (after any client queueing and retry waits).
// The slice is shared: callers must not modify it.
var MetricDefinitions = []MetricDefinition{
	{Key: "ttfb", Name: "TTFB (time to first byte)",
		Formula: "request sent -> first byte of the HTTP response body (headers included), per request, ms",
		VLLM:    "", GuideLLM: "", AIPerf: ""},
	{Key: "ttft", Name: "TTFT (time to first token)",
		Formula: "request sent -> first SSE event carrying non-empty content, reasoning or tool calls; role-only or empty deltas, SSE comments and keep-alives do not count; ms. In a non-streaming run (params.stream false) the whole answer arrives at once, so TTFT equals E2E latency",
		VLLM:    "ttft", GuideLLM: "time_to_first_token_ms", AIPerf: "time_to_first_token"},
	{Key: "ttfc", Name: "TTFC (time to first content)",
		Formula: "request sent -> first event carrying non-empty content (answer text, not reasoning); equals TTFT for non-reasoning models; ms",
		VLLM:    "", GuideLLM: "", AIPerf: ""},
	{Key: "latency", Name: "E2E latency",
		Formula: "request sent -> last token-bearing event, ms (non-streaming: -> full response read)",
		VLLM:    "e2el", GuideLLM: "request_latency", AIPerf: "request_latency"},
	{Key: "close", Name: "Stream close",
		Formula: "request sent -> stream closed ([DONE] and end of body), ms; reported separately, never part of E2E latency",
		VLLM:    "", GuideLLM: "", AIPerf: ""},
	{Key: "tpot", Name: "TPOT (time per output token)",
		Formula: "(E2E latency - TTFT) / (output_tokens - 1), ms, per request (0 in requests.csv when fewer than 2 output tokens); its statistics leave out one-token requests, and a non-streaming run has none (the answer arrives at once; every table shows -)",
		VLLM:    "tpot", GuideLLM: "inter_token_latency_ms", AIPerf: "inter_token_latency"},
	{Key: "itl", Name: "ITL (inter-token latency)",
		Formula: "distribution of the gaps between tokens, ms. With a tokenizer for the model (platforms[].tokenizer, or inferred from its name) each streamed event's tokens are counted (the tokens whose last byte arrived with it, out of the whole answer tokenized once) and the gap since the previous token-completing event is spread evenly over them: an event of k tokens after a gap g gives k values of g/k, the first event's tokens give none (they arrive at TTFT), an event that completes no token passes its gap on (as SGLang's bench_serving does; vLLM's bench serve keeps one value per chunk). Without a tokenizer, one value per gap between consecutive token-bearing events (an event may then carry several tokens); a group with more than 100,000 gaps is described by a uniform sample of exactly 100,000 of them, picked by a fixed hash of (cell, gap index) so that every order of the records and every process (a merge too) picks the same ones: a sampled percentile's rank is then off by at most ±0.31 percentage points at p50 and ±0.062 at p99 (95%, 1.96·sqrt(p(1-p)/100,000)), and the group warns",
		VLLM:    "itl", GuideLLM: "", AIPerf: "inter_chunk_latency"},
	{Key: "tokens_per_sec", Name: "Output tokens/s (per request)",
		Formula: "output_tokens / (E2E latency in s), per request; output_tokens from the server's usage (completion_tokens) or, without usage, counted with the model's tokenizer (marked tokens_counted) or, without a tokenizer, the count of token-bearing events (marked tokens_estimated)",
		VLLM:    "", GuideLLM: "output_tokens_per_second (per request)", AIPerf: "output_token_throughput_per_user"},
	{Key: "stddev_cv", Name: "Consistency (standard deviation, CV)",
		Formula: "sample standard deviation (n-1 denominator) of a group's per-request latency or TTFT over its successful requests, ms; CV (coefficient of variation) = stddev / mean; - with fewer than 2 values; named latency_stddev, latency_cv, ttft_stddev, ttft_cv in metrics and checks",
		VLLM:    "std_ttft_ms, std_e2el_ms", GuideLLM: "std_dev", AIPerf: "std"},
	{Key: "tokens_per_request", Name: "Output tokens per request",
		Formula: "output tokens of a group's successful requests / its successful requests; beside it the reasoning tokens per successful request (usage.completion_tokens_details.reasoning_tokens, part of the output tokens), e.g. 123.0 (100.0 reasoning); output_tokens_per_request in metrics and checks",
		VLLM:    "", GuideLLM: "output_tokens (per request)", AIPerf: "output_sequence_length"},
	{Key: "token_totals", Name: "Token totals (prompt_tokens, output_tokens, output_tokens_counted, output_tokens_estimated)",
		Formula: "sums over a group's non-warmup requests: prompt_tokens of the input tokens servers reported in usage or, without usage, counted with the model's tokenizer (null in results.json and - in tables when neither: a prompt always has tokens, so 0 means unknown; total token throughput is then - too); output_tokens from usage or, without usage, counted with the tokenizer (content and reasoning text; output_tokens_counted requests, flagged tokens_counted) or, without a tokenizer, estimated (one per token-bearing event streamed, (characters + 3) / 4 otherwise; output_tokens_estimated requests, flagged tokens_estimated). A counted prompt is the text of the chat messages' contents, summed; the chat template's tokens (role markers, headers, a default system prompt) are not counted, so it is below the server's count. The console and the report say 'k of n counted' and 'k of n estimated' beside the total",
		VLLM:    "total_input_tokens, total_output_tokens", GuideLLM: "", AIPerf: ""},
	{Key: "usage_token_diff", Name: "Usage against the tokenizer (usage_prompt_token_diff_pct, usage_output_token_diff_pct)",
		Formula: "when the server sends usage and a tokenizer is known, the request's tokens are counted locally too (counted_prompt_tokens, counted_output_tokens in requests.csv); per group, over its successful requests with both: 100 x (sum of the server's tokens - sum of the local count) / sum of the local count, signed (positive: the server counts more). Output near 0 means the tokenizer is the model's; the prompt figure includes the chat template's tokens, which the local count leaves out. Empty (absent from results.json) when no request has both",
		VLLM:    "", GuideLLM: "", AIPerf: "usage_prompt_tokens_diff_pct, usage_completion_tokens_diff_pct (per request, absolute)"},
	{Key: "sending_time", Name: "Sending time (benchmark duration, wall_seconds)",
		Formula: "measured from explicit marks, never inferred from gaps between requests: every process that sends (run, each --resume, each shard) records in the manifest (send_spans) when it starts and stops sending each platform's load level; a mark whose stop was never written (kill -9) ends at the last response of the group's records sent after its start and before the next start of the same shard. A group's sending time is, over the union of its platform and level's marks, from its first send (retry waits included) to its last stream close within each interval of the union, summed; downtime between a crash and --resume is outside every mark. Run folders without marks fall back to sessions split at idle gaps longer than max(5 s, 20 x the median gap); records sent before the first mark (a folder from before marks, resumed since) count from their first send to their last end",
		VLLM:    "duration", GuideLLM: "duration", AIPerf: "benchmark_duration"},
	{Key: "throughput", Name: "Aggregate throughput",
		Formula: "sum of output tokens of a group's successful requests / the group's sending time, tokens/s. The progress line's aggregate tok/s and completed req/s are this figure and the request throughput of a platform's current load level so far (over all its models and temperatures, from the level's first send to now, or to its last response once it ended); its sent x/y req/s is the send rate against an open-loop level's target",
		VLLM:    "output_throughput", GuideLLM: "output_tokens_per_second", AIPerf: "output_token_throughput"},
	{Key: "request_throughput", Name: "Request throughput",
		Formula: "successful non-warmup requests / the group's sending time, requests/s; 0 when no request succeeded. It is the only figure called request throughput, in results.json groups and sweep points, summary.csv, the workbook, the console and the report",
		VLLM:    "request_throughput", GuideLLM: "requests_per_second (successful)", AIPerf: "request_throughput"},
	{Key: "send_rate", Name: "Send rate",
		Formula: "requests sent (non-warmup, failed ones included; a request never sent is not counted) / the group's sending time, requests/s; the figure held against an open-loop level's configured rate (shown as sent / target). Never called throughput: a platform refusing every connection fast has a high send rate and a request throughput of 0. In a closed loop (no target rate) the send rate means nothing of its own: each worker sends when its previous request ends, so it only mirrors the latency",
		VLLM:    "", GuideLLM: "", AIPerf: ""},
	{Key: "queue", Name: "Client queue time",
		Formula: "open-loop schedules only: actual send time - scheduled send time, ms; reported, never included in TTFT or latency",
		VLLM:    "", GuideLLM: "", AIPerf: ""},
	{Key: "goodput", Name: "Goodput",
		Formula: "share of non-warmup requests that succeeded and met every SLO (slo.ttft, slo.e2e, slo.tpot); failed requests count against it; goodput_rate is the same count per second of the group's sending time",
		VLLM:    "goodput (requests/s)", GuideLLM: "", AIPerf: "goodput"},
	{Key: "error_rate", Name: "Error rate",
		Formula: "failed non-warmup requests / non-warmup requests (a truncated empty answer counts as failed)",
		VLLM:    "", GuideLLM: "", AIPerf: "error_request_count / request_count"},
	{Key: "client_errors", Name: "Client resource failures",
		Formula: "non-warmup requests whose last attempt failed on this machine's resources (error class client_resource: EMFILE, ENFILE, EADDRNOTAVAIL, ENOBUFS, ENOMEM found in the error's chain); retried like transport errors, then left out of every other figure of the group (count, error rate, success rate, EM/F1, goodput, throughput); the run exits 5",
		VLLM:    "", GuideLLM: "", AIPerf: ""},
	{Key: "client_sched_latency", Name: "Client scheduler latency p99",
		Formula: "99th percentile of the Go runtime's /sched/latencies:seconds (time runnable goroutines waited for a thread) over the level's window: the difference of the histogram at the level's end and start, reported as the lower edge of the bucket holding the 99th percentile, ms; process-wide",
		VLLM:    "", GuideLLM: "", AIPerf: ""},
	{Key: "client_cpu", Name: "Client CPU use",
		Formula: "process CPU time (user + system, getrusage) over the level's window / window / cores, %; cores = GOMAXPROCS, or the cgroup v2 cpu.max quota when lower; process-wide (emulated platforms included)",
		VLLM:    "", GuideLLM: "", AIPerf: ""},
	{Key: "client_send_lag", Name: "Client send lag p50 / p99",
		Formula: "open-loop levels only: per request, actual start - the moment it could first go (its scheduled time, or when the concurrency cap released it, if later), ms; p50 and p99 by the percentile method; unlike the queue time it leaves out waits for the concurrency cap",
		VLLM:    "", GuideLLM: "", AIPerf: ""},
	{Key: "client_bound", Name: "Client-bound level",
		Formula: "a level whose client figures exceed a client: threshold (defaults: scheduler latency p99 > 5 ms, CPU > 90% of the cores, send lag p99 > 10 ms): its latencies are upper bounds (marked ≤); verdicts, best levels and crossovers that rest on it say so; metrics and checks see it as client_bound, beside client_sched_latency_p99, client_cpu and client_send_lag_p50/p99",
		VLLM:    "", GuideLLM: "", AIPerf: ""},
	{Key: "server_metrics", Name: "Server metrics (running, waiting, KV cache, preemptions, prefix cache)",
		Formula: "the server's own view, read from its Prometheus endpoint (metrics_url; by default the emulator's /metrics and a local vLLM's <scheme>://<host>/metrics) when a level starts, every metrics_interval (default 1 s) while it sends and once when it ends, with the Prometheus text parser (expfmt); every scrape is a line of server_metrics.jsonl. Per platform and level: running_mean/max of vllm:num_requests_running (requests in the batch), waiting_mean/max of vllm:num_requests_waiting (requests queued), kv_cache_usage_mean/max of vllm:kv_cache_usage_perc (vllm:gpu_cache_usage_perc before vLLM 0.10; a share 0..1), means over the scrapes (evenly spaced, so time averages); preemptions = growth of vllm:num_preemptions_total from the level's first scrape to its last (a counter that falls, a restart, counts from 0); prefix_cache_hit_rate = growth of vllm:prefix_cache_hits_total / growth of vllm:prefix_cache_queries_total (tokens; gpu_prefix_cache_* before 0.10). Series of several engines are summed (the KV share averaged). SGLang (sglang:num_running_reqs, num_queue_reqs, token_usage) and TGI (tgi_batch_current_size, tgi_queue_size) fill the same figures. A figure the server does not expose is null (-); a failing endpoint never fails the run and is noted once",
		VLLM:    "", GuideLLM: "", AIPerf: "server metrics (telemetry)"},
	{Key: "em", Name: "EM (exact match)",
		Formula: "per request 1 if the normalized extracted answer equals any normalized gold answer (official SQuAD normalization: lower case, strip punctuation, articles and extra whitespace) else 0; group value is the mean x 100, failed requests scoring 0",
		VLLM:    "", GuideLLM: "", AIPerf: ""},
	{Key: "f1", Name: "F1",
		Formula: "per request the max over gold answers of the token-overlap F1 (2PR/(P+R)) of normalized tokens, as the official SQuAD script; group value is the mean x 100, failed requests scoring 0",
		VLLM:    "", GuideLLM: "", AIPerf: ""},
	{Key: "raw_em_f1", Name: "Raw EM / F1",
		Formula: "EM and F1 of the raw content without answer extraction, to show the effect of extraction",
		VLLM:    "", GuideLLM: "", AIPerf: ""},
	{Key: "agreement", Name: "Answer agreement",
		Formula: "share of questions whose extracted answers are the same in every repeat after the official SQuAD normalization; a failed or truncated request never agrees; shown as - (n/a) when the group has fewer than 2 repeats (results.json and the Summary sheet keep the value 1)",
		VLLM:    "", GuideLLM: "", AIPerf: ""},
	{Key: "has_ans_no_ans", Name: "HasAns / NoAns (SQuAD v2)",
		Formula: "EM and F1 (percent, failed requests scoring 0) and count over answerable (HasAns) and unanswerable (NoAns, is_impossible) questions apart, as the official v2.0 script's HasAns_* and NoAns_*; only for groups with an unanswerable question",
		VLLM:    "", GuideLLM: "", AIPerf: ""},
	{Key: "no_gold", Name: "Unscored requests (no gold answer)",
		Formula: "non-warmup requests whose sample has no gold answer (source synthetic): not scored and left out of EM and F1 instead of scoring 0 (records and groups carry no_gold); a group of only such requests has no EM, F1 or agreement (n 0, null in results.json), and the report and the console say so in one line",
		VLLM:    "", GuideLLM: "", AIPerf: ""},
	{Key: "synthetic_lengths", Name: "Input and output length (source synthetic)",
		Formula: "a synthetic prompt is real text (the built-in corpus, or the contexts of dataset.path's SQuAD file) cut from a seeded offset to exactly input_tokens tokens of synthetic.tokenizer (o200k_base by default), counted after decoding (a cut is adjusted until the decoded text has that count); the count covers the generated text ({{.Context}}), not the prompt template's words nor the server's chat template; with input_stddev the lengths are drawn from a normal law, with input_min/input_max from a uniform one, seeded by the experiment's seed; prefix_tokens start every prompt with the same text. Each request asks for output_tokens as max_tokens, and with platforms[].exact_output_tokens also as min_tokens with ignore_eos; every length is a sample group, run as its own level (label in=N)",
		VLLM:    "random-input-len, random-output-len, random-range-ratio, random-prefix-len", GuideLLM: "prompt_tokens, output_tokens (synthetic data)", AIPerf: "synthetic-input-tokens-mean, -stddev, output-tokens-mean"},
	{Key: "speedup", Name: "Speedup",
		Formula: "baseline median latency / group median latency (> 1 = faster than the baseline), with a seeded bootstrap CI; also the ratio of means; 'faster' is claimed only when the CI excludes 1; also the ratio of means (baseline mean latency / group mean latency), stated as 'X is 1.59x faster than Y by mean latency' with its own bootstrap CI (the two groups resampled independently; above 10,000 values the delta-method normal interval); p-value from a two-sided Mann-Whitney U test on latency: from the exact distribution of U when the two groups have at most 20 successful requests together and no tied latencies, otherwise the normal approximation with tie and continuity corrections (scipy.stats.mannwhitneyu(method='asymptotic')); none (null in results.json, - elsewhere) when either group has no successful request",
		VLLM:    "", GuideLLM: "", AIPerf: ""},
	{Key: "accuracy_delta", Name: "Accuracy difference (ΔF1, ΔEM)",
		Formula: "paired over the questions (sample ids) both the group and the baseline asked (n_paired): per question the mean F1 (EM) over its repeats in each group, then the mean over questions of group - baseline, in points; CI: seeded bootstrap of that mean, resampling questions; p-value: two-sided paired sign-flip permutation test on the per-question differences (exact up to 16 nonzero differences, else stats.bootstrap random sign patterns, p = (1 + as extreme) / (1 + resamples)); 'more' or 'less accurate' is claimed only when the CI excludes 0 and p < 1 - stats.confidence, and the verdict states it beside the speedup ('faster but significantly less accurate: ...'); when the CI and the test disagree the verdict calls nothing and says why ('accuracy not called, too few questions to call: 5': the percentile bootstrap is too narrow on few questions, while with n paired questions the exact test cannot go below p = 2/2^n)",
		VLLM:    "", GuideLLM: "", AIPerf: ""},
	{Key: "load_level", Name: "Load level (sweep point)",
		Formula: "one of a platform's load levels (load: or a list under concurrency / rate), run one after the other, each its own group; request throughput = successful requests / the level's sending time (wall_seconds), send rate = requests sent / the same; TTFT, TPOT and E2E at p50 and p99 over its successful requests; saturated when the level was stopped early because more than load.max_error_rate of at least 10 requests failed, or because the median client queue time of its last 8 requests exceeded load.max_queue and was rising; a closed-loop level is also marked saturated after the fact, past the knee of the curve, when its request throughput grew by less than load.knee_throughput_gain (default 0.10 = 10%) over the previous closed-loop level while its median E2E grew by more than load.knee_latency_growth (default 0.50 = 50%); each open-loop level draws its own arrival sequence, seeded from the run seed and the level's label",
		VLLM:    "", GuideLLM: "benchmark of a sweep / concurrent profile", AIPerf: ""},
	{Key: "shard_overlap", Name: "Shard overlap (merged runs)",
		Formula: "for a level sent by two or more shards: the time every shard was sending at once (intersection of the shards' sending marks, each shard's marks joined first) / the time any was (their union), 0..1; under 0.8 the shards did not make the configured load together, and the console, the report and the group's warnings say so on that level",
		VLLM:    "", GuideLLM: "", AIPerf: ""},
	{Key: "crossover", Name: "Crossover",
		Formula: "per platform against the baseline, over the load levels both ran with a successful request, in the platform's level order: which one has the lower median E2E at each level; 'X is faster from L up' when the order changes once, at L; 'no crossover' when one is faster at every level both ran with data; every statement names the levels compared and those left out (run by one platform only, or without a successful request in one)",
		VLLM:    "", GuideLLM: "", AIPerf: ""},
	{Key: "best_level", Name: "Best level under the SLO",
		Formula: "the load level with the highest request throughput whose p99 TTFT, TPOT and E2E meet every SLO set and whose error rate is at most slo.max_error_rate (default 0.01 = 1%); saturated levels (including those past the knee) never count; none without a latency SLO",
		VLLM:    "", GuideLLM: "", AIPerf: ""},
	{Key: "ci", Name: "Confidence interval",
		Formula: "percentile bootstrap of the mean (stats.bootstrap resamples, stats.confidence level, seeded by the experiment seed); above 10,000 values the normal interval mean ± z·s/√n, which the bootstrap equals at that size. EM and F1 (and raw EM/F1) use a cluster bootstrap: each resample draws questions (sample ids) with replacement and takes every repeat of each question drawn, since repeats of one question are not independent (resampling requests would make the interval about 1/√repeats too narrow); above 10,000 questions, or above 10,000 values over at least 1,000 questions, the normal interval with the cluster-robust standard error",
		VLLM:    "", GuideLLM: "", AIPerf: ""},
	{Key: "percentile", Name: "Percentile method",
		Formula: results.PercentileMethod + "; p99 needs hundreds of samples to mean much, groups that are too small get a warning",
		VLLM:    "numpy.percentile (linear)", GuideLLM: "", AIPerf: ""},
}

// DefinitionMap returns MetricDefinitions as key -> formula, the form
// results.json carries. The map is freshly allocated.
func DefinitionMap() map[string]string {
	m := make(map[string]string, len(MetricDefinitions))
	for _, d := range MetricDefinitions {
		m[d.Key] = d.Formula
	}
	return m
}
