package export

import (
	"archive/zip"
	"context"
	"encoding/xml"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// The parts of xl/charts/chartN.xml the chart tests read (element names
// are matched without their namespace).
type (
	xmlColor struct {
		Val string `xml:"val,attr"`
	}
	xmlAxis struct {
		Min    *xmlColor `xml:"scaling>min"`
		Max    *xmlColor `xml:"scaling>max"`
		NumFmt xmlNumFmt `xml:"numFmt"`
		Title  []string  `xml:"title>tx>rich>p>r>t"`
		Label  xmlColor  `xml:"txPr>p>pPr>defRPr>solidFill>srgbClr"`
	}
	xmlSeries struct {
		Name   xmlRef   `xml:"tx>strRef"`
		Fill   xmlColor `xml:"spPr>solidFill>srgbClr"`
		Marker xmlColor `xml:"marker>spPr>solidFill>srgbClr"`
		Cat    xmlRef   `xml:"cat>strRef"`
		Val    xmlRef   `xml:"val>numRef"`
		Dash   xmlColor `xml:"spPr>ln>prstDash"`
		Line   xmlColor `xml:"spPr>ln>solidFill>srgbClr"`
		Labels []string `xml:"dLbls>dLbl>tx>rich>p>r>t"`
		XStr   *xmlRef  `xml:"xVal>strRef"`
		XNum   xmlRef   `xml:"xVal>numRef"`
		YVal   xmlRef   `xml:"yVal>numRef"`
		Order  xmlColor `xml:"order"`
	}
	xmlNumFmt struct {
		Code   string `xml:"formatCode,attr"`
		Linked string `xml:"sourceLinked,attr"`
	}
	xmlRef struct {
		F    string   `xml:"f"`
		Nums []string `xml:"numCache>pt>v"`
		Strs []string `xml:"strCache>pt>v"`
	}
	xmlChart struct {
		Title     []string    `xml:"chart>title>tx>rich>p>r>t"`
		Bars      []xmlSeries `xml:"chart>plotArea>barChart>ser"`
		BarVary   *xmlColor   `xml:"chart>plotArea>barChart>varyColors"`
		Scatters  []xmlSeries `xml:"chart>plotArea>scatterChart>ser"`
		Lines     []xmlSeries `xml:"chart>plotArea>lineChart>ser"`
		CatAxes   []xmlAxis   `xml:"chart>plotArea>catAx"`
		ValAxes   []xmlAxis   `xml:"chart>plotArea>valAx"`
		LegendPos xmlColor    `xml:"chart>legend>legendPos"`
		Blanks    xmlColor    `xml:"chart>dispBlanksAs"`
		name      string
	}
)

// readCharts returns every chart of the workbook at path.
func readCharts(t *testing.T, path string) []xmlChart {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var out []xmlChart
	for _, zf := range zr.File {
		if !strings.HasPrefix(zf.Name, "xl/charts/chart") || !strings.HasSuffix(zf.Name, ".xml") {
			continue
		}
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		var c xmlChart
		if err := xml.Unmarshal(b, &c); err != nil {
			t.Fatalf("%s: %v", zf.Name, err)
		}
		c.name = zf.Name
		out = append(out, c)
	}
	if len(out) == 0 {
		t.Fatal("no charts")
	}
	return out
}

// chartsOn keeps the charts whose series read sheet.
func chartsOn(cs []xmlChart, sheet string) []xmlChart {
	var out []xmlChart
	for _, c := range cs {
		ser := append(append(append([]xmlSeries{}, c.Bars...), c.Scatters...), c.Lines...)
		if len(ser) > 0 && strings.HasPrefix(ser[0].Name.F, sheet+"!") {
			out = append(out, c)
		}
	}
	return out
}

// dark reports whether a hex RGB colour is dark enough to read on white.
func dark(hex string) bool {
	v, err := strconv.ParseUint(hex, 16, 32)
	if err != nil || len(hex) != 6 {
		return false
	}
	r, g, b := v>>16, (v>>8)&0xff, v&0xff
	return 0.299*float64(r)+0.587*float64(g)+0.114*float64(b) < 96
}

func TestWorkbookChartsAreLegibleAndHonest(t *testing.T) {
	run := fixtureRun(t, t.TempDir())
	// A third group, so that colours have to differ among more than two.
	g := run.Results.Groups[0]
	g.Platform = "third"
	run.Results.Groups = append(run.Results.Groups, g)
	if err := XLSX(context.Background(), run); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(run.Dir, XLSXFile)
	charts := chartsOn(readCharts(t, path), SheetCharts)
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := len(run.Results.Groups)

	t.Run("axis labels are a dark colour", func(t *testing.T) {
		for _, c := range charts {
			for _, ax := range append(append([]xmlAxis{}, c.CatAxes...), c.ValAxes...) {
				if !dark(ax.Label.Val) {
					t.Errorf("%s: axis label colour %q", c.name, ax.Label.Val)
				}
			}
		}
	})
	t.Run("value axes are titled with their unit", func(t *testing.T) {
		want := map[string][]string{
			"Latency p50 / p95 by group":                  {"Latency (ms)"},
			"TTFT p50 / p95 by group":                     {"TTFT (ms)"},
			"Output tokens/s by group (mean per request)": {"Tokens/s"},
			"F1 by group":                                 {"F1 (%)"},
			"Mean latency vs F1 by group":                 {"Mean latency (ms)", "F1 (%)"},
		}
		for _, c := range charts {
			title := strings.Join(c.Title, "")
			w, ok := want[title]
			if !ok {
				t.Errorf("%s: unexpected chart %q", c.name, title)
				continue
			}
			var got []string
			for _, ax := range c.ValAxes {
				got = append(got, strings.Join(ax.Title, ""))
			}
			if strings.Join(got, "|") != strings.Join(w, "|") {
				t.Errorf("%s (%s): value axis titles %q, want %q", c.name, title, got, w)
			}
			delete(want, title)
		}
		if len(want) > 0 {
			t.Errorf("charts missing: %v", want)
		}
	})
	t.Run("every value axis starts at 0", func(t *testing.T) {
		for _, c := range charts {
			for i, ax := range c.ValAxes {
				if ax.Min == nil || ax.Min.Val != "0" {
					t.Errorf("%s: value axis %d (%q) does not start at 0", c.name, i, ax.Title)
				}
			}
		}
	})
	t.Run("the legend sits below or beside the plot", func(t *testing.T) {
		for _, c := range charts {
			if p := c.LegendPos.Val; p != "b" && p != "r" {
				t.Errorf("%s: legend position %q", c.name, p)
			}
		}
	})
	t.Run("each group is one series with one colour in every chart", func(t *testing.T) {
		colour := map[string]string{} // series name cell -> colour
		for _, c := range charts {
			series := append(append([]xmlSeries{}, c.Bars...), c.Scatters...)
			if len(c.Bars) > 0 && (c.BarVary == nil || c.BarVary.Val != "0") {
				t.Errorf("%s: bar colours vary by data point, not by group", c.name)
			}
			if len(series) != n {
				t.Errorf("%s: %d series for %d groups", c.name, len(series), n)
			}
			for _, s := range series {
				col := s.Fill.Val
				if len(c.Scatters) > 0 {
					col = s.Marker.Val
				}
				if col == "" {
					t.Errorf("%s: series %s has no explicit colour", c.name, s.Name.F)
					continue
				}
				if prev, ok := colour[s.Name.F]; ok && prev != col {
					t.Errorf("%s: series %s is %s here and %s elsewhere", c.name, s.Name.F, col, prev)
				}
				colour[s.Name.F] = col
			}
		}
		seen := map[string]string{}
		for name, col := range colour {
			if other, ok := seen[col]; ok {
				t.Errorf("groups %s and %s share colour %s", name, other, col)
			}
			seen[col] = name
		}
		for i, want := range labels(run.Results.Groups) {
			ref := "Charts!$A$" + strconv.Itoa(i+2)
			if _, ok := colour[ref]; !ok {
				t.Errorf("no series named by %s", ref)
			}
			if v, _ := f.GetCellValue(SheetCharts, strings.TrimPrefix(strings.ReplaceAll(ref, "$", ""), "Charts!")); v != want {
				t.Errorf("%s holds %q, want %q", ref, v, want)
			}
		}
	})
	t.Run("every series reads literal numbers, never formulas", func(t *testing.T) {
		checked := 0
		for _, c := range charts {
			for _, s := range append(append([]xmlSeries{}, c.Bars...), c.Scatters...) {
				refs := []string{s.Val.F, s.XNum.F, s.YVal.F}
				if s.XStr != nil {
					refs = append(refs, s.XStr.F)
				}
				for _, ref := range refs {
					if ref == "" {
						continue
					}
					for _, cell := range cellsOf(t, ref) {
						if fm, _ := f.GetCellFormula(SheetCharts, cell); fm != "" {
							t.Errorf("%s: %s holds formula %q", c.name, cell, fm)
						}
						v, _ := f.GetCellValue(SheetCharts, cell, excelize.Options{RawCellValue: true})
						if _, err := strconv.ParseFloat(v, 64); err != nil {
							t.Errorf("%s: %s holds %q, not a number", c.name, cell, v)
						}
						checked++
					}
				}
			}
		}
		if checked < 5*n {
			t.Errorf("only %d cells checked", checked)
		}
	})
}

// cellsOf expands a one-row range reference such as Charts!$B$2:$C$2 into
// its cell names.
func cellsOf(t *testing.T, ref string) []string {
	t.Helper()
	_, r, _ := strings.Cut(strings.ReplaceAll(ref, "$", ""), "!")
	from, to, ok := strings.Cut(r, ":")
	if !ok {
		return []string{from}
	}
	c1, r1, err1 := excelize.CellNameToCoordinates(from)
	c2, r2, err2 := excelize.CellNameToCoordinates(to)
	if err1 != nil || err2 != nil || r1 != r2 {
		t.Fatalf("range %q", ref)
	}
	var out []string
	for c := c1; c <= c2; c++ {
		out = append(out, cellName(c, r1))
	}
	return out
}

func TestWorkbookChartsCacheTheirValues(t *testing.T) {
	run := fixtureRun(t, t.TempDir())
	if err := XLSX(context.Background(), run); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(run.Dir, XLSXFile)
	charts := chartsOn(readCharts(t, path), SheetCharts)
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// cells returns the raw values of a reference's cells.
	cells := func(ref string) []string {
		var out []string
		for _, c := range cellsOf(t, ref) {
			v, _ := f.GetCellValue(SheetCharts, c, excelize.Options{RawCellValue: true})
			out = append(out, v)
		}
		return out
	}
	// same compares a cache with the cells: text exactly, numbers by value.
	same := func(cache, want []string, numeric bool) bool {
		if len(cache) != len(want) {
			return false
		}
		for i := range want {
			if !numeric {
				if cache[i] != want[i] {
					return false
				}
				continue
			}
			a, err1 := strconv.ParseFloat(cache[i], 64)
			b, err2 := strconv.ParseFloat(want[i], 64)
			if err1 != nil || err2 != nil || a != b {
				return false
			}
		}
		return true
	}
	n := 0
	for _, c := range charts {
		for _, s := range append(append([]xmlSeries{}, c.Bars...), c.Scatters...) {
			n++
			check := func(what string, r xmlRef, numeric bool) {
				t.Helper()
				got := r.Strs
				if numeric {
					got = r.Nums
				}
				if r.F == "" || !same(got, cells(r.F), numeric) {
					t.Errorf("%s series %s %s %q caches %q, cells hold %q", c.name, s.Order.Val, what, r.F, got, cells(r.F))
				}
			}
			check("name", s.Name, false)
			if len(c.Bars) > 0 {
				check("categories", s.Cat, false)
				check("values", s.Val, true)
				continue
			}
			if s.XStr != nil {
				t.Errorf("%s series %s: x values are a text reference, so viewers plot them as 1, 2, 3", c.name, s.Order.Val)
			}
			check("x values", s.XNum, true)
			check("y values", s.YVal, true)
		}
	}
	if n != 5*len(run.Results.Groups) {
		t.Errorf("%d series checked", n)
	}
}
