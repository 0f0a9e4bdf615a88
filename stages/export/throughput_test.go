package export

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/inferbench/inferbench/pipeline"
	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/results"
	"github.com/inferbench/inferbench/stages/aggregate"
)

// refusedRun aggregates 40 good requests of sophia (one a second) beside
// metis, whose 400 requests were each refused within a millisecond: metis
// sent a lot and completed nothing.
func refusedRun(t *testing.T) *pipeline.Run {
	t.Helper()
	exp := &config.Experiment{
		Name: "refused", Seed: 42, Baseline: "sophia", Repeats: 1,
		Platforms: []config.Platform{{Name: "metis", Models: []string{"m"}}, {Name: "sophia", Models: []string{"m"}}},
		Params:    config.Params{Temperature: []float64{0}},
		Stats:     config.StatsSpec{Bootstrap: 200, Confidence: 0.95},
	}
	t0 := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	var recs []results.Record
	for i := range 400 {
		recs = append(recs, results.Record{CellKey: results.CellKey{Platform: "metis", Model: "m", SampleID: "q" + strconv.Itoa(i)},
			Seq: i, StartedAt: t0.Add(time.Duration(i) * 250 * time.Microsecond), Attempts: 1, LatencyMs: 0.2,
			Error: results.ErrTransport, ErrorDetail: "connect: connection refused", Scored: true})
	}
	for i := range 40 {
		recs = append(recs, results.Record{CellKey: results.CellKey{Platform: "sophia", Model: "m", SampleID: "q" + strconv.Itoa(i)},
			Seq: i, StartedAt: t0.Add(time.Duration(i) * time.Second), Attempts: 1, TTFTMs: 100, LatencyMs: 500, CloseMs: 500,
			OutputTokens: 10, TokensPerSec: 20, FinishReason: "stop", Answer: "a", EM: 1, F1: 1, RawEM: 1, RawF1: 1, Scored: true})
	}
	res, err := pipeline.AggregateRecords(context.Background(), aggregate.NewAccumulator, exp, recs)
	if err != nil {
		t.Fatal(err)
	}
	return &pipeline.Run{Dir: t.TempDir(), Experiment: exp, Records: recs, Results: res}
}

// A platform that refused every connection completed nothing: its request
// throughput is 0 everywhere it is read, and the requests it sent per
// second are a send rate, never called throughput.
func TestAGroupWithoutSuccessHasNoRequestThroughput(t *testing.T) {
	run := refusedRun(t)
	b, err := json.Marshal(run.Results.Groups[0])
	if err != nil {
		t.Fatal(err)
	}
	var g map[string]any
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	if g["platform"] != "metis" || g["request_throughput"] != 0.0 {
		t.Errorf("results.json group %v: want metis with request_throughput 0", g)
	}
	if sr, _ := g["send_rate"].(float64); sr < 1000 {
		t.Errorf("send_rate %v, want the thousands of requests sent per second", g["send_rate"])
	}
	sec := sectionOf(t, consoleText(t, run), "THROUGHPUT")
	row := strings.Fields(lineWith(sec, "metis"))
	if len(row) == 0 || row[len(row)-1] != "0.00" {
		t.Errorf("console THROUGHPUT row of metis %q: want 0.00 completed req/s last\n%s", row, sec)
	}
	if !strings.Contains(sec, "completed req/s") || strings.Contains(strings.ToLower(sec), "throughput req/s") {
		t.Errorf("THROUGHPUT header does not say completed req/s:\n%s", sec)
	}
}

// A merged level whose shards sent one after the other is not the
// configured load: the console and the report say so on that level.
func TestAMergedLevelWhoseShardsSentApartSaysSo(t *testing.T) {
	run := fixtureRun(t, t.TempDir())
	apart, together := 0.35, 0.97
	run.Results.Groups[0].ShardOverlap = &apart
	run.Results.Groups[1].ShardOverlap = &together
	con, md, _ := outputs(t, run)
	thr := sectionOf(t, con, "THROUGHPUT")
	if l := lineWith(thr, "shards sent apart"); !strings.Contains(l, "metis/") || !strings.Contains(l, "(35% overlap): not the configured load") {
		t.Errorf("THROUGHPUT has no note on metis:\n%s", thr)
	}
	if strings.Count(thr, "shards sent apart") != 1 {
		t.Errorf("the level whose shards sent together is noted too:\n%s", thr)
	}
	res := md[strings.Index(md, "## Results"):]
	if !strings.Contains(lineWith(res, "| metis/"), "(shards sent apart (35% overlap): not the configured load)") {
		t.Errorf("report results row %q", lineWith(res, "| metis/"))
	}
}

// sophia (of refusedRun) reported no input tokens, and no usage at all for
// 15 of its 40 requests, whose output tokens were counted from the stream:
// every place the figures are read says so.
func TestEstimatedTokensSayHowManyAndUnreportedInputIsMissing(t *testing.T) {
	run := refusedRun(t)
	for i := range run.Records {
		if r := &run.Records[i]; r.Platform == "sophia" && i%40 < 15 {
			r.TokensEstimated = true
		}
	}
	res, err := pipeline.AggregateRecords(context.Background(), aggregate.NewAccumulator, run.Experiment, run.Records)
	if err != nil {
		t.Fatal(err)
	}
	run.Results = res
	b, err := json.Marshal(res.Groups[1])
	if err != nil {
		t.Fatal(err)
	}
	var g map[string]any
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	if v, ok := g["prompt_tokens"]; g["platform"] != "sophia" || !ok || v != nil || g["output_tokens_estimated"] != 15.0 {
		t.Errorf("results.json group %v: want sophia with prompt_tokens null and output_tokens_estimated 15", g)
	}
	con, md, f := outputs(t, run)
	if got := sheetColumn(t, f, SheetSummary, "prompt_tokens"); len(got) != 2 || got[1] != "-" {
		t.Errorf("Summary sheet prompt_tokens %q, want - for sophia", got)
	}
	if got := sheetColumn(t, f, SheetSummary, "output_tokens_estimated"); len(got) != 2 || got[0] != "0" || got[1] != "15" {
		t.Errorf("Summary sheet output_tokens_estimated %q, want 0 and 15", got)
	}
	serving := sectionOf(t, con, "SERVING BENCHMARK RESULT (per group, as vllm bench serve)")
	if l := lineWith(serving, "Total input tokens"); !strings.HasSuffix(l, "  -") {
		t.Errorf("input tokens line %q, want - for sophia", l)
	}
	if l := lineWith(serving, "Total output tokens"); !strings.HasSuffix(l, "400 (15 of 40 estimated)") {
		t.Errorf("output tokens line %q, want sophia's 400 with 15 of 40 estimated", l)
	}
	if !strings.Contains(md, "sophia/m: output tokens estimated (no usage from the server) for 15 of 40 requests") {
		t.Errorf("report says nothing of the estimate:\n%s", md[strings.Index(md, "## Results"):])
	}
	if !strings.Contains(md, "sophia/m: input tokens: no server reported them") {
		t.Errorf("report says nothing of the unreported input tokens")
	}
}
