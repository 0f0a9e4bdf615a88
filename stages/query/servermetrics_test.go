package query

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/inferbench/inferbench/pipeline"
	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/results"
	"github.com/inferbench/inferbench/stages/query/emulator"
)

// vllmMetrics is a /metrics page in vLLM's format (written for these
// tests: vLLM 0.10's names, labels and float formatting).
func vllmMetrics(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("testdata/vllm_metrics.txt")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestParseServerMetricsReadsVLLMsNamesWithThePrometheusParser(t *testing.T) {
	page := vllmMetrics(t)
	cases := []struct {
		name, page string
		want       results.ServerSample
	}{
		{"vLLM 0.10 (kv_cache_usage_perc)", page, results.ServerSample{Running: fp(3), Waiting: fp(1), KVCacheUsage: fp(0.4125),
			Preemptions: fp(2), PrefixCacheQueries: fp(18240), PrefixCacheHits: fp(9120)}},
		{"vLLM before 0.10 (gpu_cache_usage_perc, gpu_prefix_cache_*)", strings.NewReplacer(
			"vllm:kv_cache_usage_perc", "vllm:gpu_cache_usage_perc",
			"vllm:prefix_cache_", "vllm:gpu_prefix_cache_").Replace(page),
			results.ServerSample{Running: fp(3), Waiting: fp(1), KVCacheUsage: fp(0.4125),
				Preemptions: fp(2), PrefixCacheQueries: fp(18240), PrefixCacheHits: fp(9120)}},
		{"two engines (data parallel): counts add up, the KV cache is their mean", `# TYPE vllm:num_requests_running gauge
vllm:num_requests_running{engine="0",model_name="m"} 3.0
vllm:num_requests_running{engine="1",model_name="m"} 5.0
# TYPE vllm:kv_cache_usage_perc gauge
vllm:kv_cache_usage_perc{engine="0",model_name="m"} 0.2
vllm:kv_cache_usage_perc{engine="1",model_name="m"} 0.6
`, results.ServerSample{Running: fp(8), KVCacheUsage: fp(0.4)}},
		{"SGLang", `# HELP sglang:num_running_reqs The number of running requests.
# TYPE sglang:num_running_reqs gauge
sglang:num_running_reqs{model_name="m"} 4.0
# TYPE sglang:num_queue_reqs gauge
sglang:num_queue_reqs{model_name="m"} 2.0
# TYPE sglang:token_usage gauge
sglang:token_usage{model_name="m"} 0.25
`, results.ServerSample{Running: fp(4), Waiting: fp(2), KVCacheUsage: fp(0.25)}},
		{"TGI", `# TYPE tgi_batch_current_size gauge
tgi_batch_current_size 6
# TYPE tgi_queue_size gauge
tgi_queue_size 0
`, results.ServerSample{Running: fp(6), Waiting: fp(0)}},
		{"a server without any known name", "# TYPE up gauge\nup 1\n", results.ServerSample{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := parseServerMetrics(strings.NewReader(c.page))
			if err != nil {
				t.Fatal(err)
			}
			if d := sampleDiff(got, c.want); d != "" {
				t.Error(d)
			}
		})
	}
	t.Run("garbage is an error", func(t *testing.T) {
		if _, err := parseServerMetrics(strings.NewReader("<html>vllm:num_requests_running{ 3</html>\n")); err == nil {
			t.Error("want a parse error")
		}
	})
}

// metricsServer serves a chat endpoint whose answers take a while and
// /metrics (page, when not empty; else 404), recording the
// Authorization header of each scrape.
type metricsServer struct {
	*httptest.Server
	mu    sync.Mutex
	auths []string
}

func newMetricsServer(t *testing.T, page string) *metricsServer {
	t.Helper()
	m := &metricsServer{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		m.mu.Lock()
		m.auths = append(m.auths, r.Header.Get("Authorization"))
		m.mu.Unlock()
		if page == "" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		w.Write([]byte(page))
	})
	mux.HandleFunc("POST /v1/chat/completions", func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(150 * time.Millisecond)
		streamAnswer(w, "answer")
	})
	m.Server = httptest.NewServer(mux)
	t.Cleanup(m.Close)
	return m
}

func (m *metricsServer) scrapes() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.auths...)
}

