package load

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/inferbench/inferbench/pipeline"
	"github.com/inferbench/inferbench/pipeline/config"
)

// JSONL loads a file of one JSON object per line (blank lines skipped),
// from a path or URL like Squad. DatasetSpec.Fields maps keys onto the
// sample (defaults id, title, context, question, answers, is_impossible);
// answers may be a list of strings, SQuAD or HuggingFace answer objects, or
// a string split on fields.answers_sep. A missing id becomes "row-<n>",
// n the 0-based question index. Errors name file:line. The zero value is
// ready to use and safe for concurrent use.
type JSONL struct{}

// Load implements pipeline.Loader.
func (JSONL) Load(ctx context.Context, spec config.DatasetSpec, env pipeline.LoadEnv) (*config.Dataset, error) {
	return loadTable(ctx, spec, env, SourceJSONL, decodeJSONL)
}

func decodeJSONL(ctx context.Context, data []byte, name string, cols columns) ([]config.Sample, error) {
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	var out []config.Sample
	for line := 1; len(data) > 0; line++ {
		var text []byte
		text, data, _ = bytes.Cut(data, []byte{'\n'})
		text = bytes.TrimSpace(text)
		if len(text) == 0 {
			continue
		}
		if line%1024 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var row map[string]any
		dec := json.NewDecoder(bytes.NewReader(text))
		dec.UseNumber()
		if err := dec.Decode(&row); err != nil {
			return nil, fmt.Errorf("%s:%d: want one JSON object per line: %w", name, line, err)
		}
		if dec.More() {
			return nil, fmt.Errorf("%s:%d: want one JSON object per line, found more after the first", name, line)
		}
		s, err := cols.sample(func(k string) (any, bool) { v, ok := row[k]; return v, ok }, len(out))
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, line, err)
		}
		out = append(out, s)
	}
	return out, nil
}
