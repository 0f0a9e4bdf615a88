package pipeline

import (
	"fmt"
	"math"
	"slices"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// Load model types for LoadSpec.Type.
const (
	// LoadConcurrency runs closed-loop levels: Levels are worker counts.
	LoadConcurrency = "concurrency"
	// LoadRate runs open-loop levels: Levels are requests per second, with
	// the platform's arrival, burstiness and concurrency (as a cap).
	LoadRate = "rate"
	// LoadSweep is GuideLLM's sweep profile: a synchronous level
	// (concurrency 1), a throughput level (MaxConcurrency) and then Rates
	// open-loop rates evenly spaced strictly between the request rates the
	// first two levels achieved, decided at run time.
	LoadSweep = "sweep"
)

// Defaults of a load block.
const (
	// DefaultSweepRates is the number of rates a sweep runs between its
	// synchronous and its throughput level.
	DefaultSweepRates = 4
	// DefaultSweepMaxConcurrency is a sweep's throughput-level concurrency
	// and its rate levels' cap on requests in flight.
	DefaultSweepMaxConcurrency = 64
	// DefaultMaxQueue is how long the client queue of an open-loop level may
	// grow (median QueueMs of recent requests, and rising) before the level
	// is stopped as saturated.
	DefaultMaxQueue = Duration(2_000_000_000)
)

// Sweep level labels: the first two levels of a sweep; its rate levels are
// "sweep-1" ... "sweep-N".
const (
	LevelSync       = "sync"
	LevelThroughput = "throughput"
)

// LoadSpec is a platform's load model: which load levels it is measured
// at, one level after the other. Every level is a matrix dimension like
// temperature: each its own group with its own statistics. The flat
// shorthand `concurrency: [1, 4, 16]` (or `rate: [2, 8]`) is the same as
// `load: {type: concurrency, levels: [1, 4, 16]}`; a scalar concurrency or
// rate is one level and needs no load block.
type LoadSpec struct {
	// Type is LoadConcurrency, LoadRate or LoadSweep.
	Type string `yaml:"type" json:"type" validate:"required,oneof=concurrency rate sweep"`
	// Levels are worker counts (concurrency, whole numbers) or requests per
	// second (rate), in the order they run; none for a sweep.
	Levels []float64 `yaml:"levels" json:"levels,omitempty" validate:"dive,gt=0"`
	// MaxDuration bounds each level (0: no bound); a level that reaches it
	// stops sending and the next one starts.
	MaxDuration Duration `yaml:"max_duration" json:"max_duration,omitempty" validate:"gte=0"`
	// Rates is the number of rate levels of a sweep (DefaultSweepRates when 0).
	Rates int `yaml:"rates" json:"rates,omitempty" validate:"gte=0"`
	// MaxConcurrency is a sweep's throughput level and its rate levels' cap
	// (DefaultSweepMaxConcurrency when 0).
	MaxConcurrency int `yaml:"max_concurrency" json:"max_concurrency,omitempty" validate:"gte=0"`
	// MaxErrorRate stops a level as saturated once at least
	// MinRequestsForErrorRate of its requests finished and more than this
	// share failed (0: never).
	MaxErrorRate float64 `yaml:"max_error_rate" json:"max_error_rate,omitempty" validate:"gte=0,lte=1"`
	// MaxQueue stops an open-loop level as saturated when the median client
	// queue time (QueueMs) of its last requests exceeds it and is still
	// rising (DefaultMaxQueue when 0).
	MaxQueue Duration `yaml:"max_queue" json:"max_queue,omitempty" validate:"gte=0"`
}

// LoadLevel is one load level of a platform.
type LoadLevel struct {
	// Label names the level in cell and group keys: "c=16", "r=8",
	// "sync", "throughput", "sweep-2"; "" when the platform has one level.
	Label string
	// Concurrency is the closed-loop worker count, or the open-loop cap (0:
	// none); Rate the open-loop requests per second (0: closed loop, and
	// for a sweep's rate levels until the rate is decided).
	Concurrency int
	Rate        float64
	// SweepIndex is k for the level "sweep-k" (1-based), else 0.
	SweepIndex int
}

// LoadLevels returns p's levels in the order they run. Without a load
// block it is one level with an empty label and p's concurrency and rate;
// a one-level list has an empty label too, so that such experiments keep
// the keys they had before load levels existed. rates are a sweep's
// decided rates (nil: not yet decided; LoadLevel.Rate stays 0).
func (p *Platform) LoadLevels(rates []float64) []LoadLevel {
	l := p.Load
	if l == nil {
		return []LoadLevel{{Concurrency: p.Concurrency, Rate: p.Rate}}
	}
	var out []LoadLevel
	switch l.Type {
	case LoadConcurrency:
		for _, v := range l.Levels {
			out = append(out, LoadLevel{Label: "c=" + strconv.Itoa(int(v)), Concurrency: int(v)})
		}
	case LoadRate:
		for _, v := range l.Levels {
			out = append(out, LoadLevel{Label: "r=" + strconv.FormatFloat(v, 'g', -1, 64), Concurrency: p.Concurrency, Rate: v})
		}
	case LoadSweep:
		mc := l.maxConcurrency()
		out = append(out, LoadLevel{Label: LevelSync, Concurrency: 1}, LoadLevel{Label: LevelThroughput, Concurrency: mc})
		for k := 1; k <= l.rates(); k++ {
			lv := LoadLevel{Label: "sweep-" + strconv.Itoa(k), Concurrency: mc, SweepIndex: k}
			if k-1 < len(rates) {
				lv.Rate = rates[k-1]
			}
			out = append(out, lv)
		}
	}
	if len(out) == 1 {
		out[0].Label = ""
	}
	return out
}

func (l *LoadSpec) rates() int {
	if l.Rates > 0 {
		return l.Rates
	}
	return DefaultSweepRates
}

func (l *LoadSpec) maxConcurrency() int {
	if l.MaxConcurrency > 0 {
		return l.MaxConcurrency
	}
	return DefaultSweepMaxConcurrency
}

// AtLevel returns a copy of p set up to run level lv: its concurrency and
// rate, the load block's max_duration when set, and poisson arrivals for
// a sweep's rate levels when p sets no arrival.
func (p Platform) AtLevel(lv LoadLevel) Platform {
	p.Concurrency, p.Rate = lv.Concurrency, lv.Rate
	if p.Load != nil && p.Load.MaxDuration > 0 {
		p.MaxDuration = p.Load.MaxDuration
	}
	if p.Rate > 0 && p.Arrival == "" {
		p.Arrival = "poisson"
	}
	if p.Rate == 0 {
		p.Arrival, p.Burstiness = "", 0
	}
	return p
}

// SweepRates returns n rates evenly spaced strictly between lo and hi
// (GuideLLM's sweep): lo + k (hi - lo) / (n + 1) for k = 1..n. When hi is
// not above lo (the platform does not scale with concurrency) the rates
// are spaced between lo/2 and lo instead, so that the levels still differ.
func SweepRates(lo, hi float64, n int) []float64 {
	if !(hi > lo) {
		lo, hi = lo/2, lo
	}
	out := make([]float64, n)
	for k := range out {
		r := lo + float64(k+1)*(hi-lo)/float64(n+1)
		out[k] = math.Round(r*1000) / 1000
	}
	return out
}

// expandLoadShorthand rewrites, in every platform of the experiment tree
// root, a list under concurrency or rate into the load block it stands for
// (`concurrency: [1, 4]` -> `load: {type: concurrency, levels: [1, 4]}`),
// keeping the nodes' lines for located errors. A platform that also has a
// load block, or lists under both keys, is left for lint to reject.
func expandLoadShorthand(root *yaml.Node) {
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

// loads checks every platform's load block beyond its struct tags.
func (v *validation) loads(e *Experiment) {
	for i, p := range e.Platforms {
		l := p.Load
		if l == nil {
			continue
		}
		at := pathOf("platforms").index(i).child("load")
		switch l.Type {
		case LoadConcurrency, LoadRate:
			if len(l.Levels) == 0 {
				v.add(at.child("levels"), nil, "needs at least one level for type %s", l.Type)
			}
			for j, x := range l.Levels {
				if l.Type == LoadConcurrency && x != math.Trunc(x) {
					v.add(at.child("levels").index(j), nil, "must be a whole number of requests in flight, got %v", x)
				}
			}
			seen := map[float64]bool{}
			for j, x := range l.Levels {
				if seen[x] {
					v.add(at.child("levels").index(j), nil, "duplicate level %v", x)
				}
				seen[x] = true
			}
			if l.Rates != 0 || l.MaxConcurrency != 0 {
				v.add(at, nil, "rates and max_concurrency apply only to type sweep")
			}
		case LoadSweep:
			if len(l.Levels) > 0 {
				v.add(at.child("levels"), nil, "a sweep decides its levels at run time; set rates (how many) instead")
			}
		}
		if l.Type == LoadConcurrency && p.Rate > 0 {
			v.add(at.child("type"), []yamlPath{pathOf("platforms").index(i).child("rate")}, "concurrency levels run closed loop; remove rate or use type rate")
		}
	}
}

// LevelWatch decides when a running load level is saturated: fed every
// finished non-warmup record of one level, Observe returns a non-empty
// reason once the level should stop. It is not safe for concurrent use.
type LevelWatch struct {
	// MaxErrorRate: see LoadSpec.MaxErrorRate (0: never).
	MaxErrorRate float64
	// MaxQueue: see LoadSpec.MaxQueue (0: never). Only open-loop records
	// carry a queue time.
	MaxQueue Duration

	n, failed int
	queue     []float64
	reason    string
}

// queueWindow is how many recent requests the queue-growth rule looks at:
// the median of the last queueWindow must exceed MaxQueue and the median
// of the queueWindow before them.
const queueWindow = 8

// Observe adds r and returns the saturation reason ("" while the level
// may go on); once a reason is given it is returned for every later call.
func (w *LevelWatch) Observe(r *Record) string {
	if w.reason != "" || r.Warmup {
		return w.reason
	}
	w.n++
	if !r.OK() {
		w.failed++
	}
	if w.MaxErrorRate > 0 && w.n >= MinRequestsForErrorRate {
		if rate := float64(w.failed) / float64(w.n); rate > w.MaxErrorRate {
			w.reason = fmt.Sprintf("error rate %.0f%% above %.0f%% after %d requests", 100*rate, 100*w.MaxErrorRate, w.n)
			return w.reason
		}
	}
	w.queue = append(w.queue, r.QueueMs)
	if w.MaxQueue > 0 && len(w.queue) >= 2*queueWindow {
		last := median(w.queue[len(w.queue)-queueWindow:])
		prev := median(w.queue[len(w.queue)-2*queueWindow : len(w.queue)-queueWindow])
		if limit := float64(w.MaxQueue.D().Milliseconds()); last > limit && last > prev {
			w.reason = fmt.Sprintf("client queue growing: median queue time %.0f ms over the last %d requests (was %.0f ms), above %s", last, queueWindow, prev, w.MaxQueue)
		}
	}
	return w.reason
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
