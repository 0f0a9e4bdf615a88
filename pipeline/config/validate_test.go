package config

import (
	"strings"
	"testing"
)

func TestValidateChecksExperimentsBuiltInCode(t *testing.T) {
	good := func() *Experiment {
		e := &Experiment{Name: "code", Dataset: DatasetSpec{Source: "demo"},
			Platforms: []Platform{{Name: "a", Emulate: ConfigBlock(&testEmulate{Accuracy: 1}), Models: []string{"m"}}}}
		e.ApplyDefaults()
		return e
	}
	tests := []struct {
		name   string
		change func(e *Experiment)
		want   string
	}{
		{"a defaulted experiment is valid", func(e *Experiment) {}, ""},
		{"a check that does not compile is reported", func(e *Experiment) { e.Checks = []string{"nope >"} }, `checks[0]: expression "nope >"`},
		{"a regex that does not compile is reported", func(e *Experiment) { e.Score.Extract = ExtractSpec{Regex: "("} }, "score.extract.regex: invalid regular expression"},
		{"an unknown export format is reported", func(e *Experiment) { e.Export.Formats = []string{"jsn"} }, `export.formats[0]: unknown format "jsn" (did you mean "json"?)`},
		{"a duplicate platform still has its fields validated", func(e *Experiment) {
			e.Platforms = append(e.Platforms, Platform{Name: "a", Emulate: ConfigBlock(&testEmulate{Accuracy: 2}), Models: []string{"m"}, Concurrency: 1})
		}, "platforms[1].emulate.accuracy: must be <= 1, got 2\nplatforms[1].name: duplicate platform name \"a\" (also platforms[0])"},
		{"a check naming an unknown platform is reported", func(e *Experiment) { e.Checks = []string{`group("b").f1 > 0`} }, `checks[0]: group("b") names no platform or platform/model`},
		{"a negative concurrency is rejected", func(e *Experiment) { e.Platforms[0].Concurrency = -1 }, "platforms[0].concurrency: must be >= 1, got -1"},
		{"an open loop without concurrency is uncapped and valid", func(e *Experiment) { e.Platforms[0].Rate, e.Platforms[0].Concurrency = 2, 0 }, ""},
		{"a zero repeat count is rejected", func(e *Experiment) { e.Repeats = 0 }, "repeats: must be >= 1, got 0"},
		{"an arrival law must be known", func(e *Experiment) { e.Platforms[0].Rate, e.Platforms[0].Arrival = 1, "bursty" }, "platforms[0].arrival: must be one of: constant poisson gamma"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := good()
			tt.change(e)
			got := e.Validate(testRegistry(), "").Error()
			if (tt.want == "") != (got == "") || !strings.HasPrefix(got, tt.want) {
				t.Errorf("got\n%s\nwant prefix\n%s", got, tt.want)
			}
		})
	}
}
