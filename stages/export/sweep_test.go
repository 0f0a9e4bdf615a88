package export

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/results"
	"github.com/xuri/excelize/v2"
)

// handSweep is a two-platform sweep whose curves cross at c=8.
func handSweep() *results.SweepResults {
	pt := func(load string, c int, rps, e2e float64) results.SweepPoint {
		return results.SweepPoint{Level: load, Concurrency: c, RequestThroughput: rps, SendRate: rps, TokenRate: 10 * rps, Requests: 20, Successes: 20, TPOTCount: 20,
			TTFTP50: e2e / 2, TTFTP99: e2e, TPOTP50: e2e / 20, TPOTP99: e2e / 10, E2EP50: e2e, E2EP99: 2 * e2e, Goodput: 1}
	}
	return &results.SweepResults{
		Curves: []results.SweepCurve{
			{GroupKey: results.GroupKey{Platform: "fast", Model: "m"}, Best: "c=1",
				Points: []results.SweepPoint{pt("c=1", 1, 20, 50), pt("c=8", 8, 25, 300), pt("c=24", 24, 26, 900)}},
			{GroupKey: results.GroupKey{Platform: "wide", Model: "m"}, Best: "c=24",
				Points: []results.SweepPoint{pt("c=1", 1, 8, 120), pt("c=8", 8, 60, 130), pt("c=24", 24, 150, 160)}},
		},
		Crossovers: []results.Crossover{{GroupKey: results.GroupKey{Platform: "wide", Model: "m"}, Baseline: results.GroupKey{Platform: "fast", Model: "m"},
			From: "c=8", Statement: "wide is faster than fast from c=8 up (median E2E); fast is faster below"}},
	}
}

func TestSweepSheetHasOneRowPerLevelAndACachedChartPerFigure(t *testing.T) {
	run := fixtureRun(t, t.TempDir())
	run.Results.Sweep = handSweep()
	if err := XLSX(context.Background(), run); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(run.Dir, XLSXFile)
	wb, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer wb.Close()
	if list := wb.GetSheetList(); list[len(list)-1] != SheetSweep {
		t.Errorf("sheets = %v, want Sweep last", list)
	}
	rows, err := wb.GetRows(SheetSweep)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 12 || strings.Join(slices.Concat(rows[8:]...), ",") != "fast p50,fast p99,wide p50,wide p99" {
		t.Fatalf("Sweep sheet has %d rows, want a header, 6 levels, a blank row and the 4 series names: %q", len(rows), rows)
	}
	if got := strings.Join(rows[0][:3], "|"); got != "Curve|Level|Load (concurrency (requests in flight))" {
		t.Errorf("header = %q", got)
	}
	if rows[4][0] != "wide" || rows[4][1] != "c=1" || rows[4][2] != "1" {
		t.Errorf("row 5 = %q, want wide's first level, its concurrency an integer", rows[4])
	}
	pal := paletteOf(run.Results)
	var sweepCharts []xmlChart
	for _, c := range readCharts(t, path) {
		ser := append(c.Scatters, c.Lines...)
		if len(ser) > 0 && strings.HasPrefix(ser[0].Val.F+ser[0].YVal.F, SheetSweep+"!") {
			sweepCharts = append(sweepCharts, c)
		}
	}
	if len(sweepCharts) != 6 {
		t.Fatalf("%d Sweep charts, want 6 (latency vs throughput; latency, throughput, TTFT, TPOT, error rate vs load)", len(sweepCharts))
	}
	for _, c := range sweepCharts {
		ser := append(c.Scatters, c.Lines...)
		if len(ser) != 2 && len(ser) != 4 {
			t.Errorf("%s: %d series, want one or two (p50, p99) per curve", c.name, len(ser))
			continue
		}
		per := len(ser) / 2
		for i, s := range ser {
			want := pal.hex(handSweep().Curves[i/per].GroupKey)
			if s.Marker.Val != want {
				t.Errorf("%s series %d colour %s, want %s (the curve's palette colour)", c.name, i, s.Marker.Val, want)
			}
			vals := s.YVal.Nums
			if len(c.Lines) > 0 {
				vals = s.Val.Nums
			}
			if len(vals) != 3 {
				t.Errorf("%s series %d: cached y %v, want 3 points", c.name, i, vals)
			}
			if per == 2 && i%2 == 1 && s.Dash.Val == "" {
				t.Errorf("%s series %d (p99) is not dashed", c.name, i)
			}
		}
		if strings.Join(c.Title, "") == "Latency vs throughput" {
			for i, s := range ser {
				want := "c=1,c=8,c=24" // each p50 point labelled by its level
				if i%2 == 1 {
					want = ""
				}
				if got := strings.Join(s.Labels, ","); got != want {
					t.Errorf("latency vs throughput series %d point labels %q, want %q", i, got, want)
				}
			}
		}
		if len(c.ValAxes) == 0 || len(c.ValAxes[len(c.ValAxes)-1].Title) == 0 {
			t.Errorf("%s: the value axis needs a title with the unit", c.name)
		}
		for _, ax := range c.ValAxes {
			if ax.NumFmt.Code != "General" {
				t.Errorf("%s: axis number format %q, want General (no \"500.00\")", c.name, ax.NumFmt.Code)
			}
		}
		if len(c.Lines) > 0 {
			if len(c.CatAxes) != 1 || len(c.CatAxes[0].Title) == 0 {
				t.Errorf("%s: the level axis needs a title", c.name)
			}
			if got := c.Lines[0].Cat.Strs; strings.Join(got, ",") != "c=1,c=8,c=24" {
				t.Errorf("%s: level axis categories %q, want the levels c=1,c=8,c=24", c.name, got)
			}
		}
	}
}

