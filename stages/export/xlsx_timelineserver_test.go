package export

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"math"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/inferbench/inferbench/pipeline"
	"github.com/inferbench/inferbench/pipeline/results"
	"github.com/xuri/excelize/v2"
)

func TestTheServersFiguresAreBinnedLikeTheClients(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	sent := map[string][]timelineRecord{}
	addTimelineRecord(sent, &results.Record{CellKey: results.CellKey{Platform: "a"}, StartedAt: t0, CloseMs: 60_000, LatencyMs: 60_000})
	tl := buildTimeline([]string{"a"}, sent) // 61 bins of 1 s
	f := func(v float64) *float64 { return &v }
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	tl.addServer([]results.ServerSample{
		{Time: at(-0.02), Platform: "a", Running: f(1), Waiting: f(0), KVCacheUsage: f(0.1)}, // the start scrape: bin 0
		{Time: at(10.2), Platform: "a", Running: f(2), Waiting: f(4), KVCacheUsage: f(0.5)},
		{Time: at(10.8), Platform: "a", Running: f(4), KVCacheUsage: f(0.75)}, // waiting not said: left out of its mean
		{Time: at(10.5), Platform: "a", Error: "boom"},                        // failed: not counted
		{Time: at(61), Platform: "a", Running: f(7)},                          // the end of the last bin: in it
	})
	got := tl.serverBins("a")
	if len(got) != 61 {
		t.Fatalf("%d bins, want the client's 61", len(got))
	}
	want := map[int][3]float64{0: {1, 0, 10}, 10: {3, 4, 62.5}, 60: {7, math.NaN(), math.NaN()}}
	same := func(a, b float64) bool { return a == b || math.IsNaN(a) && math.IsNaN(b) }
	for i, b := range got {
		w, ok := want[i]
		if !ok {
			w = [3]float64{math.NaN(), math.NaN(), math.NaN()} // no scrape in the bin: no value
		}
		if b.x != float64(i) || !same(b.running, w[0]) || !same(b.waiting, w[1]) || !same(b.kvPct, w[2]) {
			t.Errorf("bin %d: %+v, want x %d, running, waiting, KV %% %v (the means of its scrapes)", i, b, i, w)
		}
	}
	if tl.serverBins("zz") != nil {
		t.Error("a platform without scrapes has server bins")
	}
	// Bins of 0.1 s: a scrape at 0.3 s is in the bin from 0.3 s, as a
	// record closing then is (not in the one before: 0.3/0.1 < 3).
	short := buildTimeline([]string{"a"}, map[string][]timelineRecord{"a": {{send: t0.UnixNano(), end: t0.Add(3 * time.Second).UnixNano()}}})
	short.addServer([]results.ServerSample{{Time: at(0.3), Platform: "a", Running: f(5)}})
	if bins := short.serverBins("a"); short.bin != 0.1 || len(bins) != 31 || bins[3].running != 5 || !math.IsNaN(bins[2].running) {
		t.Errorf("bins of %v s: %+v; want the scrape at 0.3 s in the fourth", short.bin, bins[:5])
	}
}

// serverTimelineWorkbook writes the fixture run with scrapes of both
// platforms (sophia-sim says everything, metis only its running
// requests) and returns the workbook's path. The fixture's records span
// 14.88 s: 60 bins of 0.25 s.
func serverTimelineWorkbook(t *testing.T) (*pipeline.Run, string) {
	t.Helper()
	run := fixtureRun(t, t.TempDir())
	start := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	at := func(s float64) time.Time { return start.Add(time.Duration(s * float64(time.Second))) }
	f := func(v float64) *float64 { return &v }
	samples := []results.ServerSample{
		{Time: at(-0.05), Platform: "sophia-sim", Running: f(0), Waiting: f(0), KVCacheUsage: f(0)},
		{Time: at(1), Platform: "sophia-sim", Running: f(2), Waiting: f(3), KVCacheUsage: f(0.5)},
		{Time: at(1.2), Platform: "sophia-sim", Running: f(4), Waiting: f(1), KVCacheUsage: f(0.75)},
		{Time: at(2), Platform: "sophia-sim", Running: f(1), Waiting: f(0), KVCacheUsage: f(0.25)},
		{Time: at(3), Platform: "metis", Running: f(1)},
		{Time: at(3.1), Platform: "metis", Running: f(2)},
		{Time: at(4), Platform: "metis", Error: "HTTP 503 Service Unavailable"},
	}
	writeServerMetrics(t, run, samples)
	run.Results.ApplyServerMetrics(samples)
	if err := XLSX(context.Background(), run); err != nil {
		t.Fatal(err)
	}
	return run, filepath.Join(run.Dir, XLSXFile)
}

// clientTimelineHeader is the fixture's Timeline header without server
// figures.
var clientTimelineHeader = []string{"Time (s)",
	"metis in flight", "metis completions/s", "metis errors/s", "metis E2E p50 (ms)",
	"sophia-sim in flight", "sophia-sim completions/s", "sophia-sim errors/s", "sophia-sim E2E p50 (ms)"}

