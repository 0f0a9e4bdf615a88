package config

import "net/url"

// ApplyDefaults fills the zero fields of e with the exported Default*
// values (see experiment.go). It is idempotent, and it is called by
// LoadExperiment before validation.
//
// Some defaults depend on whether a key was given rather than on the zero
// value. Where the zero value is a valid choice it is kept: params.stream defaults to
// true (stream: false is kept), score.report_raw defaults to true
// (report_raw: false is kept) and platforms[].retries defaults to
// DefaultRetries (retries: 0 is kept). For an experiment from
// LoadExperiment the file and overrides decide; for one built in code the
// first ApplyDefaults call treats both as absent, and later calls keep
// whatever the caller set in between. Where zero is meaningless it is not
// defaulted either, so that validation rejects it: an explicit
// params.max_tokens: 0, platforms[].concurrency: 0 or
// platforms[].burstiness: 0 stays 0 (see the explicit-zero rule on
// Platform.Concurrency).
//
// Other defaults: repeats 1 and max_cells DefaultMaxCells (an explicit 0
// of either is rejected too); params.temperature [DefaultTemperature] when
// absent (an explicit empty list is left for validation to reject);
// max_tokens DefaultMaxTokens; prompt.user DefaultUserPrompt; export.dir
// DefaultExportDir; stats.confidence and stats.bootstrap;
// score.extract DefaultExtractSteps when neither steps, regex nor expr is
// given (an explicit empty list means no extraction); baseline the first
// platform's name. Per platform: concurrency DefaultConcurrency when
// neither concurrency nor rate is set; timeout DefaultTimeout;
// connect_timeout DefaultConnectTimeout; max_retry_wait DefaultMaxRetryWait;
// api_key_command_timeout DefaultAPIKeyCommandTimeout when api_key_command
// is set; metrics_interval DefaultMetricsInterval; metrics_url as
// Platform.MetricsURL documents (an empty value written is MetricsNone); with a resolved load block,
// rate its first level's rate, or else concurrency its first level's
// (when rate is not set), and
// slo.max_error_rate DefaultSLOMaxErrorRate unless written;
// load.max_queue DefaultMaxQueue; load.knee_throughput_gain and
// load.knee_latency_growth DefaultKneeThroughputGain and
// DefaultKneeLatencyGrowth. The defaults that components own (export.formats,
// arrival and burstiness) are applied by LoadExperiment from the registry
// (see componentDefaults). dataset.version stays "" (the loader
// detects the SQuAD version from the file); the emulate block gets its
// defaults from its registered type when it is resolved.
func (e *Experiment) ApplyDefaults() {
	explicit := func(path string) bool {
		return e.meta.defaulted || e.meta.present[path]
	}
	if e.Repeats == 0 && !explicit("repeats") {
		e.Repeats = 1
	}
	if e.MaxCells == 0 && !explicit("max_cells") {
		e.MaxCells = DefaultMaxCells
	}
	if e.Params.Temperature == nil {
		e.Params.Temperature = []float64{DefaultTemperature}
	}
	if e.Params.MaxTokens == 0 && !explicit("params.max_tokens") {
		e.Params.MaxTokens = DefaultMaxTokens
	}
	if !e.Params.Stream && !explicit("params.stream") {
		e.Params.Stream = true
	}
	if !e.Score.ReportRaw && !explicit("score.report_raw") {
		e.Score.ReportRaw = true
	}
	if e.Prompt.User == "" {
		e.Prompt.User = DefaultUserPrompt
	}
	if e.Export.Dir == "" {
		e.Export.Dir = DefaultExportDir
	}
	if e.SLO.MaxErrorRate == 0 && !explicit("slo.max_error_rate") {
		e.SLO.MaxErrorRate = DefaultSLOMaxErrorRate
	}
	if e.Stats.Confidence == 0 {
		e.Stats.Confidence = DefaultConfidence
	}
	if e.Stats.Bootstrap == 0 {
		e.Stats.Bootstrap = DefaultBootstrap
	}
	e.Client = e.Client.WithDefaults()
	if x := &e.Score.Extract; x.Steps == nil && x.Regex == "" && x.Expr == "" {
		x.Steps = append([]string(nil), DefaultExtractSteps...)
	}
	if e.Baseline == "" && len(e.Platforms) > 0 {
		e.Baseline = e.Platforms[0].Name
	}
	for i := range e.Platforms {
		at := yamlPath{{key: "platforms"}, {idx: i}}
		e.Platforms[i].applyDefaults(at, explicit)
		e.Platforms[i].metricsDefault(e.meta.present[at.child("metrics_url").String()])
	}
	e.meta.defaulted = true
}

