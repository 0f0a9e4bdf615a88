package aggregate

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/results"
	"github.com/inferbench/inferbench/pipeline/runfolder"
	"github.com/inferbench/inferbench/stages/score"
)

// group is one platform x model x temperature x load level group while it
// is computed.
type group struct {
	stats results.GroupStats
	// rows are the group's non-warmup records (what the statistics need of
	// them), in canonicalOrder once Close sorts them.
	rows rowStore
	// agree is each question's answer agreement; itl the sampled gaps.
	agree map[int32]*agreeState
	itl   itlSample
	// okTokens are the output tokens of the successful rows.
	okTokens int
	// okReasoning are the reasoning tokens of the successful rows.
	okReasoning int
	// usage sums the server's and the tokenizer's counts of the
	// successful rows that have both.
	usage usageSums
	// platform and model index the experiment's platforms and that
	// platform's models; -1 when the records name something the experiment
	// does not declare.
	platform, model int
	// lat are the successful latencies (ms), ascending, once computed.
	lat []float64
	// questions are the sample ids of recs, ascending, once computed; qEM
	// and qF1 the mean EM and F1 (percent) of each over its repeats.
	questions []string
	qEM, qF1  []float64
}

// questionIndex maps a group's records to its questions (sample ids).
type questionIndex struct {
	// ids are the distinct sample ids, ascending.
	ids []string
	// members[i] are the indexes (into the group's records) of ids[i].
	members [][]int
}

// questionsOf indexes rows by sample id (ids names them), ids ascending
// and each question's records in the order of rows.
func questionsOf(rows *rowStore, ids []string) questionIndex {
	return indexQuestions(rows.len(), func(i int) string { return ids[rows.at(i).sample] })
}

// indexQuestions indexes n records by the sample id that id(i) gives
// record i: ids ascending, each question's records in record order.
func indexQuestions(n int, id func(i int) string) questionIndex {
	at := make(map[string]int)
	var q questionIndex
	for i := range n {
		sid := id(i)
		j, ok := at[sid]
		if !ok {
			j = len(q.ids)
			at[sid] = j
			q.ids = append(q.ids, sid)
			q.members = append(q.members, nil)
		}
		q.members[j] = append(q.members[j], i)
	}
	order := make([]int, len(q.ids))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return strings.Compare(q.ids[a], q.ids[b]) })
	sorted := questionIndex{ids: make([]string, len(order)), members: make([][]int, len(order))}
	for i, j := range order {
		sorted.ids[i], sorted.members[i] = q.ids[j], q.members[j]
	}
	return sorted
}

// clusters returns the values of xs (aligned with the records) of each
// question, in question order.
func (q questionIndex) clusters(xs []float64) [][]float64 {
	out := make([][]float64, len(q.members))
	for i, m := range q.members {
		c := make([]float64, len(m))
		for k, j := range m {
			c[k] = xs[j]
		}
		out[i] = c
	}
	return out
}

// means returns the mean of xs (aligned with the records) over each
// question's records, in question order.
func (q questionIndex) means(xs []float64) []float64 {
	out := make([]float64, len(q.members))
	for i, m := range q.members {
		var s float64
		for _, j := range m {
			s += xs[j]
		}
		out[i] = s / float64(len(m))
	}
	return out
}

// keyLabel names a group in seeds and warnings.
func keyLabel(k results.GroupKey) string {
	s := k.Platform + "/" + k.Model + "/t=" + strconv.FormatFloat(k.Temperature, 'g', -1, 64)
	if k.Level != "" {
		s += "/" + k.Level
	}
	return s
}

// partition orders the groups: first every group the experiment
// declares, in the order its platforms, their load levels, their models
// and its temperatures appear (when params.temperature is empty, the
// temperatures the records show, ascending), then groups found only in the
// records, ordered by platform, model, temperature and level, each with a
// warning. Each group's rows
// are put in canonical order (see canonicalOrder), so that the results do
// not depend on the order of records, not even in the last bit of a
// floating-point sum.
func (a *accumulator) partition() ([]*group, []string) {
	exp := a.exp
	temps := exp.Params.Temperature
	if len(temps) == 0 {
		for t := range a.temps {
			temps = append(temps, t)
		}
		slices.Sort(temps)
	}
	var groups []*group
	placed := map[*group]bool{}
	for pi, p := range exp.Platforms {
		for _, lv := range p.RunLevels(nil) {
			for mi, m := range p.Models {
				for _, t := range temps {
					g := a.group(results.GroupKey{Platform: p.Name, Model: m, Temperature: t, Level: lv.Label})
					if placed[g] {
						continue
					}
					placed[g] = true
					g.platform, g.model = pi, mi
					groups = append(groups, g)
				}
			}
		}
	}
	var extra []*group
	for _, g := range a.groups {
		if !placed[g] {
			g.platform = platformIndex(exp, g.stats.Platform)
			extra = append(extra, g)
		}
	}
	slices.SortFunc(extra, func(a, b *group) int { return compareKeys(a.stats.GroupKey, b.stats.GroupKey) })
	var warnings []string
	for _, g := range extra {
		warnings = append(warnings, fmt.Sprintf("records for %s, which the experiment does not declare; reported as an extra group without comparison", keyLabel(g.stats.GroupKey)))
	}
	groups = append(groups, extra...)
	for _, g := range groups {
		a.sortRows(&g.rows)
	}
	return groups, warnings
}

