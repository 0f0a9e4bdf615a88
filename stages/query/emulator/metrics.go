package emulator

import (
	"math"
	"net/http"
	"strconv"
	"strings"
)

// DefaultKVCacheTokens is the emulated KV cache's size in tokens when the
// profile sets no kv_cache_tokens.
const DefaultKVCacheTokens = 65536

// metricsContentType is the Prometheus text format vLLM serves.
const metricsContentType = "text/plain; version=0.0.4; charset=utf-8"

// Waiting returns the number of requests queued for a decoding slot.
func (s *Server) Waiting() int { return int(s.waiting.Load()) }

// KVTokens returns the tokens the requests being decoded hold in the
// emulated KV cache.
func (s *Server) KVTokens() int { return int(s.kvTokens.Load()) }

// kvCapacity is the emulated KV cache's size in tokens.
func (s *Server) kvCapacity() int {
	if s.profile.KVCacheTokens > 0 {
		return s.profile.KVCacheTokens
	}
	return DefaultKVCacheTokens
}

// kvUsage is the share of the KV cache in use, 0..1.
func (s *Server) kvUsage() float64 {
	return min(1, float64(s.kvTokens.Load())/float64(s.kvCapacity()))
}

// metrics answers GET /metrics in the Prometheus text format with
// vLLM's names, types, HELP texts and labels (engine="0" and the served
// model's name): vllm:num_requests_running (requests being decoded),
// vllm:num_requests_waiting (requests queued beyond max_batch),
// vllm:kv_cache_usage_perc (the tokens the batch holds, each request its
// prompt and the output it will produce, over kv_cache_tokens, at most
// 1) and vllm:num_preemptions_total (0: the emulator never preempts). As
// vLLM's, the page needs no token even when the API does.
func (s *Server) metrics(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", http.MethodGet)
		s.writeError(w, errMethod(r))
		return
	}
	model := DefaultModel
	if len(s.known) > 0 {
		model = s.known[0]
	}
	labels := `{engine="0",model_name="` + escapeLabel(model) + `"}`
	var b strings.Builder
	family := func(name, typ, help string, v float64) {
		b.WriteString("# HELP " + name + " " + help + "\n# TYPE " + name + " " + typ + "\n")
		b.WriteString(name + labels + " " + pyFloat(v) + "\n")
	}
	family("vllm:num_requests_running", "gauge", "Number of requests in model execution batches.", float64(s.active.Load()))
	family("vllm:num_requests_waiting", "gauge", "Number of requests waiting to be processed.", float64(s.waiting.Load()))
	family("vllm:kv_cache_usage_perc", "gauge", "KV-cache usage. 1 means 100 percent usage.", s.kvUsage())
	family("vllm:num_preemptions_total", "counter", "Cumulative number of preemption from the engine.", 0)
	w.Header().Set("Content-Type", metricsContentType)
	if r.Method == http.MethodGet {
		_, _ = w.Write([]byte(b.String()))
	}
}

// pyFloat formats v as Python's prometheus_client does ("3.0", "0.4125").
func pyFloat(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// escapeLabel escapes a label value for the text format.
func escapeLabel(v string) string {
	return strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`).Replace(v)
}
