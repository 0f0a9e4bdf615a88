package config

import (
	"encoding/json"
	"fmt"
	"time"
)

// Experiment is one experiment file after loading, defaulting and validation.
// It is the single source of truth for a run: the manifest embeds it (secrets
// redacted) and resume compares against it. Field names are the YAML keys.
type Experiment struct {
	// Name names the run folder; letters, digits, '-', '_' and '.'.
	Name        string `yaml:"name" json:"name" validate:"required,runname"`
	Description string `yaml:"description" json:"description,omitempty"`
	// Seed drives every random choice (sampling, arrivals, bootstrap,
	// emulator); the same seed and file give the same selection and schedule.
	Seed      int64       `yaml:"seed" json:"seed"`
	Dataset   DatasetSpec `yaml:"dataset" json:"dataset"`
	Prompt    PromptSpec  `yaml:"prompt" json:"prompt"`
	Platforms []Platform  `yaml:"platforms" json:"platforms" validate:"required,min=1,unique=Name,dive"`
	// Baseline names the platform that speedups are reported against;
	// empty means the first platform.
	Baseline string `yaml:"baseline" json:"baseline,omitempty"`
	Params   Params `yaml:"params" json:"params"`
	Repeats  int    `yaml:"repeats" json:"repeats" validate:"gte=1"`
	// MaxCells bounds the matrix (each platform's models x its load levels
	// x temperatures x repeats x questions, plus levels sized by
	// load.requests and warmups; see MatrixCells); left out it is DefaultMaxCells, and
	// an explicit value must be >= 1. Validation checks it against a
	// bound from the slice and sample (or one question when they set
	// none), BuildPlan against the loaded questions.
	MaxCells int          `yaml:"max_cells" json:"max_cells,omitempty"`
	Score    ScoreSpec    `yaml:"score" json:"score"`
	SLO      SLOSpec      `yaml:"slo" json:"slo"`
	Stats    StatsSpec    `yaml:"stats" json:"stats"`
	Metrics  []MetricSpec `yaml:"metrics" json:"metrics,omitempty" validate:"unique=Name,dive"`
	// Checks are expr assertions over the results; a failing check makes
	// `run` exit with code 3.
	Checks []string   `yaml:"checks" json:"checks,omitempty"`
	Export ExportSpec `yaml:"export" json:"export"`

	// Client holds the thresholds above which a load level is
	// client-bound (see ClientSpec).
	Client ClientSpec `yaml:"client" json:"client,omitempty"`

	// meta is what LoadExperiment learned besides the values (which keys
	// were present, the overrides applied); see config.go.
	meta loadMeta
}

// DatasetSpec selects the questions. Selection order: the loader applies
// Slice over the source's question order, then Filter, then Sample.
type DatasetSpec struct {
	// Source names a registered loader (Registry.Loaders).
	Source string `yaml:"source" json:"source" validate:"required"`
	// Path is a file path (relative to the experiment file) or an http(s) URL.
	Path string `yaml:"path" json:"path,omitempty"`
	// Version is the SQuAD version: v2.0 forces it; left out (or v1.1) the
	// loader detects it: v2.0 when the file's version says 2.x or a question
	// is unanswerable, else v1.1 (see Dataset.Version).
	Version string `yaml:"version" json:"version,omitempty" validate:"omitempty,oneof=v1.1 v2.0"`
	// Slice is a Python-style slice over question order, e.g. "[:10]".
	Slice string `yaml:"slice" json:"slice,omitempty"`
	// Sample > 0 draws a seeded random sample of that size after filtering.
	Sample int `yaml:"sample" json:"sample,omitempty" validate:"gte=0"`
	// Filter is an expr over id, title, context, question, answers.
	Filter string `yaml:"filter" json:"filter,omitempty"`
	// SHA256, when set, must equal the checksum of the downloaded or read file.
	SHA256 string `yaml:"sha256" json:"sha256,omitempty" validate:"omitempty,len=64,hexadecimal"`
	// HF and Fields are blocks whose keys the loaders register
	// (Registry.AddBlock): the HuggingFace address and the column mapping
	// of jsonl, csv and hf rows.
	HF     Block `yaml:"hf" json:"hf,omitempty"`
	Fields Block `yaml:"fields" json:"fields,omitempty"`
	// Synthetic is the block of the source that generates prompts of
	// chosen lengths (input and output tokens, a shared prefix).
	Synthetic Block `yaml:"synthetic" json:"synthetic,omitempty"`
}

