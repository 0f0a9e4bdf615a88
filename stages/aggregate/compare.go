package aggregate

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/inferbench/inferbench/pipeline"
	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/results"
)

// compareGroups compares every group with the baseline group of the same
// temperature and load level whose model is its counterpart on the
// baseline platform (config.Counterpart: the same compare_as label or
// name, or the only model of each platform). Groups of the baseline
// platform, groups the experiment does not declare and models without a
// counterpart are not compared; the warnings begin with
// config.PairingWarnings.
func compareGroups(exp *config.Experiment, groups []*group, baseline string, bs Bootstrap) ([]results.Comparison, []string) {
	bi := platformIndex(exp, baseline)
	if bi < 0 {
		return nil, []string{fmt.Sprintf("baseline %q names no platform; no comparisons", baseline)}
	}
	var out []results.Comparison
	warnings := config.PairingWarnings(exp, baseline)
	for _, g := range groups {
		if g.platform == bi || g.platform < 0 || g.model < 0 {
			continue
		}
		bm, how := config.Counterpart(&exp.Platforms[g.platform], &exp.Platforms[bi], g.model)
		if how == config.Unpaired {
			continue // PairingWarnings said so, once per model
		}
		var base *group
		for _, b := range groups {
			if b.platform == bi && b.model == bm && b.stats.Temperature == g.stats.Temperature && b.stats.Level == g.stats.Level {
				base = b
				break
			}
		}
		if base == nil {
			warnings = append(warnings, fmt.Sprintf("%s: baseline %q has no group of model %s at temperature %g; not compared",
				keyLabel(g.stats.GroupKey), baseline, exp.Platforms[bi].Models[bm], g.stats.Temperature))
			continue
		}
		out = append(out, compareOne(exp, g, base, bs))
	}
	return out, warnings
}

// compareOne compares group g with its baseline group.
func compareOne(exp *config.Experiment, g, base *group, bs Bootstrap) results.Comparison {
	c := results.Comparison{
		GroupKey: g.stats.GroupKey,
		Baseline: base.stats.GroupKey,
		PValue:   1,
		NoGold:   g.onlyNoGold() && base.onlyNoGold(),
	}
	compareAccuracy(&c, g, base, bs)
	gl, bl := g.stats.LatencyMs, base.stats.LatencyMs
	if gl.N > 0 && bl.N > 0 {
		if gl.P50 > 0 {
			c.SpeedupMedian = finite(bl.P50 / gl.P50)
		}
		if gl.Mean > 0 {
			c.SpeedupMean = finite(bl.Mean / gl.Mean)
		}
		c.PValue = MannWhitney(g.lat, base.lat).P
	}
	name, baseName := displayName(exp, g), displayName(exp, base)
	if len(exp.Params.Temperature) > 1 {
		baseName += " at temperature " + strconv.FormatFloat(g.stats.Temperature, 'g', -1, 64)
	}
	baseName += exp.LevelPhrase(g.stats.Platform, g.stats.Level)
	if gl.N >= 2 && bl.N >= 2 {
		c.CILow, c.CIHigh = bs.MedianRatioCI("speedup/"+keyLabel(g.stats.GroupKey)+"/vs/"+keyLabel(base.stats.GroupKey), base.lat, g.lat)
		c.Significant = c.CILow > 1 || c.CIHigh < 1
		c.SpeedupMeanCILow, c.SpeedupMeanCIHigh = bs.MeanRatioCI("speedup-mean/"+keyLabel(g.stats.GroupKey)+"/vs/"+keyLabel(base.stats.GroupKey), base.lat, g.lat)
	}
	c.Verdict = Verdict(name, baseName, c, bs.Level, gl.N, bl.N)
	return c
}

// Verdict words comparison c of the group called name with the baseline
// called baseName at confidence level (e.g. 0.95), from c's fields and the
// two groups' successful requests n and baseN (which decide whether there
// is a latency claim): the latency claim (see latencyVerdict) followed by the
// accuracy claim (see accuracyVerdict) in the same sentence, so that a
// platform is never called faster without saying, beside it, that it is
// significantly less accurate. The aggregate stage fills
// Comparison.Verdict with it; exporters call it for results that have none.
func Verdict(name, baseName string, c results.Comparison, level float64, n, baseN int) string {
	lat, direction := latencyVerdict(name, baseName, c, level, n, baseN)
	return lat + accuracyVerdict(c, level, direction)
}

