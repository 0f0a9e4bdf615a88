package aggregate

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/inferbench/inferbench/pipeline"
	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/results"
	"github.com/inferbench/inferbench/pipeline/runfolder"
	"github.com/inferbench/inferbench/stages/score"
)

// ITLSampleSize bounds the inter-token gaps a group keeps for itl_ms: a
// request has one gap per token, so a million requests have tens of
// millions. When a group has more gaps than this, itl_ms describes a
// uniform sample of exactly ITLSampleSize of them: the gaps with the
// smallest hash of (cell, gap index), a bottom-k sample that depends on
// the set of records only, never on their order or on the process, so
// that a merged run equals one process to the last digit. The group then
// carries a warning. The error bound is in docs/metrics.md.
const ITLSampleSize = 100_000

// row is what the statistics need of one non-warmup record: 120 bytes
// instead of a record's kilobytes of content, reasoning and gaps. Token
// counts are summed into the group as records arrive (integer sums do
// not depend on the order); a row keeps only whether it has two or more
// output tokens (the records TPOT and its SLO count).
type row struct {
	started int64 // StartedAt in Unix nanoseconds; see flagStarted
	// milliseconds, as in results.Record
	retryWait, close, latency, ttft, ttfc, tpot, queue, tps float64
	// scores in [0, 1], as in results.Record
	em, f1, rawEM, rawF1  float64
	seq32, repeat, sample int32 // Seq, Repeat; sample indexes accumulator.ids
	err                   int16 // 0 when OK, else 1 + index into accumulator.errs
	flags                 uint8
}

const (
	flagStarted uint8 = 1 << iota
	flagTruncated
	flagImpossible
	flagTwoTokens // at least two output tokens
)

func (r *row) ok() bool         { return r.err == 0 }
func (r *row) truncated() bool  { return r.flags&flagTruncated != 0 }
func (r *row) impossible() bool { return r.flags&flagImpossible != 0 }
func (r *row) hasStart() bool   { return r.flags&flagStarted != 0 }
func (r *row) twoTokens() bool  { return r.flags&flagTwoTokens != 0 }

// accumulator is the streaming aggregate: pipeline.Accumulator. Add keeps
// a row per record in its group, the per-question answer agreement and a
// bounded sample of inter-token gaps; Close computes everything else.
type accumulator struct {
	exp *config.Experiment
	// groups by key, in order of first appearance (Close reorders them).
	index  map[results.GroupKey]*group
	groups []*group
	// temps seen, for experiments that declare none.
	temps map[float64]bool
	// ids are the sample ids seen, interned; errs the error classes.
	ids    []string
	idAt   map[string]int32
	errs   []string
	errAt  map[string]int16
	tok    score.Tokens
	closed bool
	// clientDetails are the error details of the client_resource records
	// (which feed no group figure), for Results.ClientResource.
	clientDetails []string
	// spans are the run's sending marks (nil: none; see SetSendSpans).
	spans []runfolder.SendSpan
	// health is the client's health of the run (nil: none; see
	// SetClientHealth).
	health []results.ClientHealth
	// server are the scrapes of the platforms' metrics endpoints (nil:
	// none; see SetServerMetrics).
	server []results.ServerSample
}

// SetSendSpans gives the run's sending marks: a group's sending time is
// then measured from the spans of its platform and level (see markedWall);
// a group whose platform and level have none falls back to activeWall.
func (a *accumulator) SetSendSpans(spans []runfolder.SendSpan) { a.spans = spans }

var _ pipeline.SendSpanSetter = (*accumulator)(nil)

// SetClientHealth gives the client's health of the run: Close applies it
// (Results.ApplyClientHealth under the experiment's `client:` thresholds)
// before the derived metrics and the checks, which can then use
// client_bound and the client figures.
func (a *accumulator) SetClientHealth(health []results.ClientHealth) { a.health = health }

var _ pipeline.ClientHealthSetter = (*accumulator)(nil)

// SetServerMetrics gives the scrapes of the run's server_metrics.jsonl:
// Close applies them (Results.ApplyServerMetrics) before the derived
// metrics and the checks, which can then use the server_* figures.
func (a *accumulator) SetServerMetrics(samples []results.ServerSample) { a.server = samples }

