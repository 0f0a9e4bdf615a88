package query

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/inferbench/inferbench/pipeline/results"
)

func TestA200ThatIsNotTheExpectedFormatIsUnexpectedContentType(t *testing.T) {
	const page = "<!DOCTYPE html>\n<html><head><title>Sign in</title></head>\x00<body>Your session for sk-portal-0123456789 expired</body></html>"
	cases := []struct {
		name   string
		stream bool
		bad    http.HandlerFunc
		class  string
		detail []string // substrings of error_detail
	}{
		{name: "an HTML page answering a streamed request", stream: true, class: results.ErrUnexpectedContentType,
			bad: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				w.Write([]byte(page))
			},
			detail: []string{"text/html", "<!DOCTYPE html> <html><head><title>Sign in", "[redacted]"}},
		{name: "an event-stream content type over a body that is not SSE", stream: true, class: results.ErrUnexpectedContentType,
			bad: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/event-stream")
				w.Write([]byte("<html>gateway says hello</html>"))
			},
			detail: []string{"text/event-stream", "<html>gateway says hello</html>"}},
		{name: "an HTML page answering a non-streamed request", stream: false, class: results.ErrUnexpectedContentType,
			bad: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html")
				w.Write([]byte(page))
			},
			detail: []string{"text/html", "Sign in"}},
		{name: "plain text answering a non-streamed request", stream: false, class: results.ErrUnexpectedContentType,
			bad: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/plain")
				w.Write([]byte("upstream connect error or disconnect/reset before headers"))
			},
			detail: []string{"text/plain", "upstream connect error"}},
		{name: "an SSE stream sent as text/plain is still read", stream: true, class: "",
			bad: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/plain")
				w.Write([]byte("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"answer bad\"},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n"))
			}},
		{name: "a JSON completion answering a streamed request is still read", stream: true, class: "",
			bad: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.Write([]byte(`{"choices":[{"index":0,"message":{"content":"answer bad"},"finish_reason":"stop"}]}`))
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, tc.bad)
			job := newJob(f.URL+"/v1", "good1", "bad", "good2")
			job.Params.Stream = tc.stream
			job.Platform.APIKey = "sk-portal-0123456789"
			recs, _, err := collect(t, context.Background(), New(), job)
			if err != nil {
				t.Fatal(err)
			}
			r := recs["bad"]
			if r.Error != tc.class {
				t.Fatalf("error %q (%s), want %q", r.Error, r.ErrorDetail, tc.class)
			}
			if tc.class == "" && r.Content != "answer bad" {
				t.Errorf("content %q", r.Content)
			}
			for _, want := range tc.detail {
				if !strings.Contains(r.ErrorDetail, want) {
					t.Errorf("detail %q lacks %q", r.ErrorDetail, want)
				}
			}
			if len(r.ErrorDetail) > maxDetail+3 || strings.ContainsAny(r.ErrorDetail, "\x00\n") || strings.Contains(r.ErrorDetail, "sk-portal") {
				t.Errorf("detail is not short, printable and redacted: %q", r.ErrorDetail)
			}
			if r.HTTPStatus != 200 {
				t.Errorf("status %d", r.HTTPStatus)
			}
			assertGood(t, recs, "good1", "good2")
		})
	}
}

func TestSniffChoosesHowToReadA200(t *testing.T) {
	cases := []struct {
		name, ct, head string
		want           int
	}{
		{"an event stream that starts with data is a stream", "text/event-stream", "data: {}", formatStream},
		{"an event stream that starts with a comment is a stream", "text/event-stream", ": ok\n\n", formatStream},
		{"an event stream whose first read ends inside a field name is a stream", "text/event-stream", "da", formatStream},
		{"an event stream after a byte order mark is a stream", "text/event-stream", "\xef\xbb\xbfevent: x", formatStream},
		{"an event stream with no bytes is left to the stream reader", "text/event-stream", "", formatStream},
		{"JSON is read whole whatever it starts with", "application/json", "<html>", formatJSON},
		{"a +json type is read whole", "application/vnd.api+json", "{}", formatJSON},
		{"untyped SSE is a stream", "", "data: {}", formatStream},
		{"plain text that starts with a brace is read whole", "text/plain", `{"choices":[]}`, formatJSON},
		{"an event stream that starts with a brace is not an answer", "text/event-stream", `{"a":1}`, formatOther},
		{"HTML is not an answer whatever it starts with", "text/html", "data: {}", formatOther},
		{"plain text prose is not an answer", "text/plain", "upstream error", formatOther},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := sniff(c.ct, []byte(c.head)); got != c.want {
				t.Errorf("sniff(%q, %q) = %d, want %d", c.ct, c.head, got, c.want)
			}
		})
	}
}
