package export

import (
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/xuri/excelize/v2"

	"github.com/inferbench/inferbench/stages/aggregate"
)

// compareHeader is the column order of compare.csv and compare.xlsx.
// load is the group's load level ("" when the platform has one).
var compareHeader = []string{"platform", "model", "temperature", "load", "figure", "unit", "a", "b", "change", "ratio", "ci_low", "ci_high", "p_value", "n_paired", "significant", "questions"}

// absent is a compare cell without a value, written as missing ("-").
type absent struct{}

// deltaRow is d's row under compareHeader: a figure d does not have is
// absent (the p-value too), n_paired is empty for figures that are not
// paired by question, and questions is the scope of the comparison.
func deltaRow(d aggregate.RunDelta, questions string) []any {
	num := func(p *float64) any {
		if p == nil {
			return absent{}
		}
		return *p
	}
	var paired any = ""
	if d.Figure == "em" || d.Figure == "f1" {
		paired = d.NPaired
	}
	return []any{d.Platform, d.Model, d.Temperature, d.Level, d.Figure, d.Unit, num(d.A), num(d.B), num(d.Change), num(d.Ratio),
		num(d.CILow), num(d.CIHigh), num(d.PValue), paired, d.Significant, questions}
}

// PrintRunDeltas prints the comparison of run A and run B for a terminal:
// which questions were compared (questions, e.g. DatasetDiff.Scope), then
// one block per group (labelled with its load level when it has one), one
// line per figure, significant changes marked
// and accuracy lines followed by their number of paired questions. A
// figure a run does not have, and everything computed from it, is shown
// as missing ("-").
func PrintRunDeltas(w io.Writer, nameA, nameB, questions string, deltas []aggregate.RunDelta) error {
	ew := &errWriter{w: w}
	fmt.Fprintf(ew, "A = %s\nB = %s\nquestions: %s\n", nameA, nameB, questions)
	tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
	num := func(p *float64, format string) string {
		if p == nil {
			return missing
		}
		return fmt.Sprintf(format, *p)
	}
	last := ""
	for _, d := range deltas {
		key := fmt.Sprintf("%s / %s / t=%s", d.Platform, d.Model, strconv.FormatFloat(d.Temperature, 'g', -1, 64))
		if d.Level != "" {
			key += " / load " + d.Level
		}
		if key != last {
			fmt.Fprintf(tw, "\n%s\n", key)
			fmt.Fprintln(tw, "  FIGURE\tA\tB\tCHANGE\t95% CI\tP\t")
			last = key
		}
		p := missing
		if d.PValue != nil {
			p = formatP(*d.PValue)
		}
		ci := missing
		if d.CILow != nil && d.CIHigh != nil {
			ci = fmt.Sprintf("[%.2f, %.2f]", *d.CILow, *d.CIHigh)
		}
		var notes []string
		if d.Significant {
			notes = append(notes, "significant")
		}
		if d.Figure == "em" || d.Figure == "f1" {
			notes = append(notes, fmt.Sprintf("%d paired questions", d.NPaired))
		}
		fmt.Fprintf(tw, "  %s (%s)\t%s\t%s\t%s\t%s\t%s\t%s\n", d.Figure, d.Unit,
			num(d.A, "%.2f"), num(d.B, "%.2f"), num(d.Change, "%+.2f"), ci, p, strings.Join(notes, ", "))
	}
	tw.Flush()
	return ew.err
}

// WriteRunDeltas writes compare.csv and compare.xlsx into dir (created if
// needed), one row per delta under compareHeader. A figure a run does not
// have is written as missing ("-"), as summary.csv does, never as 0. Every
// row's questions column holds questions (e.g. DatasetDiff.Scope), so
// that a row read alone still says when only the shared questions were
// compared. Text cells are neutralized against formula injection like
// every other export.
func WriteRunDeltas(dir, questions string, deltas []aggregate.RunDelta) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("compare: %w", err)
	}
	err := writeFileAtomic(filepath.Join(dir, "compare.csv"), func(w io.Writer) error {
		cw := csv.NewWriter(w)
		if err := cw.Write(compareHeader); err != nil {
			return err
		}
		for _, d := range deltas {
			row := deltaRow(d, questions)
			rec := make([]string, len(row))
			for i, v := range row {
				switch x := v.(type) {
				case string:
					rec[i] = NeutralizeCell(x)
				case absent:
					rec[i] = missing
				case float64:
					rec[i] = formatNumber(x)
				case int:
					rec[i] = strconv.Itoa(x)
				case bool:
					rec[i] = strconv.FormatBool(x)
				}
			}
			if err := cw.Write(rec); err != nil {
				return err
			}
		}
		cw.Flush()
		return cw.Error()
	})
	if err != nil {
		return fmt.Errorf("compare.csv: %w", err)
	}
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "Compare"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return fmt.Errorf("compare.xlsx: %w", err)
	}
	for i, h := range compareHeader {
		cell, _ := excelize.CoordinatesToCellName(i+1, 1)
		if err := f.SetCellStr(sheet, cell, h); err != nil {
			return fmt.Errorf("compare.xlsx: %w", err)
		}
	}
	for r, d := range deltas {
		for c, v := range deltaRow(d, questions) {
			cell, _ := excelize.CoordinatesToCellName(c+1, r+2)
			var err error
			switch x := v.(type) {
			case string:
				err = f.SetCellStr(sheet, cell, x)
			case absent:
				err = f.SetCellStr(sheet, cell, missing)
			default:
				err = f.SetCellValue(sheet, cell, v)
			}
			if err != nil {
				return fmt.Errorf("compare.xlsx: %w", err)
			}
		}
	}
	if err := styleCompareSheet(f, sheet, len(deltas)); err != nil {
		return fmt.Errorf("compare.xlsx: %w", err)
	}
	if err := f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return fmt.Errorf("compare.xlsx: %w", err)
	}
	last, _ := excelize.CoordinatesToCellName(len(compareHeader), len(deltas)+1)
	if err := f.AutoFilter(sheet, "A1:"+last, nil); err != nil {
		return fmt.Errorf("compare.xlsx: %w", err)
	}
	if err := f.SaveAs(filepath.Join(dir, "compare.xlsx")); err != nil {
		return fmt.Errorf("compare.xlsx: %w", err)
	}
	return nil
}

// styleCompareSheet gives the Compare sheet's header the workbook's header
// font and its p_value column the scientific format of every p-value.
func styleCompareSheet(f *excelize.File, sheet string, rows int) error {
	hdr, err := f.NewStyle(&excelize.Style{Font: headerFont()})
	if err != nil {
		return err
	}
	last, _ := excelize.CoordinatesToCellName(len(compareHeader), 1)
	if err := f.SetCellStyle(sheet, "A1", last, hdr); err != nil {
		return err
	}
	if rows == 0 {
		return nil
	}
	sci := pValueFormat
	p, err := f.NewStyle(&excelize.Style{CustomNumFmt: &sci})
	if err != nil {
		return err
	}
	col := slices.Index(compareHeader, "p_value") + 1
	top, _ := excelize.CoordinatesToCellName(col, 2)
	bottom, _ := excelize.CoordinatesToCellName(col, rows+1)
	return f.SetCellStyle(sheet, top, bottom, p)
}
