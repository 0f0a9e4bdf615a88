package export

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/inferbench/inferbench/pipeline/results"
)

// upperBoundMark follows the name of a client-bound group in the console
// and report tables: its latencies are upper bounds.
const upperBoundMark = " (≤)"

// anyClient reports whether the client measured its health for a group.
func anyClient(groups []results.GroupStats) bool {
	for i := range groups {
		if groups[i].Client != nil {
			return true
		}
	}
	return false
}

// markClientBound appends upperBoundMark to the names of client-bound
// groups (names[i] names groups[i]).
func markClientBound(groups []results.GroupStats, names []string) []string {
	out := append([]string(nil), names...)
	for i := range groups {
		if groups[i].ClientBound {
			out[i] += upperBoundMark
		}
	}
	return out
}

// clientCells are a group's client figures as text: scheduler latency p99,
// CPU % of cores, send lag p50 and p99 ("-" for closed loop).
func clientCells(g *results.GroupStats) []string {
	h := g.Client
	if h == nil {
		return []string{missing, missing, missing, missing}
	}
	lag50, lag99 := missing, missing
	if h.SendLagN > 0 {
		lag50, lag99 = fnum(h.SendLagP50Ms, 2), fnum(h.SendLagP99Ms, 2)
	}
	return []string{fnum(h.SchedLatencyP99Ms, 2), fmt.Sprintf("%s%% of %s", fnum(h.CPUPercent, 0), fnum(h.Cores, 1)), lag50, lag99}
}

// clientBoundLines say which levels are client-bound and which sweep
// results rest on them.
func clientBoundLines(res *results.Results, names []string) []string {
	var out []string
	for i := range res.Groups {
		if g := &res.Groups[i]; g.ClientBound {
			out = append(out, fmt.Sprintf("%s is client-bound (%s): the client's own delay may be in its timings, which are upper bounds; lower the load or split it over machines with --shard", strings.TrimSuffix(names[i], upperBoundMark), g.ClientBoundReason))
		}
	}
	if sw := res.Sweep; sw != nil {
		for _, c := range sw.Curves {
			if c.Best != "" && c.BestClientBound {
				out = append(out, fmt.Sprintf("%s: the best level %s is client-bound, so its p99s are upper bounds", curveLabel(sw, c), c.Best))
			}
		}
	}
	return out
}

// writeClientConsole prints the client's health per group, when it was
// measured, and the client-bound levels.
func writeClientConsole(w io.Writer, res *results.Results, names []string) {
	if !anyClient(res.Groups) {
		return
	}
	title := "CLIENT HEALTH (this machine; (≤) = client-bound, latencies are upper bounds)"
	fmt.Fprintf(w, "\n%s\n%s\n", title, strings.Repeat("-", len("CLIENT HEALTH")))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "group\tsched p99 ms\tCPU\tsend lag p50 ms\tsend lag p99 ms\t")
	for i := range res.Groups {
		fmt.Fprintln(tw, names[i]+"\t"+strings.Join(clientCells(&res.Groups[i]), "\t")+"\t")
	}
	tw.Flush()
	for _, l := range clientBoundLines(res, names) {
		f := strings.Fields(l)
		for _, line := range wrapWords("  CLIENT-BOUND: "+f[0], f[1:], "    ", consoleWidth) {
			fmt.Fprintln(w, line)
		}
	}
}

// clientSection is the report's Client health section; ok is false when
// the client's health was not measured.
func clientSection(res *results.Results) (reportSection, bool) {
	if !anyClient(res.Groups) {
		return reportSection{}, false
	}
	s := reportSection{Title: "Client health"}
	s.Paragraphs = []string{"What the benchmarking machine measured of itself while each level ran: the Go scheduler latency p99 (ms), the process's CPU use against the cores it may use, and, for open-loop levels, the lag between each request's scheduled and actual send (ms). A level above a `client:` threshold is client-bound, marked (≤): its latencies are upper bounds, since part of them may be the client's own delay."}
	names := labels(res.Groups)
	t := reportTable{
		Header: []string{"Group", "Sched p99 (ms)", "CPU", "Send lag p50 (ms)", "Send lag p99 (ms)", "Client-bound"},
		Right:  []bool{false, true, true, true, true, false},
	}
	for i := range res.Groups {
		g := &res.Groups[i]
		bound := "no"
		if g.ClientBound {
			bound = "yes: " + g.ClientBoundReason
		}
		t.Rows = append(t.Rows, append(append([]string{names[i]}, clientCells(g)...), bound))
	}
	s.Tables = append(s.Tables, t)
	s.Bullets = clientBoundLines(res, names)
	return s, true
}

// clientColumns are the summary columns of the client's health, present
// only when it was measured.
func clientColumns(res *results.Results) []column {
	if !anyClient(res.Groups) {
		return nil
	}
	fig := func(f func(h *results.ClientHealth) any) func(*results.GroupStats, *results.Comparison) any {
		return func(g *results.GroupStats, _ *results.Comparison) any {
			if g.Client == nil {
				return nil
			}
			return f(g.Client)
		}
	}
	return []column{
		{"client_bound", kindBool, betterNone, func(g *results.GroupStats, _ *results.Comparison) any { return g.ClientBound }},
		{"client_bound_reason", kindText, betterNone, func(g *results.GroupStats, _ *results.Comparison) any { return g.ClientBoundReason }},
		{"client_sched_latency_p99_ms", kindMs, betterNone, fig(func(h *results.ClientHealth) any { return h.SchedLatencyP99Ms })},
		{"client_cpu_pct", kindNum, betterNone, fig(func(h *results.ClientHealth) any { return h.CPUPercent })},
		{"client_cores", kindNum, betterNone, fig(func(h *results.ClientHealth) any { return h.Cores })},
		{"client_send_lag_p50_ms", kindMs, betterNone, fig(func(h *results.ClientHealth) any {
			if h.SendLagN == 0 {
				return nil
			}
			return h.SendLagP50Ms
		})},
		{"client_send_lag_p99_ms", kindMs, betterNone, fig(func(h *results.ClientHealth) any {
			if h.SendLagN == 0 {
				return nil
			}
			return h.SendLagP99Ms
		})},
		{"client_errors", kindInt, betterNone, func(g *results.GroupStats, _ *results.Comparison) any { return g.ClientErrors }},
	}
}
