package export

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// maxColWidth caps auto-fitted column widths (characters).
const maxColWidth = 60

// pValueFormat is the number format of every p-value cell: scientific, so
// that 0.0004 and 0.00000003 do not both read 0.0000.
const pValueFormat = "0.00E+00"

// headerFont is the font of every header row, named explicitly so that a
// viewer without the workbook's theme still shows the same font.
func headerFont() *excelize.Font {
	return &excelize.Font{Bold: true, Family: "Calibri", Size: 11, Color: "000000"}
}

// book wraps an excelize file with the styles every sheet uses.
type book struct {
	f                                             *excelize.File
	header, ms, num, share, pct, integer, p, best int
	// headerWrap is the header style of a table with wrapHeader.
	headerWrap int
	// answers are the Samples sheet's cells, gathered while the Requests
	// sheet is written (one pass over the records for both).
	answers *sampleAnswers
	// charts are the Charts sheet's values, cached into the chart parts.
	charts chartCells
	// labels are the point labels added to scatter charts.
	labels pointLabels
}

func newBook() (*book, error) {
	f := excelize.NewFile()
	b := &book{f: f}
	ms, num, sci := "0.0", "0.00", pValueFormat
	var err error
	mk := func(s *excelize.Style) int {
		if err != nil {
			return 0
		}
		var id int
		id, err = f.NewStyle(s)
		return id
	}
	b.header = mk(&excelize.Style{Font: headerFont(),
		Fill:   excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDE4EE"}},
		Border: []excelize.Border{{Type: "bottom", Color: "7F8C9D", Style: 1}}})
	b.headerWrap = mk(&excelize.Style{Font: headerFont(),
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDE4EE"}},
		Border:    []excelize.Border{{Type: "bottom", Color: "7F8C9D", Style: 1}},
		Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	b.ms = mk(&excelize.Style{CustomNumFmt: &ms})
	b.num = mk(&excelize.Style{CustomNumFmt: &num})
	b.pct = mk(&excelize.Style{CustomNumFmt: &num})
	b.share = mk(&excelize.Style{NumFmt: 10})  // 0.00%
	b.integer = mk(&excelize.Style{NumFmt: 1}) // 0
	b.p = mk(&excelize.Style{CustomNumFmt: &sci})
	if err != nil {
		return nil, err
	}
	b.best, err = f.NewConditionalStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Color: "006100"},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"C6EFCE"}}})
	return b, err
}

// styleOf returns the number style of a value kind (0 for text and bools).
func (b *book) styleOf(k valueKind) int {
	switch k {
	case kindMs:
		return b.ms
	case kindNum:
		return b.num
	case kindPct:
		return b.pct
	case kindShare:
		return b.share
	case kindInt:
		return b.integer
	case kindP:
		return b.p
	}
	return 0
}

// cellName returns the A1 name of (col,row), both 1-based.
func cellName(col, row int) string {
	s, _ := excelize.CoordinatesToCellName(col, row)
	return s
}

func colName(col int) string {
	s, _ := excelize.ColumnNumberToName(col)
	return s
}

// set writes one value: strings always as strings (never formulas), numbers
// at full precision, NaN and infinities as empty cells.
func (b *book) set(sheet string, col, row int, v any) error {
	c := cellName(col, row)
	switch v := v.(type) {
	case nil:
		return nil
	case string:
		return b.f.SetCellStr(sheet, c, v)
	case int:
		return b.f.SetCellInt(sheet, c, int64(v))
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil
		}
		return b.f.SetCellFloat(sheet, c, v, -1, 64)
	case bool:
		return b.f.SetCellBool(sheet, c, v)
	}
	return fmt.Errorf("cell %s: unsupported value %T", c, v)
}

// table is a small sheet: a header and rows of values with per-column kinds.
type table struct {
	header []string
	kinds  []valueKind
	best   []better
	rows   [][]any
	// freezeCols is the number of leading columns kept visible when scrolling.
	freezeCols int
	// wrapHeader sizes the columns to their values (at least
	// wrapHeaderWidth) and wraps the header text over several lines: for
	// a table of many columns with long names (Summary), which would
	// otherwise be too wide to print on one page.
	wrapHeader bool
}