// PromptSpec holds Go text/template strings rendered per sample with the
// fields .ID, .Title, .Context, .Question.
type PromptSpec struct {
	System string `yaml:"system" json:"system,omitempty"`
	User   string `yaml:"user" json:"user"`
}

// DefaultUserPrompt is the prompt of the original homework script.
const DefaultUserPrompt = "Context: {{.Context}}\n\nQuestion: {{.Question}}\n\nAnswer:"

// Platform is one serving endpoint (or the built-in emulator) and how to load it.
// Exactly one of BaseURL and Emulate is set.
type Platform struct {
	Name    string `yaml:"name" json:"name" validate:"required"`
	BaseURL string `yaml:"base_url" json:"base_url,omitempty" validate:"omitempty,url"`
	// Emulate is the built-in emulator's profile, a block whose keys the
	// emulator component registers (Registry.AddBlock).
	Emulate *Block `yaml:"emulate" json:"emulate,omitempty"`
	// APIKeyEnv names an environment variable holding the bearer token.
	APIKeyEnv string `yaml:"api_key_env" json:"api_key_env,omitempty"`
	// APIKeyCommand is run through the shell; the first line it prints is the token.
	APIKeyCommand string `yaml:"api_key_command" json:"api_key_command,omitempty"`
	// APIKeyCommandTimeout bounds each run of APIKeyCommand; zero means
	// DefaultAPIKeyCommandTimeout.
	APIKeyCommandTimeout Duration `yaml:"api_key_command_timeout" json:"api_key_command_timeout,omitempty" validate:"gte=0"`
	// APIKey is a literal token (prefer api_key_env); always redacted.
	APIKey  Secret   `yaml:"api_key" json:"api_key,omitempty"`
	Headers []Header `yaml:"headers" json:"headers,omitempty" validate:"dive"`
	Models  []string `yaml:"models" json:"models" validate:"required,min=1,dive,required"`
	// CompareAs holds, parallel to Models, each model's compare_as label
	// ("" for none; nil when no model has one): models on different
	// platforms are compared when their labels (or else names) match (see
	// Counterpart). In a file it is written on the model entry,
	// models: [{name: m, compare_as: label}].
	CompareAs []string `yaml:"compare_as" json:"compare_as,omitempty"`
	// Tokenizer counts the tokens of the platform's models where the
	// server sends no usage, and checks the server's usage where it does
	// (see TokenizerRules): a built-in name (o200k_base, o200k_harmony,
	// cl100k_base), the path of a Hugging Face tokenizer.json (a value
	// ending in .json or holding a '/', relative to the experiment file),
	// or "none". A model entry's tokenizer overrides it; left out, each
	// model's is inferred from its name where the name is well known.
	Tokenizer string `yaml:"tokenizer" json:"tokenizer,omitempty"`
	// Tokenizers holds, parallel to Models, the tokenizer each model's
	// tokens are counted with once loaded: its entry's tokenizer, else the
	// platform's, else the one its name implies; "" for none, paths made
	// absolute (nil when no model has one). In a file it is written on
	// the model entry, models: [{name: m, tokenizer: t}]; the manifest
	// records it.
	Tokenizers []string `yaml:"tokenizers" json:"tokenizers,omitempty"`

	// Concurrency is the closed-loop worker count, or the cap on in-flight
	// requests when Rate > 0. Left out, it is DefaultConcurrency without
	// Rate and uncapped (0) with Rate > 0. Written in the file (or set by
	// an override), it must be >= 1: an explicit 0 is an error in both
	// cases, never silently defaulted.
	Concurrency int `yaml:"concurrency" json:"concurrency" validate:"gte=0"`
	// Rate > 0 selects an open-loop schedule of Rate requests per second.
	Rate float64 `yaml:"rate" json:"rate,omitempty" validate:"gte=0"`
	// Arrival is the open-loop inter-arrival law, one registered in
	// Registry.Arrivals; left out it is the registry's default law.
	Arrival string `yaml:"arrival" json:"arrival,omitempty"`
	// Burstiness is the shape of an arrival law that takes one (see
	// ArrivalLaw.Shaped); left out it is the law's default shape, and an
	// explicit 0 is an error.
	Burstiness float64 `yaml:"burstiness" json:"burstiness,omitempty" validate:"gte=0"`
	// Warmup requests per platform are sent first and excluded from statistics.
	Warmup int `yaml:"warmup" json:"warmup,omitempty" validate:"gte=0"`
	// MaxDuration stops scheduling new requests; in-flight ones drain.
	MaxDuration Duration `yaml:"max_duration" json:"max_duration,omitempty" validate:"gte=0"`
	// Retries is how many times a request that failed before its first byte
	// (connection error, 429, 5xx) is tried again.
	Retries int `yaml:"retries" json:"retries" validate:"gte=0"`
	// MaxRetryWait caps the wait before a retry, whatever Retry-After asks
	// (the wait is also capped by Timeout); zero means DefaultMaxRetryWait.
	MaxRetryWait Duration `yaml:"max_retry_wait" json:"max_retry_wait" validate:"gte=0"`
	// Timeout bounds a whole request; zero means DefaultTimeout.
	Timeout           Duration `yaml:"timeout" json:"timeout" validate:"gte=0"`
	ConnectTimeout    Duration `yaml:"connect_timeout" json:"connect_timeout,omitempty" validate:"gte=0"`
	FirstTokenTimeout Duration `yaml:"first_token_timeout" json:"first_token_timeout,omitempty" validate:"gte=0"`
	IdleTimeout       Duration `yaml:"idle_timeout" json:"idle_timeout,omitempty" validate:"gte=0"`
	// MaxErrors > 0 stops the platform after that many failed requests.
	MaxErrors int `yaml:"max_errors" json:"max_errors,omitempty" validate:"gte=0"`
	// MaxErrorRate in (0,1] stops the platform once the failed share exceeds it
	// (judged after at least MinRequestsForErrorRate requests).
	MaxErrorRate float64 `yaml:"max_error_rate" json:"max_error_rate,omitempty" validate:"gte=0,lte=1"`
	// ExactOutputTokens sends, with a sample that asks for an answer
	// length (a synthetic source's output_tokens), min_tokens and
	// ignore_eos beside max_tokens, so that the answer has exactly that
	// length: vLLM and SGLang accept them, OpenAI's API rejects unknown
	// parameters. Off by default.
	ExactOutputTokens bool `yaml:"exact_output_tokens" json:"exact_output_tokens,omitempty"`
	// Load lists the load levels the platform runs one after the other (see
	// LevelsSpec); nil is one level of Concurrency and Rate.
	Levels *LevelsSpec `yaml:"load" json:"load,omitempty"`
	// SampleGroups are the dataset's sample groups when its source has
	// them (SampleGrouper; nil otherwise): every group runs p's load
	// levels (see RunLevels). Not written in a file: LoadExperiment
	// fills it from the dataset block, and a manifest keeps it.
	SampleGroups []SampleGroup `yaml:"-" json:"sample_groups,omitempty"`

	// MetricsURL is the server's Prometheus metrics endpoint, scraped
	// every MetricsInterval while the platform sends (server_metrics.jsonl).
	// MetricsNone (or an empty value written in the file) turns it off.
	// Left out it is, after ApplyDefaults: "" for an emulate platform (the
	// emulator's own /metrics, whose address is known once it runs);
	// <scheme>://<host>/metrics for a base_url on localhost, 127.0.0.1 or
	// [::1] (a local vLLM serves /metrics at its root, not under /v1); and
	// MetricsNone for any other base_url. The platform's token goes to it
	// only when it is on base_url's host (stages/query's sameHost).
	MetricsURL string `yaml:"metrics_url" json:"metrics_url,omitempty"`
	// MetricsInterval is the time between two scrapes; zero means
	// DefaultMetricsInterval.
	MetricsInterval Duration `yaml:"metrics_interval" json:"metrics_interval,omitempty" validate:"gte=0"`
}

