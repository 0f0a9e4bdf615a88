package load

import (
	"context"
	"errors"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/inferbench/inferbench/pipeline"
	"github.com/inferbench/inferbench/pipeline/config"
)

func ids(ss []config.Sample) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s.ID
	}
	return out
}

func testEnv(t *testing.T) pipeline.LoadEnv {
	t.Helper()
	return pipeline.LoadEnv{BaseDir: "testdata", CacheDir: t.TempDir()}
}

func TestSquadLoadsTheSliceInFileOrder(t *testing.T) {
	all := []string{"gh-1", "gh-2", "gh-3", "ck-1", "ck-2"}
	cases := []struct {
		name, slice string
		want        []string
	}{
		{"an empty slice selects every question", "", all},
		{"a prefix slice selects the first questions", "[:2]", all[:2]},
		{"a slice crosses paragraphs and articles", "[2:4]", all[2:4]},
		{"a negative start counts from the end", "[-2:]", all[3:]},
		{"a negative stop drops the last questions", "[:-3]", all[:2]},
		{"a step skips questions", "[::2]", []string{"gh-1", "gh-3", "ck-2"}},
		{"a single index selects one question", "[3]", []string{"ck-1"}},
		{"a slice past the end selects nothing", "[10:]", []string{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ds, err := Squad{}.Load(context.Background(), config.DatasetSpec{Source: "squad", Path: "mini-v1.json", Slice: c.slice}, testEnv(t))
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(ds.Samples); !reflect.DeepEqual(got, c.want) {
				t.Errorf("ids = %v, want %v", got, c.want)
			}
			if ds.Total != 5 || ds.Version != "v1.1" || ds.Source != "squad" {
				t.Errorf("total, version, source = %d, %q, %q; want 5, v1.1, squad", ds.Total, ds.Version, ds.Source)
			}
			if ds.Location != filepath.Join("testdata", "mini-v1.json") {
				t.Errorf("location = %q", ds.Location)
			}
		})
	}
}

func TestSquadSampleFieldsAndChecksum(t *testing.T) {
	ds, err := Squad{}.Load(context.Background(), config.DatasetSpec{Source: "squad", Path: "mini-v1.json"}, testEnv(t))
	if err != nil {
		t.Fatal(err)
	}
	first := ds.Samples[0]
	want := config.Sample{
		ID: "gh-1", Title: "Glass_Harbour",
		Context:  "Glass Harbour is a made-up fishing village with 412 inhabitants. Its only school opened in 1958.",
		Question: "How many people live in Glass Harbour?",
		Answers:  []string{"412", "412", "412 inhabitants"}, // duplicates kept, as the official scorer does
	}
	if !reflect.DeepEqual(first, want) {
		t.Errorf("first sample = %+v\nwant %+v", first, want)
	}
	raw, _ := os.ReadFile("testdata/mini-v1.json")
	if ds.SHA256 != hexSum(raw) {
		t.Errorf("sha256 = %s, want the file's %s", ds.SHA256, hexSum(raw))
	}
}

func TestSquadV2(t *testing.T) {
	t.Run("a v2 file marks unanswerable questions and ignores plausible answers", func(t *testing.T) {
		ds, err := Squad{}.Load(context.Background(), config.DatasetSpec{Source: "squad", Path: "mini-v2.json"}, testEnv(t))
		if err != nil {
			t.Fatal(err)
		}
		if ds.Version != "v2.0" {
			t.Errorf("version = %q, want v2.0 from the file", ds.Version)
		}
		got := ds.Samples[1]
		if !got.IsImpossible || len(got.Answers) != 0 {
			t.Errorf("sf-2 = %+v, want impossible with no answers (plausible_answers are not gold)", got)
		}
		if s := ds.Samples[2]; s.IsImpossible || !reflect.DeepEqual(s.Answers, []string{"a white crust", "white crust"}) {
			t.Errorf("sf-3 = %+v", s)
		}
	})
	t.Run("is_impossible alone is enough to detect v2", func(t *testing.T) {
		data := []byte(`{"data":[{"title":"T","paragraphs":[{"context":"c","qas":[{"id":"a","question":"q","answers":[],"is_impossible":true}]}]}]}`)
		_, v, err := DecodeSquad(data, "")
		if err != nil || v != "v2.0" {
			t.Errorf("version, err = %q, %v; want v2.0", v, err)
		}
	})
	t.Run("version v2.0 in the spec wins over a v1.1 file", func(t *testing.T) {
		ds, err := Squad{}.Load(context.Background(), config.DatasetSpec{Source: "squad", Path: "mini-v1.json", Version: "v2.0"}, testEnv(t))
		if err != nil || ds.Version != "v2.0" {
			t.Errorf("version, err = %v, %v; want v2.0", ds, err)
		}
	})
}

func TestSquadErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cases := []struct {
		name string
		spec config.DatasetSpec
		want []string
	}{
		{"a missing file names its path", config.DatasetSpec{Path: "nope.json"},
			[]string{"dataset file not found", filepath.Join("testdata", "nope.json")}},
		{"an empty path is required", config.DatasetSpec{}, []string{"dataset.path: required"}},
		{"a jsonl file is not SQuAD JSON", config.DatasetSpec{Path: write("x.jsonl", `{"id":1}`+"\n"+`{"id":2}`)},
			[]string{"not SQuAD JSON", `want SQuAD JSON {"version"`}},
		{"an object without data is not SQuAD JSON", config.DatasetSpec{Path: write("nodata.json", `{"rows": []}`)},
			[]string{"not SQuAD JSON: no \"data\" list"}},
		{"a question without id is located", config.DatasetSpec{Path: write("noid.json",
			`{"data":[{"title":"T","paragraphs":[{"context":"c","qas":[{"id":"a","question":"q","answers":[{"text":"c"}]},{"question":"q","answers":[{"text":"c"}]}]}]}]}`)},
			[]string{"data[0].paragraphs[0].qas[1]", "missing id"}},
		{"a v1 question without answers is an error", config.DatasetSpec{Path: write("noans.json",
			`{"data":[{"title":"T","paragraphs":[{"context":"c","qas":[{"id":"a","question":"q","answers":[]}]}]}]}`)},
			[]string{`(id "a"): no answers and not is_impossible`}},
		{"duplicate ids are an error", config.DatasetSpec{Path: write("dup.json",
			`{"data":[{"title":"T","paragraphs":[{"context":"c","qas":[{"id":"a","question":"q","answers":[{"text":"c"}]},{"id":"a","question":"q2","answers":[{"text":"c"}]}]}]}]}`)},
			[]string{`duplicate question id "a"`}},
		{"a checksum mismatch on a local file says both sums", config.DatasetSpec{Path: "mini-v1.json", SHA256: strings.Repeat("ab", 32)},
			[]string{"sha256 mismatch", strings.Repeat("ab", 32)}},
		{"a bad slice names the key", config.DatasetSpec{Path: "mini-v1.json", Slice: "10"},
			[]string{"dataset.slice"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.spec.Source = "squad"
			_, err := Squad{}.Load(context.Background(), c.spec, testEnv(t))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
	t.Run("a missing file wraps fs.ErrNotExist", func(t *testing.T) {
		_, err := Squad{}.Load(context.Background(), config.DatasetSpec{Path: "nope.json"}, testEnv(t))
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("error %v does not wrap fs.ErrNotExist", err)
		}
	})
}

// squadServer serves testdata/mini-v1.json at /dev.json and counts requests.
func squadServer(t *testing.T) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	body, err := os.ReadFile("testdata/mini-v1.json")
	if err != nil {
		t.Fatal(err)
	}
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		if r.URL.Path != "/dev.json" {
			http.Error(w, "no such dataset", http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestSquadDownload(t *testing.T) {
	raw, _ := os.ReadFile("testdata/mini-v1.json")
	t.Run("a URL is downloaded once and then read from the cache", func(t *testing.T) {
		srv, n := squadServer(t)
		env := testEnv(t)
		spec := config.DatasetSpec{Source: "squad", Path: srv.URL + "/dev.json", Slice: "[:3]", SHA256: hexSum(raw)}
		for i := 0; i < 2; i++ {
			ds, err := Squad{}.Load(context.Background(), spec, env)
			if err != nil {
				t.Fatal(err)
			}
			if ds.Location != spec.Path || ds.SHA256 != hexSum(raw) || len(ds.Samples) != 3 || ds.Total != 5 {
				t.Errorf("load %d: location %q sha %s samples %d total %d", i, ds.Location, ds.SHA256, len(ds.Samples), ds.Total)
			}
		}
		if got := n.Load(); got != 1 {
			t.Errorf("requests = %d, want 1 (the second load must hit the cache)", got)
		}
		files, _ := filepath.Glob(filepath.Join(env.CacheDir, "downloads", "*.json"))
		if len(files) != 1 {
			t.Errorf("cache files = %v, want exactly one", files)
		}
	})
	t.Run("a checksum mismatch fails and caches nothing", func(t *testing.T) {
		srv, n := squadServer(t)
		env := testEnv(t)
		spec := config.DatasetSpec{Source: "squad", Path: srv.URL + "/dev.json", SHA256: strings.Repeat("0", 64)}
		_, err := Squad{}.Load(context.Background(), spec, env)
		if err == nil || !strings.Contains(err.Error(), "sha256 mismatch for "+spec.Path) || !strings.Contains(err.Error(), hexSum(raw)) {
			t.Fatalf("error = %v, want a sha256 mismatch naming the URL and the actual sum", err)
		}
		if _, err := (Squad{}).Load(context.Background(), spec, env); err == nil {
			t.Fatal("second load succeeded")
		}
		if got := n.Load(); got != 2 {
			t.Errorf("requests = %d, want 2 (a failed download must not be cached)", got)
		}
	})
	t.Run("a cached copy that no longer matches the pinned checksum is downloaded again", func(t *testing.T) {
		srv, n := squadServer(t)
		env := testEnv(t)
		spec := config.DatasetSpec{Source: "squad", Path: srv.URL + "/dev.json"}
		if _, err := (Squad{}).Load(context.Background(), spec, env); err != nil {
			t.Fatal(err)
		}
		files, _ := filepath.Glob(filepath.Join(env.CacheDir, "downloads", "*"))
		if len(files) != 1 {
			t.Fatalf("cache files = %v", files)
		}
		os.WriteFile(files[0], []byte(`{"data": []}`), 0o644) // damaged or stale copy
		spec.SHA256 = hexSum(raw)
		ds, err := Squad{}.Load(context.Background(), spec, env)
		if err != nil || ds.Total != 5 {
			t.Fatalf("load = %v, %v", ds, err)
		}
		if got := n.Load(); got != 2 {
			t.Errorf("requests = %d, want 2", got)
		}
	})
	t.Run("an HTTP error status is reported with the URL", func(t *testing.T) {
		srv, _ := squadServer(t)
		_, err := Squad{}.Load(context.Background(), config.DatasetSpec{Source: "squad", Path: srv.URL + "/missing.json"}, testEnv(t))
		if err == nil || !strings.Contains(err.Error(), "http status 404") || !strings.Contains(err.Error(), srv.URL+"/missing.json") {
			t.Errorf("error = %v, want http status 404 naming the URL", err)
		}
	})
}

// TestSquadDevSet reads the real SQuAD v1.1 dev set named by INFERBENCH_SQUAD_DEV.
func TestSquadDevSet(t *testing.T) {
	path := os.Getenv("INFERBENCH_SQUAD_DEV")
	if path == "" {
		t.Skip("INFERBENCH_SQUAD_DEV not set")
	}
	env := pipeline.LoadEnv{CacheDir: t.TempDir()}
	t.Run("the whole dev set has 10,570 questions over 48 titles", func(t *testing.T) {
		ds, err := Squad{}.Load(context.Background(), config.DatasetSpec{Source: "squad", Path: path}, env)
		if err != nil {
			t.Fatal(err)
		}
		titles := map[string]bool{}
		for _, s := range ds.Samples {
			titles[s.Title] = true
			if len(s.Answers) == 0 || s.IsImpossible {
				t.Fatalf("%s has no answers", s.ID)
			}
		}
		if len(ds.Samples) != 10570 || ds.Total != 10570 || len(titles) != 48 || ds.Version != "v1.1" {
			t.Errorf("samples %d total %d titles %d version %s; want 10570, 10570, 48, v1.1", len(ds.Samples), ds.Total, len(titles), ds.Version)
		}
		if first, last := ds.Samples[0].ID, ds.Samples[len(ds.Samples)-1].ID; first != "56be4db0acb8001400a502ec" || last != "5737aafd1c456719005744ff" {
			t.Errorf("first, last id = %s, %s", first, last)
		}
		const devSHA256 = "95aa6a52d5d6a735563366753ca50492a658031da74f301ac5238b03966972c9"
		if ds.SHA256 != devSHA256 {
			t.Errorf("sha256 = %s, want %s", ds.SHA256, devSHA256)
		}
	})
	t.Run("the slice [:10] gives the file's first ten ids", func(t *testing.T) {
		ds, err := Squad{}.Load(context.Background(), config.DatasetSpec{Source: "squad", Path: path, Slice: "[:10]"}, env)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"56be4db0acb8001400a502ec", "56be4db0acb8001400a502ed", "56be4db0acb8001400a502ee",
			"56be4db0acb8001400a502ef", "56be4db0acb8001400a502f0", "56be8e613aeaaa14008c90d1", "56be8e613aeaaa14008c90d2",
			"56be8e613aeaaa14008c90d3", "56bea9923aeaaa14008c91b9", "56bea9923aeaaa14008c91ba"}
		if got := ids(ds.Samples); !reflect.DeepEqual(got, want) {
			t.Errorf("ids = %v\nwant %v", got, want)
		}
	})
}

// BenchmarkSquadDevSet measures loading the real dev set (read, hash, decode).
func BenchmarkSquadDevSet(b *testing.B) {
	path := os.Getenv("INFERBENCH_SQUAD_DEV")
	if path == "" {
		b.Skip("INFERBENCH_SQUAD_DEV not set")
	}
	spec := config.DatasetSpec{Source: "squad", Path: path}
	env := pipeline.LoadEnv{CacheDir: b.TempDir()}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := (Squad{}).Load(context.Background(), spec, env); err != nil {
			b.Fatal(err)
		}
	}
}
