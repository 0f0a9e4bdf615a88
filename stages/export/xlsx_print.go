package export

import (
	"fmt"
	"math"
	"regexp"
	"strconv"

	"github.com/xuri/excelize/v2"
)

// How charts are laid out for printing: each chart is anchored in column
// A below its sheet's table (or beside it), with a page break before it,
// so that it prints whole on a page of its own. A chart is at least
// chartW x chartH pixels, which fits a landscape A4 or Letter page at
// 100 %; below a table wider than that it is as wide as the table, so
// that it fills the page at the scale the table prints at. chartAspect is
// its width over its height; it takes its height in rows of Excel's
// default height (rowPixels) plus chartGapRows.
const (
	chartW, chartH = 760, 400
	chartAspect    = 1.9
	maxChartW      = 1000
	rowPixels      = 20
	chartGapRows   = 3
	// shortTableRows: a table of at most this many rows shares its page
	// with the first chart (no page break between them).
	shortTableRows = 10
)

// printSetup makes sheet print landscape, one page wide and as many high
// as it needs, with its header row (row 1) repeated on every page, within
// narrow margins (Excel's "Narrow": 0.75 in left and right less, 0.5 in
// top and bottom) so that a page holds more rows.
func (b *book) printSetup(sheet string) error {
	landscape, one, tall := "landscape", 1, 0
	if err := b.f.SetPageLayout(sheet, &excelize.PageLayoutOptions{Orientation: &landscape, FitToWidth: &one, FitToHeight: &tall}); err != nil {
		return err
	}
	side, edge, band := 0.25, 0.5, 0.3
	if err := b.f.SetPageMargins(sheet, &excelize.PageLayoutMarginsOptions{Left: &side, Right: &side, Top: &edge, Bottom: &edge, Header: &band, Footer: &band}); err != nil {
		return err
	}
	fit := true
	if err := b.f.SetSheetProps(sheet, &excelize.SheetPropsOptions{FitToPage: &fit}); err != nil {
		return err
	}
	return b.f.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Titles", RefersTo: quoteSheet(sheet) + "!$1:$1", Scope: sheet})
}

// portrait makes sheet print portrait: a two-column key-value sheet such
// as Config is tall and narrow, and a portrait page holds more of its rows.
func (b *book) portrait(sheet string) error {
	o := "portrait"
	return b.f.SetPageLayout(sheet, &excelize.PageLayoutOptions{Orientation: &o})
}

// quoteSheet quotes a sheet name for a formula reference.
func quoteSheet(sheet string) string { return "'" + sheet + "'" }

// setDimension declares the used range of sheet: cols columns and rows
// rows from A1 (excelize leaves every sheet at "A1", and a reader that
// trusts it, such as openpyxl's read-only mode, sees one cell).
func (b *book) setDimension(sheet string, cols, rows int) error {
	return b.f.SetSheetDimension(sheet, "A1:"+cellName(max(cols, 1), max(rows, 1)))
}

// chartLayout is where a sheet's charts go: the first at (col, row),
// each next one rows below, with a page break before each (before the
// first only when breakFirst), each width x height pixels; with perPage
// > 1, a page break before every perPage-th chart instead.
type chartLayout struct {
	col, row, rows int
	width, height  float64
	breakFirst     bool
	perPage        int
}

// chartsBelow places charts in column A below a table of tableRows rows
// (its header not counted) and widths (fitWidths), as wide as the table
// when it is wider than chartW; the first shares the table's page when the
// table is short (shortTableRows).
func chartsBelow(tableRows int, widths []float64) chartLayout {
	w := min(max(chartW, columnPixels(widths)), maxChartW)
	h := math.Round(max(chartH, w/chartAspect))
	return chartLayout{col: 1, row: tableRows + 3, width: w, height: h,
		rows: int(math.Ceil(h/rowPixels)) + chartGapRows, breakFirst: tableRows > shortTableRows}
}

// columnPixels is the width in pixels of columns of widths (characters of
// the default font), as Excel renders them.
func columnPixels(widths []float64) float64 {
	px := 0.0
	for _, c := range widths {
		px += c*7 + 5
	}
	return px
}