// latencyVerdict words the latency half of a verdict. "Faster" or "slower"
// is only said when the CI of the median speedup excludes 1; a slowdown is
// given as its inverse factor (baseline is Nx faster = this is Nx slower),
// with the CI inverted. A group without successful requests gets no latency
// claim at all. direction is +1 for faster, -1 for slower, else 0.
func latencyVerdict(name, baseName string, c results.Comparison, level float64, n, baseN int) (text string, direction int) {
	lvl := fmt.Sprintf("%.4g%% CI", level*100)
	p := formatP(c.PValue)
	switch {
	case n == 0 && baseN == 0:
		return fmt.Sprintf("no successful requests on %s or %s: no latency comparison", name, baseName), 0
	case n == 0:
		return fmt.Sprintf("no successful requests on %s: no latency comparison with %s", name, baseName), 0
	case baseN == 0:
		return fmt.Sprintf("no successful requests on %s: no latency comparison with %s", baseName, name), 0
	case n < 2 || baseN < 2:
		return fmt.Sprintf("too few samples to compare %s with %s (%d and %d successful requests; at least 2 each are needed)",
			name, baseName, n, baseN), 0
	case c.CILow > 1:
		return fmt.Sprintf("%s is %.2fx faster than %s (median latency, %s %.2f-%.2f, %s)",
			name, c.SpeedupMedian, baseName, lvl, c.CILow, c.CIHigh, p), 1
	case c.CIHigh < 1 && c.CILow > 0 && c.SpeedupMedian > 0:
		return fmt.Sprintf("%s is %.2fx slower than %s (median latency, %s %.2f-%.2f, %s)",
			name, 1/c.SpeedupMedian, baseName, lvl, 1/c.CIHigh, 1/c.CILow, p), -1
	case c.CIHigh < 1:
		return fmt.Sprintf("%s is slower than %s (median speedup %.2fx, %s %.2f-%.2f, %s)",
			name, baseName, c.SpeedupMedian, lvl, c.CILow, c.CIHigh, p), -1
	}
	return fmt.Sprintf("no significant latency difference between %s and %s (speedup %.2fx, %s %.2f-%.2f, %s)",
		name, baseName, c.SpeedupMedian, lvl, c.CILow, c.CIHigh, p), 0
}

// accuracyVerdict words the accuracy half of a verdict, to be appended to
// the latency half, whose direction (+1 faster, -1 slower, 0 neither) picks
// the conjunction: "but" when accuracy goes against speed ("faster but
// significantly less accurate"), "and" when with it. It states the paired
// F1 difference with its CI, p-value and number of paired questions.
func accuracyVerdict(c results.Comparison, level float64, direction int) string {
	if c.NoGold {
		return "; no gold answers (synthetic prompts): no accuracy comparison"
	}
	if c.NPaired == 0 {
		return "; no question in common: no accuracy comparison"
	}
	if c.NPaired < 2 {
		return fmt.Sprintf("; F1 %+.1f points on 1 paired question: too few to compare accuracy", c.DeltaF1)
	}
	fig := fmt.Sprintf("F1 %+.1f points (%.4g%% CI %.1f to %.1f, %s, %d paired questions)",
		c.DeltaF1, level*100, c.DeltaF1CILow, c.DeltaF1CIHigh, formatP(c.DeltaF1PValue), c.NPaired)
	if !c.DeltaF1Significant {
		sep := ", "
		if direction == 0 {
			sep = "; "
		}
		if why := accuracyDisagreement(c, level); why != "" {
			return sep + "accuracy not called, " + why + ": " + fig
		}
		return sep + "no significant accuracy difference: " + fig
	}
	claim, with := "significantly less accurate", direction < 0
	if c.DeltaF1 > 0 {
		claim, with = "significantly more accurate", direction > 0
	}
	switch {
	case direction == 0:
		return "; " + claim + ": " + fig
	case with:
		return " and " + claim + ": " + fig
	}
	return " but " + claim + ": " + fig
}

