package runfolder

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestASecondLockOnARunFolderIsRefusedNamingTheHolder(t *testing.T) {
	dir := t.TempDir()
	first, err := LockRunDir(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	_, err = LockRunDir(dir, false)
	want := fmt.Sprintf("run folder %s is in use by another inferbench process (pid %d", dir, os.Getpid())
	if !errors.Is(err, ErrRunDirInUse) || !strings.Contains(err.Error(), want) {
		t.Fatalf("second lock: %v, want ErrRunDirInUse saying %q", err, want)
	}
	if err := first.Unlock(); err != nil {
		t.Fatal(err)
	}
	again, err := LockRunDir(dir, false)
	if err != nil {
		t.Fatalf("lock after unlock: %v", err)
	}
	again.Unlock()
}

// TestHelperHoldRunDirLock is not a test: the process-level test below
// runs the test binary with it to hold a lock in another process.
func TestHelperHoldRunDirLock(t *testing.T) {
	dir := os.Getenv("INFERBENCH_TEST_LOCK_DIR")
	if dir == "" {
		t.Skip("helper process only")
	}
	if _, err := LockRunDir(dir, false); err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("locked")
	time.Sleep(time.Minute)
	os.Exit(0)
}

func TestALockHeldByAnotherProcessIsRefusedAndFreedWhenItIsKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a process")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperHoldRunDirLock$")
	cmd.Env = append(os.Environ(), "INFERBENCH_TEST_LOCK_DIR="+dir)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "locked\n" {
		t.Fatalf("helper: %q %v", line, err)
	}
	_, err = LockRunDir(dir, false)
	want := fmt.Sprintf("(pid %d ", cmd.Process.Pid)
	if !errors.Is(err, ErrRunDirInUse) || !strings.Contains(err.Error(), want) {
		t.Fatalf("lock held by another process: %v, want ErrRunDirInUse naming %s", err, want)
	}
	// SIGKILL gives the holder no chance to clean up: the kernel drops
	// the lock, so no stale lock is left behind.
	cmd.Process.Kill()
	cmd.Wait()
	l, err := LockRunDir(dir, false)
	if err != nil {
		t.Fatalf("lock after the holder was killed: %v", err)
	}
	l.Unlock()
}

func TestLockingAFolderThatIsNoRunFolderLeavesNoLockFile(t *testing.T) {
	dir := t.TempDir()
	if _, err := LockRunDir(dir, true); err == nil || !strings.Contains(err.Error(), ManifestFile) {
		t.Fatalf("err = %v, want one naming the missing %s", err, ManifestFile)
	}
	if _, err := os.Stat(filepath.Join(dir, LockFile)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a lock file was left: %v", err)
	}
}
