package query

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/inferbench/inferbench/pipeline"
	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/results"
)

// sseW writes real server-sent events to a ResponseWriter, flushing each.
type sseW struct {
	w http.ResponseWriter
	f http.Flusher
}

func startSSE(w http.ResponseWriter) *sseW {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	s := &sseW{w: w, f: w.(http.Flusher)}
	s.f.Flush()
	return s
}

func (s *sseW) raw(text string) { io.WriteString(s.w, text); s.f.Flush() }

// data sends one event whose data is v marshalled to JSON (or v itself when
// it is a string).
func (s *sseW) data(v any) {
	b, ok := v.(string)
	if !ok {
		j, _ := json.Marshal(v)
		b = string(j)
	}
	s.raw("data: " + b + "\n\n")
}

func (s *sseW) done() { s.raw("data: [DONE]\n\n") }

// delta builds a chat.completion.chunk with one choice.
func delta(d map[string]any, finish any) map[string]any {
	return map[string]any{
		"id": "chatcmpl-1", "object": "chat.completion.chunk", "model": "m",
		"choices": []any{map[string]any{"index": 0, "delta": d, "finish_reason": finish}},
	}
}

func usageChunk(prompt, completion, reasoning int, extra map[string]any) map[string]any {
	u := map[string]any{"prompt_tokens": prompt, "completion_tokens": completion,
		"total_tokens": prompt + completion}
	if reasoning > 0 {
		u["completion_tokens_details"] = map[string]any{"reasoning_tokens": reasoning}
	}
	for k, v := range extra {
		u[k] = v
	}
	return map[string]any{"id": "chatcmpl-1", "object": "chat.completion.chunk", "choices": []any{}, "usage": u}
}

// streamAnswer writes a well-behaved vLLM-like stream: a role-only chunk, a
// comment, the words of answer as content deltas, finish_reason stop, a usage
// chunk and [DONE].
func streamAnswer(w http.ResponseWriter, answer string) {
	s := startSSE(w)
	s.data(delta(map[string]any{"role": "assistant", "content": ""}, nil))
	s.raw(": keep-alive\n\n")
	words := strings.Fields(answer)
	for i, wd := range words {
		if i > 0 {
			wd = " " + wd
		}
		s.data(delta(map[string]any{"content": wd}, nil))
	}
	s.data(delta(map[string]any{}, "stop"))
	s.data(usageChunk(10, len(words), 0, nil))
	s.done()
}

// seenRequest is what a fake server recorded about one request.
type seenRequest struct {
	Header http.Header
	Body   map[string]any
}

// fake is an httptest server on 127.0.0.1 routing by X-Request-Id: cells
// whose sample id starts with "bad" get the bad handler, the others a
// well-behaved stream answering "answer <sample id>".
type fake struct {
	*httptest.Server
	mu   sync.Mutex
	seen []seenRequest
	bad  http.HandlerFunc
}

// fakeOpt changes the server before it starts.
type fakeOpt func(*httptest.Server)

// wrap puts middleware in front of the fake's handler.
func wrap(mw func(next http.Handler) http.Handler) fakeOpt {
	return func(s *httptest.Server) { s.Config.Handler = mw(s.Config.Handler) }
}

func newFake(t *testing.T, bad http.HandlerFunc, opts ...fakeOpt) *fake {
	t.Helper()
	f := &fake{bad: bad}
	f.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v1/chat/completions" {
			http.Error(w, "not found", http.StatusNotFound)
			return
		}
		var body map[string]any
		raw, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(raw, &body); err != nil {
			http.Error(w, `{"error":{"message":"bad request body"}}`, http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		f.seen = append(f.seen, seenRequest{Header: r.Header.Clone(), Body: body})
		f.mu.Unlock()
		id := r.Header.Get("X-Request-Id")
		sample := id[strings.LastIndex(id, "/")+1:]
		if f.bad != nil && strings.HasPrefix(sample, "bad") {
			f.bad(w, r)
			return
		}
		streamAnswer(w, "answer "+sample)
	}))
	for _, o := range opts {
		o(f.Server)
	}
	f.Start()
	t.Cleanup(f.Close)
	return f
}

func (f *fake) requests() []seenRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]seenRequest(nil), f.seen...)
}

// newJob builds a job of one cell per sample id against baseURL.
func newJob(baseURL string, ids ...string) pipeline.QueryJob {
	job := pipeline.QueryJob{
		Platform: config.Platform{Name: "fake", BaseURL: baseURL, Models: []string{"m"},
			Concurrency: 2, Timeout: config.Duration(10 * time.Second)},
		Params: config.Params{Temperature: []float64{0.7}, MaxTokens: 64, Stream: true},
		Seed:   7,
	}
	for i, id := range ids {
		s := &config.Sample{ID: id, Context: "ctx " + id, Question: "q " + id, Answers: []string{id}}
		job.Cells = append(job.Cells, results.Cell{
			CellKey:  results.CellKey{Platform: "fake", Model: "m", Temperature: 0.7, SampleID: id},
			Seq:      i,
			Sample:   s,
			Messages: []config.Message{{Role: "user", Content: "Context: " + s.Context + "\n\nQuestion: " + s.Question}},
		})
	}
	return job
}

// collect runs job and returns its records by sample id, failing the test
// when a cell is emitted twice.
func collect(t *testing.T, ctx context.Context, q *Querier, job pipeline.QueryJob) (map[string]results.Record, pipeline.QueryReport, error) {
	t.Helper()
	var mu sync.Mutex
	recs := map[string]results.Record{}
	rep, err := q.Query(ctx, job, func(r results.Record) {
		mu.Lock()
		defer mu.Unlock()
		if _, dup := recs[r.CellKey.String()]; dup {
			t.Errorf("cell %s emitted twice", r.CellKey)
		}
		recs[r.CellKey.String()] = r
	})
	out := map[string]results.Record{}
	for _, r := range recs {
		out[r.SampleID] = r
	}
	return out, rep, err
}

// assertGood checks that the records of the well-behaved samples are intact.
func assertGood(t *testing.T, recs map[string]results.Record, ids ...string) {
	t.Helper()
	for _, id := range ids {
		r, ok := recs[id]
		switch {
		case !ok:
			t.Errorf("record %s missing", id)
		case !r.OK():
			t.Errorf("record %s failed: %s (%s)", id, r.Error, r.ErrorDetail)
		case r.Content != "answer "+id || r.FinishReason != "stop" || r.OutputTokens != 2:
			t.Errorf("record %s not intact: content %q finish %q tokens %d", id, r.Content, r.FinishReason, r.OutputTokens)
		}
	}
}

// readAllRestore reads r's body and puts it back for the next handler.
func readAllRestore(r *http.Request) (string, error) {
	b, err := io.ReadAll(r.Body)
	r.Body = io.NopCloser(strings.NewReader(string(b)))
	return string(b), err
}