// accuracyDisagreement says why the F1 difference is not called when its
// bootstrap interval and its sign-flip test disagree (one excludes 0, the
// other does not), "" when they agree. On few questions the two cannot
// agree: the percentile bootstrap interval of a mean of n values is too
// narrow, while the exact sign-flip test cannot go below p = 2/2^n, so with
// 2/2^n >= 1 - level no number of questions that differ can reject.
func accuracyDisagreement(c results.Comparison, level float64) string {
	excludes := c.DeltaF1CILow > 0 || c.DeltaF1CIHigh < 0
	rejects := c.DeltaF1PValue < 1-level
	switch {
	case excludes == rejects:
		return ""
	case c.NPaired < 63 && math.Ldexp(2, -c.NPaired) >= 1-level:
		return fmt.Sprintf("too few questions to call: %d (the interval excludes 0, but the sign-flip test cannot reach p < %.3g with so few)", c.NPaired, 1-level)
	case excludes:
		return "the interval excludes 0 but the test does not reject"
	}
	return "the test rejects but the interval holds 0"
}

// formatP writes a p-value as "p<0.001", "p=0.004" or "p=0.41".
func formatP(p float64) string {
	switch {
	case p < 0.001:
		return "p<0.001"
	case p < 0.01:
		return fmt.Sprintf("p=%.3f", p)
	}
	return fmt.Sprintf("p=%.2f", p)
}

// displayName is the platform's name, with "/model" when the platform has
// several models.
func displayName(exp *config.Experiment, g *group) string {
	if g.platform >= 0 && len(exp.Platforms[g.platform].Models) > 1 {
		return g.stats.Platform + "/" + g.stats.Model
	}
	return g.stats.Platform
}

// RunDelta is the change of one headline figure of one group between two
// runs A and B (`inferbench compare RUN_A RUN_B`). A figure a run does not
// have is nil (JSON null), never 0, and nothing is computed from it: every
// field below that would need it is nil too, and Significant is false.
type RunDelta struct {
	results.GroupKey
	// Figure is one of the RunDeltaFigures names.
	Figure string `json:"figure"`
	// Unit is "ms", "tokens/s", "%" (EM, F1: percentage points) or "share"
	// (error rate, 0..1).
	Unit string `json:"unit"`
	// A and B are the figure in each run, as their results report it; nil
	// when the run has no value for it: a timing figure (latency, TTFT,
	// tokens per second) of a group without a successful request, or any
	// figure of a group without records.
	A *float64 `json:"a"`
	B *float64 `json:"b"`
	// Change is B - A; nil unless both are known.
	Change *float64 `json:"change"`
	// Ratio is B / A; nil unless both are known and A is not 0.
	Ratio *float64 `json:"ratio"`
	// CILow and CIHigh bound the change by a seeded bootstrap; nil when
	// there is no interval. Timing figures and the error rate resample the
	// two runs' records independently (the median for p50 figures, the
	// mean otherwise) and need at least 2 values in each run. EM and F1 are
	// paired by question: per question the mean over its repeats in each
	// run, the difference B - A, and a bootstrap over questions (drawing a
	// question draws its pair), which needs at least 2 paired questions.
	// The mean of those differences equals Change when each run asked
	// every question equally often.
	CILow  *float64 `json:"ci_low"`
	CIHigh *float64 `json:"ci_high"`
	// PValue is, for latency and TTFT figures, the two-sided Mann-Whitney
	// p-value of the per-request values; for EM and F1 the paired
	// sign-flip p-value of the per-question differences (as platform
	// comparisons report it); nil for other figures and when a run has no
	// value.
	PValue *float64 `json:"p_value"`
	// NPaired is, for EM and F1, the number of questions both runs asked;
	// 0 (left out of JSON) for other figures.
	NPaired int `json:"n_paired,omitempty"`
	// Significant is true when the CI of the change excludes 0 and, for
	// EM and F1, the p-value is also below 1 - confidence.
	Significant bool `json:"significant"`
}

// RunDeltaFigures are the headline figures CompareRuns reports, in order.
var RunDeltaFigures = []string{"latency_p50", "latency_mean", "ttft_p50", "tokens_per_sec_mean", "em", "f1", "error_rate"}

