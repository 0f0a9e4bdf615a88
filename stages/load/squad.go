package load

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/inferbench/inferbench/pipeline"
	"github.com/inferbench/inferbench/pipeline/config"
)

// Squad loads the official SQuAD JSON format (v1.1 and v2.0) from a local
// path (relative to LoadEnv.BaseDir) or an http(s) URL. A URL is downloaded
// once into LoadEnv.CacheDir/downloads (file named by a hash of the URL) and
// read from there afterwards. The file's sha256 is recorded in
// Dataset.SHA256 and, when DatasetSpec.SHA256 is set, checked for local
// files and downloads alike. The zero value is ready to use and safe for
// concurrent use.
type Squad struct{}

// Load implements pipeline.Loader. Questions are in file order (articles,
// then paragraphs, then qas); Dataset.Total counts all of them.
func (Squad) Load(ctx context.Context, spec config.DatasetSpec, env pipeline.LoadEnv) (*config.Dataset, error) {
	return loadFile(ctx, spec, env, SourceSquad, func(f fetched) ([]config.Sample, string, error) {
		all, version, err := DecodeSquad(f.data, spec.Version)
		if err != nil {
			return nil, "", fmt.Errorf("%s: %w", f.location, err)
		}
		return all, version, nil
	})
}

// squadShape is what the error for a file that is not SQuAD JSON says was expected.
const squadShape = `want SQuAD JSON {"version": ..., "data": [{"title": ..., "paragraphs": [{"context": ..., "qas": [{"id": ..., "question": ..., "answers": [{"text": ..., "answer_start": ...}]}]}]}]}`

// ErrNotSquad is wrapped by DecodeSquad's error when the input is not SQuAD JSON.
var ErrNotSquad = errors.New("not SQuAD JSON")

type squadFile struct {
	Version string         `json:"version"`
	Data    []squadArticle `json:"data"`
}

type squadArticle struct {
	Title      string           `json:"title"`
	Paragraphs []squadParagraph `json:"paragraphs"`
}

type squadParagraph struct {
	Context string    `json:"context"`
	QAs     []squadQA `json:"qas"`
}

type squadQA struct {
	ID       string `json:"id"`
	Question string `json:"question"`
	Answers  []struct {
		Text string `json:"text"`
	} `json:"answers"`
	// IsImpossible is present only in v2 files. plausible_answers (v2) are
	// deliberately not decoded: they are not gold answers.
	IsImpossible *bool `json:"is_impossible"`
}

// DecodeSquad parses official SQuAD JSON into samples in file order
// (articles, paragraphs, qas). Answers are the answer texts as listed,
// duplicates kept (the official scorer takes the max over them). The
// returned version is "v2.0" when specVersion is "v2.0", the file's
// "version" field says 2.x, or any question carries is_impossible; else
// "v1.1". An unanswerable question (is_impossible: true) has IsImpossible
// set and no answers. Errors wrap ErrNotSquad for input of another shape,
// and name the question (data[i].paragraphs[j].qas[k]) for missing fields.
func DecodeSquad(data []byte, specVersion string) ([]config.Sample, string, error) {
	var f squadFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, "", fmt.Errorf("%w (%s): %w", ErrNotSquad, squadShape, err)
	}
	if f.Data == nil {
		return nil, "", fmt.Errorf("%w: no \"data\" list (%s)", ErrNotSquad, squadShape)
	}
	v2 := specVersion == VersionV2 || f.Version == "v2.0" || f.Version == "2.0"
	n := 0
	for _, a := range f.Data {
		for _, p := range a.Paragraphs {
			n += len(p.QAs)
		}
	}
	out := make([]config.Sample, 0, n)
	for i, a := range f.Data {
		for j, p := range a.Paragraphs {
			for k, q := range p.QAs {
				where := func(msg string) error {
					return fmt.Errorf("data[%d].paragraphs[%d].qas[%d] (id %q): %s", i, j, k, q.ID, msg)
				}
				switch {
				case q.ID == "":
					return nil, "", where("missing id")
				case q.Question == "":
					return nil, "", where("missing question")
				case p.Context == "":
					return nil, "", where("paragraph has no context")
				}
				s := config.Sample{ID: q.ID, Title: a.Title, Context: p.Context, Question: q.Question}
				if q.IsImpossible != nil {
					v2 = true
					s.IsImpossible = *q.IsImpossible
				}
				if !s.IsImpossible {
					if len(q.Answers) == 0 {
						return nil, "", where("no answers and not is_impossible")
					}
					s.Answers = make([]string, len(q.Answers))
					for m, a := range q.Answers {
						s.Answers[m] = a.Text
					}
				}
				out = append(out, s)
			}
		}
	}
	if v2 {
		return out, VersionV2, nil
	}
	return out, VersionV1, nil
}
