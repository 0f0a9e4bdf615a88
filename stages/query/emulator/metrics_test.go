package emulator

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/inferbench/inferbench/pipeline/config"
)

// scrape reads the emulator's /metrics with the Prometheus text parser.
func scrape(t *testing.T, base string) (map[string]*dto.MetricFamily, string) {
	t.Helper()
	resp, err := http.Get(strings.TrimSuffix(base, "/v1") + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET /metrics: %s", resp.Status)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Errorf("content type %q", ct)
	}
	body, _ := io.ReadAll(resp.Body)
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(string(body)))
	if err != nil {
		t.Fatalf("the Prometheus parser refused the page: %v\n%s", err, body)
	}
	return fams, string(body)
}

func value(t *testing.T, fams map[string]*dto.MetricFamily, name string, typ dto.MetricType) float64 {
	t.Helper()
	f := fams[name]
	if f == nil || len(f.Metric) != 1 {
		t.Fatalf("%s: want one series, got %v", name, f)
	}
	if f.GetType() != typ {
		t.Errorf("%s is a %s, want %s", name, f.GetType(), typ)
	}
	if f.GetHelp() == "" {
		t.Errorf("%s has no HELP", name)
	}
	labels := map[string]string{}
	for _, l := range f.Metric[0].Label {
		labels[l.GetName()] = l.GetValue()
	}
	if labels["model_name"] != "m" || labels["engine"] != "0" {
		t.Errorf("%s labels %v, want model_name=m engine=0 as vLLM has", name, labels)
	}
	if typ == dto.MetricType_COUNTER {
		return f.Metric[0].GetCounter().GetValue()
	}
	return f.Metric[0].GetGauge().GetValue()
}

func TestMetricsFollowTheCapacityModelWithVLLMsNames(t *testing.T) {
	prof := Profile{TTFT: config.Duration(30 * time.Second), TokensPerSecond: 100, Accuracy: 1, MaxBatch: 2, KVCacheTokens: 1000}
	srv := New(prof, 1, fixtureLookup, WithModels("m"), WithAuth(func(tok string) bool { return tok == "sk" }))
	base, shutdown, err := Start("127.0.0.1:0", srv)
	if err != nil {
		t.Fatal(err)
	}
	defer shutdown(context.Background())

	fams, page := scrape(t, base) // no token: vLLM's /metrics is not behind --api-key
	for _, n := range []string{"vllm:num_requests_running", "vllm:num_requests_waiting", "vllm:kv_cache_usage_perc"} {
		if v := value(t, fams, n, dto.MetricType_GAUGE); v != 0 {
			t.Errorf("idle %s = %v", n, v)
		}
	}
	if v := value(t, fams, "vllm:num_preemptions_total", dto.MetricType_COUNTER); v != 0 {
		t.Errorf("the emulator never preempts, got %v", v)
	}
	if !strings.Contains(page, "# TYPE vllm:num_preemptions_total counter") {
		t.Errorf("page:\n%s", page)
	}

	// Five requests at once against a batch of two: two decode, three wait.
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for i := range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b := streamBody(promptFor(&fixture[i%len(fixture)]))
			b.Model, b.MaxTokens = "m", 10
			raw, _ := json.Marshal(b)
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/chat/completions", bytes.NewReader(raw))
			req.Header.Set("Authorization", "Bearer sk")
			if resp, err := http.DefaultClient.Do(req); err == nil { // canceled at the end
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}()
	}
	defer func() { cancel(); wg.Wait() }()
	for srv.Waiting() != 3 || srv.Active() != 2 {
		time.Sleep(5 * time.Millisecond) // until the requests are in
	}
	fams, _ = scrape(t, base)
	if r, w := value(t, fams, "vllm:num_requests_running", dto.MetricType_GAUGE), value(t, fams, "vllm:num_requests_waiting", dto.MetricType_GAUGE); r != 2 || w != 3 {
		t.Errorf("running %v waiting %v, want 2 and 3", r, w)
	}
	kv := value(t, fams, "vllm:kv_cache_usage_perc", dto.MetricType_GAUGE)
	if want := float64(srv.KVTokens()) / 1000; kv != want || kv <= 0 || kv > 1 {
		t.Errorf("kv_cache_usage_perc %v, want the batch's tokens over kv_cache_tokens = %v", kv, want)
	}
}

func TestKVCacheUsageIsTheBatchsTokensOverCapacityAndNeverAboveOne(t *testing.T) {
	s := New(Profile{KVCacheTokens: 100}, 1, nil)
	for _, c := range []struct{ tokens, want float64 }{{0, 0}, {25, 0.25}, {100, 1}, {250, 1}} {
		s.kvTokens.Store(int64(c.tokens))
		if got := s.kvUsage(); got != c.want {
			t.Errorf("%v tokens: usage %v, want %v", c.tokens, got, c.want)
		}
	}
	if d := New(Profile{}, 1, nil); d.kvCapacity() != DefaultKVCacheTokens {
		t.Errorf("default capacity %d", d.kvCapacity())
	}
}
