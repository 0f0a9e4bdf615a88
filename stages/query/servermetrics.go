package query

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/results"
)

// The metric names read from a metrics page, first match wins: vLLM's
// (vllm:kv_cache_usage_perc and vllm:prefix_cache_* since 0.10,
// vllm:gpu_cache_usage_perc and vllm:gpu_prefix_cache_* before), then
// SGLang's and TGI's. A family with several series (engines of a
// data-parallel vLLM, several models) is summed, except the KV-cache
// share, which is their mean.
var (
	runningNames     = []string{"vllm:num_requests_running", "sglang:num_running_reqs", "tgi_batch_current_size"}
	waitingNames     = []string{"vllm:num_requests_waiting", "sglang:num_queue_reqs", "tgi_queue_size"}
	kvCacheNames     = []string{"vllm:kv_cache_usage_perc", "vllm:gpu_cache_usage_perc", "sglang:token_usage"}
	preemptionNames  = []string{"vllm:num_preemptions_total", "vllm:num_preemptions"}
	prefixQueryNames = []string{"vllm:prefix_cache_queries_total", "vllm:gpu_prefix_cache_queries_total"}
	prefixHitNames   = []string{"vllm:prefix_cache_hits_total", "vllm:gpu_prefix_cache_hits_total"}
)

// maxMetricsBytes bounds a metrics page (vLLM's is some 100 KB).
const maxMetricsBytes = 16 << 20

// minScrapeTimeout is the shortest time a scrape may take: at least the
// interval, so that a busy server's page still arrives.
const minScrapeTimeout = 2 * time.Second

// parseServerMetrics reads a page in the Prometheus text format (0.0.4)
// with the Prometheus project's parser and keeps the figures of the
// names above; a figure the page does not have stays nil.
func parseServerMetrics(r io.Reader) (results.ServerSample, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(r)
	if err != nil {
		return results.ServerSample{}, fmt.Errorf("parse: %w", err)
	}
	return results.ServerSample{
		Running:            family(fams, runningNames, false),
		Waiting:            family(fams, waitingNames, false),
		KVCacheUsage:       family(fams, kvCacheNames, true),
		Preemptions:        family(fams, preemptionNames, false),
		PrefixCacheQueries: family(fams, prefixQueryNames, false),
		PrefixCacheHits:    family(fams, prefixHitNames, false),
	}, nil
}

// family is the sum (mean: their mean) of the series of the first of
// names that fams has, nil when it has none.
func family(fams map[string]*dto.MetricFamily, names []string, mean bool) *float64 {
	for _, n := range names {
		f := fams[n]
		if f == nil || len(f.GetMetric()) == 0 {
			continue
		}
		var sum float64
		for _, m := range f.GetMetric() {
			switch {
			case m.Gauge != nil:
				sum += m.GetGauge().GetValue()
			case m.Counter != nil:
				sum += m.GetCounter().GetValue()
			default:
				sum += m.GetUntyped().GetValue()
			}
		}
		if mean {
			sum /= float64(len(f.GetMetric()))
		}
		return &sum
	}
	return nil
}

// metricsURL is the metrics endpoint of platform p served at base (the
// emulator's address for an emulate platform): "" for none. See
// config.Platform.MetricsURL.
func metricsURL(p config.Platform, base string) string {
	switch p.MetricsURL {
	case config.MetricsNone:
		return ""
	case "":
		if p.Emulate != nil {
			return config.LocalMetricsURL(base)
		}
		return ""
	}
	return p.MetricsURL
}

// sameHost reports whether a and b name the same host (any port): only
// then does the platform's token go to its metrics endpoint.
func sameHost(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	return err1 == nil && err2 == nil && ua.Hostname() != "" && strings.EqualFold(ua.Hostname(), ub.Hostname())
}

// scraper reads one platform's metrics endpoint every interval during
// one job and tells the job's ServerMetrics about each scrape.
type scraper struct {
	url    string
	client *http.Client
	// token returns the bearer token to send ("" for none).
	token func() string
	every time.Duration
	emit  func(results.ServerSample)
	// failed is told about a failed scrape (a redacted message); it notes
	// the platform's first failure.
	failed func(msg string)
	// lastErr is the error of the last scrape ("" after a success): an
	// error line is written when it changes, not once per scrape.
	lastErr string
}

