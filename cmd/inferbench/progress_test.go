package main

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestTheProgressOutputAnnouncesALongRetryWait(t *testing.T) {
	t.Parallel() // its own folder; mostly waits for the retry
	dir := t.TempDir()
	exp := writeFile(t, dir, "busy.yaml", `name: busy
dataset: {source: demo, slice: "[:6]"}
platforms:
  - name: busy
    emulate: {faults: {rate_429: 0.5, retry_after: 1500ms}}
    models: [m]
    concurrency: 6
    retries: 1
export: {formats: [json]}
`)
	code, stdout, stderr := inferbench(t, "run", exp, "--out", filepath.Join(dir, "r"))
	if code != exitOK {
		t.Fatalf("run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "busy             retry wait 2s") {
		t.Errorf("stderr does not announce the 1.5s retry wait:\n%s", stderr)
	}
}
