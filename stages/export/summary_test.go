package export

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/inferbench/inferbench/pipeline/results"
	"github.com/inferbench/inferbench/stages/aggregate"
)

// scoreFamilies are the per-request 0/1 (EM) or mostly 0/1 (F1) scores.
var scoreFamilies = []string{"em", "f1", "raw_em", "raw_f1"}

func TestSummaryColumnsMeanWhatTheySay(t *testing.T) {
	run := fixtureRun(t, t.TempDir())
	header := SummaryHeader(run.Results)
	has := func(name string) bool { return slices.Contains(header, name) }
	for _, fam := range scoreFamilies {
		t.Run(fam+" has its mean and CI but no percentile, min or max", func(t *testing.T) {
			for _, st := range []string{"p50", "p90", "p95", "p99", "min", "max"} {
				for _, h := range header {
					if strings.HasPrefix(h, fam+"_"+st) {
						t.Errorf("column %s", h)
					}
				}
			}
			for _, want := range []string{fam + "_mean_pct", fam + "_ci_low_pct", fam + "_ci_high_pct", fam + "_n"} {
				if !has(want) {
					t.Errorf("no column %s", want)
				}
			}
		})
	}
	t.Run("counts and ratios carry no unit", func(t *testing.T) {
		for _, h := range header {
			if strings.Contains(h, "_n_") || strings.Contains(h, "_cv_") {
				t.Errorf("column %s has a unit", h)
			}
		}
		for _, want := range []string{"latency_n", "latency_cv", "ttft_n", "itl_n", "tokens_per_sec_n"} {
			if !has(want) {
				t.Errorf("no column %s", want)
			}
		}
	})
	t.Run("times are in ms and percentages say so", func(t *testing.T) {
		for _, want := range []string{"latency_mean_ms", "latency_p99_ms", "ttft_p50_ms", "f1_mean_pct"} {
			if !has(want) {
				t.Errorf("no column %s", want)
			}
		}
	})
}

// cellStyle returns the style of a cell.
func cellStyle(t *testing.T, f *excelize.File, sheet, cell string) *excelize.Style {
	t.Helper()
	id, err := f.GetCellStyle(sheet, cell)
	if err != nil {
		t.Fatal(err)
	}
	st, err := f.GetStyle(id)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// isScientific reports whether st formats numbers as 0.00E+00 (built-in
// format 11 or the same custom code).
func isScientific(st *excelize.Style) bool {
	return st.NumFmt == 11 || (st.CustomNumFmt != nil && *st.CustomNumFmt == "0.00E+00")
}

// columnCell returns the A1 name of row row's cell in the column headed name.
func columnCell(t *testing.T, f *excelize.File, sheet, name string, row int) string {
	t.Helper()
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	return cellName(colIndex(t, rows[0], name)+1, row)
}

func TestWorkbookHeadersAndPValues(t *testing.T) {
	run := fixtureRun(t, t.TempDir())
	if err := XLSX(context.Background(), run); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenFile(filepath.Join(run.Dir, XLSXFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, sheet := range []string{SheetSummary, SheetComparison, SheetAccuracy, SheetSamples, SheetConfig, SheetCharts} {
		t.Run("the "+sheet+" header is in bold Calibri", func(t *testing.T) {
			st := cellStyle(t, f, sheet, "B1")
			if st.Font == nil || st.Font.Family != "Calibri" || !st.Font.Bold {
				t.Errorf("header font %+v", st.Font)
			}
		})
	}
	t.Run("p-values in Comparison are in scientific format", func(t *testing.T) {
		if st := cellStyle(t, f, SheetComparison, columnCell(t, f, SheetComparison, "p_value", 2)); !isScientific(st) {
			t.Errorf("number format %d / %v", st.NumFmt, st.CustomNumFmt)
		}
	})
	t.Run("p-values in Summary are in scientific format", func(t *testing.T) {
		if st := cellStyle(t, f, SheetSummary, columnCell(t, f, SheetSummary, "speedup_p_value", 2)); !isScientific(st) {
			t.Errorf("number format %d / %v", st.NumFmt, st.CustomNumFmt)
		}
	})
	t.Run("p-values in compare.xlsx are in scientific format", func(t *testing.T) {
		dir := t.TempDir()
		p := 0.00004
		a, b := 1.0, 2.0
		deltas := []aggregate.RunDelta{{GroupKey: results.GroupKey{Platform: "a", Model: "m"}, Figure: "latency_p50", Unit: "ms", A: &a, B: &b, PValue: &p}}
		if err := WriteRunDeltas(dir, "all 1", deltas); err != nil {
			t.Fatal(err)
		}
		f, err := excelize.OpenFile(filepath.Join(dir, "compare.xlsx"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if st := cellStyle(t, f, "Compare", columnCell(t, f, "Compare", "p_value", 2)); !isScientific(st) {
			t.Errorf("number format %d / %v", st.NumFmt, st.CustomNumFmt)
		}
		if st := cellStyle(t, f, "Compare", "A1"); st.Font == nil || st.Font.Family != "Calibri" || !st.Font.Bold {
			t.Errorf("header font %+v", st.Font)
		}
	})
}
