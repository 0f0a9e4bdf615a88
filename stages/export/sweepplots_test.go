package export

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// svgTexts returns the texts an SVG draws, with their x positions.
func svgTexts(svg []byte) (texts []string, xs []float64) {
	re := regexp.MustCompile(`<text x="([-0-9.]+)"[^>]*>([^<]*)</text>`)
	for _, m := range re.FindAllStringSubmatch(string(svg), -1) {
		x, _ := strconv.ParseFloat(m[1], 64)
		texts = append(texts, m[2])
		xs = append(xs, x)
	}
	return texts, xs
}

func sweepImage(t *testing.T, file string) []byte {
	t.Helper()
	imgs, err := sweepPlots(handSweep(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, im := range imgs {
		if im.File == file {
			return im.SVG
		}
	}
	t.Fatalf("no %s among %d sweep plots", file, len(imgs))
	return nil
}

func TestSweepPlotsTickTheLevelsAndLabelThePoints(t *testing.T) {
	for _, f := range []string{PlotSweepLevelLatency, PlotSweepThroughput, PlotSweepTTFT, PlotSweepTPOT, PlotSweepErrorRate} {
		texts, _ := svgTexts(sweepImage(t, f))
		joined := "|" + strings.Join(texts, "|") + "|"
		for _, want := range []string{"|1|", "|8|", "|24|"} {
			if !strings.Contains(joined, want) {
				t.Errorf("%s: no tick %s at a level: %s", f, want, joined)
			}
		}
		for _, bad := range []string{"2.5", "12.5", "22.5", ".00", "|-"} {
			if strings.Contains(joined, bad) {
				t.Errorf("%s: tick or label %q: %s", f, bad, joined)
			}
		}
	}
	texts, _ := svgTexts(sweepImage(t, PlotSweepLatency))
	labels := 0
	for _, s := range texts {
		if s == "c=1" || s == "c=8" || s == "c=24" {
			labels++
		}
	}
	if labels != 6 {
		t.Errorf("latency vs throughput labels %d points with their level, want 6 (3 levels x 2 curves): %q", labels, texts)
	}
	for _, want := range []string{"fast p50", "fast p99", "wide p50", "wide p99"} {
		if !slicesContains(texts, want) {
			t.Errorf("legend lacks %q: %q", want, texts)
		}
	}
	if texts, _ := svgTexts(sweepImage(t, PlotSweepLevelLatency)); !slicesContains(texts, "crossover c=8") {
		t.Errorf("the latency vs load plot does not mark the crossover: %q", texts)
	}
}

func slicesContains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

func TestAnErrorRateOfZeroHasAnAxisFromZero(t *testing.T) {
	texts, _ := svgTexts(sweepImage(t, PlotSweepErrorRate))
	for _, s := range texts {
		if strings.HasPrefix(s, "-") {
			t.Errorf("negative tick %q on the error-rate axis: %q", s, texts)
		}
	}
	if !slicesContains(texts, "0") || !slicesContains(texts, "1") {
		t.Errorf("error-rate axis should run from 0 to 1 %%: %q", texts)
	}
}

func TestLegendsSitBesideTheAxes(t *testing.T) {
	svg := sweepImage(t, PlotSweepLatency)
	texts, xs := svgTexts(svg)
	// The axes end where the grid's vertical lines end; every legend
	// text starts to the right of the last x tick label.
	var lastTick float64
	for i, s := range texts {
		if _, err := strconv.ParseFloat(s, 64); err == nil && xs[i] > lastTick && i < 12 {
			lastTick = xs[i]
		}
	}
	for i, s := range texts {
		if strings.HasSuffix(s, " p50") || strings.HasSuffix(s, " p99") {
			if xs[i] <= lastTick {
				t.Errorf("legend entry %q at x=%.0f, inside the axes (last x tick at %.0f)", s, xs[i], lastTick)
			}
		}
	}
}

func TestAgainstTheSendRateThePointsNameTheirLevel(t *testing.T) {
	sw := handSweep()
	// A sweep profile: closed-loop sync and throughput, then rates.
	for i := range sw.Curves {
		sw.Curves[i].Points[1].Concurrency, sw.Curves[i].Points[1].TargetRate = 0, 3
	}
	if levelAxisOf(sw).atLevels {
		t.Fatal("a sweep mixing closed and open loop has no level axis")
	}
	imgs, err := sweepPlots(sw, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, im := range imgs {
		if im.File != PlotSweepTTFT {
			continue
		}
		texts, _ := svgTexts(im.SVG)
		for _, want := range []string{"c=1", "c=8", "c=24"} {
			if !slicesContains(texts, want) {
				t.Errorf("TTFT against the send rate does not label a point %s: %q", want, texts)
			}
		}
	}
}