// MetricsNone is the metrics_url that turns the server metrics off.
const MetricsNone = "none"

// DefaultMetricsInterval is metrics_interval when it is left out, and
// MinMetricsInterval the shortest one accepted.
const (
	DefaultMetricsInterval = Duration(time.Second)
	MinMetricsInterval     = Duration(100 * time.Millisecond)
)

// Defaults applied to platforms that leave the field zero.
const (
	DefaultConcurrency      = 1
	DefaultTimeout          = Duration(120 * time.Second)
	DefaultConnectTimeout   = Duration(10 * time.Second)
	DefaultRetries          = 2
	MinRequestsForErrorRate = 10
)

// More platform defaults. DefaultMaxRetryWait caps a server's Retry-After,
// so that a day-long answer cannot stall a run; DefaultAPIKeyCommandTimeout
// bounds one run of api_key_command.
const (
	DefaultMaxRetryWait         = Duration(60 * time.Second)
	DefaultAPIKeyCommandTimeout = Duration(30 * time.Second)
)

// Header is one extra HTTP header; its value is redacted in every echo.
type Header struct {
	Name  string `yaml:"name" json:"name" validate:"required"`
	Value Secret `yaml:"value" json:"value"`
}

// Params are the request parameters; Temperature lists expand the matrix.
type Params struct {
	Temperature []float64 `yaml:"temperature" json:"temperature" validate:"min=1,dive,gte=0,lte=2"`
	// MaxTokens left out is DefaultMaxTokens; an explicit 0 is an error.
	MaxTokens int     `yaml:"max_tokens" json:"max_tokens" validate:"gte=1"`
	TopP      float64 `yaml:"top_p" json:"top_p,omitempty" validate:"gte=0,lte=1"`
	Stream    bool    `yaml:"stream" json:"stream"`
	// Extra body fields passed verbatim (e.g. reasoning_effort: low). Keys
	// keep their case (read from the YAML node tree, not through viper).
	// Keys that shadow a field inferbench sets itself (model, messages,
	// max_tokens, temperature, top_p, stream, stream_options, n) are refused
	// at validation by the query stage's rules (RequestChecker), so that
	// the recorded settings are the ones sent.
	Extra map[string]any `yaml:"extra" json:"extra,omitempty"`
}

