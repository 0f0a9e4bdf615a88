package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/viper"
	"go.yaml.in/yaml/v3"
)

// EnvPrefix starts every environment variable that overrides an experiment
// value: INFERBENCH_ followed by the YAML path upper-cased with '.' replaced
// by '_' (INFERBENCH_PARAMS_MAX_TOKENS, INFERBENCH_PLATFORMS_0_CONCURRENCY,
// or INFERBENCH_PLATFORMS_METIS_CONCURRENCY for the platform named metis).
const EnvPrefix = "INFERBENCH_"

// LoadOptions are the inputs of LoadExperiment besides the file.
type LoadOptions struct {
	// Sets are "--set key=value" overrides, applied in order after the
	// environment. Keys are YAML paths ("params.max_tokens"); list elements
	// are addressed by index ("platforms.0.rate", "platforms[0].rate") or,
	// for lists of named things, by name ("platforms.metis.rate"). Values
	// are YAML scalars or flow values ("[0, 0.7]", "{ttft: 1s}").
	Sets []string
	// Environ is os.Environ()-style "NAME=value" pairs. Only variables
	// whose name is EnvPrefix plus a schema path of a value apply; other
	// INFERBENCH_ variables (INFERBENCH_SQUAD_DEV, INFERBENCH_CACHE_DIR) are
	// ignored. Values are strings decoded strictly by the target's kind
	// (strconv: "0" is an integer, never false). Lists take "[a, b]" or
	// "a,b". params.extra cannot be set from the environment (its keys keep
	// their case); use --set. Nil means no environment overrides.
	Environ []string
	// Registry supplies the components: dataset sources, level models,
	// arrival laws, export formats and extraction steps, with their
	// configuration, rules and defaults. It is required (a nil Registry is
	// refused).
	Registry CatalogSource
	// SkipFileChecks skips the dataset.path existence check, for an
	// experiment re-read from a run folder whose questions are saved there.
	SkipFileChecks bool
}

// loadMeta is what loading learned that the decoded struct cannot hold.
type loadMeta struct {
	// present holds the canonical YAML paths given a value by the file or
	// an override (so that stream: false and retries: 0 are kept).
	present map[string]bool
	// overrides are the applied overrides, secrets redacted.
	overrides []string
	// defaulted is set by ApplyDefaults; later calls keep explicit zeros.
	defaulted bool
}

// Overrides returns the --set and environment overrides that were applied
// while loading e, in the order applied, as "key=value" (environment ones
// as "INFERBENCH_NAME=value"), with the value redacted when it sets a
// Secret. It is nil for an experiment not made by LoadExperiment.
func (e *Experiment) Overrides() []string {
	return append([]string(nil), e.meta.overrides...)
}

// LoadExperiment reads the experiment file at path, lints it as YAML
// (unknown keys, wrong kinds, non snake_case keys, expressions that do not
// compile), applies the environment and then the --set overrides
// (file < environment < --set), decodes it with viper, applies defaults and
// validates it. It returns the experiment and nil, or nil and every problem
// found, each located in the file or at the override that caused it,
// sorted by position. Relative dataset paths are checked against the
// experiment file's folder. It is safe for concurrent use.
func LoadExperiment(path string, opts LoadOptions) (*Experiment, Diagnostics) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, Diagnostics{{File: path, Message: fmt.Sprintf("read experiment: %v", err)}}
	}
	return loadExperiment(path, data, opts)
}

// ReloadExperiment applies opts' overrides to an experiment that was
// already loaded once (typically the one recorded in a run folder's
// manifest, read from file name) and validates the result like
// LoadExperiment, without the dataset file check.
func ReloadExperiment(name string, base *Experiment, opts LoadOptions) (*Experiment, Diagnostics) {
	data, err := json.Marshal(base) // JSON is YAML; secrets are already redacted
	if err == nil {
		data, err = fileShaped(data)
	}
	if err != nil {
		return nil, Diagnostics{{File: name, Message: fmt.Sprintf("re-encode experiment: %v", err)}}
	}
	opts.SkipFileChecks = true
	return loadExperiment(name, data, opts)
}

