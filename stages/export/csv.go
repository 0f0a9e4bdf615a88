package export

import (
	"context"
	"encoding/csv"
	"io"
	"path/filepath"
	"strconv"
	"time"

	"github.com/inferbench/inferbench/pipeline"
	"github.com/inferbench/inferbench/pipeline/results"
)

// requestColumn is one column of requests.csv and of the Requests sheet.
// value returns a string (user data or model output), int, float64 or bool.
type requestColumn struct {
	name  string
	kind  valueKind
	value func(r *results.Record) any
}

// requestColumns are the fixed columns of requests.csv in order; the
// server_<name> columns follow them.
var requestColumns = []requestColumn{
	{"platform", kindText, func(r *results.Record) any { return r.Platform }},
	{"model", kindText, func(r *results.Record) any { return r.Model }},
	{"temperature", kindNum, func(r *results.Record) any { return r.Temperature }},
	{"load", kindText, func(r *results.Record) any { return r.Level }},
	{"repeat", kindInt, func(r *results.Record) any { return r.Repeat }},
	{"sample_id", kindText, func(r *results.Record) any { return r.SampleID }},
	{"warmup", kindBool, func(r *results.Record) any { return r.Warmup }},
	{"seq", kindInt, func(r *results.Record) any { return r.Seq }},
	{"started_at", kindText, func(r *results.Record) any { return formatTime(r.StartedAt) }},
	{"queue_ms", kindMs, func(r *results.Record) any { return r.QueueMs }},
	{"ttfb_ms", kindMs, func(r *results.Record) any { return r.TTFBMs }},
	{"ttft_ms", kindMs, func(r *results.Record) any { return r.TTFTMs }},
	{"ttfc_ms", kindMs, func(r *results.Record) any { return r.TTFCMs }},
	{"latency_ms", kindMs, func(r *results.Record) any { return r.LatencyMs }},
	{"close_ms", kindMs, func(r *results.Record) any { return r.CloseMs }},
	{"tpot_ms", kindMs, func(r *results.Record) any { return r.TPOTMs }},
	{"tokens_per_sec", kindNum, func(r *results.Record) any { return r.TokensPerSec }},
	{"attempts", kindInt, func(r *results.Record) any { return r.Attempts }},
	{"retry_wait_ms", kindMs, func(r *results.Record) any { return r.RetryWaitMs }},
	{"http_429", kindInt, func(r *results.Record) any { return r.HTTP429 }},
	{"http_status", kindInt, func(r *results.Record) any { return r.HTTPStatus }},
	{"prompt_tokens", kindInt, func(r *results.Record) any { return r.PromptTokens }},
	{"output_tokens", kindInt, func(r *results.Record) any { return r.OutputTokens }},
	{"reasoning_tokens", kindInt, func(r *results.Record) any { return r.ReasoningTokens }},
	{"tokens_estimated", kindBool, func(r *results.Record) any { return r.TokensEstimated }},
	{"tokens_counted", kindBool, func(r *results.Record) any { return r.TokensCounted }},
	{"counted_prompt_tokens", kindInt, func(r *results.Record) any { return r.CountedPromptTokens }},
	{"counted_output_tokens", kindInt, func(r *results.Record) any { return r.CountedOutputTokens }},
	{"finish_reason", kindText, func(r *results.Record) any { return r.FinishReason }},
	{"error", kindText, func(r *results.Record) any { return r.Error }},
	{"error_detail", kindText, func(r *results.Record) any { return r.ErrorDetail }},
	{"em", kindNum, func(r *results.Record) any { return r.EM }},
	{"f1", kindNum, func(r *results.Record) any { return r.F1 }},
	{"raw_em", kindNum, func(r *results.Record) any { return r.RawEM }},
	{"raw_f1", kindNum, func(r *results.Record) any { return r.RawF1 }},
	{"truncated", kindBool, func(r *results.Record) any { return r.Truncated }},
	{"answer", kindText, func(r *results.Record) any { return r.Answer }},
	{"content", kindText, func(r *results.Record) any { return r.Content }},
	{"reasoning", kindText, func(r *results.Record) any { return r.Reasoning }},
}

