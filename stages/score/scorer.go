package score

import (
	"fmt"
	"strings"
	"sync"

	"github.com/inferbench/inferbench/pipeline"
	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/results"
)

// Scorer is the built-in pipeline.Scorer: it extracts the answer from a
// record's content and scores it, and the raw content, against the
// sample's gold answers with the official SQuAD rules of the dataset's
// version. It is safe for concurrent use.
type Scorer struct {
	extract Extractor
	v2      bool
	pool    sync.Pool // *Matcher
}

// New builds the scorer of spec for a dataset of the given SQuAD version
// ("v1.1", "v2.0"; "" means v1.1). It is the pipeline.ScorerFactory of the
// score stage. Errors are configuration errors (see NewExtractor, or an
// unknown version); they carry no "score:" prefix, which the engine adds.
func New(spec config.ScoreSpec, version string) (pipeline.Scorer, error) {
	var v2 bool
	switch version {
	case "", "v1.1", "1.1":
	case "v2.0", "2.0":
		v2 = true
	default:
		return nil, fmt.Errorf("unknown SQuAD version %q (want v1.1 or v2.0)", version)
	}
	ex, err := NewExtractor(spec.Extract)
	if err != nil {
		return nil, err
	}
	sc := &Scorer{extract: ex, v2: v2}
	sc.pool.New = func() any { return new(Matcher) }
	return sc, nil
}

// Score fills r's answer fields from s.
//
//   - A failed record (r.Error != "") gets Answer "", zero scores and
//     Scored false.
//   - A successful record gets Answer = the extracted answer and Scored
//     true. EM is 1 or 0 and F1 a fraction in 0..1 (the maxima over the
//     gold answers, per the v1.1 or v2.0 script); aggregates multiply by
//     100 to get the official percentages. RawEM and RawF1 score the raw
//     content the same way. For v2.0 an unanswerable sample's gold is
//     [""], so the empty answer scores 1.
//   - Truncated is set when the content is blank and finish_reason is
//     "length" (the reasoning used the whole max_tokens budget), also on a
//     record that query already classified as
//     results.ErrEmptyContentLength.
//   - NoGold is set when s has no gold answer and is not a SQuAD v2
//     unanswerable question (a synthetic prompt): the record is not
//     scored, failed or not, and aggregate leaves it out of EM and F1.
//   - Impossible is copied from s.IsImpossible (false when s is nil), on
//     failed records too, so aggregate can split accuracy into SQuAD v2's
//     HasAns and NoAns.
//   - When an expr extraction fails at run time the answer is "" (scored
//     as such) and r.ErrorDetail says "extract: ..."; r.Error stays empty,
//     because the request itself succeeded.
func (sc *Scorer) Score(r *results.Record, s *config.Sample) {
	r.Answer, r.EM, r.F1, r.RawEM, r.RawF1 = "", 0, 0, 0, 0
	r.Truncated = IsTruncated(r)
	r.Scored = false
	r.Impossible = s != nil && s.IsImpossible
	r.NoGold = s != nil && len(s.Answers) == 0 && !s.IsImpossible
	if !r.OK() || s == nil || r.NoGold {
		return
	}
	answer, err := sc.extract(config.ExtractEnv{
		Content: r.Content, Reasoning: r.Reasoning, Question: s.Question, Context: s.Context,
	})
	if err != nil {
		answer = ""
		r.ErrorDetail = "extract: " + err.Error()
	}
	r.Answer = answer
	m := sc.pool.Get().(*Matcher)
	if sc.v2 {
		golds := s.Answers
		if s.IsImpossible {
			golds = nil // scored against [""]
		}
		r.EM, r.F1 = m.ScoreV2(answer, golds)
		r.RawEM, r.RawF1 = m.ScoreV2(r.Content, golds)
	} else {
		r.EM, r.F1 = m.ScoreV1(answer, s.Answers)
		r.RawEM, r.RawF1 = m.ScoreV1(r.Content, s.Answers)
	}
	sc.pool.Put(m)
	r.Scored = true
}

// IsTruncated reports whether r is an empty answer cut by max_tokens: its
// content is blank and its finish_reason is "length", or query classified
// it as results.ErrEmptyContentLength.
func IsTruncated(r *results.Record) bool {
	if r.Error == results.ErrEmptyContentLength {
		return true
	}
	return r.Error == "" && r.FinishReason == "length" && strings.TrimSpace(r.Content) == ""
}
