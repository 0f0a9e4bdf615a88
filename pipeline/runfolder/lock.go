package runfolder

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// LockFile is the lock file inside a run folder. It stays after a run: it
// is the lock's handle, not the lock (removing it would let two processes
// lock two different files).
const LockFile = ".lock"

// ErrRunDirInUse is wrapped by LockRunDir's error when another process
// holds the run folder.
var ErrRunDirInUse = errors.New("run folder in use")

// RunLock is an exclusive hold on a run folder: run, run --resume,
// rescore and report take it before they read or write the folder, so
// that two processes never write one journal. It is released by Unlock or
// by the process's death, even by SIGKILL (flock(2); where syscall lacks it, as on windows, nothing is locked), so a killed
// run never leaves a stale lock.
type RunLock struct {
	f *os.File
}

// LockRunDir takes the lock of dir without waiting. When another process
// (or another LockRunDir in this process) holds it, the error wraps
// ErrRunDirInUse and names the holder's pid, host and start time; the
// caller must then write nothing into dir.
//
// When existing is true, dir must already be a run folder (hold a
// manifest), so that a mistyped path gets no stray lock file.
func LockRunDir(dir string, existing bool) (*RunLock, error) {
	if existing {
		if _, err := os.Stat(filepath.Join(dir, ManifestFile)); err != nil {
			return nil, fmt.Errorf("run folder %s: %w", dir, err)
		}
	}
	path := filepath.Join(dir, LockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("run folder %s: lock: %w", dir, err)
	}
	held, err := tryLock(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("run folder %s: lock: %w", dir, err)
	}
	if !held {
		f.Close()
		holder := "pid unknown"
		if b, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(b))) > 0 {
			holder = strings.TrimSpace(string(b))
		}
		return nil, fmt.Errorf("run folder %s is in use by another inferbench process (%s); wait for it to end or stop it: %w",
			dir, holder, ErrRunDirInUse)
	}
	host, _ := os.Hostname()
	info := fmt.Sprintf("pid %d on %s since %s\n", os.Getpid(), host, time.Now().UTC().Format(time.RFC3339))
	if err := f.Truncate(0); err == nil {
		// Best effort: the lock holds without the description.
		_, _ = f.WriteAt([]byte(info), 0)
	}
	// What a killed rescore or report left beside the folder (see Staged)
	// is no state of it any more: the folder holds the old or the new one.
	_ = CleanStage(dir)
	return &RunLock{f: f}, nil
}

// Unlock releases the lock. It is safe to call on a nil lock and more
// than once.
func (l *RunLock) Unlock() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := unlock(l.f)
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	l.f = nil
	return err
}
