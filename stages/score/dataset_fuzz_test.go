package score

import (
	"encoding/json"
	"testing"
)

// FuzzParseDatasetAgreesWithEncodingJSON checks the hand-written SQuAD
// reader against encoding/json: any input that encoding/json reads is
// written back in its canonical form (keys unique, escapes of its own),
// and ParseDataset must read from that what a walk of encoding/json's
// value finds, or fail exactly where the value has a shape the scorer
// cannot read. Any input at all must not make it panic.
func FuzzParseDatasetAgreesWithEncodingJSON(f *testing.F) {
	for _, s := range []string{
		`{"version": "1.1", "data": [{"title": "T", "paragraphs": [{"context": "c", "qas": [{"id": "q1", "question": "?", "answers": [{"text": "caf\u00e9", "answer_start": 0}, {"text": "\ud83d\ude00"}]}]}]}]}`,
		`{"version": "v2.0", "data": [{"paragraphs": [{"qas": [{"id": "q\"2", "is_impossible": true, "answers": [], "plausible_answers": [{"text": "x"}]}]}]}]}`,
		`{"data": [{"paragraphs": [{"qas": [{"id": 3}]}]}]}`,
		`{"data": null}`,
		`{"version": 2, "data": [], "extra": [1, 2.5e3, null, false, {"a": "\ud800"}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ParseDataset(data) // must not panic
		var v any
		if json.Unmarshal(data, &v) != nil {
			return
		}
		canon, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		want, ok := walkDataset(v)
		got, err := ParseDataset(canon)
		if !ok {
			if err == nil {
				t.Fatalf("ParseDataset(%s) read a shape it cannot score", canon)
			}
			return
		}
		if err != nil {
			t.Fatalf("ParseDataset(%s): %v", canon, err)
		}
		if got.Version != want.Version || len(got.Questions) != len(want.Questions) {
			t.Fatalf("ParseDataset(%s) = %+v, want %+v", canon, got, want)
		}
		for i, q := range got.Questions {
			w := want.Questions[i]
			if q.ID != w.ID || q.IsImpossible != w.IsImpossible || len(q.Answers) != len(w.Answers) {
				t.Fatalf("question %d = %+v, want %+v", i, q, w)
			}
			for j := range q.Answers {
				if q.Answers[j] != w.Answers[j] {
					t.Fatalf("question %d answer %d = %q, want %q", i, j, q.Answers[j], w.Answers[j])
				}
			}
		}
	})
}

// walkDataset reads from encoding/json's value what ParseDataset reads
// (exact key names), or false where ParseDataset fails: a top level that
// is not an object, a data, paragraphs, qas or answers that is not a list
// of objects, an id or text that is not a string, an is_impossible that
// is not a boolean.
func walkDataset(v any) (*Dataset, bool) {
	objects := func(v any, present bool) ([]map[string]any, bool) {
		if !present {
			return nil, true
		}
		list, ok := v.([]any)
		if !ok {
			return nil, false
		}
		out := make([]map[string]any, len(list))
		for i, e := range list {
			if out[i], ok = e.(map[string]any); !ok {
				return nil, false
			}
		}
		return out, true
	}
	top, ok := v.(map[string]any)
	if !ok {
		return nil, false
	}
	ds := &Dataset{}
	if s, ok := top["version"].(string); ok {
		ds.Version = s
	}
	d, present := top["data"]
	articles, ok := objects(d, present)
	if !ok {
		return nil, false
	}
	for _, a := range articles {
		p, present := a["paragraphs"]
		paras, ok := objects(p, present)
		if !ok {
			return nil, false
		}
		for _, para := range paras {
			qv, present := para["qas"]
			qas, ok := objects(qv, present)
			if !ok {
				return nil, false
			}
			for _, qa := range qas {
				var q Question
				if id, present := qa["id"]; present {
					if q.ID, ok = id.(string); !ok {
						return nil, false
					}
				}
				if imp, present := qa["is_impossible"]; present {
					if q.IsImpossible, ok = imp.(bool); !ok {
						return nil, false
					}
				}
				av, present := qa["answers"]
				answers, ok := objects(av, present)
				if !ok {
					return nil, false
				}
				for _, an := range answers {
					if tv, present := an["text"]; present {
						text, ok := tv.(string)
						if !ok {
							return nil, false
						}
						q.Answers = append(q.Answers, text)
					}
				}
				ds.Questions = append(ds.Questions, q)
			}
		}
	}
	return ds, true
}
