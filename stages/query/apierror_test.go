package query

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/inferbench/inferbench/pipeline/results"
)

// The two error objects servers send: the OpenAI API's, and vLLM's flat
// one (its ErrorResponse as served by vLLM before 0.10, still by many
// deployments).
const (
	openAIError = `{"error":{"message":"%s","type":"invalid_request_error","param":null,"code":null}}`
	vllmError   = `{"object":"error","message":"%s","type":"BadRequestError","param":null,"code":400}`
)

func errorObject(shape, message string) string { return strings.Replace(shape, "%s", message, 1) }

// jsonError answers status with body as application/json, as both servers do.
func jsonError(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	io.WriteString(w, body)
}

func TestStreamOptionsRefusalIsResentWithoutItHoweverItArrives(t *testing.T) {
	const msg = "Unrecognized request argument supplied: stream_options"
	cases := []struct {
		name   string
		refuse func(w http.ResponseWriter)
		how    string // what the note says of the refusal
	}{
		{"an HTTP 400 with OpenAI's error object", func(w http.ResponseWriter) {
			jsonError(w, http.StatusBadRequest, `{"error":{"message":"`+msg+`","type":"invalid_request_error","param":"stream_options","code":null}}`)
		}, "HTTP 400"},
		{"an HTTP 400 with vLLM's error object", func(w http.ResponseWriter) {
			jsonError(w, http.StatusBadRequest, errorObject(vllmError, "[{'type': 'extra_forbidden', 'loc': ('body', 'stream_options'), 'msg': 'Extra inputs are not permitted'}]"))
		}, "HTTP 400"},
		{"an error event in OpenAI's shape inside an HTTP 200 stream", func(w http.ResponseWriter) {
			s := startSSE(w)
			s.data(errorObject(openAIError, msg))
		}, "an error event inside an HTTP 200 stream"},
		{"an error event in vLLM's shape inside an HTTP 200 stream", func(w http.ResponseWriter) {
			s := startSSE(w)
			s.data(delta(map[string]any{"role": "assistant", "content": ""}, nil))
			s.data(errorObject(vllmError, msg))
			s.done()
		}, "an error event inside an HTTP 200 stream"},
		{"an event: error inside an HTTP 200 stream", func(w http.ResponseWriter) {
			s := startSSE(w)
			s.raw("event: error\ndata: {\"message\": \"stream_options is not supported\"}\n\n")
		}, "an error event inside an HTTP 200 stream"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var refused atomic.Int32
			f := newFake(t, nil, wrap(func(h http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if body, _ := readAllRestore(r); strings.Contains(body, "stream_options") {
						refused.Add(1)
						tc.refuse(w)
						return
					}
					h.ServeHTTP(w, r)
				})
			}))
			job := newJob(f.URL+"/v1", "a", "b", "c")
			job.Platform.Concurrency = 1
			recs, rep, err := collect(t, context.Background(), New(), job)
			if err != nil {
				t.Fatal(err)
			}
			assertGood(t, recs, "a", "b", "c")
			if refused.Load() != 1 {
				t.Errorf("stream_options sent %d times, want once in all", refused.Load())
			}
			if recs["a"].Attempts != 2 {
				t.Errorf("first record: %d attempts, want 2", recs["a"].Attempts)
			}
			if len(rep.Notes) != 1 || !strings.Contains(rep.Notes[0], "rejected stream_options ("+tc.how+")") {
				t.Errorf("notes %q, want one naming stream_options and %q", rep.Notes, tc.how)
			}
		})
	}
}

func TestAnErrorEventNamingStreamOptionsAfterTokensIsAnError(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		s := startSSE(w)
		s.data(delta(map[string]any{"content": "half"}, nil))
		s.data(errorObject(openAIError, "stream_options trouble after the answer began"))
	})
	recs, rep, err := collect(t, context.Background(), New(), newJob(f.URL+"/v1", "bad1"))
	if err != nil {
		t.Fatal(err)
	}
	if r := recs["bad1"]; r.Error != results.ErrSSEErrorEvent || r.Attempts != 1 {
		t.Errorf("record %s after %d attempts, want %s after 1", r.Error, r.Attempts, results.ErrSSEErrorEvent)
	}
	if len(rep.Notes) != 0 {
		t.Errorf("notes %q", rep.Notes)
	}
}

func TestErrorObjectsOfBothShapesAreRead(t *testing.T) {
	cases := []struct {
		name    string
		stream  bool
		answer  func(w http.ResponseWriter)
		class   string
		message string
	}{
		{"OpenAI's object with HTTP 400", true, func(w http.ResponseWriter) {
			jsonError(w, http.StatusBadRequest, errorObject(openAIError, "Invalid temperature"))
		}, results.HTTPError(400), "Invalid temperature"},
		{"vLLM's object with HTTP 400", true, func(w http.ResponseWriter) {
			jsonError(w, http.StatusBadRequest, errorObject(vllmError, "This model's maximum context length is 8192 tokens"))
		}, results.HTTPError(400), "maximum context length"},
		{"OpenAI's object as an event mid-stream", true, func(w http.ResponseWriter) {
			s := startSSE(w)
			s.data(delta(map[string]any{"content": "par"}, nil))
			s.data(errorObject(openAIError, "overloaded"))
		}, results.ErrSSEErrorEvent, "overloaded"},
		{"vLLM's object as an event mid-stream", true, func(w http.ResponseWriter) {
			s := startSSE(w)
			s.data(delta(map[string]any{"content": "par"}, nil))
			s.data(errorObject(vllmError, "engine dead"))
			s.done()
		}, results.ErrSSEErrorEvent, "engine dead"},
		{"vLLM's object as a whole HTTP 200 answer", false, func(w http.ResponseWriter) {
			jsonError(w, http.StatusOK, errorObject(vllmError, "engine dead"))
		}, results.ErrSSEErrorEvent, "engine dead"},
		{"OpenAI's object as a whole HTTP 200 answer", false, func(w http.ResponseWriter) {
			jsonError(w, http.StatusOK, errorObject(openAIError, "engine dead"))
		}, results.ErrSSEErrorEvent, "engine dead"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, func(w http.ResponseWriter, r *http.Request) { tc.answer(w) })
			job := newJob(f.URL+"/v1", "bad1")
			job.Params.Stream = tc.stream
			recs, _, err := collect(t, context.Background(), New(), job)
			if err != nil {
				t.Fatal(err)
			}
			if r := recs["bad1"]; r.Error != tc.class || !strings.Contains(r.ErrorDetail, tc.message) {
				t.Errorf("record %s %q, want %s quoting %q", r.Error, r.ErrorDetail, tc.class, tc.message)
			}
		})
	}
}
