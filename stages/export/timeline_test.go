package export

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/inferbench/inferbench/pipeline/results"
)

func TestTheTimelineCountsInFlightCompletionsErrorsAndMedianPerBin(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	rec := func(p string, sendMs, closeMs, latency float64, err string) results.Record {
		return results.Record{CellKey: results.CellKey{Platform: p}, StartedAt: t0.Add(time.Duration(sendMs * float64(time.Millisecond))),
			CloseMs: closeMs, LatencyMs: latency, Error: err}
	}
	recs := []results.Record{
		rec("a", 0, 1500, 1400, ""),               // in flight over [0, 1.5)
		rec("a", 500, 1000, 900, ""),              // in flight over [0.5, 1.5)
		rec("a", 2200, 0, 0, "http_429"),          // refused at once at 2.2 s
		rec("b", 59_000, 1000, 1000, ""),          // a run of 60 s: bins of 1 s
		{CellKey: results.CellKey{Platform: "c"}}, // never sent
	}
	sent := map[string][]timelineRecord{}
	for i := range recs {
		addTimelineRecord(sent, &recs[i])
	}
	tl := buildTimeline([]string{"a", "b", "c"}, sent)
	if tl.bin != 1 || strings.Join(tl.platforms, ",") != "a,b" {
		t.Fatalf("bin %v s, platforms %v; want 1 s bins for a 60 s run, and a and b (c sent nothing)", tl.bin, tl.platforms)
	}
	a := tl.bins["a"]
	if len(a) != 61 {
		t.Fatalf("%d bins, want 61 (0 to 60 s)", len(a))
	}
	if a[0].inFlight != 1.5 || a[1].inFlight != 1 || a[2].inFlight != 0 {
		t.Errorf("in flight %v %v %v, want 1.5 1 0", a[0].inFlight, a[1].inFlight, a[2].inFlight)
	}
	if a[1].completions != 2 || a[1].medianMs != 1150 || a[2].errors != 1 || a[2].completions != 0 {
		t.Errorf("bin 1: %+v, bin 2: %+v; want 2 completions with median 1150 ms, then 1 error", a[1], a[2])
	}
	if !math.IsNaN(a[2].medianMs) {
		t.Errorf("a bin without a completion has median %v, want none (NaN)", a[2].medianMs)
	}
}

func TestTheTimelineBinWidthFollowsTheRunLength(t *testing.T) {
	for _, c := range []struct{ span, want float64 }{{3, 0.1}, {6, 0.1}, {7, 0.25}, {20, 0.5}, {45, 1}, {60, 1}, {1800, 1}, {7200, 4}} {
		if got := timelineBinWidth(c.span); got != c.want {
			t.Errorf("a run of %v s: bins of %v s, want %v", c.span, got, c.want)
		}
	}
}

func TestTheReportDrawsATimelinePerPlatform(t *testing.T) {
	run := fixtureRun(t, t.TempDir())
	imgs, err := renderPlots(run)
	if err != nil {
		t.Fatal(err)
	}
	for _, im := range imgs {
		if im.File != PlotTimeline {
			continue
		}
		texts, _ := svgTexts(im.SVG)
		for _, want := range []string{"metis", "sophia-sim", "Requests in flight", "E2E p50 (ms)"} {
			if !slicesContains(texts, want) {
				t.Errorf("timeline lacks %q: %q", want, texts)
			}
		}
		pal := paletteOf(run.Results)
		for _, p := range []string{"metis", "sophia-sim"} {
			if !strings.Contains(string(im.SVG), "stroke:#"+pal.platformHex(p)) {
				t.Errorf("no line in %s's colour %s", p, pal.platformHex(p))
			}
		}
		return
	}
	t.Fatal("no timeline plot")
}
