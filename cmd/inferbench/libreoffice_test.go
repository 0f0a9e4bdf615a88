package main

import (
	"encoding/csv"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestWorkbookOpensInLibreOfficeWithTheSummaryOfResultsJSON converts a run's
// workbook with LibreOffice headless (a real spreadsheet program) and checks
// every number of the converted Summary sheet against results.json. It
// skips when soffice is missing, unless INFERBENCH_REQUIRE_SOFFICE=1 (CI
// installs LibreOffice and sets it, so there it cannot skip).
func TestWorkbookOpensInLibreOfficeWithTheSummaryOfResultsJSON(t *testing.T) {
	t.Parallel() // mostly waits on other processes: these tests overlap
	soffice, err := exec.LookPath("soffice")
	if err != nil {
		if os.Getenv("INFERBENCH_REQUIRE_SOFFICE") == "1" {
			t.Fatal("soffice not found but INFERBENCH_REQUIRE_SOFFICE=1")
		}
		t.Skip("soffice (LibreOffice) not installed")
	}
	dir := t.TempDir()
	exp := writeFile(t, dir, "fast.yaml", fastExperiment)
	if code, _, stderr := inferbench(t, "run", exp, "--out", filepath.Join(dir, "r"), "--no-progress"); code != exitOK {
		t.Fatalf("run: %d %s", code, stderr)
	}
	run := runDir(t, filepath.Join(dir, "r"))
	// Field separator ',', quote '"', UTF-8, from line 1, full precision
	// (token 9 "save cell contents as shown" off). Only the first sheet
	// (Summary) is converted.
	cmd := exec.Command(soffice, "--headless", "--norestore", "-env:UserInstallation=file://"+filepath.Join(dir, "lo-profile"),
		"--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false",
		"--outdir", dir, filepath.Join(run, "results.xlsx"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("soffice: %v\n%s", err, out)
	}
	f, err := os.Open(filepath.Join(dir, "results.csv"))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		Results struct {
			Groups      []map[string]any `json:"groups"`
			Comparisons []map[string]any `json:"comparisons"`
		} `json:"results"`
	}
	b, _ := os.ReadFile(filepath.Join(run, "results.json"))
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	groups := res.Results.Groups
	if len(rows) != len(groups)+1 {
		t.Fatalf("Summary has %d rows, results.json %d groups", len(rows)-1, len(groups))
	}
	header := rows[0]
	checked := 0
	for i, g := range groups {
		row := rows[i+1]
		if row[0] != g["platform"] || row[1] != g["model"] {
			t.Fatalf("row %d is %s/%s, want %v/%v", i+1, row[0], row[1], g["platform"], g["model"])
		}
		for c, name := range header {
			want, ok := lookupSummaryValue(g, name)
			if !ok || row[c] == "" {
				continue
			}
			got, err := parseSheetNumber(row[c])
			if err != nil {
				continue // text column
			}
			if math.Abs(got-want) > 1e-9*math.Max(1, math.Abs(want)) {
				t.Errorf("group %d %s: LibreOffice shows %s, results.json has %v", i, name, row[c], want)
			}
			checked++
		}
	}
	if checked < 100 {
		t.Fatalf("only %d values compared; the column mapping is broken", checked)
	}
}

// lookupSummaryValue maps a Summary column name to its value in a
// results.json group: "<dist>_<stat>[_ms|_pct]" reads groups[i].<dist>[_ms].<stat>,
// other names the group's own field.
func lookupSummaryValue(g map[string]any, col string) (float64, bool) {
	num := func(v any) (float64, bool) { f, ok := v.(float64); return f, ok }
	for _, fam := range []string{"latency", "ttft", "ttfc", "tpot", "itl", "queue", "tokens_per_sec", "raw_em", "raw_f1", "em", "f1"} {
		rest, ok := strings.CutPrefix(col, fam+"_")
		if !ok {
			continue
		}
		key := fam
		if stat, isMs := strings.CutSuffix(rest, "_ms"); isMs {
			key, rest = fam+"_ms", stat
		} else if stat, isPct := strings.CutSuffix(rest, "_pct"); isPct {
			rest = stat
		} else if _, ok := g[fam+"_ms"]; ok { // a count or ratio of a time: latency_n, latency_cv
			key = fam + "_ms"
		}
		d, ok := g[key].(map[string]any)
		if !ok {
			return 0, false
		}
		return num(d[rest])
	}
	return num(g[col])
}

func parseSheetNumber(s string) (float64, error) {
	if p, ok := strings.CutSuffix(s, "%"); ok {
		v, err := strconv.ParseFloat(p, 64)
		return v / 100, err
	}
	return strconv.ParseFloat(s, 64)
}

// MaxQuickstartPrintPages is the most pages the quickstart's workbook may
// print on (issue 15).
const maxQuickstartPrintPages = 15

// TestTheQuickstartWorkbookPrintsOnFewPagesWithNoChartSplit prints the
// quickstart's workbook to PDF with LibreOffice and counts the pages (the
// page setup and page breaks that keep each chart whole are checked in
// stages/export). It skips like the test above when soffice is missing.
func TestTheQuickstartWorkbookPrintsOnFewPagesWithNoChartSplit(t *testing.T) {
	t.Parallel()
	soffice, err := exec.LookPath("soffice")
	if err != nil {
		if os.Getenv("INFERBENCH_REQUIRE_SOFFICE") == "1" {
			t.Fatal("soffice not found but INFERBENCH_REQUIRE_SOFFICE=1")
		}
		t.Skip("soffice (LibreOffice) not installed")
	}
	dir := t.TempDir()
	run := runOK(t, "../../experiments/quickstart.yaml", filepath.Join(dir, "r"))
	cmd := exec.Command(soffice, "--headless", "--norestore", "-env:UserInstallation=file://"+filepath.Join(dir, "lo-profile"),
		"--convert-to", "pdf", "--outdir", dir, filepath.Join(run, "results.xlsx"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("soffice: %v\n%s", err, out)
	}
	pdf, err := os.ReadFile(filepath.Join(dir, "results.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	// Every page object of the PDF is a dictionary of /Type /Page (the
	// page tree's are /Pages).
	pages := len(regexp.MustCompile(`/Type\s*/Page[^s]`).FindAll(pdf, -1))
	if pages == 0 || pages > maxQuickstartPrintPages {
		t.Errorf("the quickstart workbook prints on %d pages, want 1 to %d", pages, maxQuickstartPrintPages)
	}
}
