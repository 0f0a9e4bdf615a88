package export

import (
	"strconv"

	"github.com/inferbench/inferbench/pipeline/results"
	"github.com/xuri/excelize/v2"
)

// chartColumns are the data columns of the Charts sheet, after the group
// label. Their headers are the category labels of the bar charts.
var chartColumns = []figureColumn[*results.GroupStats]{
	{"Latency p50 (ms)", kindMs, func(g *results.GroupStats) any { return chartValue(g.LatencyMs, g.LatencyMs.P50) }},
	{"Latency p95 (ms)", kindMs, func(g *results.GroupStats) any { return chartValue(g.LatencyMs, g.LatencyMs.P95) }},
	{"TTFT p50 (ms)", kindMs, func(g *results.GroupStats) any { return chartValue(g.TTFTMs, g.TTFTMs.P50) }},
	{"TTFT p95 (ms)", kindMs, func(g *results.GroupStats) any { return chartValue(g.TTFTMs, g.TTFTMs.P95) }},
	{"Output tokens/s (mean per request)", kindNum, func(g *results.GroupStats) any { return chartValue(g.TokensPerSec, g.TokensPerSec.Mean) }},
	{"F1 (%)", kindPct, func(g *results.GroupStats) any { return chartValue(g.F1, g.F1.Mean) }},
	{"Mean latency (ms)", kindMs, func(g *results.GroupStats) any { return chartValue(g.LatencyMs, g.LatencyMs.Mean) }},
}

// chartValue is v, a statistic of d, or nil when d has no values.
func chartValue(d results.Dist, v float64) any {
	if d.N == 0 {
		return nil
	}
	return v
}

// chartCol returns the 1-based Charts sheet column of the chartColumns
// entry name (the group label is column 1).
func chartCol(name string) int { return columnNumber(chartColumns, 2, name) }

// figureColumn is a numeric column of a sheet written from one value of S
// a row (the Charts and Sweep sheets).
type figureColumn[S any] struct {
	name string
	kind valueKind
	// get returns nil (an empty cell: no bar, no point) for a figure of
	// no values, such as the latency of a group without a successful
	// request.
	get func(S) any
}

// columnNumber returns the 1-based sheet column of the entry name of
// cols, whose first entry is column first.
func columnNumber[S any](cols []figureColumn[S], first int, name string) int {
	for i, c := range cols {
		if c.name == name {
			return first + i
		}
	}
	panic("export: no sheet column " + name)
}

// chartTextColor is the colour of every chart text (titles, axis labels,
// legend): Excel's default axis text is a light grey that is hard to read.
const chartTextColor = "262626"

// chartFont is the font of chart texts; bold for titles.
func chartFont(bold bool, size float64) excelize.Font {
	return excelize.Font{Color: chartTextColor, Bold: bold, Size: size, Family: "Calibri"}
}

// chartText is a title run in the chart text font.
func chartText(s string, bold bool, size float64) excelize.ChartTitle {
	f := chartFont(bold, size)
	return excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: s, Font: &f}}}
}

// chartLegend is every chart's legend: below the plot area, never on the
// data.
var chartLegend = excelize.ChartLegend{Position: "bottom", Font: &excelize.Font{Color: chartTextColor, Size: 9}}

// generalNumFmt labels an axis in the General format ("500", "0.5"), not
// in the number format of its cells ("500.00").
var generalNumFmt = excelize.ChartNumFmt{CustomNumFmt: "General"}

// valueAxis is a value axis from 0 (nil: from the data) up to max (nil:
// automatic), gridded, titled with its unit.
func valueAxis(title string, min, max *float64) excelize.ChartAxis {
	return excelize.ChartAxis{Minimum: min, Maximum: max, MajorGridLines: true, NumFmt: generalNumFmt,
		Font: chartFont(false, 9), Title: chartText(title, false, 10)}
}

// solidFill is a fill of one RGB hex colour.
func solidFill(hex string) excelize.Fill {
	return excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{hex}}
}

// absRef is the absolute reference of a cell of sheet ("Charts!$B$2").
func absRef(sheet string, col, row int) string {
	return sheet + "!$" + colName(col) + "$" + strconv.Itoa(row)
}

// writeCharts writes the chart data table (literal values, never
// formulas, so that a viewer that does not recalculate draws the same
// bars) and five native charts below it, each on a page of its own (see
// placeCharts). In the four bar charts every group is a series of its own
// colour (the palette's) over the statistics shown, the value axis starts
// at 0 and is titled with its unit; the scatter plots mean latency against
// F1, each group a marker of its colour, both axes from 0 (F1 up to 100).
func (b *book) writeCharts(res *results.Results, pal *palette) error {
	t := &table{header: []string{"group"}, kinds: []valueKind{kindText}, freezeCols: 1, wrapHeader: true}
	for _, c := range chartColumns {
		t.header = append(t.header, c.name)
		t.kinds = append(t.kinds, c.kind)
	}
	names := labels(res.Groups)
	for i := range res.Groups {
		row := []any{names[i]}
		for _, c := range chartColumns {
			row = append(row, c.get(&res.Groups[i]))
		}
		t.rows = append(t.rows, row)
	}
	if err := b.writeTable(SheetCharts, t); err != nil {
		return err
	}
	if err := b.rememberChartCells(SheetCharts, t); err != nil {
		return err
	}
	if len(res.Groups) == 0 {
		return nil
	}
	charts := groupBarCharts(res, pal)
	if c := latencyF1Chart(res, pal); c != nil {
		charts = append(charts, c)
	}
	return b.placeCharts(SheetCharts, chartsBelow(len(t.rows), fitWidths(t)), charts)
}

