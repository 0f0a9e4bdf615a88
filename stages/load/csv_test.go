package load

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/inferbench/inferbench/pipeline"
	"github.com/inferbench/inferbench/pipeline/config"
)

func TestCSVMapsFields(t *testing.T) {
	fields := FieldsSpec{ID: "Question ID", Context: "Context Text", Question: "Question Text", Answers: "Gold", AnswersSep: ";", IsImpossible: "Unanswerable"}
	ds, err := CSV{}.Load(context.Background(), config.DatasetSpec{Source: "csv", Path: "custom.csv", Fields: fields.Block()}, testEnv(t))
	if err != nil {
		t.Fatal(err)
	}
	want := []config.Sample{
		{ID: "c-1", Context: "Tin melts at about 232 degrees Celsius, far below iron.", Question: "At what temperature does tin melt?", Answers: []string{"about 232 degrees Celsius", "232 degrees Celsius"}},
		{ID: "c-2", Context: `A "quoted" word, and a comma, live here.`, Question: "What lives here?", Answers: []string{"a comma", `a "quoted" word`}},
		{ID: "c-3", Context: "Nothing here answers the question.", Question: "What colour is the sky on Mars?", IsImpossible: true},
	}
	names := []string{"a delimited answers cell is split on answers_sep",
		"a JSON list answers cell keeps quotes and commas", "an unanswerable row has no answers"}
	for i := range want {
		t.Run(names[i], func(t *testing.T) {
			if !reflect.DeepEqual(ds.Samples[i], want[i]) {
				t.Errorf("got  %#v\nwant %#v", ds.Samples[i], want[i])
			}
		})
	}
	if ds.Version != "v2.0" || ds.Total != 3 || ds.Source != "csv" {
		t.Errorf("version %s total %d source %s", ds.Version, ds.Total, ds.Source)
	}
}

func TestCSVDefaultsAndSlices(t *testing.T) {
	dir := t.TempDir()
	body := "\ufeffcontext,question,answers,title\n" +
		"ctx a,q a?,A|a,T\n" +
		"ctx b,q b?,B,T\n" +
		"ctx c,q c?,C,T\n"
	os.WriteFile(filepath.Join(dir, "d.csv"), []byte(body), 0o644)
	cases := []struct {
		name, slice string
		want        []string
	}{
		{"default column names and a byte order mark are understood", "", []string{"row-0", "row-1", "row-2"}},
		{"a slice with a negative stop", "[:-1]", []string{"row-0", "row-1"}},
		{"a single negative index", "[-1]", []string{"row-2"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ds, err := CSV{}.Load(context.Background(), config.DatasetSpec{Source: "csv", Path: "d.csv", Slice: c.slice}, pipeline.LoadEnv{BaseDir: dir})
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(ds.Samples); !reflect.DeepEqual(got, c.want) {
				t.Errorf("ids = %v, want %v", got, c.want)
			}
		})
	}
	ds, _ := CSV{}.Load(context.Background(), config.DatasetSpec{Source: "csv", Path: "d.csv"}, pipeline.LoadEnv{BaseDir: dir})
	if got := ds.Samples[0]; !reflect.DeepEqual(got.Answers, []string{"A", "a"}) || got.Title != "T" || ds.Version != "v1.1" {
		t.Errorf("first sample %+v version %s", got, ds.Version)
	}
}

func TestCSVErrors(t *testing.T) {
	cases := []struct {
		name, body string
		fields     FieldsSpec
		want       string
	}{
		{"a required column absent from the header is named with the header",
			"context,answers\nc,a\n", FieldsSpec{},
			`bad.csv:1: missing column "question" (the header has context, answers)`},
		{"a short row names its line and the missing column",
			"context,question,answers\nc,q,a\nc,q\n", FieldsSpec{},
			`bad.csv:3: missing column "answers"`},
		{"a mapped id column must exist",
			"context,question,answers\nc,q,a\n", FieldsSpec{ID: "key"},
			`bad.csv:1: missing column "key"`},
		{"broken quoting is located by encoding/csv",
			"context,question,answers\n\"c,q,a\n", FieldsSpec{},
			`bad.csv:2:8: extraneous or missing " in quoted-field`},
		{"an empty file wants a header",
			"", FieldsSpec{}, `bad.csv: empty file, want a header row`},
		{"a bad is_impossible value is reported",
			"context,question,answers,is_impossible\nc,q,a,maybe\n", FieldsSpec{},
			`bad.csv:2: column "is_impossible": want true or false, got "maybe"`},
		{"an empty question is an error",
			"context,question,answers\nc,,a\n", FieldsSpec{},
			`bad.csv:2: column "question": empty`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, "bad.csv"), []byte(c.body), 0o644)
			_, err := CSV{}.Load(context.Background(), config.DatasetSpec{Source: "csv", Path: "bad.csv", Fields: c.fields.Block()}, pipeline.LoadEnv{BaseDir: dir})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error = %v\nwant it to contain %q", err, c.want)
			}
		})
	}
}

func TestCSVFromURLIsCached(t *testing.T) {
	srv, n := squadServer(t) // serves /dev.json only; a csv path 404s
	_, err := CSV{}.Load(context.Background(), config.DatasetSpec{Source: "csv", Path: srv.URL + "/data.csv"}, testEnv(t))
	if err == nil || !strings.Contains(err.Error(), "http status 404") || n.Load() != 1 {
		t.Errorf("error = %v after %d requests", err, n.Load())
	}
}
