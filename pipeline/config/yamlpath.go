package config

import (
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

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
