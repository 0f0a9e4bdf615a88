package config

import (
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"time"
	"unicode"

	"go.yaml.in/yaml/v3"
)

// Linting reads the experiment as a YAML node tree, before any decoding, and
// checks it against a schema derived by reflection from Experiment's yaml
// tags and field kinds. Every problem is located at the key (or list
// element) that holds it. Values that fail the lint are pruned from the
// tree so that decoding and validation can still run over the rest and all
// problems are reported together.

var snakeRE = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)

// toSnake converts camelCase, kebab-case and Title Case keys to snake_case.
func toSnake(s string) string {
	var b strings.Builder
	rs := []rune(s)
	for i, r := range rs {
		switch {
		case r == '-' || r == ' ':
			b.WriteByte('_')
		case unicode.IsUpper(r):
			if i > 0 && rs[i-1] != '_' && rs[i-1] != '-' && (!unicode.IsUpper(rs[i-1]) || (i+1 < len(rs) && unicode.IsLower(rs[i+1]))) {
				b.WriteByte('_')
			}
			b.WriteRune(unicode.ToLower(r))
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// linter walks a node tree against the schema, collecting diagnostics and
// pruning values that cannot be decoded.
type linter struct {
	loc   *locator
	diags Diagnostics
	// bad holds the canonical paths of pruned values; validation problems
	// at or below them are not reported twice.
	bad []yamlPath
	// reg gives each load block type's keys (see levelsSchema).
	reg *Catalog
}

func (l *linter) report(p yamlPath, pos *yaml.Node, format string, args ...any) {
	l.diags = append(l.diags, l.loc.at(p, pos, format, args...))
}

// reject reports a problem with the value at p and marks it for pruning.
func (l *linter) reject(p yamlPath, pos *yaml.Node, format string, args ...any) bool {
	l.report(p, pos, format, args...)
	l.bad = append(l.bad, p)
	return false
}

// lintRoot lints the experiment document root (a mapping) in place.
func (l *linter) lintRoot(root *yaml.Node) {
	l.walk(root, root, l.reg.fileSchema(), nil)
}

// walk lints value n (located at pos) against s; false means n must be pruned.
func (l *linter) walk(n, pos *yaml.Node, s *schema, p yamlPath) bool {
	if n.Kind == yaml.AliasNode {
		n = resolveNode(n)
	}
	if isNull(n) {
		return true
	}
	switch s.kind {
	case kindStruct:
		return l.walkStruct(n, pos, s, p)
	case kindFreeMap:
		return l.walkFreeMap(n, pos, p)
	case kindList:
		return l.walkList(n, pos, s, p)
	case kindNumberOrList:
		return l.walkNumbers(n, pos, p)
	case kindExtract:
		return l.walkExtract(n, pos, p)
	}
	return l.walkScalar(n, pos, s, p)
}

// walkStruct lints mapping n against struct schema s: a load block
// against its model's keys, a component's block not at all when no
// component registered it.
func (l *linter) walkStruct(n, pos *yaml.Node, s *schema, p yamlPath) bool {
	if n.Kind != yaml.MappingNode {
		return l.reject(p, pos, "must be a map, got %s", describeNode(n))
	}
	if s.load {
		var known bool
		if s, known = l.levelsSchema(n, s); !known {
			return true // resolving the block reports its type
		}
	}
	if s.block {
		return true // no component registered it: resolving reports it
	}
	l.walkMap(n, s, p)
	return true
}

// walkFreeMap lints a user-keyed map (params.extra): any string keys.
func (l *linter) walkFreeMap(n, pos *yaml.Node, p yamlPath) bool {
	if n.Kind != yaml.MappingNode {
		return l.reject(p, pos, "must be a map, got %s", describeNode(n))
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i]; k.Kind != yaml.ScalarNode || k.Tag != "!!str" {
			return l.reject(p.child(k.Value), k, "keys must be strings, got %s", describeNode(k))
		}
	}
	return true
}

// walkList lints each element of list n against s.elem, replacing the
// elements that must be pruned by null.
func (l *linter) walkList(n, pos *yaml.Node, s *schema, p yamlPath) bool {
	if n.Kind != yaml.SequenceNode {
		return l.reject(p, pos, "must be a list, got %s", describeNode(n))
	}
	for i, e := range n.Content {
		if !l.walk(e, e, s.elem, p.index(i)) {
			n.Content[i] = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null", Line: e.Line, Column: e.Column}
		}
	}
	return true
}

// walkNumbers lints params.temperature: a number or a list of numbers.
func (l *linter) walkNumbers(n, pos *yaml.Node, p yamlPath) bool {
	if n.Kind == yaml.ScalarNode && (n.Tag == "!!int" || n.Tag == "!!float") {
		return true
	}
	if n.Kind != yaml.SequenceNode {
		return l.reject(p, pos, "must be a number or a list of numbers, got %s", describeNode(n))
	}
	ok := true
	for i, e := range n.Content {
		if e.Kind != yaml.ScalarNode || (e.Tag != "!!int" && e.Tag != "!!float") {
			ok = l.reject(p.index(i), e, "must be a number, got %s", describeNode(e))
		}
	}
	return ok
}

// walkScalar lints a single value against the scalar schema s, compiling
// an expression where s has a compiler.
func (l *linter) walkScalar(n, pos *yaml.Node, s *schema, p yamlPath) bool {
	if n.Kind != yaml.ScalarNode {
		hint := ""
		if s.kind == kindString && n.Kind == yaml.SequenceNode && n.Style&yaml.FlowStyle != 0 && len(p) > 0 {
			// An unquoted "[1:4]" reads as a list holding "1:4".
			items := make([]string, len(n.Content))
			for i, c := range n.Content {
				items[i] = c.Value
			}
			hint = fmt.Sprintf("; quote it: %s: %q", p[len(p)-1].key, "["+strings.Join(items, ", ")+"]")
		}
		return l.reject(p, pos, "must be %s, got %s%s", kindNoun(s.kind), describeNode(n), hint)
	}
	switch s.kind {
	case kindString:
		if n.Tag != "!!str" {
			return l.reject(p, pos, "must be a string, got %s (quote it)", describeNode(n))
		}
		if s.compile != nil && strings.TrimSpace(n.Value) != "" {
			if err := s.compile(n.Value); err != nil {
				return l.reject(p, pos, "%v", err)
			}
		}
	case kindInt:
		if n.Tag != "!!int" {
			return l.reject(p, pos, "must be an integer, got %s", describeNode(n))
		}
	case kindFloat:
		if n.Tag != "!!int" && n.Tag != "!!float" {
			return l.reject(p, pos, "must be a number, got %s", describeNode(n))
		}
	case kindBool:
		if n.Tag != "!!bool" {
			return l.reject(p, pos, "must be true or false, got %s", describeNode(n))
		}
	case kindDuration:
		if _, err := time.ParseDuration(n.Value); err != nil {
			return l.reject(p, pos, "must be a duration like \"600ms\" or \"2m\", got %s", describeNode(n))
		}
	case kindWarmup:
		if _, err := time.ParseDuration(n.Value); err != nil && n.Tag != "!!int" {
			return l.reject(p, pos, "must be a number of requests or a duration like \"5s\", got %s", describeNode(n))
		}
	}
	return true
}

// levelsSchema returns the schema of load block n: the shared keys of s plus
// the keys of the config of the model its type names; false for an
// unknown type, which resolving the block reports.
func (l *linter) levelsSchema(n *yaml.Node, s *schema) (*schema, bool) {
	_, t := mapEntry(n, "type")
	if t == nil || l.reg.LevelModels[t.Value] == nil {
		return s, false
	}
	merged := *s
	merged.load = false
	merged.fields = append(append([]schemaField(nil), s.fields...), schemaOf(reflect.TypeOf(l.reg.LevelModels[t.Value]())).fields...)
	return &merged, true
}

// walkMap lints the entries of mapping n against struct schema s, pruning
// unknown keys, duplicates and bad values.
func (l *linter) walkMap(n *yaml.Node, s *schema, p yamlPath) {
	seen := map[string]*yaml.Node{}
	kept := n.Content[:0]
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		key := k.Value
		cp := p.child(key)
		switch {
		case k.Kind != yaml.ScalarNode:
			l.reject(p, k, "keys must be names, got %s", describeNode(k))
			continue
		case seen[key] != nil:
			l.reject(cp, k, "duplicate key (first set at line %d)", seen[key].Line)
			continue
		}
		seen[key] = k
		fs := s.field(key)
		if fs == nil {
			l.reject(cp, k, "%s", unknownKey(key, s.keys()))
			continue
		}
		if !l.walk(v, k, fs, cp) {
			continue
		}
		kept = append(kept, k, v)
	}
	n.Content = kept
}

// unknownKey words the problem with key, suggesting the closest valid key.
func unknownKey(key string, valid []string) string {
	if !snakeRE.MatchString(key) {
		snake := toSnake(key)
		for _, v := range valid {
			if v == snake {
				return fmt.Sprintf("key is not snake_case (did you mean %q?)", snake)
			}
		}
		return "unknown key; keys are snake_case" + orValid(snake, valid)
	}
	return "unknown key" + orValid(key, valid)
}

func orValid(key string, valid []string) string {
	if s := suggest(key, valid); s != "" {
		return s
	}
	return " (valid keys: " + strings.Join(valid, ", ") + ")"
}

// walkExtract lints score.extract: a list of step names or a map with
// exactly one of regex and expr, compiling the regex or expr.
func (l *linter) walkExtract(n, pos *yaml.Node, p yamlPath) bool {
	switch n.Kind {
	case yaml.SequenceNode:
		ok := true
		for i, e := range n.Content {
			if e.Kind != yaml.ScalarNode || e.Tag != "!!str" {
				ok = l.reject(p.index(i), e, "must be a step name, got %s", describeNode(e))
			}
		}
		return ok
	case yaml.MappingNode:
		ok := true
		set := 0
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			cp := p.child(k.Value)
			if k.Value != "regex" && k.Value != "expr" {
				ok = l.reject(cp, k, "unknown key%s; extract is a list of steps or a map with one of regex, expr", suggest(k.Value, []string{"regex", "expr"}))
				continue
			}
			set++
			if v.Kind != yaml.ScalarNode || v.Tag != "!!str" {
				ok = l.reject(cp, k, "must be a string, got %s", describeNode(v))
				continue
			}
			if k.Value == "regex" {
				if _, err := regexp.Compile(v.Value); err != nil {
					ok = l.reject(cp, k, "invalid regular expression: %v", err)
				}
			} else if _, err := CompileExtract(v.Value); err != nil {
				ok = l.reject(cp, k, "%v", err)
			}
		}
		if ok && set != 1 {
			return l.reject(p, pos, "set exactly one of regex and expr")
		}
		return ok
	}
	return l.reject(p, pos, "must be a list of step names or a map with regex or expr, got %s", describeNode(n))
}
