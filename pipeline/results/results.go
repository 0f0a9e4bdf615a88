package results

import (
	"encoding/json"
	"time"
)

// GroupKey identifies an aggregation group: platform x model x
// temperature x load level.
type GroupKey struct {
	Platform    string  `json:"platform"`
	Model       string  `json:"model"`
	Temperature float64 `json:"temperature"`
	// Load is the load level's label, "" when the platform has one level.
	Level string `json:"load,omitempty"`
}

// Dist summarises one metric over a group's successful, non-warmup records.
// Percentiles use one documented method (see PercentileMethod). CILow and
// CIHigh bound the mean at StatsSpec.Confidence (seeded bootstrap); they are
// zero when N < 2. With N == 0 every figure is 0 in Go and null in JSON
// (see MarshalJSON).
type Dist struct {
	N      int     `json:"n"`
	Mean   float64 `json:"mean"`
	Stddev float64 `json:"stddev"`
	// CV is the coefficient of variation, Stddev / Mean (0 when Mean is 0).
	CV     float64 `json:"cv"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
	P50    float64 `json:"p50"`
	P90    float64 `json:"p90"`
	P95    float64 `json:"p95"`
	P99    float64 `json:"p99"`
	CILow  float64 `json:"ci_low"`
	CIHigh float64 `json:"ci_high"`
}

// PercentileMethod names the percentile definition used everywhere.
const PercentileMethod = "linear interpolation between closest ranks (Hyndman-Fan type 7, numpy's default)"

// MinShardOverlap is the share of a merged level's sending time during
// which all of its shards must have been sending at once for the level to
// stand for its configured load (see GroupStats.ShardOverlap).
const MinShardOverlap = 0.8

// GroupStats are the statistics of one group.
type GroupStats struct {
	GroupKey
	// Count is all non-warmup records; Successes + Failures = Count.
	Count     int `json:"count"`
	Successes int `json:"successes"`
	Failures  int `json:"failures"`
	Warmups   int `json:"warmups"`
	// Truncated counts empty answers cut by max_tokens (also in Failures).
	Truncated int            `json:"truncated"`
	ErrorRate float64        `json:"error_rate"`
	Errors    map[string]int `json:"errors,omitempty"`

	// ClientErrors counts the non-warmup records that failed on this
	// machine's resources (ErrClientResource): they are the client's, so
	// they are in no other figure of the group (not in Count, Failures,
	// ErrorRate, EM/F1, goodput or throughput).
	ClientErrors int `json:"client_errors,omitempty"`

	LatencyMs    Dist `json:"latency_ms"`
	TTFTMs       Dist `json:"ttft_ms"`
	TTFCMs       Dist `json:"ttfc_ms"`
	TPOTMs       Dist `json:"tpot_ms"`
	ITLMs        Dist `json:"itl_ms"`
	QueueMs      Dist `json:"queue_ms"`
	TokensPerSec Dist `json:"tokens_per_sec"`

	// Throughput is the sum of successful output tokens / WallSeconds.
	Throughput float64 `json:"throughput"`
	// WallSeconds is the group's sending time ("benchmark duration"), the
	// one every rate divides by: measured from the sending marks of its
	// platform and level (see SendSpan), the union of every process's
	// marks (a run, its resumes, the shards of a merge), and in each
	// interval of that union from the group's first send (minus any retry
	// wait) to its last stream close. The downtime between a crash and
	// --resume is outside every mark and never counted. A run folder
	// without marks (written before they existed) falls back to sessions
	// split at idle gaps longer than max(5 s, 20 x the median gap).
	WallSeconds float64 `json:"wall_seconds"`
	// RequestThroughput is the completed request rate, vLLM's
	// request_throughput: successful non-warmup requests / WallSeconds; 0
	// when none succeeded or nothing was sent. TargetRate is the configured
	// rate (0 for closed loop).
	RequestThroughput float64 `json:"request_throughput"`
	TargetRate        float64 `json:"target_rate,omitempty"`
	// SendRate is the rate requests were sent at: non-warmup records with
	// a send time (failed ones included) / WallSeconds. It is the figure
	// to hold against TargetRate, and never a throughput: a platform that
	// refuses every connection fast has a high send rate and a request
	// throughput of 0.
	SendRate float64 `json:"send_rate"`
	// ShardOverlap is set for a level sent by two or more shards (a merged
	// run): the time every shard was sending at once (the intersection of
	// the shards' marks) over the time any was (their union), 0..1. Under
	// MinShardOverlap the shards did not make the configured load
	// together, and the group warns. Nil otherwise.
	ShardOverlap *float64 `json:"shard_overlap,omitempty"`

	// PromptTokens sums the input tokens servers reported (usage); 0 when
	// none did, which results.json writes as null and tables as "-" (see
	// MarshalJSON). OutputTokensEstimated is how many of the non-warmup
	// records had no usage, so that their output tokens were counted from
	// the stream (Record.TokensEstimated).
	PromptTokens          int `json:"prompt_tokens"`
	OutputTokens          int `json:"output_tokens"`
	OutputTokensEstimated int `json:"output_tokens_estimated"`
	ReasoningTokens       int `json:"reasoning_tokens"`
	// OutputTokensCounted is how many of the non-warmup records had no
	// usage and had their tokens counted with the model's tokenizer
	// (Record.TokensCounted): exact for the text, unlike the estimate.
	OutputTokensCounted int `json:"output_tokens_counted"`
	// UsagePromptTokenDiffPct and UsageOutputTokenDiffPct compare the
	// server's usage with the tokenizer's count over the group's
	// successful records that have both (Record.CountedPromptTokens,
	// CountedOutputTokens): 100 * (server sum - counted sum) / counted
	// sum. The prompt figure includes the chat template's tokens, which
	// the local count leaves out, so it is positive by the template's
	// size; the output figure is near 0 when the tokenizer is the
	// model's. Nil (absent from results.json, "-" in tables) when no
	// record has both.
	UsagePromptTokenDiffPct *float64 `json:"usage_prompt_token_diff_pct,omitempty"`
	UsageOutputTokenDiffPct *float64 `json:"usage_output_token_diff_pct,omitempty"`
	// OutputTokensMean and ReasoningTokensMean are the mean output and
	// reasoning tokens per successful request (0 without one).
	OutputTokensMean    float64 `json:"output_tokens_mean"`
	ReasoningTokensMean float64 `json:"reasoning_tokens_mean"`

	// EM and F1 are percentages (0..100) over every scored non-warmup record,
	// failed and truncated ones counting as 0; RawEM/RawF1 score raw content.
	EM    Dist `json:"em"`
	F1    Dist `json:"f1"`
	RawEM Dist `json:"raw_em"`
	RawF1 Dist `json:"raw_f1"`
	// NoGold counts the non-warmup records whose sample has no gold
	// answer (Record.NoGold: synthetic prompts). A group of only such
	// records has no EM, F1 or agreement (N = 0, null in results.json).
	NoGold int `json:"no_gold,omitempty"`
	// RepeatEM/RepeatF1 are the per-repeat means (index = repeat).
	RepeatEM []float64 `json:"repeat_em,omitempty"`
	RepeatF1 []float64 `json:"repeat_f1,omitempty"`
	// Agreement is the share of questions whose extracted answer is the same
	// in every repeat, answers compared after the official SQuAD
	// normalization; a failed or truncated request has no answer and never
	// agrees (a group failing every request has agreement 0). It is 1 when
	// no question has two records (one repeat), which means nothing: exports
	// show "-" for it when len(RepeatEM) < 2 (summary.csv and the Summary
	// sheet keep the number).
	Agreement float64 `json:"agreement"`
	// HasAns and NoAns split EM and F1 into answerable and unanswerable
	// (SQuAD v2 Record.Impossible) questions, like the official v2.0
	// script's HasAns_* and NoAns_*; both nil when the group has no
	// unanswerable question.
	HasAns *AnswerBreakdown `json:"has_ans,omitempty"`
	NoAns  *AnswerBreakdown `json:"no_ans,omitempty"`

	// Goodput is the share of requests meeting every SLO (failures count
	// against it); GoodputRate the same per second of wall time.
	Goodput     float64 `json:"goodput"`
	GoodputRate float64 `json:"goodput_rate"`

	// Metrics are the experiment's derived columns, in declaration order.
	Metrics []NamedValue `json:"metrics,omitempty"`
	// Warnings about this group (e.g. too few samples for p99).
	Warnings []string `json:"warnings,omitempty"`

	// Client is what the client measured of itself while the group's
	// level ran (nil when the run did not measure it, e.g. one made before
	// inferbench did). ClientBound marks a level whose client delay could
	// distort its timings (a ClientSpec threshold exceeded, named by
	// ClientBoundReason): its latencies are upper bounds.
	Client            *ClientHealth `json:"client,omitempty"`
	ClientBound       bool          `json:"client_bound,omitempty"`
	ClientBoundReason string        `json:"client_bound_reason,omitempty"`

	// ServerMetrics is the server's own view of the group's platform and
	// level, from its metrics endpoint (see ApplyServerMetrics); nil when
	// none was scraped.
	ServerMetrics *ServerMetrics `json:"server_metrics,omitempty"`
}

// MarshalJSON writes g with prompt_tokens null when no server reported
// input tokens (PromptTokens 0): a prompt always has some, so 0 means
// unknown, not none. Reading it back gives 0.
func (g GroupStats) MarshalJSON() ([]byte, error) {
	type plain GroupStats
	out := struct {
		plain
		PromptTokens *int `json:"prompt_tokens"`
	}{plain: plain(g)}
	if g.PromptTokens != 0 {
		out.PromptTokens = &g.PromptTokens
	}
	return json.Marshal(out)
}

// AnswerBreakdown is the accuracy of one kind of question (answerable or
// not) in a group: Count non-warmup records, EM and F1 their means in
// percent (0..100), failed and truncated records scoring 0 as in
// GroupStats.EM.
type AnswerBreakdown struct {
	Count int     `json:"count"`
	EM    float64 `json:"em"`
	F1    float64 `json:"f1"`
}

// NamedValue is one derived metric value.
type NamedValue struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
}

// Comparison is one group against the baseline group with the same model
// position and temperature.
type Comparison struct {
	GroupKey
	Baseline GroupKey `json:"baseline"`
	// NoGold says that the two groups' requests have no gold answers
	// (synthetic prompts): there is no accuracy to compare.
	NoGold bool `json:"no_gold,omitempty"`
	// SpeedupMedian = baseline median latency / this median latency;
	// > 1 means this group is faster. 0 when either group has no
	// successful request (see HasSpeedup; null in JSON).
	SpeedupMedian float64 `json:"speedup_median"`
	SpeedupMean   float64 `json:"speedup_mean"`
	// SpeedupMeanCILow/High bound SpeedupMean, the ratio of mean latencies
	// (bootstrap, the two groups resampled independently; 0, 0 when either
	// group has fewer than 2 successful requests).
	SpeedupMeanCILow  float64 `json:"speedup_mean_ci_low"`
	SpeedupMeanCIHigh float64 `json:"speedup_mean_ci_high"`
	// CILow/CIHigh bound SpeedupMedian (bootstrap).
	CILow  float64 `json:"ci_low"`
	CIHigh float64 `json:"ci_high"`
	// PValue of a two-sided Mann-Whitney U test on latency.
	PValue float64 `json:"p_value"`
	// Significant is true when the CI excludes 1.
	Significant bool `json:"significant"`
	// Verdict is the one-line wording, e.g. "metis is 1.59x faster than sophia (95% CI 1.41-1.80, p<0.001)".
	Verdict string `json:"verdict"`
	// DeltaF1 and DeltaEM are paired accuracy differences in points, over
	// the NPaired questions (sample ids) both groups asked: the mean over
	// those questions of this group's mean over the question's repeats
	// minus the baseline's. With the same questions and repeats in both
	// groups they equal the difference of the groups' F1 (EM) means. Each
	// has a paired cluster bootstrap CI (questions resampled; 0, 0 with
	// fewer than 2 pairs), the two-sided p-value of a paired sign-flip
	// permutation test on the per-question differences (1 without pairs),
	// and Significant when the CI excludes 0 and p < 1 - confidence.
	DeltaF1            float64 `json:"delta_f1"`
	DeltaF1CILow       float64 `json:"delta_f1_ci_low"`
	DeltaF1CIHigh      float64 `json:"delta_f1_ci_high"`
	DeltaF1PValue      float64 `json:"delta_f1_p_value"`
	DeltaF1Significant bool    `json:"delta_f1_significant"`
	DeltaEM            float64 `json:"delta_em"`
	DeltaEMCILow       float64 `json:"delta_em_ci_low"`
	DeltaEMCIHigh      float64 `json:"delta_em_ci_high"`
	DeltaEMPValue      float64 `json:"delta_em_p_value"`
	DeltaEMSignificant bool    `json:"delta_em_significant"`
	// NPaired is the number of questions both groups asked (at least one
	// non-warmup record each); accuracy is compared on them only.
	NPaired int `json:"n_paired"`
}

// CheckResult is the outcome of one `checks:` expression.
type CheckResult struct {
	Expr   string `json:"expr"`
	Passed bool   `json:"passed"`
	// Error is set when the expression failed to evaluate (counts as failed).
	Error string `json:"error,omitempty"`
}

// Results is what aggregate produces and export writes.
type Results struct {
	Experiment string    `json:"experiment"`
	RunID      string    `json:"run_id"`
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at"`
	// StopReason is "completed", "interrupted", "max_duration" or a
	// platform's error-budget reason.
	StopReason string `json:"stop_reason"`
	// PlatformStops maps a platform to why it stopped early, if it did.
	PlatformStops map[string]string `json:"platform_stops,omitempty"`
	Baseline      string            `json:"baseline"`
	Groups        []GroupStats      `json:"groups"`
	Comparisons   []Comparison      `json:"comparisons"`
	Checks        []CheckResult     `json:"checks,omitempty"`
	// Sweep holds the load curves and crossovers when a platform runs
	// more than one load level (see SweepResults); nil otherwise.
	Sweep    *SweepResults `json:"sweep,omitempty"`
	Warnings []string      `json:"warnings,omitempty"`
	// PercentileMethod documents how percentiles were computed.
	PercentileMethod string `json:"percentile_method"`

	// ClientResource sums up the requests that failed on this machine's
	// resources (nil when none did); such a run exits 5.
	ClientResource *ClientResourceSummary `json:"client_resource,omitempty"`
}

// FailedPlatforms returns the platforms, in group order, none of whose
// non-warmup requests succeeded: every one failed, or none was sent (its
// groups have no successful record). It is empty when every platform has
// a success.
func (r *Results) FailedPlatforms() []string {
	ok := map[string]bool{}
	var order []string
	for _, g := range r.Groups {
		if _, seen := ok[g.Platform]; !seen {
			order = append(order, g.Platform)
		}
		ok[g.Platform] = ok[g.Platform] || g.Successes > 0
	}
	var out []string
	for _, p := range order {
		if !ok[p] {
			out = append(out, p)
		}
	}
	return out
}

// ChecksPassed reports whether every check passed (true when there are none).
func (r *Results) ChecksPassed() bool {
	for _, c := range r.Checks {
		if !c.Passed {
			return false
		}
	}
	return true
}
