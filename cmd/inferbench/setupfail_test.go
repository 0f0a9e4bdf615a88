package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A run whose only platform fails its setup (the token command fails)
// leaves a folder whose report says so on its first line, never "No
// request failed", and prints no empty comparison table.
func TestARunThatFailsInSetupSaysSoFirst(t *testing.T) {
	dir := t.TempDir()
	exp := writeFile(t, dir, "exp.yaml", `name: tokfail
dataset: {source: demo, sample: 3}
platforms:
  - name: Metis
    base_url: http://127.0.0.1:9/v1
    api_key_command: "false"
    models: [m]
params: {max_tokens: 16}
export: {formats: [json, markdown, html]}
`)
	code, stdout, stderr := inferbench(t, "run", exp, "--out", filepath.Join(dir, "out"), "--no-progress")
	if code == exitOK {
		t.Fatalf("exit 0 for a run that sent nothing\n%s\n%s", stdout, stderr)
	}
	if strings.Contains(stdout, "LATENCY") {
		t.Errorf("the console printed an empty comparison table:\n%s", stdout)
	}
	run := runDir(t, filepath.Join(dir, "out"))
	md, err := os.ReadFile(filepath.Join(run, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	first, _, _ := strings.Cut(string(md), "\n")
	if !strings.Contains(first, "This run failed") || !strings.Contains(first, "api_key_command failed") {
		t.Errorf("report.md's first line %q does not say what failed", first)
	}
	if strings.Contains(string(md), "No request failed") {
		t.Errorf("report.md says no request failed")
	}
	html, _ := os.ReadFile(filepath.Join(run, "report.html"))
	if i, j := strings.Index(string(html), "This run failed"), strings.Index(string(html), "<h1>"); i < 0 || i > j {
		t.Errorf("report.html does not say what failed before its title")
	}
}