// fileShaped rewrites the JSON encoding of an experiment into the shapes an
// experiment file uses where the two differ: score.extract
// {"steps": [...]} becomes the list of steps itself, as it is written in
// YAML, a platform's "concurrency": 0 (an uncapped open loop, which a
// file writes by leaving the key out) is left out, and so are a load
// block's resolved levels. Numbers keep their
// exact text.
func fileShaped(data []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	if ps, ok := m["platforms"].([]any); ok {
		for _, p := range ps {
			if pm, ok := p.(map[string]any); ok && pm["concurrency"] == json.Number("0") {
				delete(pm, "concurrency")
			}
			if pm, ok := p.(map[string]any); ok {
				if lm, ok := pm["load"].(map[string]any); ok {
					delete(lm, "resolved") // the registry expands the block again
				}
			}
		}
	}
	if sc, ok := m["score"].(map[string]any); ok {
		if ex, ok := sc["extract"].(map[string]any); ok {
			if steps, ok := ex["steps"]; ok && len(ex) == 1 {
				sc["extract"] = steps
			}
		}
	}
	return json.Marshal(m)
}

func loadExperiment(path string, data []byte, opts LoadOptions) (*Experiment, Diagnostics) {
	if opts.Registry == nil {
		return nil, Diagnostics{{File: path, Message: "load experiment: no registry (pass stages.NewRegistry())"}}
	}
	reg := opts.Registry.ComponentCatalog()
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, Diagnostics{yamlSyntaxDiagnostic(path, data, err)}
	}
	root := resolveNode(&doc)
	if root == nil || root.Kind == 0 {
		root = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: 1, Column: 1}
	}
	if root.Kind != yaml.MappingNode {
		return nil, Diagnostics{{File: path, Line: root.Line, Col: root.Column, Message: "an experiment must be a map of settings, got " + describeNode(root)}}
	}
	loc := &locator{file: path, root: root, origins: map[string]string{}}
	var diags Diagnostics
	meta := loadMeta{present: map[string]bool{}}

	// Environment first, then --set, so that --set wins.
	envs, envDiags := matchEnviron(root, opts.Environ, reg.fileSchema())
	diags = append(diags, envDiags...)
	var viperEnv []envOverride
	for _, ev := range envs {
		if ev.viperKey != "" {
			viperEnv = append(viperEnv, ev)
			continue
		}
		if _, _, err := setPath(root, reg.fileSchema(), ev.path.raw(), ev.node); err != nil {
			diags = append(diags, Diagnostic{File: "$" + ev.name, Message: err.Error()})
			continue
		}
	}
	for _, ev := range envs {
		loc.origins[ev.path.String()] = "$" + ev.name
		meta.overrides = append(meta.overrides, ev.name+"="+redactOverride(ev.value, ev.leaf))
	}
	var setPaths []yamlPath
	for _, s := range opts.Sets {
		key, val, ok := strings.Cut(s, "=")
		origin := "--set " + key
		if !ok || strings.TrimSpace(key) == "" {
			diags = append(diags, Diagnostic{File: "--set " + s, Message: "want key=value"})
			continue
		}
		node, err := parseSetValue(val)
		if err != nil {
			diags = append(diags, Diagnostic{File: origin, Message: err.Error()})
			continue
		}
		p, leaf, err := setPath(root, reg.fileSchema(), splitSetKey(key), node)
		if err != nil {
			diags = append(diags, Diagnostic{File: origin, Message: err.Error()})
			continue
		}
		for k := range loc.origins {
			if parsePath(k).hasPrefix(p) {
				delete(loc.origins, k)
			}
		}
		loc.origins[p.String()] = origin
		setPaths = append(setPaths, p)
		meta.overrides = append(meta.overrides, key+"="+redactOverride(val, leaf))
	}

	expandLevelsShorthand(root)
	lint := &linter{loc: loc, reg: reg}
	lint.lintRoot(root)
	diags = append(diags, lint.diags...)
	collectPresent(root, nil, meta.present)

	// Decode through a fresh viper: the linted tree (without params.extra,
	// whose keys viper would lower-case) as the config layer, and the
	// environment values not shadowed by a --set as overrides.
	cfg, err := yaml.Marshal(withoutExtra(root))
	if err != nil {
		return nil, append(diags, Diagnostic{File: path, Message: fmt.Sprintf("re-encode experiment: %v", err)}).Sort()
	}
	v := viper.New()
	v.SetConfigType("yaml")
	v.SetEnvPrefix(strings.TrimSuffix(EnvPrefix, "_"))
	v.SetEnvKeyReplacer(strings.NewReplacer(".", "_"))
	if err := v.ReadConfig(bytes.NewReader(cfg)); err != nil {
		return nil, append(diags, Diagnostic{File: path, Message: fmt.Sprintf("read experiment: %v", err)}).Sort()
	}
