//go:build unix

// Command overhead compares inferbench's client overhead with the least a
// Go client can do, against a fixed-delay SSE server whose timings are
// exact: the first token 200 ms after the request, then 19 more 10 ms
// apart (E2E 390 ms). See bench/overhead.sh, which runs it, and the README
// (The client's own limits) for the figures.
//
//	overhead serve -listen 127.0.0.1:0            the fixed-delay server (prints its URL)
//	overhead client -url URL -c 100 -n 2000       the minimal client (prints JSON figures)
//	overhead compare -inferbench BIN -c 100,1000  runs both against one server, prints a table
//
// It imports nothing from this module: the minimal client must not share
// inferbench's code, and inferbench is run as a separate binary.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// The server's timings: the truth every client's figures are held against.
const (
	firstToken = 200 * time.Millisecond
	tokens     = 20
	tokenGap   = 10 * time.Millisecond
)

var truthE2E = firstToken + (tokens-1)*tokenGap

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: overhead serve|client|compare [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "serve":
		err = serve(os.Args[2:])
	case "client":
		err = client(os.Args[2:])
	case "compare":
		err = compare(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "overhead:", err)
		os.Exit(1)
	}
}

// serve answers every POST /v1/chat/completions with a vLLM-like stream:
// a role-only chunk at once, the first content token at firstToken, then
// one token every tokenGap, a usage chunk and [DONE]. Sleeps are measured
// from the request's arrival, so the schedule does not drift.
func serve(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	listen := fs.String("listen", "127.0.0.1:0", "address")
	fs.Parse(args)
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	fmt.Printf("http://%s/v1\n", ln.Addr())
	os.Stdout.Sync()
	chunk := func(content string) []byte {
		b, _ := json.Marshal(map[string]any{"id": "x", "object": "chat.completion.chunk", "model": "m",
			"choices": []any{map[string]any{"index": 0, "delta": map[string]any{"content": content}, "finish_reason": nil}}})
		return append(append([]byte("data: "), b...), '\n', '\n')
	}
	role := []byte(`data: {"id":"x","object":"chat.completion.chunk","model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}` + "\n\n")
	stop := []byte(`data: {"id":"x","object":"chat.completion.chunk","model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}` + "\n\n")
	usage := []byte(fmt.Sprintf(`data: {"id":"x","object":"chat.completion.chunk","model":"m","choices":[],"usage":{"prompt_tokens":100,"completion_tokens":%d,"total_tokens":%d}}`+"\n\ndata: [DONE]\n\n", tokens, tokens+100))
	words := make([][]byte, tokens)
	for i := range words {
		words[i] = chunk(" w" + strconv.Itoa(i))
	}
	return http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t0 := time.Now()
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		f := w.(http.Flusher)
		w.Write(role)
		f.Flush()
		for i := range tokens {
			time.Sleep(time.Until(t0.Add(firstToken + time.Duration(i)*tokenGap)))
			w.Write(words[i])
			f.Flush()
		}
		w.Write(stop)
		w.Write(usage)
		f.Flush()
	}))
}

// figures is what one client measured: TTFT and E2E percentiles (ms),
// the requests and failures, and the CPU it used.
type figures struct {
	N, Failed            int
	TTFTP50, TTFTP99     float64
	E2EP50, E2EP99       float64
	CPUSeconds, WallSecs float64
	// SendCPUSeconds is inferbench's CPU while the level ran (its client
	// health figures: cpu_percent x cores x seconds), without start-up,
	// scoring of the last records, aggregation and export.
	SendCPUSeconds float64
}

