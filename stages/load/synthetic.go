package load

import (
	"context"
	_ "embed" // for the built-in corpus
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"github.com/inferbench/inferbench/pipeline"
	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/stages/tokenize"
)

// SourceSynthetic names the source of prompts of chosen lengths.
const SourceSynthetic = "synthetic"

// SyntheticBlock is the key of the synthetic source's block (dataset.synthetic).
const SyntheticBlock = "synthetic"

// corpusText is the built-in text synthetic prompts are cut from when
// dataset.path is left out: plain original prose written for inferbench.
//
//go:embed corpus.txt
var corpusText string

// CorpusLocation is Dataset.Location of synthetic prompts cut from the
// built-in corpus.
const CorpusLocation = "builtin:corpus"

// SyntheticSpec is the dataset.synthetic block: the lengths of the
// prompts and answers, in tokens of Tokenizer. Each input length (or the
// uniform range input_min..input_max) times each output length is one
// sample group, a dimension of the matrix (config.SampleGroup): a list of
// three input lengths runs every platform's load once per length.
type SyntheticSpec struct {
	// InputTokens are the prompt lengths, one group each: exact lengths,
	// or the means of a normal law when InputStddev > 0.
	InputTokens []int `yaml:"input_tokens" json:"input_tokens,omitempty" validate:"dive,gte=1"`
	// InputStddev > 0 draws each prompt's length from a normal law around
	// its group's length (seeded by the experiment's seed, rounded, at
	// least prefix_tokens + 1).
	InputStddev float64 `yaml:"input_stddev" json:"input_stddev,omitempty" validate:"gte=0"`
	// InputMin and InputMax, instead of InputTokens, draw the lengths
	// uniformly from that range (one group).
	InputMin int `yaml:"input_min" json:"input_min,omitempty" validate:"gte=0"`
	InputMax int `yaml:"input_max" json:"input_max,omitempty" validate:"gte=0"`
	// OutputTokens are the answer lengths asked for, one group each: the
	// request's max_tokens (and min_tokens with ignore_eos on a platform
	// with exact_output_tokens). Left out, params.max_tokens applies.
	OutputTokens []int `yaml:"output_tokens" json:"output_tokens,omitempty" validate:"dive,gte=1"`
	// PrefixTokens > 0 starts every prompt with the same text of that
	// many tokens (a shared prefix for prefix-cache studies); it counts
	// in the input length.
	PrefixTokens int `yaml:"prefix_tokens" json:"prefix_tokens,omitempty" validate:"gte=0"`
	// Count is the number of prompts per group (DefaultSyntheticCount
	// when left out).
	Count int `yaml:"count" json:"count" validate:"gte=0"`
	// Tokenizer counts the lengths: a built-in tokenizer name
	// (DefaultSyntheticTokenizer when left out).
	Tokenizer string `yaml:"tokenizer" json:"tokenizer"`
}

// Defaults of the synthetic block.
const (
	DefaultSyntheticCount     = 10
	DefaultSyntheticTokenizer = tokenize.O200kBase
	// MaxSyntheticTokens bounds a prompt's length.
	MaxSyntheticTokens = 1 << 20
)

// ApplyDefaults implements config.BlockDefaulter.
func (s *SyntheticSpec) ApplyDefaults(written func(key string) bool) {
	if s.Count == 0 && !written("count") {
		s.Count = DefaultSyntheticCount
	}
	if s.Tokenizer == "" {
		s.Tokenizer = DefaultSyntheticTokenizer
	}
}

// Check implements config.BlockChecker: one way to give the input
// lengths, a prefix shorter than every prompt, a known tokenizer, at
// least one prompt per group. (That the lengths are given is the
// source's rule, see Synthetic.CheckDataset: every experiment has the
// block, written or not.)
func (s *SyntheticSpec) Check() []config.Problem {
	var out []config.Problem
	add := func(path, msg string) { out = append(out, config.Problem{Path: path, Message: msg}) }
	ranged := s.InputMin > 0 || s.InputMax > 0
	if s.Count < 1 {
		add("count", fmt.Sprintf("must be >= 1, got %d", s.Count))
	}
	switch {
	case len(s.InputTokens) > 0 && ranged:
		add("input_tokens", "give input_tokens or input_min and input_max, not both")
	case ranged && (s.InputMin < 1 || s.InputMax < s.InputMin):
		add("input_max", fmt.Sprintf("must be >= input_min >= 1, got input_min %d, input_max %d", s.InputMin, s.InputMax))
	case ranged && s.InputStddev > 0:
		add("input_stddev", "applies to input_tokens, not to a uniform input_min..input_max")
	}
	if lo := s.shortest(); lo > 0 && s.PrefixTokens >= lo {
		add("prefix_tokens", fmt.Sprintf("must be less than the shortest input length (%d)", lo))
	}
	if hi := slices.Max(append([]int{s.InputMax}, s.InputTokens...)); hi > MaxSyntheticTokens {
		add("input_tokens", fmt.Sprintf("at most %d tokens, got %d", MaxSyntheticTokens, hi))
	}
	if s.Tokenizer != "" && !slices.Contains(tokenize.Builtin(), s.Tokenizer) {
		add("tokenizer", fmt.Sprintf("unknown tokenizer %q (built in: %s)", s.Tokenizer, strings.Join(tokenize.Builtin(), ", ")))
	}
	if d := slices.Compact(slices.Sorted(slices.Values(s.InputTokens))); len(d) != len(s.InputTokens) {
		add("input_tokens", "lists a length twice")
	}
	if d := slices.Compact(slices.Sorted(slices.Values(s.OutputTokens))); len(d) != len(s.OutputTokens) {
		add("output_tokens", "lists a length twice")
	}
	return out
}

