package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

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
			if pm, ok := p.(map[string]any); ok {
				modelEntries(pm)
			}
			if pm, ok := p.(map[string]any); ok && pm["concurrency"] == json.Number("0") {
				delete(pm, "concurrency")
			}
			if pm, ok := p.(map[string]any); ok {
				if lm, ok := pm["load"].(map[string]any); ok {
					delete(lm, "resolved") // the registry expands the block again
				}
				delete(pm, "sample_groups") // and the source gives them again
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
	root, diags := parseRoot(path, data)
	if root == nil {
		return nil, diags
	}
	loc := &locator{file: path, root: root, origins: map[string]string{}}
	meta := loadMeta{present: map[string]bool{}}

	// Environment first, then --set, so that --set wins.
	viperEnv, envDiags := applyEnviron(root, loc, reg.fileSchema(), opts.Environ, &meta)
	diags = append(diags, envDiags...)
	setPaths, setDiags := applySets(root, loc, reg.fileSchema(), opts.Sets, &meta)
	diags = append(diags, setDiags...)

	expandLevelsShorthand(root)
	diags = append(diags, splitModelEntries(root, loc)...)
	lint := &linter{loc: loc, reg: reg}
	lint.lintRoot(root)
	diags = append(diags, lint.diags...)
	collectPresent(root, nil, meta.present)

	e, decodeDiags := decodeExperiment(path, root, viperEnv, setPaths, meta.present)
	diags = append(diags, decodeDiags...)
	if e == nil {
		return nil, diags.Sort()
	}
	e.meta = meta
	diags = append(diags, resolveLevels(e, loc, reg)...)
	diags = append(diags, resolveBlocks(e, loc, reg)...)
	reg.componentDefaults(e)
	e.ApplyDefaults()
	for _, pr := range reg.sampleGroups(e) {
		diags = append(diags, loc.at(parsePath(pr.Path), nil, "%s", pr.Message))
	}

	baseDir := filepath.Dir(path)
	if opts.SkipFileChecks {
		baseDir = skipFileChecks
	}
	diags = append(diags, validateExperiment(e, loc, lint.bad, reg, baseDir)...)
	if len(diags) > 0 {
		return nil, diags.Sort()
	}
	reg.resolveTokenizers(e, baseDir)
	return e, nil
}

// parseRoot parses data as YAML and returns its root mapping (an empty
// one for an empty file), or nil and the problem.
func parseRoot(path string, data []byte) (*yaml.Node, Diagnostics) {
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
	return root, nil
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
