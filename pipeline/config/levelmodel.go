package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-playground/validator/v10"
	"github.com/go-viper/mapstructure/v2"

	"go.yaml.in/yaml/v3"
)

// DefaultMaxQueue is how long the client queue of an open-loop level may
// grow (median QueueMs of recent requests, and rising) before the level is
// stopped as saturated, when load.max_queue is not set.
const DefaultMaxQueue = Duration(2_000_000_000)

// Default knee thresholds of closed-loop saturation (see
// LevelsSpec.KneeThroughputGain): less than 10% more throughput for more
// than 50% more median latency.
const (
	DefaultKneeThroughputGain = 0.10
	DefaultKneeLatencyGrowth  = 0.50
)

// LevelModel is a load model component: the decoded config of one `load:`
// block type, registered by the query stage (Registry.AddLevelModel), each
// type with its own config struct. The block's keys other than the common
// ones of LevelsSpec are decoded into it by its yaml tags and checked by its
// validate tags, like vegeta's pacers or benthos's components.
type LevelModel interface {
	// Expand returns the platform's load levels in the order they run.
	// Levels whose rate is decided at run time have RateIndex k > 0 and
	// Rate 0 (see RateChooser). p is the platform the block belongs to,
	// with its scalar concurrency, rate and arrival.
	Expand(p *Platform) []Level
}

// LevelChecker is implemented by a LevelModel with rules beyond its struct
// tags. Check returns each problem with its path under the load block
// ("levels[1]", or "" for the block itself).
type LevelChecker interface {
	Check(p *Platform) []Problem
}

// Problem is one problem a component finds in its configuration (see
// LevelChecker, DatasetChecker): Path is under the component's block.
type Problem struct {
	Path    string
	Message string
}

// RateChooser is implemented by a LevelModel whose later levels run at
// rates decided from the levels before them (GuideLLM's sweep).
// ChooseRates receives the completed request rate (successes per second)
// of every level run so far, by label, and returns the rates of the
// levels with RateIndex 1..n, or an error saying why it cannot.
type RateChooser interface {
	ChooseRates(achieved map[string]float64) ([]float64, error)
}

// LevelsSpec is a platform's `load:` block: its model type, the settings
// every model shares (the engine applies them to each level), and the
// model's own config. The flat shorthand `concurrency: [1, 4, 16]` (or
// `rate: [2, 8]`) is the same as `load: {type: concurrency, levels: [1, 4,
// 16]}`; a scalar concurrency or rate is one level and needs no block.
type LevelsSpec struct {
	// Type names a registered load model (Registry.LevelModels).
	Type string `yaml:"type" json:"type" validate:"required"`
	// MaxDuration bounds each level (0: no bound); a level that reaches it
	// stops sending and the next one starts.
	MaxDuration Duration `yaml:"max_duration" json:"max_duration,omitempty" validate:"gte=0"`
	// MaxErrorRate stops a level as saturated once at least
	// MinRequestsForErrorRate of its requests finished and more than this
	// share failed (0: never).
	MaxErrorRate float64 `yaml:"max_error_rate" json:"max_error_rate,omitempty" validate:"gte=0,lte=1"`
	// MaxQueue stops an open-loop level as saturated when the median client
	// queue time (QueueMs) of its last requests exceeds it and is still
	// rising (DefaultMaxQueue when 0).
	MaxQueue Duration `yaml:"max_queue" json:"max_queue,omitempty" validate:"gte=0"`
	// KneeThroughputGain and KneeLatencyGrowth mark a closed-loop level
	// saturated after the fact (the knee of the curve) when its completed
	// request throughput grew by less than KneeThroughputGain over the
	// previous closed-loop level while its median E2E latency grew by more
	// than KneeLatencyGrowth (shares: 0.10 is 10%; 0 means the defaults
	// DefaultKneeThroughputGain and DefaultKneeLatencyGrowth). See MarkKnees.
	KneeThroughputGain float64 `yaml:"knee_throughput_gain" json:"knee_throughput_gain,omitempty" validate:"gte=0"`
	KneeLatencyGrowth  float64 `yaml:"knee_latency_growth" json:"knee_latency_growth,omitempty" validate:"gte=0"`
	// Requests sizes each level by count, as GuideLLM's max-requests:
	// each level sends Requests requests per model and temperature, the
	// questions cycled and repeats numbered on (0: repeats x questions).
	Requests int `yaml:"requests" json:"requests,omitempty" validate:"gte=0"`
	// Duration sizes each level by time, as GuideLLM's max-seconds: the
	// level sends until Duration has passed since its first request,
	// going round the models and temperatures, the questions cycled and
	// repeats numbered on (with Requests too, whichever ends first).
	Duration Duration `yaml:"duration" json:"duration,omitempty" validate:"gte=0"`
	// Warmup makes each level's first requests warmups: sent at the
	// level's load, kept in the journal with warmup true and left out of
	// the statistics. A number is that many requests per model and
	// temperature, part of the level's requests (or repeats x
	// questions); a duration is the requests sent in the level's first
	// that long.
	Warmup LevelWarmup `yaml:"warmup" json:"warmup,omitzero"`
	// Settings are the block's other keys as written: the model's config.
	Settings map[string]any `yaml:",remain" json:"-"`
	// Model is Settings decoded into the type's config (see
	// Registry.ResolveLevels); nil until resolved.
	Model LevelModel `yaml:"-" json:"-"`
	// Resolved are the levels Model expands to, kept with the experiment
	// (the manifest carries them) so that a run reopened without the
	// registry knows its levels.
	Resolved []Level `yaml:"-" json:"resolved,omitempty"`
}