func TestSweepSectionStatesTheCrossoverAndTheBestLevels(t *testing.T) {
	s := sweepSection(handSweep(), config.SLOSpec{E2E: config.Duration(400e6)})
	text := strings.Join(s.Bullets, "\n")
	for _, want := range []string{"wide is faster than fast from c=8 up", "fast: best level within the SLO is c=1", "wide: best level within the SLO is c=24"} {
		if !strings.Contains(text, want) {
			t.Errorf("bullets lack %q:\n%s", want, text)
		}
	}
	if n := len(s.Tables[0].Rows); n != 6 {
		t.Errorf("%d table rows, want 6", n)
	}
	if s := sweepSection(handSweep(), config.SLOSpec{}); strings.Contains(strings.Join(s.Bullets, "\n"), "best level") {
		t.Error("without an SLO there is no best level to state")
	}
}

// failedLevel adds to handSweep's first curve a level c=64 whose every
// request failed.
func failedLevel() *results.SweepResults {
	sw := handSweep()
	sw.Curves[0].Points = append(sw.Curves[0].Points, results.SweepPoint{Level: "c=64", Concurrency: 64, Requests: 20, ErrorRate: 1})
	return sw
}

func TestASweepLevelWithoutASuccessfulRequestHasNoTimingFigures(t *testing.T) {
	t.Run("results.json writes null for its TTFT, TPOT and E2E", func(t *testing.T) {
		b, err := json.Marshal(failedLevel().Curves[0].Points[3])
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"ttft_p50_ms", "ttft_p99_ms", "tpot_p50_ms", "tpot_p99_ms", "e2e_p50_ms", "e2e_p99_ms"} {
			if !strings.Contains(string(b), `"`+k+`":null`) {
				t.Errorf("%s is not null in %s", k, b)
			}
		}
		if !strings.Contains(string(b), `"error_rate":1`) {
			t.Errorf("the error rate is lost: %s", b)
		}
		ok, _ := json.Marshal(handSweep().Curves[0].Points[0])
		if strings.Contains(string(ok), "null") {
			t.Errorf("a level with successes has nulls: %s", ok)
		}
	})
	t.Run("the report's table shows - for them", func(t *testing.T) {
		s := sweepSection(failedLevel(), config.SLOSpec{})
		row := s.Tables[0].Rows[3]
		if row[1] != "c=64" || strings.Join(row[6:12], " ") != "- - - - - -" {
			t.Errorf("row %q", row)
		}
	})
	t.Run("the Sweep sheet leaves its timing cells empty and the charts still cache the other levels", func(t *testing.T) {
		run := fixtureRun(t, t.TempDir())
		run.Results.Sweep = failedLevel()
		if err := XLSX(context.Background(), run); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(run.Dir, XLSXFile)
		wb, err := excelize.OpenFile(path)
		if err != nil {
			t.Fatal(err)
		}
		defer wb.Close()
		rows, err := wb.GetRows(SheetSweep)
		if err != nil {
			t.Fatal(err)
		}
		row := rows[4]
		if row[1] != "c=64" {
			t.Fatalf("row 5 = %q, want fast's failed level", row)
		}
		for _, col := range []string{"TTFT p50 (ms)", "E2E p99 (ms)"} {
			if c := sweepCol(col) - 1; c < len(row) && row[c] != "" {
				t.Errorf("%s = %q, want an empty cell", col, row[c])
			}
		}
		for _, c := range readCharts(t, path) {
			if len(c.Scatters) == 0 || !strings.HasPrefix(c.Scatters[0].YVal.F, SheetSweep+"!") {
				continue
			}
			if n := len(c.Scatters[0].YVal.Nums); n == 0 {
				t.Errorf("%s: the curve with a failed level has no cached values", c.name)
			}
		}
	})
	t.Run("the timing plots leave the level out and the error plot keeps it", func(t *testing.T) {
		imgs, err := sweepPlots(failedLevel(), nil)
		if err != nil {
			t.Fatal(err)
		}
		// gonum draws a circle glyph (a curve's first series, p50) as a
		// path of two arcs; each curve's legend entry has one glyph too.
		points := func(svg []byte) int { return strings.Count(string(svg), "A3,3 0 1 1")/2 - 2 }
		byFile := map[string]int{}
		for _, im := range imgs {
			byFile[im.File] = points(im.SVG)
		}
		if byFile[PlotSweepErrorRate] != 7 || byFile[PlotSweepThroughput] != 7 || byFile[PlotSweepTTFT] != 6 || byFile[PlotSweepTPOT] != 6 ||
			byFile[PlotSweepLatency] != 6 || byFile[PlotSweepLevelLatency] != 6 {
			t.Errorf("points drawn per plot %v, want 7 in the error and throughput plots and 6 in the others", byFile)
		}
	})
}

