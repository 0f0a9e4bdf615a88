package export

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/inferbench/inferbench/pipeline"
	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/results"
	"github.com/inferbench/inferbench/pipeline/runfolder"
	"github.com/inferbench/inferbench/stages/aggregate"
	"github.com/inferbench/inferbench/stages/score"
)

// outputs renders run through the console, the Markdown report and the
// workbook, and returns the console text, the report text and the open workbook.
func outputs(t *testing.T, run *pipeline.Run) (string, string, *excelize.File) {
	t.Helper()
	var con bytes.Buffer
	if err := Console(&con, run); err != nil {
		t.Fatal(err)
	}
	if err := Markdown(context.Background(), run); err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join(run.Dir, MarkdownFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := XLSX(context.Background(), run); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenFile(filepath.Join(run.Dir, XLSXFile))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return con.String(), string(md), f
}

// lineWith returns the first line of s that contains sub ("" if none).
func lineWith(s, sub string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			return l
		}
	}
	return ""
}

// sheetColumn returns the values of the column named name in sheet, one per data row.
func sheetColumn(t *testing.T, f *excelize.File, sheet, name string) []string {
	t.Helper()
	rows, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	for c, h := range rows[0] {
		if h != name {
			continue
		}
		var out []string
		for _, r := range rows[1:] {
			v := ""
			if c < len(r) {
				v = r[c]
			}
			out = append(out, v)
		}
		return out
	}
	t.Fatalf("sheet %s has no column %s: %v", sheet, name, rows[0])
	return nil
}

func TestAgreementIsNotApplicableWithOneRepeat(t *testing.T) {
	run := fixtureRun(t, t.TempDir())
	// metis ran one repeat (agreement 1 means nothing), sophia-sim two.
	run.Results.Groups[0].RepeatEM, run.Results.Groups[0].RepeatF1 = []float64{40}, []float64{55}
	run.Results.Groups[0].Agreement = 1
	con, md, f := outputs(t, run)
	acc := con[strings.Index(con, "ACCURACY (%)"):]
	t.Run("the console shows - for the one-repeat group and the share for the other", func(t *testing.T) {
		if l := lineWith(acc, "metis/"); !strings.HasSuffix(strings.TrimSpace(l), " -") || strings.Contains(l, "100.0%") {
			t.Errorf("metis accuracy row %q", l)
		}
		if l := lineWith(acc, "sophia-sim/"); !strings.HasSuffix(strings.TrimSpace(l), "50.0%") {
			t.Errorf("sophia-sim accuracy row %q", l)
		}
	})
	t.Run("the report's accuracy table shows - for the one-repeat group", func(t *testing.T) {
		sec := md[strings.Index(md, "## Accuracy"):]
		if l := lineWith(sec, "| metis/"); !strings.Contains(l, "| - |") || strings.Contains(l, "100.0%") {
			t.Errorf("metis accuracy row %q", l)
		}
		if l := lineWith(sec, "| sophia-sim/"); !strings.Contains(l, "| 50.0% |") {
			t.Errorf("sophia-sim accuracy row %q", l)
		}
	})
	t.Run("the Accuracy sheet holds - for the one-repeat group and the number for the other", func(t *testing.T) {
		if got := sheetColumn(t, f, SheetAccuracy, "agreement"); len(got) != 2 || got[0] != "-" || got[1] != "0.5" {
			t.Errorf("agreement column %q", got)
		}
	})
	t.Run("the Summary sheet keeps the number", func(t *testing.T) {
		if got := sheetColumn(t, f, SheetSummary, "agreement"); len(got) != 2 || got[0] != "1" {
			t.Errorf("agreement column %q", got)
		}
	})
}

