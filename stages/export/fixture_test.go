package export

import (
	"fmt"
	"testing"
	"time"

	"github.com/inferbench/inferbench/pipeline"
	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/results"
	"github.com/inferbench/inferbench/pipeline/runfolder"
)

// Values the tests look for in the outputs.
const (
	formulaAnswer = `=HYPERLINK("http://x","y")`
	scriptAnswer  = `<script>alert(1)</script>`
	trickyContent = "Paris, \"the\" city\nof light — Zürich ünïcödé 東京"
	minusAnswer   = "-42"
	atAnswer      = "@SUM(A1)"
)

func dist(n int, mean float64) results.Dist {
	return results.Dist{N: n, Mean: mean, Stddev: mean / 10, CV: 0.1, Min: mean * 0.5, Max: mean * 1.5,
		P50: mean * 0.95, P90: mean * 1.2, P95: mean * 1.3, P99: mean * 1.4, CILow: mean * 0.9, CIHigh: mean * 1.1}
}

// fixtureRun builds a run with two platforms (metis faster, sophia-sim the
// baseline), failures, vendor fields, a formula-like answer, a <script>
// answer, commas/quotes/newlines and Unicode in content. dir is the run folder.
func fixtureRun(t testing.TB, dir string) *pipeline.Run {
	t.Helper()
	start := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	exp := &config.Experiment{
		Name:        "metis-vs-sophia",
		Description: "fixture | with pipe",
		Seed:        42,
		Dataset:     config.DatasetSpec{Source: "demo", Slice: "[:3]"},
		Prompt:      config.PromptSpec{User: config.DefaultUserPrompt},
		Platforms: []config.Platform{
			{Name: "metis", BaseURL: "https://example.test/metis/v1", Models: []string{"gpt-oss-120b"}, Concurrency: 1, APIKey: "sekret-token"},
			{Name: "sophia-sim", Emulate: config.ConfigBlock(&emulateView{TTFT: config.Duration(600 * time.Millisecond), TokensPerSecond: 150, Accuracy: 0.8}), Models: []string{"gpt-oss-120b"}, Concurrency: 2},
		},
		Baseline: "sophia-sim",
		Params:   config.Params{Temperature: []float64{0.7}, MaxTokens: 512, Stream: true},
		Repeats:  2,
		Score:    config.ScoreSpec{Extract: config.ExtractSpec{Steps: config.DefaultExtractSteps}, ReportRaw: true},
		Stats:    config.StatsSpec{Confidence: 0.95, Bootstrap: 2000},
		Metrics:  []config.MetricSpec{{Name: "cost_per_1k", Expr: "output_tokens / 1000 * 0.6"}},
		Checks:   []string{`group("metis").f1 >= group("sophia-sim").f1 - 2`, `all(groups, .error_rate < 0.01)`},
		Export:   config.ExportSpec{Dir: "results", Formats: registeredFormats()},
	}
	samples := map[string]*config.Sample{
		"q1": {ID: "q1", Title: "Cities", Context: "Paris is the capital of France.", Question: "What is the capital of France?", Answers: []string{"Paris"}},
		"q2": {ID: "q2", Title: "Math", Context: "The answer is forty-two.", Question: "What is the answer, \"really\"?", Answers: []string{"forty-two", "42"}},
		"q3": {ID: "q3", Title: "Ünïcode", Context: "東京 is in Japan.", Question: "Where is 東京?", Answers: []string{"Japan"}},
	}
	var recs []results.Record
	seq := 0
	add := func(r results.Record) {
		r.Seq = seq
		r.StartedAt = start.Add(time.Duration(seq) * time.Second)
		r.Temperature = 0.7
		r.Model = "gpt-oss-120b"
		r.Attempts = 1
		seq++
		recs = append(recs, r)
	}
	for _, p := range []string{"metis", "sophia-sim"} {
		base := 300.0
		if p == "sophia-sim" {
			base = 600
		}
		add(results.Record{CellKey: results.CellKey{Platform: p, Repeat: 0, SampleID: "q1", Warmup: true},
			TTFTMs: base, LatencyMs: base * 3, Content: "Paris", Answer: "Paris", EM: 1, F1: 1, FinishReason: "stop", Scored: true})
		for rep := 0; rep < 2; rep++ {
			add(results.Record{CellKey: results.CellKey{Platform: p, Repeat: rep, SampleID: "q1"},
				TTFBMs: base - 10, TTFTMs: base, TTFCMs: base + 5, LatencyMs: base*3 + float64(rep), CloseMs: base*3 + 2,
				TPOTMs: 12.5, TokensPerSec: 33.3, PromptTokens: 40, OutputTokens: 30, ReasoningTokens: 10,
				FinishReason: "stop", Content: trickyContent, Reasoning: "think, then \"answer\"", Answer: "Paris",
				EM: 1, F1: 1, RawEM: 0, RawF1: 0.25, Scored: true,
				Server: map[string]float64{"time_to_first_token": base / 1000, "total_latency": base * 3 / 1000}})
			ans := formulaAnswer
			if p == "sophia-sim" {
				ans = scriptAnswer
			}
			add(results.Record{CellKey: results.CellKey{Platform: p, Repeat: rep, SampleID: "q2"},
				TTFTMs: base + 1, LatencyMs: base*3 + 10, OutputTokens: 20, TokensPerSec: 20,
				FinishReason: "stop", Content: ans, Answer: ans, EM: 0, F1: 0, Scored: true})
			if rep == 0 {
				add(results.Record{CellKey: results.CellKey{Platform: p, Repeat: rep, SampleID: "q3"},
					Error: results.HTTPError(429), HTTPStatus: 429, ErrorDetail: "rate limited, \"retry\" later", Attempts: 3})
			} else {
				add(results.Record{CellKey: results.CellKey{Platform: p, Repeat: rep, SampleID: "q3"},
					TTFTMs: base, LatencyMs: base * 2, FinishReason: "length", Truncated: true, Reasoning: "long thought",
					Error: results.ErrEmptyContentLength, ErrorDetail: "reasoning used max_tokens", Content: "", Answer: minusAnswer})
			}
		}
	}
	// one more record with an @-answer and only one vendor field
	add(results.Record{CellKey: results.CellKey{Platform: "metis", Repeat: 1, SampleID: "q2b"},
		TTFTMs: 290, LatencyMs: 880, FinishReason: "stop", Content: atAnswer, Answer: atAnswer, Scored: true,
		Server: map[string]float64{"queue_time": 0.002}})

	mk := func(p string, lat, f1 float64) results.GroupStats {
		return results.GroupStats{
			GroupKey: results.GroupKey{Platform: p, Model: "gpt-oss-120b", Temperature: 0.7},
			Count:    6, Successes: 4, Failures: 2, Warmups: 1, Truncated: 1, ErrorRate: 2.0 / 6,
			Errors:    map[string]int{"http_429": 1, "empty_content_length": 1},
			LatencyMs: dist(4, lat), TTFTMs: dist(4, lat/3), TTFCMs: dist(4, lat/3+5), TPOTMs: dist(4, 12.5),
			ITLMs: dist(40, 12), QueueMs: dist(4, 0), TokensPerSec: dist(4, 30000/lat),
			Throughput: 20000 / lat, WallSeconds: 6, RequestThroughput: 1, SendRate: 1, PromptTokens: 160, OutputTokens: 100,
			EM: dist(6, f1-10), F1: dist(6, f1), RawEM: dist(6, 5), RawF1: dist(6, 20),
			RepeatEM: []float64{40, 45}, RepeatF1: []float64{f1 - 1, f1 + 1}, Agreement: 0.5,
			Goodput: 0.5, GoodputRate: 0.5,
			Metrics:  []results.NamedValue{{Name: "cost_per_1k", Value: 0.06}},
			Warnings: []string{"p99 shown for 4 samples; it needs hundreds"},
		}
	}
	res := &results.Results{
		Experiment: exp.Name, RunID: "metis-vs-sophia-20250301T120000Z",
		StartedAt: start, FinishedAt: start.Add(time.Minute), StopReason: "completed",
		Baseline: "sophia-sim",
		Groups:   []results.GroupStats{mk("metis", 900, 55.5), mk("sophia-sim", 1800, 50.25)},
		Comparisons: []results.Comparison{{
			GroupKey:      results.GroupKey{Platform: "metis", Model: "gpt-oss-120b", Temperature: 0.7},
			Baseline:      results.GroupKey{Platform: "sophia-sim", Model: "gpt-oss-120b", Temperature: 0.7},
			SpeedupMedian: 2.0, SpeedupMean: 1.98, CILow: 1.8, CIHigh: 2.2, PValue: 0.0004, Significant: true,
			Verdict: "metis is 2.00x faster than sophia-sim (95% CI 1.80-2.20, p<0.001)", DeltaF1: 5.25,
			DeltaF1CILow: -2, DeltaF1CIHigh: 12.5, DeltaF1PValue: 0.25, DeltaEM: 5.25, DeltaEMCILow: -4, DeltaEMCIHigh: 14.5, DeltaEMPValue: 0.5, NPaired: 3,
		}},
		Checks: []results.CheckResult{
			{Expr: `group("metis").f1 >= group("sophia-sim").f1 - 2`, Passed: true},
			{Expr: `all(groups, .error_rate < 0.01)`, Passed: false},
		},
		Warnings:         []string{"only 6 requests per group"},
		PercentileMethod: results.PercentileMethod,
	}
	man := &runfolder.Manifest{
		Tool: "inferbench", Version: "v0.1.0-test", GoVersion: "go1.26", RunID: res.RunID, StartedAt: start,
		ExperimentFile: "experiments/x.yaml", Experiment: *exp,
		Dataset: runfolder.DatasetInfo{Source: "demo", Version: "v1.1", Total: 40, SHA256: "ab12", IDs: []string{"q1", "q2", "q3", "q2b"}},
		Cells:   map[string]int{"metis": 7, "sophia-sim": 6}, CellTotal: 13,
	}
	return &pipeline.Run{Dir: dir, Experiment: exp, Manifest: man, Records: recs, Results: res, Samples: samples}
}

// manyRecords returns n plain successful records over 4 groups (for benchmarks).
func manyRecords(n int) []results.Record {
	recs := make([]results.Record, n)
	start := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	for i := range recs {
		recs[i] = results.Record{
			CellKey: results.CellKey{Platform: fmt.Sprintf("p%d", i%4), Model: "m", Temperature: 0.7, SampleID: fmt.Sprintf("q%d", i%1000)},
			Seq:     i, StartedAt: start.Add(time.Duration(i) * time.Millisecond),
			TTFTMs: 100 + float64(i%97), LatencyMs: 900 + float64(i%311), TokensPerSec: 40.5, Attempts: 1,
			PromptTokens: 120, OutputTokens: 35, FinishReason: "stop",
			Content: "The answer is **Denver Broncos**.", Answer: "Denver Broncos", EM: 1, F1: 1, Scored: true,
			Server: map[string]float64{"time_to_first_token": 0.1},
		}
	}
	return recs
}

// registeredFormats are the formats Register adds, in its order (the
// default export.formats).
func registeredFormats() []string {
	reg := pipeline.NewRegistry()
	Register(reg)
	return reg.DefaultFormats()
}
