package export

import (
	"archive/zip"
	"context"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/inferbench/inferbench/pipeline/results"
	"github.com/xuri/excelize/v2"
)

func TestXLSXWorkbook(t *testing.T) {
	run := fixtureRun(t, t.TempDir())
	if err := XLSX(context.Background(), run); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(run.Dir, XLSXFile)
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	t.Run("sheets are in the documented order and Summary is active", func(t *testing.T) {
		if got := f.GetSheetList(); !reflect.DeepEqual(got, SheetNames) {
			t.Fatalf("got %v", got)
		}
		if f.GetActiveSheetIndex() != 0 {
			t.Fatalf("active sheet %d", f.GetActiveSheetIndex())
		}
	})

	rows, err := f.GetRows(SheetSummary, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("Summary has one header row and one row per group", func(t *testing.T) {
		if len(rows) != 1+len(run.Results.Groups) {
			t.Fatalf("%d rows", len(rows))
		}
		if !reflect.DeepEqual(rows[0], SummaryHeader(run.Results)) {
			t.Fatalf("header %v", rows[0])
		}
	})
	t.Run("Summary values equal the results as plain numbers", func(t *testing.T) {
		cols := summaryColumns(run.Results)
		for gi := range run.Results.Groups {
			g := &run.Results.Groups[gi]
			cmp := comparisonFor(run.Results, g.GroupKey)
			for ci, c := range cols {
				want := c.value(g, cmp)
				cell := cellName(ci+1, gi+2)
				if formula, _ := f.GetCellFormula(SheetSummary, cell); formula != "" {
					t.Fatalf("%s holds a formula %q", cell, formula)
				}
				got := ""
				if ci < len(rows[gi+1]) {
					got = rows[gi+1][ci]
				}
				switch w := want.(type) {
				case nil:
					if got != "" {
						t.Errorf("%s %s: got %q, want empty", cell, c.name, got)
					}
				case string:
					if got != w {
						t.Errorf("%s %s: got %q, want %q", cell, c.name, got, w)
					}
				case bool:
					if (got == "1") != w {
						t.Errorf("%s %s: got %q, want %v", cell, c.name, got, w)
					}
				case int:
					if got != strconv.Itoa(w) {
						t.Errorf("%s %s: got %q, want %d", cell, c.name, got, w)
					}
				case float64:
					// Spreadsheets read numbers at 15 significant digits.
					v, err := strconv.ParseFloat(got, 64)
					if err != nil || math.Abs(v-w) > 1e-13*math.Max(1, math.Abs(w)) {
						t.Errorf("%s %s: got %q, want %v", cell, c.name, got, w)
					}
				}
			}
		}
	})
	t.Run("header rows are frozen", func(t *testing.T) {
		for _, s := range SheetNames {
			p, err := f.GetPanes(s)
			if err != nil {
				t.Fatal(err)
			}
			if !p.Freeze || p.YSplit != 1 {
				t.Errorf("%s panes %+v", s, p)
			}
		}
	})
	t.Run("Summary marks the best value per column with conditional formatting", func(t *testing.T) {
		cf, err := f.GetConditionalFormats(SheetSummary)
		if err != nil {
			t.Fatal(err)
		}
		col := colName(colIndex(t, rows[0], "latency_mean_ms") + 1)
		opts, ok := cf[col+"2:"+col+"3"]
		if !ok || len(opts) == 0 || opts[0].Type != "bottom" {
			t.Fatalf("latency_mean_ms rule %+v (all: %d ranges)", opts, len(cf))
		}
		col = colName(colIndex(t, rows[0], "f1_mean_pct") + 1)
		if opts := cf[col+"2:"+col+"3"]; len(opts) == 0 || opts[0].Type != "top" {
			t.Fatalf("f1_mean_pct rule %+v", opts)
		}
	})

	reqRows, err := f.GetRows(SheetRequests)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("Requests has every record and the server columns", func(t *testing.T) {
		if len(reqRows) != len(run.Records)+1 {
			t.Fatalf("%d rows for %d records", len(reqRows), len(run.Records))
		}
		if !reflect.DeepEqual(reqRows[0], requestsHeaderOf(run.Records)) {
			t.Fatalf("header %v", reqRows[0])
		}
	})
	t.Run("a formula-like answer is stored as a literal string", func(t *testing.T) {
		ansCol := colIndex(t, reqRows[0], "answer") + 1
		found := 0
		for i, r := range run.Records {
			if r.Answer != formulaAnswer && r.Answer != atAnswer && r.Answer != minusAnswer {
				continue
			}
			cell := cellName(ansCol, i+2)
			v, _ := f.GetCellValue(SheetRequests, cell)
			formula, _ := f.GetCellFormula(SheetRequests, cell)
			typ, _ := f.GetCellType(SheetRequests, cell)
			if v != r.Answer || formula != "" || (typ != excelize.CellTypeInlineString && typ != excelize.CellTypeSharedString) {
				t.Fatalf("%s: value %q formula %q type %v", cell, v, formula, typ)
			}
			found++
		}
		if found == 0 {
			t.Fatal("fixture has no formula-like answer")
		}
	})
	t.Run("Samples puts each group's answer side by side", func(t *testing.T) {
		s, err := f.GetRows(SheetSamples)
		if err != nil {
			t.Fatal(err)
		}
		if len(s) != 1+7 { // q1, q2 and q3 in repeats 0 and 1, q2b in repeat 1
			t.Fatalf("%d rows", len(s))
		}
		if s[1][0] != "q1" || s[1][4] != "Paris" || s[3][4] != "forty-two | 42" {
			t.Fatalf("rows %q / %q", s[1], s[3])
		}
		ans := colIndex(t, s[0], "metis/gpt-oss-120b answer")
		if s[3][ans] != formulaAnswer {
			t.Fatalf("metis answer to q2 %q", s[3][ans])
		}
		if formula, _ := f.GetCellFormula(SheetSamples, cellName(ans+1, 4)); formula != "" {
			t.Fatalf("formula %q", formula)
		}
	})
	t.Run("Config shows the manifest with secrets redacted", func(t *testing.T) {
		s, err := f.GetRows(SheetConfig)
		if err != nil {
			t.Fatal(err)
		}
		kv := map[string]string{}
		for _, r := range s[1:] {
			if len(r) == 2 {
				kv[r[0]] = r[1]
			}
		}
		if kv["dataset.sha256"] != "ab12" || kv["dataset.ids_count"] != "4" || kv["version"] != "v0.1.0-test" {
			t.Fatalf("config %v", kv)
		}
		if kv["experiment.platforms[0].api_key"] != "[redacted]" {
			t.Fatalf("api key shown as %q", kv["experiment.platforms[0].api_key"])
		}
		b, _ := os.ReadFile(path)
		zr, _ := zip.NewReader(strings.NewReader(string(b)), int64(len(b)))
		for _, zf := range zr.File {
			rc, _ := zf.Open()
			var sb strings.Builder
			buf := make([]byte, 32<<10)
			for {
				n, err := rc.Read(buf)
				sb.Write(buf[:n])
				if err != nil {
					break
				}
			}
			rc.Close()
			if strings.Contains(sb.String(), "sekret-token") {
				t.Fatalf("secret leaked in %s", zf.Name)
			}
		}
	})
	t.Run("five native charts on Charts and three on Timeline are in the workbook", func(t *testing.T) {
		zr, err := zip.OpenReader(path)
		if err != nil {
			t.Fatal(err)
		}
		defer zr.Close()
		var charts []string
		bars, scatters := 0, 0
		for _, zf := range zr.File {
			if strings.HasPrefix(zf.Name, "xl/charts/chart") && strings.HasSuffix(zf.Name, ".xml") {
				charts = append(charts, zf.Name)
				rc, _ := zf.Open()
				b, _ := io.ReadAll(rc)
				rc.Close()
				x := string(b)
				switch {
				case strings.Contains(x, "<barChart>"):
					bars++
					// bars start at zero, or small differences look large
					if !strings.Contains(x, `<min val="0"`) {
						t.Errorf("%s: value axis does not start at 0", zf.Name)
					}
				case strings.Contains(x, "<scatterChart>"):
					scatters++
					// markers need a fill, or LibreOffice draws nothing
					// (the timeline's lines have none)
					if !strings.Contains(x, `<symbol val="none"`) && (strings.Count(x, "<marker>") == 0 || strings.Contains(x, "<spPr></spPr></marker>")) {
						t.Errorf("%s: scatter markers without a fill", zf.Name)
					}
				}
			}
		}
		if len(charts) != 8 || bars != 4 || scatters != 4 {
			t.Fatalf("charts %v: %d bar, %d scatter", charts, bars, scatters)
		}
	})
}

func BenchmarkXLSXRequests100k(b *testing.B) {
	dir := b.TempDir()
	run := fixtureRun(b, dir)
	run.Records = manyRecords(100_000)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := XLSX(context.Background(), run); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	st, err := os.Stat(filepath.Join(dir, XLSXFile))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(st.Size())/1e6, "MB")
}

