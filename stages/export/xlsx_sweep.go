package export

import (
	"fmt"
	"strconv"

	"github.com/inferbench/inferbench/pipeline"
	"github.com/xuri/excelize/v2"
)

// SheetSweep is the workbook sheet of the load curves, written after
// Charts only when a platform runs several load levels.
const SheetSweep = "Sweep"

// sweepColumns are the Sweep sheet's numeric columns after curve and
// level; "load" is the load axis of the charts (concurrency when every
// level ran closed loop, else the achieved request rate).
var sweepColumns = []figureColumn[pipeline.SweepPoint]{
	{"Concurrency", kindInt, func(p pipeline.SweepPoint) any { return nonZero(float64(p.Concurrency)) }},
	{"Target req/s", kindNum, func(p pipeline.SweepPoint) any { return nonZero(p.TargetRate) }},
	{"Completed req/s", kindNum, func(p pipeline.SweepPoint) any { return p.RequestThroughput }},
	{"Output tok/s", kindNum, func(p pipeline.SweepPoint) any { return p.TokenRate }},
	{"TTFT p50 (ms)", kindMs, func(p pipeline.SweepPoint) any { return timingCell(p, p.TTFTP50) }},
	{"TTFT p99 (ms)", kindMs, func(p pipeline.SweepPoint) any { return timingCell(p, p.TTFTP99) }},
	{"TPOT p50 (ms)", kindMs, func(p pipeline.SweepPoint) any { return timingCell(p, p.TPOTP50) }},
	{"TPOT p99 (ms)", kindMs, func(p pipeline.SweepPoint) any { return timingCell(p, p.TPOTP99) }},
	{"E2E p50 (ms)", kindMs, func(p pipeline.SweepPoint) any { return timingCell(p, p.E2EP50) }},
	{"E2E p99 (ms)", kindMs, func(p pipeline.SweepPoint) any { return timingCell(p, p.E2EP99) }},
	{"Goodput", kindShare, func(p pipeline.SweepPoint) any { return p.Goodput }},
	{"Error rate (%)", kindNum, func(p pipeline.SweepPoint) any { return 100 * p.ErrorRate }},
}

// timingCell is a Sweep sheet timing cell: empty (a gap in the charts)
// for a level without a successful request.
func timingCell(p pipeline.SweepPoint, v float64) any {
	if p.Successes == 0 {
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

// writeSweep writes the Sweep sheet: one row per curve and level (a
// curve's rows together, in the order its levels ran), then four native
// scatter charts with lines, one series per curve in the palette's colour
// of its index: latency against throughput, TTFT and TPOT against load,
// error rate against load. The values are cached into the chart parts
// like the Charts sheet's. With client figures (client, true when the
// client measured its health) each row also says whether its level was
// client-bound, and why, after Saturated.
func (b *book) writeSweep(sw *pipeline.SweepResults, client bool) error {
	axis, loadX := loadAxis(sw)
	t := &table{header: []string{"Curve", "Level", "Load (" + axis + ")"}, kinds: []valueKind{kindText, kindText, kindNum}, freezeCols: 2}
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
	type span struct {
		name     string
		from, to int
	} // sheet rows of a curve
	var spans []span
	for _, c := range sw.Curves {
		name := curveLabel(sw, c)
		from := len(t.rows) + 2
		for _, p := range c.Points {
			row := []any{name, p.Load, loadX(p)}
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
			spans = append(spans, span{name, from, len(t.rows) + 1})
		}
	}
	if err := b.writeTable(SheetSweep, t); err != nil {
		return err
	}
	if err := b.rememberChartCells(SheetSweep, t); err != nil {
		return err
	}
	if len(spans) == 0 {
		return nil
	}
	ref := func(col, from, to int) string {
		return SheetSweep + "!$" + colName(col) + "$" + strconv.Itoa(from) + ":$" + colName(col) + "$" + strconv.Itoa(to)
	}
	zero := 0.0
	dim := excelize.ChartDimension{Width: 640, Height: 380}
	legend := excelize.ChartLegend{Position: "bottom", Font: &excelize.Font{Color: chartTextColor, Size: 9}}
	curves := func(xCol, yCol int) []excelize.ChartSeries {
		out := make([]excelize.ChartSeries, len(spans))
		for i, s := range spans {
			fill := excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{groupColors[i%len(groupColors)]}}
			out[i] = excelize.ChartSeries{Name: SheetSweep + "!$A$" + strconv.Itoa(s.from),
				Categories: ref(xCol, s.from, s.to), Values: ref(yCol, s.from, s.to),
				Fill: fill, Line: excelize.LineOptions{Type: excelize.LineSolid, Width: 1.75},
				Marker: excelize.ChartMarker{Symbol: "circle", Size: 7, Fill: fill}}
		}
		return out
	}
	chart := func(title, xTitle, yTitle string, xCol, yCol int) *excelize.Chart {
		return &excelize.Chart{Type: excelize.Scatter, Series: curves(xCol, yCol), Title: chartText(title, true, 12),
			Dimension: dim, Legend: legend,
			XAxis: excelize.ChartAxis{Minimum: &zero, MajorGridLines: true, Font: chartFont(false, 9), Title: chartText(xTitle, false, 10)},
			YAxis: excelize.ChartAxis{Minimum: &zero, MajorGridLines: true, Font: chartFont(false, 9), Title: chartText(yTitle, false, 10)}}
	}
	below := len(t.rows) + 4
	at := func(col string, row int) string { return col + strconv.Itoa(row) }
	charts := []struct {
		at    string
		chart *excelize.Chart
	}{
		{at("A", below), chart("Latency vs throughput", "Request throughput (completed req/s)", "E2E latency p50 (ms)", sweepCol("Completed req/s"), sweepCol("E2E p50 (ms)"))},
		{at("J", below), chart("TTFT vs load", axis, "TTFT p50 (ms)", 3, sweepCol("TTFT p50 (ms)"))},
		{at("A", below+21), chart("TPOT vs load", axis, "TPOT p50 (ms)", 3, sweepCol("TPOT p50 (ms)"))},
		{at("J", below+21), chart("Error rate vs load", axis, "Error rate (%)", 3, sweepCol("Error rate (%)"))},
	}
	for _, c := range charts {
		if err := b.f.AddChart(SheetSweep, c.at, c.chart); err != nil {
			return fmt.Errorf("chart at %s: %w", c.at, err)
		}
	}
	return nil
}
