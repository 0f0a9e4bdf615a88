package config

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/inferbench/inferbench/internal/wantdiag"
)

func TestGoodExperimentsLoadWithoutDiagnosticsAndDecodeToTheirValues(t *testing.T) {
	tests := []struct {
		file  string
		check func(t *testing.T, e *Experiment)
	}{
		{"minimal.good.yaml", func(t *testing.T, e *Experiment) {
			want := Params{Temperature: []float64{DefaultTemperature}, MaxTokens: DefaultMaxTokens, Stream: true}
			if !reflect.DeepEqual(e.Params, want) {
				t.Errorf("params = %+v, want %+v", e.Params, want)
			}
			p := e.Platforms[0]
			if p.Emulate == nil || emu(p).TTFT != Duration(100*time.Millisecond) || emu(p).TokensPerSecond != 50 || emu(p).Accuracy != 0.9 {
				t.Errorf("emulate = %+v", p.Emulate)
			}
			if p.Concurrency != DefaultConcurrency || p.Retries != DefaultRetries || p.Timeout != DefaultTimeout || p.ConnectTimeout != DefaultConnectTimeout {
				t.Errorf("platform defaults not applied: %+v", p)
			}
			if e.Baseline != "sim" || e.Repeats != 1 || e.Prompt.User != DefaultUserPrompt {
				t.Errorf("baseline %q repeats %d prompt %q", e.Baseline, e.Repeats, e.Prompt.User)
			}
			if !reflect.DeepEqual(e.Score.Extract.Steps, DefaultExtractSteps) || !reflect.DeepEqual(e.Export.Formats, testFormats) || e.Export.Dir != DefaultExportDir {
				t.Errorf("score/export defaults: %+v %+v", e.Score, e.Export)
			}
			if e.Stats != (StatsSpec{Confidence: DefaultConfidence, Bootstrap: DefaultBootstrap}) {
				t.Errorf("stats = %+v", e.Stats)
			}
		}},
		{"full.good.yaml", checkFullGood},
		{"openloop.good.yaml", func(t *testing.T, e *Experiment) {
			p, c := e.Platforms[0], e.Platforms[1]
			if p.Rate != 20 || p.Arrival != "gamma" || p.Burstiness != 0.5 || p.Concurrency != 8 || p.Warmup != 3 || p.MaxDuration != Duration(2*time.Minute) || p.MaxErrorRate != 0.1 {
				t.Errorf("paced = %+v", p)
			}
			if c.Rate != 5.5 || c.Arrival != "poisson" || c.Concurrency != 0 {
				t.Errorf("open loop defaults: rate %v arrival %q concurrency %d (uncapped must stay 0)", c.Rate, c.Arrival, c.Concurrency)
			}
			if !reflect.DeepEqual(e.Params.Temperature, []float64{0.3}) {
				t.Errorf("scalar temperature = %v", e.Params.Temperature)
			}
			if !reflect.DeepEqual(e.Score.Extract, ExtractSpec{Regex: `(?i)answer:\s*(.+)`}) {
				t.Errorf("extract = %+v", e.Score.Extract)
			}
			if e.SLO.TTFT != Duration(500*time.Millisecond) || e.SLO.E2E != Duration(5*time.Second) || e.Stats.Confidence != 0.9 || e.Stats.Bootstrap != 500 {
				t.Errorf("slo %+v stats %+v", e.SLO, e.Stats)
			}
		}},
		{"exprextract.good.yaml", func(t *testing.T, e *Experiment) {
			if e.Score.Extract.Expr != `trim(split(content, "\n")[0])` || e.Score.Extract.Steps != nil {
				t.Errorf("extract = %+v", e.Score.Extract)
			}
		}},
	}
	files, _ := filepath.Glob("testdata/*.good.yaml")
	if len(files) != len(tests) {
		t.Errorf("%d good files but %d table entries: every good file needs its assertions", len(files), len(tests))
	}
	for _, tt := range tests {
		t.Run(tt.file+" loads with its values", func(t *testing.T) {
			tt.check(t, mustLoad(t, filepath.Join("testdata", tt.file), LoadOptions{}))
		})
	}
}

