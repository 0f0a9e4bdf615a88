package score

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const devSHA256 = "95aa6a52d5d6a735563366753ca50492a658031da74f301ac5238b03966972c9"

// squadDev returns the path of the real SQuAD v1.1 dev set named by
// INFERBENCH_SQUAD_DEV, skipping when unset and failing when it is wrong.
func squadDev(tb testing.TB) string {
	tb.Helper()
	path := os.Getenv("INFERBENCH_SQUAD_DEV")
	if path == "" {
		tb.Skip("INFERBENCH_SQUAD_DEV not set")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("INFERBENCH_SQUAD_DEV: %v", err)
	}
	if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != devSHA256 {
		tb.Fatalf("INFERBENCH_SQUAD_DEV=%s is not dev-v1.1.json (sha256 %x)", path, sum)
	}
	return path
}

func TestScoreFilesReproducesTheOfficialScriptOnTheReferencePredictions(t *testing.T) {
	dev := squadDev(t)
	ref := filepath.Join(filepath.Dir(dev), "reference")
	cases := []struct {
		file, stdout string
		unanswered   int
	}{
		{"pred-dev-v1.1-bert-ensemble-google.json", `{"exact_match": 86.20624408703878, "f1": 92.19557978351145}`, 0},
		{"pred-dev-v1.1-logreg-baseline-stanford.json", `{"exact_match": 40.14191106906339, "f1": 50.98153647324461}`, 13},
		{"pred-dev-v1.1-match-lstm-boundary-ensemble-smu.json", `{"exact_match": 67.63481551561021, "f1": 76.75556184979695}`, 0},
		{"pred-dev-v1.1-slqa-plus-ensemble-alibaba.json", `{"exact_match": 81.94891201513718, "f1": 88.38386312172166}`, 0},
		{"pred-dev-v1.1-r-net-plus-ensemble-msra.json", `{"exact_match": 82.46925260170293, "f1": 88.47785965423249}`, 0},
	}
	for _, c := range cases {
		t.Run(c.file+" prints the official numbers to the last digit", func(t *testing.T) {
			var out, errOut bytes.Buffer
			if err := ScoreFiles(&out, &errOut, dev, filepath.Join(ref, c.file), false); err != nil {
				t.Fatal(err)
			}
			if got := out.String(); got != c.stdout+"\n" {
				t.Errorf("stdout = %q, want %q", got, c.stdout+"\n")
			}
			lines := strings.Split(strings.TrimSuffix(errOut.String(), "\n"), "\n")
			if errOut.Len() == 0 {
				lines = nil
			}
			if len(lines) != c.unanswered {
				t.Fatalf("stderr has %d lines, want %d: %q", len(lines), c.unanswered, errOut.String())
			}
			for _, l := range lines {
				if !strings.HasPrefix(l, "Unanswered question ") || !strings.HasSuffix(l, " will receive score 0.") {
					t.Errorf("stderr line %q is not the script's message", l)
				}
			}
		})
	}
}

func TestParseDatasetReadsEveryQuestionOfTheDevSet(t *testing.T) {
	data, err := os.ReadFile(squadDev(t))
	if err != nil {
		t.Fatal(err)
	}
	ds, err := ParseDataset(data)
	if err != nil {
		t.Fatal(err)
	}
	answers := 0
	ids := map[string]bool{}
	for _, q := range ds.Questions {
		answers += len(q.Answers)
		ids[q.ID] = true
	}
	if ds.Version != "1.1" || len(ds.Questions) != 10570 || len(ids) != 10570 || answers != 34726 {
		t.Errorf("version %q, %d questions (%d ids), %d answers; want 1.1, 10570, 10570, 34726",
			ds.Version, len(ds.Questions), len(ids), answers)
	}
}

