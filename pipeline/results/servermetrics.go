package results

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// ServerSample is one scrape of a platform's metrics endpoint (see
// config.Platform.MetricsURL): one line of server_metrics.jsonl. Each
// figure is nil when the server does not expose it; Error is set (and
// every figure nil) when the scrape failed. The figures are the
// server-wide values at Time, whatever model a request named.
type ServerSample struct {
	Time     time.Time `json:"time"`
	Platform string    `json:"platform"`
	// Level is the load level's label ("" when the platform has one level).
	Level string `json:"load,omitempty"`
	// Running is the number of requests in the server's batch
	// (vllm:num_requests_running), Waiting those queued for it
	// (vllm:num_requests_waiting).
	Running *float64 `json:"running,omitempty"`
	Waiting *float64 `json:"waiting,omitempty"`
	// KVCacheUsage is the share of the KV cache in use, 0..1
	// (vllm:kv_cache_usage_perc, before vLLM 0.10 vllm:gpu_cache_usage_perc).
	KVCacheUsage *float64 `json:"kv_cache_usage,omitempty"`
	// Preemptions, PrefixCacheQueries and PrefixCacheHits are counters
	// (totals since the server started): vllm:num_preemptions_total,
	// vllm:prefix_cache_queries_total and vllm:prefix_cache_hits_total
	// (tokens).
	Preemptions        *float64 `json:"preemptions_total,omitempty"`
	PrefixCacheQueries *float64 `json:"prefix_cache_queries_total,omitempty"`
	PrefixCacheHits    *float64 `json:"prefix_cache_hits_total,omitempty"`
	// Error says why the scrape failed ("" when it did not).
	Error string `json:"error,omitempty"`
}

// ServerKey names one platform's load level.
type ServerKey struct {
	Platform string
	Level    string
}

// ServerMetrics summarises the successful scrapes of one platform's load
// level (results.json's group `server_metrics`). Means are plain means
// over the scrapes, which are evenly spaced (metrics_interval), so they
// are time averages. A figure is nil (null in JSON) when no scrape of the
// level carried it.
type ServerMetrics struct {
	// Samples is the number of successful scrapes summarised.
	Samples     int      `json:"samples"`
	RunningMean *float64 `json:"running_mean"`
	RunningMax  *float64 `json:"running_max"`
	WaitingMean *float64 `json:"waiting_mean"`
	WaitingMax  *float64 `json:"waiting_max"`
	// KVCacheUsageMean and KVCacheUsageMax are shares, 0..1.
	KVCacheUsageMean *float64 `json:"kv_cache_usage_mean"`
	KVCacheUsageMax  *float64 `json:"kv_cache_usage_max"`
	// Preemptions is how much the preemption counter grew over the level
	// (from its first scrape to its last; a counter that fell, a server
	// restart, counts from 0 again).
	Preemptions *float64 `json:"preemptions"`
	// PrefixCacheHitRate is the growth of the prefix-cache hit counter
	// over that of the query counter across the level (tokens), 0..1; nil
	// when no query was counted.
	PrefixCacheHitRate *float64 `json:"prefix_cache_hit_rate"`
}

// gauge accumulates one gauge's mean and max.
type gauge struct {
	n        int
	sum, max float64
}

func (g *gauge) add(v *float64) {
	if v == nil {
		return
	}
	if g.n == 0 || *v > g.max {
		g.max = *v
	}
	g.n++
	g.sum += *v
}

func (g *gauge) mean() *float64 {
	if g.n == 0 {
		return nil
	}
	m := g.sum / float64(g.n)
	return &m
}

func (g *gauge) maximum() *float64 {
	if g.n == 0 {
		return nil
	}
	m := g.max
	return &m
}

// counter accumulates a counter's increase, restarting from 0 when it
// falls (a reset).
type counter struct {
	seen      bool
	last, inc float64
}

func (c *counter) add(v *float64) {
	if v == nil {
		return
	}
	switch {
	case !c.seen:
	case *v >= c.last:
		c.inc += *v - c.last
	default:
		c.inc += *v
	}
	c.seen, c.last = true, *v
}

func (c *counter) increase() *float64 {
	if !c.seen {
		return nil
	}
	v := c.inc
	return &v
}

// serverAcc accumulates one level's scrapes.
type serverAcc struct {
	n                      int
	running, waiting, kv   gauge
	preempt, queries, hits counter
}

func (a *serverAcc) add(s *ServerSample) {
	a.n++
	a.running.add(s.Running)
	a.waiting.add(s.Waiting)
	a.kv.add(s.KVCacheUsage)
	a.preempt.add(s.Preemptions)
	a.queries.add(s.PrefixCacheQueries)
	a.hits.add(s.PrefixCacheHits)
}

func (a *serverAcc) summary() *ServerMetrics {
	m := &ServerMetrics{Samples: a.n,
		RunningMean: a.running.mean(), RunningMax: a.running.maximum(),
		WaitingMean: a.waiting.mean(), WaitingMax: a.waiting.maximum(),
		KVCacheUsageMean: a.kv.mean(), KVCacheUsageMax: a.kv.maximum(),
		Preemptions: a.preempt.increase()}
	if q, h := a.queries.increase(), a.hits.increase(); q != nil && h != nil && *q > 0 {
		r := *h / *q
		m.PrefixCacheHitRate = &r
	}
	return m
}

// SummariseServerMetrics summarises the successful scrapes of samples by
// platform and level, in the order given (the file's order, which is
// time order within a level). A level whose every scrape failed has no
// entry.
func SummariseServerMetrics(samples []ServerSample) map[ServerKey]*ServerMetrics {
	accs := map[ServerKey]*serverAcc{}
	for i := range samples {
		s := &samples[i]
		if s.Error != "" {
			continue
		}
		k := ServerKey{s.Platform, s.Level}
		if accs[k] == nil {
			accs[k] = &serverAcc{}
		}
		accs[k].add(s)
	}
	out := make(map[ServerKey]*ServerMetrics, len(accs))
	for k, a := range accs {
		out[k] = a.summary()
	}
	return out
}

// serverMetricsNote starts the warning on a platform whose metrics
// endpoint failed.
const serverMetricsNote = "server metrics of "

// ApplyServerMetrics puts the summary of samples (see
// SummariseServerMetrics) into every group of the platform and level it
// describes (the models of a platform share its server), and adds one
// warning per platform whose metrics endpoint failed, with the first
// error. Applying it again gives the same results; no samples leave r as
// it is.
func (r *Results) ApplyServerMetrics(samples []ServerSample) {
	if len(samples) == 0 {
		return
	}
	sum := SummariseServerMetrics(samples)
	for i := range r.Groups {
		g := &r.Groups[i]
		g.ServerMetrics = sum[ServerKey{g.Platform, g.Level}]
	}
	var failed []string
	first := map[string]string{}
	for _, s := range samples {
		if _, seen := first[s.Platform]; s.Error != "" && !seen {
			first[s.Platform] = s.Error
			failed = append(failed, s.Platform)
		}
	}
	for _, p := range failed {
		w := fmt.Sprintf("%s%s: the metrics endpoint failed (%s); the run went on without the server's figures where it did", serverMetricsNote, p, first[p])
		if !slices.ContainsFunc(r.Warnings, func(o string) bool { return strings.HasPrefix(o, serverMetricsNote+p+":") }) {
			r.Warnings = append(r.Warnings, w)
		}
	}
}
