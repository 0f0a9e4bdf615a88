package export

import (
	"slices"
	"strings"

	"github.com/inferbench/inferbench/pipeline/results"
	"github.com/xuri/excelize/v2"
)

// sweepCharts builds the Sweep sheet's charts.
type sweepCharts struct {
	sw    *results.SweepResults
	spans []sweepSpan
	pal   *palette
	// nameRow is the row of the first series name (curve 0 p50; curve i
	// p50 at nameRow+2i, p99 below it).
	nameRow int
	axis    levelAxis
}

// all returns the six charts in the order of the report's plots (five
// when no level has a TPOT, as in a non-streamed sweep), adding the level
// labels of the latency-throughput chart to labels.
func (c sweepCharts) all(labels pointLabels) []*excelize.Chart {
	e2e := [2]string{"E2E p50 (ms)", "E2E p99 (ms)"}
	charts := []*excelize.Chart{
		c.throughputChart(labels),
		c.levelChart("Latency vs load", "E2E latency (ms)", e2e[:]),
		c.levelChart("Throughput vs load", "Completed req/s", []string{"Completed req/s"}),
		c.levelChart("TTFT vs load", "TTFT (ms)", []string{"TTFT p50 (ms)", "TTFT p99 (ms)"}),
	}
	if c.anyTPOT() {
		charts = append(charts, c.levelChart("TPOT vs load", "TPOT (ms)", []string{"TPOT p50 (ms)", "TPOT p99 (ms)"}))
	}
	return append(charts, c.levelChart("Error rate vs load", "Error rate (%)", []string{"Error rate (%)"}))
}

// anyTPOT reports whether a level of the sweep has a TPOT figure.
func (c sweepCharts) anyTPOT() bool {
	for _, cv := range c.sw.Curves {
		for _, p := range cv.Points {
			if p.HasTPOT() {
				return true
			}
		}
	}
	return false
}

// ref is the absolute reference of column col over a span's rows.
func (c sweepCharts) ref(col int, s sweepSpan) string {
	return absRef(SheetSweep, col, s.from) + ":" + absRef(SheetSweep, col, s.to)[len(SheetSweep)+1:]
}

// series is one line of curve i for column col: named after the curve
// (one series per curve) or after the curve and its percentile (the
// second of two dashed), in the curve's colour, with x values xCol (0:
// the categories of a line chart, the level labels).
func (c sweepCharts) series(i, xCol int, col string, nth, of int) excelize.ChartSeries {
	s := c.spans[i]
	fill := solidFill(c.pal.hex(s.key))
	name := absRef(SheetSweep, 1, s.from)
	if of > 1 {
		name = absRef(SheetSweep, 1, c.nameRow+2*i+nth)
	}
	line := excelize.LineOptions{Type: excelize.LineSolid, Width: 1.75}
	symbol := "circle"
	if nth > 0 {
		line.Dash, symbol = excelize.LineDashDash, "triangle"
	}
	cats := c.ref(2, s)
	if xCol > 0 {
		cats = c.ref(xCol, s)
	}
	return excelize.ChartSeries{Name: name, Categories: cats, Values: c.ref(sweepCol(col), s), Fill: fill, Line: line,
		Marker: excelize.ChartMarker{Symbol: symbol, Size: 7, Fill: fill}}
}

// throughputChart plots latency p50 and p99 against request throughput,
// each p50 point labelled by its level (labels).
func (c sweepCharts) throughputChart(labels pointLabels) *excelize.Chart {
	var ser []excelize.ChartSeries
	for i, s := range c.spans {
		for j, col := range []string{"E2E p50 (ms)", "E2E p99 (ms)"} {
			ser = append(ser, c.series(i, sweepCol("Completed req/s"), col, j, 2))
		}
		labels[[2]string{ser[len(ser)-2].Categories, ser[len(ser)-2].Values}] = c.ref(2, s)
	}
	zero := 0.0
	return &excelize.Chart{Type: excelize.Scatter, Series: ser, Title: chartText("Latency vs throughput", true, 12), Legend: chartLegend,
		XAxis: valueAxis("Request throughput (completed req/s)", &zero, nil), YAxis: valueAxis("E2E latency (ms)", &zero, nil)}
}

// levelChart plots columns against the level. When every curve ran the
// same levels it is a line chart over the level labels, so that the axis
// is ticked at the levels and only there; otherwise a scatter against the
// load column (logarithmic when the levels span a decade).
func (c sweepCharts) levelChart(title, yTitle string, cols []string) *excelize.Chart {
	if c.axis.noun != "" && c.axis.noun != "load" {
		title = strings.Replace(title, "vs load", "vs "+c.axis.noun, 1) // "TTFT vs input length"
	}
	shared := c.sharedLevels()
	xCol := 3
	if shared {
		xCol = 0
	}
	var ser []excelize.ChartSeries
	for i := range c.spans {
		for j, col := range cols {
			ser = append(ser, c.series(i, xCol, col, j, len(cols)))
		}
	}
	zero := 0.0
	ch := &excelize.Chart{Type: excelize.Line, Series: ser, Title: chartText(title, true, 12), Legend: chartLegend,
		XAxis: excelize.ChartAxis{Font: chartFont(false, 9), Title: chartText(c.axis.title, false, 10)},
		YAxis: valueAxis(yTitle, &zero, nil)}
	if yTitle == "Error rate (%)" {
		one := 1.0 // no errors: an axis from 0 to 1 %, not a flat line at the top
		if c.maxErrorRate() == 0 {
			ch.YAxis.Maximum = &one
		}
	}
	if !shared {
		ch.Type = excelize.Scatter
		ch.XAxis = valueAxis("Load ("+c.axis.title+")", nil, nil)
		if lo, hi := c.loadRange(); lo > 0 && hi/lo >= logDecades {
			ch.XAxis.LogBase = 10
		} else {
			ch.XAxis.Minimum = &zero
		}
	}
	return ch
}

// sharedLevels reports whether every curve ran the same levels in the
// same order.
func (c sweepCharts) sharedLevels() bool {
	var first []string
	for i, cv := range c.sw.Curves {
		var ls []string
		for _, p := range cv.Points {
			ls = append(ls, p.Level)
		}
		if i == 0 {
			first = ls
		} else if !slices.Equal(ls, first) {
			return false
		}
	}
	return true
}

func (c sweepCharts) maxErrorRate() float64 {
	m := 0.0
	for _, cv := range c.sw.Curves {
		for _, p := range cv.Points {
			m = max(m, p.ErrorRate)
		}
	}
	return m
}

// loadRange is the smallest and largest positive load value.
func (c sweepCharts) loadRange() (lo, hi float64) {
	for _, cv := range c.sw.Curves {
		for _, p := range cv.Points {
			if v := c.axis.x(p); v > 0 {
				if lo == 0 || v < lo {
					lo = v
				}
				hi = max(hi, v)
			}
		}
	}
	return lo, hi
}
