package config

import (
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
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

// schemaKind is the shape a YAML value must have.
type schemaKind int

const (
	kindString schemaKind = iota
	kindInt
	kindFloat
	kindBool
	kindDuration
	kindWarmup // a whole number of requests or a duration (LevelWarmup)
	kindStruct
	kindList
	kindFreeMap      // user-keyed map (params.extra): keys keep their case
	kindNumberOrList // params.temperature: a number or a list of numbers
	kindExtract      // score.extract: a list of step names or {regex|expr}
)

// schema describes one YAML value of an Experiment.
type schema struct {
	kind   schemaKind
	fields []schemaField // kindStruct, in declaration order
	elem   *schema       // kindList
	secret bool          // kindString holding a Secret
	// command marks api_key_command, whose echoes are redacted by
	// RedactCommand.
	command bool
	// compile, when set, compiles a non-empty string expression.
	compile func(string) error
	// load marks a platform's load block, whose keys beyond the shared
	// ones depend on its type (see linter.levelsSchema).
	load bool
	// block marks a block a component owns (Block): its keys are those of
	// the config type registered for it (see Registry.AddBlock).
	block bool
}

type schemaField struct {
	key string
	s   *schema
}

// field returns the schema of key, or nil.
func (s *schema) field(key string) *schema {
	for _, f := range s.fields {
		if f.key == key {
			return f.s
		}
	}
	return nil
}

// keys lists the valid keys of a struct schema.
func (s *schema) keys() []string {
	out := make([]string, len(s.fields))
	for i, f := range s.fields {
		out[i] = f.key
	}
	return out
}

// hasSecret reports whether s or anything below it holds a Secret.
func (s *schema) hasSecret() bool {
	if s == nil {
		return false
	}
	if s.secret || (s.elem != nil && s.elem.hasSecret()) {
		return true
	}
	for _, f := range s.fields {
		if f.s.hasSecret() {
			return true
		}
	}
	return false
}

// isLeaf reports whether s is set by one value (a scalar or a list of scalars).
func (s *schema) isLeaf() bool {
	switch s.kind {
	case kindStruct, kindFreeMap:
		return false
	case kindList:
		return s.elem.kind != kindStruct && s.elem.kind != kindList && s.elem.kind != kindFreeMap
	}
	return true
}

var (
	durationType = reflect.TypeOf(Duration(0))
	secretType   = reflect.TypeOf(Secret(""))
	extractType  = reflect.TypeOf(ExtractSpec{})
	blockType    = reflect.TypeOf(Block{})
)

// schemaOf derives the schema of t from its yaml tags and kinds.
func schemaOf(t reflect.Type) *schema {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t {
	case durationType:
		return &schema{kind: kindDuration}
	case levelWarmupType:
		return &schema{kind: kindWarmup}
	case secretType:
		return &schema{kind: kindString, secret: true}
	case extractType:
		return &schema{kind: kindExtract}
	case blockType:
		return &schema{kind: kindStruct, block: true}
	}
	switch t.Kind() {
	case reflect.Struct:
		s := &schema{kind: kindStruct}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			key, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if key == "" || key == "-" {
				continue
			}
			s.fields = append(s.fields, schemaField{key: key, s: schemaOf(f.Type)})
		}
		return s
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Float64 {
			return &schema{kind: kindNumberOrList}
		}
		return &schema{kind: kindList, elem: schemaOf(t.Elem())}
	case reflect.Map:
		return &schema{kind: kindFreeMap}
	case reflect.String:
		return &schema{kind: kindString}
	case reflect.Bool:
		return &schema{kind: kindBool}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return &schema{kind: kindInt}
	case reflect.Float32, reflect.Float64:
		return &schema{kind: kindFloat}
	}
	panic("pipeline: no schema for " + t.String())
}

// experimentSchema is the schema of an experiment file, with the
// expression fields wired to their compilers, without the keys of the
// blocks components own (see Registry.fileSchema).
var experimentSchema = sync.OnceValue(newExperimentSchema)

func newExperimentSchema() *schema {
	s := schemaOf(reflect.TypeOf(Experiment{}))
	s.field("dataset").field("filter").compile = func(src string) error { _, err := CompileFilter(src); return err }
	s.field("metrics").elem.field("expr").compile = func(src string) error { _, err := CompileMetric(src); return err }
	s.field("checks").elem.compile = func(src string) error { _, err := CompileCheck(src); return err }
	s.field("platforms").elem.field("load").load = true
	s.field("platforms").elem.field("api_key_command").command = true
	return s
}

// pathSeg is one step of a YAML path: a map key, or a list index when key is "".
type pathSeg struct {
	key string
	idx int
}

// yamlPath addresses a value in the experiment, printed as
// "platforms[1].concurrency".
type yamlPath []pathSeg

