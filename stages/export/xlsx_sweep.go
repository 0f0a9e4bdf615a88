package export

import "github.com/inferbench/inferbench/pipeline/results"

// SheetSweep is the workbook sheet of the load curves, written after
// Charts only when a platform runs several load levels.
const SheetSweep = "Sweep"

// sweepColumns are the Sweep sheet's numeric columns after curve, level
// and load (the load axis of the charts, see levelAxisOf). Goodput and
// error rate are both percentages of the level's requests.
var sweepColumns = []figureColumn[results.SweepPoint]{
	{"Concurrency", kindInt, func(p results.SweepPoint) any { return nonZero(float64(p.Concurrency)) }},
	{"Target req/s", kindNum, func(p results.SweepPoint) any { return nonZero(p.TargetRate) }},
	{"Completed req/s", kindNum, func(p results.SweepPoint) any { return p.RequestThroughput }},
	{"Output tok/s", kindNum, func(p results.SweepPoint) any { return p.TokenRate }},
	{"TTFT p50 (ms)", kindMs, func(p results.SweepPoint) any { return timingCell(p.HasTimings(), p.TTFTP50) }},
	{"TTFT p99 (ms)", kindMs, func(p results.SweepPoint) any { return timingCell(p.HasTimings(), p.TTFTP99) }},
	{"TPOT p50 (ms)", kindMs, func(p results.SweepPoint) any { return timingCell(p.HasTPOT(), p.TPOTP50) }},
	{"TPOT p99 (ms)", kindMs, func(p results.SweepPoint) any { return timingCell(p.HasTPOT(), p.TPOTP99) }},
	{"E2E p50 (ms)", kindMs, func(p results.SweepPoint) any { return timingCell(p.HasTimings(), p.E2EP50) }},
	{"E2E p99 (ms)", kindMs, func(p results.SweepPoint) any { return timingCell(p.HasTimings(), p.E2EP99) }},
	{"Goodput (%)", kindPct, func(p results.SweepPoint) any { return 100 * p.Goodput }},
	{"Error rate (%)", kindPct, func(p results.SweepPoint) any { return 100 * p.ErrorRate }},
}

// timingCell is a Sweep sheet timing cell: v when the level has the
// figure (HasTimings, HasTPOT), else empty (a gap in the charts).
func timingCell(has bool, v float64) any {
	if !has {
		return nil
	}
	return v
}

func nonZero(v float64) any {
	if v == 0 {
		return nil
	}
	return v
}

// sweepCol returns the 1-based Sweep sheet column of a sweepColumns
// entry (curve, level and load come first).
func sweepCol(name string) int { return columnNumber(sweepColumns, 4, name) }

// sweepSpan is the sheet rows of one curve.
type sweepSpan struct {
	key      results.GroupKey
	name     string
	from, to int
}

// writeSweep writes the Sweep sheet: one row per curve and level (a
// curve's rows together, in the order its levels ran), the names of the
// chart series below it, then six native charts, each on a page of its
// own, one colour per curve (the palette's; a p99 series dashed): latency
// p50 and p99 against request throughput, then latency, throughput, TTFT,
// TPOT and error rate against the level. The values are cached into the
// chart parts like the Charts sheet's. With client figures (client, true
// when the client measured its health) each row also says whether its
// level was client-bound, and why, after Saturated.
func (b *book) writeSweep(sw *results.SweepResults, client bool, pal *palette) error {
	t, spans := sweepTable(sw, client)
	names := sweepSeriesNames(sw, spans)
	if err := b.writeTable(SheetSweep, t); err != nil {
		return err
	}
	// The series names sit below the table (a series takes its name from
	// a cell); the dimension covers them.
	first := len(t.rows) + 3
	for i, n := range names {
		if err := b.set(SheetSweep, 1, first+i, n); err != nil {
			return err
		}
	}
	if err := b.setDimension(SheetSweep, len(t.header), first+len(names)-1); err != nil {
		return err
	}
	if err := b.rememberChartCells(SheetSweep, t); err != nil {
		return err
	}
	for i, n := range names {
		b.charts[absRef(SheetSweep, 1, first+i)] = n
	}
	if len(spans) == 0 {
		return nil
	}
	c := sweepCharts{sw: sw, spans: spans, pal: pal, nameRow: first, axis: levelAxisOf(sw)}
	if b.labels == nil {
		b.labels = pointLabels{}
	}
	return b.placeCharts(SheetSweep, chartsBelow(len(t.rows)+len(names)+2, fitWidths(t)), c.all(b.labels))
}

// sweepTable is the Sweep sheet's table and the rows of each curve.
func sweepTable(sw *results.SweepResults, client bool) (*table, []sweepSpan) {
	axis := levelAxisOf(sw)
	loadKind := kindNum
	if closedLoopOnly(sw) {
		loadKind = kindInt
	}
	t := &table{header: []string{"Curve", "Level", "Load (" + axis.title + ")"}, kinds: []valueKind{kindText, kindText, loadKind}, freezeCols: 2, wrapHeader: true}
	for _, c := range sweepColumns {
		t.header = append(t.header, c.name)
		t.kinds = append(t.kinds, c.kind)
	}
	t.header = append(t.header, "Saturated")
	t.kinds = append(t.kinds, kindText)
	if client {
		t.header = append(t.header, "Client-bound", "Client-bound reason")
		t.kinds = append(t.kinds, kindBool, kindText)
	}
	var spans []sweepSpan
	for _, c := range sw.Curves {
		name := curveLabel(sw, c)
		from := len(t.rows) + 2
		for _, p := range c.Points {
			var load any = axis.x(p)
			if loadKind == kindInt {
				load = p.Concurrency
			}
			row := []any{name, p.Level, load}
			for _, col := range sweepColumns {
				row = append(row, col.get(p))
			}
			row = append(row, p.SaturatedReason)
			if client {
				row = append(row, p.ClientBound, p.ClientBoundReason)
			}
			t.rows = append(t.rows, row)
		}
		if len(c.Points) > 0 {
			spans = append(spans, sweepSpan{c.GroupKey, name, from, len(t.rows) + 1})
		}
	}
	return t, spans
}

// sweepSeriesNames are the chart series names: per curve, its name with
// p50 and with p99.
func sweepSeriesNames(sw *results.SweepResults, spans []sweepSpan) []string {
	var out []string
	for _, s := range spans {
		out = append(out, s.name+" p50", s.name+" p99")
	}
	return out
}
