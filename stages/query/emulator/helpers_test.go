package emulator

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/inferbench/inferbench/pipeline/config"
)

// fixture is a small set of questions written for these tests (no SQuAD text).
var fixture = []config.Sample{
	{ID: "q01", Context: "The lighthouse on Gull Point was built in 1874 by the harbour board. Its lamp burned whale oil until 1902, when kerosene replaced it.", Question: "When was the lighthouse on Gull Point built?", Answers: []string{"1874", "in 1874"}},
	{ID: "q02", Context: "Marta Kovac founded the Riverside Chess Club after moving from Zagreb. The club meets every Thursday in the old grain exchange.", Question: "Who founded the Riverside Chess Club?", Answers: []string{"Marta Kovac"}},
	{ID: "q03", Context: "The glacier retreats about forty metres each summer. Scientists measure it with stakes drilled into the ice every spring.", Question: "How far does the glacier retreat each summer?", Answers: []string{"about forty metres", "forty metres"}},
	{ID: "q04", Context: "Copper wire carries the signal from the antenna to the receiver. A ferrite bead near the plug suppresses interference from the power supply.", Question: "What suppresses interference from the power supply?", Answers: []string{"A ferrite bead", "ferrite bead"}},
	{ID: "q05", Context: "The festival moved to the eastern meadow in 1998 because the old site flooded twice. Attendance doubled within three years of the move.", Question: "Why did the festival move to the eastern meadow?", Answers: []string{"because the old site flooded twice", "the old site flooded twice"}},
	{ID: "q06", Context: "Orange-tailed finches nest in hollow reeds along the lake shore. Each pair raises two broods a year when insects are plentiful.", Question: "Where do orange-tailed finches nest?", Answers: []string{"in hollow reeds along the lake shore", "hollow reeds"}},
	{ID: "q07", Context: "The compiler rewrites loops into vector instructions when the trip count is known. Programmers can disable this with a pragma.", Question: "How can programmers disable loop vectorization?", Answers: []string{"with a pragma"}},
	{ID: "q08", Context: "Bakers in the valley use rye sourdough started from wild yeast. The starter is fed with flour and water every twelve hours.", Question: "How often is the starter fed?", Answers: []string{"every twelve hours"}},
	{ID: "q09", Context: "The treaty was signed aboard a river barge to avoid choosing either capital. Both delegations arrived by rowing boat at dawn.", Question: "Where was the treaty signed?", Answers: []string{"aboard a river barge"}},
	{ID: "q10", Context: "Solar panels on the school roof produce about sixty percent of its electricity. The rest comes from a wind cooperative in the hills.", Question: "Where does the rest of the school's electricity come from?", Answers: []string{"a wind cooperative in the hills", "wind cooperative"}},
	{ID: "q11", Context: "Ferry tickets cost four euros for adults and half that for children. Bicycles travel free on weekday mornings.", Question: "How much is a ferry ticket for an adult?", Answers: []string{"four euros"}},
	{ID: "q12", Context: "The museum keeps its textile collection in a basement vault held at eighteen degrees. Only two curators have keys to the vault.", Question: "Who has keys to the vault?", Answers: []string{"two curators", "Only two curators"}},
	{ID: "q13", Context: "Nobody recorded who painted the mural beside the station. It shows a heron standing in reeds at sunset.", Question: "What year was the station mural painted?", IsImpossible: true},
}

// promptFor renders the default prompt for a sample.
func promptFor(s *config.Sample) []config.Message {
	return []config.Message{{Role: "user", Content: "Context: " + s.Context + "\n\nQuestion: " + s.Question + "\n\nAnswer:"}}
}

// fixtureLookup finds the fixture sample whose question is in the last message.
func fixtureLookup(msgs []config.Message) *config.Sample {
	if len(msgs) == 0 {
		return nil
	}
	last := msgs[len(msgs)-1].Content
	for i := range fixture {
		if strings.Contains(last, "Question: "+fixture[i].Question) {
			return &fixture[i]
		}
	}
	return nil
}

// startServer runs an emulator with Start and shuts it down after the test.
func startServer(t testing.TB, prof Profile, seed int64, lookup Lookup) string {
	t.Helper()
	base, shutdown, err := Start("127.0.0.1:0", New(prof, seed, lookup))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return base
}

// chatBody is a request body; zero fields are left out.
type chatBody struct {
	Model         string           `json:"model,omitempty"`
	Messages      []config.Message `json:"messages"`
	Stream        bool             `json:"stream,omitempty"`
	StreamOptions *streamOptions   `json:"stream_options,omitempty"`
	MaxTokens     int              `json:"max_tokens,omitempty"`
	Temperature   *float64         `json:"temperature,omitempty"`
}

func streamBody(msgs []config.Message) chatBody {
	return chatBody{Model: "openai/gpt-oss-120b", Messages: msgs, Stream: true, StreamOptions: &streamOptions{IncludeUsage: true}}
}

