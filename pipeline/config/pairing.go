package config

import (
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Pairing says how a model of a platform was paired with the model of the
// baseline platform it is compared with (see Counterpart).
type Pairing int

const (
	// Unpaired: the baseline platform has no counterpart; not compared.
	Unpaired Pairing = iota
	// PairedByName: the two models have the same compare key (the
	// compare_as label, or else the name).
	PairedByName
	// PairedAsOnlyModels: each platform has one model, neither labelled,
	// and their names differ: paired by position, with a warning.
	PairedAsOnlyModels
)

// CompareKey is what model i of p is paired by across platforms: its
// compare_as label, or else its name.
func (p *Platform) CompareKey(i int) string {
	if i < len(p.CompareAs) && p.CompareAs[i] != "" {
		return p.CompareAs[i]
	}
	return p.Models[i]
}

// Counterpart returns the index in base.Models of the model that model i
// of p is compared with, and how they were paired; -1 and Unpaired when
// there is none. The rule: the model of base with the same compare key
// (CompareKey); else, when each platform has exactly one model and neither
// has a compare_as label, that one (by position); else none. Models are
// never paired by their position in longer lists, where listing them in
// another order would silently compare different models.
func Counterpart(p, base *Platform, i int) (int, Pairing) {
	if i < 0 || i >= len(p.Models) {
		return -1, Unpaired
	}
	key := p.CompareKey(i)
	for j := range base.Models {
		if base.CompareKey(j) == key {
			return j, PairedByName
		}
	}
	if len(p.Models) == 1 && len(base.Models) == 1 && p.CompareKey(0) == p.Models[0] && base.CompareKey(0) == base.Models[0] {
		return 0, PairedAsOnlyModels
	}
	return -1, Unpaired
}

// PairingWarnings words, for every model of a platform other than the
// baseline platform (named baseline), what the pairing rule (see Counterpart) did that a reader may
// not expect: two lone models of different names compared without a
// compare_as label, and models with no counterpart, which are not
// compared. Nil when the baseline names no platform.
func PairingWarnings(e *Experiment, baseline string) []string {
	bi := slices.IndexFunc(e.Platforms, func(p Platform) bool { return p.Name == baseline })
	if bi < 0 {
		return nil
	}
	base := &e.Platforms[bi]
	var out []string
	for pi := range e.Platforms {
		p := &e.Platforms[pi]
		if pi == bi {
			continue
		}
		for i, m := range p.Models {
			at := fmt.Sprintf("platforms[%d].models[%d]", pi, i)
			switch j, how := Counterpart(p, base, i); how {
			case PairedAsOnlyModels:
				out = append(out, fmt.Sprintf("%s: %s/%s is compared with %s/%s, the only model of each platform, though their names differ; give both the same compare_as label to say they are the same model",
					at, p.Name, m, base.Name, base.Models[j]))
			case Unpaired:
				out = append(out, fmt.Sprintf("%s: %s/%s has no counterpart on the baseline platform %s (no model named or labelled %q; models are paired by name or compare_as label, by position only when each platform has one model): it is not compared",
					at, p.Name, m, base.Name, p.CompareKey(i)))
			}
		}
	}
	return out
}

// modelEntryKeys are the keys of a model entry written as an object.
var modelEntryKeys = []string{"name", "compare_as", "tokenizer"}

// splitModelEntries rewrites, in every platform of the tree, model entries
// written as objects ({name: m, compare_as: label, tokenizer: t}) into
// their name, and gathers their labels and tokenizers into the platform's
// compare_as and tokenizers lists (parallel to models; "" for an entry
// without one; no list when no entry has one), which is how
// Platform.CompareAs and Platform.Tokenizers are decoded. It reports
// misspelt keys, one label on two models of a platform, and compare_as or
// tokenizers written on the platform itself.
func splitModelEntries(root *yaml.Node, loc *locator) Diagnostics {
	ps := resolveNode(mapValue(root, "platforms"))
	if ps == nil || ps.Kind != yaml.SequenceNode {
		return nil
	}
	var diags Diagnostics
	for pi, p := range ps.Content {
		p = resolveNode(p)
		if p == nil || p.Kind != yaml.MappingNode {
			continue
		}
		at := pathOf("platforms").index(pi)
		if k, _ := mapEntry(p, "compare_as"); k != nil {
			diags = append(diags, loc.at(at.child("compare_as"), k, "belongs on a model entry: models: [{name: m, compare_as: label}]"))
			continue
		}
		if k, _ := mapEntry(p, "tokenizers"); k != nil {
			diags = append(diags, loc.at(at.child("tokenizers"), k, "write tokenizer: on the platform (all its models) or on a model entry: models: [{name: m, tokenizer: t}]"))
			for i := 0; i+1 < len(p.Content); i += 2 {
				if p.Content[i] == k {
					p.Content = append(p.Content[:i:i], p.Content[i+2:]...)
					break
				}
			}
		}
		ms := resolveNode(mapValue(p, "models"))
		if ms == nil || ms.Kind != yaml.SequenceNode {
			continue
		}
		lists, ds := modelLabels(ms, at.child("models"), loc)
		diags = append(diags, ds...)
		for i, key := range []string{"compare_as", "tokenizers"} {
			if lists[i] != nil {
				k := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key, Line: ms.Line, Column: ms.Column}
				p.Content = append(p.Content, k, lists[i])
			}
		}
	}
	return diags
}

// modelLabels replaces the object entries of the models list ms (at path
// at) by their name and returns the list of labels and the list of
// tokenizers, each nil when no entry has one.
func modelLabels(ms *yaml.Node, at yamlPath, loc *locator) ([2]*yaml.Node, Diagnostics) {
	var diags Diagnostics
	var lists [2]*yaml.Node
	var has [2]bool
	for i := range lists {
		lists[i] = &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Line: ms.Line, Column: ms.Column}
	}
	seen := map[string]int{}
	for i, m := range ms.Content {
		label := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Line: m.Line, Column: m.Column}
		tok := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Line: m.Line, Column: m.Column}
		lists[0].Content = append(lists[0].Content, label)
		lists[1].Content = append(lists[1].Content, tok)
		m = resolveNode(m)
		if m == nil || m.Kind != yaml.MappingNode {
			continue // a name (or a wrong kind, which the lint reports)
		}
		ep := at.index(i)
		var name *yaml.Node
		for j := 0; j+1 < len(m.Content); j += 2 {
			k, v := m.Content[j], resolveNode(m.Content[j+1])
			switch k.Value {
			case "name":
				name = v
			case "tokenizer":
				if v != nil && v.Kind == yaml.ScalarNode {
					*tok = *v
					has[1] = true
				}
			case "compare_as":
				has[0] = true
				if v != nil && v.Kind == yaml.ScalarNode {
					*label = *v
				}
				if first, dup := seen[label.Value]; dup && label.Value != "" {
					diags = append(diags, loc.at(ep.child("compare_as"), v, "%q is also the compare_as of models[%d]; each model of a platform needs its own label", label.Value, first))
				} else if label.Value != "" {
					seen[label.Value] = i
				}
			default:
				diags = append(diags, loc.at(ep.child(k.Value), k, "unknown key in a model entry (keys: %s)", strings.Join(modelEntryKeys, ", ")))
			}
		}
		if name == nil || name.Kind != yaml.ScalarNode {
			// An empty name, which validation reports as required.
			name = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Line: m.Line, Column: m.Column}
		}
		ms.Content[i] = name
	}
	for i := range lists {
		if !has[i] {
			lists[i] = nil
		}
	}
	return lists, diags
}