// writeTable writes t at A1 with a styled, frozen header, autofilter,
// number formats, fitted widths and best-value highlighting, declares its
// range as the sheet's dimension and sets the sheet up for printing
// (printSetup).
func (b *book) writeTable(sheet string, t *table) error {
	if err := b.setDimension(sheet, len(t.header), len(t.rows)+1); err != nil {
		return err
	}
	for i, h := range t.header {
		if err := b.set(sheet, i+1, 1, h); err != nil {
			return err
		}
	}
	for r, row := range t.rows {
		for c, v := range row {
			if err := b.set(sheet, c+1, r+2, v); err != nil {
				return err
			}
		}
	}
	last := colName(len(t.header))
	if err := b.styleHeader(sheet, t); err != nil {
		return err
	}
	n := len(t.rows)
	for c, k := range t.kinds {
		if s := b.styleOf(k); s != 0 && n > 0 {
			col := colName(c + 1)
			if err := b.f.SetCellStyle(sheet, col+"2", col+strconv.Itoa(n+1), s); err != nil {
				return err
			}
		}
	}
	for c, w := range fitWidths(t) {
		if err := b.f.SetColWidth(sheet, colName(c+1), colName(c+1), w); err != nil {
			return err
		}
	}
	top := cellName(t.freezeCols+1, 2)
	if err := b.f.SetPanes(sheet, &excelize.Panes{Freeze: true, XSplit: t.freezeCols, YSplit: 1,
		TopLeftCell: top, ActivePane: activePane(t.freezeCols)}); err != nil {
		return err
	}
	if n > 0 {
		if err := b.f.AutoFilter(sheet, "A1:"+last+strconv.Itoa(n+1), nil); err != nil {
			return err
		}
	}
	if err := b.highlightBest(sheet, t); err != nil {
		return err
	}
	// After AutoFilter, which replaces the sheet properties that hold
	// fit-to-page.
	return b.printSetup(sheet)
}

// highlightBest marks the best value of each column of t that has a
// direction (t.best), when there are two rows or more.
func (b *book) highlightBest(sheet string, t *table) error {
	n := len(t.rows)
	if n > 1 {
		for c, bt := range t.best {
			if bt == betterNone {
				continue
			}
			typ := "bottom"
			if bt == betterHigh {
				typ = "top"
			}
			col := colName(c + 1)
			style := b.best
			if err := b.f.SetConditionalFormat(sheet, col+"2:"+col+strconv.Itoa(n+1), []excelize.ConditionalFormatOptions{
				{Type: typ, Criteria: "=", Value: "1", Format: &style},
			}); err != nil {
				return err
			}
		}
	}
	return nil
}

// wrapHeaderWidth is the least width of a column of a table with
// wrapHeader, and maxHeaderLines the most lines its header row shows;
// compactNumberWidth is the width a number is given in such a table: its
// formats render in at most 8 characters ("12345.6", "5.25E-33"), which
// a column of width 8 shows.
const (
	wrapHeaderWidth    = 8
	maxHeaderLines     = 6
	compactNumberWidth = 6
)

// styleHeader styles t's header row; with wrapHeader its text wraps and
// the row is as tall as its longest header needs (up to maxHeaderLines).
func (b *book) styleHeader(sheet string, t *table) error {
	last := colName(len(t.header))
	if !t.wrapHeader {
		return b.f.SetCellStyle(sheet, "A1", last+"1", b.header)
	}
	if err := b.f.SetCellStyle(sheet, "A1", last+"1", b.headerWrap); err != nil {
		return err
	}
	lines := 1
	for i, w := range fitWidths(t) {
		n := utf8.RuneCountInString(t.header[i])
		lines = max(lines, int(math.Ceil(float64(n)/(w-1))))
	}
	return b.f.SetRowHeight(sheet, 1, 15*float64(min(lines, maxHeaderLines)))
}

func activePane(freezeCols int) string {
	if freezeCols > 0 {
		return "bottomRight"
	}
	return "bottomLeft"
}

// fitWidths sizes each column to its longest rendered value.
func fitWidths(t *table) []float64 {
	w := make([]float64, len(t.header))
	for i, h := range t.header {
		w[i] = float64(utf8.RuneCountInString(h)) + 2
		if t.wrapHeader {
			w[i] = wrapHeaderWidth
		}
	}
	for _, row := range t.rows {
		for i, v := range row {
			var n int
			switch v := v.(type) {
			case string:
				n = utf8.RuneCountInString(v)
				if j := strings.IndexByte(v, '\n'); j >= 0 {
					n = utf8.RuneCountInString(v[:j])
				}
			case nil:
			default:
				n = 10
				if t.wrapHeader {
					n = compactNumberWidth
				}
			}
			if float64(n)+2 > w[i] {
				w[i] = float64(n) + 2
			}
		}
	}
	for i := range w {
		w[i] = math.Min(w[i], maxColWidth)
	}
	return w
}
