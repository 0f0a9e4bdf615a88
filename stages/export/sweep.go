package export

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/results"
	"github.com/xuri/excelize/v2"
)

// Sweep plot file names, written next to report.md when a platform runs
// several load levels.
const (
	PlotSweepLatency   = "sweep_latency_throughput.svg"
	PlotSweepTTFT      = "sweep_ttft.svg"
	PlotSweepTPOT      = "sweep_tpot.svg"
	PlotSweepErrorRate = "sweep_error_rate.svg"
)

// curveLabel names a sweep curve: the platform, plus the model when the
// platform has several and the temperature when the run has several.
func curveLabel(sw *results.SweepResults, c results.SweepCurve) string {
	models := map[string]map[string]bool{}
	temps := map[float64]bool{}
	for _, x := range sw.Curves {
		if models[x.Platform] == nil {
			models[x.Platform] = map[string]bool{}
		}
		models[x.Platform][x.Model] = true
		temps[x.Temperature] = true
	}
	s := c.Platform
	if len(models[c.Platform]) > 1 {
		s += "/" + c.Model
	}
	if len(temps) > 1 {
		s += " t=" + strconv.FormatFloat(c.Temperature, 'g', -1, 64)
	}
	return s
}

// closedLoopOnly reports whether every point of every curve ran closed
// loop, so that concurrency is the load axis; otherwise the achieved
// request rate is.
func closedLoopOnly(sw *results.SweepResults) bool {
	for _, c := range sw.Curves {
		for _, p := range c.Points {
			if p.TargetRate > 0 || p.Concurrency <= 0 {
				return false
			}
		}
	}
	return true
}

// loadAxis returns the load axis title and a point's value on it.
func loadAxis(sw *results.SweepResults) (string, func(p results.SweepPoint) float64) {
	if closedLoopOnly(sw) {
		return "concurrency (requests in flight)", func(p results.SweepPoint) float64 { return float64(p.Concurrency) }
	}
	return "send rate (sent req/s)", func(p results.SweepPoint) float64 { return p.SendRate }
}

// sweepSection is the report's load-curve part: crossovers and best
// levels in words, then one row per curve and level.
func sweepSection(sw *results.SweepResults, slo config.SLOSpec) reportSection {
	s := reportSection{Title: "Load sweep"}
	s.Paragraphs = []string{"Each platform ran its load levels one after the other; every level is its own group. Request throughput counts completed requests per second of sending time; latencies in ms at p50 and p99. The crossover compares median E2E latency with the baseline at the levels both ran with a successful request, and names them. A closed-loop level is saturated past the knee when its request throughput grew little over the previous level's while its median E2E grew much (load.knee_throughput_gain, load.knee_latency_growth). The best level within the SLO also fails at most slo.max_error_rate of its requests. A level marked (≤) was client-bound: its latencies are upper bounds."}
	for _, x := range sw.Crossovers {
		s.Bullets = append(s.Bullets, "**"+mdText(x.Statement)+"**")
	}
	sloSet := slo.Set()
	for _, c := range sw.Curves {
		name := curveLabel(sw, c)
		switch {
		case !sloSet:
		case c.Best != "":
			s.Bullets = append(s.Bullets, fmt.Sprintf("%s: best level within the SLO is %s (highest request throughput with p99 within every SLO, at most %s of requests failed, not saturated)", name, c.Best, fshare(slo.MaxErrorRate)))
		default:
			s.Bullets = append(s.Bullets, name+": no level meets the SLO at p99")
		}
	}
	for _, c := range sw.Curves {
		if k := kneeLevel(c); k != nil {
			s.Bullets = append(s.Bullets, fmt.Sprintf("%s: knee at %s, %s", curveLabel(sw, c), k.Load, k.SaturatedReason))
		}
	}
	t := reportTable{
		Header: []string{"Curve", "Level", "Concurrency", "Target req/s", "Completed req/s", "Tok/s", "TTFT p50", "TTFT p99", "TPOT p50", "TPOT p99", "E2E p50", "E2E p99", "Goodput", "Errors", "Saturated"},
		Right:  []bool{false, false, true, true, true, true, true, true, true, true, true, true, true, true, false},
	}
	for _, c := range sw.Curves {
		name := curveLabel(sw, c)
		for _, p := range c.Points {
			conc, target := missing, missing
			if p.Concurrency > 0 {
				conc = strconv.Itoa(p.Concurrency)
			}
			if p.TargetRate > 0 {
				target = strconv.FormatFloat(p.TargetRate, 'g', -1, 64)
			}
			sat := "no"
			if p.SaturatedReason != "" {
				sat = p.SaturatedReason
			}
			level := p.Load
			if level == c.Best {
				level += " (best)"
			}
			if p.ClientBound {
				level += upperBoundMark
			}
			t.Rows = append(t.Rows, []string{name, level, conc, target, fnum(p.RequestThroughput, 2), fnum(p.TokenRate, 1),
				pointMs(p, p.TTFTP50), pointMs(p, p.TTFTP99), pointMs(p, p.TPOTP50), pointMs(p, p.TPOTP99), pointMs(p, p.E2EP50), pointMs(p, p.E2EP99),
				fshare(p.Goodput), fshare(p.ErrorRate), sat})
		}
	}
	s.Tables = append(s.Tables, t)
	return s
}

