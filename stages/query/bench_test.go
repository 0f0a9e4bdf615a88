package query

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
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

	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/results"
	"github.com/inferbench/inferbench/stages/query/emulator"
)

// benchServerEnv makes the test binary serve benchStream instead of running
// tests, so that benchmarks measure the client's CPU alone.
const benchServerEnv = "INFERBENCH_QUERY_BENCH_SERVER"

// benchProfileEnv carries the emulator profile (JSON of fidelityServer) to
// a child process started with benchServerEnv=emulator.
const benchProfileEnv = "INFERBENCH_QUERY_BENCH_PROFILE"

func TestMain(m *testing.M) {
	switch os.Getenv(benchServerEnv) {
	case "1":
		exitWithParent()
		serveBench()
		return
	case "emulator":
		exitWithParent()
		serveEmulator()
		return
	}
	os.Exit(m.Run())
}

// exitWithParent ends a benchmark server child when its parent goes away
// (its stdin, a pipe from the parent, reaches EOF), so that no server
// outlives an interrupted benchmark.
func exitWithParent() {
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}()
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
	return "http://" + startChild(b, benchServerEnv+"=1") + "/v1"
}

// startChild runs this test binary as a server child process with env
// added to its environment and returns the first line it prints (its
// address). The child is killed when the benchmark ends and exits by itself
// if this process dies (its stdin closes).
func startChild(b *testing.B, env ...string) string {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { stdin.Close(); cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || strings.HasPrefix(line, "error") {
		b.Fatalf("bench server: %q %v", line, err)
	}
	return strings.TrimSpace(line)
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
	_, err := q.Query(context.Background(), job, func(r results.Record) {
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
	recs := make([]results.Record, 0, b.N)
	done := make(chan results.Record, 1024)
	go func() {
		for r := range done {
			recs = append(recs, r)
		}
	}()
	b.ReportAllocs()
	b.ResetTimer()
	_, err := New().Query(context.Background(), job, func(r results.Record) { done <- r })
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

// fidelityServer is the emulator a BenchmarkTimingFidelity child serves:
// its profile and seed, passed as JSON in benchProfileEnv.
type fidelityServer struct {
	TTFT            time.Duration `json:"ttft_ns"`
	TokensPerSecond float64       `json:"tokens_per_second"`
	Jitter          float64       `json:"jitter"`
	ReasoningTokens int           `json:"reasoning_tokens"`
	Seed            int64         `json:"seed"`
}

// profile is the emulator profile of f: SambaNova-style usage, so every
// response carries the server's own time_to_first_token and total_latency.
func (f fidelityServer) profile() emulator.Profile {
	return emulator.Profile{TTFT: config.Duration(f.TTFT), TokensPerSecond: f.TokensPerSecond,
		Jitter: f.Jitter, ReasoningTokens: f.ReasoningTokens, Accuracy: 1, Usage: "sambanova"}
}

func serveEmulator() {
	var f fidelityServer
	if err := json.Unmarshal([]byte(os.Getenv(benchProfileEnv)), &f); err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	base, _, err := emulator.Start("127.0.0.1:0", emulator.New(f.profile(), f.Seed, nil))
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	fmt.Println(base)
	select {}
}

// plan returns the injected truth of one request (see emulator.Plan). The
// benchmark checks it on every request: the server can never send a token
// before its planned deadline, so a server-reported time earlier than the
// plan means the plan and the server disagree, and the benchmark fails
// rather than report figures against a wrong truth.
func (f fidelityServer) plan(requestID, model string, temperature float64, tokens int) (ttft, e2e time.Duration) {
	return emulator.Plan(f.profile(), f.Seed, requestID, model, temperature, tokens)
}

// fidelityCases are the stream counts of BenchmarkTimingFidelity and the
// emulator each runs against. The per-stream token rate falls as streams
// grow, the way a real server's does, so that the token events of all
// streams together (1x500, 64x100, 512x25 = 500, 6,400 and 12,800 events/s)
// stay within what the 2 shared cores serve: the figure is timing, not
// capacity (BenchmarkStreamedRequests is capacity).
var fidelityCases = []struct {
	streams int
	server  fidelityServer
}{
	{1, fidelityServer{TTFT: 10 * time.Millisecond, TokensPerSecond: 500}},
	{64, fidelityServer{TTFT: 100 * time.Millisecond, TokensPerSecond: 100}},
	{512, fidelityServer{TTFT: 500 * time.Millisecond, TokensPerSecond: 25}},
}

// fidelityJitter spreads TTFT and token gaps by ±30% (per request, seeded),
// so that streams do not deliver their events in lockstep bursts: a real
// server's TTFT varies with its queue.
const fidelityJitter = 0.3

// pct is the nearest-rank percentile of sorted values: sorted[⌊q·n⌋],
// clamped to the last element.
func pct(sorted []float64, q float64) float64 {
	return sorted[min(len(sorted)-1, int(q*float64(len(sorted))))]
}

// BenchmarkTimingFidelity is the timing fidelity figure: the client's
// reported TTFT and E2E against the emulator's injected truth at 1, 64 and
// 512 concurrent streams (closed loop, b.N measured requests after one
// unmeasured warmup request per stream that opens the connections).
//
// The emulator runs in a child process (this test binary, see
// startChild), so it does not share the client's Go scheduler, and answers
// with 8 reasoning tokens and a short answer, every TTFT and token gap
// jittered by ±30%. The injected truth of each request is the emulator's
// plan (TTFT and last-token deadline from the request's arrival), computed
// here from the seed and request (fidelityServer.plan). Reported metrics,
// all in ms, percentiles by nearest rank:
//   - ttft-dev-p50-ms, ttft-dev-p99-ms, e2e-dev-p50-ms, e2e-dev-p99-ms:
//     |pXX(reported) - pXX(injected)|, the figure (goal <= 1 ms).
//   - ttft-err-p50-ms, ttft-err-p99-ms, e2e-err-p50-ms, e2e-err-p99-ms: the
//     percentiles over requests of reported - the server's actual send time
//     (SambaNova-style usage time_to_first_token / total_latency, from
//     arrival): what the client's measurement itself adds (request and
//     response transit, the client's scheduling and parsing).
//   - srv-late-p50-ms, srv-late-p99-ms: percentiles over requests of the server's actual first-token
//     send - its plan: the emulator's own lateness (timer wake-ups on busy
//     cores), which the deviation includes and the client cannot see.
//   - ttfb-p50-ms, ttfb-p99-ms: time to the response's first byte (the
//     emulator sends its headers and role chunk on arrival), so mostly the
//     request's own transit and the server's accept: the part of the error
//     that comes before the server's clock starts.
//   - client-cpu-µs/req: this process's CPU time per measured request.
//
// Run one case at a time with its own count, e.g.
// -bench 'TimingFidelity/streams=512$' -benchtime 4096x.
func BenchmarkTimingFidelity(b *testing.B) {
	for _, fc := range fidelityCases {
		b.Run("streams="+strconv.Itoa(fc.streams), func(b *testing.B) {
			srv := fc.server
			srv.Jitter, srv.ReasoningTokens, srv.Seed = fidelityJitter, 8, 11
			cfg, err := json.Marshal(srv)
			if err != nil {
				b.Fatal(err)
			}
			base := startChild(b, benchServerEnv+"=emulator", benchProfileEnv+"="+string(cfg))
			job := emulatedJob(srv.profile(), fc.streams+b.N)
			job.Platform.BaseURL, job.Platform.Emulate = base, nil
			job.Platform.Concurrency, job.Platform.Retries = fc.streams, 0
			job.Platform.Timeout = config.Duration(time.Minute)
			for i := range fc.streams {
				job.Cells[i].Warmup = true
			}
			var mu sync.Mutex
			recs := make([]results.Record, 0, b.N)
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := cpuTime()
			_, err = New().Query(context.Background(), job, func(r results.Record) {
				mu.Lock()
				defer mu.Unlock()
				if !r.OK() {
					b.Errorf("request failed: %s %s", r.Error, r.ErrorDetail)
					return
				}
				if !r.Warmup {
					recs = append(recs, r)
				}
			})
			cpu := cpuTime() - cpu0
			b.StopTimer()
			if err != nil {
				b.Fatal(err)
			}
			n := len(recs)
			if n == 0 {
				b.Fatal("no measured record")
			}
			var repTTFT, planTTFT, repE2E, planE2E, errTTFT, errE2E, late, ttfb []float64
			for _, r := range recs {
				pt, pe := srv.plan(r.CellKey.String(), r.Model, r.Temperature, r.OutputTokens)
				pTTFT, pE2E := ms(pt), ms(pe)
				sTTFT, sE2E := 1000*r.Server["time_to_first_token"], 1000*r.Server["total_latency"]
				// 1 µs of slack for the float formatting of the usage fields.
				if sTTFT < pTTFT-0.001 || sE2E < pE2E-0.001 {
					b.Fatalf("%s: the server reports TTFT %.4f ms and E2E %.4f ms, before the replica's plan %.4f and %.4f ms: the replica of the emulator's schedule is out of date",
						r.CellKey, sTTFT, sE2E, pTTFT, pE2E)
				}
				repTTFT, planTTFT = append(repTTFT, r.TTFTMs), append(planTTFT, pTTFT)
				repE2E, planE2E = append(repE2E, r.LatencyMs), append(planE2E, pE2E)
				errTTFT, errE2E = append(errTTFT, r.TTFTMs-sTTFT), append(errE2E, r.LatencyMs-sE2E)
				late = append(late, sTTFT-pTTFT)
				ttfb = append(ttfb, r.TTFBMs)
			}
			for _, s := range [][]float64{repTTFT, planTTFT, repE2E, planE2E, errTTFT, errE2E, late, ttfb} {
				slices.Sort(s)
			}
			for _, q := range []struct {
				name string
				q    float64
			}{{"p50", 0.50}, {"p99", 0.99}} {
				b.ReportMetric(math.Abs(pct(repTTFT, q.q)-pct(planTTFT, q.q)), "ttft-dev-"+q.name+"-ms")
				b.ReportMetric(math.Abs(pct(repE2E, q.q)-pct(planE2E, q.q)), "e2e-dev-"+q.name+"-ms")
				b.ReportMetric(pct(errTTFT, q.q), "ttft-err-"+q.name+"-ms")
				b.ReportMetric(pct(errE2E, q.q), "e2e-err-"+q.name+"-ms")
			}
			b.ReportMetric(pct(ttfb, 0.50), "ttfb-p50-ms")
			b.ReportMetric(pct(ttfb, 0.99), "ttfb-p99-ms")
			b.ReportMetric(pct(late, 0.50), "srv-late-p50-ms")
			b.ReportMetric(pct(late, 0.99), "srv-late-p99-ms")
			b.ReportMetric(float64(cpu.Microseconds())/float64(n), "client-cpu-µs/req")
		})
	}
}