func (p yamlPath) String() string {
	var b strings.Builder
	for _, s := range p {
		if s.key == "" {
			fmt.Fprintf(&b, "[%d]", s.idx)
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(s.key)
	}
	return b.String()
}

// child returns p extended by a map key (never aliasing p).
func (p yamlPath) child(key string) yamlPath {
	out := make(yamlPath, len(p), len(p)+1)
	copy(out, p)
	return append(out, pathSeg{key: key})
}

// index returns p extended by a list index (never aliasing p).
func (p yamlPath) index(i int) yamlPath {
	out := make(yamlPath, len(p), len(p)+1)
	copy(out, p)
	return append(out, pathSeg{idx: i})
}

// hasPrefix reports whether q is p or an ancestor of p.
func (p yamlPath) hasPrefix(q yamlPath) bool {
	if len(q) > len(p) {
		return false
	}
	for i := range q {
		if p[i] != q[i] {
			return false
		}
	}
	return true
}

// parsePath reads the canonical form "a.b[2].c" (also validator namespaces).
func parsePath(s string) yamlPath {
	var p yamlPath
	for _, part := range strings.Split(s, ".") {
		name, rest, _ := strings.Cut(part, "[")
		if name != "" {
			p = append(p, pathSeg{key: name})
		}
		for rest != "" {
			num, after, _ := strings.Cut(rest, "]")
			i, err := strconv.Atoi(num)
			if err != nil {
				p = append(p, pathSeg{key: num})
			} else {
				p = append(p, pathSeg{idx: i})
			}
			rest = strings.TrimPrefix(after, "[")
		}
	}
	return p
}

// locator turns YAML paths into positions: a file position from the node
// tree, or the override that set the value.
type locator struct {
	file string
	root *yaml.Node
	// origins maps a canonical path to the override that set it.
	origins map[string]string
}

// origin returns the override that set p or one of its ancestors.
func (l *locator) origin(p yamlPath) (string, bool) {
	for k := len(p); k > 0; k-- {
		if o, ok := l.origins[p[:k].String()]; ok {
			return o, true
		}
	}
	return "", false
}

// at builds a diagnostic for p located at node n (nil: found from the tree).
func (l *locator) at(p yamlPath, n *yaml.Node, format string, args ...any) Diagnostic {
	d := Diagnostic{Path: p.String(), Message: fmt.Sprintf(format, args...)}
	if o, ok := l.origin(p); ok {
		d.File = o
		return d
	}
	d.File = l.file
	if n == nil {
		n = l.find(p)
	}
	if n != nil {
		d.Line, d.Col = n.Line, n.Column
	}
	return d
}

// find returns the node that best locates p: the key node of a map entry,
// the element node of a list, or for a missing path the deepest existing
// ancestor's value node.
func (l *locator) find(p yamlPath) *yaml.Node {
	cur := l.root
	best := l.root
	for _, seg := range p {
		cur = resolveNode(cur)
		if cur == nil {
			break
		}
		if seg.key != "" {
			k, v := mapEntry(cur, seg.key)
			if k == nil {
				break
			}
			best, cur = k, v
			continue
		}
		if cur.Kind != yaml.SequenceNode || seg.idx < 0 || seg.idx >= len(cur.Content) {
			break
		}
		cur = cur.Content[seg.idx]
		best = cur
	}
	return best
}

// resolveNode follows aliases and document wrappers.
func resolveNode(n *yaml.Node) *yaml.Node {
	for n != nil {
		switch n.Kind {
		case yaml.AliasNode:
			n = n.Alias
		case yaml.DocumentNode:
			if len(n.Content) == 0 {
				return nil
			}
			n = n.Content[0]
		default:
			return n
		}
	}
	return nil
}

// mapEntry returns the key and value nodes of key in mapping m.
func mapEntry(m *yaml.Node, key string) (k, v *yaml.Node) {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i], m.Content[i+1]
		}
	}
	return nil, nil
}

func isNull(n *yaml.Node) bool {
	return n == nil || (n.Kind == yaml.ScalarNode && n.Tag == "!!null")
}

// describeNode names the shape of n for messages.
func describeNode(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a map"
	case yaml.SequenceNode:
		return "a list"
	}
	switch n.Tag {
	case "!!str":
		return fmt.Sprintf("the string %q", n.Value)
	case "!!int", "!!float":
		return "the number " + n.Value
	case "!!bool":
		return "the boolean " + n.Value
	case "!!null":
		return "nothing"
	}
	return fmt.Sprintf("%q (%s)", n.Value, strings.TrimPrefix(n.Tag, "!!"))
}

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
	case kindFreeMap:
		if n.Kind != yaml.MappingNode {
			return l.reject(p, pos, "must be a map, got %s", describeNode(n))
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			if k := n.Content[i]; k.Kind != yaml.ScalarNode || k.Tag != "!!str" {
				return l.reject(p.child(k.Value), k, "keys must be strings, got %s", describeNode(k))
			}
		}
		return true
	case kindList:
		if n.Kind != yaml.SequenceNode {
			return l.reject(p, pos, "must be a list, got %s", describeNode(n))
		}
		for i, e := range n.Content {
			if !l.walk(e, e, s.elem, p.index(i)) {
				n.Content[i] = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null", Line: e.Line, Column: e.Column}
			}
		}
		return true
	case kindNumberOrList:
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
	case kindExtract:
		return l.walkExtract(n, pos, p)
	}
	// Scalars.
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

func kindNoun(k schemaKind) string {
	switch k {
	case kindString:
		return "a string"
	case kindInt:
		return "an integer"
	case kindFloat:
		return "a number"
	case kindBool:
		return "true or false"
	case kindDuration:
		return "a duration"
	case kindWarmup:
		return "a number of requests or a duration"
	}
	return "a value"
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
