package export

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/inferbench/inferbench/pipeline/results"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Sweep plot file names, written next to report.md when a platform runs
// several load levels.
const (
	PlotSweepLatency      = "sweep_latency_throughput.svg"
	PlotSweepLevelLatency = "sweep_latency.svg"
	PlotSweepThroughput   = "sweep_throughput.svg"
	PlotSweepTTFT         = "sweep_ttft.svg"
	PlotSweepTPOT         = "sweep_tpot.svg"
	PlotSweepErrorRate    = "sweep_error_rate.svg"
)

// levelAxis is the x axis of the plots against the load level.
type levelAxis struct {
	title string
	x     func(results.SweepPoint) float64
	// atLevels puts the ticks at the levels' values (and only there).
	atLevels bool
	// noun names the axis in the plots' titles ("load", "input length").
	noun string
}

// levelAxisOf is concurrency when every level ran closed loop, the target
// rate when every level has one, else the achieved send rate (a sweep
// profile mixes closed and open loop) with ordinary ticks.
//
// Levels that differ by their prompts' length (sample groups at one
// load each) are drawn against the input length instead.
func levelAxisOf(sw *results.SweepResults) levelAxis {
	if lengthLevels(sw) {
		return levelAxis{"input length (tokens)", func(p results.SweepPoint) float64 { return float64(p.InputTokens) }, true, "input length"}
	}
	if closedLoopOnly(sw) {
		return levelAxis{"concurrency (requests in flight)", func(p results.SweepPoint) float64 { return float64(p.Concurrency) }, true, "load"}
	}
	rated := true
	for _, c := range sw.Curves {
		for _, p := range c.Points {
			rated = rated && p.TargetRate > 0
		}
	}
	if rated {
		return levelAxis{"target rate (req/s)", func(p results.SweepPoint) float64 { return p.TargetRate }, true, "load"}
	}
	return levelAxis{"send rate (sent req/s)", func(p results.SweepPoint) float64 { return p.SendRate }, false, "load"}
}

// lengthLevels reports whether every curve's levels are sample groups of
// distinct input lengths (each point has one, no curve repeats one), so
// that the input length is the x axis.
func lengthLevels(sw *results.SweepResults) bool {
	varies := false
	for _, c := range sw.Curves {
		seen := map[int]bool{}
		for _, p := range c.Points {
			if p.InputTokens <= 0 || seen[p.InputTokens] {
				return false
			}
			seen[p.InputTokens] = true
		}
		varies = varies || len(seen) > 1
	}
	return varies
}

// logDecades is the ratio of the largest to the smallest level from which
// the level axis is logarithmic.
const logDecades = 10

// apply sets p's x axis: ticks at the levels, a log scale when the levels
// span a decade or more, else a linear one from 0.
func (a levelAxis) apply(p *plot.Plot, sw *results.SweepResults) {
	p.X.Label.Text = a.title
	var vals []float64
	for _, c := range sw.Curves {
		for _, pt := range c.Points {
			if v := a.x(pt); v > 0 {
				vals = append(vals, v)
			}
		}
	}
	if len(vals) == 0 {
		return
	}
	slices.Sort(vals)
	vals = slices.Compact(vals)
	lo, hi := vals[0], vals[len(vals)-1]
	var ticks []plot.Tick
	for _, v := range vals {
		ticks = append(ticks, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'g', -1, 64)})
	}
	if hi/lo >= logDecades {
		p.X.Scale = plot.LogScale{}
		p.X.Min, p.X.Max = lo/1.3, hi*1.3
		p.X.Tick.Marker = plot.LogTicks{Prec: -1}
		if a.atLevels {
			p.X.Tick.Marker = plot.ConstantTicks(ticks)
		}
		return
	}
	p.X.Min, p.X.Max = 0, hi*1.08
	if a.atLevels {
		p.X.Tick.Marker = plot.ConstantTicks(append([]plot.Tick{{Value: 0, Label: "0"}}, ticks...))
	}
}

// curveSeries is one line drawn per curve: a figure of its points.
type curveSeries struct {
	// suffix names the figure in the legend (" p50"); "" for one series.
	suffix string
	y      func(results.SweepPoint) float64
}