// pointMs renders a timing figure of p in ms, or missing when p had no
// successful request.
func pointMs(p results.SweepPoint, v float64) string {
	if p.Successes == 0 {
		return missing
	}
	return fnum(v, 1)
}

// sweepPlots draws the load curves: latency against throughput, TTFT and
// TPOT against load, error rate against load; one line per curve.
func sweepPlots(sw *results.SweepResults) ([]reportImage, error) {
	if sw == nil || len(sw.Curves) == 0 {
		return nil, nil
	}
	axis, x := loadAxis(sw)
	specs := []struct {
		file, alt, title, xl, yl string
		x, y                     func(p results.SweepPoint) float64
		// timing plots leave out levels without a successful request.
		timing bool
	}{
		{PlotSweepLatency, "Median E2E latency against request throughput, one curve per platform", "Latency vs throughput",
			"request throughput (completed req/s)", "E2E latency p50 (ms)",
			func(p results.SweepPoint) float64 { return p.RequestThroughput }, func(p results.SweepPoint) float64 { return p.E2EP50 }, true},
		{PlotSweepTTFT, "Median TTFT against load", "TTFT vs load", axis, "TTFT p50 (ms)", x,
			func(p results.SweepPoint) float64 { return p.TTFTP50 }, true},
		{PlotSweepTPOT, "Median TPOT against load", "TPOT vs load", axis, "TPOT p50 (ms)", x,
			func(p results.SweepPoint) float64 { return p.TPOTP50 }, true},
		{PlotSweepErrorRate, "Error rate against load", "Error rate vs load", axis, "error rate (%)", x,
			func(p results.SweepPoint) float64 { return 100 * p.ErrorRate }, false},
	}
	var out []reportImage
	for _, sp := range specs {
		p, err := curvePlot(sw, sp.title, sp.xl, sp.yl, sp.x, sp.y, sp.timing)
		if err != nil {
			return nil, fmt.Errorf("plot %s: %w", sp.file, err)
		}
		if p == nil {
			continue
		}
		svg, err := toSVG(p)
		if err != nil {
			return nil, fmt.Errorf("plot %s: %w", sp.file, err)
		}
		out = append(out, reportImage{File: sp.file, Alt: sp.alt, SVG: svg})
	}
	return out, nil
}