// CompareRuns compares two runs group by group. For every group key present
// in both a.Groups and b.Groups (in a's order) it returns one RunDelta per
// RunDeltaFigures entry. A and B values come from the results; intervals
// and p-values from the records (recsA, recsB: the runs' journals, warmups
// included or not; they are skipped), with config.DefaultBootstrap
// resamples at config.DefaultConfidence, seeded by seed so the same runs
// and seed give the same output whatever the order of the records. Timing
// figures use successful records, EM/F1 (percent, paired by question) and
// error rate every non-warmup record.
func CompareRuns(a, b *results.Results, recsA, recsB []results.Record, seed int64) []RunDelta {
	if a == nil || b == nil {
		return nil
	}
	bs := Bootstrap{Seed: seed, Resamples: config.DefaultBootstrap, Level: config.DefaultConfidence}
	ra, rb := byKey(recsA), byKey(recsB)
	bIndex := make(map[results.GroupKey]int, len(b.Groups))
	for i := range b.Groups {
		bIndex[b.Groups[i].GroupKey] = i
	}
	var out []RunDelta
	for i := range a.Groups {
		ga := &a.Groups[i]
		j, ok := bIndex[ga.GroupKey]
		if !ok {
			continue
		}
		gb := &b.Groups[j]
		va, vb := ra[ga.GroupKey], rb[ga.GroupKey]
		label := "runs/" + keyLabel(ga.GroupKey) + "/"
		// the accuracy pairs, by compareAccuracy as for platforms: B vs A
		var acc results.Comparison
		compareAccuracy(&acc, accuracyGroup(ga.GroupKey, vb), accuracyGroup(ga.GroupKey, va), bs)
		for _, f := range runFigures(ga, gb) {
			out = append(out, f.delta(ga.GroupKey, va, vb, acc, bs, label))
		}
	}
	return out
}

// runFigure is one figure CompareRuns compares between the two runs' group
// of a key: its value in each run and how to read it from a record.
type runFigure struct {
	name, unit string
	a, b       *float64
	values     func(*results.Record) (float64, bool)
	median, mw bool
}

// runFigures lists the figures CompareRuns compares, in the order of its
// rows: latency, TTFT, throughput, accuracy and errors.
func runFigures(ga, gb *results.GroupStats) []runFigure {
	lat := func(r *results.Record) (float64, bool) { return r.LatencyMs, r.OK() }
	ttft := func(r *results.Record) (float64, bool) { return r.TTFTMs, r.OK() }
	tps := func(r *results.Record) (float64, bool) { return r.TokensPerSec, r.OK() }
	failed := func(r *results.Record) (float64, bool) {
		if r.OK() {
			return 0, true
		}
		return 1, true
	}
	errRate := func(g *results.GroupStats) *float64 { return value(g.ErrorRate, g.Count > 0) }
	return []runFigure{
		{"latency_p50", "ms", value(ga.LatencyMs.P50, ga.LatencyMs.N > 0), value(gb.LatencyMs.P50, gb.LatencyMs.N > 0), lat, true, true},
		{"latency_mean", "ms", value(ga.LatencyMs.Mean, ga.LatencyMs.N > 0), value(gb.LatencyMs.Mean, gb.LatencyMs.N > 0), lat, false, true},
		{"ttft_p50", "ms", value(ga.TTFTMs.P50, ga.TTFTMs.N > 0), value(gb.TTFTMs.P50, gb.TTFTMs.N > 0), ttft, true, true},
		{"tokens_per_sec_mean", "tokens/s", value(ga.TokensPerSec.Mean, ga.TokensPerSec.N > 0), value(gb.TokensPerSec.Mean, gb.TokensPerSec.N > 0), tps, false, false},
		{"em", "%", value(ga.EM.Mean, ga.EM.N > 0), value(gb.EM.Mean, gb.EM.N > 0), nil, false, false},
		{"f1", "%", value(ga.F1.Mean, ga.F1.N > 0), value(gb.F1.Mean, gb.F1.N > 0), nil, false, false},
		{"error_rate", "share", errRate(ga), errRate(gb), failed, false, false},
	}
}

