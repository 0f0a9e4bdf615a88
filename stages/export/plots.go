package export

import (
	"bytes"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/inferbench/inferbench/pipeline"
	"github.com/inferbench/inferbench/pipeline/results"
)

// Plot file names written next to report.md (and inlined in report.html).
const (
	PlotLatency      = "latency.svg"
	PlotTTFTCDF      = "ttft_cdf.svg"
	PlotTokensPerSec = "tokens_per_sec.svg"
	PlotF1           = "f1.svg"
)

// plotFiles are every plot file the markdown format may write.
var plotFiles = []string{PlotLatency, PlotTTFTCDF, PlotTokensPerSec, PlotF1, PlotTimeline,
	PlotSweepLatency, PlotSweepLevelLatency, PlotSweepThroughput, PlotSweepTTFT, PlotSweepTPOT, PlotSweepErrorRate}

// maxCDFSteps bounds the steps drawn per curve of the TTFT CDF.
const maxCDFSteps = 2000

// plot size in points.
const plotW, plotH = 6 * vg.Inch, 3.6 * vg.Inch

// groupSeries holds one group's per-request values for plotting
// (successful, non-warmup records only).
type groupSeries struct {
	latency, ttft []float64
}

// renderPlots draws the report's plots as SVG. A plot without any data is
// left out.
func renderPlots(run *pipeline.Run) ([]reportImage, error) {
	groups := run.Results.Groups
	if len(groups) == 0 {
		return nil, nil
	}
	names := plotLabels(groups)
	series := digestOf(run).series
	pal := paletteOf(run.Results)
	var out []reportImage
	add := func(file, alt string, p *plot.Plot, err error) error {
		if err != nil {
			return fmt.Errorf("plot %s: %w", file, err)
		}
		if p == nil {
			return nil
		}
		svg, err := toSVG(p)
		if err != nil {
			return fmt.Errorf("plot %s: %w", file, err)
		}
		out = append(out, reportImage{File: file, Alt: alt, SVG: svg})
		return nil
	}
	// The timing plots name a group without a successful request as such:
	// an empty slot or a bar of height 0 would read as "no latency" or
	// "0 tokens/s".
	timing := noSuccessLabels(groups, names)
	p, err := latencyBoxPlot(groups, timing, series, pal)
	if err := add(PlotLatency, "Latency distribution per group (box plot)", p, err); err != nil {
		return nil, err
	}
	p, err = ttftCDF(groups, timing, series, pal)
	if err := add(PlotTTFTCDF, "TTFT CDF per group", p, err); err != nil {
		return nil, err
	}
	p, err = barPlot("Output tokens/s per group (mean)", "tokens/s", timing, groups,
		func(g *results.GroupStats) results.Dist { return g.TokensPerSec }, false, pal)
	if err := add(PlotTokensPerSec, "Output tokens/s per group", p, err); err != nil {
		return nil, err
	}
	if slices.ContainsFunc(groups, func(g results.GroupStats) bool { return g.F1.N > 0 }) {
		// None has an F1 when no sample had a gold answer (synthetic
		// prompts): no empty plot then.
		p, err = barPlot("F1 per group (mean, "+ciLevel(run.Experiment)+" CI)", "F1 %", names, groups,
			func(g *results.GroupStats) results.Dist { return g.F1 }, true, pal)
		if err := add(PlotF1, "F1 per group with confidence interval", p, err); err != nil {
			return nil, err
		}
	}
	svg, err := timelineSVG(digestOf(run).timeline, pal)
	if err != nil {
		return nil, fmt.Errorf("plot %s: %w", PlotTimeline, err)
	}
	if svg != nil {
		out = append(out, reportImage{File: PlotTimeline, Alt: timelineAlt, SVG: svg})
	}
	sweep, err := sweepPlots(run.Results.Sweep, pal)
	if err != nil {
		return nil, err
	}
	return append(out, sweep...), nil
}

// plotLabels names groups as briefly as stays unambiguous, since tick
// labels and legends have little room: the platform alone, plus the model
// when a platform has several, plus the temperature when there are several,
// plus the load level when the platform has several.
func plotLabels(groups []results.GroupStats) []string {
	models := map[string]map[string]bool{}
	for _, g := range groups {
		if models[g.Platform] == nil {
			models[g.Platform] = map[string]bool{}
		}
		models[g.Platform][g.Model] = true
	}
	multi := multiTemperature(groups)
	out := make([]string, len(groups))
	for i, g := range groups {
		s := g.Platform
		if len(models[g.Platform]) > 1 {
			s += "/" + g.Model
		}
		if multi {
			s += " t=" + strconv.FormatFloat(g.Temperature, 'g', -1, 64)
		}
		if g.Level != "" {
			s += " " + g.Level
		}
		out[i] = s
	}
	return out
}

// noSuccess is added to the plot label of a group without a successful
// request.
const noSuccess = "no successful request"

// noSuccessLabels returns names with noSuccess added, on a line of its
// own, to the groups that have no successful request.
func noSuccessLabels(groups []results.GroupStats, names []string) []string {
	out := append([]string(nil), names...)
	for i := range groups {
		if groups[i].Successes == 0 {
			out[i] += "\n(" + noSuccess + ")"
		}
	}
	return out
}

// toSVG draws p at the report's plot size (see drawOutside).
func toSVG(p *plot.Plot) ([]byte, error) { return toSVGSized(p, plotW, plotH) }

func toSVGSized(p *plot.Plot, w, h vg.Length) ([]byte, error) {
	c := vgsvg.New(w, h)
	drawOutside(p, draw.New(c))
	return svgBytes(c)
}