// Level is one load level of a platform.
type Level struct {
	// Label names the level in cell and group keys ("c=16", "r=8",
	// "sync", "sweep-2"); "" when the platform has one level.
	Label string `json:"label"`
	// Concurrency is the closed-loop worker count, or the open-loop cap (0:
	// none); Rate the open-loop requests per second (0: closed loop, or not
	// yet decided when RateIndex > 0).
	Concurrency int     `json:"concurrency,omitempty"`
	Rate        float64 `json:"rate,omitempty"`
	// RateIndex is k > 0 for the level that runs at the k-th rate a
	// RateChooser decides at run time.
	RateIndex int `json:"rate_index,omitempty"`
	// Group is the label of the sample group the level sends (see
	// SampleGroup), "" for every sample; InputTokens and OutputTokens
	// are that group's lengths.
	Group        string `json:"group,omitempty"`
	InputTokens  int    `json:"input_tokens,omitempty"`
	OutputTokens int    `json:"output_tokens,omitempty"`
}

// RunLevels returns p's levels in the order they run. Without a load
// block it is one level with an empty label and p's concurrency and rate;
// a one-level list has an empty label too, so that such experiments keep
// the keys they had before load levels existed. rates are the rates a
// RateChooser decided (nil: not yet; those levels keep Rate 0). With
// sample groups (SampleGroups), every group runs these levels in turn
// (see crossGroups).
func (p *Platform) RunLevels(rates []float64) []Level {
	return crossGroups(p.loadLevels(rates), p.SampleGroups)
}

// loadLevels returns the levels of p's load alone, as RunLevels
// documents them without sample groups.
func (p *Platform) loadLevels(rates []float64) []Level {
	if p.Levels == nil || len(p.Levels.Resolved) == 0 {
		return []Level{{Concurrency: p.Concurrency, Rate: p.Rate}}
	}
	out := slices.Clone(p.Levels.Resolved)
	for i := range out {
		if k := out[i].RateIndex; k > 0 && k <= len(rates) {
			out[i].Rate = rates[k-1]
		}
	}
	if len(out) == 1 {
		out[0].Label = ""
	}
	return out
}

// OpenLoopLevels reports whether any of p's load levels runs open loop.
func (p *Platform) OpenLoopLevels() bool {
	for _, lv := range p.RunLevels(nil) {
		if lv.Rate > 0 || lv.RateIndex > 0 {
			return true
		}
	}
	return false
}

// AtLevel returns a copy of p set up to run level lv: its concurrency and
// rate, the load block's max_duration when set (its duration when that is
// shorter), and no arrival law nor burstiness for a closed-loop level (an
// open-loop one keeps p's, which LoadExperiment defaults from the
// registry).
func (p Platform) AtLevel(lv Level) Platform {
	p.Concurrency, p.Rate = lv.Concurrency, lv.Rate
	if p.Levels != nil && p.Levels.MaxDuration > 0 {
		p.MaxDuration = p.Levels.MaxDuration
	}
	if p.Levels != nil && p.Levels.Duration > 0 && (p.MaxDuration <= 0 || p.Levels.Duration < p.MaxDuration) {
		p.MaxDuration = p.Levels.Duration // a timed level ends there (levelRunner: not a stop)
	}
	if p.Rate == 0 {
		p.Arrival, p.Burstiness = "", 0
	}
	return p
}

// MarshalJSON writes the block as it reads in a file (type, the shared
// settings, the model's config) plus the resolved levels.
func (l LevelsSpec) MarshalJSON() ([]byte, error) {
	type plain LevelsSpec
	base, err := json.Marshal(plain(l))
	if err != nil {
		return nil, err
	}
	var cfg any = l.Settings
	if l.Model != nil {
		cfg = l.Model
	}
	extra, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(extra, &m); err != nil || len(m) == 0 {
		return base, nil
	}
	var b map[string]json.RawMessage
	if err := json.Unmarshal(base, &b); err != nil {
		return nil, err
	}
	for k, v := range m {
		if _, taken := b[k]; !taken {
			b[k] = v
		}
	}
	return json.Marshal(b)
}