// checkFullGood checks the values of testdata/full.good.yaml, which sets
// nearly every key.
func checkFullGood(t *testing.T, e *Experiment) {
	if e.Name != "metis-vs-sophia" || e.Seed != 42 || e.Repeats != 3 || e.Baseline != "sophia-sim" {
		t.Errorf("top level: %+v", e)
	}
	d := e.Dataset
	if d.Source != "squad" || d.Path != "questions.json" || d.Slice != "[:10]" || d.Sample != 5 || d.Filter != "len(context) < 3000" {
		t.Errorf("dataset = %+v", d)
	}
	if !reflect.DeepEqual(e.Params.Temperature, []float64{0, 0.7}) || e.Params.MaxTokens != 256 || e.Params.Stream {
		t.Errorf("params = %+v", e.Params)
	}
	wantExtra := map[string]any{"reasoning_effort": "low", "CamelKey": map[string]any{"Nested": 1}}
	if !reflect.DeepEqual(e.Params.Extra, wantExtra) {
		t.Errorf("params.extra = %#v, want keys with their case %#v", e.Params.Extra, wantExtra)
	}
	m := e.Platforms[0]
	if m.Timeout != Duration(90*time.Second) || m.Concurrency != 4 || m.Retries != 0 {
		t.Errorf("metis: timeout %v concurrency %d retries %d (explicit 0 must stay)", m.Timeout, m.Concurrency, m.Retries)
	}
	if len(m.Headers) != 1 || m.Headers[0].Name != "X-Team" || m.Headers[0].Value.Reveal() != "s3cret-header" {
		t.Errorf("headers = %#v", m.Headers)
	}
	s := e.Platforms[1]
	f := emu(s).Faults
	if emu(s).Style != "chatty" || emu(s).Jitter != 0.1 || f.Rate429 != 0.05 || f.RetryAfter != Duration(time.Second) || f.Disconnect != 0.01 {
		t.Errorf("emulate = %+v", s.Emulate)
	}
	if s.Retries != DefaultRetries || s.APIKey.Reveal() != "sk-very-secret" {
		t.Errorf("sophia: retries %d key %q", s.Retries, s.APIKey.Reveal())
	}
	if !reflect.DeepEqual(e.Score.Extract, ExtractSpec{Steps: []string{"strip_reasoning", "bold_span", "first_line"}}) || !e.Score.ReportRaw {
		t.Errorf("score = %+v", e.Score)
	}
	if len(e.Metrics) != 1 || e.Metrics[0].Name != "cost_per_1k" || len(e.Checks) != 1 {
		t.Errorf("metrics %+v checks %+v", e.Metrics, e.Checks)
	}
	if e.Export.Dir != "out" || !reflect.DeepEqual(e.Export.Formats, []string{"json", "xlsx"}) {
		t.Errorf("export = %+v", e.Export)
	}
}

func TestBadExperimentsReportEveryDeclaredProblemAndNothingElse(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.bad.yaml")
	if len(files) < 8 {
		t.Fatalf("only %d bad files", len(files))
	}
	for _, file := range files {
		t.Run(filepath.Base(file)+" reports exactly its want lines", func(t *testing.T) {
			e, diags := LoadExperiment(file, LoadOptions{Registry: testRegistry()})
			if e != nil {
				t.Error("a bad experiment must not be returned")
			}
			var got []wantdiag.Diag
			for _, d := range diags {
				got = append(got, wantdiag.Diag{File: d.File, Line: d.Line, Col: d.Col, Text: d.Path + ": " + d.Message})
			}
			wantdiag.Check(t, file, got)
		})
	}
}

