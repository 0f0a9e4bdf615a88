package export

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/inferbench/inferbench/pipeline"
	"github.com/inferbench/inferbench/pipeline/results"
)

func summaryTable(res *results.Results) *table {
	cols := summaryColumns(res)
	t := &table{freezeCols: 3, wrapHeader: true}
	for _, c := range cols {
		t.header = append(t.header, c.name)
		t.kinds = append(t.kinds, c.kind)
		t.best = append(t.best, c.best)
	}
	for i := range res.Groups {
		g := &res.Groups[i]
		cmp := comparisonFor(res, g.GroupKey)
		row := make([]any, len(cols))
		for j, c := range cols {
			row[j] = c.value(g, cmp)
		}
		t.rows = append(t.rows, row)
	}
	return t
}

// comparisonHeader is the Comparison sheet's header: the speedup columns,
// then the paired accuracy columns (comparisonAccuracyColumns), then the
// verdict.
var comparisonHeader = append(append([]string{"platform", "model", "temperature", "baseline_platform", "baseline_model",
	"speedup_median", "ci_low", "ci_high", "speedup_mean", "p_value", "significant"}, accuracyColumnNames()...), "verdict")

func comparisonTable(res *results.Results) *table {
	t := &table{header: comparisonHeader, freezeCols: 1,
		kinds: []valueKind{kindText, kindText, kindNum, kindText, kindText, kindNum, kindNum, kindNum, kindNum, kindP, kindBool}}
	for _, a := range comparisonAccuracyColumns {
		t.kinds = append(t.kinds, a.kind)
	}
	t.kinds = append(t.kinds, kindText)
	// With load levels there is a comparison per level: a load column
	// after temperature tells them apart (as in summary.csv).
	levels := res.Sweep != nil
	if levels {
		t.header = slices.Insert(slices.Clone(t.header), 3, "load")
		t.kinds = slices.Insert(t.kinds, 3, kindText)
	}
	for _, c := range res.Comparisons {
		row := []any{c.Platform, c.Model, c.Temperature, c.Baseline.Platform, c.Baseline.Model,
			speedupValue(&c, c.SpeedupMedian), speedupValue(&c, c.CILow), speedupValue(&c, c.CIHigh), speedupValue(&c, c.SpeedupMean),
			speedupValue(&c, c.PValue), c.Significant}
		if levels {
			row = slices.Insert(row, 3, any(c.Level))
		}
		for _, a := range comparisonAccuracyColumns {
			row = append(row, a.value(&c))
		}
		t.rows = append(t.rows, append(row, verdictText(&c)))
	}
	return t
}

// MaxRepeatColumns bounds the Accuracy sheet's per-repeat columns
// (repeat_<i>_em, repeat_<i>_f1) to the first repeats: a sheet has at
// most 16,384 columns. The repeat mean and standard deviation columns
// cover every repeat; results.json lists them all.
const MaxRepeatColumns = 100

func accuracyTable(res *results.Results) *table {
	t := &table{freezeCols: 3}
	add := func(name string, k valueKind, bt better) {
		t.header = append(t.header, name)
		t.kinds = append(t.kinds, k)
		t.best = append(t.best, bt)
	}
	add("platform", kindText, betterNone)
	add("model", kindText, betterNone)
	add("temperature", kindNum, betterNone)
	for _, n := range []string{"em", "f1"} {
		add(n+"_mean", kindPct, betterHigh)
		add(n+"_ci_low", kindPct, betterNone)
		add(n+"_ci_high", kindPct, betterNone)
	}
	add("raw_em_mean", kindPct, betterHigh)
	add("raw_f1_mean", kindPct, betterHigh)
	add("extraction_gain_em", kindPct, betterNone)
	add("extraction_gain_f1", kindPct, betterNone)
	add("truncated", kindInt, betterNone)
	add("agreement", kindShare, betterNone)
	add("repeat_em_mean", kindPct, betterNone)
	add("repeat_em_stddev", kindPct, betterNone)
	add("repeat_f1_mean", kindPct, betterNone)
	add("repeat_f1_stddev", kindPct, betterNone)
	maxRep := 0
	for _, g := range res.Groups {
		maxRep = max(maxRep, len(g.RepeatEM), len(g.RepeatF1))
	}
	maxRep = min(maxRep, MaxRepeatColumns)
	for r := 0; r < maxRep; r++ {
		add(fmt.Sprintf("repeat_%d_em", r), kindPct, betterNone)
		add(fmt.Sprintf("repeat_%d_f1", r), kindPct, betterNone)
	}
	v2 := anyAnswerBreakdown(res.Groups)
	if v2 {
		for _, k := range []string{"has_ans", "no_ans"} {
			add(k+"_count", kindInt, betterNone)
			add(k+"_em", kindPct, betterHigh)
			add(k+"_f1", kindPct, betterHigh)
		}
	}
	for i := range res.Groups {
		g := &res.Groups[i]
		emM, emS := meanStd(g.RepeatEM)
		f1M, f1S := meanStd(g.RepeatF1)
		var agree any = g.Agreement
		if len(g.RepeatEM) < 2 {
			agree = "-" // one repeat agrees with itself: n/a
		}
		row := []any{g.Platform, g.Model, g.Temperature,
			g.EM.Mean, g.EM.CILow, g.EM.CIHigh, g.F1.Mean, g.F1.CILow, g.F1.CIHigh,
			g.RawEM.Mean, g.RawF1.Mean, g.EM.Mean - g.RawEM.Mean, g.F1.Mean - g.RawF1.Mean,
			g.Truncated, agree, emM, emS, f1M, f1S}
		for r := 0; r < maxRep; r++ {
			row = append(row, at(g.RepeatEM, r), at(g.RepeatF1, r))
		}
		if v2 {
			row = append(row, breakdownValues(g.HasAns)...)
			row = append(row, breakdownValues(g.NoAns)...)
		}
		t.rows = append(t.rows, row)
	}
	return t
}

