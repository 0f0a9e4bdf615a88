package emulator

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/inferbench/inferbench/pipeline/config"
)

// discardWriter is a ResponseWriter and Flusher that counts and drops bytes,
// so the benchmark measures the emulator and not a network stack.
type discardWriter struct {
	h       http.Header
	n       int
	status  int
	flushes int
}

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(p []byte) (int, error) { d.n += len(p); return len(p), nil }
func (d *discardWriter) WriteHeader(s int)           { d.status = s }
func (d *discardWriter) Flush()                      { d.flushes++ }

// resettableBody lets one request be served many times.
type resettableBody struct{ bytes.Reader }

func (*resettableBody) Close() error { return nil }

// BenchmarkZeroDelayStream measures the server side of one streamed request
// with zero TTFT and unlimited tokens per second: decode, plan, and write
// role chunk, reasoning and content deltas, finish, usage and [DONE].
func BenchmarkZeroDelayStream(b *testing.B) {
	for _, bc := range []struct {
		name      string
		reasoning int
	}{
		{"reasoning=0", 0},
		{"reasoning=40", 40},
	} {
		b.Run(bc.name, func(b *testing.B) {
			prof := Profile{ReasoningTokens: bc.reasoning, Accuracy: 0.8, Style: "chatty"}
			srv := New(prof, 1, mapLookup())
			raw, _ := json.Marshal(streamBody(promptFor(&fixture[4])))
			body := &resettableBody{}
			req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, "http://127.0.0.1/v1/chat/completions", body)
			req.Header.Set("X-Request-Id", "bench")
			w := &discardWriter{h: http.Header{}}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				body.Reset(raw)
				clear(w.h)
				w.n = 0
				srv.ServeHTTP(w, req)
			}
			b.StopTimer()
			if w.status != http.StatusOK || w.n == 0 {
				b.Fatalf("status %d, %d bytes", w.status, w.n)
			}
			b.ReportMetric(float64(w.n), "bytes/resp")
		})
	}
}

// mapLookup is a Lookup that does not allocate: the last message's content
// indexes the fixture, as a query stage's lookup would.
func mapLookup() Lookup {
	m := map[string]*config.Sample{}
	for i := range fixture {
		msgs := promptFor(&fixture[i])
		m[msgs[len(msgs)-1].Content] = &fixture[i]
	}
	return func(msgs []config.Message) *config.Sample { return m[msgs[len(msgs)-1].Content] }
}

// BenchmarkZeroDelayStreamHTTP is the same request over loopback HTTP with
// parallel keep-alive clients: the emulator as the zero-delay endpoint of a
// client-capacity benchmark (client and server share the CPU).
func BenchmarkZeroDelayStreamHTTP(b *testing.B) {
	base := startServer(b, Profile{ReasoningTokens: 40, Accuracy: 0.8, Style: "chatty"}, 1, mapLookup())
	raw, _ := json.Marshal(streamBody(promptFor(&fixture[4])))
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := client.Post(base+"/chat/completions", "application/json", bytes.NewReader(raw))
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
}
