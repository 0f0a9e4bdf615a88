package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/inferbench/inferbench/internal/buildinfo"
	"github.com/inferbench/inferbench/pipeline/runfolder"
)

func TestVersionManifestAndReportCarryTheBuild(t *testing.T) {
	build := buildinfo.Info{Version: "v0.0.0-20261205082702-25e02ebf553d+dirty", Revision: "25e02ebf553d4cf63e3e7f62bea667a6d150dab6",
		Time: "2026-12-05T08:27:02Z", Modified: true}
	old := readBuild
	readBuild = func() buildinfo.Info { return build }
	t.Cleanup(func() { readBuild = old })
	const details = "revision 25e02ebf553d, modified, committed 2026-12-05T08:27:02Z"

	if code, stdout, _ := inferbench(t, "--version"); code != exitOK || stdout != "inferbench version v0.0.0-20261205082702-25e02ebf553d+dirty ("+details+")\n" {
		t.Errorf("--version: exit %d %q", code, stdout)
	}
	dir := t.TempDir()
	exp := writeFile(t, dir, "tiny.yaml", `name: tiny
dataset: {source: demo, slice: "[:2]"}
platforms:
  - name: a
    emulate: {ttft: 1ms}
    models: [m]
export: {formats: [json, markdown]}
`)
	run := runOK(t, exp, filepath.Join(dir, "results"))
	var m runfolder.Manifest
	b, err := os.ReadFile(filepath.Join(run, "manifest.json"))
	if err != nil || json.Unmarshal(b, &m) != nil {
		t.Fatalf("manifest: %v", err)
	}
	if m.Build == nil || *m.Build != build || m.Version != build.Version {
		t.Errorf("manifest version %q build %+v, want %+v", m.Version, m.Build, build)
	}
	report, _ := os.ReadFile(filepath.Join(run, "report.md"))
	if want := "Tool: inferbench v0.0.0-20261205082702-25e02ebf553d+dirty (" + details + "; go"; !strings.Contains(string(report), want) {
		t.Errorf("report.md lacks %q", want)
	}
}

func TestVersionWithoutBuildInformationSaysUnknown(t *testing.T) {
	old := readBuild
	readBuild = func() buildinfo.Info { return buildinfo.Info{} } // go run, go test
	t.Cleanup(func() { readBuild = old })
	if code, stdout, _ := inferbench(t, "--version"); code != exitOK || stdout != "inferbench version dev (revision unknown)\n" {
		t.Errorf("--version: exit %d %q", code, stdout)
	}
}