// shortest is the shortest input length asked for (0: none).
func (s *SyntheticSpec) shortest() int {
	if len(s.InputTokens) > 0 {
		return slices.Min(s.InputTokens)
	}
	return s.InputMin
}

// Block returns s as a resolved dataset.synthetic block, for specs built in code.
func (s SyntheticSpec) Block() config.Block { return *config.ConfigBlock(&s) }

// syntheticOf returns the dataset.synthetic block of spec, resolved or
// as a manifest recorded it.
func syntheticOf(spec config.DatasetSpec) (SyntheticSpec, error) {
	if s, ok := spec.Synthetic.Config.(*SyntheticSpec); ok {
		return *s, nil
	}
	var s SyntheticSpec
	if err := spec.Synthetic.Decode(&s); err != nil {
		return SyntheticSpec{}, fmt.Errorf("dataset.synthetic: %w", err)
	}
	s.ApplyDefaults(func(string) bool { return false })
	return s, nil
}

// lengthGroup is one sample group: its label and the lengths it asks for.
type lengthGroup struct {
	config.SampleGroup
	ranged bool // input lengths drawn from input_min..input_max
}

// groups lists the sample groups, input lengths outer: the label names
// the input length when several are asked for (or a range), and the
// output length when several are.
func (s *SyntheticSpec) groups() []lengthGroup {
	ins := s.InputTokens
	if len(ins) == 0 {
		ins = []int{0} // the uniform range
	}
	outs := s.OutputTokens
	if len(outs) == 0 {
		outs = []int{0}
	}
	var out []lengthGroup
	for _, in := range ins {
		for _, o := range outs {
			var parts []string
			switch {
			case in == 0:
				parts = append(parts, "in="+strconv.Itoa(s.InputMin)+".."+strconv.Itoa(s.InputMax))
			case len(ins) > 1 || len(outs) == 1:
				parts = append(parts, "in="+strconv.Itoa(in))
			}
			if len(outs) > 1 {
				parts = append(parts, "out="+strconv.Itoa(o))
			}
			g := config.SampleGroup{Label: strings.Join(parts, " "), InputTokens: in, OutputTokens: o}
			if in == 0 {
				g.InputTokens = (s.InputMin + s.InputMax) / 2
			}
			out = append(out, lengthGroup{SampleGroup: g, ranged: in == 0})
		}
	}
	return out
}

// Synthetic generates prompts of chosen input lengths that ask for
// chosen output lengths (the dataset.synthetic block), cut from real
// text: the contexts of the SQuAD file at dataset.path, or the built-in
// corpus. The lengths are exact in the block's tokenizer; the draws are
// seeded by the experiment's seed. Its samples have no gold answer (the
// score stage leaves them unscored). The zero value is ready to use and
// safe for concurrent use.
type Synthetic struct{}

// CheckDataset implements config.DatasetChecker: the block is required,
// and the selection keys are refused (every group needs count prompts).
func (Synthetic) CheckDataset(d config.DatasetSpec) []config.Problem {
	var out []config.Problem
	if s, err := syntheticOf(d); err == nil && len(s.InputTokens) == 0 && s.InputMin == 0 && s.InputMax == 0 {
		out = append(out, config.Problem{Path: SyntheticBlock + ".input_tokens", Message: "is required for source " + SourceSynthetic + " (or input_min and input_max)"})
	}
	for _, k := range []struct {
		key string
		set bool
	}{{"slice", d.Slice != ""}, {"sample", d.Sample > 0}, {"filter", d.Filter != ""}} {
		if k.set {
			out = append(out, config.Problem{Path: k.key, Message: "is not used by source " + SourceSynthetic + ": set synthetic.count"})
		}
	}
	return out
}

// SampleGroups implements config.SampleGrouper: one group per input and
// output length.
func (Synthetic) SampleGroups(d config.DatasetSpec) []config.SampleGroup {
	s, err := syntheticOf(d)
	if err != nil {
		return nil
	}
	var out []config.SampleGroup
	for _, g := range s.groups() {
		out = append(out, g.SampleGroup)
	}
	return out
}

