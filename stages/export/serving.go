package export

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/inferbench/inferbench/pipeline"
	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/results"
)

// retryCount is what a group's non-warmup records say about retries.
type retryCount struct {
	// Retries is the sum over records of Attempts - 1.
	Retries int
	// HTTP429 is how many attempts were answered HTTP 429 (Record.HTTP429;
	// a record from a journal written before that field counts 1 when its
	// last answer was a 429).
	HTTP429 int
	// RetryWaitMs is the total time spent waiting between attempts.
	RetryWaitMs float64
}

// addRetries adds what non-warmup record r says about retries to c
// (warmups are left out like in every statistic; see digest.retries).
func addRetries(c retryCount, r *results.Record) retryCount {
	c.Retries += max(r.Attempts-1, 0)
	n := r.HTTP429
	if n == 0 && r.HTTPStatus == 429 {
		n = 1
	}
	c.HTTP429 += n
	c.RetryWaitMs += r.RetryWaitMs
	return c
}

// consoleLabels returns the row label of every group in the console's
// tables and whether they are short letters that need a legend. The full
// labels (platform/model, plus the temperature when the run has several)
// are used when every one fits in maxConsoleLabel runes; otherwise every
// group gets a letter (A, B, ..., Z, AA, AB, ...), so that two long names
// that differ only at their end never look like the same row.
func consoleLabels(groups []results.GroupStats) ([]string, bool) {
	names := labels(groups)
	for _, n := range names {
		if utf8.RuneCountInString(n) > maxConsoleLabel {
			for i := range names {
				names[i] = letterLabel(i)
			}
			return names, true
		}
	}
	return names, false
}

// letterLabel returns the i-th (0-based) spreadsheet-style letter label: A,
// B, ..., Z, AA, AB, ...
func letterLabel(i int) string {
	s := ""
	for i++; i > 0; i = (i - 1) / 26 {
		s = string(rune('A'+(i-1)%26)) + s
	}
	return s
}

// writeLegend prints the GROUPS section that maps each letter label to its
// group's platform, model, temperature and load level (when it has one),
// wrapped, never clipped.
func writeLegend(w io.Writer, groups []results.GroupStats, names []string) {
	fmt.Fprintf(w, "\nGROUPS\n------\n")
	width := 0
	for _, n := range names {
		width = max(width, utf8.RuneCountInString(n))
	}
	for i := range groups {
		g := &groups[i]
		head := "  " + names[i] + strings.Repeat(" ", width-utf8.RuneCountInString(names[i])) + "  "
		words := []string{"platform " + g.Platform + ",", "model " + g.Model + ",", "temperature " + strconv.FormatFloat(g.Temperature, 'g', -1, 64)}
		if g.Level != "" {
			words[len(words)-1] += ","
			words = append(words, "load "+g.Level)
		}
		for _, line := range wrapWords(head[:len(head)-1], words, strings.Repeat(" ", len(head)), consoleWidth) {
			fmt.Fprintln(w, line)
		}
	}
}

// servingRow is one line of the serving block: a label and a cell per group.
type servingRow struct {
	label string
	cells []string
	// rule marks a sub-heading line such as "Time to First Token".
	rule bool
}