// Default request parameters.
const (
	DefaultMaxTokens   = 512
	DefaultTemperature = 0.0
)

// ScoreSpec configures answer extraction and scoring.
type ScoreSpec struct {
	// Extract is the answer extraction: a list of built-in steps, or a
	// regex, or an expr (see ExtractSpec).
	Extract ExtractSpec `yaml:"extract" json:"extract"`
	// ReportRaw shows raw-content EM/F1 beside extracted ones in the console
	// and the report (default true). Raw scores are always computed and
	// kept in records, CSVs and the workbook.
	ReportRaw bool `yaml:"report_raw" json:"report_raw"`
}

// ExtractSpec is one of: Steps (a YAML list of step names), Regex (YAML
// {regex: ...}, first capture group or whole match) or Expr (YAML {expr: ...}
// over content, reasoning, question, context).
type ExtractSpec struct {
	Steps []string `yaml:"steps" json:"steps,omitempty"`
	Regex string   `yaml:"regex" json:"regex,omitempty"`
	Expr  string   `yaml:"expr" json:"expr,omitempty"`
}

// DefaultExtractSteps is used when score.extract is not set.
var DefaultExtractSteps = []string{"strip_reasoning", "bold_span", "first_line", "strip_prefix", "trim_period"}

// SLOSpec sets service level objectives for goodput; zero disables one.
type SLOSpec struct {
	TTFT Duration `yaml:"ttft" json:"ttft,omitempty" validate:"gte=0"`
	E2E  Duration `yaml:"e2e" json:"e2e,omitempty" validate:"gte=0"`
	TPOT Duration `yaml:"tpot" json:"tpot,omitempty" validate:"gte=0"`
	// MaxErrorRate is the largest share of failed requests (0..1) a load
	// level may have to be the best level within the SLO (see BestLevel);
	// DefaultSLOMaxErrorRate when left out, and 0 (no failure allowed) is
	// kept when written. It does not enter goodput (a failed request is
	// never good) nor Set.
	MaxErrorRate float64 `yaml:"max_error_rate" json:"max_error_rate" validate:"gte=0,lte=1"`
}

