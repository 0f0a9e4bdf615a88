package pipeline

import (
	"strings"
	"testing"

	"github.com/inferbench/inferbench/pipeline/config"
)

func TestRequestHashChangesWithEveryPartOfTheRequestAndOnlyThen(t *testing.T) {
	base := func() (config.Platform, config.Params, config.PromptSpec) {
		return config.Platform{Name: "a", BaseURL: "http://a/v1", Headers: []config.Header{{Name: "X-Team", Value: "s3cret"}}, Models: []string{"m"}},
			config.Params{Temperature: []float64{0}, MaxTokens: 10, Stream: true, Extra: map[string]any{"x": 1, "y": "z"}},
			config.PromptSpec{User: config.DefaultUserPrompt}
	}
	p, par, pr := base()
	ref := RequestHash(&p, "m", 0, &par, pr)
	if len(ref) != 16 || strings.Contains(ref, "s3cret") {
		t.Fatalf("hash %q", ref)
	}
	tests := []struct {
		name   string
		change func(p *config.Platform, par *config.Params, pr *config.PromptSpec)
		same   bool
	}{
		{"an extra map built in another order hashes the same", func(p *config.Platform, par *config.Params, pr *config.PromptSpec) {
			par.Extra = map[string]any{"y": "z", "x": 1}
		}, true},
		{"a new concurrency hashes the same (not part of the request)", func(p *config.Platform, par *config.Params, pr *config.PromptSpec) { p.Concurrency = 9 }, true},
		{"a new API key hashes the same (tokens rotate)", func(p *config.Platform, par *config.Params, pr *config.PromptSpec) { p.APIKey = "other" }, true},
		{"a new base_url changes it", func(p *config.Platform, par *config.Params, pr *config.PromptSpec) { p.BaseURL = "http://b/v1" }, false},
		{"an emulate profile changes it", func(p *config.Platform, par *config.Params, pr *config.PromptSpec) {
			p.BaseURL, p.Emulate = "", config.ConfigBlock(&testEmulate{})
		}, false},
		{"a new header value changes it", func(p *config.Platform, par *config.Params, pr *config.PromptSpec) { p.Headers[0].Value = "other" }, false},
		{"a new header name changes it", func(p *config.Platform, par *config.Params, pr *config.PromptSpec) { p.Headers[0].Name = "X-Other" }, false},
		{"a new top_p changes it", func(p *config.Platform, par *config.Params, pr *config.PromptSpec) { par.TopP = 0.9 }, false},
		{"a new max_tokens changes it", func(p *config.Platform, par *config.Params, pr *config.PromptSpec) { par.MaxTokens = 11 }, false},
		{"stream off changes it", func(p *config.Platform, par *config.Params, pr *config.PromptSpec) { par.Stream = false }, false},
		{"a new extra value changes it", func(p *config.Platform, par *config.Params, pr *config.PromptSpec) { par.Extra["x"] = 2 }, false},
		{"a system prompt changes it", func(p *config.Platform, par *config.Params, pr *config.PromptSpec) { pr.System = "be brief" }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, par, pr := base()
			tt.change(&p, &par, &pr)
			got := RequestHash(&p, "m", 0, &par, pr)
			if (got == ref) != tt.same {
				t.Errorf("hash %s, reference %s, want same=%v", got, ref, tt.same)
			}
		})
	}
	if RequestHash(&p, "n", 0, &par, pr) == ref || RequestHash(&p, "m", 0.7, &par, pr) == ref {
		t.Error("another model or temperature hashes the same")
	}
}
