package load

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/inferbench/inferbench/pipeline/config"
)

// hfFake replays the dataset viewer rows API over a dataset of n rows.
type hfFake struct {
	n int
	// fault, if set, may answer a request itself (returning true).
	fault func(w http.ResponseWriter, r *http.Request, call int) bool
	// row overrides the row body for index i.
	row func(i int) map[string]any

	mu      sync.Mutex
	offsets []int
	auth    []string
	calls   int
}

func (f *hfFake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.calls++
	call := f.calls
	f.auth = append(f.auth, r.Header.Get("Authorization"))
	f.mu.Unlock()
	if r.URL.Path != "/rows" {
		http.Error(w, `{"error":"not found"}`, http.StatusNotFound)
		return
	}
	if f.fault != nil && f.fault(w, r, call) {
		return
	}
	q := r.URL.Query()
	if q.Get("dataset") != "acme/qa" || q.Get("config") != "plain_text" || q.Get("split") != "validation" {
		http.Error(w, `{"error":"The dataset does not exist."}`, http.StatusNotFound)
		return
	}
	off, err1 := strconv.Atoi(q.Get("offset"))
	length, err2 := strconv.Atoi(q.Get("length"))
	if err1 != nil || err2 != nil || length > 100 || length < 1 || off < 0 {
		http.Error(w, `{"error":"Parameter 'length' must be between 1 and 100"}`, http.StatusUnprocessableEntity)
		return
	}
	f.mu.Lock()
	f.offsets = append(f.offsets, off)
	f.mu.Unlock()
	type rowT struct {
		RowIdx         int            `json:"row_idx"`
		Row            map[string]any `json:"row"`
		TruncatedCells []string       `json:"truncated_cells"`
	}
	rows := []rowT{}
	for i := off; i < off+length && i < f.n; i++ {
		row := map[string]any{
			"id": fmt.Sprintf("q%03d", i), "title": "Title " + strconv.Itoa(i/10),
			"context":  fmt.Sprintf("Passage %d says the answer is %d.", i, i*7),
			"question": fmt.Sprintf("What does passage %d say?", i),
			"answers":  map[string]any{"text": []string{strconv.Itoa(i * 7)}, "answer_start": []int{len(fmt.Sprintf("Passage %d says the answer is ", i))}},
		}
		if f.row != nil {
			row = f.row(i)
		}
		rows = append(rows, rowT{RowIdx: i, Row: row, TruncatedCells: []string{}})
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{
		"features": []map[string]any{
			{"feature_idx": 0, "name": "id", "type": map[string]any{"dtype": "string", "_type": "Value"}},
		},
		"rows": rows, "num_rows_total": f.n, "num_rows_per_page": 100, "partial": false,
	})
}

func (f *hfFake) requested() []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]int(nil), f.offsets...)
}

func hfSpec(endpoint, slice string) config.DatasetSpec {
	return config.DatasetSpec{Source: "hf", Slice: slice,
		HF: HFSpec{Dataset: "acme/qa", Config: "plain_text", Split: "validation", Endpoint: endpoint}.Block()}
}

// noSleep records the waits instead of waiting.
type noSleep struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (s *noSleep) Sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.waits = append(s.waits, d)
	s.mu.Unlock()
	return ctx.Err()
}

func rangeIDs(from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, fmt.Sprintf("q%03d", i))
	}
	return out
}