envLoop:
	for _, ev := range viperEnv {
		for _, sp := range setPaths {
			if ev.path.hasPrefix(sp) {
				continue envLoop
			}
		}
		v.Set(ev.viperKey, ev.value)
		meta.present[ev.path.String()] = true
	}
	var e Experiment
	if err := v.UnmarshalExact(&e, decoderConfig); err != nil {
		diags = append(diags, Diagnostic{File: path, Message: fmt.Sprintf("decode experiment: %v", err)})
	}
	if _, extra := mapEntry(resolveNode(mapValue(root, "params")), "extra"); extra != nil && !isNull(extra) {
		var m map[string]any
		if err := extra.Decode(&m); err == nil {
			e.Params.Extra = m
		}
	}
	e.meta = meta
	diags = append(diags, resolveLevels(&e, loc, reg)...)
	diags = append(diags, resolveBlocks(&e, loc, reg)...)
	reg.componentDefaults(&e)
	e.ApplyDefaults()

	baseDir := filepath.Dir(path)
	if opts.SkipFileChecks {
		baseDir = skipFileChecks
	}
	diags = append(diags, validateExperiment(&e, loc, lint.bad, reg, baseDir)...)
	if len(diags) > 0 {
		return nil, diags.Sort()
	}
	return &e, nil
}

func mapValue(m *yaml.Node, key string) *yaml.Node {
	_, v := mapEntry(m, key)
	return v
}

// withoutExtra returns root with params.extra left out, copying only the
// two mappings it changes.
func withoutExtra(root *yaml.Node) *yaml.Node {
	pk, pv := mapEntry(root, "params")
	pv = resolveNode(pv)
	if pk == nil || pv == nil || pv.Kind != yaml.MappingNode {
		return root
	}
	params := *pv
	params.Content = nil
	for i := 0; i+1 < len(pv.Content); i += 2 {
		if pv.Content[i].Value != "extra" {
			params.Content = append(params.Content, pv.Content[i], pv.Content[i+1])
		}
	}
	out := *root
	out.Content = make([]*yaml.Node, len(root.Content))
	copy(out.Content, root.Content)
	for i := 0; i+1 < len(out.Content); i += 2 {
		if out.Content[i] == pk {
			out.Content[i+1] = &params
		}
	}
	return &out
}

// collectPresent records the canonical path of every non-null value.
func collectPresent(n *yaml.Node, p yamlPath, into map[string]bool) {
	n = resolveNode(n)
	if isNull(n) {
		return
	}
	if len(p) > 0 {
		into[p.String()] = true
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			collectPresent(n.Content[i+1], p.child(n.Content[i].Value), into)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			collectPresent(c, p.index(i), into)
		}
	}
}

// redactOverride returns value, or Redacted when s holds a secret (an
// api_key_command with its secret-looking parts redacted).
func redactOverride(value string, s *schema) string {
	if s.hasSecret() && value != "" {
		return Redacted
	}
	if s != nil && s.command {
		return RedactCommand(value)
	}
	return value
}

// decoderConfig makes viper's decoding strict: yaml tag names, no weak
// typing, every key used, and hooks for the experiment's special shapes
// and for environment strings.
func decoderConfig(c *mapstructure.DecoderConfig) {
	c.TagName = "yaml"
	c.WeaklyTypedInput = false
	c.DecodeHook = mapstructure.ComposeDecodeHookFunc(durationHook, warmupHook, temperatureHook, extractHook, envStringHook)
}

var (
	float64sType = reflect.TypeOf([]float64(nil))
	stringsType  = reflect.TypeOf([]string(nil))
)

// durationHook decodes a duration string (or the number 0) into Duration.
func durationHook(from, to reflect.Type, data any) (any, error) {
	if to != durationType {
		return data, nil
	}
	switch x := data.(type) {
	case string:
		d, err := time.ParseDuration(x)
		if err != nil {
			return nil, fmt.Errorf("%q is not a duration: %w", x, err)
		}
		return Duration(d), nil
	case int, int64, uint64, float64:
		if reflect.ValueOf(x).IsZero() {
			return Duration(0), nil
		}
		return nil, fmt.Errorf("duration %v needs a unit, like \"%vs\"", x, x)
	}
	return data, nil
}

