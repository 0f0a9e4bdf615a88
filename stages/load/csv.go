package load

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/inferbench/inferbench/pipeline"
	"github.com/inferbench/inferbench/pipeline/config"
)

// CSV loads a comma-separated file with a header row (RFC 4180 quoting,
// read with encoding/csv; a UTF-8 byte order mark is ignored), from a path
// or URL like Squad. DatasetSpec.Fields maps header names onto the sample
// (defaults id, title, context, question, answers, is_impossible); the
// answers cell is a JSON list of strings or a string split on
// fields.answers_sep. A missing id column gives ids "row-<n>", n the
// 0-based question index. A required column absent from the header or from
// a short row is an error naming file:line and the column. The zero value
// is ready to use and safe for concurrent use.
type CSV struct{}

// Load implements pipeline.Loader.
func (CSV) Load(ctx context.Context, spec config.DatasetSpec, env pipeline.LoadEnv) (*config.Dataset, error) {
	return loadTable(ctx, spec, env, SourceCSV, decodeCSV)
}

func decodeCSV(ctx context.Context, data []byte, name string, cols columns) ([]config.Sample, error) {
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\ufeff"))))
	r.FieldsPerRecord = -1 // short rows are reported by column name below
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: empty file, want a header row", name)
	}
	if err != nil {
		return nil, csvError(name, err)
	}
	index := make(map[string]int, len(header))
	for i, h := range header {
		h = strings.TrimSpace(h)
		if _, dup := index[h]; dup {
			return nil, fmt.Errorf("%s:1: column %q appears twice in the header", name, h)
		}
		index[h] = i
	}
	for _, req := range []struct {
		col      string
		required bool
	}{
		{cols.context, true}, {cols.question, true}, {cols.answers, true},
		{cols.id, cols.idNamed}, {cols.title, cols.titleNamed}, {cols.impossible, cols.impossibleNamed},
	} {
		if _, ok := index[req.col]; req.required && !ok {
			return nil, fmt.Errorf("%s:1: missing column %q (the header has %s)", name, req.col, strings.Join(header, ", "))
		}
	}
	var out []config.Sample
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, csvError(name, err)
		}
		if len(out)%1024 == 1023 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		line, _ := r.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" && len(header) > 1 {
			continue // a blank line inside the file
		}
		get := func(col string) (any, bool) {
			i, ok := index[col]
			if !ok || i >= len(rec) {
				return nil, false
			}
			return rec[i], true
		}
		s, err := cols.sample(get, len(out))
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, line, err)
		}
		out = append(out, s)
	}
}

// csvError locates a csv.ParseError as file:line:column.
func csvError(name string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s:%d:%d: %w", name, pe.Line, pe.Column, pe.Err)
	}
	return fmt.Errorf("%s: %w", name, err)
}
