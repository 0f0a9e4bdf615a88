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

var customFields = FieldsSpec{ID: "qid", Title: "topic", Context: "passage", Question: "ask", Answers: "gold"}

func TestJSONLMapsFields(t *testing.T) {
	ds, err := JSONL{}.Load(context.Background(), config.DatasetSpec{Source: "jsonl", Path: "custom.jsonl", Fields: customFields.Block()}, testEnv(t))
	if err != nil {
		t.Fatal(err)
	}
	want := []config.Sample{
		{ID: "j-1", Title: "Mills", Context: "The old mill on the Farr River ground oats until 1931.", Question: "Until when did the mill grind oats?", Answers: []string{"1931", "until 1931"}},
		{ID: "2", Title: "Rocks", Context: "Basalt forms when lava cools quickly at the surface.", Question: "When does basalt form?", Answers: []string{"when lava cools quickly", "lava cools quickly"}},
		{ID: "j-3", Title: "Valleys", Context: "The invented Lorn Valley has no recorded population.", Question: "Who is the mayor of Lorn Valley?", Answers: []string{}, IsImpossible: true},
		{ID: "j-4", Title: "Birds", Context: "Owls hunt mostly at night.", Question: "When do owls hunt?", Answers: []string{"mostly at night", "at night"}},
	}
	for i := range want {
		t.Run("row "+want[i].ID+" maps onto its sample", func(t *testing.T) {
			if !reflect.DeepEqual(ds.Samples[i], want[i]) {
				t.Errorf("got  %#v\nwant %#v", ds.Samples[i], want[i])
			}
		})
	}
	raw, _ := os.ReadFile("testdata/custom.jsonl")
	if ds.Total != 4 || ds.Version != "v2.0" || ds.SHA256 != hexSum(raw) {
		t.Errorf("total %d version %s sha %s", ds.Total, ds.Version, ds.SHA256)
	}
}

func TestJSONLSlicesAndDefaults(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	for _, q := range []string{"a", "b", "c", "d"} {
		b.WriteString(`{"context": "ctx ` + q + `", "question": "q ` + q + `?", "answers": "` + q + `"}` + "\n")
	}
	os.WriteFile(filepath.Join(dir, "plain.jsonl"), []byte(b.String()), 0o644)
	cases := []struct {
		name, slice string
		want        []string
	}{
		{"missing ids become row-<index>", "", []string{"row-0", "row-1", "row-2", "row-3"}},
		{"a negative slice keeps the generated ids of the source order", "[-2:]", []string{"row-2", "row-3"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ds, err := JSONL{}.Load(context.Background(), config.DatasetSpec{Source: "jsonl", Path: "plain.jsonl", Slice: c.slice}, pipeline.LoadEnv{BaseDir: dir})
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(ds.Samples); !reflect.DeepEqual(got, c.want) {
				t.Errorf("ids = %v, want %v", got, c.want)
			}
			if ds.Version != "v1.1" {
				t.Errorf("version = %s", ds.Version)
			}
		})
	}
}

func TestJSONLErrors(t *testing.T) {
	cases := []struct {
		name, body string
		fields     FieldsSpec
		want       string
	}{
		{"a row missing a required column names file, line and column",
			`{"context": "c", "question": "q", "answers": ["c"]}` + "\n\n" + `{"context": "c", "answers": ["c"]}`,
			FieldsSpec{}, `bad.jsonl:3: missing column "question"`},
		{"a mapped column that is missing is named by its mapped name",
			`{"context": "c", "question": "q", "answers": ["c"]}`,
			FieldsSpec{ID: "qid"}, `bad.jsonl:1: missing column "qid"`},
		{"a line that is not JSON is located",
			`{"context": "c", "question": "q", "answers": ["c"]}` + "\n" + `context,question`,
			FieldsSpec{}, `bad.jsonl:2: want one JSON object per line`},
		{"two objects on one line are refused",
			`{"context": "c", "question": "q", "answers": ["c"]} {"context": "c"}`,
			FieldsSpec{}, `bad.jsonl:1: want one JSON object per line, found more`},
		{"answers of the wrong kind say what is accepted",
			`{"context": "c", "question": "q", "answers": 42}`,
			FieldsSpec{}, `bad.jsonl:1: column "answers": want a list of answers or a "|"-separated string, got a number`},
		{"no answers on an answerable question is an error",
			`{"context": "c", "question": "q", "answers": [], "is_impossible": false}`,
			FieldsSpec{}, `bad.jsonl:1: column "answers": no answers but is_impossible is false`},
		{"duplicate ids are an error",
			`{"id": "x", "context": "c", "question": "q", "answers": ["c"]}` + "\n" + `{"id": "x", "context": "c", "question": "q", "answers": ["c"]}`,
			FieldsSpec{}, `duplicate question id "x"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, "bad.jsonl"), []byte(c.body), 0o644)
			_, err := JSONL{}.Load(context.Background(), config.DatasetSpec{Source: "jsonl", Path: "bad.jsonl", Fields: c.fields.Block()}, pipeline.LoadEnv{BaseDir: dir})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error = %v\nwant it to contain %q", err, c.want)
			}
		})
	}
}

// FuzzToAnswers checks that any answers string parses without panicking
// and never yields an empty or untrimmed answer from a delimited string.
func FuzzToAnswers(f *testing.F) {
	for _, s := range []string{"", "a|b", " a | | b ", `["x", "y"]`, `[1, 2]`, "[", "|||"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := toAnswers(s, "|")
		if err != nil {
			t.Fatalf("toAnswers(%q) = %v", s, err)
		}
		if strings.HasPrefix(strings.TrimSpace(s), "[") {
			return // a JSON list is taken verbatim
		}
		for _, a := range got {
			if a == "" || strings.TrimSpace(a) != a || strings.Contains(a, "|") {
				t.Errorf("toAnswers(%q) gave answer %q", s, a)
			}
		}
	})
}
