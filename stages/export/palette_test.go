package export

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/inferbench/inferbench/pipeline/results"
)

func TestAGroupHasTheSameColourInEverySVGAndExcelChart(t *testing.T) {
	run := fixtureRun(t, t.TempDir())
	if err := XLSX(context.Background(), run); err != nil {
		t.Fatal(err)
	}
	imgs, err := renderPlots(run)
	if err != nil {
		t.Fatal(err)
	}
	pal := paletteOf(run.Results)
	bars := chartsOn(readCharts(t, filepath.Join(run.Dir, XLSXFile)), SheetCharts)
	names := labels(run.Results.Groups)
	matched := 0
	for i, g := range run.Results.Groups {
		hex := pal.hex(g.GroupKey)
		for _, im := range imgs {
			style := "fill:#" + hex // box plots and bars
			if im.File == PlotTTFTCDF || im.File == PlotTimeline {
				style = "stroke:#" + hex
			}
			if im.File != PlotF1 && im.File != PlotLatency && im.File != PlotTokensPerSec && im.File != PlotTTFTCDF && im.File != PlotTimeline {
				continue
			}
			if !strings.Contains(string(im.SVG), style) {
				t.Errorf("%s: %s is not drawn in its colour %s", im.File, g.Platform, hex)
			}
		}
		for _, c := range bars {
			for _, s := range append(c.Bars, c.Scatters...) {
				if cellsName(s.Name) != names[i] {
					continue
				}
				matched++
				if s.Fill.Val != hex && s.Marker.Val != hex {
					t.Errorf("%s: %s in %s/%s, want %s", c.name, names[i], s.Fill.Val, s.Marker.Val, hex)
				}
			}
		}
	}
	if matched < 2*5 {
		t.Errorf("%d Excel series matched a group by name, want each group in each of the 5 charts", matched)
	}
	if pal.hex(run.Results.Groups[0].GroupKey) == pal.hex(run.Results.Groups[1].GroupKey) {
		t.Error("two platforms share a colour")
	}
}

// cellsName is the cached text of a series name reference.
func cellsName(r xmlRef) string { return strings.Join(r.Strs, "") }

func TestTheLevelsOfAPlatformAreTintsOfItsColour(t *testing.T) {
	k := func(p, load string) results.GroupKey { return results.GroupKey{Platform: p, Model: "m", Level: load} }
	pal := newPalette([]results.GroupKey{k("a", "c=1"), k("a", "c=8"), k("a", "c=24"), k("b", "c=1"), k("b", "c=8"), k("b", "c=24")})
	if pal.hex(k("a", "c=1")) != groupPalette[0] || pal.hex(k("b", "c=1")) != groupPalette[1] {
		t.Errorf("first levels %s %s, want the palette's first two colours", pal.hex(k("a", "c=1")), pal.hex(k("b", "c=1")))
	}
	if pal.hex(k("a", "")) != groupPalette[0] {
		t.Error("a sweep curve (no level) is not drawn in its platform's colour")
	}
	seen := map[string]bool{}
	for _, g := range []results.GroupKey{k("a", "c=1"), k("a", "c=8"), k("a", "c=24"), k("b", "c=1"), k("b", "c=8"), k("b", "c=24")} {
		if seen[pal.hex(g)] {
			t.Errorf("%v shares its colour %s", g, pal.hex(g))
		}
		seen[pal.hex(g)] = true
	}
	if pal.platformHex("b") != groupPalette[1] {
		t.Errorf("platform b's timeline colour %s, want %s", pal.platformHex("b"), groupPalette[1])
	}
}