var (
	e2eSeries  = []curveSeries{{" p50", func(p results.SweepPoint) float64 { return p.E2EP50 }}, {" p99", func(p results.SweepPoint) float64 { return p.E2EP99 }}}
	ttftSeries = []curveSeries{{" p50", func(p results.SweepPoint) float64 { return p.TTFTP50 }}, {" p99", func(p results.SweepPoint) float64 { return p.TTFTP99 }}}
	tpotSeries = []curveSeries{{" p50", func(p results.SweepPoint) float64 { return p.TPOTP50 }}, {" p99", func(p results.SweepPoint) float64 { return p.TPOTP99 }}}
)

// sweepPlot describes one load-curve plot.
type sweepPlot struct {
	file, alt, title, yl string
	series               []curveSeries
	// timing plots leave out levels without a successful request.
	timing bool
	// tpot leaves out levels without a TPOT too (none when not streamed).
	tpot bool
	// throughputX plots against request throughput instead of the level,
	// each point labelled by its level.
	throughputX bool
	// minTop is the least top of the y axis (an error rate of 0 everywhere
	// still gets an axis from 0 to 1 %).
	minTop float64
	// crossover marks the crossover levels.
	crossover bool
}

var sweepPlotSpecs = []sweepPlot{
	{file: PlotSweepLatency, alt: "E2E latency (p50 and p99) against request throughput, each point labelled by its level", title: "Latency vs throughput",
		yl: "E2E latency (ms)", series: e2eSeries, timing: true, throughputX: true},
	{file: PlotSweepLevelLatency, alt: "E2E latency (p50 and p99) against load, crossover marked", title: "Latency vs load",
		yl: "E2E latency (ms)", series: e2eSeries, timing: true, crossover: true},
	{file: PlotSweepThroughput, alt: "Request throughput against load", title: "Throughput vs load", yl: "completed req/s",
		series: []curveSeries{{"", func(p results.SweepPoint) float64 { return p.RequestThroughput }}}},
	{file: PlotSweepTTFT, alt: "TTFT (p50 and p99) against load", title: "TTFT vs load", yl: "TTFT (ms)", series: ttftSeries, timing: true},
	{file: PlotSweepTPOT, alt: "TPOT (p50 and p99) against load", title: "TPOT vs load", yl: "TPOT (ms)", series: tpotSeries, timing: true, tpot: true},
	{file: PlotSweepErrorRate, alt: "Error rate against load", title: "Error rate vs load", yl: "error rate (%)", minTop: 1,
		series: []curveSeries{{"", func(p results.SweepPoint) float64 { return 100 * p.ErrorRate }}}},
}

