package export

import (
	"image/color"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/inferbench/inferbench/pipeline/results"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// PlotTimeline is the timeline plot written next to report.md.
const PlotTimeline = "timeline.svg"

const timelineAlt = "Timeline per platform: requests in flight, completions and errors per second, median E2E latency, and, when a metrics endpoint was scraped, the server's requests running and waiting and its KV-cache usage, over the run"

// maxTimelineBins bounds the timeline's bins: a run longer than this many
// seconds gets bins of several seconds (timeline.bin), so that the plot
// and the sheet stay readable.
const maxTimelineBins = 1800

// timelineRecord is what the timeline keeps of one sent record: its send
// and stream close in Unix nanoseconds, its E2E latency and whether it
// succeeded.
type timelineRecord struct {
	send, end int64
	latencyMs float64
	ok        bool
}

// addTimelineRecord keeps r for the timeline of its platform (warmups
// included: the timeline shows the warm-up); a record never sent (no
// StartedAt) is left out.
func addTimelineRecord(m map[string][]timelineRecord, r *results.Record) {
	if r.StartedAt.IsZero() {
		return
	}
	closeMs := r.CloseMs
	if closeMs <= 0 {
		closeMs = r.LatencyMs
	}
	send := r.StartedAt.UnixNano()
	m[r.Platform] = append(m[r.Platform], timelineRecord{send: send, end: send + int64(closeMs*float64(time.Millisecond)),
		latencyMs: r.LatencyMs, ok: r.OK()})
}

// timelineBin is one platform's activity in one bin.
type timelineBin struct {
	// inFlight is the mean number of requests in flight over the bin.
	inFlight float64
	// completions and errors are the successful and failed requests that
	// finished in the bin, per second.
	completions, errors float64
	// medianMs is the median E2E latency of the successful requests that
	// finished in the bin; NaN when none did.
	medianMs float64
}

// timeline is a run's activity per platform over time, from its first
// send to its last stream close, in bins of bin seconds: one second, a
// fraction of one for a run shorter than shortRunBins seconds, several for
// a run longer than maxTimelineBins seconds (see timelineBinWidth).
type timeline struct {
	bin       float64
	platforms []string
	bins      map[string][]timelineBin
	// origin is the first send, Unix ns: the time axis's 0.
	origin int64
	// server are the scrapes of the platforms' metrics endpoints (nil:
	// none; see addServer).
	server map[string][]serverPoint
}

// buildTimeline bins the records of each platform (platforms in order).
func buildTimeline(platforms []string, recs map[string][]timelineRecord) *timeline {
	first, last := int64(math.MaxInt64), int64(math.MinInt64)
	for _, rs := range recs {
		for _, r := range rs {
			first, last = min(first, r.send), max(last, r.end)
		}
	}
	if first > last {
		return nil
	}
	span := float64(last-first) / 1e9
	tl := &timeline{bin: timelineBinWidth(span), bins: map[string][]timelineBin{}, origin: first}
	n := int(math.Floor(span/tl.bin)) + 1
	for _, p := range platforms {
		rs := recs[p]
		if len(rs) == 0 {
			continue
		}
		tl.platforms = append(tl.platforms, p)
		tl.bins[p] = binRecords(rs, first, tl.bin, n)
	}
	return tl
}

// shortRunBins is the most bins of a run shorter than that many seconds:
// it gets the narrowest of 0.1, 0.25, 0.5 or 1 s bins that keeps within
// it, so that a run of a few seconds still shows its shape and its
// Timeline sheet stays short.
const shortRunBins = 60

// timelineBinWidth returns the bin width in seconds of a run that sent for
// span seconds.
func timelineBinWidth(span float64) float64 {
	if span > maxTimelineBins {
		return math.Ceil(span / maxTimelineBins)
	}
	for _, w := range []float64{0.1, 0.25, 0.5} {
		if span/w <= shortRunBins {
			return w
		}
	}
	return 1
}

// binRecords computes n bins of width bin seconds from origin (Unix ns).
func binRecords(rs []timelineRecord, origin int64, bin float64, n int) []timelineBin {
	out := make([]timelineBin, n)
	lat := make([][]float64, n)
	width := bin * 1e9
	for _, r := range rs {
		from, to := float64(r.send-origin), float64(r.end-origin)
		for i := int(from / width); i < n && float64(i)*width < to; i++ {
			lo, hi := math.Max(from, float64(i)*width), math.Min(to, float64(i+1)*width)
			out[i].inFlight += (hi - lo) / width
		}
		i := min(int(to/width), n-1)
		if !r.ok {
			out[i].errors += 1 / bin
			continue
		}
		out[i].completions += 1 / bin
		lat[i] = append(lat[i], r.latencyMs)
	}
	for i := range out {
		out[i].medianMs = median(lat[i])
	}
	return out
}

// median is the middle value of xs (the mean of the two middle ones for
// an even count), NaN when xs is empty.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	slices.Sort(xs)
	m := len(xs) / 2
	if len(xs)%2 == 1 {
		return xs[m]
	}
	return (xs[m-1] + xs[m]) / 2
}

// timelinePanel is one panel of the timeline plot.
type timelinePanel struct {
	title, yl string
	y         func(timelineBin) float64
}