// post sends body (a chatBody, or raw []byte) to base+path with an optional request id.
func post(t testing.TB, ctx context.Context, base, path string, body any, requestID string) *http.Response {
	t.Helper()
	var raw []byte
	switch b := body.(type) {
	case []byte:
		raw = b
	default:
		var err error
		if raw, err = json.Marshal(b); err != nil {
			t.Fatal(err)
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+path, bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if requestID != "" {
		req.Header.Set("X-Request-Id", requestID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// readSSE parses an SSE body into the data payloads of its events. The error
// is the read error that ended the stream (nil for a clean end).
func readSSE(r io.Reader) ([]string, error) {
	br := bufio.NewReader(r)
	var events []string
	var data []string
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			if errors.Is(err, io.EOF) && line == "" && len(data) == 0 {
				return events, nil
			}
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF // an event was cut short
			}
			return events, err
		}
		line = strings.TrimRight(line, "\r\n")
		switch {
		case line == "":
			if len(data) > 0 {
				events = append(events, strings.Join(data, "\n"))
				data = nil
			}
		case strings.HasPrefix(line, ":"):
		case strings.HasPrefix(line, "data:"):
			data = append(data, strings.TrimPrefix(strings.TrimPrefix(line, "data:"), " "))
		}
	}
}

// chunk is a streamed chat.completion.chunk as a client decodes it.
type chunk struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	Model   string `json:"model"`
	Choices []struct {
		Index        int                `json:"index"`
		Delta        map[string]*string `json:"delta"`
		FinishReason *string            `json:"finish_reason"`
	} `json:"choices"`
	Usage map[string]any `json:"usage"`
}

// stream is one streamed response, decoded.
type stream struct {
	raw       []string
	chunks    []chunk
	content   string
	reasoning string
	finish    string
	usage     map[string]any
	done      bool
	err       error
}

// decodeStream decodes the events; field is the expected reasoning field.
func decodeStream(t *testing.T, events []string, err error, field string) stream {
	t.Helper()
	s := stream{raw: events, err: err}
	for i, e := range events {
		if e == "[DONE]" {
			if i != len(events)-1 {
				t.Fatalf("[DONE] is event %d of %d, want last", i, len(events))
			}
			s.done = true
			continue
		}
		var c chunk
		if err := json.Unmarshal([]byte(e), &c); err != nil {
			t.Fatalf("event %d is not JSON: %v: %q", i, err, e)
		}
		s.chunks = append(s.chunks, c)
		if c.Usage != nil {
			s.usage = c.Usage
		}
		for _, ch := range c.Choices {
			if v := ch.Delta["content"]; v != nil {
				s.content += *v
			}
			if v := ch.Delta[field]; v != nil {
				s.reasoning += *v
			}
			if ch.FinishReason != nil {
				s.finish = *ch.FinishReason
			}
		}
	}
	return s
}

// completion is a non-streaming chat.completion.
type completion struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Model   string `json:"model"`
	Choices []struct {
		Message      map[string]any `json:"message"`
		FinishReason string         `json:"finish_reason"`
	} `json:"choices"`
	Usage map[string]any `json:"usage"`
}

// errorBody is the OpenAI API's error object: code and param are strings
// or null.
type errorBody struct {
	Error struct {
		Message string  `json:"message"`
		Type    string  `json:"type"`
		Param   *string `json:"param"`
		Code    *string `json:"code"`
	} `json:"error"`
}

// param and code return the error's param and code, "" for null.
func (e errorBody) param() string { return deref(e.Error.Param) }
func (e errorBody) code() string  { return deref(e.Error.Code) }

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func decodeError(t *testing.T, resp *http.Response) errorBody {
	t.Helper()
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("error Content-Type = %q, want application/json", ct)
	}
	var e errorBody
	if err := json.NewDecoder(resp.Body).Decode(&e); err != nil {
		t.Fatalf("error body is not JSON: %v", err)
	}
	if e.Error.Message == "" || e.Error.Type == "" {
		t.Errorf("error body %+v lacks message or type", e)
	}
	if resp.Header.Get("X-Request-Id") == "" {
		t.Error("an error answer without X-Request-Id")
	}
	return e
}

// normalizeForTest is SQuAD's normalization, written again here so that the
// test does not trust the code under test.
func normalizeForTest(s string) string {
	s = strings.ToLower(s)
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", r) {
			continue
		}
		b.WriteRune(r)
	}
	var out []string
	for _, w := range strings.Fields(b.String()) {
		if w != "a" && w != "an" && w != "the" {
			out = append(out, w)
		}
	}
	return strings.Join(out, " ")
}

func exactMatch(pred string, gold []string) bool {
	for _, g := range gold {
		if normalizeForTest(pred) == normalizeForTest(g) {
			return true
		}
	}
	return false
}
