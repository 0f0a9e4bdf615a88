package query

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/inferbench/inferbench/pipeline"
)

// benchServerEnv makes the test binary serve benchStream instead of running
// tests, so that benchmarks measure the client's CPU alone.
const benchServerEnv = "INFERBENCH_QUERY_BENCH_SERVER"

func TestMain(m *testing.M) {
	if os.Getenv(benchServerEnv) == "1" {
		serveBench()
		return
	}
	os.Exit(m.Run())
}

// benchStream is a vLLM-like streamed answer: a role-only chunk, 20 content
// tokens, finish_reason, a usage chunk and [DONE].
var benchStream = func() []byte {
	var b bytes.Buffer
	b.WriteString(`data: {"id":"chatcmpl-b","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}` + "\n\n")
	for i := range 20 {
		fmt.Fprintf(&b, `data: {"id":"chatcmpl-b","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":" tok%d"},"logprobs":null,"finish_reason":null}]}`+"\n\n", i)
	}
	b.WriteString(`data: {"id":"chatcmpl-b","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}` + "\n\n")
	b.WriteString(`data: {"id":"chatcmpl-b","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":120,"completion_tokens":20,"total_tokens":140}}` + "\n\n")
	b.WriteString("data: [DONE]\n\n")
	return b.Bytes()
}()

// benchHandler answers every request with benchStream at once (zero delay).
func benchHandler(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, r.Body)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Write(benchStream)
}

func serveBench() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	fmt.Println(ln.Addr().String())
	_ = http.Serve(ln, http.HandlerFunc(benchHandler))
}

// startBenchServer runs the zero-delay endpoint in a child process and
// returns its base URL.
func startBenchServer(b *testing.B) string {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), benchServerEnv+"=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || strings.HasPrefix(line, "error") {
		b.Fatalf("bench server: %q %v", line, err)
	}
	return "http://" + strings.TrimSpace(line) + "/v1"
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func benchConcurrency() int {
	if n, err := strconv.Atoi(os.Getenv("INFERBENCH_BENCH_CONCURRENCY")); err == nil && n > 0 {
		return n
	}
	return 32
}

// BenchmarkStreamedRequests is the client capacity figure: streamed
// requests per second against a zero-delay endpoint (20 token events and
// usage per answer) and the process's CPU time per request (getrusage
// user+sys). server=in-process serves from an httptest handler in this
// process, so its CPU figure includes the server's work; server=child serves
// from a child process, so its CPU figure is the client's alone.
// INFERBENCH_BENCH_CONCURRENCY sets the closed-loop concurrency (default 32).
func BenchmarkStreamedRequests(b *testing.B) {
	b.Run("server=in-process", func(b *testing.B) {
		srv := httptest.NewServer(http.HandlerFunc(benchHandler))
		defer srv.Close()
		benchStreamed(b, srv.URL+"/v1")
	})
	b.Run("server=child", func(b *testing.B) {
		benchStreamed(b, startBenchServer(b))
	})
}

func benchStreamed(b *testing.B, base string) {
	job := newJob(base, ids("s", b.N)...)
	job.Platform.Concurrency = benchConcurrency()
	job.Platform.Retries = 0
	q := New()
	var failed atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	cpu0, t0 := cpuTime(), time.Now()
	_, err := q.Query(context.Background(), job, func(r pipeline.Record) {
		if !r.OK() || r.OutputTokens != 20 {
			failed.Add(1)
		}
	})
	wall, cpu := time.Since(t0), cpuTime()-cpu0
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d failed requests", n)
	}
	b.ReportMetric(float64(b.N)/wall.Seconds(), "req/s")
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/req")
}

