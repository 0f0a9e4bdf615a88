package export

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/inferbench/inferbench/pipeline"
	"github.com/inferbench/inferbench/pipeline/results"
	"github.com/inferbench/inferbench/pipeline/runfolder"
	"github.com/xuri/excelize/v2"
)

// withServerMetrics writes server_metrics.jsonl into the fixture run's
// folder (scrapes of sophia-sim around its sending, a failed one of
// metis) and applies them to its results, as aggregation does.
func withServerMetrics(t *testing.T, run *pipeline.Run) {
	t.Helper()
	start := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	f := func(v float64) *float64 { return &v }
	samples := []results.ServerSample{
		{Time: start.Add(-50 * time.Millisecond), Platform: "sophia-sim", Running: f(0), Waiting: f(0), KVCacheUsage: f(0), Preemptions: f(0)},
		{Time: start.Add(time.Second), Platform: "sophia-sim", Running: f(2), Waiting: f(3), KVCacheUsage: f(0.5), Preemptions: f(1)},
		{Time: start.Add(2 * time.Second), Platform: "sophia-sim", Running: f(1), Waiting: f(0), KVCacheUsage: f(0.25), Preemptions: f(1)},
		{Time: start, Platform: "metis", Error: "HTTP 404 Not Found"},
	}
	writeServerMetrics(t, run, samples)
	run.Results.ApplyServerMetrics(samples)
}

// writeServerMetrics writes samples into the run folder's
// server_metrics.jsonl, as the level runner appends them.
func writeServerMetrics(t *testing.T, run *pipeline.Run, samples []results.ServerSample) {
	t.Helper()
	l := runfolder.NewServerMetricsLog(filepath.Join(run.Dir, runfolder.ServerMetricsFile))
	for _, s := range samples {
		if err := l.Append(s); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestServerMetricsAreInTheSummaryAndTheReport(t *testing.T) {
	run := fixtureRun(t, t.TempDir())
	withServerMetrics(t, run)
	rows := summaryRows(t, run)
	byPlatform := map[string]map[string]string{}
	for _, r := range rows {
		byPlatform[r["platform"]] = r
	}
	s := byPlatform["sophia-sim"]
	for col, want := range map[string]string{"server_samples": "3", "server_running_mean": "1", "server_running_max": "2",
		"server_waiting_max": "3", "server_kv_cache_usage_max": "0.5", "server_preemptions": "1", "server_prefix_cache_hit_rate": "-"} {
		if s[col] != want {
			t.Errorf("sophia-sim %s = %q, want %q", col, s[col], want)
		}
	}
	if m := byPlatform["metis"]; m["server_samples"] != "" {
		t.Errorf("metis had no scrape: server_samples %q", m["server_samples"])
	}
	if err := Markdown(context.Background(), run); err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join(run.Dir, MarkdownFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"## Server metrics", "KV cache max", "50.0%", "server metrics of metis: the metrics endpoint failed (HTTP 404 Not Found)"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("report.md lacks %q", want)
		}
	}
}

func TestTheTimelineDrawsTheServersViewBesideTheClients(t *testing.T) {
	run := fixtureRun(t, t.TempDir())
	withServerMetrics(t, run)
	imgs, err := renderPlots(run)
	if err != nil {
		t.Fatal(err)
	}
	for _, im := range imgs {
		if im.File != PlotTimeline {
			continue
		}
		texts, _ := svgTexts(im.SVG)
		for _, want := range []string{"Requests in flight", "Server: requests running (dashed: waiting)", "Server: KV-cache usage", "KV cache (%)"} {
			if !slicesContains(texts, want) {
				t.Errorf("timeline lacks %q: %q", want, texts)
			}
		}
		return
	}
	t.Fatal("no timeline plot")
}

func TestTheTimelinePlacesScrapesOnItsTimeAxis(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	sent := map[string][]timelineRecord{}
	addTimelineRecord(sent, &results.Record{CellKey: results.CellKey{Platform: "a"}, StartedAt: t0, CloseMs: 3000, LatencyMs: 3000})
	tl := buildTimeline([]string{"a"}, sent)
	one, half := 1.0, 0.5
	tl.addServer([]results.ServerSample{
		{Time: t0.Add(-20 * time.Millisecond), Platform: "a", Running: &one},        // the start scrape: at 0
		{Time: t0.Add(1500 * time.Millisecond), Platform: "a", KVCacheUsage: &half}, // running not exposed: NaN
		{Time: t0.Add(time.Second), Platform: "a", Error: "boom"},                   // failed: not drawn
		{Time: t0.Add(time.Second), Platform: "zz", Running: &one},                  // no such platform on the timeline
	})
	got := tl.server["a"]
	if len(got) != 2 || len(tl.server) != 1 {
		t.Fatalf("points %+v", tl.server)
	}
	if got[0].x != 0 || got[0].running != 1 || got[1].x != 1.5 || got[1].kvPct != 50 || got[1].running == got[1].running {
		t.Errorf("points %+v", got)
	}
}

// Every timeline panel, the client's and the server's, spans the same x
// range, so that their time ticks line up.
func TestTheTimelinePanelsShareTheirTimeAxis(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	sent := map[string][]timelineRecord{}
	for i := range 20 {
		addTimelineRecord(sent, &results.Record{CellKey: results.CellKey{Platform: "a"}, StartedAt: t0.Add(time.Duration(i) * 290 * time.Millisecond), CloseMs: 300, LatencyMs: 300})
	}
	tl := buildTimeline([]string{"a"}, sent)
	one := 1.0
	tl.addServer([]results.ServerSample{
		{Time: t0, Platform: "a", Running: &one},
		{Time: t0.Add(3 * time.Second), Platform: "a", Running: &one},
	})
	plots, _, err := timelinePlots(tl, paletteOf(&results.Results{}))
	if err != nil {
		t.Fatal(err)
	}
	if len(plots) != 5 {
		t.Fatalf("%d panels, want 3 client and 2 server", len(plots))
	}
	for i, p := range plots {
		if p.X.Min != plots[0].X.Min || p.X.Max != plots[0].X.Max {
			t.Errorf("panel %d (%s) spans x %v-%v, panel 0 %v-%v", i, p.Title.Text, p.X.Min, p.X.Max, plots[0].X.Min, plots[0].X.Max)
		}
	}
}

func TestTheWorkbooksSummaryHasTheServersFigures(t *testing.T) {
	run := fixtureRun(t, t.TempDir())
	withServerMetrics(t, run)
	if err := XLSX(context.Background(), run); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenFile(filepath.Join(run.Dir, XLSXFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(SheetSummary, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	col := slices.Index(rows[0], "server_kv_cache_usage_max")
	if col < 0 {
		t.Fatalf("no server_kv_cache_usage_max column: %v", rows[0])
	}
	for _, r := range rows[1:] {
		if r[0] == "sophia-sim" && (col >= len(r) || r[col] != "0.5") {
			t.Errorf("sophia-sim KV-cache max %q, want 0.5 (a share, shown as a percentage)", r[col])
		}
	}
}
