package export

import (
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"text/tabwriter"

	"github.com/xuri/excelize/v2"

	"github.com/inferbench/inferbench/stages/aggregate"
)

// compareHeader is the column order of compare.csv and compare.xlsx.
var compareHeader = []string{"platform", "model", "temperature", "figure", "unit", "a", "b", "change", "ratio", "ci_low", "ci_high", "p_value", "significant"}

func deltaRow(d aggregate.RunDelta) []any {
	var p any = ""
	if d.PValue != nil {
		p = *d.PValue
	}
	return []any{d.Platform, d.Model, d.Temperature, d.Figure, d.Unit, d.A, d.B, d.Change, d.Ratio, d.CILow, d.CIHigh, p, d.Significant}
}

// PrintRunDeltas prints the comparison of run A and run B for a terminal:
// one block per group, one line per figure, significant changes marked.
func PrintRunDeltas(w io.Writer, nameA, nameB string, deltas []aggregate.RunDelta) error {
	ew := &errWriter{w: w}
	fmt.Fprintf(ew, "A = %s\nB = %s\n", nameA, nameB)
	tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
	last := ""
	for _, d := range deltas {
		key := fmt.Sprintf("%s / %s / t=%s", d.Platform, d.Model, strconv.FormatFloat(d.Temperature, 'g', -1, 64))
		if key != last {
			fmt.Fprintf(tw, "\n%s\n", key)
			fmt.Fprintln(tw, "  FIGURE\tA\tB\tCHANGE\t95% CI\tP\t")
			last = key
		}
		p := "-"
		if d.PValue != nil {
			p = formatP(*d.PValue)
		}
		mark := ""
		if d.Significant {
			mark = "significant"
		}
		fmt.Fprintf(tw, "  %s (%s)\t%s\t%s\t%+.2f\t[%.2f, %.2f]\t%s\t%s\n", d.Figure, d.Unit,
			fnum(d.A, 2), fnum(d.B, 2), d.Change, d.CILow, d.CIHigh, p, mark)
	}
	tw.Flush()
	return ew.err
}

// WriteRunDeltas writes compare.csv and compare.xlsx into dir (created if
// needed). Text cells are neutralized against formula injection like
// every other export.
func WriteRunDeltas(dir string, deltas []aggregate.RunDelta) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("compare: %w", err)
	}
	err := writeFileAtomic(filepath.Join(dir, "compare.csv"), func(w io.Writer) error {
		cw := csv.NewWriter(w)
		if err := cw.Write(compareHeader); err != nil {
			return err
		}
		for _, d := range deltas {
			row := deltaRow(d)
			rec := make([]string, len(row))
			for i, v := range row {
				switch x := v.(type) {
				case string:
					rec[i] = NeutralizeCell(x)
				case float64:
					rec[i] = formatNumber(x)
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
		for c, v := range deltaRow(d) {
			cell, _ := excelize.CoordinatesToCellName(c+1, r+2)
			var err error
			if s, ok := v.(string); ok {
				err = f.SetCellStr(sheet, cell, s)
			} else {
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