// temperatureHook decodes a number, a list of numbers or a "0,0.7" string
// into []float64.
func temperatureHook(from, to reflect.Type, data any) (any, error) {
	if to != float64sType {
		return data, nil
	}
	switch x := data.(type) {
	case string:
		out := []float64{}
		for _, f := range splitEnvList(x) {
			n, err := strconv.ParseFloat(f, 64)
			if err != nil {
				return nil, fmt.Errorf("%q is not a number", f)
			}
			out = append(out, n)
		}
		return out, nil
	case []any:
		out := make([]float64, 0, len(x))
		for _, e := range x {
			n, ok := numberToFloat(e)
			if !ok {
				return nil, fmt.Errorf("%v is not a number", e)
			}
			out = append(out, n)
		}
		return out, nil
	}
	if n, ok := numberToFloat(data); ok {
		return []float64{n}, nil
	}
	return data, nil
}

func numberToFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case uint64:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

// extractHook decodes a list of step names into ExtractSpec.Steps; a map
// decodes field by field.
func extractHook(from, to reflect.Type, data any) (any, error) {
	if to != extractType {
		return data, nil
	}
	switch x := data.(type) {
	case []any:
		steps := make([]string, 0, len(x))
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("extract step %v is not a name", e)
			}
			steps = append(steps, s)
		}
		return map[string]any{"steps": steps}, nil
	case string:
		return map[string]any{"steps": splitEnvList(x)}, nil
	}
	return data, nil
}

// envStringHook decodes environment strings strictly by the target kind:
// strconv for numbers and booleans, comma lists for []string. YAML values
// never reach it with a string for a non-string field (the lint rejects
// them first).
func envStringHook(from, to reflect.Type, data any) (any, error) {
	s, ok := data.(string)
	if !ok || from.Kind() != reflect.String {
		return data, nil
	}
	switch to.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, to.Bits())
		if err != nil {
			return nil, fmt.Errorf("%q is not an integer", s)
		}
		return reflect.ValueOf(n).Convert(to).Interface(), nil
	case reflect.Float32, reflect.Float64:
		n, err := strconv.ParseFloat(strings.TrimSpace(s), to.Bits())
		if err != nil {
			return nil, fmt.Errorf("%q is not a number", s)
		}
		return reflect.ValueOf(n).Convert(to).Interface(), nil
	case reflect.Bool:
		b, err := strconv.ParseBool(strings.TrimSpace(s))
		if err != nil {
			return nil, fmt.Errorf("%q is not true or false", s)
		}
		return b, nil
	case reflect.Slice:
		if to == stringsType {
			return splitEnvList(s), nil
		}
	}
	return data, nil
}

// splitEnvList reads "a,b", "[a, b]" or "" as a list of trimmed items.
func splitEnvList(s string) []string {
	s = strings.TrimSpace(s)
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	if strings.TrimSpace(s) == "" {
		return []string{}
	}
	parts := strings.Split(s, ",")
	for i := range parts {
		parts[i] = strings.Trim(strings.TrimSpace(parts[i]), `"'`)
	}
	return parts
}

// parseSetValue reads a --set value as a YAML scalar or flow value; an
// empty value is the empty string.
func parseSetValue(val string) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(val), &doc); err != nil {
		return nil, fmt.Errorf("value %q is not YAML: %w", val, err)
	}
	n := resolveNode(&doc)
	if n == nil || n.Kind == 0 {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: ""}, nil
	}
	clearPositions(n)
	return n, nil
}

func clearPositions(n *yaml.Node) {
	n.Line, n.Column = 0, 0
	for _, c := range n.Content {
		clearPositions(c)
	}
}

