package config

import (
	"os"
	"path/filepath"
	"testing"
)

func TestMetricsURLDefaultsToALocalVLLMsRootAndToNoneElsewhere(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.yaml")
	yaml := `name: x
dataset: {source: demo}
platforms:
  - {name: local, base_url: "http://localhost:8000/v1", models: [m]}
  - {name: loop6, base_url: "https://[::1]:8443/v1/", models: [m]}
  - {name: loop4, base_url: "http://127.0.0.1:9000/openai/v1", models: [m]}
  - {name: remote, base_url: "https://api.example.com/v1", models: [m]}
  - {name: remote-set, base_url: "https://api.example.com/v1", metrics_url: "https://metrics.example.com/metrics", models: [m]}
  - {name: emu, emulate: {}, models: [m]}
  - {name: emu-off, emulate: {}, metrics_url: none, models: [m]}
  - {name: emu-empty, emulate: {}, metrics_url: "", metrics_interval: 250ms, models: [m]}
  - {name: local-empty, base_url: "http://localhost:8000/v1", metrics_url: "", models: [m]}
`
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	e, diags := LoadExperiment(path, LoadOptions{Registry: testRegistry()})
	if diags != nil {
		t.Fatal(diags)
	}
	want := map[string]string{
		"local":       "http://localhost:8000/metrics",
		"loop6":       "https://[::1]:8443/metrics",
		"loop4":       "http://127.0.0.1:9000/metrics",
		"remote":      MetricsNone,
		"remote-set":  "https://metrics.example.com/metrics",
		"emu":         "", // the emulator's own /metrics, known once it runs
		"emu-off":     MetricsNone,
		"emu-empty":   MetricsNone,
		"local-empty": MetricsNone,
	}
	for _, p := range e.Platforms {
		if p.MetricsURL != want[p.Name] {
			t.Errorf("%s: metrics_url = %q, want %q", p.Name, p.MetricsURL, want[p.Name])
		}
		wantIv := DefaultMetricsInterval
		if p.Name == "emu-empty" {
			wantIv = Duration(250e6)
		}
		if p.MetricsInterval != wantIv {
			t.Errorf("%s: metrics_interval = %s, want %s", p.Name, p.MetricsInterval, wantIv)
		}
	}
	before := append([]Platform(nil), e.Platforms...)
	e.ApplyDefaults()
	for i, p := range e.Platforms {
		if p.MetricsURL != before[i].MetricsURL {
			t.Errorf("ApplyDefaults again changed %s's metrics_url", p.Name)
		}
	}
}
