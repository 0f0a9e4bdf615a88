package export

import (
	"image/color"
	"strconv"

	"github.com/inferbench/inferbench/pipeline/results"
)

// groupPalette is the one palette of every chart, SVG (report.md and
// report.html) and Excel alike (Tableau 10, as RGB hex).
var groupPalette = []string{"4E79A7", "F28E2B", "E15759", "76B7B2", "59A14F", "EDC948", "B07AA1", "FF9DA7", "9C755F", "BAB0AC"}

// maxLevelTint is how far toward white the last load level of a series
// is drawn (0: the series' colour, 1: white).
const maxLevelTint = 0.55

// seriesKey is what keeps one colour: a group without its load level
// (the curve of a sweep, the line of a timeline).
type seriesKey struct {
	platform, model string
	temperature     float64
}

func seriesOf(k results.GroupKey) seriesKey {
	return seriesKey{k.Platform, k.Model, k.Temperature}
}

// palette gives every group the same colour in every chart: series (a
// platform, model and temperature) take groupPalette's colours in the
// order they first appear in the results' groups; a series' load levels
// are tints of its colour, the first level its colour itself, later
// levels lighter (up to maxLevelTint), and a sweep curve is drawn in the
// colour itself. A platform's colour (the timeline) is its first series'.
type palette struct {
	series   map[seriesKey]int
	levels   map[seriesKey][]string
	platform map[string]int
}

// newPalette returns the palette of the groups with keys (in results
// order).
func newPalette(keys []results.GroupKey) *palette {
	p := &palette{series: map[seriesKey]int{}, levels: map[seriesKey][]string{}, platform: map[string]int{}}
	for _, k := range keys {
		s := seriesOf(k)
		if _, ok := p.series[s]; !ok {
			p.series[s] = len(p.series)
		}
		if _, ok := p.platform[k.Platform]; !ok {
			p.platform[k.Platform] = p.series[s]
		}
		if k.Level != "" {
			p.levels[s] = append(p.levels[s], k.Level)
		}
	}
	return p
}

// paletteOf is the palette of res's groups, with the sweep curves' series
// after them (a curve always has its groups, so they add nothing in a
// real run).
func paletteOf(res *results.Results) *palette {
	var keys []results.GroupKey
	for _, g := range res.Groups {
		keys = append(keys, g.GroupKey)
	}
	if res.Sweep != nil {
		for _, c := range res.Sweep.Curves {
			keys = append(keys, c.GroupKey)
		}
	}
	return newPalette(keys)
}

// index returns the palette slot of k's series (a series not seen takes
// the next free one).
func (p *palette) index(s seriesKey) int {
	i, ok := p.series[s]
	if !ok {
		i = len(p.series)
		p.series[s] = i
	}
	return i
}

// hex returns k's colour as RGB hex, as excelize wants it.
func (p *palette) hex(k results.GroupKey) string {
	s := seriesOf(k)
	base := groupPalette[p.index(s)%len(groupPalette)]
	lv := p.levels[s]
	if k.Level == "" || len(lv) < 2 {
		return base
	}
	for j, l := range lv {
		if l == k.Level {
			return tint(base, maxLevelTint*float64(j)/float64(len(lv)-1))
		}
	}
	return base
}

// platformHex returns the colour of a platform (its first series').
func (p *palette) platformHex(name string) string {
	i, ok := p.platform[name]
	if !ok {
		i = p.index(seriesKey{platform: name})
		p.platform[name] = i
	}
	return groupPalette[i%len(groupPalette)]
}

// rgba returns k's colour for gonum/plot.
func (p *palette) rgba(k results.GroupKey) color.RGBA { return hexColor(p.hex(k)) }

// tint mixes an RGB hex colour with white by t in [0, 1].
func tint(hex string, t float64) string {
	c := hexColor(hex)
	mix := func(v uint8) uint8 { return uint8(float64(v) + (255-float64(v))*t + 0.5) }
	return hexOf(color.RGBA{R: mix(c.R), G: mix(c.G), B: mix(c.B), A: 0xff})
}

// hexColor parses "RRGGBB".
func hexColor(hex string) color.RGBA {
	v, _ := strconv.ParseUint(hex, 16, 32)
	return color.RGBA{R: uint8(v >> 16), G: uint8(v >> 8), B: uint8(v), A: 0xff}
}

// hexOf renders c as "RRGGBB".
func hexOf(c color.RGBA) string {
	const digits = "0123456789ABCDEF"
	b := []byte{digits[c.R>>4], digits[c.R&15], digits[c.G>>4], digits[c.G&15], digits[c.B>>4], digits[c.B&15]}
	return string(b)
}