// sweepPlots draws the load curves (sweepPlotSpecs), one colour per curve
// (pal; nil: the curves' own order).
func sweepPlots(sw *results.SweepResults, pal *palette) ([]reportImage, error) {
	if sw == nil || len(sw.Curves) == 0 {
		return nil, nil
	}
	if pal == nil {
		pal = paletteOf(&results.Results{Sweep: sw})
	}
	var out []reportImage
	noun := levelAxisOf(sw).noun
	for _, sp := range sweepPlotSpecs {
		if noun != "load" {
			sp.title = strings.Replace(sp.title, "vs load", "vs "+noun, 1)
			sp.alt = strings.Replace(sp.alt, "against load", "against "+noun, 1)
		}
		p, err := curvePlot(sw, sp, pal)
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

// seriesGlyphs are the point shapes of a plot's series, by position.
var seriesGlyphs = []draw.GlyphDrawer{draw.CircleGlyph{}, draw.TriangleGlyph{}, draw.SquareGlyph{}}

// curvePlot draws, per curve and series, a line with points over the
// points that sent a request (a timing plot: that had a successful one);
// a second series is dashed. The y axis starts at 0.
func curvePlot(sw *results.SweepResults, sp sweepPlot, pal *palette) (*plot.Plot, error) {
	p := newPlot(sp.title)
	p.Y.Label.Text = sp.yl
	axis := levelAxisOf(sw)
	x := axis.x
	if sp.throughputX {
		x = func(pt results.SweepPoint) float64 { return pt.RequestThroughput }
	}
	drawn, top := false, 0.0
	for _, c := range sw.Curves {
		for si, s := range sp.series {
			var pts plotter.XYs
			var names []string
			for _, pt := range c.Points {
				if pt.Requests == 0 || (sp.timing && !pt.HasTimings()) || (sp.tpot && !pt.HasTPOT()) {
					continue
				}
				pts = append(pts, plotter.XY{X: x(pt), Y: s.y(pt)})
				names = append(names, pt.Level)
				top = math.Max(top, s.y(pt))
			}
			if len(pts) == 0 {
				continue
			}
			l, g, err := plotter.NewLinePoints(pts)
			if err != nil {
				return nil, err
			}
			col := pal.rgba(c.GroupKey)
			l.Color, l.Width = col, vg.Points(1.5)
			if si > 0 {
				l.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
			}
			g.Color, g.Shape, g.Radius = col, seriesGlyphs[si%len(seriesGlyphs)], vg.Points(3)
			p.Add(l, g)
			p.Legend.Add(curveLabel(sw, c)+s.suffix, l, g)
			// Points are labelled by their level where the x axis does
			// not name the levels: against throughput, or against the
			// send rate of a sweep profile (whose run order zig-zags).
			if (sp.throughputX || !axis.atLevels) && si == 0 {
				if err := addPointLabels(p, pts, names); err != nil {
					return nil, err
				}
			}
			drawn = true
		}
	}
	if !drawn {
		return nil, nil
	}
	if sp.throughputX {
		p.X.Label.Text = "request throughput (completed req/s)"
		p.X.Min = 0
	} else {
		axis.apply(p, sw)
	}
	p.Y.Min, p.Y.Max = 0, math.Max(top*1.08, sp.minTop)
	if p.Y.Max <= 0 {
		p.Y.Max = 1
	}
	if sp.crossover {
		markCrossovers(p, sw, axis)
	}
	p.Add(plotter.NewGrid())
	return p, nil
}

// addPointLabels writes each point's level beside it.
func addPointLabels(p *plot.Plot, pts plotter.XYs, names []string) error {
	lb, err := plotter.NewLabels(plotter.XYLabels{XYs: pts, Labels: names})
	if err != nil {
		return err
	}
	for i := range lb.TextStyle {
		lb.TextStyle[i].Font.Size = vg.Points(8)
	}
	lb.Offset = vg.Point{X: vg.Points(4), Y: vg.Points(3)}
	p.Add(lb)
	return nil
}

// markCrossovers draws a dotted vertical line at each crossover's level
// (the level from or until which the platform is faster), labelled.
func markCrossovers(p *plot.Plot, sw *results.SweepResults, axis levelAxis) {
	for _, xo := range sw.Crossovers {
		level := xo.From
		if level == "" {
			level = xo.Until
		}
		at, ok := levelValue(sw, xo.GroupKey, level, axis)
		if !ok {
			continue
		}
		l, err := plotter.NewLine(plotter.XYs{{X: at, Y: 0}, {X: at, Y: p.Y.Max}})
		if err != nil {
			continue
		}
		l.Color = hexColor("555555")
		l.Dashes = []vg.Length{vg.Points(2), vg.Points(2)}
		p.Add(l)
		lb, err := plotter.NewLabels(plotter.XYLabels{XYs: plotter.XYs{{X: at, Y: p.Y.Max}}, Labels: []string{"crossover " + level}})
		if err != nil {
			continue
		}
		lb.TextStyle[0].Font.Size = vg.Points(8)
		lb.Offset = vg.Point{X: vg.Points(3), Y: -vg.Points(10)}
		p.Add(lb)
	}
}

// levelValue is the level axis value of the level named level of k's
// curve.
func levelValue(sw *results.SweepResults, k results.GroupKey, level string, axis levelAxis) (float64, bool) {
	for _, c := range sw.Curves {
		if seriesOf(c.GroupKey) != seriesOf(k) {
			continue
		}
		for _, pt := range c.Points {
			if pt.Level == level {
				return axis.x(pt), true
			}
		}
	}
	return 0, false
}