func TestHFPaging(t *testing.T) {
	cases := []struct {
		name, slice string
		wantIDs     []string
		wantOffsets []int
	}{
		{"a slice across three pages fetches exactly those pages", "[95:230]", rangeIDs(95, 230), []int{0, 100, 200}},
		{"a slice inside one page fetches one page", "[:10]", rangeIDs(0, 10), []int{0}},
		{"a slice starting on a later page skips the earlier ones", "[120:130]", rangeIDs(120, 130), []int{100}},
		{"a negative start reads the total from the first page, then the tail", "[-30:]", rangeIDs(220, 250), []int{0, 200}},
		{"an open slice reads every page including the short last one", "", rangeIDs(0, 250), []int{0, 100, 200}},
		{"a step keeps source order", "[240::5]", []string{"q240", "q245"}, []int{200}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fake := &hfFake{n: 250}
			srv := httptest.NewServer(fake)
			defer srv.Close()
			ds, err := (&HF{}).Load(context.Background(), hfSpec(srv.URL, c.slice), testEnv(t))
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(ds.Samples); !reflect.DeepEqual(got, c.wantIDs) {
				t.Errorf("ids = %v\nwant %v", got, c.wantIDs)
			}
			if got := fake.requested(); !reflect.DeepEqual(got, c.wantOffsets) {
				t.Errorf("offsets requested = %v, want %v", got, c.wantOffsets)
			}
			if ds.Total != 250 || ds.Version != "v1.1" || ds.Source != "hf" {
				t.Errorf("total %d version %s source %s", ds.Total, ds.Version, ds.Source)
			}
		})
	}
}

func TestHFRowsMapOntoSamples(t *testing.T) {
	fake := &hfFake{n: 3, row: func(i int) map[string]any {
		r := map[string]any{"id": fmt.Sprintf("r%d", i), "title": "T", "context": "Ctx about owls.", "question": "Q?",
			"answers": map[string]any{"text": []string{"owls", "owls"}, "answer_start": []int{10, 10}}}
		if i == 1 { // SQuAD v2 style unanswerable row
			r["answers"] = map[string]any{"text": []string{}, "answer_start": []int{}}
		}
		return r
	}}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	spec := hfSpec(srv.URL, "")
	spec = withHF(spec, func(h *HFSpec) { h.Revision = "abc123" })
	ds, err := (&HF{}).Load(context.Background(), spec, testEnv(t))
	if err != nil {
		t.Fatal(err)
	}
	want := config.Sample{ID: "r0", Title: "T", Context: "Ctx about owls.", Question: "Q?", Answers: []string{"owls", "owls"}}
	if !reflect.DeepEqual(ds.Samples[0], want) {
		t.Errorf("sample = %+v, want %+v", ds.Samples[0], want)
	}
	if s := ds.Samples[1]; !s.IsImpossible || len(s.Answers) != 0 {
		t.Errorf("row with empty answers = %+v, want unanswerable", s)
	}
	if ds.Version != "v2.0" || ds.Revision != "abc123" {
		t.Errorf("version %q revision %q", ds.Version, ds.Revision)
	}
	canon, _ := json.Marshal(ds.Samples)
	if ds.SHA256 != hexSum(canon) {
		t.Errorf("sha256 is not the hash of the canonical samples")
	}
	if !strings.HasPrefix(ds.Location, srv.URL+"/rows?") || !strings.Contains(ds.Location, "dataset=acme%2Fqa") {
		t.Errorf("location = %q", ds.Location)
	}
}