// servingRows lays out the figures of `vllm bench serve`'s result block,
// one column per group: duration, token totals, request and token
// throughput, TTFT/TPOT/ITL/E2E mean, median and p99, goodput when an SLO
// is set, retries and 429 answers. A time with no successful request is
// "-".
func servingRows(run *pipeline.Run) []servingRow {
	groups := run.Results.Groups
	retries := digestOf(run).retries
	var rows []servingRow
	add := func(label string, cell func(g *results.GroupStats) string) {
		r := servingRow{label: label}
		for i := range groups {
			r.cells = append(r.cells, cell(&groups[i]))
		}
		rows = append(rows, r)
	}
	rate := func(v float64, g *results.GroupStats) string {
		if g.WallSeconds <= 0 {
			return "-"
		}
		return fnum(v, 2)
	}
	add("Successful requests", func(g *results.GroupStats) string {
		return strconv.Itoa(g.Successes) + "/" + strconv.Itoa(g.Count)
	})
	add("Benchmark duration (s)", func(g *results.GroupStats) string { return rate(g.WallSeconds, g) })
	add("Total input tokens", func(g *results.GroupStats) string { return promptText(g) })
	add("Total output tokens", func(g *results.GroupStats) string { return outputText(g) })
	if slices.ContainsFunc(groups, func(g results.GroupStats) bool {
		return g.UsageOutputTokenDiffPct != nil || g.UsagePromptTokenDiffPct != nil
	}) {
		pct := func(v *float64) string {
			if v == nil {
				return "-"
			}
			return fmt.Sprintf("%+.2f", *v)
		}
		add("Usage vs tokenizer, output (%)", func(g *results.GroupStats) string { return pct(g.UsageOutputTokenDiffPct) })
		add("Usage vs tokenizer, prompt (%)", func(g *results.GroupStats) string { return pct(g.UsagePromptTokenDiffPct) })
	}
	// Completed requests per second, as vLLM counts them: a group whose
	// requests all fail fast must not show a high request throughput.
	add("Request throughput (req/s)", func(g *results.GroupStats) string { return rate(g.RequestThroughput, g) })
	add("Output token throughput (tok/s)", func(g *results.GroupStats) string { return rate(g.Throughput, g) })
	add("Total token throughput (tok/s)", func(g *results.GroupStats) string {
		if g.WallSeconds <= 0 || g.PromptTokens == 0 { // input tokens unknown
			return "-"
		}
		return fnum(float64(g.PromptTokens+g.OutputTokens)/g.WallSeconds, 2)
	})
	timing := func(title, short string, get func(g *results.GroupStats) results.Dist) {
		rows = append(rows, servingRow{label: title, rule: true})
		for _, st := range []struct {
			name string
			get  func(d results.Dist) float64
		}{{"Mean", func(d results.Dist) float64 { return d.Mean }},
			{"Median", func(d results.Dist) float64 { return d.P50 }},
			{"P99", func(d results.Dist) float64 { return d.P99 }}} {
			add(st.name+" "+short+" (ms)", func(g *results.GroupStats) string {
				d := get(g)
				if d.N == 0 {
					return "-"
				}
				return fnum(st.get(d), 2)
			})
		}
	}
	timing("Time to First Token", "TTFT", func(g *results.GroupStats) results.Dist { return g.TTFTMs })
	timing("Time per Output Token (excl. 1st token)", "TPOT", func(g *results.GroupStats) results.Dist { return g.TPOTMs })
	timing("Inter-token Latency", "ITL", func(g *results.GroupStats) results.Dist { return g.ITLMs })
	timing("End-to-end Latency", "E2E", func(g *results.GroupStats) results.Dist { return g.LatencyMs })
	if exp := run.Experiment; exp != nil && exp.SLO.Set() {
		rows = append(rows, servingRow{label: "Goodput (" + sloText(exp.SLO) + ")", rule: true})
		add("Requests meeting the SLO (%)", func(g *results.GroupStats) string { return fnum(100*g.Goodput, 1) })
		add("Request goodput (req/s)", func(g *results.GroupStats) string { return rate(g.GoodputRate, g) })
	}
	rows = append(rows, servingRow{label: "Retries", rule: true})
	add("Retries (attempts - 1)", func(g *results.GroupStats) string { return strconv.Itoa(retries[g.GroupKey].Retries) })
	add("Attempts answered HTTP 429", func(g *results.GroupStats) string { return strconv.Itoa(retries[g.GroupKey].HTTP429) })
	return rows
}

// sloText renders the SLOs that are set, e.g. "ttft <= 500ms, e2e <= 5s".
func sloText(s config.SLOSpec) string {
	var parts []string
	for _, o := range []struct {
		name string
		d    config.Duration
	}{{"ttft", s.TTFT}, {"e2e", s.E2E}, {"tpot", s.TPOT}} {
		if o.d > 0 {
			parts = append(parts, o.name+" <= "+o.d.String())
		}
	}
	return strings.Join(parts, ", ")
}

// promptText is a group's input tokens, "-" when no server reported them.
func promptText(g *results.GroupStats) string {
	if g.PromptTokens == 0 {
		return missing
	}
	return strconv.Itoa(g.PromptTokens)
}

// outputText is a group's output tokens, saying for how many of its
// requests they were counted with the tokenizer or estimated (no usage
// from the server).
func outputText(g *results.GroupStats) string {
	s := strconv.Itoa(g.OutputTokens)
	var how []string
	if g.OutputTokensCounted > 0 {
		how = append(how, fmt.Sprintf("%d of %d counted", g.OutputTokensCounted, g.Count))
	}
	if g.OutputTokensEstimated > 0 {
		how = append(how, fmt.Sprintf("%d of %d estimated", g.OutputTokensEstimated, g.Count))
	}
	if len(how) > 0 {
		s += " (" + strings.Join(how, ", ") + ")"
	}
	return s
}

// tokenNotes are the report's sentences on the token figures a group
// could not measure: output tokens estimated for some requests, input
// tokens no server reported. label names the group.
func tokenNotes(label string, g *results.GroupStats) []string {
	var out []string
	if g.OutputTokensEstimated > 0 {
		out = append(out, fmt.Sprintf("%s: output tokens estimated (no usage from the server) for %d of %d requests", label, g.OutputTokensEstimated, g.Count))
	}
	if g.OutputTokensCounted > 0 {
		out = append(out, fmt.Sprintf("%s: prompt and output tokens counted with the model's tokenizer (no usage from the server) for %d of %d requests; the prompt count leaves out the chat template's tokens", label, g.OutputTokensCounted, g.Count))
	}
	if g.PromptTokens == 0 && g.Count > 0 {
		out = append(out, label+": input tokens: no server reported them (shown as -)")
	}
	if d := usageDiffText(g); d != "" {
		out = append(out, label+": server usage against the tokenizer's count: "+d)
	}
	return out
}