// applyDefaults fills the zero fields of platform p, at path at, and of its
// resolved load block, as ApplyDefaults documents; explicit reports
// whether a path was given a value.
func (p *Platform) applyDefaults(at yamlPath, explicit func(path string) bool) {
	if l := p.Levels; l != nil {
		if lv := p.RunLevels(nil); len(l.Resolved) > 0 {
			switch {
			case lv[0].Rate > 0:
				p.Rate = lv[0].Rate
			case p.Rate == 0:
				p.Concurrency = lv[0].Concurrency
			}
		}
		if l.MaxQueue == 0 {
			l.MaxQueue = DefaultMaxQueue
		}
		if l.KneeThroughputGain == 0 {
			l.KneeThroughputGain = DefaultKneeThroughputGain
		}
		if l.KneeLatencyGrowth == 0 {
			l.KneeLatencyGrowth = DefaultKneeLatencyGrowth
		}
	}
	if p.Concurrency == 0 && p.Rate == 0 && !explicit(at.child("concurrency").String()) {
		p.Concurrency = DefaultConcurrency
	}
	if p.Timeout == 0 {
		p.Timeout = DefaultTimeout
	}
	if p.ConnectTimeout == 0 {
		p.ConnectTimeout = DefaultConnectTimeout
	}
	if p.MaxRetryWait == 0 {
		p.MaxRetryWait = DefaultMaxRetryWait
	}
	if p.APIKeyCommandTimeout == 0 && p.APIKeyCommand != "" {
		p.APIKeyCommandTimeout = DefaultAPIKeyCommandTimeout
	}
	if p.Retries == 0 && !explicit(at.child("retries").String()) {
		p.Retries = DefaultRetries
	}
	if p.MetricsInterval == 0 {
		p.MetricsInterval = DefaultMetricsInterval
	}
}

// metricsDefault fills metrics_url as Platform.MetricsURL documents;
// written reports whether the file or an override gave it a value (an
// empty one turns the metrics off).
func (p *Platform) metricsDefault(written bool) {
	switch {
	case p.MetricsURL != "":
	case written:
		p.MetricsURL = MetricsNone
	case p.BaseURL != "":
		p.MetricsURL = LocalMetricsURL(p.BaseURL)
	}
}

// LocalMetricsURL is the default metrics_url of a platform at base: the
// server root's /metrics when base is on this machine (localhost,
// 127.0.0.1 or ::1, where a vLLM under test usually runs), else
// MetricsNone: a remote service rarely exposes one, and its address
// would be a guess.
func LocalMetricsURL(base string) string {
	u, err := url.Parse(base)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return MetricsNone
	}
	switch u.Hostname() {
	case "localhost", "127.0.0.1", "::1":
		return u.Scheme + "://" + u.Host + "/metrics"
	}
	return MetricsNone
}

// componentDefaults fills the defaults that registered components own:
// export.formats every registered format, and for a platform with an
// open-loop level the default arrival law when it sets none, and that
// law's shape when it takes one and burstiness is left out (an explicit
// 0 is kept for validation to reject). It runs before ApplyDefaults.
func (r *Catalog) componentDefaults(e *Experiment) {
	explicit := func(path string) bool {
		return e.meta.defaulted || e.meta.present[path]
	}
	if e.Export.Formats == nil {
		e.Export.Formats = r.DefaultFormats()
	}
	for i := range e.Platforms {
		p := &e.Platforms[i]
		if p.Arrival == "" && (p.Rate > 0 || p.OpenLoopLevels()) {
			p.Arrival = r.DefaultArrival()
		}
		at := yamlPath{{key: "platforms"}, {idx: i}}.child("burstiness").String()
		if law := r.Arrivals[p.Arrival]; law.Shaped && p.Burstiness == 0 && !explicit(at) {
			p.Burstiness = law.DefaultShape
		}
	}
}
