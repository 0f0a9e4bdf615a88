package config

import (
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

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
	if len(segs) == 0 {
		return nil, nil, fmt.Errorf("empty key")
	}
	c := &setCursor{node: root, s: s}
	for i, seg := range segs {
		last := i == len(segs)-1
		var done bool
		var err error
		switch c.s.kind {
		case kindStruct, kindFreeMap:
			next := ""
			if !last {
				next = segs[i+1]
			}
			done, err = c.mapStep(seg, next, last, value)
		case kindList:
			done, err = c.listStep(seg, last, value)
		default:
			return nil, nil, fmt.Errorf("%s is a single value, not a map", c.p)
		}
		if err != nil {
			return nil, nil, err
		}
		if done {
			return c.p, c.s, nil
		}
	}
	return c.p, c.s, nil
}

// setCursor is where setPath has got to: the node, its schema and its path.
type setCursor struct {
	node *yaml.Node
	s    *schema
	p    yamlPath
}

// mapStep moves c to key seg of its map (next is the segment after it),
// creating the map below when it is missing; when last it sets value
// there instead and reports done.
func (c *setCursor) mapStep(seg, next string, last bool, value *yaml.Node) (done bool, err error) {
	s := c.s
	if s.kind == kindStruct {
		s = s.field(seg)
		if s == nil && c.s.load {
			// A key of the block's load model: lint checks it
			// against the model once the tree is complete.
			s = &schema{kind: kindFloat}
		}
		if s == nil {
			where := "at the top level"
			if len(c.p) > 0 {
				where = "in " + c.p.String()
			}
			return false, fmt.Errorf("unknown key %q %s%s", seg, where, orValid(seg, c.s.keys()))
		}
	}
	c.p = c.p.child(seg)
	k, v := mapEntry(c.node, seg)
	if last {
		if k != nil {
			replaceValue(c.node, k, value)
		} else {
			c.node.Content = append(c.node.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: seg}, value)
		}
		c.s = s
		return true, nil
	}
	if s.kind == kindList {
		if v == nil || resolveNode(v).Kind != yaml.SequenceNode {
			return false, fmt.Errorf("no %s at %s", listNoun(seg), next)
		}
	} else if v = resolveNode(v); v == nil || isNull(v) || v.Kind != yaml.MappingNode {
		if s.isLeaf() && s.kind != kindFreeMap {
			return false, fmt.Errorf("%s is a single value, not a map", c.p)
		}
		nv := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		if k != nil {
			replaceValue(c.node, k, nv)
		} else {
			c.node.Content = append(c.node.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: seg}, nv)
		}
		v = nv
	}
	c.node, c.s = resolveNode(v), s
	return false, nil
}

// listStep moves c to the element of its list at index seg, or named seg
// in a list of named things; when last it sets value there instead and
// reports done.
func (c *setCursor) listStep(seg string, last bool, value *yaml.Node) (done bool, err error) {
	noun := listNoun(c.p[len(c.p)-1].key)
	idx, err := strconv.Atoi(seg)
	if err == nil {
		if idx < 0 || idx >= len(c.node.Content) {
			return false, fmt.Errorf("no %s at index %d", noun, idx)
		}
	} else {
		idx = -1
		if c.s.elem.kind == kindStruct && c.s.elem.field("name") != nil {
			for j, e := range c.node.Content {
				if _, nv := mapEntry(resolveNode(e), "name"); nv != nil && nv.Value == seg {
					idx = j
					break
				}
			}
		}
		if idx < 0 {
			return false, fmt.Errorf("no %s named %q", noun, seg)
		}
	}
	c.p = c.p.index(idx)
	if last {
		c.node.Content[idx] = value
		c.s = c.s.elem
		return true, nil
	}
	c.node, c.s = resolveNode(c.node.Content[idx]), c.s.elem
	if c.s.kind != kindStruct || c.node.Kind != yaml.MappingNode {
		return false, fmt.Errorf("%s is not a map", c.p)
	}
	return false, nil
}
