package export

import (
	"strings"
	"testing"

	"github.com/inferbench/inferbench/pipeline/results"
)

// lengthSweep is two platforms' curves over three input lengths at one
// concurrency.
func lengthSweep() *results.SweepResults {
	sw := &results.SweepResults{}
	for i, name := range []string{"fast", "slow"} {
		c := results.SweepCurve{GroupKey: results.GroupKey{Platform: name, Model: "m"}}
		for j, n := range []int{128, 1024, 4096} {
			ttft := float64(20+n/20) * float64(1+i)
			c.Points = append(c.Points, results.SweepPoint{Level: []string{"in=128", "in=1024", "in=4096"}[j], Concurrency: 2, InputTokens: n, OutputTokens: 128,
				Requests: 4, Successes: 4, RequestThroughput: 5, TTFTP50: ttft, TTFTP99: ttft * 1.2, E2EP50: ttft + 500, E2EP99: ttft + 600})
		}
		sw.Curves = append(sw.Curves, c)
	}
	return sw
}

// TestLengthLevelsArePlottedAgainstTheInputLength: levels that differ by
// input length (a synthetic source's groups) put the input length on the
// x axis, at the lengths, and the plots say "vs input length".
func TestLengthLevelsArePlottedAgainstTheInputLength(t *testing.T) {
	sw := lengthSweep()
	axis := levelAxisOf(sw)
	if axis.title != "input length (tokens)" || !axis.atLevels || axis.x(sw.Curves[0].Points[2]) != 4096 {
		t.Errorf("axis %q at levels %v", axis.title, axis.atLevels)
	}
	imgs, err := sweepPlots(sw, nil)
	if err != nil {
		t.Fatal(err)
	}
	var ttft *reportImage
	for i := range imgs {
		if imgs[i].File == PlotSweepTTFT {
			ttft = &imgs[i]
		}
	}
	if ttft == nil {
		t.Fatalf("no %s among %d plots", PlotSweepTTFT, len(imgs))
	}
	svg := string(ttft.SVG)
	for _, want := range []string{"TTFT vs input length", "input length (tokens)", ">4096<"} {
		if !strings.Contains(svg, want) {
			t.Errorf("TTFT plot lacks %q", want)
		}
	}
	if !strings.Contains(ttft.Alt, "input length") {
		t.Errorf("alt text %q", ttft.Alt)
	}
}

// A run of synthetic prompts has no gold answers: no group has an F1, and
// the report draws no empty F1 plot.
func TestARunWithoutGoldAnswersDrawsNoF1Plot(t *testing.T) {
	run := fixtureRun(t, t.TempDir())
	for i := range run.Results.Groups {
		g := &run.Results.Groups[i]
		g.F1, g.EM, g.NoGold = results.Dist{}, results.Dist{}, g.Count
	}
	imgs, err := renderPlots(run)
	if err != nil {
		t.Fatal(err)
	}
	for _, im := range imgs {
		if im.File == PlotF1 {
			t.Errorf("an F1 plot is drawn with no F1 in any group")
		}
	}
	if len(imgs) == 0 {
		t.Fatal("no plots at all")
	}
}