// splitSetKey splits "platforms[0].concurrency" or "platforms.0.concurrency"
// into raw segments.
func splitSetKey(key string) []string {
	key = strings.NewReplacer("[", ".", "]", "").Replace(strings.TrimSpace(key))
	var out []string
	for _, s := range strings.Split(key, ".") {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// raw turns a canonical path back into setPath segments.
func (p yamlPath) raw() []string {
	out := make([]string, len(p))
	for i, s := range p {
		if s.key == "" {
			out[i] = strconv.Itoa(s.idx)
		} else {
			out[i] = s.key
		}
	}
	return out
}

// listNoun names one element of a list key: "platforms" -> "platform".
func listNoun(key string) string { return strings.TrimSuffix(key, "s") }

// setPath sets the value at segs (keys, list indices or element names) in
// the tree rooted at root to value, creating maps on the way. It returns
// the canonical path and the schema of the value set.
func setPath(root *yaml.Node, s *schema, segs []string, value *yaml.Node) (yamlPath, *schema, error) {
	cur := root
	var p yamlPath
	if len(segs) == 0 {
		return nil, nil, fmt.Errorf("empty key")
	}
	for i, seg := range segs {
		last := i == len(segs)-1
		switch s.kind {
		case kindStruct, kindFreeMap:
			next := s
			if s.kind == kindStruct {
				next = s.field(seg)
				if next == nil && s.load {
					// A key of the block's load model: lint checks it
					// against the model once the tree is complete.
					next = &schema{kind: kindFloat}
				}
				if next == nil {
					where := "at the top level"
					if len(p) > 0 {
						where = "in " + p.String()
					}
					return nil, nil, fmt.Errorf("unknown key %q %s%s", seg, where, orValid(seg, s.keys()))
				}
			}
			p = p.child(seg)
			k, v := mapEntry(cur, seg)
			if last {
				if k != nil {
					replaceValue(cur, k, value)
				} else {
					cur.Content = append(cur.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: seg}, value)
				}
				return p, next, nil
			}
			if next.kind == kindList {
				if v == nil || resolveNode(v).Kind != yaml.SequenceNode {
					return nil, nil, fmt.Errorf("no %s at %s", listNoun(seg), segs[i+1])
				}
			} else if v = resolveNode(v); v == nil || isNull(v) || v.Kind != yaml.MappingNode {
				if next.isLeaf() && next.kind != kindFreeMap {
					return nil, nil, fmt.Errorf("%s is a single value, not a map", p)
				}
				nv := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
				if k != nil {
					replaceValue(cur, k, nv)
				} else {
					cur.Content = append(cur.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: seg}, nv)
				}
				v = nv
			}
			cur, s = resolveNode(v), next
		case kindList:
			noun := listNoun(p[len(p)-1].key)
			idx, err := strconv.Atoi(seg)
			if err == nil {
				if idx < 0 || idx >= len(cur.Content) {
					return nil, nil, fmt.Errorf("no %s at index %d", noun, idx)
				}
			} else {
				idx = -1
				if s.elem.kind == kindStruct && s.elem.field("name") != nil {
					for j, e := range cur.Content {
						if _, nv := mapEntry(resolveNode(e), "name"); nv != nil && nv.Value == seg {
							idx = j
							break
						}
					}
				}
				if idx < 0 {
					return nil, nil, fmt.Errorf("no %s named %q", noun, seg)
				}
			}
			p = p.index(idx)
			if last {
				cur.Content[idx] = value
				return p, s.elem, nil
			}
			cur, s = resolveNode(cur.Content[idx]), s.elem
			if s.kind != kindStruct || cur.Kind != yaml.MappingNode {
				return nil, nil, fmt.Errorf("%s is not a map", p)
			}
		default:
			return nil, nil, fmt.Errorf("%s is a single value, not a map", p)
		}
	}
	return p, s, nil
}

func replaceValue(m, key, value *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i] == key {
			m.Content[i+1] = value
		}
	}
}

// envOverride is one INFERBENCH_ variable that names a schema value.
type envOverride struct {
	name, value string
	path        yamlPath
	leaf        *schema
	// viperKey is the dotted key when the value goes through viper (a
	// scalar outside any list); else node is set into the tree.
	viperKey string
	node     *yaml.Node
}

// matchEnviron finds the INFERBENCH_ variables that name a value of the
// experiment, sorted by name, and checks each value against its kind.
func matchEnviron(root *yaml.Node, environ []string, s *schema) ([]envOverride, Diagnostics) {
	var out []envOverride
	var diags Diagnostics
	for _, kv := range environ {
		name, value, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(name, EnvPrefix) {
			continue
		}
		p, leaf := matchEnv(s, root, strings.TrimPrefix(name, EnvPrefix), nil)
		if leaf == nil {
			continue
		}
		ev := envOverride{name: name, value: value, path: p, leaf: leaf}
		node, err := envNode(leaf, value)
		if err != nil {
			diags = append(diags, Diagnostic{File: "$" + name, Path: p.String(), Message: err.Error()})
			continue
		}
		inList := false
		for _, s := range p {
			inList = inList || s.key == ""
		}
		if !inList && leaf.kind <= kindDuration {
			ev.viperKey = p.String()
		} else {
			ev.node = node
		}
		out = append(out, ev)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out, diags
}

// envNameOf is how a list element's name appears in a variable name.
func envNameOf(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			return r
		}
		return '_'
	}, s)
}