func TestRatesShowAchievedAgainstTarget(t *testing.T) {
	run := fixtureRun(t, t.TempDir())
	open := &run.Results.Groups[0]                                        // metis: open loop at 8 req/s
	open.TargetRate, open.RequestThroughput, open.SendRate = 8, 7.1, 7.95 // the send rate, not the throughput, is held against the target
	open.QueueMs = results.Dist{N: 4, Mean: 0.4, P50: 0.31, P99: 1.73, Max: 1.9}
	run.Results.Groups[1].TargetRate, run.Results.Groups[1].RequestThroughput = 0, 1.5 // closed loop
	con, md, _ := outputs(t, run)
	thr := con[strings.Index(con, "THROUGHPUT"):strings.Index(con, "SUCCESS RATE")]
	t.Run("the console's THROUGHPUT shows sent / target, then completed, for the open-loop group", func(t *testing.T) {
		if !strings.Contains(thr, "sent req/s / target  completed req/s") || !strings.HasSuffix(strings.TrimSpace(lineWith(thr, "metis/")), "7.95 / 8             7.10") {
			t.Errorf("throughput section:\n%s", thr)
		}
	})
	t.Run("the console shows the completed rate for the closed-loop group", func(t *testing.T) {
		if l := strings.TrimSpace(lineWith(thr, "sophia-sim/")); !strings.HasSuffix(l, " 1.50") {
			t.Errorf("sophia-sim row %q", l)
		}
	})
	res := md[strings.Index(md, "## Results"):strings.Index(md, "## Speedup")]
	t.Run("the report's results table has the completed rate column", func(t *testing.T) {
		if !strings.Contains(res, "Completed req/s |") || !strings.Contains(lineWith(res, "| metis/"), "| 7.10 |") ||
			!strings.Contains(lineWith(res, "| sophia-sim/"), "| 1.50 |") {
			t.Errorf("results section:\n%s", res)
		}
	})
	t.Run("the report shows the open-loop queue time", func(t *testing.T) {
		if !regexp.MustCompile(`\| metis/gpt-oss-120b \| 8 \| 7\.95 \| 0\.31 \| 1\.73 \| 1\.90 \|`).MatchString(res) {
			t.Errorf("no queue row for metis in:\n%s", res)
		}
		if strings.Count(res, "| sophia-sim/") != 1 {
			t.Errorf("the closed-loop group is in the queue table:\n%s", res)
		}
	})
	t.Run("a run with only closed-loop groups has neither targets nor a queue table", func(t *testing.T) {
		run := fixtureRun(t, t.TempDir())
		con, md, _ := outputs(t, run)
		if strings.Contains(con, "target") || strings.Contains(md, "Queue p50") || strings.Contains(md, "Sent req/s") {
			t.Error("closed-loop run shows open-loop figures")
		}
	})
}

func TestFailureClassesAreNeverCut(t *testing.T) {
	run := fixtureRun(t, t.TempDir())
	errs := map[string]int{"stream_truncated": 3, "timeout_first_token": 2, "empty_content_length": 1, "http_429": 4,
		"sse_error_event": 1, "timeout_idle": 7, "bad_json": 2, "transport": 1, "http_503": 12}
	run.Results.Groups[0].Errors = errs
	con, _, _ := outputs(t, run)
	for _, c := range sortedErrors(errs) {
		t.Run("the console shows "+c+" whole", func(t *testing.T) {
			if !regexp.MustCompile(`(^|\s)` + regexp.QuoteMeta(c) + `(\s|$)`).MatchString(con) {
				t.Errorf("missing %q in\n%s", c, con)
			}
		})
	}
	t.Run("nothing is clipped with an ellipsis and every line fits in 100 columns", func(t *testing.T) {
		if strings.Contains(con, "…") {
			t.Errorf("clipped text in\n%s", con)
		}
		for _, l := range strings.Split(con, "\n") {
			if n := len([]rune(l)); n > consoleWidth {
				t.Errorf("%d columns: %q", n, l)
			}
		}
	})
}

func TestWrapWords(t *testing.T) {
	got := wrapWords("  head:", []string{"aaaa", "bbbb", "cccccccccccc", "d"}, "    ", 16)
	want := []string{"  head: aaaa", "    bbbb", "    cccccccccccc", "    d"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got %q, want %q", got, want)
	}
}