// delta is the figure's row for group key: the change and ratio from A to
// B, for EM and F1 the paired accuracy comparison acc, for the others a
// bootstrap CI of the difference over the records va and vb (and the
// Mann-Whitney p-value where mw is set).
func (f runFigure) delta(key results.GroupKey, va, vb []*results.Record, acc results.Comparison, bs Bootstrap, label string) RunDelta {
	d := RunDelta{GroupKey: key, Figure: f.name, Unit: f.unit, A: f.a, B: f.b}
	if f.a == nil || f.b == nil {
		return d
	}
	d.Change = value(*f.b-*f.a, true)
	if *f.a != 0 {
		d.Ratio = value(finite(*f.b / *f.a), true)
	}
	switch f.name {
	case "em", "f1":
		pairedDelta(&d, acc, f.name == "em")
		return d
	}
	xa, xb := pick(va, f.values), pick(vb, f.values)
	if len(xa) >= 2 && len(xb) >= 2 {
		var lo, hi float64
		if f.median {
			lo, hi = bs.MedianDiffCI(label+f.name, xa, xb)
		} else {
			lo, hi = bs.MeanDiffCI(label+f.name, xa, xb)
		}
		d.CILow, d.CIHigh = &lo, &hi
		d.Significant = lo > 0 || hi < 0
	}
	if f.mw && len(xa) > 0 && len(xb) > 0 {
		d.PValue = value(MannWhitney(xa, xb).P, true)
	}
	return d
}

// value is a pointer to v when has, else nil (a figure a run does not have).
func value(v float64, has bool) *float64 {
	if !has {
		return nil
	}
	return &v
}

// pairedDelta fills d's interval, p-value, paired count and significance
// from the paired accuracy comparison c of run B with run A (its EM
// fields when em, else its F1 fields).
func pairedDelta(d *RunDelta, c results.Comparison, em bool) {
	d.NPaired = c.NPaired
	if c.NPaired == 0 {
		return
	}
	lo, hi, p, sig := c.DeltaF1CILow, c.DeltaF1CIHigh, c.DeltaF1PValue, c.DeltaF1Significant
	if em {
		lo, hi, p, sig = c.DeltaEMCILow, c.DeltaEMCIHigh, c.DeltaEMPValue, c.DeltaEMSignificant
	}
	d.PValue = &p
	if c.NPaired >= 2 {
		d.CILow, d.CIHigh, d.Significant = &lo, &hi, sig
	}
}

// accuracyGroup is a group holding only what compareAccuracy reads: the
// key and, per question of recs (ascending sample ids), the mean EM and F1
// (percent) over its records, computed as aggregate computes them.
func accuracyGroup(k results.GroupKey, recs []*results.Record) *group {
	em, f1 := make([]float64, len(recs)), make([]float64, len(recs))
	for i, r := range recs {
		em[i], f1[i] = scoreOf(r, r.EM), scoreOf(r, r.F1)
	}
	qs := indexQuestions(len(recs), func(i int) string { return recs[i].SampleID })
	return &group{stats: results.GroupStats{GroupKey: k}, questions: qs.ids, qEM: qs.means(em), qF1: qs.means(f1)}
}

// scoreOf is a record's score in percent: 0 for failed and truncated records.
func scoreOf(r *results.Record, v float64) float64 {
	if !r.OK() || r.Truncated {
		return 0
	}
	return 100 * v
}

// byKey groups the non-warmup records by group key, each group's records
// in canonicalOrder.
func byKey(recs []results.Record) map[results.GroupKey][]*results.Record {
	m := map[results.GroupKey][]*results.Record{}
	for i := range recs {
		r := &recs[i]
		if r.Warmup {
			continue
		}
		k := r.Group()
		m[k] = append(m[k], r)
	}
	for _, rs := range m {
		slices.SortFunc(rs, recordOrder)
	}
	return m
}

// recordOrder orders records like accumulator.canonicalOrder orders rows:
// by schedule position, repeat, sample id and send time.
func recordOrder(a, b *results.Record) int {
	if a.Seq != b.Seq {
		return cmp.Compare(a.Seq, b.Seq)
	}
	if a.Repeat != b.Repeat {
		return cmp.Compare(a.Repeat, b.Repeat)
	}
	if a.SampleID != b.SampleID {
		return strings.Compare(a.SampleID, b.SampleID)
	}
	return a.StartedAt.Compare(b.StartedAt)
}

// pick extracts the values f accepts, in record order.
func pick(recs []*results.Record, f func(*results.Record) (float64, bool)) []float64 {
	out := make([]float64, 0, len(recs))
	for _, r := range recs {
		if v, ok := f(r); ok {
			out = append(out, v)
		}
	}
	return out
}