func TestSetOverridesApplyWithTheRightKindsAndAddressing(t *testing.T) {
	tests := []struct {
		name  string
		sets  []string
		check func(t *testing.T, e *Experiment)
	}{
		{"a scalar becomes an integer", []string{"params.max_tokens=256"}, func(t *testing.T, e *Experiment) {
			if e.Params.MaxTokens != 256 {
				t.Errorf("max_tokens = %d", e.Params.MaxTokens)
			}
		}},
		{"a flow list becomes a temperature list", []string{"params.temperature=[0,0.7]"}, func(t *testing.T, e *Experiment) {
			if !reflect.DeepEqual(e.Params.Temperature, []float64{0, 0.7}) {
				t.Errorf("temperature = %v", e.Params.Temperature)
			}
		}},
		{"a list element is addressed by dotted index", []string{"platforms.0.concurrency=7"}, func(t *testing.T, e *Experiment) {
			if e.Platforms[0].Concurrency != 7 {
				t.Errorf("concurrency = %d", e.Platforms[0].Concurrency)
			}
		}},
		{"a list element is addressed by bracket index", []string{"platforms[1].rate=3.5"}, func(t *testing.T, e *Experiment) {
			if e.Platforms[1].Rate != 3.5 || e.Platforms[1].Arrival != "poisson" {
				t.Errorf("rate = %v arrival %q", e.Platforms[1].Rate, e.Platforms[1].Arrival)
			}
		}},
		{"a platform is addressed by name", []string{"platforms.sophia-sim.emulate.ttft=2s"}, func(t *testing.T, e *Experiment) {
			if emu(e.Platforms[1]).TTFT != Duration(2*time.Second) {
				t.Errorf("ttft = %v", emu(e.Platforms[1]).TTFT)
			}
		}},
		{"extract takes a list of steps", []string{"score.extract=[first_line]"}, func(t *testing.T, e *Experiment) {
			if !reflect.DeepEqual(e.Score.Extract, ExtractSpec{Steps: []string{"first_line"}}) {
				t.Errorf("extract = %+v", e.Score.Extract)
			}
		}},
		{"params.extra keeps the key's case", []string{"params.extra.TopK=5"}, func(t *testing.T, e *Experiment) {
			if e.Params.Extra["TopK"] != 5 || e.Params.Extra["reasoning_effort"] != "low" {
				t.Errorf("extra = %#v", e.Params.Extra)
			}
		}},
		{"stream can be switched back on", []string{"params.stream=true"}, func(t *testing.T, e *Experiment) {
			if !e.Params.Stream {
				t.Error("stream stayed false")
			}
		}},
		{"a bare zero duration is accepted and defaulted", []string{"platforms.0.timeout=0"}, func(t *testing.T, e *Experiment) {
			if e.Platforms[0].Timeout != DefaultTimeout {
				t.Errorf("timeout = %v", e.Platforms[0].Timeout)
			}
		}},
		{"a later set wins over an earlier one", []string{"seed=1", "seed=2"}, func(t *testing.T, e *Experiment) {
			if e.Seed != 2 {
				t.Errorf("seed = %d", e.Seed)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.check(t, mustLoad(t, "testdata/full.good.yaml", LoadOptions{Sets: tt.sets}))
		})
	}
}

func TestBadOverridesAreNamedInTheirDiagnostics(t *testing.T) {
	tests := []struct {
		name string
		opts LoadOptions
		want string
	}{
		{"an index past the end", LoadOptions{Sets: []string{"platforms.9.concurrency=4"}}, "--set platforms.9.concurrency: no platform at index 9"},
		{"an unknown platform name", LoadOptions{Sets: []string{"platforms.metsi.rate=1"}}, `--set platforms.metsi.rate: no platform named "metsi"`},
		{"a misspelt key", LoadOptions{Sets: []string{"params.max_token=1"}}, `--set params.max_token: unknown key "max_token" in params (did you mean "max_tokens"?)`},
		{"a key below a scalar", LoadOptions{Sets: []string{"seed.x=1"}}, "--set seed.x: seed is a single value, not a map"},
		{"no equals sign", LoadOptions{Sets: []string{"seed"}}, "--set seed: want key=value"},
		{"a value of the wrong kind", LoadOptions{Sets: []string{"params.max_tokens=lots"}}, `--set params.max_tokens: params.max_tokens: must be an integer, got the string "lots"`},
		{"a value that fails validation", LoadOptions{Sets: []string{"platforms.metis.concurrency=-2"}}, "--set platforms.metis.concurrency: platforms[0].concurrency: must be >= 1, got -2"},
		{"an explicit zero concurrency", LoadOptions{Sets: []string{"platforms.metis.concurrency=0"}}, "--set platforms.metis.concurrency: platforms[0].concurrency: must be >= 1, got 0; leave it out for the default 1"},
		{"an environment zero max_tokens", LoadOptions{Environ: []string{"INFERBENCH_PARAMS_MAX_TOKENS=0"}}, "$INFERBENCH_PARAMS_MAX_TOKENS: params.max_tokens: must be >= 1, got 0; leave it out for the default 512"},
		{"an environment integer that is not one", LoadOptions{Environ: []string{"INFERBENCH_PARAMS_MAX_TOKENS=abc"}}, `$INFERBENCH_PARAMS_MAX_TOKENS: params.max_tokens: must be an integer, got "abc"`},
		{"an environment duration without a unit", LoadOptions{Environ: []string{"INFERBENCH_PLATFORMS_0_TIMEOUT=30"}}, `$INFERBENCH_PLATFORMS_0_TIMEOUT: platforms[0].timeout: must be a duration`},
		{"an environment filter that does not compile", LoadOptions{Environ: []string{"INFERBENCH_DATASET_FILTER=nope("}}, `$INFERBENCH_DATASET_FILTER: dataset.filter: expression "nope("`},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is reported with the override", func(t *testing.T) {
			tt.opts.Registry = testRegistry()
			e, diags := LoadExperiment("testdata/full.good.yaml", tt.opts)
			if e != nil || len(diags) != 1 {
				t.Fatalf("want exactly one diagnostic, got %d:\n%v", len(diags), diags)
			}
			if got := diags[0].Error(); !strings.HasPrefix(got, tt.want) {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestEnvironmentOverridesApplyStrictlyAndOnlyToSchemaPaths(t *testing.T) {
	tests := []struct {
		name    string
		environ []string
		check   func(t *testing.T, e *Experiment)
	}{
		{"max tokens and seed are integers", []string{"INFERBENCH_PARAMS_MAX_TOKENS=256", "INFERBENCH_SEED=7"}, func(t *testing.T, e *Experiment) {
			if e.Params.MaxTokens != 256 || e.Seed != 7 {
				t.Errorf("max_tokens %d seed %d", e.Params.MaxTokens, e.Seed)
			}
		}},
		{"zero is the integer zero", []string{"INFERBENCH_SEED=0", "INFERBENCH_DATASET_SAMPLE=0"}, func(t *testing.T, e *Experiment) {
			if e.Seed != 0 || e.Dataset.Sample != 0 {
				t.Errorf("seed %d sample %d", e.Seed, e.Dataset.Sample)
			}
		}},
		{"a list-indexed platform value applies", []string{"INFERBENCH_PLATFORMS_0_CONCURRENCY=4", "INFERBENCH_PLATFORMS_SOPHIA_SIM_EMULATE_ACCURACY=0.5"}, func(t *testing.T, e *Experiment) {
			if e.Platforms[0].Concurrency != 4 || emu(e.Platforms[1]).Accuracy != 0.5 {
				t.Errorf("concurrency %d accuracy %v", e.Platforms[0].Concurrency, emu(e.Platforms[1]).Accuracy)
			}
		}},
		{"booleans, durations, strings and lists decode", []string{"INFERBENCH_PARAMS_STREAM=true", "INFERBENCH_SLO_TTFT=250ms", "INFERBENCH_DESCRIPTION=123", "INFERBENCH_PARAMS_TEMPERATURE=0.1,0.2", "INFERBENCH_EXPORT_FORMATS=csv,json"}, func(t *testing.T, e *Experiment) {
			if !e.Params.Stream || e.SLO.TTFT != Duration(250*time.Millisecond) || e.Description != "123" {
				t.Errorf("stream %v ttft %v description %q", e.Params.Stream, e.SLO.TTFT, e.Description)
			}
			if !reflect.DeepEqual(e.Params.Temperature, []float64{0.1, 0.2}) || !reflect.DeepEqual(e.Export.Formats, []string{"csv", "json"}) {
				t.Errorf("temperature %v formats %v", e.Params.Temperature, e.Export.Formats)
			}
		}},
		{"variables that are not config paths are ignored", []string{"INFERBENCH_SQUAD_DEV=/nope", "INFERBENCH_CACHE_DIR=/tmp", "INFERBENCH_PLATFORMS=x", "OTHER_SEED=9"}, func(t *testing.T, e *Experiment) {
			if e.Seed != 42 || len(e.Overrides()) != 0 {
				t.Errorf("seed %d overrides %v", e.Seed, e.Overrides())
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.check(t, mustLoad(t, "testdata/full.good.yaml", LoadOptions{Environ: tt.environ}))
		})
	}
}

func TestOverridePrecedenceIsFileThenEnvironmentThenSet(t *testing.T) {
	tests := []struct {
		name       string
		environ    []string
		sets       []string
		maxTokens  int
		concurrent int
	}{
		{"the file alone", nil, nil, 256, 4},
		{"the environment beats the file", []string{"INFERBENCH_PARAMS_MAX_TOKENS=300", "INFERBENCH_PLATFORMS_0_CONCURRENCY=5"}, nil, 300, 5},
		{"--set beats the environment", []string{"INFERBENCH_PARAMS_MAX_TOKENS=300", "INFERBENCH_PLATFORMS_0_CONCURRENCY=5"}, []string{"params.max_tokens=400", "platforms.metis.concurrency=6"}, 400, 6},
		{"--set of a parent map beats the environment below it", []string{"INFERBENCH_PARAMS_MAX_TOKENS=300"}, []string{"params={max_tokens: 500}"}, 500, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := mustLoad(t, "testdata/full.good.yaml", LoadOptions{Environ: tt.environ, Sets: tt.sets})
			if e.Params.MaxTokens != tt.maxTokens || e.Platforms[0].Concurrency != tt.concurrent {
				t.Errorf("max_tokens %d concurrency %d, want %d %d", e.Params.MaxTokens, e.Platforms[0].Concurrency, tt.maxTokens, tt.concurrent)
			}
		})
	}
}

func TestPresenceSensitiveDefaultsKeepExplicitZeros(t *testing.T) {
	tests := []struct {
		name    string
		sets    []string
		stream  bool
		retries int
		raw     bool
	}{
		{"a missing stream is true and missing retries the default", nil, true, DefaultRetries, true},
		{"stream false, retries 0 and report_raw false are kept", []string{"params.stream=false", "platforms.0.retries=0", "score.report_raw=false"}, false, 0, false},
		{"stream null counts as missing", []string{"params.stream=null"}, true, DefaultRetries, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := mustLoad(t, "testdata/minimal.good.yaml", LoadOptions{Sets: tt.sets})
			if e.Params.Stream != tt.stream || e.Platforms[0].Retries != tt.retries || e.Score.ReportRaw != tt.raw {
				t.Errorf("stream %v retries %d report_raw %v, want %v %d %v", e.Params.Stream, e.Platforms[0].Retries, e.Score.ReportRaw, tt.stream, tt.retries, tt.raw)
			}
		})
	}
}

func TestApplyDefaultsIsIdempotentAndKeepsChangesMadeAfterIt(t *testing.T) {
	e := &Experiment{Name: "x", Platforms: []Platform{{Name: "a", Models: []string{"m"}, Rate: 2}}}
	e.ApplyDefaults()
	first, _ := json.Marshal(e)
	e.ApplyDefaults()
	second, _ := json.Marshal(e)
	if string(first) != string(second) {
		t.Fatalf("second ApplyDefaults changed the experiment:\n%s\n%s", first, second)
	}
	if !e.Params.Stream || e.Platforms[0].Retries != DefaultRetries || e.Platforms[0].Arrival != "" || e.Platforms[0].Concurrency != 0 {
		// The arrival law's default is the registry's (componentDefaults).
		t.Errorf("defaults: %+v %+v", e.Params, e.Platforms[0])
	}
	e.Params.Stream, e.Platforms[0].Retries = false, 0
	e.ApplyDefaults()
	if e.Params.Stream || e.Platforms[0].Retries != 0 {
		t.Error("explicit zeros set after defaulting were overwritten")
	}
}

func TestSecretsAreRedactedInEveryEcho(t *testing.T) {
	e := mustLoad(t, "testdata/full.good.yaml", LoadOptions{
		Sets:    []string{"platforms.sophia-sim.api_key=sk-from-set", "platforms.0.headers=[{name: A, value: hdr-from-set}]", "platforms.metis.api_key_command="},
		Environ: []string{"INFERBENCH_SEED=9", "INFERBENCH_PLATFORMS_1_API_KEY=sk-shadowed", "INFERBENCH_PLATFORMS_METIS_API_KEY=sk-from-env"},
	})
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"sk-very-secret", "sk-from-set", "hdr-from-set", "sk-from-env", "sk-shadowed"} {
		if strings.Contains(string(b), secret) || strings.Contains(strings.Join(e.Overrides(), " "), secret) {
			t.Errorf("%s leaked:\n%s\n%v", secret, b, e.Overrides())
		}
	}
	if e.Platforms[0].APIKey.Reveal() != "sk-from-env" || e.Platforms[1].APIKey.Reveal() != "sk-from-set" {
		t.Errorf("keys not applied: %q %q", e.Platforms[0].APIKey.Reveal(), e.Platforms[1].APIKey.Reveal())
	}
	want := []string{"INFERBENCH_PLATFORMS_1_API_KEY=" + Redacted, "INFERBENCH_PLATFORMS_METIS_API_KEY=" + Redacted, "INFERBENCH_SEED=9",
		"platforms.sophia-sim.api_key=" + Redacted, "platforms.0.headers=" + Redacted, "platforms.metis.api_key_command="}
	if !reflect.DeepEqual(e.Overrides(), want) {
		t.Errorf("overrides = %q, want %q", e.Overrides(), want)
	}
}

func TestFileLevelProblemsAreLocated(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name, path, want string
	}{
		{"a missing file names the file", filepath.Join(dir, "none.yaml"), "none.yaml: read experiment: open"},
		{"invalid YAML gives its line", write("syntax.yaml", "name: x\nplatforms:\n  - a\n b: c\n"), "syntax.yaml:4:2: invalid YAML: did not find expected key"},
		{"an unclosed flow list is located at its bracket", write("flowlist.yaml", "name: x\nplatforms:\n  - name: a\n    models: [m\n    concurrency: 2\n"), "flowlist.yaml:4:13: invalid YAML: did not find expected ',' or ']': the \"[\" here is never closed"},
		{"an unclosed flow map on the first line is located there", write("first.yaml", "dataset: {source: demo\nname: x\n"), "first.yaml:1:10: invalid YAML"},
		{"a bad indentation after a good multi-line flow map is located at the bad line", write("indent.yaml", "name: x\ndataset: {source: demo,\n  slice: \"[:2]\"}\nplatforms:\n  - name: a\n   bad: 1\n"), "indent.yaml:6:4: invalid YAML"},
		{"a column counts characters, not bytes", write("runes.yaml", "name: x\ndescription: {é: ü, b: [1\n"), "runes.yaml:2:24: invalid YAML"},
		{"an unclosed quote is located at its line", write("quote.yaml", "name: 'x\nrepeats: 1\n"), "quote.yaml:1:7: invalid YAML: found unexpected end of stream: the ' here is never closed"},
		{"a list at the top is not an experiment", write("list.yaml", "- a\n"), "list.yaml:1:1: an experiment must be a map"},
		{"an empty file lacks every required key", write("empty.yaml", ""), "empty.yaml:1:1: dataset.source: is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, diags := LoadExperiment(tt.path, LoadOptions{Registry: testRegistry()})
			if len(diags) == 0 || !strings.Contains(diags.Error(), tt.want) {
				t.Errorf("got:\n%v\nwant a line containing %q", diags, tt.want)
			}
		})
	}
}

func TestRealSQuADPathValidatesWhenConfigured(t *testing.T) {
	dev := os.Getenv("INFERBENCH_SQUAD_DEV")
	if dev == "" {
		t.Skip("INFERBENCH_SQUAD_DEV not set")
	}
	abs, err := filepath.Abs(dev)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(abs); err != nil {
		t.Fatalf("INFERBENCH_SQUAD_DEV: %v", err)
	}
	e := mustLoad(t, "testdata/full.good.yaml", LoadOptions{Sets: []string{"dataset.path=" + abs}})
	if e.Dataset.Path != abs {
		t.Errorf("path = %q", e.Dataset.Path)
	}
}

func BenchmarkLoadExperiment(b *testing.B) {
	b.ReportAllocs()
	reg := testRegistry()
	for b.Loop() {
		if _, diags := LoadExperiment("testdata/full.good.yaml", LoadOptions{Registry: reg}); diags != nil {
			b.Fatal(diags)
		}
	}
}

func TestReloadExperimentAcceptsTheManifestEncodingOfEveryExtractShape(t *testing.T) {
	tests := []struct {
		name, file string
		sets       []string
		check      func(t *testing.T, e *Experiment)
	}{
		{"a list of steps survives an unrelated override", "minimal.good.yaml", []string{"slo.ttft=300ms"}, func(t *testing.T, e *Experiment) {
			if e.SLO.TTFT != Duration(300*time.Millisecond) {
				t.Errorf("slo.ttft = %v, want 300ms", e.SLO.TTFT)
			}
			if !reflect.DeepEqual(e.Score.Extract.Steps, DefaultExtractSteps) {
				t.Errorf("extract steps = %v, want %v", e.Score.Extract.Steps, DefaultExtractSteps)
			}
		}},
		{"an expr extraction survives an unrelated override", "exprextract.good.yaml", []string{"repeats=2"}, func(t *testing.T, e *Experiment) {
			if e.Repeats != 2 || e.Score.Extract.Expr == "" || len(e.Score.Extract.Steps) != 0 {
				t.Errorf("repeats %d extract %+v", e.Repeats, e.Score.Extract)
			}
		}},
		{"an uncapped open-loop platform stays uncapped", "openloop.good.yaml", []string{"repeats=2"}, func(t *testing.T, e *Experiment) {
			if e.Platforms[1].Rate != 5.5 || e.Platforms[1].Concurrency != 0 || e.Platforms[0].Concurrency != 8 {
				t.Errorf("rate %v concurrency %d (want uncapped 0), paced concurrency %d", e.Platforms[1].Rate, e.Platforms[1].Concurrency, e.Platforms[0].Concurrency)
			}
		}},
		{"a list of steps can be replaced by a regex", "minimal.good.yaml", []string{`score.extract={regex: '\*\*(.+)\*\*'}`}, func(t *testing.T, e *Experiment) {
			if e.Score.Extract.Regex != `\*\*(.+)\*\*` || len(e.Score.Extract.Steps) != 0 {
				t.Errorf("extract = %+v", e.Score.Extract)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			orig := mustLoad(t, filepath.Join("testdata", tt.file), LoadOptions{})
			// What Reopen sees: the experiment as manifest.json holds it.
			b, err := json.Marshal(orig)
			if err != nil {
				t.Fatal(err)
			}
			var saved Experiment
			if err := json.Unmarshal(b, &saved); err != nil {
				t.Fatal(err)
			}
			e, diags := ReloadExperiment("run/manifest.json", &saved, LoadOptions{Sets: tt.sets, Registry: testRegistry()})
			if len(diags) > 0 {
				t.Fatalf("unexpected diagnostics:\n%v", diags)
			}
			tt.check(t, e)
		})
	}
}

func TestEmulatedAccuracyDefaultsToOneButAnExplicitZeroIsKept(t *testing.T) {
	for _, tc := range []struct {
		name string
		set  string
		want float64
	}{
		{"an absent accuracy answers every question right", "platforms.0.emulate={ttft: 1ms}", 1},
		{"accuracy 0 is kept", "platforms.0.emulate={ttft: 1ms, accuracy: 0}", 0},
		{"a given accuracy is kept", "platforms.0.emulate={accuracy: 0.3}", 0.3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := mustLoad(t, "testdata/minimal.good.yaml", LoadOptions{Sets: []string{tc.set}})
			if got := emu(e.Platforms[0]).Accuracy; got != tc.want {
				t.Fatalf("accuracy %v, want %v", got, tc.want)
			}
		})
	}
}