func TestTheWorkbookRespectsExcelsRowLimit(t *testing.T) {
	run := fixtureRun(t, t.TempDir())
	n := len(run.Records)
	rows, samples := MaxSheetRows, MaxSampleRows
	MaxSheetRows, MaxSampleRows = 8, 3 // 5 request rows, then a blank row and the note; one repeat of each question
	defer func() { MaxSheetRows, MaxSampleRows = rows, samples }()
	if err := XLSX(context.Background(), run); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenFile(filepath.Join(run.Dir, XLSXFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	t.Run("the Requests sheet stops at the limit and says how many requests it leaves out", func(t *testing.T) {
		got, err := f.GetRows(SheetRequests)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) > MaxSheetRows {
			t.Fatalf("%d rows, more than the limit %d", len(got), MaxSheetRows)
		}
		last := got[len(got)-1]
		if want := strconv.Itoa(n-5) + " more requests are not shown"; len(last) == 0 || !strings.HasPrefix(last[0], want) {
			t.Errorf("last row %q, want it to start with %q", last, want)
		}
		if len(got) != 8 {
			t.Errorf("%d rows, want header + 5 records + blank + note = 8", len(got))
		}
	})
	t.Run("the Samples sheet shows the repeats that fit and says which it leaves out", func(t *testing.T) {
		got, err := f.GetRows(SheetSamples)
		if err != nil {
			t.Fatal(err)
		}
		// q2b's one record is in repeat 1, so it gets a row without a repeat.
		if len(got) != 1+4+1 {
			t.Fatalf("%d rows, want header + 4 questions x 1 repeat + note: %q", len(got), got)
		}
		if last := got[len(got)-1]; !strings.HasPrefix(last[0], "repeats 1 to 1 are not shown") {
			t.Errorf("last row %q", last)
		}
	})
}

func TestTheAccuracySheetOfTenThousandRepeatsFitsInExcelsColumns(t *testing.T) {
	run := fixtureRun(t, t.TempDir())
	for i := range run.Results.Groups {
		g := &run.Results.Groups[i]
		g.RepeatEM, g.RepeatF1 = make([]float64, 10_417), make([]float64, 10_417)
	}
	if err := XLSX(context.Background(), run); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenFile(filepath.Join(run.Dir, XLSXFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(SheetAccuracy)
	if err != nil {
		t.Fatal(err)
	}
	if got := rows[0][len(rows[0])-1]; got != "repeat_"+strconv.Itoa(MaxRepeatColumns-1)+"_f1" && !strings.HasPrefix(got, "has_ans") {
		t.Errorf("last column %q, want the per-repeat columns to stop at repeat %d", got, MaxRepeatColumns-1)
	}
}

// requestsHeaderOf is the requests header for the vendor fields of records.
func requestsHeaderOf(records []results.Record) []string {
	seen := map[string]struct{}{}
	for i := range records {
		for k := range records[i].Server {
			seen[k] = struct{}{}
		}
	}
	return requestsHeader(sortedKeys(seen))
}