// chartsBeside places charts of the default size to the right of a table
// of tableCols columns, from row 1: each page then prints the table's
// rows beside one chart.
func chartsBeside(tableCols int) chartLayout {
	return chartLayout{col: tableCols + 2, row: 1, width: chartW, height: chartH,
		rows: chartH/rowPixels + chartGapRows}
}

// stripH is the height in pixels of a strip chart, and stripRows the
// rows it takes with its gap (excelize anchors it over 13-14 rows of the
// default height): two strips, 30 rows, print on one landscape page at
// the width of a chart.
const (
	stripH    = 230
	stripRows = 15
)

// stripsBeside places strip charts (chartW x stripH) two to a page to the
// right of a table of tableCols columns, from row 2 (the header row may be
// taller), for a sheet whose print area is the charts alone
// (printChartsOnly).
func stripsBeside(tableCols int) chartLayout {
	return chartLayout{col: tableCols + 2, row: 2, width: chartW, height: stripH,
		rows: stripRows, perPage: 2}
}

// printChartsOnly makes sheet print the columns of l's charts alone
// (n of them), without the table beside them or its title row.
func (b *book) printChartsOnly(sheet string, l chartLayout, n int) error {
	lastCol := l.col + int(math.Ceil(l.width/defaultColPixels))
	lastRow := l.row + n*l.rows
	area := quoteSheet(sheet) + "!" + absCell(l.col, l.row) + ":" + absCell(lastCol, lastRow)
	if err := b.f.DeleteDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Titles", Scope: sheet}); err != nil {
		return err
	}
	return b.f.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Area", RefersTo: area, Scope: sheet})
}

// defaultColPixels is the width in pixels of a column of Excel's default
// width (8.43 characters).
const defaultColPixels = 64

// absCell is the absolute reference ($A$1) of column col, row row.
func absCell(col, row int) string {
	name, _ := excelize.ColumnNumberToName(col)
	return "$" + name + "$" + strconv.Itoa(row)
}

// placeCharts anchors charts by l, each on a page of its own (or perPage
// to a page).
func (b *book) placeCharts(sheet string, l chartLayout, charts []*excelize.Chart) error {
	row := l.row
	per := max(l.perPage, 1)
	for i, c := range charts {
		if (i > 0 && i%per == 0) || (i == 0 && l.breakFirst) {
			if err := b.f.InsertPageBreak(sheet, "A"+strconv.Itoa(row)); err != nil {
				return err
			}
		}
		c.Dimension = excelize.ChartDimension{Width: uint(l.width), Height: uint(l.height)}
		c.Format.OffsetY = 4
		at := cellName(l.col, row)
		if err := b.f.AddChart(sheet, at, c); err != nil {
			return fmt.Errorf("chart at %s: %w", at, err)
		}
		row += l.rows
	}
	return nil
}

// detailStatRe matches the Summary columns of a distribution's detail
// statistics (count, spread, extremes, p90, interval), of the
// comparison's significance flags and of the client's health details;
// see collapseDetail.
var detailStatRe = regexp.MustCompile(`(_n|_stddev|_cv|_min|_max|_p90|_ci_low|_ci_high)(_ms|_pct)?$|_significant$|^client_(sched|cpu|cores|send|errors)`)

// collapseDetail groups the detail columns of sheet (header names
// matching detailStatRe) into collapsed outlines: the sheet shows and
// prints the headline figures (mean, p50, p95, p99 and the single
// figures), and the + above the header shows the rest. The Summary has
// too many columns to print on one page otherwise.
func (b *book) collapseDetail(sheet string, header []string) error {
	for i, h := range header {
		if !detailStatRe.MatchString(h) {
			continue
		}
		col := colName(i + 1)
		if err := b.f.SetColOutlineLevel(sheet, col, 1); err != nil {
			return err
		}
		if err := b.f.SetColVisible(sheet, col, false); err != nil {
			return err
		}
	}
	return nil
}