var timelinePanels = []timelinePanel{
	{"Requests in flight", "in flight (mean)", func(b timelineBin) float64 { return b.inFlight }},
	{"Completions per second (dashed: errors per second)", "req/s", func(b timelineBin) float64 { return b.completions }},
	{"Median E2E latency of the requests finished", "E2E p50 (ms)", func(b timelineBin) float64 { return b.medianMs }},
}

// timelinePlots returns the three panel plots of tl and the legend of
// the platforms.
func timelinePlots(tl *timeline, pal *palette) ([]*plot.Plot, plot.Legend, error) {
	xl := "seconds since the first request was sent"
	if tl.bin != 1 {
		xl += " (bins of " + strconv.FormatFloat(tl.bin, 'f', -1, 64) + " s)"
	}
	legend := plot.NewLegend()
	legend.TextStyle.Font.Size = vg.Points(10)
	var plots []*plot.Plot
	for pi, panel := range timelinePanels {
		p := newPlot(panel.title)
		p.Title.TextStyle.Font.Size = vg.Points(11)
		p.Y.Label.Text = panel.yl
		p.X.Label.Text = xl
		p.X.Min, p.Y.Min = 0, 0
		for _, name := range tl.platforms {
			col := hexColor(pal.platformHex(name))
			lines, err := binLines(tl, tl.bins[name], panel.y, col, nil)
			if err != nil {
				return nil, legend, err
			}
			if pi == 1 {
				errs, err := binLines(tl, tl.bins[name], func(b timelineBin) float64 { return b.errors }, col, []vg.Length{vg.Points(3), vg.Points(2)})
				if err != nil {
					return nil, legend, err
				}
				lines = append(lines, errs...)
			}
			for _, l := range lines {
				p.Add(l)
			}
			if pi == len(timelinePanels)-1 {
				// Dots too: a bin between two without a completion has a
				// median but no line.
				if err := addBinDots(p, tl, tl.bins[name], panel.y, col); err != nil {
					return nil, legend, err
				}
			}
			if pi == 0 && len(lines) > 0 {
				legend.Add(name, lines[0])
			}
		}
		if p.Y.Max <= 0 {
			p.Y.Max = 1
		}
		p.Y.Max *= 1.08
		p.Add(plotter.NewGrid())
		plots = append(plots, p)
	}
	server, err := serverPlots(tl, pal, xl)
	plots = append(plots, server...)
	// One x range for every panel, so that their time ticks line up.
	xMax := 0.0
	for _, p := range plots {
		xMax = max(xMax, p.X.Max)
	}
	for _, p := range plots {
		p.X.Max = xMax
	}
	return plots, legend, err
}

// binLines draws y over the bins as lines at each bin's middle, broken
// where y is NaN (a bin without a value).
func binLines(tl *timeline, bins []timelineBin, y func(timelineBin) float64, col color.Color, dashes []vg.Length) ([]*plotter.Line, error) {
	var out []*plotter.Line
	var run plotter.XYs
	flush := func() error {
		if len(run) == 0 {
			return nil
		}
		l, err := plotter.NewLine(run)
		if err != nil {
			return err
		}
		l.Color, l.Width, l.Dashes = col, vg.Points(1.2), dashes
		out = append(out, l)
		run = nil
		return nil
	}
	for i, b := range bins {
		v := y(b)
		if math.IsNaN(v) {
			if err := flush(); err != nil {
				return nil, err
			}
			continue
		}
		run = append(run, plotter.XY{X: (float64(i) + 0.5) * tl.bin, Y: v})
	}
	return out, flush()
}

// addBinDots draws y over the bins as small dots where it has a value.
func addBinDots(p *plot.Plot, tl *timeline, bins []timelineBin, y func(timelineBin) float64, col color.Color) error {
	var pts plotter.XYs
	for i, b := range bins {
		if v := y(b); !math.IsNaN(v) {
			pts = append(pts, plotter.XY{X: (float64(i) + 0.5) * tl.bin, Y: v})
		}
	}
	if len(pts) == 0 {
		return nil
	}
	sc, err := plotter.NewScatter(pts)
	if err != nil {
		return err
	}
	sc.Color, sc.Shape, sc.Radius = col, draw.CircleGlyph{}, vg.Points(1.3)
	p.Add(sc)
	return nil
}

// timelineSVG draws the three panels (five with the server's) stacked, their x axes aligned, with
// one legend of the platforms to the right; nil when nothing was sent.
func timelineSVG(tl *timeline, pal *palette) ([]byte, error) {
	if tl == nil || len(tl.platforms) == 0 {
		return nil, nil
	}
	plots, legend, err := timelinePlots(tl, pal)
	if err != nil {
		return nil, err
	}
	c := vgsvg.New(plotW, vg.Length(len(plots))*2*vg.Inch)
	dc := draw.New(c)
	w := legendWidth(legend, dc)
	area := draw.Crop(dc, 0, -w, 0, 0)
	rows := make([][]*plot.Plot, len(plots))
	for i, p := range plots {
		rows[i] = []*plot.Plot{p}
	}
	tiles := plot.Align(rows, draw.Tiles{Rows: len(plots), Cols: 1, PadY: vg.Points(8)}, area)
	for i, p := range plots {
		p.Draw(tiles[i][0])
	}
	legend.Top, legend.Left = true, true
	legend.Draw(draw.Crop(dc, dc.Max.X-dc.Min.X-w+vg.Points(legendGap), 0, 0, -vg.Points(24)))
	return svgBytes(c)
}