// startScraper starts scraping the job's metrics endpoint at base when
// the job has one and a ServerMetrics sink; the returned function takes
// a last scrape (the counters at the level's end) and stops. ctx ending
// stops it too.
func (r *run) startScraper(ctx context.Context, base string) (stop func()) {
	p := r.job.Platform
	target := metricsURL(p, base)
	if target == "" || r.job.ServerMetrics == nil {
		return func() {}
	}
	every := p.MetricsInterval.D()
	if every <= 0 {
		every = config.DefaultMetricsInterval.D()
	}
	dial := r.q.dial
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	s := &scraper{url: target, every: every, emit: r.job.ServerMetrics,
		client: &http.Client{Timeout: max(every, minScrapeTimeout), Transport: &http.Transport{
			Proxy: http.ProxyFromEnvironment, DialContext: dial, MaxIdleConnsPerHost: 1}},
		failed: func(msg string) { r.metricsFailed(shownURL(target), msg) }}
	if sameHost(target, base) {
		s.token = func() string { t, _ := r.tokens.get(); return t }
	}
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		s.run(ctx, done)
	}()
	var once sync.Once
	return func() {
		once.Do(func() { close(done) })
		<-finished
		s.client.CloseIdleConnections()
	}
}

// run scrapes at once, then every s.every until done is closed (then
// once more) or ctx ends.
func (s *scraper) run(ctx context.Context, done <-chan struct{}) {
	s.scrape(ctx)
	t := time.NewTicker(s.every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-done:
			s.scrape(ctx)
			return
		case <-t.C:
			s.scrape(ctx)
		}
	}
}

// scrape reads the endpoint once and tells what it found.
func (s *scraper) scrape(ctx context.Context) {
	at := time.Now().UTC()
	sample, err := s.get(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return // the run is ending: not the server's failure
		}
		msg := err.Error()
		if msg != s.lastErr {
			s.lastErr = msg
			s.failed(msg)
			s.emit(results.ServerSample{Time: at, Error: msg})
		}
		return
	}
	s.lastErr = ""
	sample.Time = at
	s.emit(sample)
}

// get fetches and parses the page; the error never holds the token.
func (s *scraper) get(ctx context.Context) (results.ServerSample, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url, nil)
	if err != nil {
		return results.ServerSample{}, err
	}
	req.Header.Set("Accept", string(expfmt.NewFormat(expfmt.TypeTextPlain)))
	if s.token != nil {
		if t := s.token(); t != "" {
			req.Header.Set("Authorization", "Bearer "+t)
		}
	}
	resp, err := s.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is in the note already
		}
		return results.ServerSample{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return results.ServerSample{}, fmt.Errorf("HTTP %s", resp.Status)
	}
	if ct := resp.Header.Get("Content-Type"); strings.Contains(ct, "protobuf") {
		return results.ServerSample{}, fmt.Errorf("content type %q is not the text format", ct)
	}
	return parseServerMetrics(io.LimitReader(resp.Body, maxMetricsBytes))
}

// shownURL is u with any password replaced (url.URL.Redacted), for notes
// and logs.
func shownURL(u string) string {
	if p, err := url.Parse(u); err == nil {
		return p.Redacted()
	}
	return u
}

// metricsFailed says the first failure of a platform's metrics endpoint
// on the console once per Querier, however many levels and scrapes fail
// after it. The failed samples carry it into server_metrics.jsonl, from
// which aggregation notes it in results.json and the report
// (Results.ApplyServerMetrics).
func (r *run) metricsFailed(target, msg string) {
	if _, seen := r.q.metricsNoted.LoadOrStore(r.job.Platform.Name, true); seen {
		return
	}
	msg = r.sec.redactText(msg)
	if r.job.Log != nil {
		r.job.Log.Warn("the server's metrics endpoint failed; the run goes on without the server's figures", "url", target, "err", msg)
	}
}