// BenchmarkSSEParse is the per-event cost of the streaming hot path:
// framing one SSE event and decoding its chunk.
func BenchmarkSSEParse(b *testing.B) {
	event := []byte(`data: {"id":"chatcmpl-b","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":" token"},"logprobs":null,"finish_reason":null}]}` + "\n\n")
	stream := bytes.Repeat(event, 1024)
	rd := bytes.NewReader(stream)
	sr := newSSEReader(rd)
	var ev sseEvent
	var c chunk
	b.ReportAllocs()
	b.SetBytes(int64(len(event)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := sr.next(&ev); err != nil {
			rd.Reset(stream)
			sr.r.Reset(rd)
			if err = sr.next(&ev); err != nil {
				b.Fatal(err)
			}
		}
		if err := decodeChunk(ev.Data, &c); err != nil || string(c.delta.content) != " token" {
			b.Fatal("bad decode", err)
		}
	}
}

// BenchmarkPoissonPacer is the rate accuracy figure: b.N requests on a
// Poisson schedule (INFERBENCH_BENCH_RATE requests/s, default 500) against
// a zero-delay endpoint. It reports the achieved rate's error against the
// target and against the seeded schedule itself, and the p99 scheduling
// lag (actual send - scheduled send). Run -benchtime=5000x for 10 s at 500/s.
func BenchmarkPoissonPacer(b *testing.B) {
	rate := 500.0
	if v, err := strconv.ParseFloat(os.Getenv("INFERBENCH_BENCH_RATE"), 64); err == nil && v > 0 {
		rate = v
	}
	base := startBenchServer(b)
	job := newJob(base, ids("s", b.N)...)
	job.Platform.Rate, job.Platform.Arrival, job.Platform.Concurrency = rate, "poisson", 0
	recs := make([]pipeline.Record, 0, b.N)
	done := make(chan pipeline.Record, 1024)
	go func() {
		for r := range done {
			recs = append(recs, r)
		}
	}()
	b.ReportAllocs()
	b.ResetTimer()
	_, err := New().Query(context.Background(), job, func(r pipeline.Record) { done <- r })
	b.StopTimer()
	close(done)
	if err != nil {
		b.Fatal(err)
	}
	for len(recs) < b.N {
		time.Sleep(time.Millisecond)
	}
	if b.N < 2 {
		return
	}
	first, last := recs[0].StartedAt, recs[0].StartedAt
	lags := make([]float64, 0, len(recs))
	for _, r := range recs {
		if !r.OK() {
			b.Fatalf("request failed: %s %s", r.Error, r.ErrorDetail)
		}
		if r.StartedAt.Before(first) {
			first = r.StartedAt
		}
		if r.StartedAt.After(last) {
			last = r.StartedAt
		}
		lags = append(lags, r.QueueMs)
	}
	slices.Sort(lags)
	span := last.Sub(first).Seconds()
	achieved := float64(b.N-1) / span
	scheduled := float64(b.N-1) / NewPoissonPacer(rate, job.Seed).Due(uint64(b.N-1)).Seconds()
	b.ReportMetric(achieved, "achieved-req/s")
	b.ReportMetric(100*(achieved-rate)/rate, "rate-err-vs-target-%")
	b.ReportMetric(100*(achieved-scheduled)/scheduled, "rate-err-vs-schedule-%")
	b.ReportMetric(lags[len(lags)/2], "p50-lag-ms")
	b.ReportMetric(lags[len(lags)*99/100], "p99-lag-ms")
}

// BenchmarkTimingFidelity compares the client's TTFT and E2E with the
// emulator's own clock (SambaNova-style usage carries the server's
// time_to_first_token and total_latency, measured from the request's
// arrival to the first token's write and to the end). The differences are
// what the client adds (request and response transit, parsing); reported as
// p50 and p99 absolute error in ms at 1, 64 and 512 concurrent streams, on
// warm connections (a warmup request per stream goes first, unmeasured).
// Run with -benchtime=2048x for stable tails.
func BenchmarkTimingFidelity(b *testing.B) {
	for _, streams := range []int{1, 64, 512} {
		b.Run("streams="+strconv.Itoa(streams), func(b *testing.B) {
			// TTFT grows with the streams so that the request rate (and the
			// CPU the in-process emulator and client need) stays well inside
			// what 2 cores serve: the figure is timing, not capacity.
			ttft := 50 * time.Millisecond * time.Duration(max(1, streams/64))
			prof := pipeline.EmulateProfile{TTFT: pipeline.Duration(ttft), TokensPerSecond: 400,
				Jitter: 0.1, Accuracy: 1, Usage: "sambanova"}
			// One warmup request per stream opens the connections first, so
			// the figures are of requests on warm connections.
			job := emulatedJob(prof, streams+b.N)
			for i := range streams {
				job.Cells[i].Warmup = true
			}
			job.Platform.Concurrency = streams
			var mu sync.Mutex
			var ttftErr, e2eErr []float64
			b.ReportAllocs()
			b.ResetTimer()
			_, err := New().Query(context.Background(), job, func(r pipeline.Record) {
				mu.Lock()
				defer mu.Unlock()
				if !r.OK() {
					b.Errorf("request failed: %s %s", r.Error, r.ErrorDetail)
					return
				}
				if r.Warmup {
					return
				}
				ttftErr = append(ttftErr, math.Abs(r.TTFTMs-1000*r.Server["time_to_first_token"]))
				e2eErr = append(e2eErr, math.Abs(r.LatencyMs-1000*r.Server["total_latency"]))
			})
			b.StopTimer()
			if err != nil {
				b.Fatal(err)
			}
			slices.Sort(ttftErr)
			slices.Sort(e2eErr)
			n := len(ttftErr)
			if n == 0 {
				return
			}
			b.ReportMetric(ttftErr[n/2], "ttft-err-p50-ms")
			b.ReportMetric(ttftErr[n*99/100], "ttft-err-p99-ms")
			b.ReportMetric(e2eErr[n/2], "e2e-err-p50-ms")
			b.ReportMetric(e2eErr[n*99/100], "e2e-err-p99-ms")
		})
	}
}