// UnmarshalJSON reads what MarshalJSON writes: the model's keys go to
// Settings (Model stays nil until resolved).
func (l *LevelsSpec) UnmarshalJSON(data []byte) error {
	type plain LevelsSpec
	var p plain
	if err := json.Unmarshal(data, &p); err != nil {
		return err
	}
	var all map[string]any
	if err := json.Unmarshal(data, &all); err != nil {
		return err
	}
	for _, k := range []string{"type", "max_duration", "max_error_rate", "max_queue", "knee_throughput_gain", "knee_latency_growth", "requests", "duration", "warmup", "resolved"} {
		delete(all, k)
	}
	p.Settings = nil
	if len(all) > 0 {
		p.Settings = all
	}
	*l = LevelsSpec(p)
	return nil
}

// ResolveLevels decodes every platform's load block into its registered
// model (Settings into the model's config struct, strictly: unknown keys
// and wrong kinds are problems), checks it (validate tags, then
// LevelChecker) and fills LevelsSpec.Resolved. It returns the problems by
// path ("platforms[1].load.levels[0]"). A block already resolved is left
// as it is.
func (r *Catalog) ResolveLevels(e *Experiment) []Problem {
	var out []Problem
	for i := range e.Platforms {
		p := &e.Platforms[i]
		l := p.Levels
		if l == nil || l.Model != nil {
			continue
		}
		at := pathOf("platforms").index(i).child("load")
		newModel := r.LevelModels[l.Type]
		if newModel == nil {
			if l.Type != "" {
				out = append(out, Problem{at.child("type").String(), fmt.Sprintf("unknown load type %q%s", l.Type, orKnown(l.Type, "types", r.LevelModelNames()))})
			}
			continue
		}
		m := newModel()
		var md mapstructure.Metadata
		dc := &mapstructure.DecoderConfig{Result: m, Metadata: &md}
		decoderConfig(dc)
		dec, err := mapstructure.NewDecoder(dc)
		if err == nil {
			err = dec.Decode(l.Settings)
		}
		if err != nil {
			out = append(out, Problem{at.String(), fmt.Sprintf("type %s: %v", l.Type, err)})
			continue
		}
		bad := false
		for _, k := range md.Unused {
			bad = true
			out = append(out, Problem{at.child(k).String(), fmt.Sprintf("unknown key for load type %s%s", l.Type, orKnown(k, "keys", modelKeys(m)))})
		}
		var fes validator.ValidationErrors
		if errors.As(experimentValidator().Struct(m), &fes) {
			for _, fe := range fes {
				_, ns, _ := strings.Cut(fe.Namespace(), ".")
				bad = true
				out = append(out, Problem{append(at, parsePath(ns)...).String(), fieldMessage(fe)})
			}
		}
		if c, ok := m.(LevelChecker); ok && len(md.Unused) == 0 {
			for _, pr := range c.Check(p) {
				path := at.String()
				if pr.Path != "" {
					path += "." + pr.Path
				}
				bad = true
				out = append(out, Problem{path, pr.Message})
			}
		}
		switch w := l.Warmup; {
		case w.Requests < 0 || w.Duration < 0:
			bad = true
			out = append(out, Problem{at.child("warmup").String(), fmt.Sprintf("must be a number of requests or a duration >= 0, got %s", w)})
		case l.Requests > 0 && w.Requests >= l.Requests:
			bad = true
			out = append(out, Problem{at.child("warmup").String(), fmt.Sprintf("must be less than requests (%d), got %d: a level needs a measured request", l.Requests, w.Requests)})
		case l.Duration > 0 && w.Duration >= l.Duration:
			bad = true
			out = append(out, Problem{at.child("warmup").String(), fmt.Sprintf("must be shorter than duration (%s), got %s: a level needs a measured request", l.Duration, w.Duration)})
		}
		if bad {
			continue
		}
		l.Model = m
		l.Resolved = m.Expand(p)
	}
	return out
}

// resolveLevels resolves e's load blocks with reg (see
// Registry.ResolveLevels) and locates the problems.
func resolveLevels(e *Experiment, loc *locator, reg *Catalog) Diagnostics {
	var out Diagnostics
	for _, pr := range reg.ResolveLevels(e) {
		out = append(out, loc.at(parsePath(pr.Path), nil, "%s", pr.Message))
	}
	return out
}

