package export

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/xuri/excelize/v2"
)

// TestRequestRowsSayTheLoadLevelAndTheRetries: a request row must say at
// which load level it was sent (a sweep runs one platform at several) and
// what its retries cost, or the per-request files cannot be grouped or
// checked against the summary.
func TestRequestRowsSayTheLoadLevelAndTheRetries(t *testing.T) {
	run := fixtureRun(t, t.TempDir())
	r := &run.Records[0]
	r.Level, r.Attempts, r.RetryWaitMs, r.HTTP429, r.HTTPStatus = "c=8", 3, 1500, 2, 200
	want := map[string]string{"load": "c=8", "attempts": "3", "retry_wait_ms": "1500", "http_429": "2", "http_status": "200"}
	check := func(t *testing.T, rows [][]string) {
		t.Helper()
		col := map[string]int{}
		for i, h := range rows[0] {
			col[h] = i
		}
		for name, v := range want {
			i, ok := col[name]
			if !ok {
				t.Errorf("no %s column in %q", name, rows[0])
				continue
			}
			if got := rows[1][i]; got != v {
				t.Errorf("%s = %q, want %q", name, got, v)
			}
		}
	}
	t.Run("requests.csv", func(t *testing.T) {
		if err := CSV(context.Background(), run); err != nil {
			t.Fatal(err)
		}
		check(t, readCSV(t, filepath.Join(run.Dir, RequestsCSVFile)))
	})
	t.Run("the Requests sheet", func(t *testing.T) {
		if err := XLSX(context.Background(), run); err != nil {
			t.Fatal(err)
		}
		f, err := excelize.OpenFile(filepath.Join(run.Dir, XLSXFile))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		rows, err := f.GetRows(SheetRequests, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		check(t, rows)
	})
}
