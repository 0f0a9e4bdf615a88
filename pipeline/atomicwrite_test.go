package pipeline

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/inferbench/inferbench/pipeline/runfolder"
)

func TestWriteJSONLeavesNoTempFileWhenItFails(t *testing.T) {
	dir := t.TempDir()
	// The target is a folder that is not empty, so the rename fails.
	target := filepath.Join(dir, runfolder.ManifestFile)
	if err := os.MkdirAll(filepath.Join(target, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := writeJSON(target, map[string]int{"a": 1}); err == nil {
		t.Fatal("writeJSON over a folder succeeded")
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if e.Name() != runfolder.ManifestFile {
			t.Errorf("left %s behind", e.Name())
		}
	}
}