// modelKeys lists the yaml keys of a model's config struct.
func modelKeys(m LevelModel) []string {
	return append([]string{"type", "max_duration", "max_error_rate", "max_queue", "knee_throughput_gain", "knee_latency_growth", "requests", "duration", "warmup"}, schemaOf(reflect.TypeOf(m)).keys()...)
}

// expandLevelsShorthand rewrites, in every platform of the experiment tree
// root, a list under concurrency or rate into the load block it stands for
// (`concurrency: [1, 4]` -> `load: {type: concurrency, levels: [1, 4]}`),
// keeping the nodes' lines for located errors. A platform that also has a
// load block, or lists under both keys, is left for lint to reject.
func expandLevelsShorthand(root *yaml.Node) {
	ps := resolveNode(mapValue(root, "platforms"))
	if ps == nil || ps.Kind != yaml.SequenceNode {
		return
	}
	for _, p := range ps.Content {
		p = resolveNode(p)
		if p == nil || p.Kind != yaml.MappingNode {
			continue
		}
		if _, l := mapEntry(p, "load"); l != nil {
			continue
		}
		var lists []int
		for i := 0; i+1 < len(p.Content); i += 2 {
			k, v := p.Content[i], resolveNode(p.Content[i+1])
			if (k.Value == "concurrency" || k.Value == "rate") && v != nil && v.Kind == yaml.SequenceNode {
				lists = append(lists, i)
			}
		}
		if len(lists) != 1 {
			continue
		}
		i := lists[0]
		k, v := p.Content[i], p.Content[i+1]
		typ := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: k.Value, Line: k.Line, Column: k.Column}
		block := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: v.Line, Column: v.Column, Content: []*yaml.Node{
			{Kind: yaml.ScalarNode, Tag: "!!str", Value: "type", Line: k.Line, Column: k.Column}, typ,
			{Kind: yaml.ScalarNode, Tag: "!!str", Value: "levels", Line: k.Line, Column: k.Column}, v,
		}}
		p.Content[i] = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "load", Line: k.Line, Column: k.Column}
		p.Content[i+1] = block
	}
}

// loads checks the load blocks' shared settings against the platform.
func (v *validation) loads(e *Experiment) {
	for i, p := range e.Platforms {
		if p.Levels == nil || p.Levels.Model == nil {
			continue
		}
		at := pathOf("platforms").index(i).child("load")
		for _, lv := range p.Levels.Resolved {
			if lv.Rate == 0 && lv.RateIndex == 0 && lv.Concurrency <= 0 {
				v.add(at, nil, "level %s has neither concurrency nor rate", lv.Label)
			}
		}
	}
}

// LevelWarmup is load.warmup: a number of requests (`warmup: 10`) or a
// duration (`warmup: 5s`); the zero value is none.
type LevelWarmup struct {
	Requests int
	Duration Duration
}

var levelWarmupType = reflect.TypeOf(LevelWarmup{})

// String writes the value as it reads in a file.
func (w LevelWarmup) String() string {
	if w.Duration != 0 {
		return w.Duration.String()
	}
	return strconv.Itoa(w.Requests)
}

// MarshalJSON writes a number of requests or a duration string.
func (w LevelWarmup) MarshalJSON() ([]byte, error) {
	if w.Duration != 0 {
		return json.Marshal(w.Duration)
	}
	return json.Marshal(w.Requests)
}

// UnmarshalJSON reads what MarshalJSON writes.
func (w *LevelWarmup) UnmarshalJSON(b []byte) error {
	*w = LevelWarmup{}
	if len(b) > 0 && b[0] == '"' {
		return json.Unmarshal(b, &w.Duration)
	}
	return json.Unmarshal(b, &w.Requests)
}

// warmupHook decodes a whole number or a duration string into LevelWarmup.
func warmupHook(from, to reflect.Type, data any) (any, error) {
	if to != levelWarmupType {
		return data, nil
	}
	switch x := data.(type) {
	case string:
		if n, err := strconv.Atoi(x); err == nil {
			return LevelWarmup{Requests: n}, nil
		}
		d, err := time.ParseDuration(x)
		if err != nil {
			return nil, fmt.Errorf("%q is neither a number of requests nor a duration", x)
		}
		return LevelWarmup{Duration: Duration(d)}, nil
	case int:
		return LevelWarmup{Requests: x}, nil
	case int64:
		return LevelWarmup{Requests: int(x)}, nil
	case uint64:
		return LevelWarmup{Requests: int(x)}, nil
	case float64:
		if x == float64(int(x)) {
			return LevelWarmup{Requests: int(x)}, nil
		}
		return nil, fmt.Errorf("warmup %v: want a whole number of requests or a duration like \"5s\"", x)
	}
	return data, nil
}