// client is the least a Go client can do: c workers POST a chat request,
// scan the SSE lines, note the first line with non-empty content and the
// last one, and nothing else.
func client(args []string) error {
	fs := flag.NewFlagSet("client", flag.ExitOnError)
	url := fs.String("url", "", "base URL (…/v1)")
	c := fs.Int("c", 100, "concurrency")
	n := fs.Int("n", 1000, "requests")
	fs.Parse(args)
	tr := &http.Transport{MaxIdleConns: *c, MaxIdleConnsPerHost: *c, DisableCompression: true}
	hc := &http.Client{Transport: tr}
	body := []byte(`{"model":"m","messages":[{"role":"user","content":"Context: a short paragraph.\n\nQuestion: what?"}],"max_tokens":512,"temperature":0,"stream":true,"stream_options":{"include_usage":true}}`)
	ttft := make([]float64, 0, *n)
	e2e := make([]float64, 0, *n)
	var mu sync.Mutex
	failed := 0
	work := make(chan struct{})
	var wg sync.WaitGroup
	start := time.Now()
	for range *c {
		wg.Go(func() {
			for range work {
				t0 := time.Now()
				req, _ := http.NewRequest(http.MethodPost, *url+"/chat/completions", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				resp, err := hc.Do(req)
				if err != nil {
					mu.Lock()
					failed++
					mu.Unlock()
					continue
				}
				var first, last time.Time
				sc := bufio.NewScanner(resp.Body)
				for sc.Scan() {
					line := sc.Bytes()
					if !bytes.HasPrefix(line, []byte("data: ")) || bytes.Equal(line, []byte("data: [DONE]")) {
						continue
					}
					if bytes.Contains(line, []byte(`"content":"`)) && !bytes.Contains(line, []byte(`"content":""`)) {
						last = time.Now()
						if first.IsZero() {
							first = last
						}
					}
				}
				resp.Body.Close()
				mu.Lock()
				if first.IsZero() {
					failed++
				} else {
					ttft = append(ttft, ms(first.Sub(t0)))
					e2e = append(e2e, ms(last.Sub(t0)))
				}
				mu.Unlock()
			}
		})
	}
	for range *n {
		work <- struct{}{}
	}
	close(work)
	wg.Wait()
	f := figures{N: *n, Failed: failed, WallSecs: time.Since(start).Seconds(), CPUSeconds: selfCPU()}
	f.TTFTP50, f.TTFTP99 = quantile(ttft, 0.5), quantile(ttft, 0.99)
	f.E2EP50, f.E2EP99 = quantile(e2e, 0.5), quantile(e2e, 0.99)
	return json.NewEncoder(os.Stdout).Encode(f)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// quantile is the type-7 quantile of v (sorted in place).
func quantile(v []float64, q float64) float64 {
	if len(v) == 0 {
		return 0
	}
	slices.Sort(v)
	pos := q * float64(len(v)-1)
	lo := int(pos)
	hi := min(lo+1, len(v)-1)
	return v[lo] + (pos-float64(lo))*(v[hi]-v[lo])
}

func selfCPU() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// childCPU runs cmd and returns its CPU time (user + system).
func childCPU(cmd *exec.Cmd) (float64, error) {
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	if cmd.ProcessState == nil {
		return 0, err
	}
	cpu := (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Seconds()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		return cpu, err
	}
	if err != nil {
		return cpu, fmt.Errorf("%v: %s", err, lastLines(stderr.String(), 5))
	}
	return cpu, nil
}

func lastLines(s string, n int) string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(l[max(0, len(l)-n):], "\n")
}

// experiment is the inferbench experiment of one concurrency: the demo
// questions repeated to at least n requests, one platform, json only.
func experiment(url string, c, n int) string {
	return fmt.Sprintf(`name: overhead-c%d
dataset: {source: demo}
platforms:
  - name: fixed
    base_url: %s
    models: [m]
    concurrency: %d
    retries: 0
repeats: %d
export: {formats: [json]}
`, c, url, c, (n+47)/48)
}

// compare starts the server, then for each concurrency runs the minimal
// client and inferbench (as separate processes, one after the other, so
// that they share the machine the same way) and prints the table.
func compare(args []string) error {
	fs := flag.NewFlagSet("compare", flag.ExitOnError)
	bin := fs.String("inferbench", "", "the inferbench binary")
	levels := fs.String("c", "100,1000", "concurrencies")
	per := fs.Int("per", 20, "requests per unit of concurrency (n = per x c, at least 1,000)")
	work := fs.String("dir", os.TempDir(), "folder for the experiment files and run folders")
	fs.Parse(args)
	self, _ := os.Executable()
	srv := exec.Command(self, "serve")
	out, err := srv.StdoutPipe()
	if err != nil {
		return err
	}
	if err := srv.Start(); err != nil {
		return err
	}
	defer srv.Process.Kill()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		return err
	}
	url := strings.TrimSpace(line)
	fmt.Printf("fixed-delay server %s: first token %v, %d tokens %v apart (E2E %v); GOMAXPROCS %d\n\n",
		url, firstToken, tokens, tokenGap, truthE2E, runtime.GOMAXPROCS(0))
	fmt.Println("| concurrency | client | requests | TTFT overhead p50 / p99 (ms) | E2E overhead p50 / p99 (ms) | CPU per request, whole process (µs) | ratio | CPU per request while sending (µs) | ratio |")
	fmt.Println("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
	for _, cs := range strings.Split(*levels, ",") {
		c, err := strconv.Atoi(strings.TrimSpace(cs))
		if err != nil {
			return err
		}
		n := max(*per*c, 1000)
		n = (n + 47) / 48 * 48
		// The minimal client.
		var buf bytes.Buffer
		cmd := exec.Command(self, "client", "-url", url, "-c", strconv.Itoa(c), "-n", strconv.Itoa(n))
		cmd.Stdout = &buf
		if _, err := childCPU(cmd); err != nil {
			return fmt.Errorf("minimal client: %w", err)
		}
		var mf figures
		if err := json.Unmarshal(buf.Bytes(), &mf); err != nil {
			return err
		}
		// inferbench.
		dir := filepath.Join(*work, "overhead-c"+strconv.Itoa(c))
		os.RemoveAll(dir)
		os.MkdirAll(dir, 0o755)
		exp := filepath.Join(dir, "exp.yaml")
		if err := os.WriteFile(exp, []byte(experiment(url, c, n)), 0o644); err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		icmd := exec.CommandContext(ctx, *bin, "run", exp, "--out", filepath.Join(dir, "out"), "--no-progress")
		icmd.Stdout = io.Discard
		icpu, err := childCPU(icmd)
		cancel()
		if err != nil {
			return fmt.Errorf("inferbench: %w", err)
		}
		inf, err := inferbenchFigures(filepath.Join(dir, "out"))
		if err != nil {
			return err
		}
		inf.CPUSeconds = icpu
		mcpu := mf.CPUSeconds / float64(mf.N) * 1e6
		ipcpu := inf.CPUSeconds / float64(inf.N) * 1e6
		row := func(name string, f figures, cpu, send float64) {
			fmt.Printf("| %d | %s | %d (%d failed) | %.1f / %.1f | %.1f / %.1f | %.0f | %.2f | %.0f | %.2f |\n", c, name, f.N, f.Failed,
				f.TTFTP50-ms(firstToken), f.TTFTP99-ms(firstToken), f.E2EP50-ms(truthE2E), f.E2EP99-ms(truthE2E), cpu, cpu/mcpu, send, send/mcpu)
		}
		row("minimal Go client", mf, mcpu, mcpu)
		row("inferbench run", inf, ipcpu, inf.SendCPUSeconds/float64(inf.N)*1e6)
	}
	return nil
}

// inferbenchFigures reads the one run folder under out: its group's TTFT
// and E2E percentiles from results.json, and the client's health.
func inferbenchFigures(out string) (figures, error) {
	dirs, _ := filepath.Glob(filepath.Join(out, "*", "results.json"))
	if len(dirs) != 1 {
		return figures{}, fmt.Errorf("want one results.json under %s, got %v", out, dirs)
	}
	b, err := os.ReadFile(dirs[0])
	if err != nil {
		return figures{}, err
	}
	var doc struct {
		Results struct {
			Groups []struct {
				Count, Failures int
				TTFT            struct{ P50, P99 float64 } `json:"ttft_ms"`
				Latency         struct{ P50, P99 float64 } `json:"latency_ms"`
				ClientBound     bool                       `json:"client_bound"`
				Client          struct {
					Seconds    float64 `json:"seconds"`
					CPUPercent float64 `json:"cpu_percent"`
					Cores      float64 `json:"cores"`
				} `json:"client"`
				Reason string `json:"client_bound_reason"`
			}
		}
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return figures{}, err
	}
	if len(doc.Results.Groups) != 1 {
		return figures{}, fmt.Errorf("%s: want one group", dirs[0])
	}
	g := doc.Results.Groups[0]
	if g.ClientBound {
		fmt.Fprintf(os.Stderr, "inferbench flagged the level client-bound: %s\n", g.Reason)
	}
	return figures{N: g.Count, Failed: g.Failures, TTFTP50: g.TTFT.P50, TTFTP99: g.TTFT.P99, E2EP50: g.Latency.P50, E2EP99: g.Latency.P99,
		SendCPUSeconds: g.Client.CPUPercent / 100 * g.Client.Cores * g.Client.Seconds}, nil
}
