package config

import (
	"errors"
	"testing"
)

func TestDiagnosticsFormatSortAndConvertToErrors(t *testing.T) {
	ds := Diagnostics{
		{File: "--set seed", Message: "want key=value"},
		{File: "x.yaml", Line: 9, Col: 3, Path: "b", Message: "second"},
		{File: "x.yaml", Line: 2, Col: 7, Path: "a", Message: "first"},
		{File: "x.yaml", Line: 2, Col: 7, Path: "a", Message: "first"},
	}.Sort()
	want := "x.yaml:2:7: a: first\nx.yaml:9:3: b: second\n--set seed: want key=value"
	if got := ds.Error(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	var d Diagnostic
	if err := ds.Err(); err == nil || !errors.As(err, &d) || d.Path != "a" {
		t.Errorf("Err() = %v, as Diagnostic %+v", err, d)
	}
	if Diagnostics(nil).Err() != nil {
		t.Error("empty diagnostics must give a nil error")
	}
}

func TestDidYouMeanSuggestsOnlyPlausibleTypos(t *testing.T) {
	keys := []string{"concurrency", "rate", "retries", "max_tokens"}
	tests := []struct{ in, want string }{
		{"concurency", "concurrency"},
		{"retires", "retries"},
		{"rat", "rate"},
		{"max_token", "max_tokens"},
		{"zebra_crossing", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in+" suggests "+tt.want, func(t *testing.T) {
			if got := didYouMean(tt.in, keys); got != tt.want {
				t.Errorf("didYouMean(%q) = %q", tt.in, got)
			}
		})
	}
	if d := levenshtein("kitten", "sitting"); d != 3 {
		t.Errorf("levenshtein = %d, want 3", d)
	}
}

func TestToSnakeConvertsCommonKeyStyles(t *testing.T) {
	for in, want := range map[string]string{"maxTokens": "max_tokens", "BaseURL": "base_url", "api-key-env": "api_key_env", "Rate429": "rate429"} {
		if got := toSnake(in); got != want {
			t.Errorf("toSnake(%q) = %q, want %q", in, got, want)
		}
	}
}
