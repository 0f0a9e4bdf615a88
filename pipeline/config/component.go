package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/go-playground/validator/v10"
	"github.com/go-viper/mapstructure/v2"
)

// Block is a component's own block in an experiment (platforms[].emulate,
// dataset.hf):
// the keys as written, and once resolved against the registry the typed
// config the component registered for the block (Registry.AddBlock).
// pipeline knows none of its keys: lint learns them from the registered
// type, resolving decodes them strictly, checks the type's validate tags
// (and BlockChecker) and applies its defaults (BlockDefaulter).
type Block struct {
	// Settings are the block's keys as written (or as a manifest
	// recorded them).
	Settings map[string]any `yaml:",remain" json:"-" validate:"-"`
	// Config is Settings decoded into the registered config type (a
	// pointer to a struct); nil until resolved.
	Config any `yaml:"-" json:"-" validate:"-"`
}

// ConfigBlock returns a resolved block holding config (a pointer to the
// registered config struct), for experiments built in code.
func ConfigBlock(config any) *Block { return &Block{Config: config} }

// MarshalJSON writes the config (its own JSON keys and order), or the
// settings while the block is not resolved.
func (b Block) MarshalJSON() ([]byte, error) {
	if b.Config != nil {
		return json.Marshal(b.Config)
	}
	if b.Settings == nil {
		return []byte("{}"), nil
	}
	return json.Marshal(b.Settings)
}

// UnmarshalJSON reads the keys into Settings (Config stays nil until resolved).
func (b *Block) UnmarshalJSON(data []byte) error {
	*b = Block{}
	return json.Unmarshal(data, &b.Settings)
}

// Decode fills v (a pointer to the config struct, or to a struct holding
// some of its keys) from the block, resolved or not, through JSON.
func (b *Block) Decode(v any) error {
	data, err := json.Marshal(b)
	if err != nil {
		return err
	}
	return json.Unmarshal(data, v)
}

// BlockDefaulter is implemented by a block config with defaults:
// ApplyDefaults fills them, where written reports whether a key of the
// block was given (so that an explicit zero can be kept).
type BlockDefaulter interface {
	ApplyDefaults(written func(key string) bool)
}

// BlockChecker is implemented by a block config with rules beyond its
// struct tags; Check returns each problem with its path under the block.
type BlockChecker interface {
	Check() []Problem
}

// The kinds of components that own a block: the emulator
// (platforms[].emulate) and the dataset sources' own blocks (dataset.hf,
// dataset.fields).
const (
	KindEmulator     ComponentKind = "emulator"
	KindDatasetBlock ComponentKind = "dataset block"
)

// AddBlock registers newConfig as the config type of the block under key
// (a key of the experiment file that pipeline leaves to a component):
// newConfig returns a fresh pointer to a struct with yaml, json and
// validate tags. It panics when key is registered twice.
func (r *Catalog) AddBlock(kind ComponentKind, key string, newConfig func() any) {
	r.register(kind, key)
	if r.Blocks == nil {
		r.Blocks = map[string]func() any{}
	}
	r.Blocks[key] = newConfig
}

// decodeStrict decodes settings into cfg: unknown keys (with a
// did-you-mean) and wrong kinds are problems, the validate tags are
// checked, each problem located under at.
func decodeStrict(settings map[string]any, cfg any, at yamlPath, what string) []Problem {
	var md mapstructure.Metadata
	dc := &mapstructure.DecoderConfig{Result: cfg, Metadata: &md}
	decoderConfig(dc)
	dec, err := mapstructure.NewDecoder(dc)
	if err == nil {
		err = dec.Decode(settings)
	}
	if err != nil {
		return []Problem{{at.String(), fmt.Sprintf("%s: %v", what, err)}}
	}
	var out []Problem
	keys := schemaOf(reflect.TypeOf(cfg)).keys()
	for _, k := range md.Unused {
		out = append(out, Problem{at.child(k).String(), fmt.Sprintf("unknown key for %s%s", what, orKnown(k, "keys", keys))})
	}
	return append(out, checkTags(cfg, at)...)
}