// compareKeys orders group keys by platform, model, temperature and load
// level.
func compareKeys(a, b results.GroupKey) int {
	return cmp.Or(strings.Compare(a.Platform, b.Platform), strings.Compare(a.Model, b.Model), cmp.Compare(a.Temperature, b.Temperature), strings.Compare(a.Level, b.Level))
}

// onlyNoGold reports whether every record of g has no gold answer
// (Record.NoGold), so that g has no accuracy.
func (g *group) onlyNoGold() bool { return g.stats.NoGold > 0 && g.stats.NoGold >= g.rows.len() }

// canonicalOrder orders a group's records by schedule position (Seq, which
// a plan fixes and a resume keeps), then repeat, sample id and send time.
// Seq first makes the sort nearly free for a journal, which is written
// roughly in schedule order, and leaves the records in send order for
// activeWall's sort.
func (acc *accumulator) canonicalOrder(a, b *row) int {
	if a.seq32 != b.seq32 {
		return cmp.Compare(a.seq32, b.seq32)
	}
	if a.repeat != b.repeat {
		return cmp.Compare(a.repeat, b.repeat)
	}
	if a.sample != b.sample {
		return strings.Compare(acc.ids[a.sample], acc.ids[b.sample])
	}
	return cmp.Compare(a.startedAt(), b.startedAt())
}

// startedAt orders rows like time.Time.Compare orders StartedAt: a zero
// StartedAt first.
func (r *row) startedAt() int64 {
	if !r.hasStart() {
		return math.MinInt64
	}
	return r.started
}

func platformIndex(exp *config.Experiment, name string) int {
	for i, p := range exp.Platforms {
		if p.Name == name {
			return i
		}
	}
	return -1
}

// compute fills g.stats from g.rows: tally, rates, timings, accuracy
// and goodput. Timing distributions cover the
// successful records; accuracy covers every record, failed and truncated
// ones scoring 0. WallSeconds, the sending time every rate divides by, is
// markedWall's, from the run's sending marks of the group's platform and
// level; a run folder without marks for them (written before marks
// existed) falls back to activeWall's inference from idle gaps.
func (g *group) compute(exp *config.Experiment, bs Bootstrap, acc *accumulator) {
	s := &g.stats
	maxRepeat, v2 := g.tally(acc)
	g.rates(exp, acc)
	g.timings(exp, bs)
	if !g.onlyNoGold() {
		g.accuracy(bs, acc, maxRepeat, v2)
	}
	good := goodCount(exp.SLO, &g.rows)
	if s.Count > 0 {
		s.Goodput = float64(good) / float64(s.Count)
	}
	if s.WallSeconds > 0 {
		s.GoodputRate = float64(good) / s.WallSeconds
	}
	if w := smallSampleWarning(s.Successes, s.Count); w != "" {
		s.Warnings = append(s.Warnings, w)
	}
}

// tally counts the group's rows: successes, failures by class, truncated
// answers; the error rate and the tokens per successful request. It
// returns the highest repeat index and whether any question is SQuAD v2's
// unanswerable kind.
func (g *group) tally(acc *accumulator) (maxRepeat int, v2 bool) {
	s := &g.stats
	n := g.rows.len()
	s.Count = n
	maxRepeat = -1
	for i := range n {
		r := g.rows.at(i)
		v2 = v2 || r.impossible()
		if r.truncated() {
			s.Truncated++
		}
		if int(r.repeat) > maxRepeat {
			maxRepeat = int(r.repeat)
		}
		if !r.ok() {
			s.Failures++
			if s.Errors == nil {
				s.Errors = map[string]int{}
			}
			s.Errors[acc.errs[r.err-1]]++
			continue
		}
		s.Successes++
	}
	if n > 0 {
		s.ErrorRate = float64(s.Failures) / float64(n)
	}
	if s.Successes > 0 {
		s.OutputTokensMean = float64(g.okTokens) / float64(s.Successes)
		s.ReasoningTokensMean = float64(g.okReasoning) / float64(s.Successes)
	}
	s.UsagePromptTokenDiffPct, s.UsageOutputTokenDiffPct = g.usage.diffs()
	return maxRepeat, v2
}