// DefaultSLOMaxErrorRate is slo.max_error_rate when it is left out: 1%.
const DefaultSLOMaxErrorRate = 0.01

// Set reports whether any latency SLO is set.
func (s SLOSpec) Set() bool { return s.TTFT > 0 || s.E2E > 0 || s.TPOT > 0 }

// StatsSpec configures the statistics.
type StatsSpec struct {
	// Confidence is the confidence level of every interval; default 0.95.
	Confidence float64 `yaml:"confidence" json:"confidence" validate:"gt=0,lt=1"`
	// Bootstrap is the number of bootstrap resamples; default 2000.
	Bootstrap int `yaml:"bootstrap" json:"bootstrap" validate:"gte=100"`
}

// Default statistics settings.
const (
	DefaultConfidence = 0.95
	DefaultBootstrap  = 2000
)

// MetricSpec is a derived column computed per group by an expr over the
// group's figures (see GroupStats.Env).
type MetricSpec struct {
	Name string `yaml:"name" json:"name" validate:"required"`
	Expr string `yaml:"expr" json:"expr" validate:"required"`
}

// ExportSpec says where and in which formats to write results.
type ExportSpec struct {
	Dir string `yaml:"dir" json:"dir"`
	// Formats are registered export formats (Registry.Exporters); left
	// out, every registered one (Registry.DefaultFormats).
	Formats []string `yaml:"formats" json:"formats"`
	// Detail makes the console print the full per-group block of vLLM's
	// bench serve and the client health table (the --detail flag).
	Detail bool `yaml:"detail" json:"detail,omitempty"`
	// Answers is how many questions the report's side-by-side answers
	// table shows, chosen by the seed (0: DefaultAnswers; -1: none).
	Answers int `yaml:"answers" json:"answers,omitempty" validate:"min=-1"`
}

// DefaultExportDir is export.dir when it is left out.
var DefaultExportDir = "results"

// DefaultAnswers is how many questions the report's answers table shows
// when export.answers is left out.
const DefaultAnswers = 10

// Duration is a time.Duration written as a Go duration string ("600ms") in
// YAML and JSON.
type Duration time.Duration

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String formats d like time.Duration.
func (d Duration) String() string { return time.Duration(d).String() }

// MarshalJSON writes d as a duration string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON reads a duration string (or a number of nanoseconds).
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var n int64
		if err2 := json.Unmarshal(b, &n); err2 != nil {
			return fmt.Errorf("duration: %w", err)
		}
		*d = Duration(n)
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// Secret holds a credential. It prints and marshals as Redacted so that no
// echo of the configuration (manifest, logs, errors) reveals it; use Reveal
// to get the value for an HTTP header.
type Secret string

// Redacted is what a non-empty Secret shows instead of its value.
const Redacted = "[redacted]"

// Reveal returns the secret's value.
func (s Secret) Reveal() string { return string(s) }

// String returns Redacted, or "" for an empty secret.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return Redacted
}

// GoString redacts for %#v too.
func (s Secret) GoString() string { return `"` + s.String() + `"` }

// MarshalJSON writes Redacted, or "" for an empty secret.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }
