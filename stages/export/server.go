package export

import (
	"github.com/inferbench/inferbench/pipeline/results"
)

// anyServer reports whether a group has the server's own figures (a
// metrics endpoint was scraped while its level ran).
func anyServer(groups []results.GroupStats) bool {
	for i := range groups {
		if groups[i].ServerMetrics != nil {
			return true
		}
	}
	return false
}

// serverFigure is one of the server's per-level figures.
type serverFigure struct {
	column, header string
	kind           valueKind
	get            func(m *results.ServerMetrics) *float64
}

// serverFigures are the server's figures in column order.
var serverFigures = []serverFigure{
	{"server_running_mean", "Running mean", kindNum, func(m *results.ServerMetrics) *float64 { return m.RunningMean }},
	{"server_running_max", "Running max", kindNum, func(m *results.ServerMetrics) *float64 { return m.RunningMax }},
	{"server_waiting_mean", "Waiting mean", kindNum, func(m *results.ServerMetrics) *float64 { return m.WaitingMean }},
	{"server_waiting_max", "Waiting max", kindNum, func(m *results.ServerMetrics) *float64 { return m.WaitingMax }},
	{"server_kv_cache_usage_mean", "KV cache mean", kindShare, func(m *results.ServerMetrics) *float64 { return m.KVCacheUsageMean }},
	{"server_kv_cache_usage_max", "KV cache max", kindShare, func(m *results.ServerMetrics) *float64 { return m.KVCacheUsageMax }},
	{"server_preemptions", "Preemptions", kindNum, func(m *results.ServerMetrics) *float64 { return m.Preemptions }},
	{"server_prefix_cache_hit_rate", "Prefix-cache hits", kindShare, func(m *results.ServerMetrics) *float64 { return m.PrefixCacheHitRate }},
}

// serverColumns are the summary columns of the server's figures, present
// only when a group has them: empty for a group without scrapes, "-"
// for a figure its server does not expose.
func serverColumns(res *results.Results) []column {
	if !anyServer(res.Groups) {
		return nil
	}
	cols := []column{{"server_samples", kindInt, betterNone, func(g *results.GroupStats, _ *results.Comparison) any {
		if g.ServerMetrics == nil {
			return nil
		}
		return g.ServerMetrics.Samples
	}}}
	for _, f := range serverFigures {
		get := f.get
		cols = append(cols, column{f.column, f.kind, betterNone, func(g *results.GroupStats, _ *results.Comparison) any {
			if g.ServerMetrics == nil {
				return nil
			}
			if v := get(g.ServerMetrics); v != nil {
				return *v
			}
			return missing // the server does not expose it
		}})
	}
	return cols
}

// serverCell formats one figure for the report ("-" when missing).
func serverCell(f serverFigure, m *results.ServerMetrics) string {
	if m == nil {
		return missing
	}
	v := f.get(m)
	switch {
	case v == nil:
		return missing
	case f.kind == kindShare:
		return fnum(100**v, 1) + "%"
	default:
		return fnum(*v, 1)
	}
}

// serverSection is the report's Server metrics section; ok is false when
// no group has the server's figures.
func serverSection(res *results.Results) (reportSection, bool) {
	if !anyServer(res.Groups) {
		return reportSection{}, false
	}
	s := reportSection{Title: "Server metrics"}
	s.Paragraphs = []string{"What the server said of itself (its Prometheus metrics endpoint, metrics_url, scraped every metrics_interval while each level sent; server_metrics.jsonl keeps every scrape): requests running in its batch and waiting in its queue, the share of its KV cache in use, how many requests it preempted and the share of prompt tokens its prefix cache served, over the level. Every model of a platform shares its server's figures. A queue that grows while the KV cache is full explains a knee in the client's latencies."}
	names := labels(res.Groups)
	t := reportTable{Header: []string{"Group", "Scrapes"}, Right: []bool{false, true}}
	for _, f := range serverFigures {
		t.Header = append(t.Header, f.header)
		t.Right = append(t.Right, true)
	}
	for i := range res.Groups {
		m := res.Groups[i].ServerMetrics
		row := []string{names[i], missing}
		if m != nil {
			row[1] = fnum(float64(m.Samples), 0)
		}
		for _, f := range serverFigures {
			row = append(row, serverCell(f, m))
		}
		t.Rows = append(t.Rows, row)
	}
	s.Tables = append(s.Tables, t)
	return s, true
}