// rates sets the group's sending time (from its level's sending marks, or
// its sessions without marks), the throughputs and send rate over it, the
// shard overlap and the configured target rate.
func (g *group) rates(exp *config.Experiment, acc *accumulator) {
	s := &g.stats
	var marks []runfolder.SendSpan
	for _, m := range acc.spans {
		if m.Platform == s.Platform && m.Level == s.Level {
			marks = append(marks, m)
		}
	}
	w, marked := markedWall(&g.rows, marks)
	if !marked {
		w = activeWall(&g.rows)
	}
	s.WallSeconds = w.wall.Seconds()
	if s.WallSeconds > 0 {
		s.Throughput = float64(g.okTokens) / s.WallSeconds
		s.RequestThroughput = float64(s.Successes) / s.WallSeconds
		s.SendRate = float64(w.sent) / s.WallSeconds
	}
	if w.sessions > 1 {
		s.Warnings = append(s.Warnings, fmt.Sprintf("records come from %d sessions with nothing sent between them (a run resumed after a stop, or shards that did not send at the same time): rates use the %.1f s spent sending, not the %.1f s between them", w.sessions, s.WallSeconds, w.idle.Seconds()))
	}
	if w.shards > 1 {
		s.ShardOverlap = &w.overlap
		if w.overlap < results.MinShardOverlap {
			s.Warnings = append(s.Warnings, fmt.Sprintf("its %d shards sent at the same time for only %.0f%% of the level's sending time (under %.0f%%): this is not the configured load, and its rates are of shards sent apart", w.shards, 100*w.overlap, 100*results.MinShardOverlap))
		}
	}
	if g.platform >= 0 {
		s.TargetRate = exp.Platforms[g.platform].Rate
		for _, lv := range exp.Platforms[g.platform].RunLevels(nil) {
			if lv.Label == s.Level && s.Level != "" {
				s.TargetRate = lv.Rate
			}
		}
	}
}

// column returns pick's values over the successful rows, one column at a
// time, each sized once, so that the memory besides the rows stays a few
// columns of one group.
func (g *group) column(pick func(r *row) (float64, bool)) []float64 {
	xs := make([]float64, 0, g.stats.Successes)
	for i := range g.rows.len() {
		if r := g.rows.at(i); r.ok() {
			if v, ok := pick(r); ok {
				xs = append(xs, v)
			}
		}
	}
	return xs
}

// scores returns a score in percent, aligned with the rows: 0 for a
// failed or truncated record.
func (g *group) scores(pick func(r *row) float64) []float64 {
	xs := make([]float64, g.rows.len())
	for i := range xs {
		if r := g.rows.at(i); r.ok() && !r.truncated() {
			xs[i] = 100 * pick(r)
		}
	}
	return xs
}

// timings describes the timing distributions of the successful rows, each
// with its bootstrap CI of the mean.
func (g *group) timings(exp *config.Experiment, bs Bootstrap) {
	s := &g.stats
	label := keyLabel(s.GroupKey)
	dist := func(name string, xs []float64) results.Dist {
		d := describe(xs) // sorts xs, so the CI is independent of record order
		d.CILow, d.CIHigh = bs.MeanCI(label+"/"+name, xs)
		return d
	}
	g.lat = g.column(func(r *row) (float64, bool) { return r.latency, true })
	s.LatencyMs = dist("latency_ms", g.lat)
	s.TTFTMs = dist("ttft_ms", g.column(func(r *row) (float64, bool) { return r.ttft, true }))
	s.TTFCMs = dist("ttfc_ms", g.column(func(r *row) (float64, bool) { return r.ttfc, r.ttfc > 0 }))
	// Without streaming the answer arrives at once: no TPOT (not a TPOT of 0).
	s.TPOTMs = dist("tpot_ms", g.column(func(r *row) (float64, bool) { return r.tpot, r.twoTokens() && exp.Params.Stream }))
	s.ITLMs = dist("itl_ms", g.itl.values())
	if g.itl.total > len(g.itl.h) {
		s.Warnings = append(s.Warnings, fmt.Sprintf("itl_ms describes a uniform sample of %d of the %d token gaps (see ITLSampleSize)", len(g.itl.h), g.itl.total))
	}
	s.QueueMs = dist("queue_ms", g.column(func(r *row) (float64, bool) { return r.queue, true }))
	s.TokensPerSec = dist("tokens_per_sec", g.column(func(r *row) (float64, bool) { return r.tps, true }))
}