// breakdownValues are the Accuracy sheet cells of one kind of question:
// count, EM and F1, or empty cells when the group has none of that kind.
func breakdownValues(b *results.AnswerBreakdown) []any {
	if b == nil {
		return []any{nil, nil, nil}
	}
	return []any{b.Count, b.EM, b.F1}
}

// at returns xs[i] or nil when out of range.
func at(xs []float64, i int) any {
	if i < len(xs) {
		return xs[i]
	}
	return nil
}

// meanStd returns the mean and sample standard deviation of xs (nil, nil when empty).
func meanStd(xs []float64) (any, any) {
	if len(xs) == 0 {
		return nil, nil
	}
	var s float64
	for _, x := range xs {
		s += x
	}
	m := s / float64(len(xs))
	if len(xs) < 2 {
		return m, 0.0
	}
	var ss float64
	for _, x := range xs {
		ss += (x - m) * (x - m)
	}
	return m, math.Sqrt(ss / float64(len(xs)-1))
}

func configTable(run *pipeline.Run) *table {
	t := &table{header: []string{"key", "value"}, kinds: []valueKind{kindText, kindText}, freezeCols: 1}
	add := func(k string, v any) {
		if s, ok := v.(string); ok && s == "" {
			return
		}
		t.rows = append(t.rows, []any{k, v})
	}
	res := run.Results
	add("run_id", res.RunID)
	add("stop_reason", res.StopReason)
	add("started_at", formatTime(res.StartedAt))
	add("finished_at", formatTime(res.FinishedAt))
	add("percentile_method", res.PercentileMethod)
	exp := run.Experiment
	if m := run.Manifest; m != nil {
		add("tool", m.Tool)
		add("version", m.Version)
		add("go_version", m.GoVersion)
		add("experiment_file", m.ExperimentFile)
		add("overrides", strings.Join(m.Overrides, "; "))
		add("dataset.source", m.Dataset.Source)
		add("dataset.location", m.Dataset.Location)
		add("dataset.sha256", m.Dataset.SHA256)
		add("dataset.revision", m.Dataset.Revision)
		add("dataset.version", m.Dataset.Version)
		add("dataset.total", m.Dataset.Total)
		add("dataset.ids_count", len(m.Dataset.IDs))
		add("cell_total", m.CellTotal)
		for _, p := range sortedKeys(m.Cells) {
			add("cells."+p, m.Cells[p])
		}
		for i, n := range m.Notes {
			add(fmt.Sprintf("notes[%d]", i), n)
		}
		exp = &m.Experiment
	}
	if exp != nil {
		// Through JSON so that config.Secret redacts every credential.
		if b, err := json.Marshal(exp); err == nil {
			var v any
			if json.Unmarshal(b, &v) == nil {
				flatten("experiment", v, add)
			}
		}
	}
	return t
}

// flatten emits every leaf of a decoded JSON value as a dotted path.
func flatten(prefix string, v any, add func(string, any)) {
	switch v := v.(type) {
	case map[string]any:
		for _, k := range sortedKeys(v) {
			flatten(prefix+"."+k, v[k], add)
		}
	case []any:
		for i, e := range v {
			flatten(fmt.Sprintf("%s[%d]", prefix, i), e, add)
		}
	case string:
		add(prefix, v)
	case float64:
		add(prefix, v)
	case bool:
		add(prefix, strconv.FormatBool(v))
	case nil:
	}
}

// formatP renders a p-value for humans.
func formatP(p float64) string {
	if p < 0.001 {
		return "<0.001"
	}
	return strconv.FormatFloat(p, 'f', 3, 64)
}