// v2Run scores a small SQuAD v2 set (our own text) with the real scorer,
// aggregates it and returns the run: 4 answerable questions (EM 1, 1, 0, 0;
// F1 1, 1, 0.5, 0) and 2 unanswerable ones (the empty answer right once).
func v2Run(t *testing.T, dir string) *pipeline.Run {
	t.Helper()
	samples := []*config.Sample{
		{ID: "a1", Context: "The lighthouse was built in 1874.", Question: "When was it built?", Answers: []string{"1874"}},
		{ID: "a2", Context: "Marta Kovac founded the club.", Question: "Who founded the club?", Answers: []string{"Marta Kovac"}},
		{ID: "a3", Context: "The glacier retreats forty metres.", Question: "How far?", Answers: []string{"forty metres"}},
		{ID: "a4", Context: "A ferrite bead stops noise.", Question: "What stops noise?", Answers: []string{"ferrite bead"}},
		{ID: "n1", Context: "Nobody knows who painted it.", Question: "Who painted it?", IsImpossible: true},
		{ID: "n2", Context: "The mural shows a heron.", Question: "When was it painted?", IsImpossible: true},
	}
	contents := []string{"1874", "**Marta Kovac**", "about forty", "", "", "Nobody"}
	exp := &config.Experiment{
		Name: "v2", Seed: 1, Repeats: 1,
		Platforms: []config.Platform{{Name: "p", Models: []string{"m"}, Concurrency: 1}},
		Params:    config.Params{Temperature: []float64{0}, MaxTokens: 64},
		Score:     config.ScoreSpec{Extract: config.ExtractSpec{Steps: config.DefaultExtractSteps}},
		Stats:     config.StatsSpec{Confidence: 0.95, Bootstrap: 200},
	}
	sc, err := score.New(exp.Score, "v2.0")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	var recs []results.Record
	for i, s := range samples {
		r := results.Record{CellKey: results.CellKey{Platform: "p", Model: "m", SampleID: s.ID}, Seq: i,
			StartedAt: start.Add(time.Duration(i) * time.Second), TTFTMs: 100, LatencyMs: 200, CloseMs: 201,
			OutputTokens: 3, FinishReason: "stop", Content: contents[i], Attempts: 1}
		sc.Score(&r, s)
		recs = append(recs, r)
	}
	res, err := pipeline.AggregateRecords(context.Background(), aggregate.NewAccumulator, exp, recs)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]*config.Sample{}
	for _, s := range samples {
		byID[s.ID] = s
	}
	return &pipeline.Run{Dir: dir, Experiment: exp, Records: recs, Results: res, Samples: byID,
		Manifest: &runfolder.Manifest{Experiment: *exp, Dataset: runfolder.DatasetInfo{Source: "squad", Version: "v2.0", Total: 6}}}
}