func TestTheTimelineSheetHasTheServersFigures(t *testing.T) {
	run, path := serverTimelineWorkbook(t)
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(SheetTimeline, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	serverHeader := []string{"metis server running", "metis server waiting", "metis server KV cache (%)",
		"sophia-sim server running", "sophia-sim server waiting", "sophia-sim server KV cache (%)"}
	if want := append(append([]string{}, clientTimelineHeader...), serverHeader...); !reflect.DeepEqual(rows[0], want) {
		t.Fatalf("header %q, want %q", rows[0], want)
	}
	if len(rows) != 61 {
		t.Fatalf("%d rows, want the header and 60 bins of 0.25 s", len(rows))
	}
	// Per bin start, the means of the scrapes in the bin; empty where none.
	want := map[string][]string{
		"0":     {"", "", "", "0", "0", "0"},
		"1":     {"", "", "", "3", "2", "62.5"},
		"2":     {"", "", "", "1", "0", "25"},
		"3":     {"1.5", "", "", "", "", ""},
		"14.75": {"", "", "", "", "", ""},
	}
	for _, r := range rows[1:] {
		w, ok := want[r[0]]
		if !ok {
			w = make([]string, 6)
		}
		delete(want, r[0])
		for i := range serverHeader {
			got := ""
			if c := len(clientTimelineHeader) + i; c < len(r) {
				got = r[c]
			}
			if got != w[i] {
				t.Errorf("at %s s %s = %q, want %q", r[0], serverHeader[i], got, w[i])
			}
		}
	}
	if len(want) > 0 {
		t.Errorf("no rows at %v s", want)
	}
	if dim, _ := f.GetSheetDimension(SheetTimeline); dim != "A1:O61" {
		t.Errorf("dimension %s, want A1:O61", dim)
	}
	checkTimelineServerCharts(t, path, paletteOf(run.Results))
	checkChartPagesPer(t, f, path, map[string]int{SheetTimeline: 5}, map[string]int{SheetTimeline: 2})
	checkTimelinePrintsItsChartsAlone(t, f)
}

// checkTimelineServerCharts checks the Timeline sheet's two server
// charts: one series per platform and figure the server said, reading its
// column over the time column with the values cached, in the platform's
// colour, waiting dashed, blank bins spanned.
func checkTimelineServerCharts(t *testing.T, path string, pal *palette) {
	t.Helper()
	charts := chartsOn(readCharts(t, path), SheetTimeline)
	if len(charts) != 5 {
		t.Fatalf("%d charts on Timeline, want 3 of the client's and 2 of the server's", len(charts))
	}
	type wantSeries struct {
		col, name, platform string
		dashed              bool
		pts                 []xmlPt
	}
	want := map[string][]wantSeries{
		"Server: requests running (dashed: waiting)": {
			{"J", "metis server running", "metis", false, []xmlPt{{12, "1.5"}}},
			{"M", "sophia-sim server running", "sophia-sim", false, []xmlPt{{0, "0"}, {4, "3"}, {8, "1"}}},
			{"N", "sophia-sim server waiting", "sophia-sim", true, []xmlPt{{0, "0"}, {4, "2"}, {8, "0"}}},
		},
		"Server: KV-cache usage": {
			{"O", "sophia-sim server KV cache (%)", "sophia-sim", false, []xmlPt{{0, "0"}, {4, "62.5"}, {8, "25"}}},
		},
	}
	cached := cachedPoints(t, path)
	var xTitle []string // the client charts' x axis title
	for _, c := range charts {
		title := strings.Join(c.Title, "")
		if title == "Requests in flight" {
			xTitle = c.ValAxes[0].Title
		}
	}
	for _, c := range charts {
		title := strings.Join(c.Title, "")
		ws, ok := want[title]
		if !ok {
			continue
		}
		delete(want, title)
		if c.Blanks.Val != "span" {
			t.Errorf("%s: blank bins shown as %q, want the line spanned (span) as the SVG draws it", title, c.Blanks.Val)
		}
		if len(c.ValAxes) != 2 || !reflect.DeepEqual(c.ValAxes[0].Title, xTitle) || c.ValAxes[0].Min == nil || c.ValAxes[1].Min == nil {
			t.Errorf("%s: axes %+v, want the client's time axis (%q) and both from 0", title, c.ValAxes, xTitle)
		}
		if len(c.Scatters) != len(ws) {
			t.Errorf("%s: %d series, want %d", title, len(c.Scatters), len(ws))
			continue
		}
		for i, w := range ws {
			s := c.Scatters[i]
			if s.Name.F != "Timeline!$"+w.col+"$1" || !reflect.DeepEqual(s.Name.Strs, []string{w.name}) {
				t.Errorf("%s series %d named by %s %q, want column %s %q", title, i, s.Name.F, s.Name.Strs, w.col, w.name)
			}
			if s.XNum.F != "Timeline!$A$2:$A$61" || len(s.XNum.Nums) != 60 || s.XNum.Nums[4] != "1" {
				t.Errorf("%s series %d x %s caches %q, want the 60 bin starts", title, i, s.XNum.F, s.XNum.Nums)
			}
			if pts := cached[s.YVal.F]; s.YVal.F != "Timeline!$"+w.col+"$2:$"+w.col+"$61" || !reflect.DeepEqual(pts, w.pts) {
				t.Errorf("%s series %d y %s caches %+v, want %+v", title, i, s.YVal.F, pts, w.pts)
			}
			if s.Line.Val != pal.platformHex(w.platform) {
				t.Errorf("%s series %d line colour %s, want %s's %s", title, i, s.Line.Val, w.platform, pal.platformHex(w.platform))
			}
			if dashed := s.Dash.Val == "dash"; dashed != w.dashed {
				t.Errorf("%s series %d dash %q, want dashed %v", title, i, s.Dash.Val, w.dashed)
			}
		}
	}
	if len(want) > 0 {
		t.Errorf("charts missing: %v", want)
	}
}

// xmlPt is a point of a chart's value cache: its index in the reference
// (a blank cell has none) and its value.
type xmlPt struct {
	Idx int
	V   string
}

// cachedPoints returns the cached points of every numeric reference of
// the workbook's charts at path, by reference.
func cachedPoints(t *testing.T, path string) map[string][]xmlPt {
	t.Helper()
	refRe := regexp.MustCompile(`<numRef><f>([^<]+)</f><numCache>(.*?)</numCache></numRef>`)
	ptRe := regexp.MustCompile(`<pt idx="(\d+)"><v>([^<]*)</v></pt>`)
	out := map[string][]xmlPt{}
	for name, x := range timelineParts(t, path) {
		if !strings.HasPrefix(name, "xl/charts/chart") {
			continue
		}
		for _, m := range refRe.FindAllSubmatch(x, -1) {
			var pts []xmlPt
			for _, p := range ptRe.FindAllSubmatch(m[2], -1) {
				i, _ := strconv.Atoi(string(p[1]))
				pts = append(pts, xmlPt{i, string(p[2])})
			}
			out[string(m[1])] = pts
		}
	}
	return out
}

func TestATimelineSheetWithoutServerFiguresIsAsBefore(t *testing.T) {
	plain := fixtureRun(t, t.TempDir())
	failed := fixtureRun(t, t.TempDir())
	start := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	writeServerMetrics(t, failed, []results.ServerSample{
		{Time: start, Platform: "metis", Error: "HTTP 404 Not Found"},
		{Time: start, Platform: "sophia-sim", Error: "connection refused"},
	})
	parts := map[string]map[string][]byte{}
	for name, run := range map[string]*pipeline.Run{"without server_metrics.jsonl": plain, "with failed scrapes only": failed} {
		if err := XLSX(context.Background(), run); err != nil {
			t.Fatal(err)
		}
		parts[name] = timelineParts(t, filepath.Join(run.Dir, XLSXFile))
	}
	a, b := parts["without server_metrics.jsonl"], parts["with failed scrapes only"]
	if len(a) != len(b) || len(a) < 4 {
		t.Fatalf("parts %d and %d", len(a), len(b))
	}
	for name, x := range a {
		if !bytes.Equal(x, b[name]) {
			t.Errorf("%s differs between a run without scrapes and one whose scrapes all failed", name)
		}
	}
	f, err := excelize.OpenFile(filepath.Join(plain.Dir, XLSXFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(SheetTimeline)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(rows[0], clientTimelineHeader) {
		t.Errorf("header %q, want the client's columns only %q", rows[0], clientTimelineHeader)
	}
	if n := len(chartsOn(readCharts(t, filepath.Join(plain.Dir, XLSXFile)), SheetTimeline)); n != 3 {
		t.Errorf("%d charts on Timeline, want 3", n)
	}
}

// timelineParts returns the Timeline sheet's part (the eighth sheet),
// and every drawing and chart part of the workbook at path.
func timelineParts(t *testing.T, path string) map[string][]byte {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	out := map[string][]byte{}
	for _, zf := range zr.File {
		if zf.Name != "xl/worksheets/sheet8.xml" && !strings.HasPrefix(zf.Name, "xl/drawings/") && !strings.HasPrefix(zf.Name, "xl/charts/") {
			continue
		}
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		out[zf.Name], err = io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// checkTimelinePrintsItsChartsAlone checks that a Timeline sheet with the
// server's columns prints the chart columns only (the table is too wide to
// print beside them), without a title row.
func checkTimelinePrintsItsChartsAlone(t *testing.T, f *excelize.File) {
	t.Helper()
	area, titles := "", ""
	for _, dn := range f.GetDefinedName() {
		if dn.Scope != SheetTimeline {
			continue
		}
		switch dn.Name {
		case "_xlnm.Print_Area":
			area = dn.RefersTo
		case "_xlnm.Print_Titles":
			titles = dn.RefersTo
		}
	}
	if area != "'Timeline'!$Q$2:$AC$77" {
		t.Errorf("Timeline print area %q, want the chart columns Q:AC, rows 2-77 (5 strips of 15 rows)", area)
	}
	if titles != "" {
		t.Errorf("Timeline print titles %q, want none", titles)
	}
}
