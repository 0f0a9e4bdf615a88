package config

import (
	"fmt"
	"reflect"
	"regexp"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"
)

// Every expression in an experiment is compiled once, against a typed
// environment, when the experiment is validated; stages run the compiled
// program many times. The environments below are the whole contract: an
// expression can name exactly these fields.

// FilterEnv is the environment of dataset.filter (must return bool).
type FilterEnv struct {
	ID       string   `expr:"id"`
	Title    string   `expr:"title"`
	Context  string   `expr:"context"`
	Question string   `expr:"question"`
	Answers  []string `expr:"answers"`
}

// NewFilterEnv returns the filter environment of s.
func NewFilterEnv(s *Sample) FilterEnv {
	return FilterEnv{ID: s.ID, Title: s.Title, Context: s.Context, Question: s.Question, Answers: s.Answers}
}

// ExtractEnv is the environment of score.extract.expr (must return string).
type ExtractEnv struct {
	Content   string `expr:"content"`
	Reasoning string `expr:"reasoning"`
	Question  string `expr:"question"`
	Context   string `expr:"context"`
}

// GroupEnv exposes one group's figures to metrics and checks. Times are
// milliseconds, EM/F1 percentages, rates per second, shares 0..1.
type GroupEnv struct {
	Platform    string  `expr:"platform"`
	Model       string  `expr:"model"`
	Temperature float64 `expr:"temperature"`
	Level       string  `expr:"load"`
	Count       int     `expr:"count"`
	Successes   int     `expr:"successes"`
	Failures    int     `expr:"failures"`
	Truncated   int     `expr:"truncated"`
	ErrorRate   float64 `expr:"error_rate"`
	LatencyMean float64 `expr:"latency_mean"`
	LatencyP50  float64 `expr:"latency_p50"`
	LatencyP90  float64 `expr:"latency_p90"`
	LatencyP95  float64 `expr:"latency_p95"`
	LatencyP99  float64 `expr:"latency_p99"`
	// Consistency: sample (n-1) standard deviation and stddev / mean.
	LatencyStddev float64 `expr:"latency_stddev"`
	LatencyCV     float64 `expr:"latency_cv"`
	TTFTStddev    float64 `expr:"ttft_stddev"`
	TTFTCV        float64 `expr:"ttft_cv"`
	// OutputTokensPerRequest is the mean output tokens per successful request.
	OutputTokensPerRequest float64 `expr:"output_tokens_per_request"`
	TTFTMean               float64 `expr:"ttft_mean"`
	TTFTP50                float64 `expr:"ttft_p50"`
	TTFTP95                float64 `expr:"ttft_p95"`
	TPOTMean               float64 `expr:"tpot_mean"`
	TokensPerSec           float64 `expr:"tokens_per_sec"`
	Throughput             float64 `expr:"throughput"`
	PromptTokens           int     `expr:"prompt_tokens"`
	OutputTokens           int     `expr:"output_tokens"`
	ReasoningTokens        int     `expr:"reasoning_tokens"`
	EM                     float64 `expr:"em"`
	F1                     float64 `expr:"f1"`
	RawEM                  float64 `expr:"raw_em"`
	RawF1                  float64 `expr:"raw_f1"`
	Agreement              float64 `expr:"agreement"`
	Goodput                float64 `expr:"goodput"`

	// RequestThroughput is completed requests/s, SendRate requests sent/s
	// (see GroupStats); request_rate, their old ambiguous name, is gone.
	RequestThroughput float64 `expr:"request_throughput"`
	SendRate          float64 `expr:"send_rate"`

	// The client's health while the group's level ran (GroupStats.Client,
	// ClientBound; 0 and false where it was not measured): scheduler
	// latency p99 and send lag in ms, CPU in percent of its cores.
	ClientBound           bool    `expr:"client_bound"`
	ClientSchedLatencyP99 float64 `expr:"client_sched_latency_p99"`
	ClientCPU             float64 `expr:"client_cpu"`
	ClientSendLagP50      float64 `expr:"client_send_lag_p50"`
	ClientSendLagP99      float64 `expr:"client_send_lag_p99"`

	// The server's own view of the group's level (GroupStats.ServerMetrics;
	// 0 where its metrics endpoint was not scraped or does not expose a
	// figure): requests running and waiting, KV-cache usage (0..1) and
	// the preemptions over the level.
	ServerRunningMean      float64 `expr:"server_running_mean"`
	ServerRunningMax       float64 `expr:"server_running_max"`
	ServerWaitingMean      float64 `expr:"server_waiting_mean"`
	ServerWaitingMax       float64 `expr:"server_waiting_max"`
	ServerKVCacheUsageMean float64 `expr:"server_kv_cache_usage_mean"`
	ServerKVCacheUsageMax  float64 `expr:"server_kv_cache_usage_max"`
	ServerPreemptions      float64 `expr:"server_preemptions"`

	// Metrics are the derived metrics computed so far, by name.
	Metrics map[string]float64 `expr:"metrics"`
}

// CheckEnv is the environment of checks (each must return bool).
// group(name) finds the first group whose platform, or "platform/model",
// equals name (an unknown name is an evaluation error); speedup(name) is
// that platform's median speedup against the baseline.
type CheckEnv struct {
	Groups  []GroupEnv                     `expr:"groups"`
	Group   func(string) (GroupEnv, error) `expr:"group"`
	Speedup func(string) (float64, error)  `expr:"speedup"`
}

// CompileFilter compiles a dataset filter.
func CompileFilter(src string) (*vm.Program, error) {
	return compile(src, FilterEnv{}, expr.AsBool())
}

// CompileExtract compiles an extraction expression.
func CompileExtract(src string) (*vm.Program, error) {
	return compile(src, ExtractEnv{}, expr.AsKind(reflect.String))
}

// CompileMetric compiles a derived metric (a number).
func CompileMetric(src string) (*vm.Program, error) {
	return compile(src, GroupEnv{}, expr.AsFloat64())
}

// CompileCheck compiles a check (a bool).
func CompileCheck(src string) (*vm.Program, error) {
	return compile(src, CheckEnv{}, expr.AsBool())
}

func compile(src string, env any, want expr.Option) (*vm.Program, error) {
	p, err := expr.Compile(src, expr.Env(env), want)
	if err != nil {
		// expr's messages span several lines with a caret; keep the first.
		msg := err.Error()
		if i := strings.IndexByte(msg, '\n'); i >= 0 {
			msg = msg[:i]
		}
		return nil, fmt.Errorf("expression %q: %s%s", src, msg, renamedHint(src))
	}
	return p, nil
}

// oldRequestRate finds the name request_rate, which meant "requests sent
// per second" in a group and "completed per second" in a sweep point.
var oldRequestRate = regexp.MustCompile(`\brequest_rate\b`)

// renamedHint tells how a renamed variable is now called, or returns "".
func renamedHint(src string) string {
	if oldRequestRate.MatchString(src) {
		return " (request_rate was renamed: use request_throughput for completed requests/s or send_rate for requests sent/s)"
	}
	return ""
}

// RunExpr runs a compiled program against env.
func RunExpr(p *vm.Program, env any) (any, error) { return expr.Run(p, env) }
