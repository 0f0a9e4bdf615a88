package export

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/inferbench/inferbench/pipeline"
	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/runfolder"
)

// shardLines describes how a run was sharded: the shard of a sharded
// run, or the shards (and hosts) a merged run joined, with the manifest's
// note when they ran on different hosts.
func shardLines(m *runfolder.Manifest) []string {
	var out []string
	if m.Shard != nil {
		out = append(out, fmt.Sprintf("Shard %s of a sharded run (host %s): merge every shard with inferbench merge", m.Shard.Shard, m.Shard.Host))
		if len(m.Shard.Levels) > 0 {
			var parts []string
			for _, l := range m.Shard.Levels {
				name := l.Platform
				if l.Level != "" {
					name += " " + l.Level
				}
				parts = append(parts, fmt.Sprintf("%s: %s (%s, %d requests)", name, l.Share("nothing"), l.Segment, l.Cells))
			}
			out = append(out, "This shard ran its share of each load level, not the level's whole load: "+strings.Join(parts, "; "))
		}
	}
	if len(m.Shards) > 0 {
		var parts []string
		for _, s := range m.Shards {
			parts = append(parts, fmt.Sprintf("%s on %s", s.Shard, s.Host))
		}
		out = append(out, fmt.Sprintf("Merged from %d shards: %s", len(m.Shards), strings.Join(parts, ", ")))
	}
	for _, n := range m.Notes {
		if strings.HasPrefix(n, pipeline.HostsNote) {
			out = append(out, "Note: "+n)
		}
	}
	return out
}

// setupSection is the report's Setup: the experiment's description, a
// table of the platforms, then bullets on the dataset, the parameters and
// the run (setupBullets).
func setupSection(run *pipeline.Run) reportSection {
	s := reportSection{Title: "Setup"}
	exp := run.Experiment
	if run.Manifest != nil {
		exp = &run.Manifest.Experiment
	}
	if exp != nil && exp.Description != "" {
		s.Paragraphs = append(s.Paragraphs, exp.Description)
	}
	if exp != nil {
		s.Tables = append(s.Tables, platformsTable(run, exp))
	}
	s.Bullets = setupBullets(run, exp)
	return s
}

// platformsTable lists each platform: its name (baseline marked), its
// endpoint or emulator profile, its models and its load.
func platformsTable(run *pipeline.Run, exp *config.Experiment) reportTable {
	t := reportTable{Header: []string{"Platform", "Endpoint", "Models", "Load"}}
	for _, p := range exp.Platforms {
		var rates []float64
		if run.Manifest != nil {
			rates = run.Manifest.SweepRates[p.Name]
		}
		load := loadText(&p, rates)
		if p.Warmup > 0 {
			load += fmt.Sprintf(", %d warmup", p.Warmup)
		}
		name := p.Name
		if p.Name == run.Results.Baseline {
			name += " (baseline)"
		}
		t.Rows = append(t.Rows, []string{name, endpointText(&p), strings.Join(p.Models, ", "), load})
	}
	return t
}

// emulateView is what the setup table shows of an emulate block: the
// keys of the emulator's profile (the emulator registers the block; the
// report reads it resolved or as a manifest recorded it).
type emulateView struct {
	TTFT            config.Duration `json:"ttft"`
	TokensPerSecond float64         `json:"tokens_per_second"`
	Accuracy        float64         `json:"accuracy"`
	ReasoningTokens int             `json:"reasoning_tokens"`
	MaxBatch        int             `json:"max_batch"`
	BatchSlowdown   float64         `json:"batch_slowdown"`
}

// endpointText is a platform's base URL, or its emulator profile.
func endpointText(p *config.Platform) string {
	if p.Emulate == nil {
		return p.BaseURL
	}
	var e emulateView
	_ = p.Emulate.Decode(&e) // a map from JSON decodes; a missing key shows as 0
	endpoint := fmt.Sprintf("emulated (ttft %s, %g tokens/s, accuracy %g", e.TTFT, e.TokensPerSecond, e.Accuracy)
	if e.ReasoningTokens > 0 {
		endpoint += fmt.Sprintf(", %d reasoning tokens", e.ReasoningTokens)
	}
	if e.MaxBatch > 0 {
		endpoint += fmt.Sprintf(", max_batch %d, batch_slowdown %g", e.MaxBatch, e.BatchSlowdown)
	}
	return endpoint + ")"
}

// setupBullets are the dataset, the sharding, the parameters, the answer
// extraction, the SLO, the dates, the stop reason and the tool.
func setupBullets(run *pipeline.Run, exp *config.Experiment) []string {
	var b []string
	if run.Manifest != nil {
		b = append(b, datasetText(run.Manifest.Dataset, exp))
		b = append(b, shardLines(run.Manifest)...)
	}
	if exp != nil {
		b = append(b, parameterLines(exp)...)
	}
	res := run.Results
	b = append(b, "Date: "+res.StartedAt.UTC().Format(time.RFC3339)+" to "+res.FinishedAt.UTC().Format(time.RFC3339))
	b = append(b, "Stop reason: "+res.StopReason)
	if run.Manifest != nil {
		b = append(b, fmt.Sprintf("Tool: %s %s (%s; %s); %d requests planned", run.Manifest.Tool, run.Manifest.Version, run.Manifest.Build.Details(), run.Manifest.GoVersion, run.Manifest.CellTotal))
	}
	return b
}

