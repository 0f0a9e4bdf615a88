package config

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// applyEnviron sets the INFERBENCH_ variables of environ that name a value
// of schema s into the tree at root, recording their origin in loc and
// each override in meta. The scalars outside any list are returned
// instead, for viper to apply.
func applyEnviron(root *yaml.Node, loc *locator, s *schema, environ []string, meta *loadMeta) ([]envOverride, Diagnostics) {
	envs, diags := matchEnviron(root, environ, s)
	var viperEnv []envOverride
	for _, ev := range envs {
		if ev.viperKey != "" {
			viperEnv = append(viperEnv, ev)
			continue
		}
		if _, _, err := setPath(root, s, ev.path.raw(), ev.node); err != nil {
			diags = append(diags, Diagnostic{File: "$" + ev.name, Message: err.Error()})
			continue
		}
	}
	for _, ev := range envs {
		loc.origins[ev.path.String()] = "$" + ev.name
		meta.overrides = append(meta.overrides, ev.name+"="+redactOverride(ev.value, ev.leaf))
	}
	return viperEnv, diags
}

// applySets sets each "--set key=value" of sets into the tree at root, in
// order, recording its origin in loc (replacing those of the values it
// overwrites) and the override in meta. It returns the paths set.
func applySets(root *yaml.Node, loc *locator, s *schema, sets []string, meta *loadMeta) ([]yamlPath, Diagnostics) {
	var diags Diagnostics
	var setPaths []yamlPath
	for _, set := range sets {
		key, val, ok := strings.Cut(set, "=")
		origin := "--set " + key
		if !ok || strings.TrimSpace(key) == "" {
			diags = append(diags, Diagnostic{File: "--set " + set, Message: "want key=value"})
			continue
		}
		node, err := parseSetValue(val)
		if err != nil {
			diags = append(diags, Diagnostic{File: origin, Message: err.Error()})
			continue
		}
		p, leaf, err := setPath(root, s, splitSetKey(key), node)
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
	return setPaths, diags
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
