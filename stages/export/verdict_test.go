package export

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/inferbench/inferbench/pipeline"
	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/results"
	"github.com/inferbench/inferbench/stages/aggregate"
)

// aggregatedRun aggregates 40 questions on metis (latency 600+10i ms) and
// the baseline sophia (1000+10i ms). metis answers every other question
// wrong (sophia answers all right) when lossy, and fails every request when
// allFail. dir is the run folder.
func aggregatedRun(t *testing.T, dir string, lossy, allFail bool) *pipeline.Run {
	t.Helper()
	exp := &config.Experiment{
		Name: "verdict", Seed: 42, Baseline: "sophia", Repeats: 1,
		Platforms: []config.Platform{{Name: "metis", Models: []string{"m"}}, {Name: "sophia", Models: []string{"m"}}},
		Params:    config.Params{Temperature: []float64{0}},
		Score:     config.ScoreSpec{ReportRaw: true},
		Stats:     config.StatsSpec{Bootstrap: 1000, Confidence: 0.95},
	}
	t0 := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	var recs []results.Record
	for pi, p := range []string{"metis", "sophia"} {
		for i := range 40 {
			lat := 1000 + 10*float64(i)
			if p == "metis" {
				lat = 600 + 10*float64(i)
			}
			r := results.Record{CellKey: results.CellKey{Platform: p, Model: "m", SampleID: "q" + strconv.Itoa(i)},
				Seq: pi*40 + i, StartedAt: t0.Add(time.Duration(pi*40+i) * time.Second), Attempts: 1,
				TTFTMs: lat / 4, LatencyMs: lat, OutputTokens: 10, TokensPerSec: 10000 / lat, FinishReason: "stop",
				Answer: "a", EM: 1, F1: 1, RawEM: 1, RawF1: 1, Scored: true}
			if p == "metis" && lossy && i%2 == 0 {
				r.EM, r.F1, r.RawEM, r.RawF1 = 0, 0, 0, 0
			}
			if p == "metis" && allFail {
				r = results.Record{CellKey: r.CellKey, Seq: r.Seq, StartedAt: r.StartedAt, Attempts: 1,
					Error: results.HTTPError(500), HTTPStatus: 500, Scored: true}
			}
			recs = append(recs, r)
		}
	}
	res, err := pipeline.AggregateRecords(context.Background(), aggregate.NewAccumulator, exp, recs)
	if err != nil {
		t.Fatal(err)
	}
	return &pipeline.Run{Dir: dir, Experiment: exp, Records: recs, Results: res}
}