// requestsHeader returns the header of requests.csv (and of the Requests
// sheet): the fixed columns platform, model, temperature,
// load, repeat, sample_id, warmup, seq, started_at, queue_ms, ttfb_ms, ttft_ms,
// ttfc_ms, latency_ms, close_ms, tpot_ms, tokens_per_sec, attempts,
// retry_wait_ms, http_429, http_status, prompt_tokens, output_tokens, reasoning_tokens, tokens_estimated,
// tokens_counted, counted_prompt_tokens, counted_output_tokens, finish_reason, error, error_detail, em, f1, raw_em, raw_f1, truncated,
// answer, content, reasoning, then server_<name> for every vendor field
// name in server (every one seen in any record, sorted, as the run's
// digest lists them). Per-record em is 0/1 and f1 0..1.
func requestsHeader(server []string) []string {
	out := make([]string, 0, len(requestColumns)+len(server))
	for _, c := range requestColumns {
		out = append(out, c.name)
	}
	for _, s := range server {
		out = append(out, "server_"+s)
	}
	return out
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// NeutralizeCell protects a text cell against formula injection when a CSV
// file is opened in a spreadsheet program: a value starting with '=', '+',
// '-', '@', TAB or CR gets a leading single quote (OWASP CSV injection
// guidance). Other values are returned unchanged. Apply it to text from
// users or models only, never to numbers (a negative number stays a number).
func NeutralizeCell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

// formatNumber writes a float in the shortest form that round-trips, never
// in exponent notation.
func formatNumber(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// csvValue renders a column value as CSV text.
func csvValue(v any, kind valueKind) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		if kind == kindText {
			return NeutralizeCell(v)
		}
		return v
	case int:
		return strconv.Itoa(v)
	case float64:
		return formatNumber(v)
	case bool:
		return strconv.FormatBool(v)
	}
	return ""
}

// CSV is the pipeline.Exporter of format "csv": it writes requests.csv (one
// row per record, warmups and failures included, see requestsHeader) and
// summary.csv (one row per group, see SummaryHeader). Text cells from users
// or models are neutralized (see NeutralizeCell); numeric cells are written
// as plain numbers. It fails when run has no Results.
func CSV(ctx context.Context, run *pipeline.Run) error {
	if err := checkRun(run); err != nil {
		return err
	}
	if err := writeFileAtomic(filepath.Join(run.Dir, RequestsCSVFile), func(w io.Writer) error {
		return writeRequestsCSV(ctx, w, run)
	}); err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(run.Dir, SummaryCSVFile), func(w io.Writer) error {
		return writeSummaryCSV(w, run.Results)
	})
}

func writeRequestsCSV(ctx context.Context, w io.Writer, run *pipeline.Run) error {
	cw := csv.NewWriter(w)
	server := digestOf(run).server
	if err := cw.Write(requestsHeader(server)); err != nil {
		return err
	}
	row := make([]string, len(requestColumns)+len(server))
	i := 0
	err := run.EachRecord(func(r *results.Record) error {
		if i%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		i++
		for j, c := range requestColumns {
			row[j] = csvValue(c.value(r), c.kind)
		}
		for j, s := range server {
			v, ok := r.Server[s]
			row[len(requestColumns)+j] = ""
			if ok {
				row[len(requestColumns)+j] = formatNumber(v)
			}
		}
		return cw.Write(row)
	})
	if err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

func writeSummaryCSV(w io.Writer, res *results.Results) error {
	cw := csv.NewWriter(w)
	cols := summaryColumns(res)
	if err := cw.Write(SummaryHeader(res)); err != nil {
		return err
	}
	row := make([]string, len(cols))
	for i := range res.Groups {
		g := &res.Groups[i]
		c := comparisonFor(res, g.GroupKey)
		for j, col := range cols {
			row[j] = csvValue(col.value(g, c), col.kind)
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