// matchEnv matches rest (a variable name without the prefix) against the
// schema s of node n, returning the path and the schema of the value it
// names, or a nil schema when it names none.
func matchEnv(s *schema, n *yaml.Node, rest string, p yamlPath) (yamlPath, *schema) {
	n = resolveNode(n)
	switch s.kind {
	case kindStruct:
		for _, f := range s.fields {
			if rest == strings.ToUpper(f.key) && (f.s.isLeaf() || f.s.kind == kindExtract) {
				return p.child(f.key), f.s
			}
		}
		for _, f := range s.fields {
			if after, ok := strings.CutPrefix(rest, strings.ToUpper(f.key)+"_"); ok {
				if mp, ms := matchEnv(f.s, mapValue(n, f.key), after, p.child(f.key)); ms != nil {
					return mp, ms
				}
			}
		}
	case kindList:
		if s.elem.kind != kindStruct {
			return nil, nil
		}
		head, after, _ := strings.Cut(rest, "_")
		if idx, err := strconv.Atoi(head); err == nil {
			var e *yaml.Node
			if n != nil && n.Kind == yaml.SequenceNode && idx < len(n.Content) {
				e = n.Content[idx]
			}
			return matchEnv(s.elem, e, after, p.index(idx))
		}
		if n == nil || n.Kind != yaml.SequenceNode {
			return nil, nil
		}
		for i, e := range n.Content {
			_, nv := mapEntry(resolveNode(e), "name")
			if nv == nil || nv.Value == "" {
				continue
			}
			if after, ok := strings.CutPrefix(rest, envNameOf(nv.Value)+"_"); ok {
				if mp, ms := matchEnv(s.elem, e, after, p.index(i)); ms != nil {
					return mp, ms
				}
			}
		}
	}
	return nil, nil
}

// envNode decodes an environment string strictly as a value of schema s.
func envNode(s *schema, val string) (*yaml.Node, error) {
	scalar := func(tag, v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: v} }
	switch s.kind {
	case kindString:
		if s.compile != nil && strings.TrimSpace(val) != "" {
			if err := s.compile(val); err != nil {
				return nil, err
			}
		}
		return scalar("!!str", val), nil
	case kindInt:
		if _, err := strconv.ParseInt(strings.TrimSpace(val), 10, 64); err != nil {
			return nil, fmt.Errorf("must be an integer, got %q", val)
		}
		return scalar("!!int", strings.TrimSpace(val)), nil
	case kindFloat:
		if _, err := strconv.ParseFloat(strings.TrimSpace(val), 64); err != nil {
			return nil, fmt.Errorf("must be a number, got %q", val)
		}
		return scalar("!!float", strings.TrimSpace(val)), nil
	case kindBool:
		b, err := strconv.ParseBool(strings.TrimSpace(val))
		if err != nil {
			return nil, fmt.Errorf("must be true or false, got %q", val)
		}
		return scalar("!!bool", strconv.FormatBool(b)), nil
	case kindDuration:
		if _, err := time.ParseDuration(strings.TrimSpace(val)); err != nil {
			return nil, fmt.Errorf("must be a duration like \"600ms\" or \"2m\", got %q", val)
		}
		return scalar("!!str", strings.TrimSpace(val)), nil
	case kindWarmup:
		t := strings.TrimSpace(val)
		if _, err := strconv.Atoi(t); err == nil {
			return scalar("!!int", t), nil
		}
		if _, err := time.ParseDuration(t); err != nil {
			return nil, fmt.Errorf("must be a number of requests or a duration like \"5s\", got %q", val)
		}
		return scalar("!!str", t), nil
	case kindExtract:
		if t := strings.TrimSpace(val); strings.HasPrefix(t, "{") {
			return parseSetValue(t)
		}
		fallthrough
	case kindList, kindNumberOrList:
		seq := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		for _, item := range splitEnvList(val) {
			if s.kind == kindNumberOrList {
				if _, err := strconv.ParseFloat(item, 64); err != nil {
					return nil, fmt.Errorf("must be a number or a list of numbers, got %q", val)
				}
				seq.Content = append(seq.Content, scalar("!!float", item))
				continue
			}
			seq.Content = append(seq.Content, scalar("!!str", item))
		}
		return seq, nil
	}
	return nil, fmt.Errorf("cannot be set from the environment")
}
