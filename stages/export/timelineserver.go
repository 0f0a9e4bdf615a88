package export

import (
	"math"

	"github.com/inferbench/inferbench/pipeline"
	"github.com/inferbench/inferbench/pipeline/results"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// serverPoint is one scrape of a platform's metrics endpoint on the
// timeline: x in seconds since the first send (the start scrape, a little
// before it, at 0), the figures NaN where the server did not say.
type serverPoint struct {
	x, running, waiting, kvPct float64
}

// serverSamples reads the run's server_metrics.jsonl (none for a run held
// in memory, or one that scraped nothing; an unreadable file is none too:
// the figures are an addition to the timeline, not its substance).
func serverSamples(run *pipeline.Run) []results.ServerSample {
	s, err := run.ServerSamples()
	if err != nil {
		return nil
	}
	return s
}

// addServer puts the successful scrapes of samples on tl, by platform,
// on its time axis (tl.origin), leaving out those after the last bin.
func (tl *timeline) addServer(samples []results.ServerSample) {
	if tl == nil {
		return
	}
	val := func(v *float64, scale float64) float64 {
		if v == nil {
			return math.NaN()
		}
		return *v * scale
	}
	end := float64(len(tl.bins[tl.platforms[0]])) * tl.bin
	for _, s := range samples {
		if s.Error != "" || tl.bins[s.Platform] == nil {
			continue
		}
		x := max(0, float64(s.Time.UnixNano()-tl.origin)/1e9)
		if x > end {
			continue
		}
		if tl.server == nil {
			tl.server = map[string][]serverPoint{}
		}
		tl.server[s.Platform] = append(tl.server[s.Platform], serverPoint{x: x,
			running: val(s.Running, 1), waiting: val(s.Waiting, 1), kvPct: val(s.KVCacheUsage, 100)})
	}
}

// serverPanels are the timeline's panels of the server's own figures,
// drawn when a metrics endpoint was scraped.
var serverPanels = []struct {
	title, yl string
	y         []func(serverPoint) float64 // the first solid, the next dashed
}{
	{"Server: requests running (dashed: waiting)", "requests", []func(serverPoint) float64{
		func(p serverPoint) float64 { return p.running }, func(p serverPoint) float64 { return p.waiting }}},
	{"Server: KV-cache usage", "KV cache (%)", []func(serverPoint) float64{
		func(p serverPoint) float64 { return p.kvPct }}},
}

// serverPlots are the server panels of tl (none without scrapes), on the
// client panels' x axis, one line per platform in its colour.
func serverPlots(tl *timeline, pal *palette, xl string) ([]*plot.Plot, error) {
	if len(tl.server) == 0 {
		return nil, nil
	}
	var plots []*plot.Plot
	for _, panel := range serverPanels {
		p := newPlot(panel.title)
		p.Title.TextStyle.Font.Size = vg.Points(11)
		p.Y.Label.Text, p.X.Label.Text = panel.yl, xl
		p.X.Min, p.Y.Min = 0, 0
		p.X.Max = float64(len(tl.bins[tl.platforms[0]])) * tl.bin
		for _, name := range tl.platforms {
			col := hexColor(pal.platformHex(name))
			for i, y := range panel.y {
				var pts plotter.XYs
				for _, sp := range tl.server[name] {
					if v := y(sp); !math.IsNaN(v) {
						pts = append(pts, plotter.XY{X: sp.x, Y: v})
					}
				}
				if len(pts) == 0 {
					continue
				}
				l, err := plotter.NewLine(pts)
				if err != nil {
					return nil, err
				}
				l.Color, l.Width = col, vg.Points(1.2)
				if i > 0 {
					l.Dashes = []vg.Length{vg.Points(3), vg.Points(2)}
				}
				p.Add(l)
			}
		}
		if p.Y.Max <= 0 {
			p.Y.Max = 1
		}
		p.Y.Max *= 1.08
		p.Add(plotter.NewGrid())
		plots = append(plots, p)
	}
	return plots, nil
}

// serverBins are the scrapes of platform p on tl's bins, for the Timeline
// sheet: per bin (x its start), the mean of each figure over the scrapes
// taken in it, NaN where none was (or none said it). The SVG panels draw
// every scrape at its time, a line from one to the next; on bins, a bin
// that holds several scrapes gets their mean, as the client's requests
// in flight are a mean over the bin. A scrape at the end of the last bin
// counts in it. nil when p has no scrape.
func (tl *timeline) serverBins(p string) []serverPoint {
	pts := tl.server[p]
	if len(pts) == 0 {
		return nil
	}
	n := len(tl.bins[tl.platforms[0]])
	type sum struct{ v, n float64 }
	sums := make([][3]sum, n)
	for _, sp := range pts {
		// In nanoseconds, as binRecords bins the client's records: 0.3 s
		// is in the fourth bin of 0.1 s, not (0.3/0.1 = 2.999...) the third.
		i := min(int(math.Round(sp.x*1e9)/(tl.bin*1e9)), n-1)
		for j, v := range [3]float64{sp.running, sp.waiting, sp.kvPct} {
			if !math.IsNaN(v) {
				sums[i][j].v += v
				sums[i][j].n++
			}
		}
	}
	out := make([]serverPoint, n)
	for i, s := range sums {
		var m [3]float64
		for j := range m {
			m[j] = math.NaN()
			if s[j].n > 0 {
				m[j] = s[j].v / s[j].n
			}
		}
		out[i] = serverPoint{x: float64(i) * tl.bin, running: m[0], waiting: m[1], kvPct: m[2]}
	}
	return out
}
