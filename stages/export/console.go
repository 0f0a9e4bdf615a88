package export

import (
	"fmt"
	"io"
	"slices"
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

// Console is the pipeline.Console of the built-in stages. By default it
// is compact, read at a glance: a header with the experiment name, the
// verdicts against the baseline (with the ratio of means in the
// homework's words) and the load sweep's crossovers first, then one table
// per concern with the groups as rows (LATENCY (ms), TIME TO FIRST TOKEN
// (ms), THROUGHPUT, SUCCESS RATE, ACCURACY (%)), the checks, the
// client-bound levels and the warnings grouped by kind. export.detail
// (the --detail flag) adds the per-group block of vLLM's bench serve and
// the client health table. Every line but a verdict fits in 100 columns.
// It fails only when run has no Results or w fails.
func Console(w io.Writer, run *pipeline.Run) error {
	if run == nil || run.Results == nil {
		return errNoResults
	}
	v := newConsoleView(w, run)
	v.header()
	v.verdicts()
	if v.legend {
		writeLegend(v.w, v.res.Groups, v.names)
	}
	if v.detail {
		writeServing(v.w, run, v.names)
	}
	v.timingTables()
	v.throughputTable()
	v.successTable()
	v.accuracyTables()
	if v.detail {
		writeClientConsole(v.w, v.res, v.names)
	}
	v.checks()
	v.warnings()
	fmt.Fprintln(v.w, strings.Repeat("=", consoleWidth))
	return v.w.err
}

// consoleView is what every console section needs: the writer, the run's
// results and the groups' row labels.
type consoleView struct {
	w      *errWriter
	run    *pipeline.Run
	res    *results.Results
	names  []string // row labels, client-bound ones marked (≤)
	plain  []string // row labels unmarked, as the legend gives them
	legend bool     // the labels are letters that need the GROUPS legend
	width  int      // of the label column
	detail bool     // export.detail: the full vLLM-style block too
}

func newConsoleView(w io.Writer, run *pipeline.Run) *consoleView {
	v := &consoleView{w: &errWriter{w: w}, run: run, res: run.Results}
	v.plain, v.legend = consoleLabels(v.res.Groups)
	v.names = markClientBound(v.res.Groups, slices.Clone(v.plain))
	v.width = len("group")
	for _, n := range v.names {
		v.width = max(v.width, utf8.RuneCountInString(n))
	}
	v.detail = run.Experiment != nil && run.Experiment.Export.Detail
	return v
}

// header prints the experiment's name, the run and its baseline between rules.
func (v *consoleView) header() {
	rule := strings.Repeat("=", consoleWidth)
	fmt.Fprintln(v.w, rule)
	head := "INFERBENCH COMPARISON: " + v.res.Experiment
	sub := "run " + v.res.RunID
	if v.res.Baseline != "" {
		sub += ", baseline " + v.res.Baseline
	}
	if v.res.StopReason != "" && v.res.StopReason != runfolder.StopCompleted {
		sub += ", stopped: " + v.res.StopReason
	}
	if line := head + " (" + sub + ")"; !v.detail && utf8.RuneCountInString(line) <= consoleWidth {
		fmt.Fprintf(v.w, "%s\n", centre(line, consoleWidth)) // compact: one line
	} else {
		fmt.Fprintf(v.w, "%s\n%s\n", centre(head, consoleWidth), centre(sub, consoleWidth))
	}
	fmt.Fprintln(v.w, rule)
	if f := failureText(v.res); f != "" {
		v.wrapped("FAILED:", f)
	}
}

// title prints a section title under a blank line.
func (v *consoleView) title(t string) {
	fmt.Fprintf(v.w, "\n%s\n", t)
	if v.detail {
		fmt.Fprintln(v.w, strings.Repeat("-", utf8.RuneCountInString(t)))
	}
}

// table prints a titled table with one row per group.
func (v *consoleView) table(title string, header []string, row func(g *results.GroupStats) []string) {
	v.title(title)
	pad := func(s string) string { return s + strings.Repeat(" ", v.width-utf8.RuneCountInString(s)) }
	tw := tabwriter.NewWriter(v.w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, pad("group")+"\t"+strings.Join(header, "\t")+"\t")
	for i := range v.res.Groups {
		fmt.Fprintln(tw, pad(v.names[i])+"\t"+strings.Join(row(&v.res.Groups[i]), "\t")+"\t")
	}
	tw.Flush()
}

// wrapped prints the words of text after head, wrapped in consoleWidth.
func (v *consoleView) wrapped(head, text string) {
	for _, line := range wrapWords(head, strings.Fields(text), "    ", consoleWidth) {
		fmt.Fprintln(v.w, line)
	}
}

// checks prints every check with PASS or FAIL.
func (v *consoleView) checks() {
	if len(v.res.Checks) == 0 {
		return
	}
	v.title("CHECKS")
	for _, c := range v.res.Checks {
		mark := "PASS"
		if !c.Passed {
			mark = "FAIL"
		}
		line := "  " + mark + "  " + c.Expr
		if c.Error != "" {
			line += "  (" + c.Error + ")"
		}
		fmt.Fprintln(v.w, line)
	}
}

// clientBound says in one line which levels are client-bound (marked
// (≤)), "" when none is; the reasons and the client health table are in
// the detailed console and the report.
func (v *consoleView) clientBound() string {
	var bound []string
	for i := range v.res.Groups {
		if v.res.Groups[i].ClientBound {
			bound = append(bound, v.plain[i])
		}
	}
	if len(bound) == 0 {
		return ""
	}
	return "CLIENT-BOUND (≤), latencies are upper bounds (--detail says why): " + strings.Join(bound, ", ")
}

// warnings prints the client-bound levels (compact console), the groups'
// warnings grouped by kind (see groupWarnings), then the run's.
func (v *consoleView) warnings() {
	lines := append(groupWarnings(v.res.Groups, v.plain), v.res.Warnings...)
	if b := v.clientBound(); b != "" && !v.detail {
		lines = append([]string{b}, lines...)
	}
	if len(lines) == 0 {
		return
	}
	v.title("WARNINGS")
	for _, w := range lines {
		v.wrapped("  -", w)
	}
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