func TestSLOMaxErrorRateDefaultsToOnePercentAndKeepsAnExplicitZero(t *testing.T) {
	dir := t.TempDir()
	write := func(slo string) string {
		p := filepath.Join(dir, "e.yaml")
		body := "name: e\ndataset: {source: demo}\nplatforms: [{name: sim, emulate: {ttft: 1ms}, models: [m]}]\n" + slo
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	if e := mustLoad(t, write("slo: {e2e: 1s}\n"), LoadOptions{}); e.SLO.MaxErrorRate != DefaultSLOMaxErrorRate {
		t.Errorf("default slo.max_error_rate = %v, want %v", e.SLO.MaxErrorRate, DefaultSLOMaxErrorRate)
	}
	e := mustLoad(t, write("slo: {e2e: 1s, max_error_rate: 0}\n"), LoadOptions{})
	if e.SLO.MaxErrorRate != 0 {
		t.Errorf("an explicit slo.max_error_rate 0 became %v", e.SLO.MaxErrorRate)
	}
	// The manifest's copy keeps the explicit 0 when reloaded.
	again, diags := ReloadExperiment("manifest.json", e, LoadOptions{Registry: testRegistry()})
	if len(diags) > 0 || again.SLO.MaxErrorRate != 0 {
		t.Errorf("reloaded slo.max_error_rate = %v (%v), want 0", again.SLO.MaxErrorRate, diags)
	}
	_, diags = LoadExperiment(write("slo: {max_error_rate: 1.5}\n"), LoadOptions{Registry: testRegistry()})
	if len(diags) != 1 || !strings.Contains(diags.Error(), "slo.max_error_rate") {
		t.Errorf("slo.max_error_rate 1.5 gave %v, want one problem located at it", diags)
	}
}

func TestANilRegistryIsRefused(t *testing.T) {
	// The components' names, rules and defaults come only from the
	// registry: without one there is no fallback list to go stale.
	_, diags := LoadExperiment("testdata/minimal.good.yaml", LoadOptions{})
	if len(diags) != 1 || !strings.Contains(diags.Error(), "no registry") {
		t.Errorf("a nil registry gave %v, want it refused", diags)
	}
}

func TestComponentDefaultsComeFromTheRegistry(t *testing.T) {
	// A registry whose default law and shape differ from the built-in
	// ones, and one format: LoadExperiment uses what it registered.
	reg := testRegistry()
	reg.Arrivals, reg.components[KindArrival] = nil, nil
	reg.AddArrival("steady", ArrivalLaw{Default: true})
	reg.AddArrival("bursty", ArrivalLaw{Shaped: true, DefaultShape: 0.5})
	reg.components[KindFormat] = nil
	reg.AddFormat("only")
	e := mustLoad(t, "testdata/minimal.good.yaml", LoadOptions{Registry: reg, Sets: []string{"platforms.0.rate=2"}})
	if p := e.Platforms[0]; p.Arrival != "steady" || p.Burstiness != 0 {
		t.Errorf("arrival %q burstiness %v, want the registry's default law steady", p.Arrival, p.Burstiness)
	}
	if !reflect.DeepEqual(e.Export.Formats, []string{"only"}) {
		t.Errorf("formats %v, want the registered ones", e.Export.Formats)
	}
	e = mustLoad(t, "testdata/minimal.good.yaml", LoadOptions{Registry: reg, Sets: []string{"platforms.0.rate=2", "platforms.0.arrival=bursty"}})
	if p := e.Platforms[0]; p.Burstiness != 0.5 {
		t.Errorf("burstiness %v, want the law's default shape 0.5", p.Burstiness)
	}
	_, diags := LoadExperiment("testdata/minimal.good.yaml", LoadOptions{Registry: reg, Sets: []string{"platforms.0.rate=2", "platforms.0.arrival=gamma", "platforms.0.burstiness=2"}})
	want := `platforms[0].arrival: must be one of: steady bursty, got "gamma"`
	if !strings.Contains(diags.Error(), want) || !strings.Contains(diags.Error(), "platforms[0].burstiness: applies only to arrival: bursty") {
		t.Errorf("got %v, want %q and burstiness refused", diags, want)
	}
}

func TestARegistryWithoutLevelModelsRejectsEveryLoadBlock(t *testing.T) {
	for _, set := range []string{"platforms.0.load={type: concurrency, levels: [1, 4]}", "platforms.0.concurrency=[1, 4]"} {
		_, diags := LoadExperiment("testdata/minimal.good.yaml", LoadOptions{Sets: []string{set}, Registry: testRegistry()})
		if len(diags) != 1 || !strings.Contains(diags[0].Error(), `unknown load type "concurrency"`) {
			t.Errorf("%s without level models: got %v, want the load type refused", set, diags)
		}
	}
}
