package config

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

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
