package config

import "slices"

// SampleGroup is one group of a dataset whose groups are a dimension of
// the matrix, like load levels: a source that generates prompts of
// chosen lengths has one group per input and output length, and each
// group runs as its own level (see Platform.RunLevels), so that the
// groups are reported, compared and drawn apart.
type SampleGroup struct {
	// Label names the group in level labels ("in=128"); the samples of
	// the group carry it in Sample.Group.
	Label string `json:"label"`
	// InputTokens and OutputTokens are the prompt and answer lengths the
	// group asks for (0: not a length group), the x axis of the curves.
	InputTokens  int `json:"input_tokens,omitempty"`
	OutputTokens int `json:"output_tokens,omitempty"`
}

// SampleGrouper is implemented by a Loader whose samples fall into
// groups that are a dimension of the matrix. SampleGroups returns them in
// the order they run, read from the dataset block alone (not from the
// data), so that the levels are known before anything is loaded; nil or
// one group is no dimension.
type SampleGrouper interface {
	SampleGroups(d DatasetSpec) []SampleGroup
}

// AddSampleGrouper registers the sample groups of source name (see
// SampleGrouper); pipeline.Registry.AddLoader calls it for a loader that
// implements it.
func (r *Catalog) AddSampleGrouper(name string, g SampleGrouper) {
	if r.groupers == nil {
		r.groupers = map[string]SampleGrouper{}
	}
	r.groupers[name] = g
}

// sampleGroups sets every platform's SampleGroups from the dataset's
// source, and reports a load whose rates are decided at run time (its
// levels are chosen from one another and cannot be repeated per group).
func (r *Catalog) sampleGroups(e *Experiment) []Problem {
	g := r.groupers[e.Dataset.Source]
	var groups []SampleGroup
	if g != nil {
		groups = g.SampleGroups(e.Dataset)
	}
	if len(groups) < 2 {
		groups = nil
	}
	var out []Problem
	for i := range e.Platforms {
		p := &e.Platforms[i]
		p.SampleGroups = slices.Clone(groups)
		if groups == nil || p.Levels == nil {
			continue
		}
		for _, lv := range p.Levels.Resolved {
			if lv.RateIndex > 0 {
				out = append(out, Problem{pathOf("platforms").index(i).child("load").String(),
					"decides its rates at run time and cannot be crossed with the dataset's sample groups"})
				break
			}
		}
	}
	return out
}

// crossGroups returns levels run once per sample group, group by group:
// each level labelled by the group's label and its own ("in=128 c=4"),
// or by the group's alone when levels is the platform's one level.
func crossGroups(levels []Level, groups []SampleGroup) []Level {
	if len(groups) < 2 {
		return levels
	}
	out := make([]Level, 0, len(levels)*len(groups))
	for _, g := range groups {
		for _, lv := range levels {
			lv.Group, lv.InputTokens, lv.OutputTokens = g.Label, g.InputTokens, g.OutputTokens
			if lv.Label == "" {
				lv.Label = g.Label
			} else {
				lv.Label = g.Label + " " + lv.Label
			}
			out = append(out, lv)
		}
	}
	return out
}

// LevelPhrase names the level label of platform in a sentence, with its
// leading space: " at load c=8" for a load level, " at in=128" for a level
// of a sample group (whose label says what it is), "" for no label.
func (e *Experiment) LevelPhrase(platform, label string) string {
	if label == "" {
		return ""
	}
	for i := range e.Platforms {
		if e.Platforms[i].Name != platform {
			continue
		}
		for _, lv := range e.Platforms[i].RunLevels(nil) {
			if lv.Label == label && lv.Group != "" {
				return " at " + label
			}
		}
	}
	return " at load " + label
}