// svgBytes returns the SVG document drawn on c.
func svgBytes(c *vgsvg.Canvas) ([]byte, error) {
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func styleNominal(p *plot.Plot, names []string) {
	p.NominalX(names...)
	// Half a slot of room on each side, so end labels are not clipped.
	p.X.Min, p.X.Max = -0.5, float64(len(names))-0.5
	if len(names) > 3 {
		p.X.Tick.Label.Rotation = 0.35
		p.X.Tick.Label.XAlign = draw.XRight
	}
}

func latencyBoxPlot(groups []results.GroupStats, names []string, series map[results.GroupKey]*groupSeries, pal *palette) (*plot.Plot, error) {
	p := newPlot("Latency per group")
	p.Y.Label.Text = "E2E latency (ms)"
	drawn := false
	for i, g := range groups {
		s := series[g.GroupKey]
		if s == nil || len(s.latency) == 0 {
			continue
		}
		b, err := plotter.NewBoxPlot(vg.Points(24), float64(i), plotter.Values(s.latency))
		if err != nil {
			return nil, err
		}
		b.FillColor = pal.rgba(g.GroupKey)
		p.Add(b)
		drawn = true
	}
	if !drawn {
		return nil, nil
	}
	styleNominal(p, names)
	// From 0, with headroom so the top whisker and outliers stay clear of
	// the title.
	p.Y.Min = 0
	p.Y.Max *= 1.06
	return p, nil
}

func ttftCDF(groups []results.GroupStats, names []string, series map[results.GroupKey]*groupSeries, pal *palette) (*plot.Plot, error) {
	p := newPlot("TTFT cumulative distribution")
	p.X.Label.Text = "TTFT (ms)"
	p.Y.Label.Text = "share of requests"
	p.Y.Min, p.Y.Max = 0, 1.02
	p.Y.Tick.Marker = plot.ConstantTicks([]plot.Tick{{Value: 0, Label: "0"}, {Value: 0.25, Label: "0.25"},
		{Value: 0.5, Label: "0.5"}, {Value: 0.75, Label: "0.75"}, {Value: 1, Label: "1"}})
	drawn := false
	for i, g := range groups {
		s := series[g.GroupKey]
		if s == nil || len(s.ttft) == 0 {
			if g.Successes == 0 {
				p.Legend.Add(strings.ReplaceAll(names[i], "\n", " "))
			}
			continue
		}
		xs := append([]float64(nil), s.ttft...)
		sort.Float64s(xs)
		// A step function: the CDF jumps at each observation. Past
		// maxCDFSteps observations it jumps at every k-th one by k/n (off
		// by less than 1/maxCDFSteps in height), which looks the same and
		// keeps the SVG of a million requests small.
		n := len(xs)
		k := max(1, (n+maxCDFSteps-1)/maxCDFSteps)
		pts := make(plotter.XYs, 0, 2*(n/k+1))
		for j := 0; j < n; j += k {
			pts = append(pts, plotter.XY{X: xs[j], Y: float64(j) / float64(n)},
				plotter.XY{X: xs[j], Y: float64(min(j+k, n)) / float64(n)})
		}
		l, err := plotter.NewLine(pts)
		if err != nil {
			return nil, err
		}
		l.Color = pal.rgba(g.GroupKey)
		l.Width = vg.Points(1.5)
		p.Add(l)
		p.Legend.Add(strings.ReplaceAll(names[i], "\n", " "), l)
		drawn = true
	}
	if !drawn {
		return nil, nil
	}
	p.X.Min = 0
	p.Add(plotter.NewGrid())
	return p, nil
}

// ciBars are bar tops with CI error bars, relative as YErrorBars want.
type ciBars struct {
	ys, lo, hi []float64
}

func (c ciBars) Len() int                        { return len(c.ys) }
func (c ciBars) XY(i int) (float64, float64)     { return float64(i), c.ys[i] }
func (c ciBars) YError(i int) (float64, float64) { return c.ys[i] - c.lo[i], c.hi[i] - c.ys[i] }

// barPlot draws one bar per group in its palette colour, from 0, with
// the CI as error bars when ci is set and the group has one.
func barPlot(title, ylabel string, names []string, groups []results.GroupStats, get func(*results.GroupStats) results.Dist, ci bool, pal *palette) (*plot.Plot, error) {
	p := newPlot(title)
	p.Y.Label.Text = ylabel
	cb := ciBars{ys: make([]float64, len(groups)), lo: make([]float64, len(groups)), hi: make([]float64, len(groups))}
	hasCI := false
	for i := range groups {
		d := get(&groups[i])
		cb.ys[i], cb.lo[i], cb.hi[i] = d.Mean, d.Mean, d.Mean
		if ci && d.N >= 2 && d.CIHigh >= d.CILow && (d.CILow != 0 || d.CIHigh != 0) {
			cb.lo[i], cb.hi[i] = min(d.CILow, d.Mean), max(d.CIHigh, d.Mean)
			hasCI = true
		}
		bars, err := plotter.NewBarChart(plotter.Values{d.Mean}, vg.Points(28))
		if err != nil {
			return nil, err
		}
		bars.XMin = float64(i)
		bars.Color = pal.rgba(groups[i].GroupKey)
		bars.LineStyle.Width = 0
		p.Add(bars)
	}
	if hasCI {
		eb, err := plotter.NewYErrorBars(cb)
		if err != nil {
			return nil, err
		}
		p.Add(eb)
	}
	p.Y.Min = 0
	p.Y.Max *= 1.06
	styleNominal(p, names)
	return p, nil
}