func TestTheVerdictNamesAnAccuracyLossBesideTheSpeedup(t *testing.T) {
	run := aggregatedRun(t, t.TempDir(), true, false)
	c := run.Results.Comparisons[0]
	if !c.DeltaF1Significant || !strings.Contains(c.Verdict, "faster than sophia") || !strings.Contains(c.Verdict, " but significantly less accurate: F1 -50.0 points") {
		t.Fatalf("fixture verdict %q", c.Verdict)
	}
	con, md, f := outputs(t, run)
	t.Run("the console prints the whole verdict on one line", func(t *testing.T) {
		if l := lineWith(con, "faster than sophia"); !strings.Contains(l, "but significantly less accurate: F1 -50.0 points") {
			t.Errorf("console line %q", l)
		}
	})
	t.Run("report.md bolds the whole statement, the accuracy loss included", func(t *testing.T) {
		re := regexp.MustCompile(`(?m)^- \*\*metis is [0-9.]+x faster than sophia [^*]* but significantly less accurate: F1 -50\.0 points \(95% CI [^*]*\)\*\*$`)
		if !re.MatchString(md) {
			t.Errorf("no bold verdict with the accuracy loss in:\n%s", lineWith(md, "faster than"))
		}
	})
	t.Run("report.html puts the accuracy loss inside the same strong element", func(t *testing.T) {
		if err := HTML(context.Background(), run); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(filepath.Join(run.Dir, HTMLFile))
		if !regexp.MustCompile(`<strong>metis is [^<]*faster than sophia[^<]* but significantly less accurate: F1 -50\.0 points[^<]*</strong>`).Match(b) {
			t.Errorf("no strong verdict with the accuracy loss in %s", lineWith(string(b), "faster than"))
		}
	})
	t.Run("the report's speedup table gives the paired differences with their CI, p-value and pairs", func(t *testing.T) {
		sec := md[strings.Index(md, "## Speedup"):strings.Index(md, "## Accuracy")]
		want := fmt.Sprintf("| %+.1f [%.1f, %.1f] | &lt;0.001 | %+.1f [%.1f, %.1f] | 40 |",
			c.DeltaF1, c.DeltaF1CILow, c.DeltaF1CIHigh, c.DeltaEM, c.DeltaEMCILow, c.DeltaEMCIHigh)
		if l := lineWith(sec, "| metis/"); !strings.Contains(l, want) || !strings.Contains(sec, "sign-flip") {
			t.Errorf("row %q\nwant it to contain %q", l, want)
		}
	})
	t.Run("the workbook's Comparison sheet has the paired difference columns", func(t *testing.T) {
		for col, want := range map[string]string{"delta_f1": "-50", "delta_em": "-50", "n_paired": "40", "delta_f1_significant": "1"} {
			if got := sheetColumn(t, f, SheetComparison, col); len(got) != 1 || got[0] != want {
				t.Errorf("%s %q, want %q", col, got, want)
			}
		}
		if got := sheetColumn(t, f, SheetComparison, "delta_f1_ci_high"); len(got) != 1 || got[0] == "" || got[0] == "0" {
			t.Errorf("delta_f1_ci_high %q", got)
		}
	})
	t.Run("summary.csv has the paired difference columns", func(t *testing.T) {
		rows := summaryRows(t, run)
		if rows[0]["delta_f1"] != "-50" || rows[0]["n_paired"] != "40" || rows[0]["delta_f1_p_value"] == "" || rows[0]["delta_em_ci_low"] == "" {
			t.Errorf("metis row %v", rows[0])
		}
		if rows[1]["delta_f1"] != "" || rows[1]["n_paired"] != "" {
			t.Errorf("the baseline row has a comparison: %v", rows[1])
		}
	})
}

// summaryRows writes summary.csv and returns its rows as column -> value.
func summaryRows(t *testing.T, run *pipeline.Run) []map[string]string {
	t.Helper()
	if err := CSV(context.Background(), run); err != nil {
		t.Fatal(err)
	}
	fh, err := os.Open(filepath.Join(run.Dir, SummaryCSVFile))
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	recs, err := csv.NewReader(fh).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]string
	for _, r := range recs[1:] {
		m := map[string]string{}
		for i, h := range recs[0] {
			m[h] = r[i]
		}
		out = append(out, m)
	}
	return out
}