func TestTheComparisonSheetNamesEachComparisonsLoadLevel(t *testing.T) {
	res := &results.Results{Sweep: handSweep()}
	for _, l := range []string{"c=1", "c=8"} {
		res.Comparisons = append(res.Comparisons, results.Comparison{GroupKey: results.GroupKey{Platform: "wide", Model: "m", Level: l}})
	}
	tab := comparisonTable(res)
	if len(tab.header) != len(tab.kinds) {
		t.Fatalf("%d header names but %d kinds", len(tab.header), len(tab.kinds))
	}
	col := slices.Index(tab.header, "load")
	if col < 0 {
		t.Fatalf("no load column in %q", tab.header)
	}
	if tab.rows[0][col] != "c=1" || tab.rows[1][col] != "c=8" {
		t.Errorf("load cells %v %v", tab.rows[0][col], tab.rows[1][col])
	}
	if slices.Contains(comparisonTable(&results.Results{}).header, "load") {
		t.Error("a run without load levels has a load column")
	}
}

func TestTheReportAndConsoleMarkTheKneeOfACurve(t *testing.T) {
	sw := handSweep()
	c := &sw.Curves[0]
	c.Points[1].Saturated = true
	c.Points[1].SaturatedReason = results.KneeReason + "request throughput +5% over c=1 (less than +10%) while median E2E +700% (more than +50%)"
	s := sweepSection(sw, config.SLOSpec{})
	if text := strings.Join(s.Bullets, "\n"); !strings.Contains(text, "fast: knee at c=8, saturated (knee): request throughput +5% over c=1") {
		t.Errorf("bullets do not mark the knee:\n%s", text)
	}
	if row := s.Tables[0].Rows[1]; !strings.HasPrefix(row[len(row)-1], "saturated (knee)") {
		t.Errorf("the c=8 row's Saturated cell = %q", row[len(row)-1])
	}
	var b strings.Builder
	writeSweepConsole(&b, sw, nil)
	if !strings.Contains(b.String(), "fast past the knee from c=8: saturated (knee)") || strings.Contains(b.String(), "stopped early") {
		t.Errorf("console:\n%s", b.String())
	}
}