// groupBarCharts are the Charts sheet's bar charts: latency p50/p95, TTFT
// p50/p95, output tokens/s and F1 (up to 100), one series per group.
func groupBarCharts(res *results.Results, pal *palette) []*excelize.Chart {
	// bars: one series per group over the columns from..to of its row.
	bars := func(from, to int) []excelize.ChartSeries {
		s := make([]excelize.ChartSeries, len(res.Groups))
		for i := range s {
			r := i + 2
			s[i] = excelize.ChartSeries{Name: absRef(SheetCharts, 1, r),
				Categories: absRef(SheetCharts, from, 1) + ":" + absRef(SheetCharts, to, 1)[len(SheetCharts)+1:],
				Values:     absRef(SheetCharts, from, r) + ":" + absRef(SheetCharts, to, r)[len(SheetCharts)+1:],
				Fill:       solidFill(pal.hex(res.Groups[i].GroupKey))}
		}
		return s
	}
	// Bars start at zero: an axis fitted to 92.1 vs 92.3 makes a 0.2-point
	// F1 difference look like a factor of three.
	zero, hundred := 0.0, 100.0
	vary := false // colours come from the series, never from the data point
	barChart := func(title, yTitle string, from, to int, max *float64) *excelize.Chart {
		return &excelize.Chart{Type: excelize.Col, Series: bars(from, to), Title: chartText(title, true, 12),
			Legend: chartLegend, XAxis: excelize.ChartAxis{Font: chartFont(false, 9)}, YAxis: valueAxis(yTitle, &zero, max), VaryColors: &vary}
	}
	return []*excelize.Chart{
		barChart("Latency p50 / p95 by group", "Latency (ms)", chartCol("Latency p50 (ms)"), chartCol("Latency p95 (ms)"), nil),
		barChart("TTFT p50 / p95 by group", "TTFT (ms)", chartCol("TTFT p50 (ms)"), chartCol("TTFT p95 (ms)"), nil),
		barChart("Output tokens/s by group (mean per request)", "Tokens/s", chartCol("Output tokens/s (mean per request)"), chartCol("Output tokens/s (mean per request)"), nil),
		barChart("F1 by group", "F1 (%)", chartCol("F1 (%)"), chartCol("F1 (%)"), &hundred),
	}
}

// latencyF1Chart plots mean latency against F1, one marker per group with
// a latency; nil when no group has one.
func latencyF1Chart(res *results.Results, pal *palette) *excelize.Chart {
	var scatter []excelize.ChartSeries
	xCol, yCol := chartCol("Mean latency (ms)"), chartCol("F1 (%)")
	for i, g := range res.Groups {
		if g.LatencyMs.N == 0 {
			continue // no latency: no point, rather than one at 0 ms
		}
		r := i + 2
		scatter = append(scatter, excelize.ChartSeries{
			Name:       absRef(SheetCharts, 1, r),
			Categories: absRef(SheetCharts, xCol, r),
			Values:     absRef(SheetCharts, yCol, r),
			// An explicit fill: without one excelize writes an empty
			// marker shape, which LibreOffice draws as nothing.
			Marker: excelize.ChartMarker{Symbol: "circle", Size: 9, Fill: solidFill(pal.hex(g.GroupKey))},
		})
	}
	if len(scatter) == 0 {
		return nil
	}
	zero, hundred := 0.0, 100.0
	return &excelize.Chart{Type: excelize.Scatter, Series: scatter, Title: chartText("Mean latency vs F1 by group", true, 12),
		Legend: chartLegend, XAxis: valueAxis("Mean latency (ms)", &zero, nil), YAxis: valueAxis("F1 (%)", &zero, &hundred)}
}

// rememberChartCells records the cells of table t, as written on sheet,
// for the chart caches (see cacheChartValues): each cell's own text, so
// that cache and cell agree to the last digit. Sheets add to one map.
func (b *book) rememberChartCells(sheet string, t *table) error {
	if b.charts == nil {
		b.charts = chartCells{}
	}
	for c := range t.header {
		for r := 1; r <= len(t.rows)+1; r++ {
			v, err := b.f.GetCellValue(sheet, cellName(c+1, r), excelize.Options{RawCellValue: true})
			if err != nil {
				return err
			}
			b.charts[sheet+"!$"+colName(c+1)+"$"+strconv.Itoa(r)] = v
		}
	}
	return nil
}
