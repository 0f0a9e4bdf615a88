package runfolder

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/inferbench/inferbench/pipeline/atomicfile"
)

// A staged commit stopped before the swap leaves the folder's old state,
// stopped after it the new one; neither leaves a file in the folder, and
// the next lock removes what was left beside it.
func TestAStagedCommitStoppedAtAnyStepLeavesOneState(t *testing.T) {
	for _, tc := range []struct {
		step string
		want string
	}{{"link", "old"}, {"write", "old"}, {"sync", "old"}, {"exchange", "old"}, {"remove", "new"}, {"", "new"}} {
		t.Run(tc.step, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "run")
			if err := os.MkdirAll(filepath.Join(dir, "sub"), 0o755); err != nil {
				t.Fatal(err)
			}
			for _, f := range []string{ManifestFile, JournalFile, "results.json", "sub/x"} {
				if err := os.WriteFile(filepath.Join(dir, f), []byte("old"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			lock, err := LockRunDir(dir, true)
			if err != nil {
				t.Fatal(err)
			}
			defer lock.Unlock()
			killed := errors.New("killed")
			commitHook = func(step string) error {
				if step == tc.step {
					return killed
				}
				return nil
			}
			defer func() { commitHook = nil }()
			err = Staged(dir, func(stage string) error {
				if err := commitStep("write"); err != nil {
					return err
				}
				for _, f := range []string{ManifestFile, JournalFile, "results.json"} {
					if err := atomicfile.WriteFile(filepath.Join(stage, f), []byte(`"new"`+"\n"), 0o644); err != nil { // a new file, as the engine writes: stage files are links to the old ones
						return err
					}
				}
				return nil
			})
			if (tc.step == "") != (err == nil) {
				t.Fatalf("err %v", err)
			}
			for _, f := range []string{ManifestFile, JournalFile, "results.json"} {
				b, _ := os.ReadFile(filepath.Join(dir, f))
				if got := string(b); (tc.want == "old" && got != "old") || (tc.want == "new" && got != "\"new\"\n") {
					t.Errorf("%s holds %q, want the %s state", f, got, tc.want)
				}
			}
			if b, _ := os.ReadFile(filepath.Join(dir, "sub/x")); string(b) != "old" {
				t.Errorf("sub/x holds %q", b)
			}
			entries, _ := os.ReadDir(dir)
			if len(entries) != 5 { // the four files' folder entries and the lock
				t.Errorf("folder holds %d entries", len(entries))
			}
			lock.Unlock()
			again, err := LockRunDir(dir, true)
			if err != nil {
				t.Fatal(err)
			}
			defer again.Unlock()
			if _, err := os.Stat(stageDir(dir)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the stage is still beside the folder after the next lock: %v", err)
			}
		})
	}
}

// Where a folder cannot be renamed, the stage's files replace the
// folder's one by one and the files the new state lacks go.
func TestMoveFilesReplacesTheFolderState(t *testing.T) {
	base := t.TempDir()
	dir, stage := filepath.Join(base, "run"), filepath.Join(base, "stage")
	for _, d := range []string{dir, stage} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(path, body string) {
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(dir, ManifestFile), "old")
	write(filepath.Join(dir, "summary.csv"), "old")
	write(filepath.Join(dir, LockFile), "pid")
	write(filepath.Join(stage, ManifestFile), "new")
	write(filepath.Join(stage, "results.json"), "new")
	if err := moveFiles(stage, dir); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{ManifestFile: "new", "results.json": "new", LockFile: "pid", "summary.csv": ""} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if string(b) != want || (want == "") != (err != nil) {
			t.Errorf("%s = %q (%v), want %q", name, b, err, want)
		}
	}
}