func TestAGroupWithoutSuccessesShowsNoLatency(t *testing.T) {
	run := aggregatedRun(t, t.TempDir(), false, true)
	con, md, f := outputs(t, run)
	t.Run("the console shows - for its latency and TTFT", func(t *testing.T) {
		for _, sec := range []string{"LATENCY (ms)", "TIME TO FIRST TOKEN (ms)"} {
			s := con[strings.Index(con, sec):]
			if fields := strings.Fields(lineWith(s, "metis/")); len(fields) != 8 || strings.Join(fields[1:], " ") != "- - - - - - -" {
				t.Errorf("%s row %q", sec, lineWith(s, "metis/"))
			}
		}
	})
	t.Run("the verdict makes no latency claim", func(t *testing.T) {
		if l := lineWith(con, "no successful requests on metis"); !strings.Contains(l, "no latency comparison with sophia") || strings.Contains(l, "faster") {
			t.Errorf("verdict line %q", l)
		}
	})
	t.Run("the report shows - for its latency, TTFT and speedup", func(t *testing.T) {
		res := md[strings.Index(md, "## Results"):strings.Index(md, "## Speedup")]
		if l := lineWith(res, "| metis/"); !strings.HasPrefix(l, "| metis/m | 0 / 40 | 100.0% | - | - | - | - | - | - |") {
			t.Errorf("results row %q", l)
		}
		sec := md[strings.Index(md, "## Speedup"):strings.Index(md, "## Accuracy")]
		if l := lineWith(sec, "| metis/"); !strings.HasPrefix(l, "| metis/m | sophia/m | - | - | - | - | no |") {
			t.Errorf("speedup row %q", l)
		}
	})
	t.Run("the report's queue table shows - for an open-loop group without successes", func(t *testing.T) {
		open := aggregatedRun(t, t.TempDir(), false, true)
		open.Results.Groups[0].TargetRate = 5
		if err := Markdown(context.Background(), open); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(filepath.Join(open.Dir, MarkdownFile))
		if !strings.Contains(string(b), "| metis/m | 5 | "+fnum(open.Results.Groups[0].SendRate, 2)+" | - | - | - |") {
			t.Errorf("queue row %q", lineWith(string(b)[strings.Index(string(b), "Queue p50"):], "| metis/"))
		}
	})
	t.Run("summary.csv shows - for its timing figures and speedup", func(t *testing.T) {
		row := summaryRows(t, run)[0]
		for _, col := range []string{"latency_mean_ms", "latency_p50_ms", "ttft_p99_ms", "tokens_per_sec_mean", "latency_ci_low_ms", "speedup_median", "speedup_ci_low", "speedup_p_value"} {
			if row[col] != "-" {
				t.Errorf("%s = %q, want -", col, row[col])
			}
		}
		if row["latency_n"] != "0" || row["f1_mean_pct"] != "0" {
			t.Errorf("latency_n %q f1_mean_pct %q, want 0 and 0", row["latency_n"], row["f1_mean_pct"])
		}
	})
	t.Run("the workbook shows - for its timing figures and speedup", func(t *testing.T) {
		if got := sheetColumn(t, f, SheetSummary, "latency_p50_ms"); got[0] != "-" || got[1] == "-" {
			t.Errorf("latency_p50_ms %q", got)
		}
		if got := sheetColumn(t, f, SheetComparison, "speedup_median"); got[0] != "-" {
			t.Errorf("speedup_median %q", got)
		}
	})
	t.Run("the timing plots say the group had no successful request instead of drawing nothing or a zero bar", func(t *testing.T) {
		imgs, err := renderPlots(run)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, im := range imgs {
			seen[im.File] = true
			has := strings.Contains(string(im.SVG), "no successful request")
			// The timeline draws each platform's activity, failures included.
			if timing := im.File != PlotF1 && im.File != PlotTimeline; timing != has {
				t.Errorf("%s: mentions no successful request = %v, want %v", im.File, has, timing)
			}
		}
		for _, f := range []string{PlotLatency, PlotTTFTCDF, PlotTokensPerSec, PlotF1} {
			if !seen[f] {
				t.Errorf("%s not drawn", f)
			}
		}
	})
	t.Run("the Charts sheet leaves its timing cells empty, so no chart draws a bar of 0 ms", func(t *testing.T) {
		for _, col := range []string{"Latency p50 (ms)", "TTFT p95 (ms)", "Output tokens/s (mean per request)", "Mean latency (ms)"} {
			if got := sheetColumn(t, f, SheetCharts, col); got[0] != "" || got[1] == "" {
				t.Errorf("%s = %q, want empty for metis and a value for sophia", col, got)
			}
		}
		if got := sheetColumn(t, f, SheetCharts, "F1 (%)"); got[0] != "0" {
			t.Errorf("F1 = %q: a group whose every request failed scores 0", got)
		}
		for _, c := range readCharts(t, filepath.Join(run.Dir, XLSXFile)) {
			for _, sc := range c.Scatters {
				if strings.HasSuffix(sc.YVal.F, "$2") {
					t.Errorf("%s: the latency-vs-F1 scatter has a point for metis, which has no latency", c.name)
				}
			}
		}
	})
	t.Run("results.json writes null for its latency and speedup", func(t *testing.T) {
		if err := JSON(context.Background(), run); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(filepath.Join(run.Dir, ResultsJSONFile))
		var doc struct {
			Results struct {
				Groups []struct {
					LatencyMs map[string]any `json:"latency_ms"`
				} `json:"groups"`
				Comparisons []map[string]any `json:"comparisons"`
			} `json:"results"`
		}
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatal(err)
		}
		lat := doc.Results.Groups[0].LatencyMs
		if lat["n"] != 0.0 || lat["mean"] != nil || lat["p50"] != nil || doc.Results.Groups[1].LatencyMs["mean"] == nil {
			t.Errorf("latency_ms %v", lat)
		}
		if c := doc.Results.Comparisons[0]; c["speedup_median"] != nil || c["p_value"] != nil || c["delta_f1"] != -100.0 {
			t.Errorf("comparison %v", c)
		}
	})
}
