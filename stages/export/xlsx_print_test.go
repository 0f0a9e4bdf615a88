package export

import (
	"archive/zip"
	"context"
	"encoding/xml"
	"io"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// sweepWorkbook writes the fixture run with handSweep's curves and opens
// its workbook.
func sweepWorkbook(t *testing.T) (*excelize.File, string) {
	t.Helper()
	run := fixtureRun(t, t.TempDir())
	run.Results.Sweep = handSweep()
	if err := XLSX(context.Background(), run); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(run.Dir, XLSXFile)
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f, path
}

func TestEverySheetDeclaresTheRangeItUses(t *testing.T) {
	f, _ := sweepWorkbook(t)
	for _, sheet := range f.GetSheetList() {
		rows, err := f.GetRows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		cols := 0
		for _, r := range rows {
			cols = max(cols, len(r))
		}
		want := "A1:" + cellName(cols, len(rows))
		got, err := f.GetSheetDimension(sheet)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%s declares <dimension ref=%q>, its cells span %s", sheet, got, want)
		}
	}
}

// Every sheet prints landscape but Config, a tall two-column sheet that
// prints portrait (more of its rows on a page).
func TestEverySheetPrintsLandscapeOnePageWideWithItsHeaderOnEveryPage(t *testing.T) {
	f, _ := sweepWorkbook(t)
	names := f.GetDefinedName()
	for _, sheet := range f.GetSheetList() {
		pl, err := f.GetPageLayout(sheet)
		if err != nil {
			t.Fatal(err)
		}
		orientation := "landscape"
		if sheet == SheetConfig {
			orientation = "portrait"
		}
		if pl.Orientation == nil || *pl.Orientation != orientation || pl.FitToWidth == nil || *pl.FitToWidth != 1 || pl.FitToHeight == nil || *pl.FitToHeight != 0 {
			t.Errorf("%s page layout %+v, want %s, one page wide, any number high", sheet, pl, orientation)
		}
		props, err := f.GetSheetProps(sheet)
		if err != nil {
			t.Fatal(err)
		}
		if props.FitToPage == nil || !*props.FitToPage {
			t.Errorf("%s: fit to page is off, so the fit to width is ignored", sheet)
		}
		if !slices.ContainsFunc(names, func(d excelize.DefinedName) bool {
			return d.Name == "_xlnm.Print_Titles" && d.Scope == sheet && strings.HasSuffix(d.RefersTo, "!$1:$1")
		}) {
			t.Errorf("%s: no print titles repeating its header row", sheet)
		}
	}
}

// drawingAnchors returns, per chart anchor of a drawing part, its first
// and last row (0-based).
type xmlAnchor struct {
	From int `xml:"from>row"`
	To   int `xml:"to>row"`
}

func TestEachChartPrintsWholeOnAPageOfItsOwn(t *testing.T) {
	f, path := sweepWorkbook(t)
	checkChartPages(t, f, path, map[string]int{SheetCharts: 5, SheetTimeline: 3, SheetSweep: 6})
}

// checkChartPages checks that the sheets of wantCharts hold that many
// charts each, every one whole on a page of its own (a page break before
// each but the first, none through it, none running into the next).
func checkChartPages(t *testing.T, f *excelize.File, path string, wantCharts map[string]int) {
	t.Helper()
	checkChartPagesPer(t, f, path, wantCharts, nil)
}

// checkChartPagesPer is checkChartPages where the sheets of perPage put
// that many charts on a page (a page break before every n-th).
func checkChartPagesPer(t *testing.T, f *excelize.File, path string, wantCharts, perPage map[string]int) {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	read := func(name string) string {
		for _, zf := range zr.File {
			if zf.Name == name {
				rc, _ := zf.Open()
				b, _ := io.ReadAll(rc)
				rc.Close()
				return string(b)
			}
		}
		return ""
	}
	for i, sheet := range f.GetSheetList() {
		want, ok := wantCharts[sheet]
		if !ok {
			continue
		}
		part := "xl/worksheets/sheet" + strconv.Itoa(i+1) + ".xml"
		x := read(part)
		var breaks []int
		for _, m := range regexp.MustCompile(`<brk id="(\d+)"`).FindAllStringSubmatch(x, -1) {
			n, _ := strconv.Atoi(m[1])
			breaks = append(breaks, n)
		}
		rels := read("xl/worksheets/_rels/sheet" + strconv.Itoa(i+1) + ".xml.rels")
		dm := regexp.MustCompile(`Target="\.\./drawings/(drawing\d+\.xml)"`).FindStringSubmatch(rels)
		if dm == nil {
			t.Fatalf("%s has no drawing", sheet)
		}
		var d struct {
			Anchors []xmlAnchor `xml:"twoCellAnchor"`
		}
		if err := xml.Unmarshal([]byte(read("xl/drawings/"+dm[1])), &d); err != nil {
			t.Fatal(err)
		}
		if len(d.Anchors) != want {
			t.Errorf("%s: %d charts, want %d", sheet, len(d.Anchors), want)
		}
		for j, a := range d.Anchors {
			// A break at id n starts a page at row n+1 (1-based), which is
			// 0-based row n: where the chart's anchor starts.
			if per := max(perPage[sheet], 1); j > 0 && j%per == 0 && !slices.Contains(breaks, a.From) {
				t.Errorf("%s chart %d starts at row %d, no page break there (breaks %v)", sheet, j, a.From+1, breaks)
			}
			for _, b := range breaks {
				if b > a.From && b <= a.To {
					t.Errorf("%s chart %d (rows %d-%d) is cut by the page break before row %d", sheet, j, a.From+1, a.To+1, b+1)
				}
			}
			if j+1 < len(d.Anchors) && a.To >= d.Anchors[j+1].From {
				t.Errorf("%s chart %d (rows %d-%d) runs into the next one", sheet, j, a.From+1, a.To+1)
			}
		}
	}
}

func TestTheSweepSheetStatesGoodputAndErrorsInPercent(t *testing.T) {
	f, _ := sweepWorkbook(t)
	rows, err := f.GetRows(SheetSweep)
	if err != nil {
		t.Fatal(err)
	}
	g, e := slices.Index(rows[0], "Goodput (%)"), slices.Index(rows[0], "Error rate (%)")
	if g < 0 || e < 0 {
		t.Fatalf("header %q lacks Goodput (%%) or Error rate (%%)", rows[0])
	}
	if rows[1][g] != "100.00" || rows[1][e] != "0.00" {
		t.Errorf("goodput %q, error rate %q; want both in percent (100.00, 0.00)", rows[1][g], rows[1][e])
	}
}