// accuracy describes EM and F1 (extracted and raw) over every row, with
// per-repeat means, agreement, SQuAD v2's answerability split and the
// per-question means that comparisons pair.
func (g *group) accuracy(bs Bootstrap, acc *accumulator, maxRepeat int, v2 bool) {
	s := &g.stats
	label := keyLabel(s.GroupKey)
	em := g.scores(func(r *row) float64 { return r.em })
	f1 := g.scores(func(r *row) float64 { return r.f1 })
	if maxRepeat >= 0 {
		s.RepeatEM, s.RepeatF1 = repeatMeans(&g.rows, em, f1, maxRepeat+1)
	}
	s.Agreement = g.agreement()
	if v2 { // before describe, which sorts em and f1
		s.HasAns, s.NoAns = answerBreakdown(&g.rows, em, f1)
	}
	// Accuracy intervals resample questions, not requests (see
	// Bootstrap.ClusterMeanCI): repeats of one question are not independent.
	qs := questionsOf(&g.rows, acc.ids)
	g.questions = qs.ids
	g.qEM, g.qF1 = qs.means(em), qs.means(f1)
	dist := func(name string, xs []float64) results.Dist {
		cl := qs.clusters(xs)
		d := describe(xs) // sorts xs: after clusters
		d.CILow, d.CIHigh = bs.ClusterMeanCI(label+"/"+name, cl)
		return d
	}
	s.EM = dist("em", em)
	s.F1 = dist("f1", f1)
	s.RawEM = dist("raw_em", g.scores(func(r *row) float64 { return r.rawEM }))
	s.RawF1 = dist("raw_f1", g.scores(func(r *row) float64 { return r.rawF1 }))
}

// repeatMeans returns the mean EM and F1 (percent) of each repeat index
// 0..size-1; a repeat without records has mean 0.
func repeatMeans(rows *rowStore, em, f1 []float64, size int) (rem, rf1 []float64) {
	rem, rf1 = make([]float64, size), make([]float64, size)
	cnt := make([]int, size)
	for i := range rows.len() {
		rp := rows.at(i).repeat
		if rp < 0 {
			continue
		}
		rem[rp] += em[i]
		rf1[rp] += f1[i]
		cnt[rp]++
	}
	for i, c := range cnt {
		if c > 0 {
			rem[i] /= float64(c)
			rf1[i] /= float64(c)
		}
	}
	return rem, rf1
}

// answerBreakdown splits the per-record EM and F1 (percent, aligned with
// recs) into answerable and unanswerable questions (Record.Impossible),
// as the official SQuAD v2.0 script's HasAns_* and NoAns_*. A kind with no
// record is nil.
func answerBreakdown(rows *rowStore, em, f1 []float64) (hasAns, noAns *results.AnswerBreakdown) {
	var b [2]results.AnswerBreakdown
	for i := range rows.len() {
		k := 0
		if rows.at(i).impossible() {
			k = 1
		}
		b[k].Count++
		b[k].EM += em[i]
		b[k].F1 += f1[i]
	}
	out := [2]*results.AnswerBreakdown{}
	for k := range b {
		if b[k].Count > 0 {
			b[k].EM /= float64(b[k].Count)
			b[k].F1 /= float64(b[k].Count)
			out[k] = &b[k]
		}
	}
	return out[0], out[1]
}

// joinedEquals reports whether t's tokens joined by single spaces (what
// t.String() returns) equal s, without building that string.
func joinedEquals(t *score.Tokens, s string) bool {
	pos := 0
	for i := range t.Len() {
		if i > 0 {
			if pos >= len(s) || s[pos] != ' ' {
				return false
			}
			pos++
		}
		tk := t.Token(i)
		if len(s)-pos < len(tk) || s[pos:pos+len(tk)] != string(tk) {
			return false
		}
		pos += len(tk)
	}
	return pos == len(s)
}

// smallSampleWarning names the percentiles that successes samples cannot
// support, or returns "".
func smallSampleWarning(successes, count int) string {
	if count == 0 {
		return "no requests"
	}
	if successes == 0 {
		return "no successful requests: timing statistics are empty"
	}
	var weak []string
	for _, p := range []struct {
		name string
		min  int
	}{{"p99", MinSamplesP99}, {"p95", MinSamplesP95}, {"p90", MinSamplesP90}} {
		if successes < p.min {
			weak = append(weak, fmt.Sprintf("%s needs >= %d", p.name, p.min))
		}
	}
	if len(weak) == 0 {
		return ""
	}
	return fmt.Sprintf("only %d successful requests, too few for reliable percentiles: %s", successes, strings.Join(weak, ", "))
}