// Load implements pipeline.Loader: Count prompts per group, groups in
// order, their lengths drawn with env.Seed.
func (Synthetic) Load(ctx context.Context, spec config.DatasetSpec, env pipeline.LoadEnv) (*config.Dataset, error) {
	s, err := syntheticOf(spec)
	if err != nil {
		return nil, err
	}
	tok, err := tokenize.Get(s.Tokenizer)
	if err != nil {
		return nil, fmt.Errorf("dataset.synthetic.tokenizer: %w", err)
	}
	text, ds, err := sourceText(ctx, spec, env)
	if err != nil {
		return nil, err
	}
	c, err := newCorpus(tok, text)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ds.Location, err)
	}
	samples, err := s.generate(c, env.Seed)
	if err != nil {
		return nil, err
	}
	ds.Samples, ds.Total = samples, len(samples)
	return ds, nil
}

// sourceText is the text prompts are cut from: the distinct contexts of
// the SQuAD file at spec.Path, or the built-in corpus.
func sourceText(ctx context.Context, spec config.DatasetSpec, env pipeline.LoadEnv) (string, *config.Dataset, error) {
	if spec.Path == "" {
		sum := hexSum([]byte(corpusText))
		if err := verifySum(CorpusLocation, sum, spec.SHA256); err != nil {
			return "", nil, err
		}
		return corpusText, &config.Dataset{Source: SourceSynthetic, Location: CorpusLocation, SHA256: sum}, nil
	}
	sq, err := Squad{}.Load(ctx, config.DatasetSpec{Source: SourceSquad, Path: spec.Path, SHA256: spec.SHA256}, env)
	if err != nil {
		return "", nil, err
	}
	var parts []string
	seen := map[string]bool{}
	for _, x := range sq.Samples {
		if !seen[x.Context] {
			seen[x.Context] = true
			parts = append(parts, x.Context)
		}
	}
	sq.Source, sq.Version, sq.Samples = SourceSynthetic, "", nil
	return strings.Join(parts, "\n\n"), sq, nil
}

// generate builds Count samples per group.
func (s *SyntheticSpec) generate(c *corpus, seed int64) ([]config.Sample, error) {
	r := rand.New(rand.NewPCG(uint64(seed), 0x73796e7468)) // "synth"
	prefix := ""
	if s.PrefixTokens > 0 {
		prefix = c.decode(0, s.PrefixTokens)
	}
	var out []config.Sample
	for _, g := range s.groups() {
		id := strings.NewReplacer("=", "", " ", "-", "..", "-").Replace(g.Label)
		for i := range s.Count {
			n := s.draw(r, g)
			text, err := c.prompt(prefix, n, 1+r.IntN(len(c.ids)))
			if err != nil {
				return nil, fmt.Errorf("synthetic group %s, prompt %d: %w", g.Label, i, err)
			}
			out = append(out, config.Sample{ID: fmt.Sprintf("%s-%03d", id, i), Title: SourceSynthetic, Context: text,
				Group: g.Label, MaxTokens: g.OutputTokens})
		}
	}
	return out, nil
}

// draw is one prompt's input length in group g.
func (s *SyntheticSpec) draw(r *rand.Rand, g lengthGroup) int {
	n := g.InputTokens
	switch {
	case g.ranged:
		n = s.InputMin + r.IntN(s.InputMax-s.InputMin+1)
	case s.InputStddev > 0:
		n = int(math.Round(float64(n) + s.InputStddev*r.NormFloat64()))
	}
	return min(max(n, s.PrefixTokens+1, 1), MaxSyntheticTokens)
}

// corpus is the token ids of the source text, read cyclically.
type corpus struct {
	tok tokenize.Tokenizer
	ids []int
}

// minCorpusTokens is the least text a corpus must have.
const minCorpusTokens = 64

func newCorpus(tok tokenize.Tokenizer, text string) (*corpus, error) {
	ids := tok.Encode(strings.Join(strings.Fields(text), " "))
	if len(ids) < minCorpusTokens {
		return nil, fmt.Errorf("too little text for synthetic prompts: %d tokens, need %d", len(ids), minCorpusTokens)
	}
	return &corpus{tok: tok, ids: ids}, nil
}

// decode is the text of n tokens from off, going round the corpus.
func (c *corpus) decode(off, n int) string {
	ids := make([]int, n)
	for i := range ids {
		ids[i] = c.ids[(off+i)%len(c.ids)]
	}
	return c.tok.Decode(ids)
}

// promptOffsets and promptAdjusts bound the attempts at an exact length:
// cut text at several offsets, each adjusted a few times.
const (
	promptOffsets = 16
	promptAdjusts = 6
)

// prompt returns prefix followed by text cut from off on, exactly n
// tokens long as the tokenizer counts the whole (decoded text may merge
// into fewer tokens, or split into more, at the seams: the cut is
// adjusted by the difference, then moved to the next offset).
func (c *corpus) prompt(prefix string, n, off int) (string, error) {
	base := c.tok.Count(prefix)
	for o := off; o < off+promptOffsets; o++ {
		k := n - base
		for range promptAdjusts {
			if k < 1 {
				break
			}
			s := prefix + c.decode(o, k)
			got := c.tok.Count(s)
			if got == n {
				return s, nil
			}
			k += n - got
		}
	}
	return "", fmt.Errorf("no text of exactly %d tokens found", n)
}
