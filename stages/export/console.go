package export

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"unicode/utf8"

	"github.com/inferbench/inferbench/pipeline"
	"github.com/inferbench/inferbench/pipeline/results"
	"github.com/inferbench/inferbench/pipeline/runfolder"
)

// consoleWidth is the width the console table is laid out for.
const consoleWidth = 100

// maxConsoleLabel is the longest group label the console tables show
// whole (runes); longer ones make every group a letter (consoleLabels).
const maxConsoleLabel = 34

// Console is the pipeline.Console of the built-in stages: it prints the
// comparison in the sectioned layout of the Python comparison scripts (a
// header with the experiment name, then LATENCY (ms), TIME TO FIRST TOKEN
// (ms), THROUGHPUT, SUCCESS RATE, ACCURACY, the speedup verdicts and the
// checks), fitting in 100 columns. It fails only when run has no Results or
// w fails.
func Console(w io.Writer, run *pipeline.Run) error {
	if run == nil || run.Results == nil {
		return errNoResults
	}
	res := run.Results
	cw := &errWriter{w: w}
	rule := strings.Repeat("=", consoleWidth)
	fmt.Fprintln(cw, rule)
	fmt.Fprintf(cw, "%s\n", centre("INFERBENCH COMPARISON: "+res.Experiment, consoleWidth))
	sub := "run " + res.RunID
	if res.Baseline != "" {
		sub += ", baseline " + res.Baseline
	}
	if res.StopReason != "" && res.StopReason != runfolder.StopCompleted {
		sub += ", stopped: " + res.StopReason
	}
	fmt.Fprintf(cw, "%s\n", centre(sub, consoleWidth))
	fmt.Fprintln(cw, rule)

	names, legend := consoleLabels(res.Groups)
	if legend {
		writeLegend(cw, res.Groups, names)
	}
	names = markClientBound(res.Groups, names)
	width := len("group")
	for _, n := range names {
		width = max(width, utf8.RuneCountInString(n))
	}
	pad := func(s string) string { return s + strings.Repeat(" ", width-utf8.RuneCountInString(s)) }

	section := func(title string, header []string, row func(i int, g *results.GroupStats) []string) {
		fmt.Fprintf(cw, "\n%s\n%s\n", title, strings.Repeat("-", len(title)))
		tw := tabwriter.NewWriter(cw, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, pad("group")+"\t"+strings.Join(header, "\t")+"\t")
		for i := range res.Groups {
			fmt.Fprintln(tw, pad(names[i])+"\t"+strings.Join(row(i, &res.Groups[i]), "\t")+"\t")
		}
		tw.Flush()
	}
	distRow := func(d results.Dist) []string {
		return []string{distText(d, d.Mean, 1), distText(d, d.Min, 1), distText(d, d.Max, 1), distText(d, d.P50, 1), distText(d, d.P95, 1)}
	}
	writeServing(cw, run, names)
	stats := []string{"mean", "min", "max", "median", "p95"}
	section("LATENCY (ms)", stats, func(_ int, g *results.GroupStats) []string { return distRow(g.LatencyMs) })
	section("TIME TO FIRST TOKEN (ms)", stats, func(_ int, g *results.GroupStats) []string { return distRow(g.TTFTMs) })
	// Completed requests per second (request_throughput) is the
	// throughput; open-loop groups also show the rate requests were sent
	// at against the target, labelled as sent.
	open := anyOpenLoop(res.Groups)
	throughputHeader := []string{"tokens/s mean", "tokens/s p50", "aggregate tok/s", "completed req/s"}
	if open {
		throughputHeader = []string{"tokens/s mean", "tokens/s p50", "aggregate tok/s", "sent req/s / target", "completed req/s"}
	}
	section("THROUGHPUT", throughputHeader, func(_ int, g *results.GroupStats) []string {
		row := []string{distText(g.TokensPerSec, g.TokensPerSec.Mean, 1), distText(g.TokensPerSec, g.TokensPerSec.P50, 1), fnum(g.Throughput, 1)}
		if open {
			row = append(row, sendText(g))
		}
		return append(row, fnum(g.RequestThroughput, 2))
	})
	// A merged level whose shards did not send together is not the
	// configured load: say so under the table, on that level.
	for i := range res.Groups {
		if note := shardNote(&res.Groups[i]); note != "" {
			for _, line := range wrapWords("  "+names[i]+":", strings.Fields(note), "    ", consoleWidth) {
				fmt.Fprintln(cw, line)
			}
		}
	}
	section("SUCCESS RATE", []string{"ok/count", "success", "failures"}, func(_ int, g *results.GroupStats) []string {
		rate := 0.0
		if g.Count > 0 {
			rate = float64(g.Successes) / float64(g.Count)
		}
		return []string{strconv.Itoa(g.Successes) + "/" + strconv.Itoa(g.Count), fshare(rate), strconv.Itoa(g.Failures)}
	})
	// Failures by class are a list under the table, wrapped, never clipped.
	for i := range res.Groups {
		if len(res.Groups[i].Errors) == 0 {
			continue
		}
		for _, line := range wrapWords("  "+names[i]+" failures:", sortedErrors(res.Groups[i].Errors), "    ", consoleWidth) {
			fmt.Fprintln(cw, line)
		}
	}
	// score.report_raw decides whether raw-content scores stand beside the
	// extracted ones.
	raw := run.Experiment == nil || run.Experiment.Score.ReportRaw
	accHeader := []string{"EM", "F1", "truncated", "agreement"}
	if raw {
		accHeader = []string{"EM", "F1", "raw EM", "raw F1", "truncated", "agreement"}
	}
	section("ACCURACY (%)", accHeader, func(_ int, g *results.GroupStats) []string {
		if raw {
			return []string{fnum(g.EM.Mean, 1), fnum(g.F1.Mean, 1), fnum(g.RawEM.Mean, 1), fnum(g.RawF1.Mean, 1), strconv.Itoa(g.Truncated), agreementText(g)}
		}
		return []string{fnum(g.EM.Mean, 1), fnum(g.F1.Mean, 1), strconv.Itoa(g.Truncated), agreementText(g)}
	})
	if anyAnswerBreakdown(res.Groups) {
		section("ACCURACY BY ANSWERABILITY (%, SQuAD v2)", []string{"HasAns n", "HasAns EM", "HasAns F1", "NoAns n", "NoAns EM", "NoAns F1"}, func(_ int, g *results.GroupStats) []string {
			return append(breakdownCells(g.HasAns), breakdownCells(g.NoAns)...)
		})
	}

	if len(res.Comparisons) > 0 {
		title := "SPEEDUP AND ACCURACY vs " + res.Baseline
		fmt.Fprintf(cw, "\n%s\n%s\n", title, strings.Repeat("-", len(title)))
		for i := range res.Comparisons {
			fmt.Fprintln(cw, "  "+verdictText(&res.Comparisons[i]))
		}
	}
	writeSweepConsole(cw, res.Sweep, run.Experiment)
	writeClientConsole(cw, res, names)
	if len(res.Checks) > 0 {
		fmt.Fprintf(cw, "\nCHECKS\n------\n")
		for _, c := range res.Checks {
			mark := "PASS"
			if !c.Passed {
				mark = "FAIL"
			}
			line := "  " + mark + "  " + c.Expr
			if c.Error != "" {
				line += "  (" + c.Error + ")"
			}
			fmt.Fprintln(cw, line)
		}
	}
	var warnings []string
	for i := range res.Groups {
		for _, w := range res.Groups[i].Warnings {
			warnings = append(warnings, names[i]+": "+w)
		}
	}
	warnings = append(warnings, res.Warnings...)
	if len(warnings) > 0 {
		fmt.Fprintf(cw, "\nWARNINGS\n--------\n")
		for _, w := range warnings {
			f := strings.Fields(w)
			for _, line := range wrapWords("  "+f[0], f[1:], "    ", consoleWidth) {
				fmt.Fprintln(cw, line)
			}
		}
	}
	fmt.Fprintln(cw, rule)
	return cw.err
}

// errWriter remembers the first write error so the layout code stays flat.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return len(p), nil
	}
	n, err := e.w.Write(p)
	if err != nil {
		e.err = err
	}
	return n, nil
}

func centre(s string, width int) string {
	n := utf8.RuneCountInString(s)
	if n >= width {
		return s
	}
	return strings.Repeat(" ", (width-n)/2) + s
}

// wrapWords lays head followed by words out in lines of at most width
// runes, continuation lines starting with indent. A word longer than a line
// gets a line of its own rather than being cut.
func wrapWords(head string, words []string, indent string, width int) []string {
	var lines []string
	line := head
	for _, w := range words {
		if utf8.RuneCountInString(line)+1+utf8.RuneCountInString(w) > width && line != head && line != indent {
			lines = append(lines, line)
			line = indent
		}
		if line == indent {
			line += w
		} else {
			line += " " + w
		}
	}
	return append(lines, line)
}
