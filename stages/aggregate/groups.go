package aggregate

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/inferbench/inferbench/pipeline"
	"github.com/inferbench/inferbench/stages/score"
)

// group is one platform x model x temperature group while it is computed.
type group struct {
	stats pipeline.GroupStats
	// recs are the group's non-warmup records, in canonicalOrder.
	recs []*pipeline.Record
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

// questionsOf indexes recs by sample id, ids ascending and each question's
// records in the order of recs.
func questionsOf(recs []*pipeline.Record) questionIndex {
	at := make(map[string]int, len(recs))
	var q questionIndex
	for i, r := range recs {
		j, ok := at[r.SampleID]
		if !ok {
			j = len(q.ids)
			at[r.SampleID] = j
			q.ids = append(q.ids, r.SampleID)
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
func keyLabel(k pipeline.GroupKey) string {
	s := k.Platform + "/" + k.Model + "/t=" + strconv.FormatFloat(k.Temperature, 'g', -1, 64)
	if k.Load != "" {
		s += "/" + k.Load
	}
	return s
}

// partition splits records into groups: first every group the experiment
// declares, in the order its platforms, their models and its temperatures
// appear (when params.temperature is empty, the temperatures the records
// show, ascending), then groups found only in the records, ordered by
// platform, model and temperature, each with a warning. Each group's
// records are put in canonical order (see canonicalOrder), so that the
// results do not depend on the order of records, not even in the last bit
// of a floating-point sum.
func partition(exp *pipeline.Experiment, records []pipeline.Record) ([]*group, []string) {
	temps := exp.Params.Temperature
	if len(temps) == 0 {
		seen := map[float64]bool{}
		for i := range records {
			if t := records[i].Temperature; !seen[t] {
				seen[t] = true
				temps = append(temps, t)
			}
		}
		slices.Sort(temps)
	}
	var groups []*group
	index := map[pipeline.GroupKey]int{}
	add := func(k pipeline.GroupKey, pi, mi int) *group {
		g := &group{stats: pipeline.GroupStats{GroupKey: k}, platform: pi, model: mi}
		index[k] = len(groups)
		groups = append(groups, g)
		return g
	}
	for pi, p := range exp.Platforms {
		for _, lv := range p.LoadLevels(nil) {
			for mi, m := range p.Models {
				for _, t := range temps {
					k := pipeline.GroupKey{Platform: p.Name, Model: m, Temperature: t, Load: lv.Label}
					if _, dup := index[k]; !dup {
						add(k, pi, mi)
					}
				}
			}
		}
	}
	declared := len(groups)
	for i := range records {
		r := &records[i]
		k := r.Group()
		gi, ok := index[k]
		if !ok {
			add(k, platformIndex(exp, r.Platform), -1)
			gi = len(groups) - 1
		}
		g := groups[gi]
		if r.Warmup {
			g.stats.Warmups++
			continue
		}
		g.recs = append(g.recs, r)
	}
	extra := groups[declared:]
	slices.SortFunc(extra, func(a, b *group) int { return compareKeys(a.stats.GroupKey, b.stats.GroupKey) })
	var warnings []string
	for _, g := range extra {
		warnings = append(warnings, fmt.Sprintf("records for %s, which the experiment does not declare; reported as an extra group without comparison", keyLabel(g.stats.GroupKey)))
	}
	for _, g := range groups {
		slices.SortFunc(g.recs, canonicalOrder)
	}
	return groups, warnings
}

// compareKeys orders group keys by platform, model and temperature.
func compareKeys(a, b pipeline.GroupKey) int {
	return cmp.Or(strings.Compare(a.Platform, b.Platform), strings.Compare(a.Model, b.Model), cmp.Compare(a.Temperature, b.Temperature), strings.Compare(a.Load, b.Load))
}

// canonicalOrder orders a group's records by schedule position (Seq, which
// a plan fixes and a resume keeps), then repeat, sample id and send time.
// Seq first makes the sort nearly free for a journal, which is written
// roughly in schedule order, and leaves the records in send order for
// activeWall's sort.
func canonicalOrder(a, b *pipeline.Record) int {
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

func platformIndex(exp *pipeline.Experiment, name string) int {
	for i, p := range exp.Platforms {
		if p.Name == name {
			return i
		}
	}
	return -1
}

// compute fills g.stats from g.recs. Timing distributions cover the
// successful records; accuracy covers every record, failed and truncated
// ones scoring 0. WallSeconds is activeWall's: per session, the earliest
// send (StartedAt - RetryWaitMs) to the latest StartedAt+CloseMs
// (LatencyMs when CloseMs is 0), summed over the sessions, so that the
// time between a crash and its resume is not counted. StartedAt is
// wall-clock, but it is the only absolute time a saved journal keeps, and
// every duration inside it is monotonic. SendRate is activeWall's sendRate:
// the sends per second of the schedule itself, without the tail of waiting
// for the last responses that RequestRate includes.
func (g *group) compute(exp *pipeline.Experiment, bs Bootstrap) {
	s := &g.stats
	label := keyLabel(s.GroupKey)
	n := len(g.recs)
	s.Count = n
	var lat, ttft, ttfc, tpot, itl, queue, tps []float64
	em, f1, rawEM, rawF1 := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	var okTokens int
	maxRepeat := -1
	v2 := false
	for i, r := range g.recs {
		v2 = v2 || r.Impossible
		s.PromptTokens += r.PromptTokens
		s.OutputTokens += r.OutputTokens
		s.ReasoningTokens += r.ReasoningTokens
		if r.Truncated {
			s.Truncated++
		}
		if r.Repeat > maxRepeat {
			maxRepeat = r.Repeat
		}
		if !r.OK() {
			s.Failures++
			if s.Errors == nil {
				s.Errors = map[string]int{}
			}
			s.Errors[r.Error]++
			continue
		}
		s.Successes++
		okTokens += r.OutputTokens
		lat = append(lat, r.LatencyMs)
		ttft = append(ttft, r.TTFTMs)
		if r.TTFCMs > 0 {
			ttfc = append(ttfc, r.TTFCMs)
		}
		if r.OutputTokens >= 2 {
			tpot = append(tpot, r.TPOTMs)
		}
		itl = append(itl, r.ITLMs...)
		queue = append(queue, r.QueueMs)
		tps = append(tps, r.TokensPerSec)
		if !r.Truncated {
			em[i], f1[i] = 100*r.EM, 100*r.F1
			rawEM[i], rawF1[i] = 100*r.RawEM, 100*r.RawF1
		}
	}
	if n > 0 {
		s.ErrorRate = float64(s.Failures) / float64(n)
	}
	w := activeWall(g.recs)
	s.WallSeconds = w.wall.Seconds()
	if s.WallSeconds > 0 {
		s.Throughput = float64(okTokens) / s.WallSeconds
		s.RequestRate = float64(w.sent) / s.WallSeconds
	}
	s.SendRate = w.sendRate()
	if w.sessions > 1 {
		s.Warnings = append(s.Warnings, fmt.Sprintf("records come from %d sessions (a resumed run): rates use the %.1f s spent sending, not the %.1f s between them", w.sessions, s.WallSeconds, w.idle.Seconds()))
	}
	if g.platform >= 0 {
		s.TargetRate = exp.Platforms[g.platform].Rate
		for _, lv := range exp.Platforms[g.platform].LoadLevels(nil) {
			if lv.Label == s.Load && s.Load != "" {
				s.TargetRate = lv.Rate
			}
		}
	}
	dist := func(name string, xs []float64) pipeline.Dist {
		d := describe(xs) // sorts xs, so the CI is independent of record order
		d.CILow, d.CIHigh = bs.MeanCI(label+"/"+name, xs)
		return d
	}
	s.LatencyMs = dist("latency_ms", lat)
	g.lat = lat
	s.TTFTMs = dist("ttft_ms", ttft)
	s.TTFCMs = dist("ttfc_ms", ttfc)
	s.TPOTMs = dist("tpot_ms", tpot)
	s.ITLMs = dist("itl_ms", itl)
	s.QueueMs = dist("queue_ms", queue)
	s.TokensPerSec = dist("tokens_per_sec", tps)

	if maxRepeat >= 0 {
		s.RepeatEM, s.RepeatF1 = repeatMeans(g.recs, em, f1, maxRepeat+1)
	}
	s.Agreement = agreement(g.recs)
	if v2 { // before dist, which sorts em and f1
		s.HasAns, s.NoAns = answerBreakdown(g.recs, em, f1)
	}
	// Accuracy intervals resample questions, not requests (see
	// Bootstrap.ClusterMeanCI): repeats of one question are not independent.
	qs := questionsOf(g.recs)
	g.questions = qs.ids
	g.qEM, g.qF1 = qs.means(em), qs.means(f1)
	accuracy := func(name string, xs []float64) pipeline.Dist {
		cl := qs.clusters(xs)
		d := describe(xs) // sorts xs: after clusters
		d.CILow, d.CIHigh = bs.ClusterMeanCI(label+"/"+name, cl)
		return d
	}
	s.EM = accuracy("em", em)
	s.F1 = accuracy("f1", f1)
	s.RawEM = accuracy("raw_em", rawEM)
	s.RawF1 = accuracy("raw_f1", rawF1)

	good := goodCount(exp.SLO, g.recs)
	if n > 0 {
		s.Goodput = float64(good) / float64(n)
	}
	if s.WallSeconds > 0 {
		s.GoodputRate = float64(good) / s.WallSeconds
	}
	if w := smallSampleWarning(s.Successes, n); w != "" {
		s.Warnings = append(s.Warnings, w)
	}
}

// repeatMeans returns the mean EM and F1 (percent) of each repeat index
// 0..size-1; a repeat without records has mean 0.
func repeatMeans(recs []*pipeline.Record, em, f1 []float64, size int) (rem, rf1 []float64) {
	rem, rf1 = make([]float64, size), make([]float64, size)
	cnt := make([]int, size)
	for i, r := range recs {
		if r.Repeat < 0 {
			continue
		}
		rem[r.Repeat] += em[i]
		rf1[r.Repeat] += f1[i]
		cnt[r.Repeat]++
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
func answerBreakdown(recs []*pipeline.Record, em, f1 []float64) (hasAns, noAns *pipeline.AnswerBreakdown) {
	var b [2]pipeline.AnswerBreakdown
	for i, r := range recs {
		k := 0
		if r.Impossible {
			k = 1
		}
		b[k].Count++
		b[k].EM += em[i]
		b[k].F1 += f1[i]
	}
	out := [2]*pipeline.AnswerBreakdown{}
	for k := range b {
		if b[k].Count > 0 {
			b[k].EM /= float64(b[k].Count)
			b[k].F1 /= float64(b[k].Count)
			out[k] = &b[k]
		}
	}
	return out[0], out[1]
}

// agreement is the share of sample ids with at least two records whose
// extracted answers are all the same after the official SQuAD
// normalization (score.Normalize: lower case, no punctuation, articles or
// extra whitespace), so that two answers agree exactly when EM cannot tell
// them apart. A failed or truncated record has no answer and agrees with
// nothing, not even another failure: a question that failed in any repeat
// does not agree (a platform that fails every request has agreement 0, not
// 1). It is 1 when no sample has two records (one repeat).
func agreement(recs []*pipeline.Record) float64 {
	type state struct {
		answer string // the first record's normalized answer
		n      int
		same   bool
	}
	byID := make(map[string]*state, len(recs))
	var tok score.Tokens // reused: only a sample's first answer is kept as a string
	for _, r := range recs {
		answered := r.OK() && !r.Truncated
		st, ok := byID[r.SampleID]
		if !ok {
			st = &state{n: 1, same: answered}
			if answered {
				tok.Normalize(r.Answer)
				st.answer = tok.String()
			}
			byID[r.SampleID] = st
			continue
		}
		st.n++
		if !st.same {
			continue
		}
		if !answered {
			st.same = false
			continue
		}
		tok.Normalize(r.Answer)
		st.same = joinedEquals(&tok, st.answer)
	}
	var multi, agree int
	for _, st := range byID {
		if st.n < 2 {
			continue
		}
		multi++
		if st.same {
			agree++
		}
	}
	if multi == 0 {
		return 1
	}
	return float64(agree) / float64(multi)
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
