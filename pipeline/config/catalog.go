package config

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"sync"
)

// DatasetChecker is implemented by a Loader with rules on the dataset
// block beyond the struct tags (a path it needs, keys of its own block it
// requires). CheckDataset returns each problem with its path under
// dataset ("path", "hf.split").
type DatasetChecker interface {
	CheckDataset(d DatasetSpec) []Problem
}

// RequestChecker holds the query stage's rules on the settings it turns
// into requests but the experiment language owns (platforms[].base_url,
// params.extra), so that pipeline names none of them. CheckPlatform
// returns each problem with its path under the platform ("base_url"),
// CheckParams under params ("extra.model").
type RequestChecker interface {
	CheckPlatform(p *Platform) []Problem
	CheckParams(p *Params) []Problem
}

// AddRequestChecker registers the query stage's rules on the settings of
// its requests; a second registration panics (a programming error).
func (r *Catalog) AddRequestChecker(c RequestChecker) {
	if r.requests != nil {
		panic("pipeline: request rules registered twice")
	}
	r.requests = c
}

// ComponentKind names a kind of component that registers itself, with its
// configuration, into a Registry: the experiment names one by a value
// (dataset.source, load.type, platforms[].arrival, export.formats) and
// pipeline learns its names, rules and defaults only from the registry.
type ComponentKind string

// The component kinds.
const (
	KindSource     ComponentKind = "dataset source"
	KindLevelModel ComponentKind = "level model"
	KindArrival    ComponentKind = "arrival law"
	KindFormat     ComponentKind = "export format"
)

// register records name under kind; a duplicate panics (a programming error).
func (r *Catalog) register(kind ComponentKind, name string) {
	if slices.Contains(r.components[kind], name) {
		panic(fmt.Sprintf("pipeline: %s registered twice: %s", kind, name))
	}
	if r.components == nil {
		r.components = map[ComponentKind][]string{}
	}
	r.components[kind] = append(r.components[kind], name)
}

// Components lists the names registered under kind, in registration order.
func (r *Catalog) Components(kind ComponentKind) []string {
	return slices.Clone(r.components[kind])
}

// ArrivalLaw is the registration of an open-loop arrival law: its rules
// and defaults, so that pipeline names none of them.
type ArrivalLaw struct {
	// Default marks the law an open-loop platform that sets no arrival
	// runs with (one law is the default).
	Default bool
	// Shaped marks a law that takes platforms[].burstiness as its shape;
	// DefaultShape is the shape when burstiness is left out.
	Shaped       bool
	DefaultShape float64
}

// AddArrival registers an arrival law; a duplicate name, or a second
// default, panics.
func (r *Catalog) AddArrival(name string, law ArrivalLaw) {
	r.register(KindArrival, name)
	if law.Default && r.DefaultArrival() != "" {
		panic("pipeline: two default arrival laws: " + r.DefaultArrival() + " and " + name)
	}
	if r.Arrivals == nil {
		r.Arrivals = map[string]ArrivalLaw{}
	}
	r.Arrivals[name] = law
}

// DefaultArrival returns the default arrival law, "" when none is registered.
func (r *Catalog) DefaultArrival() string {
	for _, name := range r.components[KindArrival] {
		if r.Arrivals[name].Default {
			return name
		}
	}
	return ""
}

// shapedArrivals lists the arrival laws that take a burstiness, in
// registration order.
func (r *Catalog) shapedArrivals() []string {
	var out []string
	for _, name := range r.components[KindArrival] {
		if r.Arrivals[name].Shaped {
			out = append(out, name)
		}
	}
	return out
}

// AddLevelModel registers the load model type name: newModel returns a
// fresh config (a pointer to a struct with yaml and validate tags) that a
// `load: {type: name, ...}` block is decoded into. It panics when name is
// registered twice.
func (r *Catalog) AddLevelModel(name string, newModel func() LevelModel) {
	if r.LevelModels == nil {
		r.LevelModels = map[string]func() LevelModel{}
	}
	r.register(KindLevelModel, name)
	r.LevelModels[name] = newModel
}

// DefaultFormats are the formats an experiment that sets no
// export.formats writes: every registered one, in registration order.
func (r *Catalog) DefaultFormats() []string { return r.Components(KindFormat) }

// LevelModelNames lists the registered load model types, sorted.
func (r *Catalog) LevelModelNames() []string { return slices.Sorted(maps.Keys(r.LevelModels)) }

// Catalog is the component registry as the experiment language reads it:
// every component's name by kind in registration order, the config types
// of level models and component blocks, the arrival laws, the extraction
// steps, the sources' dataset rules and the query stage's request rules. pipeline.Registry embeds it and
// fills it as stages register; the zero value is empty.
type Catalog struct {
	// LevelModels make the config of each `load:` block type (see
	// LevelModel), registered by the query stage.
	LevelModels map[string]func() LevelModel
	// ExtractSteps are the built-in answer extraction step names, for
	// validating score.extract.
	ExtractSteps []string
	// Blocks are the config types of the blocks components own, by
	// their key (platforms[].emulate); see AddBlock.
	Blocks map[string]func() any
	// Arrivals are the open-loop arrival laws (platforms[].arrival),
	// registered by the rate level model; see AddArrival.
	Arrivals map[string]ArrivalLaw

	// components lists every registered component name by kind, in the
	// order registered (see Components).
	components map[ComponentKind][]string
	// schema is the experiment file's schema with the components' blocks
	// (see fileSchema), built once on first use.
	schemaOnce sync.Once
	schema     *schema
	// checkers are the dataset rules of the sources that have them.
	checkers map[string]DatasetChecker
	// groupers are the sample groups of the sources that have them.
	groupers map[string]SampleGrouper
	// requests are the query stage's rules on the settings of its
	// requests (see AddRequestChecker); nil: none.
	requests RequestChecker
	// tokenizers are the tokenizers the experiment may name (see
	// AddTokenizers); nil: tokenizer values are not checked or inferred.
	tokenizers *TokenizerRules
}

// ComponentCatalog returns c, so that a *Catalog and anything embedding
// one (pipeline.Registry) is a CatalogSource.
func (r *Catalog) ComponentCatalog() *Catalog { return r }

// CatalogSource is what loading and validating an experiment take: the
// registry, read through its Catalog.
type CatalogSource interface {
	ComponentCatalog() *Catalog
}

// AddSource registers dataset source name with its dataset rules (nil:
// none); a duplicate name panics.
func (r *Catalog) AddSource(name string, check DatasetChecker) {
	r.register(KindSource, name)
	if check != nil {
		if r.checkers == nil {
			r.checkers = map[string]DatasetChecker{}
		}
		r.checkers[name] = check
	}
}

// AddFormat registers export format name; a duplicate name panics.
func (r *Catalog) AddFormat(name string) { r.register(KindFormat, name) }

// sortedNames lists the names registered under kind, sorted.
func (r *Catalog) sortedNames(kind ComponentKind) []string {
	out := r.Components(kind)
	sort.Strings(out)
	return out
}
