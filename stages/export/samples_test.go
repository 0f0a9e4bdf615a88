package export

import (
	"context"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/xuri/excelize/v2"
)

func TestSamplesSheetShowsEveryRepeat(t *testing.T) {
	run := fixtureRun(t, t.TempDir())
	// metis answers q1 right in repeat 0 and wrong in repeat 1.
	for i := range run.Records {
		r := &run.Records[i]
		if r.Platform == "metis" && r.SampleID == "q1" && r.Repeat == 1 && !r.Warmup {
			r.Answer, r.EM, r.F1 = "Lyon", 0, 0
		}
	}
	if err := XLSX(context.Background(), run); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenFile(filepath.Join(run.Dir, XLSXFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(SheetSamples, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 8 {
		t.Fatalf("%d rows, want a header and 7 question x repeat rows", len(rows))
	}
	ans := colIndex(t, rows[0], "metis/gpt-oss-120b answer")
	f1 := colIndex(t, rows[0], "metis/gpt-oss-120b F1 %")
	sAns := colIndex(t, rows[0], "sophia-sim/gpt-oss-120b answer")
	cell := func(r []string, i int) string {
		if i < len(r) {
			return r[i]
		}
		return ""
	}
	t.Run("the second column is the repeat", func(t *testing.T) {
		if rows[0][1] != "repeat" {
			t.Fatalf("header %q", rows[0])
		}
	})
	t.Run("there is one row per question and repeat, in manifest order", func(t *testing.T) {
		var got [][2]string
		for _, r := range rows[1:] {
			got = append(got, [2]string{r[0], r[1]})
		}
		want := [][2]string{{"q1", "0"}, {"q1", "1"}, {"q2", "0"}, {"q2", "1"}, {"q3", "0"}, {"q3", "1"}, {"q2b", "1"}}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("rows %v, want %v", got, want)
		}
	})
	t.Run("each repeat shows its own answer and F1", func(t *testing.T) {
		if cell(rows[1], ans) != "Paris" || cell(rows[1], f1) != "100" {
			t.Errorf("q1 repeat 0: %q %q", cell(rows[1], ans), cell(rows[1], f1))
		}
		if cell(rows[2], ans) != "Lyon" || cell(rows[2], f1) != "0" {
			t.Errorf("q1 repeat 1: %q %q", cell(rows[2], ans), cell(rows[2], f1))
		}
	})
	t.Run("a group without that repeat has empty cells", func(t *testing.T) {
		if cell(rows[7], ans) != atAnswer || cell(rows[7], sAns) != "" {
			t.Errorf("q2b repeat 1: metis %q sophia-sim %q", cell(rows[7], ans), cell(rows[7], sAns))
		}
	})
	t.Run("the question and gold answers are on every row", func(t *testing.T) {
		if rows[3][4] != "forty-two | 42" || rows[4][4] != "forty-two | 42" {
			t.Errorf("gold answers %q / %q", rows[3][4], rows[4][4])
		}
	})
}