// checkTags checks cfg's validate tags, each problem located under at.
func checkTags(cfg any, at yamlPath) []Problem {
	var out []Problem
	var fes validator.ValidationErrors
	if errors.As(experimentValidator().Struct(cfg), &fes) {
		for _, fe := range fes {
			_, ns, _ := strings.Cut(fe.Namespace(), ".")
			out = append(out, Problem{append(at, parsePath(ns)...).String(), fieldMessage(fe)})
		}
	}
	return out
}

// checkBlock checks a resolved config: its validate tags, then its
// BlockChecker, each problem located under at.
func checkBlock(cfg any, at yamlPath) []Problem {
	out := checkTags(cfg, at)
	if c, ok := cfg.(BlockChecker); ok && len(out) == 0 {
		for _, pr := range c.Check() {
			out = append(out, Problem{append(at, parsePath(pr.Path)...).String(), pr.Message})
		}
	}
	return out
}

// blocks checks the component blocks resolved before validation (an
// experiment built in code sets their configs itself; LoadExperiment
// resolves only blocks without problems).
func (v *validation) blocks(e *Experiment) {
	eachBlock(reflect.ValueOf(e).Elem(), nil, func(at yamlPath, b *Block) {
		if b.Config == nil {
			return
		}
		for _, pr := range checkBlock(b.Config, at) {
			v.add(parsePath(pr.Path), nil, "%s", pr.Message)
		}
	})
}

// resolveBlocks decodes every platform's component blocks into the types
// registered for them (see Registry.AddBlock), checks them and applies
// their defaults, locating the problems.
func resolveBlocks(e *Experiment, loc *locator, reg *Catalog) Diagnostics {
	var out Diagnostics
	eachBlock(reflect.ValueOf(e).Elem(), nil, func(at yamlPath, b *Block) {
		for _, pr := range reg.resolveBlock(b, at, e.meta.present) {
			out = append(out, loc.at(parsePath(pr.Path), nil, "%s", pr.Message))
		}
	})
	return out
}

// eachBlock calls f with every Block in v (an experiment, or a value
// below it at path at), by its YAML path, so that pipeline finds the
// blocks components own by their type, naming none of them.
func eachBlock(v reflect.Value, at yamlPath, f func(yamlPath, *Block)) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			eachBlock(v.Elem(), at, f)
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			eachBlock(v.Index(i), at.index(i), f)
		}
	case reflect.Struct:
		if v.Type() == blockType {
			f(at, v.Addr().Interface().(*Block))
			return
		}
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			key, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
			if t.Field(i).IsExported() && key != "" && key != "-" {
				eachBlock(v.Field(i), at.child(key), f)
			}
		}
	}
}

// resolveBlock resolves b, the block at path at (nil: none): its
// registered type decoded from the settings, checked and defaulted.
// present holds the paths written in the file.
func (r *Catalog) resolveBlock(b *Block, at yamlPath, present map[string]bool) []Problem {
	if b.Config != nil {
		return nil
	}
	key := at[len(at)-1].key
	newConfig := r.Blocks[key]
	if newConfig == nil && b.Settings == nil {
		return nil // not written, and no component uses it
	}
	if newConfig == nil {
		return []Problem{{at.String(), "no component is registered for " + key}}
	}
	cfg := newConfig()
	if out := decodeStrict(b.Settings, cfg, at, key); len(out) > 0 {
		return out
	}
	if d, ok := cfg.(BlockDefaulter); ok {
		d.ApplyDefaults(func(k string) bool { return present[at.child(k).String()] })
	}
	b.Config = cfg // checked with the experiment (validation.blocks)
	return nil
}

// fileSchema is the schema of an experiment file with each component's
// block (see Registry.AddBlock) read from the type registered for it.
// It is built once per registry.
func (r *Catalog) fileSchema() *schema {
	r.schemaOnce.Do(func() {
		s := newExperimentSchema()
		r.fillBlocks(s)
		r.schema = s
	})
	return r.schema
}

// fillBlocks replaces, in s and below, the schema of each block whose key
// has a registered config type by that type's schema.
func (r *Catalog) fillBlocks(s *schema) {
	if s.elem != nil {
		r.fillBlocks(s.elem)
	}
	for i, f := range s.fields {
		if newConfig := r.Blocks[f.key]; f.s.block && newConfig != nil {
			s.fields[i].s = schemaOf(reflect.TypeOf(newConfig()))
			continue
		}
		r.fillBlocks(f.s)
	}
}
