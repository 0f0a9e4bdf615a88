package results

import (
	"strconv"
	"time"

	"github.com/inferbench/inferbench/pipeline/config"
)

// CellKey identifies one matrix cell: the unit that resume counts.
type CellKey struct {
	Platform    string  `json:"platform"`
	Model       string  `json:"model"`
	Temperature float64 `json:"temperature"`
	// Load is the load level's label (Level.Label); "" when the
	// platform has one level.
	Level    string `json:"load,omitempty"`
	Repeat   int    `json:"repeat"`
	SampleID string `json:"sample_id"`
	Warmup   bool   `json:"warmup,omitempty"`
}

// Group returns the key of the aggregation group the cell belongs to.
func (k CellKey) Group() GroupKey {
	return GroupKey{Platform: k.Platform, Model: k.Model, Temperature: k.Temperature, Level: k.Level}
}

// String renders the key for logs and error messages.
func (k CellKey) String() string {
	s := k.Platform + "/" + k.Model + "/t=" + strconv.FormatFloat(k.Temperature, 'g', -1, 64)
	if k.Level != "" {
		s += "/" + k.Level
	}
	s += "/r=" + strconv.Itoa(k.Repeat) + "/" + k.SampleID
	if k.Warmup {
		s += "/warmup"
	}
	return s
}

// Cell is one request to make: its key, its sample and its rendered messages.
type Cell struct {
	CellKey
	// Seq is the cell's position in its platform's schedule (0-based).
	Seq int
	// LevelWarmup marks a warmup of a load level (load.warmup): sent at
	// its level's load without a pause before the measured cells, unlike
	// the platform's warmups, which all finish first.
	LevelWarmup bool
	Sample      *config.Sample
	Messages    []config.Message
}