// writeServing prints the SERVING BENCHMARK RESULT section: servingRows
// with one right-aligned column per group (headed by its console label),
// split into several column blocks when the groups do not fit in
// consoleWidth.
func writeServing(w io.Writer, run *pipeline.Run, names []string) {
	title := "SERVING BENCHMARK RESULT (per group, as vllm bench serve)"
	fmt.Fprintf(w, "\n%s\n%s\n", title, strings.Repeat("-", len(title)))
	rows := servingRows(run)
	labelW := 0
	for _, r := range rows {
		if !r.rule {
			labelW = max(labelW, utf8.RuneCountInString(r.label))
		}
	}
	colW := make([]int, len(names))
	for i, n := range names {
		colW[i] = utf8.RuneCountInString(n)
		for _, r := range rows {
			if !r.rule {
				colW[i] = max(colW[i], utf8.RuneCountInString(r.cells[i]))
			}
		}
	}
	for start := 0; start < len(names); {
		end, width := start, labelW
		for end < len(names) && (end == start || width+2+colW[end] <= consoleWidth) {
			width += 2 + colW[end]
			end++
		}
		if start > 0 {
			fmt.Fprintln(w)
		}
		line := strings.Repeat(" ", labelW)
		for i := start; i < end; i++ {
			line += "  " + padLeft(names[i], colW[i])
		}
		fmt.Fprintln(w, line)
		for _, r := range rows {
			if r.rule {
				fmt.Fprintln(w, ruleLine(r.label, width))
				continue
			}
			line := r.label + strings.Repeat(" ", labelW-utf8.RuneCountInString(r.label))
			for i := start; i < end; i++ {
				line += "  " + padLeft(r.cells[i], colW[i])
			}
			fmt.Fprintln(w, line)
		}
		start = end
	}
}

// padLeft right-aligns s in n runes.
func padLeft(s string, n int) string {
	return strings.Repeat(" ", max(n-utf8.RuneCountInString(s), 0)) + s
}

// ruleLine centres " title " in a line of dashes width runes wide, like the
// sub-headings of vLLM's block.
func ruleLine(title string, width int) string {
	t := " " + title + " "
	n := max(width-utf8.RuneCountInString(t), 4)
	return strings.Repeat("-", n/2) + t + strings.Repeat("-", n-n/2)
}

// retriesSection is the report's table of retries and HTTP 429 answers
// per group (non-warmup records).
func retriesSection(run *pipeline.Run) reportSection {
	s := reportSection{Title: "Retries and rate limiting",
		Paragraphs: []string{"Retries are the attempts after the first (the sum of attempts - 1); HTTP 429 counts every attempt answered 429, including those retried away. Retry waits are never part of latency."}}
	t := reportTable{Header: []string{"Group", "Requests", "Retries", "HTTP 429 answers", "Retry wait (s)"},
		Right: []bool{false, true, true, true, true}}
	counts := digestOf(run).retries
	names := labels(run.Results.Groups)
	for i := range run.Results.Groups {
		g := &run.Results.Groups[i]
		c := counts[g.GroupKey]
		t.Rows = append(t.Rows, []string{names[i], strconv.Itoa(g.Count), strconv.Itoa(c.Retries), strconv.Itoa(c.HTTP429), fnum(c.RetryWaitMs/1000, 1)})
	}
	s.Tables = append(s.Tables, t)
	if m := run.Manifest; m != nil {
		// The query stage's notes (resends without stream_options, refreshed
		// tokens, capped Retry-After waits); the hosts note is in Setup.
		for _, n := range m.Notes {
			if !strings.HasPrefix(n, pipeline.HostsNote) {
				s.Bullets = append(s.Bullets, "Note: "+n)
			}
		}
	}
	return s
}

// usageDiffText words a group's usage differences ("output +0.4%, prompt
// +12.5% (the chat template's tokens)"), "" when it has none.
func usageDiffText(g *results.GroupStats) string {
	var parts []string
	if v := g.UsageOutputTokenDiffPct; v != nil {
		parts = append(parts, fmt.Sprintf("output %+.1f%%", *v))
	}
	if v := g.UsagePromptTokenDiffPct; v != nil {
		parts = append(parts, fmt.Sprintf("prompt %+.1f%% (includes the chat template's tokens, which the local count leaves out)", *v))
	}
	return strings.Join(parts, ", ")
}
