package runfolder

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/inferbench/inferbench/pipeline/atomicfile"
)

// stageDir is the sibling folder in which rescore and report prepare a
// run folder's new state: "<parent>/.<name>.inferbench-stage".
func stageDir(dir string) string {
	dir = filepath.Clean(dir)
	return filepath.Join(filepath.Dir(dir), "."+filepath.Base(dir)+".inferbench-stage")
}

// commitHook, when set by a test, is called before each step of a staged
// commit; an error stops the commit there, as a kill would.
var commitHook func(step string) error

func commitStep(step string) error {
	if commitHook != nil {
		return commitHook(step)
	}
	return nil
}

// Staged prepares a new state of a run folder beside it and then swaps it
// in, so that a process killed at any moment leaves the folder in its old
// state or its new one, never a mix (`rescore` rewrites the records, the
// results and the manifest; `report` the results and the manifest):
//
//  1. the stage, a sibling folder, receives a hard link (a copy where
//     links fail) of every file of the run folder, its lock file too;
//  2. write changes files in the stage, each one a new file (never
//     in place, which would change the run folder's file as well);
//  3. every file of the stage is synced, and the stage and the run folder
//     exchange names in one step (renameat2 RENAME_EXCHANGE on Linux;
//     elsewhere, or on a file system without it, two renames, see
//     exchange_other.go);
//  4. the old state, now under the stage's name, is removed.
//
// Files whose names mark them temporary (atomicfile's ".name.*.tmp", and
// "name.tmp" that older versions left) are not staged. A stage left by a killed process is removed
// by the next Staged, and by LockRunDir (CleanStage). The caller holds
// the folder's lock.
func Staged(dir string, write func(stage string) error) error {
	stage := stageDir(dir)
	if err := os.RemoveAll(stage); err != nil {
		return fmt.Errorf("stage: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			_ = os.RemoveAll(stage)
		}
	}()
	if err := commitStep("link"); err != nil {
		return err
	}
	if err := linkTree(dir, stage); err != nil {
		return fmt.Errorf("stage: %w", err)
	}
	if err := write(stage); err != nil {
		return err
	}
	if err := commitStep("sync"); err != nil {
		return err
	}
	if err := syncTree(stage); err != nil {
		return fmt.Errorf("stage: %w", err)
	}
	if err := commitStep("exchange"); err != nil {
		return err
	}
	if err := exchange(stage, filepath.Clean(dir)); err != nil {
		return fmt.Errorf("stage: swap %s in: %w", stage, err)
	}
	ok = true // from here the stage's name holds the old state
	_ = atomicfile.Sync(filepath.Dir(filepath.Clean(dir)))
	if err := commitStep("remove"); err != nil {
		return err
	}
	return os.RemoveAll(stage)
}

// CleanStage removes what a killed rescore or report left beside dir: the
// stage, holding either a state never swapped in or the old state swapped
// out. The caller holds the folder's lock.
func CleanStage(dir string) error {
	return os.RemoveAll(stageDir(dir))
}

// linkTree makes dst a copy of src whose files are hard links to src's.
func linkTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		to := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			return os.Mkdir(to, info.Mode().Perm())
		case !info.Mode().IsRegular() || tempName(d.Name()):
			return nil
		}
		if err := os.Link(path, to); err == nil {
			return nil
		}
		return copyFile(path, to, info.Mode().Perm())
	})
}

func copyFile(src, dst string, perm fs.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// syncTree fsyncs every file and folder under dir.
func syncTree(dir string) error {
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && !d.Type().IsRegular() {
			return nil
		}
		return atomicfile.Sync(path)
	})
}

// renameSwap gives stage's content the name dir and dir's content the
// name stage with three renames, through dir+".inferbench-old": on
// systems without RENAME_EXCHANGE a kill between the first two leaves the
// old state under that name, to be renamed back by hand.
//
// Where a folder cannot be renamed at all (windows, with the lock file
// open in it), the stage's files are moved over the folder's one by one
// instead, and the files the new state does not have are removed: not
// atomic, but the command still works.
func renameSwap(stage, dir string) error {
	old := dir + ".inferbench-old"
	if err := os.Rename(dir, old); err != nil {
		return moveFiles(stage, dir)
	}
	if err := os.Rename(stage, dir); err != nil {
		_ = os.Rename(old, dir)
		return err
	}
	return os.Rename(old, stage)
}

// tempName reports a temporary file of a run folder's writers
// (atomicfile's ".name.*.tmp"; "name.tmp" and ".name.*" of older
// versions): never part of a state. The lock file is.
func tempName(name string) bool {
	return name != LockFile && (strings.HasSuffix(name, ".tmp") || strings.HasPrefix(name, "."))
}

// moveFiles renames every file of stage but the lock over its place in
// dir, then removes dir's files that stage did not have.
func moveFiles(stage, dir string) error {
	keep := map[string]bool{LockFile: true}
	err := filepath.WalkDir(stage, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(stage, path)
		if err != nil {
			return err
		}
		keep[rel] = true
		if rel == LockFile {
			return nil
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, rel)), 0o755); err != nil {
			return err
		}
		return os.Rename(path, filepath.Join(dir, rel))
	})
	if err != nil {
		return err
	}
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil || keep[rel] || tempName(d.Name()) {
			return err
		}
		return os.Remove(path)
	})
}