// TestSweepSheetAndReportTableMarkTheClientBoundLevels: a sweep point that
// is client-bound says so in the workbook's Sweep sheet (read back) and in
// the report's sweep table, like the Summary sheet and the group tables.
func TestSweepSheetAndReportTableMarkTheClientBoundLevels(t *testing.T) {
	run := fixtureRun(t, t.TempDir())
	sw := handSweep()
	why := "CPU 97% of 2 cores > 90%"
	sw.Curves[1].Points[1].ClientBound, sw.Curves[1].Points[1].ClientBoundReason = true, why
	run.Results.Sweep = sw
	for i := range run.Results.Groups {
		run.Results.Groups[i].Client = &results.ClientHealth{Seconds: 1, CPUPercent: 97, Cores: 2}
	}
	if err := XLSX(context.Background(), run); err != nil {
		t.Fatal(err)
	}
	wb, err := excelize.OpenFile(filepath.Join(run.Dir, XLSXFile))
	if err != nil {
		t.Fatal(err)
	}
	defer wb.Close()
	rows, err := wb.GetRows(SheetSweep, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	bound, reason := slices.Index(rows[0], "Client-bound"), slices.Index(rows[0], "Client-bound reason")
	if bound < 0 || reason < 0 {
		t.Fatalf("Sweep sheet header %q has no Client-bound columns", rows[0])
	}
	cell := func(r []string, i int) string {
		if i < len(r) {
			return r[i]
		}
		return ""
	}
	for _, r := range rows[1:] {
		if len(r) < 3 {
			continue // the chart series names below the table
		}
		wantBound, wantWhy := "0", ""
		if r[0] == "wide" && r[1] == "c=8" {
			wantBound, wantWhy = "1", why
		}
		if got := cell(r, bound); got != wantBound {
			t.Errorf("%s %s: Client-bound = %q, want %q", r[0], r[1], got, wantBound)
		}
		if got := cell(r, reason); got != wantWhy {
			t.Errorf("%s %s: Client-bound reason = %q, want %q", r[0], r[1], got, wantWhy)
		}
	}
	s := sweepSection(sw, config.SLOSpec{})
	var levels []string
	for _, r := range s.Tables[0].Rows {
		levels = append(levels, r[0]+" "+r[1])
	}
	if !slices.Contains(levels, "wide c=8"+upperBoundMark) {
		t.Errorf("report sweep table levels = %q, want wide c=8 marked %q", levels, upperBoundMark)
	}
	for _, l := range levels {
		if strings.Contains(l, upperBoundMark) && l != "wide c=8"+upperBoundMark {
			t.Errorf("level %q marked client-bound", l)
		}
	}
}

// nonStreamedSweep is handSweep as a non-streamed run: every request
// succeeded, none has a TPOT (a non-streamed answer arrives at once).
func nonStreamedSweep() *results.SweepResults {
	sw := handSweep()
	for ci := range sw.Curves {
		for pi := range sw.Curves[ci].Points {
			p := &sw.Curves[ci].Points[pi]
			p.TPOTCount, p.TPOTP50, p.TPOTP99 = 0, 0, 0
		}
	}
	return sw
}

func TestANonStreamedSweepShowsNoTPOT(t *testing.T) {
	sw := nonStreamedSweep()
	t.Run("results.json writes null for TPOT and keeps TTFT", func(t *testing.T) {
		b, err := json.Marshal(sw.Curves[0].Points[0])
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), `"tpot_p50_ms":null`) || !strings.Contains(string(b), `"tpot_p99_ms":null`) {
			t.Errorf("TPOT is not null: %s", b)
		}
		if strings.Contains(string(b), `"ttft_p50_ms":null`) {
			t.Errorf("TTFT is null: %s", b)
		}
	})
	t.Run("the report's table shows - for TPOT", func(t *testing.T) {
		row := sweepSection(sw, config.SLOSpec{}).Tables[0].Rows[0]
		if strings.Join(row[8:10], " ") != "- -" || row[6] == missing {
			t.Errorf("row %q: want TPOT p50 and p99 -, TTFT shown", row)
		}
	})
	t.Run("the Sweep sheet leaves TPOT empty", func(t *testing.T) {
		run := fixtureRun(t, t.TempDir())
		run.Results.Sweep = sw
		if err := XLSX(context.Background(), run); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(run.Dir, XLSXFile)
		wb, err := excelize.OpenFile(path)
		if err != nil {
			t.Fatal(err)
		}
		defer wb.Close()
		rows, err := wb.GetRows(SheetSweep)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(chartsOn(readCharts(t, path), SheetSweep)); n != 5 {
			t.Errorf("the Sweep sheet has %d charts, want 5: no TPOT chart", n)
		}
		for _, col := range []string{"TPOT p50 (ms)", "TPOT p99 (ms)"} {
			if c := sweepCol(col) - 1; c < len(rows[1]) && rows[1][c] != "" {
				t.Errorf("%s = %q, want an empty cell", col, rows[1][c])
			}
		}
	})
	t.Run("no TPOT plot is drawn", func(t *testing.T) {
		imgs, err := sweepPlots(sw, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, im := range imgs {
			if im.File == PlotSweepTPOT {
				t.Errorf("a TPOT plot of zeros is drawn")
			}
		}
	})
}
