package config

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// NoTokenizer is the tokenizer value that says a model has none, even when
// its name implies one.
const NoTokenizer = "none"

// TokenizerRules is the registration of the tokenizers that
// platforms[].tokenizer and model entries may name, so that pipeline
// names none of them: the query stage registers the built-ins of its
// tokenizer package.
type TokenizerRules struct {
	// Names are the built-in tokenizers.
	Names []string
	// ForModel is the built-in a model name implies, "" for none.
	ForModel func(model string) string
	// IsPath reports whether a value is the path of a tokenizer file
	// rather than a name.
	IsPath func(value string) bool
	// CheckFile reads the tokenizer file at an absolute path and returns
	// why it cannot serve (nil when it can).
	CheckFile func(path string) error
}

// AddTokenizers registers the tokenizers; a second registration panics (a
// programming error).
func (r *Catalog) AddTokenizers(t TokenizerRules) {
	if r.tokenizers != nil {
		panic("pipeline: tokenizers registered twice")
	}
	r.tokenizers = &t
}

// ModelTokenizer is the tokenizer of the i-th model once loaded (see
// Tokenizers): a built-in name or an absolute path, "" for none.
func (p *Platform) ModelTokenizer(i int) string {
	if i < 0 || i >= len(p.Tokenizers) || p.Tokenizers[i] == NoTokenizer {
		return ""
	}
	return p.Tokenizers[i]
}

// tokenizers checks every tokenizer value written in the file or set by
// an override: a built-in name, none, or a tokenizer file that exists
// (relative to baseDir) and can be read. A model entry's value is
// reported at platforms[i].models[j].tokenizer.
func (v *validation) tokenizers(e *Experiment, reg *Catalog, baseDir string) {
	t := reg.tokenizers
	if t == nil {
		return
	}
	for i, p := range e.Platforms {
		at := pathOf("platforms").index(i)
		if p.Tokenizer != "" {
			v.tokenizer(t, p.Tokenizer, at.child("tokenizer"), at.child("tokenizer"), baseDir)
		}
		for j, tok := range p.Tokenizers {
			if tok != "" && j < len(p.Models) {
				v.tokenizer(t, tok, at.child("models").index(j).child("tokenizer"), at.child("tokenizers").index(j), baseDir)
			}
		}
	}
}

// tokenizer checks one value, reported at path show and located at the
// node of path node.
func (v *validation) tokenizer(t *TokenizerRules, value string, show, node yamlPath, baseDir string) {
	if v.blocked(node) {
		return
	}
	n := v.loc.find(node)
	switch {
	case value == NoTokenizer:
	case t.IsPath(value):
		if baseDir == skipFileChecks {
			return
		}
		p := tokenizerPath(value, baseDir)
		if _, err := os.Stat(p); err != nil {
			if os.IsNotExist(err) {
				v.diags = append(v.diags, v.loc.at(show, n, "file not found: %s", p))
			} else {
				v.diags = append(v.diags, v.loc.at(show, n, "cannot read: %v", err))
			}
			return
		}
		if err := t.CheckFile(p); err != nil {
			msg := err.Error()
			if !strings.Contains(msg, p) {
				msg = p + ": " + msg
			}
			v.diags = append(v.diags, v.loc.at(show, n, "%s", msg))
		}
	case !slices.Contains(t.Names, value):
		known := append(slices.Clone(t.Names), NoTokenizer)
		v.diags = append(v.diags, v.loc.at(show, n, "unknown tokenizer %q%s (built in: %s; or the path of a tokenizer.json)", value, suggest(value, known), strings.Join(known, ", ")))
	}
}

// tokenizerPath is a tokenizer file's absolute path.
func tokenizerPath(value, baseDir string) string {
	p := value
	if !filepath.IsAbs(p) && baseDir != "" && baseDir != skipFileChecks {
		p = filepath.Join(baseDir, p)
	}
	if abs, err := filepath.Abs(p); err == nil {
		p = abs
	}
	return p
}

// resolveTokenizers sets each platform's Tokenizers to the tokenizer of
// each model (see Platform.Tokenizers) after validation.
func (r *Catalog) resolveTokenizers(e *Experiment, baseDir string) {
	t := r.tokenizers
	if t == nil {
		return
	}
	for i := range e.Platforms {
		p := &e.Platforms[i]
		out := make([]string, len(p.Models))
		some := false
		for j, m := range p.Models {
			v := ""
			if j < len(p.Tokenizers) {
				v = p.Tokenizers[j]
			}
			if v == "" {
				v = p.Tokenizer
			}
			if v == "" && t.ForModel != nil {
				v = t.ForModel(m)
			}
			if v != "" && v != NoTokenizer && t.IsPath(v) {
				v = tokenizerPath(v, baseDir)
			}
			out[j] = v
			some = some || v != ""
		}
		p.Tokenizers = nil
		if some {
			p.Tokenizers = out
		}
	}
}

// modelEntries rewrites a platform of an experiment's JSON encoding into
// the file's shape: its compare_as and tokenizers lists go back onto the
// model entries, models: [{name: m, compare_as: l, tokenizer: t}].
func modelEntries(pm map[string]any) {
	models, ok := pm["models"].([]any)
	if !ok {
		return
	}
	lists := map[string][]any{} // by the model entry's key
	for list, key := range map[string]string{"compare_as": "compare_as", "tokenizers": "tokenizer"} {
		if l, ok := pm[list].([]any); ok {
			lists[key] = l
			delete(pm, list)
		}
	}
	if len(lists) == 0 {
		return
	}
	for i, m := range models {
		entry := map[string]any{"name": m}
		for key, l := range lists {
			if i < len(l) && l[i] != "" {
				entry[key] = l[i]
			}
		}
		models[i] = entry
	}
}
