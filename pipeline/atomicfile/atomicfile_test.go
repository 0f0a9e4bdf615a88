package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// names lists dir's entries.
func names(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

func TestWriteReplacesTheFileWithItsMode(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "results.json")
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(path, []byte("new"), 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil || string(b) != "new" {
		t.Fatalf("content %q, %v", b, err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", fi.Mode().Perm())
	}
	if got := names(t, dir); len(got) != 1 {
		t.Errorf("folder holds %v", got)
	}
}

func TestWriteLeavesTheFileAndNoTempWhenItFails(t *testing.T) {
	t.Run("the writer fails", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "summary.csv")
		if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
			t.Fatal(err)
		}
		boom := errors.New("boom")
		err := Write(path, 0o644, func(w io.Writer) error {
			if _, err := io.WriteString(w, "half"); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("error %v, want the writer's", err)
		}
		if b, _ := os.ReadFile(path); string(b) != "old" {
			t.Errorf("content %q, want the old one", b)
		}
		if got := names(t, dir); len(got) != 1 {
			t.Errorf("folder holds %v", got)
		}
	})
	t.Run("the rename fails", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "manifest.json")
		if err := os.MkdirAll(filepath.Join(path, "x"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := WriteFile(path, []byte("{}"), 0o644); err == nil {
			t.Fatal("replaced a folder that is not empty")
		}
		if got := names(t, dir); len(got) != 1 {
			t.Errorf("folder holds %v", got)
		}
	})
	t.Run("the folder does not exist", func(t *testing.T) {
		if err := WriteFile(filepath.Join(t.TempDir(), "no", "f"), nil, 0o644); err == nil {
			t.Fatal("wrote into a missing folder")
		}
	})
}

func TestWriteInTheWorkingFolder(t *testing.T) {
	t.Chdir(t.TempDir())
	if err := WriteFile("f", []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile("f"); err != nil || string(b) != "x" {
		t.Fatalf("content %q, %v", b, err)
	}
}