func TestFormatPythonFloat(t *testing.T) {
	cases := []struct {
		in   float64
		want string
	}{
		{86.20624408703878, "86.20624408703878"},
		{100, "100.0"},
		{0, "0.0"},
		{math.Copysign(0, -1), "-0.0"},
		{-2.5, "-2.5"},
		{0.1, "0.1"},
		{1.0 / 3, "0.3333333333333333"},
		{0.0001, "0.0001"},
		{0.00001, "1e-05"},
		{0.000012345, "1.2345e-05"},
		{1e15, "1000000000000000.0"},
		{1234567890123456.7, "1234567890123456.8"},
		{1e16, "1e+16"},
		{1.5e16, "1.5e+16"},
		{1e22, "1e+22"},
		{5e-324, "5e-324"},
		{1.7976931348623157e308, "1.7976931348623157e+308"},
		{math.NaN(), "NaN"},
		{math.Inf(1), "Infinity"},
		{math.Inf(-1), "-Infinity"},
	}
	for _, c := range cases {
		t.Run("formats "+c.want+" like repr", func(t *testing.T) {
			if got := FormatPythonFloat(c.in); got != c.want {
				t.Errorf("FormatPythonFloat(%v) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}

func TestExactMatchAndF1FollowTheV11Script(t *testing.T) {
	cases := []struct {
		name       string
		pred, gold string
		em         bool
		f1, f1v2   float64
	}{
		{"identical answers match", "Denver Broncos", "Denver Broncos", true, 1, 1},
		{"case, punctuation and articles are ignored", "the Denver-Broncos!", "denverbroncos", true, 1, 1},
		{"a partial answer gets partial F1", "Denver", "Denver Broncos", false, 2.0 / 3, 2.0 / 3},
		{"repeated tokens count once per occurrence", "a b b b", "b b c", false, 2 * (2.0 / 3) * (2.0 / 3) / (2.0/3 + 2.0/3), 2.0 / 3},
		{"no common token scores zero", "Paris", "London", false, 0, 0},
		{"two empty answers score zero in v1.1 and one in v2.0", "", "the", true, 0, 1},
		{"an empty prediction against a real answer scores zero", "", "Paris", false, 0, 0},
		{"Unicode dashes and quotes are tokens, not punctuation", "“Paris”", "Paris", false, 0, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := ExactMatch(c.pred, c.gold); got != c.em {
				t.Errorf("ExactMatch = %v, want %v", got, c.em)
			}
			if got := F1(c.pred, c.gold); math.Abs(got-c.f1) > 1e-15 {
				t.Errorf("F1 = %v, want %v", got, c.f1)
			}
			if got := F1V2(c.pred, c.gold); math.Abs(got-c.f1v2) > 1e-15 {
				t.Errorf("F1V2 = %v, want %v", got, c.f1v2)
			}
		})
	}
}

func TestEvaluateV1CountsMissingAndIgnoresExtraPredictions(t *testing.T) {
	ds := &Dataset{Version: "1.1", Questions: []Question{
		{ID: "q1", Answers: []string{"Denver Broncos", "Broncos"}},
		{ID: "q2", Answers: []string{"Santa Clara, California"}},
		{ID: "q3", Answers: []string{"gold"}},
	}}
	preds := map[string]string{"q1": "Broncos", "q2": "Santa Clara", "extra": "ignored"}
	var stderr bytes.Buffer
	em, f1, missing := EvaluateV1(ds, preds, &stderr)
	// q1: EM 1, F1 1; q2: F1 = 2*(1*2/3)/(1+2/3) = 0.8; q3 missing: 0.
	if em != 100.0*1/3 || f1 != 100.0*(1+0.8)/3 || missing != 1 {
		t.Errorf("EvaluateV1 = %v, %v, %d; want %v, %v, 1", em, f1, missing, 100.0/3, 100.0*1.8/3)
	}
	if want := "Unanswered question q3 will receive score 0.\n"; stderr.String() != want {
		t.Errorf("stderr = %q, want %q", stderr.String(), want)
	}
}

func TestEvaluateV2OnTheHandComputedFixture(t *testing.T) {
	var out bytes.Buffer
	err := ScoreFiles(&out, nil, "testdata/v2-dataset.json", "testdata/v2-predictions.json", true)
	if err != nil {
		t.Fatal(err)
	}
	// Per question (exact, f1), see testdata/README.md:
	//   has1 (1, 1), has2 (0, 0.5), has3 (0, 0), gold-the (1, 1) [answers
	//   "the" normalize to "" so gold is [""], yet HasAns], no1 (1, 1),
	//   no2 (0, 0).
	// exact = 100*3/6 = 50.0, f1 = 100*3.5/6; HasAns: 100*2/4, 100*2.5/4;
	// NoAns: 100*1/2, 100*1/2.
	want := "{\n" +
		`  "exact": 50.0,` + "\n" +
		`  "f1": ` + FormatPythonFloat(100*3.5/6) + ",\n" +
		`  "total": 6,` + "\n" +
		`  "HasAns_exact": 50.0,` + "\n" +
		`  "HasAns_f1": 62.5,` + "\n" +
		`  "HasAns_total": 4,` + "\n" +
		`  "NoAns_exact": 50.0,` + "\n" +
		`  "NoAns_f1": 50.0,` + "\n" +
		`  "NoAns_total": 2` + "\n}\n"
	if out.String() != want {
		t.Errorf("output:\n%s\nwant:\n%s", out.String(), want)
	}
	if FormatPythonFloat(100*3.5/6) != "58.333333333333336" {
		t.Errorf("f1 digits %s", FormatPythonFloat(100*3.5/6))
	}
}

func TestEvaluateV2FailsLikeTheScriptOnMissingPredictions(t *testing.T) {
	ds := &Dataset{Questions: []Question{
		{ID: "a", Answers: []string{"x"}},
		{ID: "b"},
		{ID: "c", Answers: []string{"y"}},
	}}
	var out bytes.Buffer
	_, err := EvaluateV2(ds, map[string]string{"a": "x"}, &out)
	var me *MissingError
	if !errors.As(err, &me) || len(me.IDs) != 2 || me.IDs[0] != "b" {
		t.Fatalf("err = %v, want a MissingError for b and c", err)
	}
	if want := "Missing prediction for b\nMissing prediction for c\n"; out.String() != want {
		t.Errorf("stdout = %q, want %q", out.String(), want)
	}
}

func TestMissingErrorCountsQuestionsInEnglish(t *testing.T) {
	for _, c := range []struct {
		ids  []string
		want string
	}{
		{[]string{"b"}, "1 question has no prediction (the official v2.0 script fails with KeyError: 'b')"},
		{[]string{"b", "c"}, "2 questions have no prediction (the official v2.0 script fails with KeyError: 'b')"},
	} {
		t.Run(c.want, func(t *testing.T) {
			if got := (&MissingError{IDs: c.ids}).Error(); got != c.want {
				t.Errorf("got %q", got)
			}
		})
	}
}

func TestParsersRejectMalformedJSON(t *testing.T) {
	bad := map[string]string{
		"a truncated dataset is an error":        `{"data": [{"paragraphs": [`,
		"a missing colon is an error":            `{"data" []}`,
		"trailing garbage is an error":           `{"data": []} x`,
		"a bad literal is an error":              `{"data": [], "n": tru}`,
		"an unterminated string is an error":     `{"version": "1.1`,
		"a bad escape is an error":               `{"version": "\q"}`,
		"a non-object top level value is an err": `[]`,
	}
	for name, in := range bad {
		t.Run(name, func(t *testing.T) {
			if _, err := ParseDataset([]byte(in)); err == nil {
				t.Errorf("ParseDataset(%q) succeeded", in)
			}
		})
	}
	t.Run("a non-string prediction is an error", func(t *testing.T) {
		if _, err := ParsePredictions([]byte(`{"q1": 3}`)); err == nil {
			t.Error("accepted a number as a prediction")
		}
	})
	t.Run("escapes decode like Python's json", func(t *testing.T) {
		p, err := ParsePredictions([]byte(`{"q\u0031": "caf\u00e9 \ud83d\ude00 \"x\"\/\n", "q2": "\ud800"}`))
		if err != nil {
			t.Fatal(err)
		}
		if p["q1"] != "café 😀 \"x\"/\n" || p["q2"] != "\uFFFD" {
			t.Errorf("decoded %q", p)
		}
	})
}