var _ pipeline.ServerMetricsSetter = (*accumulator)(nil)

// NewAccumulator starts the streaming aggregation of a run under exp. It
// implements pipeline.Aggregator (pipeline.AggregateRecords runs it over a
// slice). The results of the records (warmups and failures included) fill
// PercentileMethod, Experiment, Baseline, Groups, Comparisons, Checks and
// Warnings; the engine fills RunID, timestamps and stop reasons afterwards.
//
// Groups are platform x model x temperature x load level in the
// experiment's order (see partition); warmup records only count in
// Warmups. Records are taken as given: the engine passes one final record
// per matrix cell.
//
// Errors: a nil experiment, a metric that does not compile, and
// cancellation of ctx (checked between groups; after an interrupted run the
// engine should pass a context that is not cancelled, e.g.
// context.WithoutCancel) are returned; everything else (failed checks,
// odd records) is reported in the results. Records are not modified.
func NewAccumulator(_ context.Context, exp *config.Experiment) (pipeline.Accumulator, error) {
	if exp == nil {
		return nil, errors.New("aggregate: no experiment")
	}
	return &accumulator{exp: exp, index: map[results.GroupKey]*group{}, temps: map[float64]bool{},
		idAt: map[string]int32{}, errAt: map[string]int16{}}, nil
}

var _ pipeline.Aggregator = NewAccumulator

func (a *accumulator) group(k results.GroupKey) *group {
	g := a.index[k]
	if g == nil {
		g = &group{stats: results.GroupStats{GroupKey: k}, platform: -1, model: -1, agree: map[int32]*agreeState{}}
		a.index[k] = g
		a.groups = append(a.groups, g)
	}
	return g
}

// Add keeps what the statistics need of r.
func (a *accumulator) Add(r *results.Record) error {
	if a.closed {
		return errors.New("aggregate: Add after Close")
	}
	a.temps[r.Temperature] = true
	g := a.group(r.Group())
	if r.Warmup {
		g.stats.Warmups++
		return nil
	}
	if r.Error == results.ErrClientResource {
		// This machine's failure, not the platform's: out of every figure.
		g.stats.ClientErrors++
		a.clientDetails = append(a.clientDetails, r.ErrorDetail)
		return nil
	}
	id, ok := a.idAt[r.SampleID]
	if !ok {
		if len(a.ids) == math.MaxInt32 {
			return errors.New("aggregate: too many questions")
		}
		id = int32(len(a.ids))
		a.ids = append(a.ids, r.SampleID)
		a.idAt[r.SampleID] = id
	}
	w := row{
		seq32: clamp32(r.Seq), retryWait: r.RetryWaitMs, close: r.CloseMs, latency: r.LatencyMs, ttft: r.TTFTMs,
		ttfc: r.TTFCMs, tpot: r.TPOTMs, queue: r.QueueMs, tps: r.TokensPerSec,
		em: r.EM, f1: r.F1, rawEM: r.RawEM, rawF1: r.RawF1,
		repeat: clamp32(r.Repeat), sample: id,
	}
	if r.NoGold {
		g.stats.NoGold++
	}
	g.stats.PromptTokens += r.PromptTokens
	g.stats.OutputTokens += r.OutputTokens
	if r.TokensEstimated {
		g.stats.OutputTokensEstimated++
	}
	if r.TokensCounted {
		g.stats.OutputTokensCounted++
	}
	g.stats.ReasoningTokens += r.ReasoningTokens
	if r.OutputTokens >= 2 {
		w.flags |= flagTwoTokens
	}
	if !r.StartedAt.IsZero() {
		w.started = r.StartedAt.UnixNano()
		w.flags |= flagStarted
	}
	if r.Truncated {
		w.flags |= flagTruncated
	}
	if r.Impossible {
		w.flags |= flagImpossible
	}
	if !r.OK() {
		e, ok := a.errAt[r.Error]
		if !ok {
			if len(a.errs) >= math.MaxInt16-1 {
				return errors.New("aggregate: too many error classes")
			}
			a.errs = append(a.errs, r.Error)
			e = int16(len(a.errs))
			a.errAt[r.Error] = e
		}
		w.err = e
	} else {
		g.okTokens += r.OutputTokens
		g.okReasoning += r.ReasoningTokens
		g.usage.add(r)
		if len(r.ITLMs) > 0 {
			g.itl.add(r, r.ITLMs)
		}
	}
	g.rows.add(w)
	g.observeAnswer(id, r, &a.tok)
	return nil
}

