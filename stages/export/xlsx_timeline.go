package export

import (
	"math"
	"strconv"

	"github.com/xuri/excelize/v2"
)

// timelineSheetColumns are, per platform, the Timeline sheet's columns
// after the time: a column header is the platform's name and this.
var timelineSheetColumns = []struct {
	suffix string
	kind   valueKind
	get    func(timelineBin) any
}{
	{" in flight", kindNum, func(b timelineBin) any { return b.inFlight }},
	{" completions/s", kindNum, func(b timelineBin) any { return b.completions }},
	{" errors/s", kindNum, func(b timelineBin) any { return b.errors }},
	{" E2E p50 (ms)", kindMs, func(b timelineBin) any {
		if math.IsNaN(b.medianMs) {
			return nil // no completion: a gap in the chart
		}
		return b.medianMs
	}},
}

// writeTimeline writes the Timeline sheet: one row per bin of tl (the
// time its bin starts, in seconds from the first send), per platform the
// requests in flight, completions and errors per second and the median
// E2E latency of the requests finished in the bin; beside it three charts
// (in flight; completions and, dashed, errors per second; median latency)
// with one line per platform in its palette colour, each on a page of its
// own with the rows beside it. A run that sent nothing gets the header
// only.
func (b *book) writeTimeline(tl *timeline, pal *palette) error {
	t := &table{header: []string{"Time (s)"}, kinds: []valueKind{kindNum}, freezeCols: 1}
	if tl != nil {
		for _, p := range tl.platforms {
			for _, c := range timelineSheetColumns {
				t.header = append(t.header, p+c.suffix)
				t.kinds = append(t.kinds, c.kind)
			}
		}
		for i := range tl.bins[tl.platforms[0]] {
			row := []any{float64(i) * tl.bin}
			for _, p := range tl.platforms {
				for _, c := range timelineSheetColumns {
					row = append(row, c.get(tl.bins[p][i]))
				}
			}
			t.rows = append(t.rows, row)
		}
	}
	if err := b.writeTable(SheetTimeline, t); err != nil {
		return err
	}
	if tl == nil || len(t.rows) == 0 {
		return nil
	}
	if err := b.rememberChartCells(SheetTimeline, t); err != nil {
		return err
	}
	return b.placeCharts(SheetTimeline, chartsBeside(len(t.header)), timelineCharts(tl, pal, len(t.rows)))
}

// timelineCharts are the Timeline sheet's three charts over rows rows.
func timelineCharts(tl *timeline, pal *palette, rows int) []*excelize.Chart {
	col := func(p, c int) int { return 2 + p*len(timelineSheetColumns) + c }
	ref := func(c int) string {
		return absRef(SheetTimeline, c, 2) + ":" + absRef(SheetTimeline, c, rows+1)[len(SheetTimeline)+1:]
	}
	series := func(p, c int, dash bool) excelize.ChartSeries {
		line := excelize.LineOptions{Type: excelize.LineSolid, Width: 1.5}
		if dash {
			line.Dash = excelize.LineDashDash
		}
		return excelize.ChartSeries{Name: absRef(SheetTimeline, col(p, c), 1), Categories: ref(1), Values: ref(col(p, c)),
			Fill: solidFill(pal.platformHex(tl.platforms[p])), Line: line, Marker: excelize.ChartMarker{Symbol: "none"}}
	}
	zero := 0.0
	xTitle := "Seconds since the first request was sent"
	if tl.bin != 1 {
		xTitle += " (bins of " + strconv.FormatFloat(tl.bin, 'f', -1, 64) + " s)"
	}
	chart := func(title, yTitle string, cols ...int) *excelize.Chart {
		var ser []excelize.ChartSeries
		for p := range tl.platforms {
			for j, c := range cols {
				ser = append(ser, series(p, c, j > 0))
			}
		}
		return &excelize.Chart{Type: excelize.Scatter, Series: ser, Title: chartText(title, true, 12), Legend: chartLegend,
			XAxis: valueAxis(xTitle, &zero, nil), YAxis: valueAxis(yTitle, &zero, nil)}
	}
	return []*excelize.Chart{
		chart("Requests in flight", "Requests in flight (mean over the bin)", 0),
		chart("Completions and errors per second", "Requests/s", 1, 2),
		chart("Median E2E latency of the requests finished", "E2E p50 (ms)", 3),
	}
}
