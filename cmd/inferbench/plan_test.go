package main

import (
	"strings"
	"testing"
)

func TestPlanShowsTheOpenLoopConcurrencyCapAndDurationLimit(t *testing.T) {
	dir := t.TempDir()
	exp := writeFile(t, dir, "open.yaml", `name: open
dataset: {source: demo, slice: "[:3]"}
platforms:
  - name: capped
    emulate: {accuracy: 1}
    models: [m]
    rate: 10
    arrival: gamma
    burstiness: 0.5
    concurrency: 4
    max_duration: 30s
  - name: closed
    emulate: {accuracy: 1}
    models: [m]
    concurrency: 2
`)
	code, stdout, stderr := inferbench(t, "plan", exp)
	if code != exitOK {
		t.Fatalf("plan: exit %d\n%s", code, stderr)
	}
	for _, want := range []string{"gamma 10 req/s, at most 4 in flight, for at most 30s", "concurrency 2"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("plan lacks %q:\n%s", want, stdout)
		}
	}
}