func clamp32(n int) int32 {
	return int32(max(min(n, math.MaxInt32), math.MinInt32))
}

// Close computes the results: see NewAccumulator.
func (a *accumulator) Close(ctx context.Context) (*results.Results, error) {
	if a.closed {
		return nil, errors.New("aggregate: Close called twice")
	}
	a.closed = true
	exp := a.exp
	bs := NewBootstrap(exp)
	res := &results.Results{
		Experiment:       exp.Name,
		PercentileMethod: results.PercentileMethod,
		Baseline:         exp.Baseline,
	}
	if res.Baseline == "" && len(exp.Platforms) > 0 {
		res.Baseline = exp.Platforms[0].Name
	}
	groups, warnings := a.partition()
	res.Warnings = append(res.Warnings, warnings...)
	for _, g := range groups {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("aggregate: %w", err)
		}
		g.compute(exp, bs, a)
		g.rows = rowStore{} // computed: let the collector have them
	}
	if res.Baseline != "" {
		cmp, w := compareGroups(exp, groups, res.Baseline, bs)
		res.Comparisons = cmp
		res.Warnings = append(res.Warnings, w...)
	}
	if res.Comparisons == nil {
		res.Comparisons = []results.Comparison{}
	}
	res.Groups = make([]results.GroupStats, len(groups))
	for i, g := range groups {
		res.Groups[i] = g.stats
	}
	// The groups' client figures first, for the metrics; the sweep points'
	// once the sweep exists, before the checks.
	res.ApplyClientHealth(a.health, exp.Client)
	res.ApplyServerMetrics(a.server)
	if err := applyMetrics(exp.Metrics, res.Groups); err != nil {
		return nil, fmt.Errorf("aggregate: %w", err)
	}
	res.ClientResource = results.SummarizeClientResource(a.clientDetails)
	if res.ClientResource != nil {
		res.Warnings = append(res.Warnings, res.ClientResource.Warning())
	}
	a.clientDetails = nil
	res.Sweep = Sweep(exp, res.Groups, res.Baseline)
	if res.Sweep != nil {
		res.ApplyClientHealth(a.health, exp.Client)
	}
	res.Checks = runChecks(exp.Checks, res)
	return res, nil
}

// agreeState is agreement's state of one question of a group.
type agreeState struct {
	answer string // the first record's normalized answer
	n      int
	same   bool
}

// observeAnswer updates the agreement of question id with r (see
// agreement). Equality is transitive, so the result does not depend on
// the order of records.
func (g *group) observeAnswer(id int32, r *results.Record, tok *score.Tokens) {
	answered := r.OK() && !r.Truncated
	st, ok := g.agree[id]
	if !ok {
		st = &agreeState{n: 1, same: answered}
		if answered {
			tok.Normalize(r.Answer)
			st.answer = tok.String()
		}
		g.agree[id] = st
		return
	}
	st.n++
	if !st.same {
		return
	}
	if !answered {
		st.same = false
		return
	}
	tok.Normalize(r.Answer)
	st.same = joinedEquals(tok, st.answer)
}

