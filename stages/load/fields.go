package load

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/inferbench/inferbench/pipeline/config"
)

// columns is a resolved FieldsSpec: the column name of each Sample field.
// A column named explicitly in the spec must exist; the defaults of the
// optional ones (id, title, is_impossible) may be absent.
type columns struct {
	id, title, context, question, answers, impossible string
	sep                                               string
	idNamed, titleNamed, impossibleNamed              bool
}

func resolveColumns(f FieldsSpec) columns {
	or := func(v, def string) string {
		if v == "" {
			return def
		}
		return v
	}
	return columns{
		id: or(f.ID, "id"), title: or(f.Title, "title"), context: or(f.Context, "context"),
		question: or(f.Question, "question"), answers: or(f.Answers, "answers"),
		impossible: or(f.IsImpossible, "is_impossible"), sep: or(f.AnswersSep, DefaultAnswersSep),
		idNamed: f.ID != "", titleNamed: f.Title != "", impossibleNamed: f.IsImpossible != "",
	}
}

// missingColumnError names a required column absent from a row.
func missingColumnError(name string) error {
	return fmt.Errorf("missing column %q", name)
}

// sample builds the index-th sample (0-based, in source order) from a row
// whose values get looks up by column name. A missing id becomes
// "row-<index>". Answers: see toAnswers. With no is_impossible column, a
// question without answers is unanswerable; with one, its value wins and an
// unanswerable question keeps no answers.
func (c columns) sample(get func(string) (any, bool), index int) (config.Sample, error) {
	var s config.Sample
	str := func(col string, required bool, dst *string) error {
		v, ok := get(col)
		if !ok {
			if required {
				return missingColumnError(col)
			}
			return nil
		}
		t, err := toString(v)
		if err != nil {
			return fmt.Errorf("column %q: %w", col, err)
		}
		*dst = t
		return nil
	}
	if err := str(c.id, c.idNamed, &s.ID); err != nil {
		return s, err
	}
	if s.ID == "" {
		s.ID = "row-" + strconv.Itoa(index)
	}
	if err := str(c.title, c.titleNamed, &s.Title); err != nil {
		return s, err
	}
	if err := str(c.context, true, &s.Context); err != nil {
		return s, err
	}
	if err := str(c.question, true, &s.Question); err != nil {
		return s, err
	}
	v, ok := get(c.answers)
	if !ok {
		return s, missingColumnError(c.answers)
	}
	ans, err := toAnswers(v, c.sep)
	if err != nil {
		return s, fmt.Errorf("column %q: %w", c.answers, err)
	}
	s.Answers = ans
	s.IsImpossible = len(ans) == 0
	if v, ok := get(c.impossible); ok {
		b, err := toBool(v)
		if err != nil {
			return s, fmt.Errorf("column %q: %w", c.impossible, err)
		}
		s.IsImpossible = b
		if b {
			s.Answers = nil
		} else if len(ans) == 0 {
			return s, fmt.Errorf("column %q: no answers but %s is false", c.answers, c.impossible)
		}
	} else if c.impossibleNamed {
		return s, missingColumnError(c.impossible)
	}
	if s.Context == "" {
		return s, fmt.Errorf("column %q: empty", c.context)
	}
	if s.Question == "" {
		return s, fmt.Errorf("column %q: empty", c.question)
	}
	return s, nil
}

// toString accepts strings, numbers (ids) and null (as "").
func toString(v any) (string, error) {
	switch t := v.(type) {
	case nil:
		return "", nil
	case string:
		return t, nil
	case json.Number:
		return t.String(), nil
	case float64:
		return strconv.FormatFloat(t, 'g', -1, 64), nil
	case bool:
		return strconv.FormatBool(t), nil
	}
	return "", fmt.Errorf("want a string, got %s", kind(v))
}

// toAnswers accepts a list of strings, a list of SQuAD answer objects
// ({"text": ...}), a HuggingFace answers object ({"text": [...]}), a string
// holding a JSON list of strings, or a string split on sep (each part
// trimmed, empty parts dropped). Duplicates are kept.
func toAnswers(v any, sep string) ([]string, error) {
	switch t := v.(type) {
	case nil:
		return nil, nil
	case string:
		s := strings.TrimSpace(t)
		if strings.HasPrefix(s, "[") {
			var list []string
			if err := json.Unmarshal([]byte(s), &list); err == nil {
				return list, nil
			}
		}
		var out []string
		for _, p := range strings.Split(s, sep) {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
		return out, nil
	case []any:
		out := make([]string, 0, len(t))
		for i, e := range t {
			if m, ok := e.(map[string]any); ok {
				e = m["text"]
			}
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("answers[%d]: want a string or {\"text\": string}, got %s", i, kind(e))
			}
			out = append(out, s)
		}
		return out, nil
	case map[string]any:
		txt, ok := t["text"]
		if !ok {
			return nil, fmt.Errorf("want an answers object with a \"text\" list")
		}
		return toAnswers(txt, sep)
	}
	return nil, fmt.Errorf("want a list of answers or a %q-separated string, got %s", sep, kind(v))
}

// toBool accepts JSON booleans, 0/1 and the usual spellings; empty is false.
func toBool(v any) (bool, error) {
	switch t := v.(type) {
	case nil:
		return false, nil
	case bool:
		return t, nil
	case json.Number:
		return toBool(t.String())
	case float64:
		return t != 0, nil
	case string:
		switch strings.ToLower(strings.TrimSpace(t)) {
		case "", "0", "false", "no", "f", "n":
			return false, nil
		case "1", "true", "yes", "t", "y":
			return true, nil
		}
		return false, fmt.Errorf("want true or false, got %q", t)
	}
	return false, fmt.Errorf("want true or false, got %s", kind(v))
}

func kind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case json.Number, float64:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}
