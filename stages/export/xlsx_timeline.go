package export

import (
	"math"
	"slices"
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

// timelineServerColumns are, per platform whose metrics endpoint was
// scraped, the Timeline sheet's columns of the server's figures (see
// timeline.serverBins), after every platform's timelineSheetColumns.
var timelineServerColumns = []struct {
	suffix string
	kind   valueKind
	get    func(serverPoint) float64
}{
	{" server running", kindNum, func(p serverPoint) float64 { return p.running }},
	{" server waiting", kindNum, func(p serverPoint) float64 { return p.waiting }},
	{" server KV cache (%)", kindPct, func(p serverPoint) float64 { return p.kvPct }},
}

// serverPlatforms are the platforms of tl with scrapes, in tl's order.
func (tl *timeline) serverPlatforms() []string {
	var out []string
	for _, p := range tl.platforms {
		if len(tl.server[p]) > 0 {
			out = append(out, p)
		}
	}
	return out
}

// writeTimeline writes the Timeline sheet: one row per bin of tl (the
// time its bin starts, in seconds from the first send), per platform the
// requests in flight, completions and errors per second and the median
// E2E latency of the requests finished in the bin; beside it three charts
// (in flight; completions and, dashed, errors per second; median latency)
// with one line per platform in its palette colour, each on a page of its
// own with the rows beside it. When a platform's metrics endpoint was
// scraped, its requests running and waiting and its KV-cache usage (%)
// follow, the means of the scrapes in each bin (empty where none was),
// with two more charts (running and, dashed, waiting; KV cache); the
// sheet then prints its five charts alone, as strips two to a page. A run
// that sent nothing gets the header only.
func (b *book) writeTimeline(tl *timeline, pal *palette) error {
	t := timelineTable(tl)
	if err := b.writeTable(SheetTimeline, t); err != nil {
		return err
	}
	if tl == nil || len(t.rows) == 0 {
		return nil
	}
	if err := b.rememberChartCells(SheetTimeline, t); err != nil {
		return err
	}
	k := timelineChartKit{tl: tl, pal: pal, rows: len(t.rows)}
	server := k.serverCharts()
	if len(server) == 0 {
		return b.placeCharts(SheetTimeline, chartsBeside(len(t.header)), k.clientCharts())
	}
	// With the server's figures the table is too wide to print beside a
	// chart: the sheet prints its charts alone, as strips two to a page
	// sharing the time axis, like the report's timeline panels.
	charts := append(k.clientCharts(), server...)
	l := stripsBeside(len(t.header))
	if err := b.placeCharts(SheetTimeline, l, charts); err != nil {
		return err
	}
	return b.printChartsOnly(SheetTimeline, l, len(charts))
}

// timelineTable is the Timeline sheet's table of tl (nil: the header
// only).
func timelineTable(tl *timeline) *table {
	t := &table{header: []string{"Time (s)"}, kinds: []valueKind{kindNum}, freezeCols: 1}
	if tl == nil {
		return t
	}
	for _, p := range tl.platforms {
		for _, c := range timelineSheetColumns {
			t.header = append(t.header, p+c.suffix)
			t.kinds = append(t.kinds, c.kind)
		}
	}
	servers := tl.serverPlatforms()
	server := map[string][]serverPoint{}
	for _, p := range servers {
		server[p] = tl.serverBins(p)
		for _, c := range timelineServerColumns {
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
		for _, p := range servers {
			for _, c := range timelineServerColumns {
				if v := c.get(server[p][i]); !math.IsNaN(v) {
					row = append(row, v)
				} else {
					row = append(row, nil) // no scrape in the bin: a gap
				}
			}
		}
		t.rows = append(t.rows, row)
	}
	return t
}

// timelineChartKit builds the Timeline sheet's charts of tl over rows
// rows: scatter charts of lines over the time column (A), both axes from
// 0, one line per platform and figure in the platform's colour.
type timelineChartKit struct {
	tl   *timeline
	pal  *palette
	rows int
}

// ref is the reference of column c's values.
func (k timelineChartKit) ref(c int) string {
	return absRef(SheetTimeline, c, 2) + ":" + absRef(SheetTimeline, c, k.rows+1)[len(SheetTimeline)+1:]
}

// series is the line of column col in platform p's colour, dashed when
// dash.
func (k timelineChartKit) series(col int, p string, dash bool) excelize.ChartSeries {
	line := excelize.LineOptions{Type: excelize.LineSolid, Width: 1.5}
	if dash {
		line.Dash = excelize.LineDashDash
	}
	return excelize.ChartSeries{Name: absRef(SheetTimeline, col, 1), Categories: k.ref(1), Values: k.ref(col),
		Fill: solidFill(k.pal.platformHex(p)), Line: line, Marker: excelize.ChartMarker{Symbol: "none"}}
}

// chart is a chart of ser titled title, its y axis titled yTitle.
func (k timelineChartKit) chart(title, yTitle string, ser []excelize.ChartSeries) *excelize.Chart {
	zero := 0.0
	xTitle := "Seconds since the first request was sent"
	if k.tl.bin != 1 {
		xTitle += " (bins of " + strconv.FormatFloat(k.tl.bin, 'f', -1, 64) + " s)"
	}
	return &excelize.Chart{Type: excelize.Scatter, Series: ser, Title: chartText(title, true, 12), Legend: chartLegend,
		XAxis: valueAxis(xTitle, &zero, nil), YAxis: valueAxis(yTitle, &zero, nil)}
}

// clientCharts are the three charts of the client's columns.
func (k timelineChartKit) clientCharts() []*excelize.Chart {
	chart := func(title, yTitle string, cols ...int) *excelize.Chart {
		var ser []excelize.ChartSeries
		for p, name := range k.tl.platforms {
			for j, c := range cols {
				ser = append(ser, k.series(2+p*len(timelineSheetColumns)+c, name, j > 0))
			}
		}
		return k.chart(title, yTitle, ser)
	}
	return []*excelize.Chart{
		chart("Requests in flight", "Requests in flight (mean over the bin)", 0),
		chart("Completions and errors per second", "Requests/s", 1, 2),
		chart("Median E2E latency of the requests finished", "E2E p50 (ms)", 3),
	}
}

// serverCharts are the charts of the server's columns, with the titles
// of the timeline's server panels: none without scrapes, and a line only
// for a figure the server said. Blank bins (no scrape) are spanned, so
// that a line runs from one scrape to the next as in the SVG.
func (k timelineChartKit) serverCharts() []*excelize.Chart {
	first := 2 + len(k.tl.platforms)*len(timelineSheetColumns)
	chart := func(title, yTitle string, cols ...int) *excelize.Chart {
		var ser []excelize.ChartSeries
		for p, name := range k.tl.serverPlatforms() {
			bins := k.tl.serverBins(name)
			for j, c := range cols {
				if !slices.ContainsFunc(bins, func(sp serverPoint) bool { return !math.IsNaN(timelineServerColumns[c].get(sp)) }) {
					continue // the server does not say it
				}
				ser = append(ser, k.series(first+p*len(timelineServerColumns)+c, name, j > 0))
			}
		}
		if len(ser) == 0 {
			return nil
		}
		ch := k.chart(title, yTitle, ser)
		ch.ShowBlanksAs = "span"
		return ch
	}
	var out []*excelize.Chart
	for _, c := range []*excelize.Chart{
		chart(serverPanels[0].title, "Requests", 0, 1),
		chart(serverPanels[1].title, serverPanels[1].yl, 2),
	} {
		if c != nil {
			out = append(out, c)
		}
	}
	return out
}
