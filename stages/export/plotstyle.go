package export

import (
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// newPlot returns a plot in the report's style: a title with room below
// it (so a whisker or a glyph at the top never runs into it), tick labels
// without trailing zeros, a smaller legend text.
func newPlot(title string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.Padding = vg.Points(10)
	p.X.Tick.Marker = plainTicks{}
	p.Y.Tick.Marker = plainTicks{}
	p.Legend.TextStyle.Font.Size = vg.Points(10)
	return p
}

// plainTicks are gonum's default ticks with their labels written as
// briefly as they read: "500" rather than "500.00", "0.5" rather than
// "0.50".
type plainTicks struct{}

// Ticks implements plot.Ticker.
func (plainTicks) Ticks(lo, hi float64) []plot.Tick {
	ts := plot.DefaultTicks{}.Ticks(lo, hi)
	for i := range ts {
		ts[i].Label = trimZeros(ts[i].Label)
	}
	return ts
}

// trimZeros drops the trailing zeros of a decimal fraction ("12.50" ->
// "12.5", "500.00" -> "500"); other labels are kept.
func trimZeros(s string) string {
	if !strings.Contains(s, ".") || strings.ContainsAny(s, "eE") {
		return s
	}
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// legendGap is the room between the axes and a legend drawn beside them.
const legendGap = 10

// legendSlack widens the measured legend: a browser without the plot's
// font draws its text in a wider one.
const legendSlack = 1.3

// legendWidth is the width of the column a legend drawn beside the axes
// takes, 0 for a legend without entries.
func legendWidth(l plot.Legend, c draw.Canvas) vg.Length {
	w := l.Rectangle(c).Size().X
	if w == 0 {
		return 0
	}
	return w*legendSlack + vg.Points(legendGap)
}

// drawOutside draws p on c with its legend (if it has entries) in a
// column to the right of the axes, never over the data.
func drawOutside(p *plot.Plot, c draw.Canvas) {
	leg := p.Legend
	w := legendWidth(leg, c)
	if w == 0 {
		p.Draw(c)
		return
	}
	p.Legend = plot.NewLegend()
	defer func() { p.Legend = leg }()
	p.Draw(draw.Crop(c, 0, -w, 0, 0))
	top := vg.Length(0)
	if p.Title.Text != "" {
		top = p.Title.TextStyle.Rectangle(p.Title.Text).Size().Y + p.Title.Padding
	}
	leg.Top, leg.Left = true, true
	leg.XOffs, leg.YOffs = 0, 0
	leg.Draw(draw.Crop(c, c.Max.X-c.Min.X-w+vg.Points(legendGap), 0, 0, -top))
}