// Record is everything learned about one cell. Query fills the request part,
// score the answer part. Times are milliseconds measured on the monotonic
// clock from the moment the request was sent (after any client queueing).
// A failed request is a Record with Error set, never a dropped one.
type Record struct {
	CellKey
	Seq int `json:"seq"`
	// RequestHash identifies what defined the request (see RequestHash);
	// resume refuses to keep a record whose hash differs from the
	// experiment's. Empty in journals written before it existed.
	RequestHash string `json:"request_hash,omitempty"`

	// StartedAt is the wall-clock send time (for humans; never used in arithmetic).
	StartedAt time.Time `json:"started_at"`
	// QueueMs is the open-loop lag between scheduled and actual send.
	QueueMs float64 `json:"queue_ms"`
	// TTFBMs: request sent -> first response byte.
	TTFBMs float64 `json:"ttfb_ms"`
	// TTFTMs: request sent -> first event carrying content, reasoning or tool calls.
	TTFTMs float64 `json:"ttft_ms"`
	// TTFCMs: request sent -> first non-empty content.
	TTFCMs float64 `json:"ttfc_ms"`
	// LatencyMs: request sent -> last token-bearing event (E2E).
	LatencyMs float64 `json:"latency_ms"`
	// CloseMs: request sent -> stream closed.
	CloseMs float64 `json:"close_ms"`
	// TPOTMs = (E2E - TTFT) / (output_tokens - 1); 0 when output_tokens < 2.
	TPOTMs float64 `json:"tpot_ms"`
	// ITLMs are the gaps between consecutive token-bearing events, or per
	// token when the model's tokenizer counted them (a gap spread over the
	// tokens its event completes).
	ITLMs []float64 `json:"itl_ms,omitempty"`
	// TokensPerSec is output_tokens / E2E seconds.
	TokensPerSec float64 `json:"tokens_per_sec"`
	Attempts     int     `json:"attempts"`
	// RetryWaitMs is the total time spent waiting between attempts (never in latency).
	RetryWaitMs float64 `json:"retry_wait_ms,omitempty"`
	// HTTP429 is how many of the Attempts were answered HTTP 429, retried
	// ones included (HTTPStatus keeps only the last answer).
	HTTP429 int `json:"http_429,omitempty"`

	PromptTokens    int `json:"prompt_tokens"`
	OutputTokens    int `json:"output_tokens"`
	ReasoningTokens int `json:"reasoning_tokens"`
	// TokensEstimated marks a record without usage whose output tokens
	// were estimated, no tokenizer being known for its model: one per
	// token-bearing event streamed, (characters + 3) / 4 otherwise; its
	// prompt tokens are then 0 (unknown).
	TokensEstimated bool `json:"tokens_estimated,omitempty"`
	// TokensCounted marks a record without usage whose prompt, output and
	// reasoning tokens were counted with its model's tokenizer (see
	// docs/metrics.md for what is counted).
	TokensCounted bool `json:"tokens_counted,omitempty"`
	// CountedPromptTokens and CountedOutputTokens are the tokenizer's
	// counts of a record that has usage as well, beside the server's
	// PromptTokens and OutputTokens (0 otherwise): the group's usage
	// difference compares them.
	CountedPromptTokens int `json:"counted_prompt_tokens,omitempty"`
	CountedOutputTokens int `json:"counted_output_tokens,omitempty"`
	// Server holds vendor timing fields found in usage, by their own names
	// (e.g. time_to_first_token); exported as server_* columns.
	Server map[string]float64 `json:"server,omitempty"`

	HTTPStatus   int    `json:"http_status,omitempty"`
	FinishReason string `json:"finish_reason"`
	Content      string `json:"content"`
	Reasoning    string `json:"reasoning"`

	// Error is the error class (the Err... constants, HTTPError(status)
	// for an HTTP status); empty on success.
	Error string `json:"error"`
	// ErrorDetail is the human message for a failed request.
	ErrorDetail string `json:"error_detail,omitempty"`

	Answer string  `json:"answer"`
	EM     float64 `json:"em"`
	F1     float64 `json:"f1"`
	RawEM  float64 `json:"raw_em"`
	RawF1  float64 `json:"raw_f1"`
	// Truncated marks empty content with finish_reason "length": the
	// reasoning used the whole max_tokens budget.
	Truncated bool `json:"truncated,omitempty"`
	Scored    bool `json:"scored"`
	// Impossible marks a SQuAD v2 question with no answer (copied by the
	// scorer from Sample.IsImpossible); aggregate splits accuracy into
	// HasAns and NoAns when any record of a group has it.
	Impossible bool `json:"impossible,omitempty"`
	// NoGold marks a record whose sample has no gold answer (a synthetic
	// prompt): it is not scored, and aggregate leaves it out of EM and F1
	// instead of counting it wrong (GroupStats.NoGold counts them).
	NoGold bool `json:"no_gold,omitempty"`
}

// OK reports whether the request succeeded.
func (r *Record) OK() bool { return r.Error == "" }

// Error classes for Record.Error.
const (
	ErrTimeoutConnect     = "timeout_connect"
	ErrTimeoutFirstToken  = "timeout_first_token"
	ErrTimeoutIdle        = "timeout_idle"
	ErrTimeoutTotal       = "timeout_total"
	ErrStreamTruncated    = "stream_truncated"
	ErrSSEErrorEvent      = "sse_error_event"
	ErrBadJSON            = "bad_json"
	ErrEmptyContentLength = "empty_content_length"
	ErrTransport          = "transport"
	ErrCanceled           = "canceled"
	ErrSetup              = "setup"
	// ErrClientResource is a failure of this machine, not of the
	// platform: the client ran out of file descriptors (EMFILE, ENFILE),
	// local addresses or ephemeral ports (EADDRNOTAVAIL), socket buffers
	// (ENOBUFS) or memory (ENOMEM). Such records are retried like a
	// transport error, but aggregate leaves them out of every figure of
	// the platform (GroupStats.ClientErrors counts them) and the run
	// exits 5 (see ClientResourceAdvice).
	ErrClientResource = "client_resource"
	// ErrUnexpectedContentType is a 200 answer in another format than the
	// one asked for: not an event stream for a streamed request, not JSON
	// for a non-streamed one (an HTML login page, a proxy's text error).
	ErrUnexpectedContentType = "unexpected_content_type"
	// HTTP errors are "http_<status>", see HTTPError.
)

// HTTPError returns the error class of an HTTP status, e.g. "http_429".
func HTTPError(status int) string { return "http_" + strconv.Itoa(status) }