// curvePlot draws one line with points per curve, over the points that
// sent a request; a timing plot only over those that had a successful one.
func curvePlot(sw *results.SweepResults, title, xl, yl string, x, y func(results.SweepPoint) float64, timing bool) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xl
	p.Y.Label.Text = yl
	p.Legend.Top = true
	p.Legend.Left = true
	p.Legend.XOffs = vg.Points(6)
	drawn := false
	for i, c := range sw.Curves {
		var pts plotter.XYs
		for _, pt := range c.Points {
			if pt.Requests == 0 || (timing && pt.Successes == 0) {
				continue
			}
			pts = append(pts, plotter.XY{X: x(pt), Y: y(pt)})
		}
		if len(pts) == 0 {
			continue
		}
		l, s, err := plotter.NewLinePoints(pts)
		if err != nil {
			return nil, err
		}
		l.Color = plotutil.Color(i)
		l.Width = vg.Points(1.5)
		s.Color = plotutil.Color(i)
		s.Shape = draw.CircleGlyph{}
		p.Add(l, s)
		p.Legend.Add(curveLabel(sw, c), l, s)
		drawn = true
	}
	if !drawn {
		return nil, nil
	}
	p.Y.Min = 0
	// Headroom above the highest point keeps the legend (top left) clear.
	p.Y.Max *= 1 + 0.1*float64(len(sw.Curves)+1)
	p.Add(plotter.NewGrid())
	return p, nil
}

// writeSweepConsole prints the LOAD SWEEP section (sweepConsoleLines);
// nothing without a sweep.
func writeSweepConsole(w io.Writer, sw *results.SweepResults, exp *config.Experiment) {
	if sw == nil {
		return
	}
	fmt.Fprintf(w, "\nLOAD SWEEP\n----------\n")
	for _, l := range sweepConsoleLines(sw, exp) {
		fmt.Fprintln(w, "  "+l)
	}
}

// kneeLevel returns c's first level past the knee of its curve (see
// results.MarkKnees), nil when none is.
func kneeLevel(c results.SweepCurve) *results.SweepPoint {
	for i := range c.Points {
		if strings.HasPrefix(c.Points[i].SaturatedReason, results.KneeReason) {
			return &c.Points[i]
		}
	}
	return nil
}

// SheetSweep is the workbook sheet of the load curves, written after
// Charts only when a platform runs several load levels.
const SheetSweep = "Sweep"

// sweepColumns are the Sweep sheet's numeric columns after curve and
// level; "load" is the load axis of the charts (concurrency when every
// level ran closed loop, else the achieved request rate).
var sweepColumns = []figureColumn[results.SweepPoint]{
	{"Concurrency", kindInt, func(p results.SweepPoint) any { return nonZero(float64(p.Concurrency)) }},
	{"Target req/s", kindNum, func(p results.SweepPoint) any { return nonZero(p.TargetRate) }},
	{"Completed req/s", kindNum, func(p results.SweepPoint) any { return p.RequestThroughput }},
	{"Output tok/s", kindNum, func(p results.SweepPoint) any { return p.TokenRate }},
	{"TTFT p50 (ms)", kindMs, func(p results.SweepPoint) any { return timingCell(p, p.TTFTP50) }},
	{"TTFT p99 (ms)", kindMs, func(p results.SweepPoint) any { return timingCell(p, p.TTFTP99) }},
	{"TPOT p50 (ms)", kindMs, func(p results.SweepPoint) any { return timingCell(p, p.TPOTP50) }},
	{"TPOT p99 (ms)", kindMs, func(p results.SweepPoint) any { return timingCell(p, p.TPOTP99) }},
	{"E2E p50 (ms)", kindMs, func(p results.SweepPoint) any { return timingCell(p, p.E2EP50) }},
	{"E2E p99 (ms)", kindMs, func(p results.SweepPoint) any { return timingCell(p, p.E2EP99) }},
	{"Goodput", kindShare, func(p results.SweepPoint) any { return p.Goodput }},
	{"Error rate (%)", kindNum, func(p results.SweepPoint) any { return 100 * p.ErrorRate }},
}

// timingCell is a Sweep sheet timing cell: empty (a gap in the charts)
// for a level without a successful request.
func timingCell(p results.SweepPoint, v float64) any {
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
func (b *book) writeSweep(sw *results.SweepResults, client bool) error {
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