// datasetText describes the dataset: source, location, slice, filter,
// sample, questions asked of those available, version and checksum.
func datasetText(d runfolder.DatasetInfo, exp *config.Experiment) string {
	ds := "Dataset: " + d.Source
	if d.Location != "" {
		ds += " (" + d.Location + ")"
	}
	if exp != nil && exp.Dataset.Slice != "" {
		ds += ", slice " + exp.Dataset.Slice
	}
	if exp != nil && exp.Dataset.Filter != "" {
		ds += ", filter `" + exp.Dataset.Filter + "`"
	}
	if exp != nil && exp.Dataset.Sample > 0 {
		ds += fmt.Sprintf(", seeded sample of %d", exp.Dataset.Sample)
	}
	ds += fmt.Sprintf(", %d of %d questions", len(d.IDs), d.Total)
	if d.Version != "" {
		ds += ", SQuAD " + d.Version
	}
	if d.SHA256 != "" {
		ds += ", sha256 " + d.SHA256
	}
	if d.Revision != "" {
		ds += ", revision " + d.Revision
	}
	return ds
}

// groupLengths lists the sample groups of the first platform that has
// them ("in=128 (128 in, 64 out), ..."), "" when none has.
func groupLengths(exp *config.Experiment) string {
	for _, p := range exp.Platforms {
		var parts []string
		for _, g := range p.SampleGroups {
			part := fmt.Sprintf("%s (%d in", g.Label, g.InputTokens)
			if g.OutputTokens > 0 {
				part += fmt.Sprintf(", %d out", g.OutputTokens)
			}
			parts = append(parts, part+")")
		}
		if len(parts) > 0 {
			return strings.Join(parts, ", ")
		}
	}
	return ""
}

// parameterLines are the request parameters, the repeats and seed, the
// answer extraction and the SLO.
func parameterLines(exp *config.Experiment) []string {
	temps := make([]string, len(exp.Params.Temperature))
	for i, t := range exp.Params.Temperature {
		temps[i] = strconv.FormatFloat(t, 'g', -1, 64)
	}
	ps := fmt.Sprintf("Parameters: temperature %s, max_tokens %d, stream %t", strings.Join(temps, ", "), exp.Params.MaxTokens, exp.Params.Stream)
	if exp.Params.TopP > 0 {
		ps += fmt.Sprintf(", top_p %g", exp.Params.TopP)
	}
	for _, k := range sortedKeys(exp.Params.Extra) {
		ps += fmt.Sprintf(", %s %v", k, exp.Params.Extra[k])
	}
	b := []string{ps}
	if g := groupLengths(exp); g != "" {
		b = append(b, "Sample groups (input and output tokens; each runs every load level, the group's max_tokens replacing params.max_tokens): "+g)
	}
	b = append(b, fmt.Sprintf("Repeats: %d; seed: %d", exp.Repeats, exp.Seed))
	ex := exp.Score.Extract
	switch {
	case ex.Regex != "":
		b = append(b, "Answer extraction: regex `"+ex.Regex+"`")
	case ex.Expr != "":
		b = append(b, "Answer extraction: expr `"+ex.Expr+"`")
	case len(ex.Steps) > 0:
		b = append(b, "Answer extraction: "+strings.Join(ex.Steps, " → "))
	}
	var slo []string
	for _, o := range []struct {
		name string
		d    config.Duration
	}{{"ttft", exp.SLO.TTFT}, {"e2e", exp.SLO.E2E}, {"tpot", exp.SLO.TPOT}} {
		if o.d > 0 {
			slo = append(slo, o.name+" ≤ "+o.d.String())
		}
	}
	if len(slo) > 0 {
		b = append(b, "SLO for goodput: "+strings.Join(slo, ", "))
	}
	return b
}

// loadText describes platform p's load for the setup table: its one level
// ("closed loop, concurrency 4", "open loop, 8 req/s poisson, cap 16"), or
// every level in the order they ran ("3 levels, one after the other: c=1
// closed loop, concurrency 1; ..."), a sweep's rate levels at the rates
// it chose (rates; "rate chosen at run time" when it did not), and the
// load block's max_duration per level.
func loadText(p *config.Platform, rates []float64) string {
	levels := p.RunLevels(rates)
	one := func(lv config.Level) string {
		if lv.Rate == 0 && lv.RateIndex == 0 {
			return fmt.Sprintf("closed loop, concurrency %d", max(lv.Concurrency, 1))
		}
		at := p.AtLevel(lv)
		t := fmt.Sprintf("open loop, %g req/s %s", lv.Rate, at.Arrival)
		if lv.Rate == 0 {
			t = "open loop, rate chosen at run time, " + at.Arrival
		}
		if at.Arrival == "gamma" && p.Burstiness > 0 {
			t += fmt.Sprintf(" (burstiness %g)", p.Burstiness)
		}
		if lv.Concurrency > 0 {
			t += fmt.Sprintf(", cap %d", lv.Concurrency)
		}
		return t
	}
	if len(levels) == 1 {
		return one(levels[0])
	}
	parts := make([]string, len(levels))
	for i, lv := range levels {
		parts[i] = lv.Label + " " + one(lv)
	}
	text := fmt.Sprintf("%d levels, one after the other: %s", len(levels), strings.Join(parts, "; "))
	if p.Levels != nil && p.Levels.MaxDuration > 0 {
		text += fmt.Sprintf("; at most %s each", p.Levels.MaxDuration)
	}
	return text
}