// agreement is the share of sample ids with at least two records whose
// extracted answers are all the same after the official SQuAD
// normalization (score.Normalize: lower case, no punctuation, articles or
// extra whitespace), so that two answers agree exactly when EM cannot tell
// them apart. A failed or truncated record has no answer and agrees with
// nothing, not even another failure: a question that failed in any repeat
// does not agree (a platform that fails every request has agreement 0, not
// 1). It is 1 when no sample has two records (one repeat).
func (g *group) agreement() float64 {
	var multi, agree int
	for _, st := range g.agree {
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

// itlSample is a bottom-k sample of a group's inter-token gaps: the
// ITLSampleSize gaps with the smallest keys, a hash of the gap's cell and
// index (ties broken by value), and the number of gaps seen.
type itlSample struct {
	h     itlHeap
	total int
}

type itlGap struct {
	key uint64
	v   float64
}

// itlHeap is a max-heap on (key, v): its root is the gap to drop first.
// (Hand-written rather than container/heap, whose Push boxes every gap.)
type itlHeap []itlGap

// above reports whether a is dropped before b.
func (a itlGap) above(b itlGap) bool {
	if a.key != b.key {
		return a.key > b.key
	}
	return a.v > b.v
}

func (h *itlHeap) push(g itlGap) {
	*h = append(*h, g)
	x := *h
	for i := len(x) - 1; i > 0; {
		p := (i - 1) / 2
		if !x[i].above(x[p]) {
			break
		}
		x[i], x[p] = x[p], x[i]
		i = p
	}
}

// replaceTop puts g in place of the root and restores the heap.
func (h itlHeap) replaceTop(g itlGap) {
	h[0] = g
	for i := 0; ; {
		l, top := 2*i+1, i
		if l < len(h) && h[l].above(h[top]) {
			top = l
		}
		if r := l + 1; r < len(h) && h[r].above(h[top]) {
			top = r
		}
		if top == i {
			return
		}
		h[i], h[top] = h[top], h[i]
		i = top
	}
}

// add offers r's gaps to the sample.
func (s *itlSample) add(r *results.Record, gaps []float64) {
	var buf [64]byte
	b := append(buf[:0], r.Platform...)
	b = append(b, 0)
	b = append(b, r.Model...)
	b = append(b, 0)
	b = strconv.AppendFloat(b, r.Temperature, 'g', -1, 64)
	b = append(b, 0)
	b = strconv.AppendInt(b, int64(r.Repeat), 10)
	b = append(b, 0)
	b = append(b, r.SampleID...)
	base := fnv64a(b)
	for i, v := range gaps {
		s.total++
		g := itlGap{key: splitmix64(base + uint64(i)*0x9e3779b97f4a7c15), v: v}
		if len(s.h) < ITLSampleSize {
			s.h.push(g)
			continue
		}
		if s.h[0].above(g) {
			s.h.replaceTop(g)
		}
	}
}

// values returns the sampled gaps (in no particular order; describe sorts).
func (s *itlSample) values() []float64 {
	out := make([]float64, len(s.h))
	for i, g := range s.h {
		out[i] = g.v
	}
	return out
}

// fnv64a is the 64-bit FNV-1a hash of b (hash/fnv's, without its
// allocations).
func fnv64a(b []byte) uint64 {
	h := uint64(14695981039346656037)
	for _, c := range b {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return h
}

// splitmix64 is a bijective 64-bit mixer (Steele, Lea and Flood's
// SplitMix64 finalizer): a fixed hash, the same in every process.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// rowStore holds a group's rows in fixed-size chunks, so that growing it
// never copies (or leaves behind as garbage) what it holds, and order,
// once set by sortRows, lists them in canonical order.
type rowStore struct {
	chunks [][]row
	n      int
	order  []int32
}

// rowChunk is the number of rows per chunk (about 0.5 MB).
const rowChunk = 4096

func (s *rowStore) add(w row) {
	if s.n%rowChunk == 0 {
		s.chunks = append(s.chunks, make([]row, 0, rowChunk))
	}
	c := &s.chunks[len(s.chunks)-1]
	*c = append(*c, w)
	s.n++
}

// len is the number of rows.
func (s *rowStore) len() int { return s.n }

// at returns the i-th row in canonical order (after sortRows).
func (s *rowStore) at(i int) *row {
	j := int(s.order[i])
	return &s.chunks[j/rowChunk][j%rowChunk]
}

// sortRows puts rows in canonical order (see canonicalOrder).
func (a *accumulator) sortRows(s *rowStore) {
	s.order = make([]int32, s.n)
	for i := range s.order {
		s.order[i] = int32(i)
	}
	raw := func(j int32) *row { return &s.chunks[j/rowChunk][j%rowChunk] }
	slices.SortFunc(s.order, func(x, y int32) int { return a.canonicalOrder(raw(x), raw(y)) })
}