// DatasetDiff says whether two runs asked the same questions.
type DatasetDiff struct {
	// Differences are, in words, how the runs' datasets differ (source,
	// location, checksum, selected ids, changed questions); empty means
	// the runs asked the same questions and a comparison is fair.
	Differences []string
	// Shared are the ids both runs selected with the same sample
	// (question, context, answers), in run A's order.
	Shared []string
	// InA and InB count each run's selected questions.
	InA, InB int
}

// Scope says in words which questions a comparison of the two runs
// covers: "all N" when they asked the same N questions, else "shared K
// (A asked X, B asked Y)", the K questions `compare --shared-only` keeps.
func (d DatasetDiff) Scope() string {
	if len(d.Differences) == 0 {
		return fmt.Sprintf("all %d", d.InA)
	}
	return fmt.Sprintf("shared %d (A asked %d, B asked %d)", len(d.Shared), d.InA, d.InB)
}

// CompareDatasets compares the datasets of runs a and b from their
// manifests and saved samples. An id counts as shared only when both runs
// saved the same question, context and answers for it; a location is only
// a difference when the checksums cannot tell (one is missing).
func CompareDatasets(a, b *pipeline.Run) DatasetDiff {
	da, db := a.Manifest.Dataset, b.Manifest.Dataset
	d := DatasetDiff{InA: len(da.IDs), InB: len(db.IDs)}
	if da.Source != db.Source {
		d.Differences = append(d.Differences, fmt.Sprintf("dataset source: %s -> %s", da.Source, db.Source))
	}
	switch {
	case da.SHA256 != "" && db.SHA256 != "":
		if da.SHA256 != db.SHA256 {
			d.Differences = append(d.Differences, fmt.Sprintf("dataset sha256: %s -> %s", da.SHA256, db.SHA256))
		}
	case da.Location != db.Location:
		d.Differences = append(d.Differences, fmt.Sprintf("dataset location: %s -> %s", da.Location, db.Location))
	}
	inB := make(map[string]bool, len(db.IDs))
	for _, id := range db.IDs {
		inB[id] = true
	}
	both, changed := 0, 0
	for _, id := range da.IDs {
		if !inB[id] {
			continue
		}
		both++
		if sa, sb := a.Samples[id], b.Samples[id]; sa == nil || sb == nil || !sameSample(sa, sb) {
			changed++
			continue
		}
		d.Shared = append(d.Shared, id)
	}
	if both != len(da.IDs) || both != len(db.IDs) {
		d.Differences = append(d.Differences, fmt.Sprintf("selected questions differ: %d in A, %d in B, %d shared (%d only in A, %d only in B)",
			len(da.IDs), len(db.IDs), both, len(da.IDs)-both, len(db.IDs)-both))
	}
	if changed > 0 {
		d.Differences = append(d.Differences, fmt.Sprintf("%d question with the same id differs in its question, context or answers (or is missing from samples.json)", changed))
	}
	return d
}

func sameSample(a, b *config.Sample) bool {
	return a.Question == b.Question && a.Context == b.Context && a.IsImpossible == b.IsImpossible && slices.Equal(a.Answers, b.Answers)
}

// OnlySamples returns the records of recs whose question is in ids, in
// order (warmups included; aggregate leaves them out anyway).
func OnlySamples(recs []results.Record, ids []string) []results.Record {
	keep := make(map[string]bool, len(ids))
	for _, id := range ids {
		keep[id] = true
	}
	out := make([]results.Record, 0, len(recs))
	for _, r := range recs {
		if keep[r.SampleID] {
			out = append(out, r)
		}
	}
	return out
}

// ScoringDifferences lists, in words, how runs a and b extract and score
// answers differently (score.extract, and the dataset source and version,
// which choose the scorer and its SQuAD rules): their EM and F1 changes
// then mix the platforms' answers with the scoring. Empty when they
// score alike or either experiment is unknown.
func ScoringDifferences(a, b *config.Experiment) []string {
	if a == nil || b == nil {
		return nil
	}
	var out []string
	diff := func(what string, x, y any) {
		jx, _ := json.Marshal(x)
		jy, _ := json.Marshal(y)
		if string(jx) != string(jy) {
			out = append(out, fmt.Sprintf("%s: %s -> %s", what, jx, jy))
		}
	}
	diff("score.extract", a.Score.Extract, b.Score.Extract)
	diff("dataset.source", a.Dataset.Source, b.Dataset.Source)
	diff("dataset.version", a.Dataset.Version, b.Dataset.Version)
	return out
}