// runWithMetrics runs job on q and returns the samples its scraper told.
func runWithMetrics(t *testing.T, q *Querier, job pipeline.QueryJob) ([]results.ServerSample, map[string]results.Record, pipeline.QueryReport) {
	t.Helper()
	var mu sync.Mutex
	var samples []results.ServerSample
	job.ServerMetrics = func(s results.ServerSample) {
		mu.Lock()
		samples = append(samples, s)
		mu.Unlock()
	}
	recs, rep, err := collect(t, context.Background(), q, job)
	if err != nil {
		t.Fatalf("a metrics endpoint must never fail the run: %v", err)
	}
	for id, r := range recs {
		if !r.OK() {
			t.Errorf("record %s failed: %s %s", id, r.Error, r.ErrorDetail)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	return samples, recs, rep
}

func TestServerMetricsAreScrapedWhileThePlatformSendsWithItsTokenOnItsOwnHost(t *testing.T) {
	srv := newMetricsServer(t, vllmMetrics(t))
	job := newJob(srv.URL+"/v1", "a", "b", "c", "d")
	job.Platform.Concurrency = 1
	job.Platform.APIKey = "sk-metrics-secret"
	job.Platform.MetricsURL = config.LocalMetricsURL(job.Platform.BaseURL)
	job.Platform.MetricsInterval = config.Duration(100 * time.Millisecond)
	samples, _, rep := runWithMetrics(t, New(), job)
	if len(samples) < 2 {
		t.Fatalf("want a scrape when the level starts and one when it ends, got %d", len(samples))
	}
	for _, s := range samples {
		if s.Error != "" || s.Time.IsZero() {
			t.Fatalf("sample %+v", s)
		}
	}
	if d := sampleDiff(samples[0], results.ServerSample{Running: fp(3), Waiting: fp(1), KVCacheUsage: fp(0.4125),
		Preemptions: fp(2), PrefixCacheQueries: fp(18240), PrefixCacheHits: fp(9120)}); d != "" {
		t.Error(d)
	}
	for _, a := range srv.scrapes() {
		if a != "Bearer sk-metrics-secret" {
			t.Errorf("the metrics endpoint on base_url's host gets the platform's token, got %q", a)
		}
	}
	if len(rep.Notes) != 0 {
		t.Errorf("a working endpoint needs no note: %q", rep.Notes)
	}
}

func TestServerMetricsOnAnotherHostNeverGetTheToken(t *testing.T) {
	srv := newMetricsServer(t, vllmMetrics(t))
	job := newJob(srv.URL+"/v1", "a")
	job.Platform.APIKey = "sk-metrics-secret"
	// The same server by another name: another host for the client.
	job.Platform.MetricsURL = strings.Replace(srv.URL, "127.0.0.1", "localhost", 1) + "/metrics"
	job.Platform.MetricsInterval = config.Duration(100 * time.Millisecond)
	runWithMetrics(t, New(), job)
	got := srv.scrapes()
	if len(got) == 0 {
		t.Fatal("no scrape")
	}
	for _, a := range got {
		if a != "" {
			t.Errorf("a metrics endpoint on another host got Authorization %q", a)
		}
	}
}

func TestAFailingMetricsEndpointNeverFailsTheRunAndIsNotedOnce(t *testing.T) {
	refused := func() string { // a port nobody listens on
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		return "http://" + addr + "/metrics"
	}
	cases := []struct {
		name, page string
		url        func(srv string) string
		want       string
	}{
		{"404", "", func(srv string) string { return srv + "/metrics" }, "404"},
		{"garbage", "<html><body>vllm:num_requests_running{ oops</body></html>\n", func(srv string) string { return srv + "/metrics" }, "parse"},
		{"connection refused", "", func(string) string { return refused() }, "refused"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := newMetricsServer(t, c.page)
			var logs bytes.Buffer
			q := New()
			var all []results.ServerSample
			var notes []string
			for range 2 { // two levels of one platform on one querier
				job := newJob(srv.URL+"/v1", "a", "b", "c")
				job.Platform.Concurrency = 1
				job.Platform.APIKey = "sk-metrics-secret"
				job.Platform.MetricsURL = c.url(srv.URL)
				job.Platform.MetricsInterval = config.Duration(100 * time.Millisecond)
				job.Log = slog.New(slog.NewTextHandler(&logs, nil))
				samples, _, rep := runWithMetrics(t, q, job)
				all = append(all, samples...)
				notes = append(notes, rep.Notes...)
			}
			if n := strings.Count(logs.String(), "metrics endpoint"); n != 1 {
				t.Errorf("want one console line on the endpoint, got %d:\n%s", n, logs.String())
			}
			if !strings.Contains(logs.String(), c.want) || len(notes) != 0 {
				t.Errorf("want the console line to name the failure (%q) and no other note, got %q", c.want, notes)
			}
			// One error line per level (so that a re-report knows), not one per scrape.
			if len(all) != 2 || all[0].Error == "" || all[1].Error == "" || !strings.Contains(all[0].Error, c.want) {
				t.Errorf("want one failed sample per level, got %+v", all)
			}
			if strings.Contains(logs.String()+strings.Join(notes, "")+all[0].Error, "sk-metrics-secret") {
				t.Error("the token leaked")
			}
		})
	}
}

func TestNoMetricsURLMeansNoScrape(t *testing.T) {
	srv := newMetricsServer(t, vllmMetrics(t))
	job := newJob(srv.URL+"/v1", "a")
	job.Platform.MetricsURL = config.MetricsNone
	samples, _, _ := runWithMetrics(t, New(), job)
	if len(samples) != 0 || len(srv.scrapes()) != 0 {
		t.Errorf("metrics_url: none scraped %d times", len(srv.scrapes()))
	}
}

func fp(v float64) *float64 { return &v }

// sampleDiff names the figures of got that differ from want.
func sampleDiff(got, want results.ServerSample) string {
	var out []string
	eq := func(name string, a, b *float64) {
		switch {
		case a == nil && b == nil:
		case a == nil || b == nil:
			out = append(out, name+" presence differs")
		case *a-*b > 1e-9 || *b-*a > 1e-9:
			out = append(out, name+" differs")
		}
	}
	eq("running", got.Running, want.Running)
	eq("waiting", got.Waiting, want.Waiting)
	eq("kv_cache_usage", got.KVCacheUsage, want.KVCacheUsage)
	eq("preemptions", got.Preemptions, want.Preemptions)
	eq("prefix_cache_queries", got.PrefixCacheQueries, want.PrefixCacheQueries)
	eq("prefix_cache_hits", got.PrefixCacheHits, want.PrefixCacheHits)
	return strings.Join(out, "; ")
}

func TestTheEmulatorsMetricsAreScrapedByDefaultAndFollowItsBatch(t *testing.T) {
	// Four workers against a batch of two, each request holding its slot
	// for a while: scrapes while it sends see two running and two waiting.
	prof := emulator.Profile{TTFT: config.Duration(400 * time.Millisecond), TokensPerSecond: 1000, Accuracy: 1, MaxBatch: 2, KVCacheTokens: 1000}
	job := emulatedJob(prof, 8)
	job.Platform.MetricsInterval = config.Duration(100 * time.Millisecond)
	samples, _, rep := runWithMetrics(t, New(), job)
	if len(samples) < 2 || len(rep.Notes) != 0 {
		t.Fatalf("%d samples, notes %q", len(samples), rep.Notes)
	}
	var maxRun, maxWait, maxKV float64
	for _, s := range samples {
		if s.Error != "" || s.Running == nil || s.Waiting == nil || s.KVCacheUsage == nil || s.Preemptions == nil {
			t.Fatalf("sample %+v", s)
		}
		maxRun, maxWait, maxKV = max(maxRun, *s.Running), max(maxWait, *s.Waiting), max(maxKV, *s.KVCacheUsage)
	}
	if maxRun != 2 || maxWait != 2 {
		t.Errorf("max running %v waiting %v, want 2 and 2 (max_batch 2, concurrency 4)", maxRun, maxWait)
	}
	if maxKV <= 0 || maxKV > 1 {
		t.Errorf("max KV-cache usage %v, want in (0, 1]", maxKV)
	}
	if s := samples[len(samples)-1]; *s.Running != 0 || *s.Waiting != 0 || *s.KVCacheUsage != 0 {
		t.Errorf("the last scrape, after the level, sees an idle server: %+v", s)
	}
}

// BenchmarkParseServerMetrics parses the vLLM page of the tests (one scrape).
func BenchmarkParseServerMetrics(b *testing.B) {
	page, err := os.ReadFile("testdata/vllm_metrics.txt")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(page)))
	for b.Loop() {
		if _, err := parseServerMetrics(bytes.NewReader(page)); err != nil {
			b.Fatal(err)
		}
	}
}