func TestSquadV2AnswerBreakdown(t *testing.T) {
	run := v2Run(t, t.TempDir())
	g := run.Results.Groups[0]
	t.Run("aggregate splits the v2 set like the official script", func(t *testing.T) {
		if g.HasAns == nil || g.NoAns == nil || *g.HasAns != (results.AnswerBreakdown{Count: 4, EM: 50, F1: 62.5}) ||
			*g.NoAns != (results.AnswerBreakdown{Count: 2, EM: 50, F1: 50}) {
			t.Fatalf("has_ans %+v no_ans %+v", g.HasAns, g.NoAns)
		}
	})
	con, md, f := outputs(t, run)
	t.Run("the console has an answerability section", func(t *testing.T) {
		if !regexp.MustCompile(`ACCURACY BY ANSWERABILITY[^\n]*\n-+\n[^\n]*HasAns n\s+HasAns EM\s+HasAns F1\s+NoAns n\s+NoAns EM\s+NoAns F1\s*\n\s*p/m\s+4\s+50\.0\s+62\.5\s+2\s+50\.0\s+50\.0`).MatchString(con) {
			t.Errorf("no breakdown in\n%s", con)
		}
	})
	t.Run("the report's accuracy section has the HasAns/NoAns table", func(t *testing.T) {
		sec := md[strings.Index(md, "## Accuracy"):]
		if !strings.Contains(sec, "| p/m | 4 | 50.0 | 62.5 | 2 | 50.0 | 50.0 |") {
			t.Errorf("no breakdown row in\n%s", sec)
		}
	})
	t.Run("the Accuracy sheet has the breakdown columns", func(t *testing.T) {
		for col, want := range map[string]string{"has_ans_count": "4", "has_ans_em": "50", "has_ans_f1": "62.5",
			"no_ans_count": "2", "no_ans_em": "50", "no_ans_f1": "50"} {
			if got := sheetColumn(t, f, SheetAccuracy, col); len(got) != 1 || got[0] != want {
				t.Errorf("%s = %q, want %s", col, got, want)
			}
		}
	})
	t.Run("a v1.1 run has no breakdown anywhere", func(t *testing.T) {
		run := fixtureRun(t, t.TempDir())
		con, md, f := outputs(t, run)
		rows, _ := f.GetRows(SheetAccuracy)
		acc := md[strings.Index(md, "## Accuracy"):]
		acc = acc[:strings.Index(acc[3:], "\n## ")+3] // up to the next section (the definitions name HasAns)
		if strings.Contains(con, "ANSWERABILITY") || strings.Contains(acc, "HasAns") || strings.Contains(strings.Join(rows[0], ","), "has_ans") {
			t.Error("v1.1 run shows a HasAns/NoAns breakdown")
		}
	})
}

func TestReportRawFalseHidesRawScoresFromConsoleAndReport(t *testing.T) {
	for _, raw := range []bool{true, false} {
		run := fixtureRun(t, t.TempDir())
		run.Experiment.Score.ReportRaw = raw
		var b strings.Builder
		if err := Console(&b, run); err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(b.String(), "raw EM"); got != raw {
			t.Errorf("report_raw %v: console shows raw EM = %v", raw, got)
		}
		if err := Markdown(context.Background(), run); err != nil {
			t.Fatal(err)
		}
		md, _ := os.ReadFile(filepath.Join(run.Dir, MarkdownFile))
		if got := strings.Contains(string(md), "EM % (raw)"); got != raw {
			t.Errorf("report_raw %v: report shows raw EM = %v", raw, got)
		}
	}
}

func TestReportStatesTheConfiguredConfidenceLevel(t *testing.T) {
	run := fixtureRun(t, t.TempDir())
	run.Experiment.Stats.Confidence = 0.9
	if err := Markdown(context.Background(), run); err != nil {
		t.Fatal(err)
	}
	md, _ := os.ReadFile(filepath.Join(run.Dir, MarkdownFile))
	f1, _ := os.ReadFile(filepath.Join(run.Dir, PlotF1))
	// (The fixture's verdicts, written by aggregate, carry their own level.)
	if !strings.Contains(string(md), "90% confidence interval") || !strings.Contains(string(md), "| 90% CI |") {
		t.Errorf("report does not state the 90%% level in its results and speedup tables")
	}
	if !strings.Contains(string(f1), "90% CI") {
		t.Errorf("F1 plot title does not state 90%%")
	}
}

func TestConsoleListsSmallSampleWarnings(t *testing.T) {
	run := fixtureRun(t, t.TempDir())
	run.Results.Groups[0].Warnings = []string{"only 12 successful requests, too few for reliable percentiles: p99 needs >= 100"}
	var b strings.Builder
	if err := Console(&b, run); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "WARNINGS") || !strings.Contains(b.String(), "only 12 successful requests") {
		t.Fatalf("console lacks the warning:\n%s", b.String())
	}
}