func TestHFCache(t *testing.T) {
	fake := &hfFake{n: 250}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	env := testEnv(t)
	first, err := (&HF{}).Load(context.Background(), hfSpec(srv.URL, "[95:230]"), env)
	if err != nil {
		t.Fatal(err)
	}
	n := len(fake.requested())
	t.Run("a second load of the same slice makes no request", func(t *testing.T) {
		again, err := (&HF{}).Load(context.Background(), hfSpec(srv.URL, "[95:230]"), env)
		if err != nil {
			t.Fatal(err)
		}
		if got := len(fake.requested()); got != n {
			t.Errorf("requests = %d after the second load, want %d", got, n)
		}
		if again.SHA256 != first.SHA256 || !reflect.DeepEqual(again.Samples, first.Samples) {
			t.Error("the cached load differs from the first")
		}
	})
	t.Run("another slice reuses the cached pages and fetches only new ones", func(t *testing.T) {
		if _, err := (&HF{}).Load(context.Background(), hfSpec(srv.URL, "[150:]"), env); err != nil {
			t.Fatal(err)
		}
		if got := len(fake.requested()); got != n {
			t.Errorf("requests = %d, want still %d", got, n)
		}
	})
	t.Run("another revision does not reuse the pages", func(t *testing.T) {
		spec := hfSpec(srv.URL, "[:5]")
		spec = withHF(spec, func(h *HFSpec) { h.Revision = "v2" })
		if _, err := (&HF{}).Load(context.Background(), spec, env); err != nil {
			t.Fatal(err)
		}
		if got := len(fake.requested()); got != n+1 {
			t.Errorf("requests = %d, want %d", got, n+1)
		}
	})
	t.Run("a damaged cache page is fetched again and rewritten", func(t *testing.T) {
		pages, err := filepath.Glob(filepath.Join(env.CacheDir, "hf", "*.json"))
		if err != nil || len(pages) == 0 {
			t.Fatalf("no cached pages (%v)", err)
		}
		for _, p := range pages {
			if err := os.WriteFile(p, []byte(`{"rows": [`), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		before := len(fake.requested())
		again, err := (&HF{}).Load(context.Background(), hfSpec(srv.URL, "[95:230]"), env)
		if err != nil {
			t.Fatal(err)
		}
		if again.SHA256 != first.SHA256 {
			t.Error("the reload over a damaged cache differs from the first load")
		}
		if got := len(fake.requested()); got != before+3 {
			t.Errorf("requests = %d, want %d (the three pages of [95:230] again)", got, before+3)
		}
		if _, err := (&HF{}).Load(context.Background(), hfSpec(srv.URL, "[95:230]"), env); err != nil {
			t.Fatal(err)
		}
		if got := len(fake.requested()); got != before+3 {
			t.Errorf("requests = %d after a third load, want %d (the cache was rewritten)", got, before+3)
		}
	})
}

func TestHFRetries(t *testing.T) {
	t.Run("a 429 with Retry-After waits that long and then succeeds", func(t *testing.T) {
		fake := &hfFake{n: 250, fault: func(w http.ResponseWriter, r *http.Request, call int) bool {
			if call == 2 { // the second page, first attempt
				w.Header().Set("Retry-After", "3")
				http.Error(w, `{"error":"rate limited"}`, http.StatusTooManyRequests)
				return true
			}
			return false
		}}
		srv := httptest.NewServer(fake)
		defer srv.Close()
		sl := &noSleep{}
		ds, err := (&HF{Sleep: sl.Sleep}).Load(context.Background(), hfSpec(srv.URL, "[95:105]"), testEnv(t))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(ids(ds.Samples), rangeIDs(95, 105)) {
			t.Errorf("ids = %v", ids(ds.Samples))
		}
		if !reflect.DeepEqual(sl.waits, []time.Duration{3 * time.Second}) {
			t.Errorf("waits = %v, want [3s]", sl.waits)
		}
		if got := fake.requested(); !reflect.DeepEqual(got, []int{0, 100}) {
			t.Errorf("served offsets = %v", got)
		}
	})
	t.Run("5xx without Retry-After backs off exponentially and gives up after the retries", func(t *testing.T) {
		fake := &hfFake{n: 250, fault: func(w http.ResponseWriter, r *http.Request, call int) bool {
			http.Error(w, `{"error":"upstream down"}`, http.StatusServiceUnavailable)
			return true
		}}
		srv := httptest.NewServer(fake)
		defer srv.Close()
		sl := &noSleep{}
		_, err := (&HF{Sleep: sl.Sleep, Retries: 3}).Load(context.Background(), hfSpec(srv.URL, "[:5]"), testEnv(t))
		if err == nil || !strings.Contains(err.Error(), "http status 503") || !strings.Contains(err.Error(), "gave up after 3 retries") {
			t.Errorf("error = %v", err)
		}
		want := []time.Duration{HFBackoff, 2 * HFBackoff, 4 * HFBackoff}
		if !reflect.DeepEqual(sl.waits, want) {
			t.Errorf("waits = %v, want %v", sl.waits, want)
		}
	})
	for _, c := range []struct {
		name, retryAfter string
		want             time.Duration
	}{
		{"a huge Retry-After is capped", "86400", HFMaxWait},
		// The hub client used to read "1.5" as no wait asked at all.
		{"a fractional Retry-After is read as seconds", "1.5", 1500 * time.Millisecond},
	} {
		t.Run(c.name, func(t *testing.T) {
			fake := &hfFake{n: 5, fault: func(w http.ResponseWriter, r *http.Request, call int) bool {
				if call == 1 {
					w.Header().Set("Retry-After", c.retryAfter)
					w.WriteHeader(http.StatusTooManyRequests)
					return true
				}
				return false
			}}
			srv := httptest.NewServer(fake)
			defer srv.Close()
			sl := &noSleep{}
			if _, err := (&HF{Sleep: sl.Sleep}).Load(context.Background(), hfSpec(srv.URL, ""), testEnv(t)); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(sl.waits, []time.Duration{c.want}) {
				t.Errorf("waits = %v, want [%v]", sl.waits, c.want)
			}
		})
	}
	t.Run("a 404 is final and not retried", func(t *testing.T) {
		fake := &hfFake{n: 5}
		srv := httptest.NewServer(fake)
		defer srv.Close()
		sl := &noSleep{}
		spec := hfSpec(srv.URL, "")
		spec = withHF(spec, func(h *HFSpec) { h.Dataset = "acme/missing" })
		_, err := (&HF{Sleep: sl.Sleep}).Load(context.Background(), spec, testEnv(t))
		if err == nil || !strings.Contains(err.Error(), "http status 404") || !strings.Contains(err.Error(), "acme/missing/plain_text/validation") {
			t.Errorf("error = %v", err)
		}
		if len(sl.waits) != 0 || fake.calls != 1 {
			t.Errorf("waits %v calls %d, want none and 1", sl.waits, fake.calls)
		}
	})
}

func TestHFToken(t *testing.T) {
	t.Run("the token from token_env is sent as a bearer token and kept out of errors", func(t *testing.T) {
		fake := &hfFake{n: 5, fault: func(w http.ResponseWriter, r *http.Request, call int) bool {
			http.Error(w, `{"error":"bad gateway"}`, http.StatusBadGateway)
			return true
		}}
		srv := httptest.NewServer(fake)
		defer srv.Close()
		t.Setenv("TEST_HF_TOKEN", "hf_secret_value")
		spec := hfSpec(srv.URL, "")
		spec = withHF(spec, func(h *HFSpec) { h.TokenEnv = "TEST_HF_TOKEN" })
		_, err := (&HF{Retries: -1}).Load(context.Background(), spec, testEnv(t))
		if err == nil || strings.Contains(err.Error(), "hf_secret_value") {
			t.Errorf("error = %v, want a failure that does not echo the token", err)
		}
		if fake.auth[0] != "Bearer hf_secret_value" {
			t.Errorf("Authorization = %q", fake.auth[0])
		}
	})
	t.Run("an unset token variable is an error naming it", func(t *testing.T) {
		spec := hfSpec("http://127.0.0.1:1", "")
		spec = withHF(spec, func(h *HFSpec) { h.TokenEnv = "TEST_HF_TOKEN_UNSET" })
		_, err := (&HF{}).Load(context.Background(), spec, testEnv(t))
		if err == nil || !strings.Contains(err.Error(), "TEST_HF_TOKEN_UNSET is not set") {
			t.Errorf("error = %v", err)
		}
	})
	t.Run("without token_env no Authorization header is sent", func(t *testing.T) {
		fake := &hfFake{n: 5}
		srv := httptest.NewServer(fake)
		defer srv.Close()
		if _, err := (&HF{}).Load(context.Background(), hfSpec(srv.URL, ""), testEnv(t)); err != nil {
			t.Fatal(err)
		}
		if fake.auth[0] != "" {
			t.Errorf("Authorization = %q, want none", fake.auth[0])
		}
	})
}

func TestHFErrors(t *testing.T) {
	cases := []struct {
		name  string
		fake  *hfFake
		spec  func(config.DatasetSpec) config.DatasetSpec
		wants []string
	}{
		{"a missing split is a config error", &hfFake{n: 1},
			func(s config.DatasetSpec) config.DatasetSpec { return withHF(s, func(h *HFSpec) { h.Split = "" }) },
			[]string{"dataset.hf.split: required"}},
		{"a page that is not rows JSON says what was expected", &hfFake{n: 1, fault: func(w http.ResponseWriter, r *http.Request, _ int) bool {
			w.Write([]byte(`<html>maintenance</html>`))
			return true
		}}, nil, []string{"page at offset 0", `want the rows API's JSON`}},
		{"a page lacking a row is reported", &hfFake{n: 150, fault: func(w http.ResponseWriter, r *http.Request, _ int) bool {
			if r.URL.Query().Get("offset") == "100" {
				w.Write([]byte(`{"rows": [], "num_rows_total": 150}`))
				return true
			}
			return false
		}}, nil, []string{"page at offset 100 has 0 rows and lacks row 100 of 150"}},
		{"a truncated cell is refused", &hfFake{n: 1, fault: func(w http.ResponseWriter, r *http.Request, _ int) bool {
			w.Write([]byte(`{"rows": [{"row_idx": 0, "row": {"id": "a", "context": "c", "question": "q", "answers": {"text": ["c"]}}, "truncated_cells": ["context"]}], "num_rows_total": 1}`))
			return true
		}}, nil, []string{"row 0: the viewer truncated cells [context]"}},
		{"a row without a question names the column", &hfFake{n: 2, row: func(i int) map[string]any {
			return map[string]any{"id": "x", "context": "c", "answers": map[string]any{"text": []string{"c"}}}
		}}, nil, []string{`row 0: missing column "question"`}},
		{"a pinned checksum that differs fails", &hfFake{n: 2},
			func(s config.DatasetSpec) config.DatasetSpec { s.SHA256 = strings.Repeat("a", 64); return s },
			[]string{"sha256 mismatch for hf acme/qa/plain_text/validation"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := httptest.NewServer(c.fake)
			defer srv.Close()
			spec := hfSpec(srv.URL, "")
			if c.spec != nil {
				spec = c.spec(spec)
			}
			_, err := (&HF{Retries: -1}).Load(context.Background(), spec, testEnv(t))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range c.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestHFCancellation(t *testing.T) {
	t.Run("a canceled context stops the retry wait", func(t *testing.T) {
		fake := &hfFake{n: 5, fault: func(w http.ResponseWriter, r *http.Request, _ int) bool {
			w.WriteHeader(http.StatusTooManyRequests)
			return true
		}}
		srv := httptest.NewServer(fake)
		defer srv.Close()
		ctx, cancel := context.WithCancel(context.Background())
		sleep := func(ctx context.Context, d time.Duration) error {
			cancel() // the user pressed Ctrl-C during the wait
			return ctx.Err()
		}
		_, err := (&HF{Sleep: sleep}).Load(ctx, hfSpec(srv.URL, ""), testEnv(t))
		if err != context.Canceled {
			t.Errorf("error = %v, want context.Canceled", err)
		}
		if fake.calls != 1 {
			t.Errorf("calls = %d, want 1", fake.calls)
		}
	})
}

// withHF returns spec with a copy of its hf block changed by f.
func withHF(spec config.DatasetSpec, f func(*HFSpec)) config.DatasetSpec {
	h := *spec.HF.Config.(*HFSpec)
	f(&h)
	spec.HF = h.Block()
	return spec
}
