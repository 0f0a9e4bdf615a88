//go:build unix

package query

import (
	"os/exec"
	"syscall"
)

// killGroup starts c in a process group of its own and makes canceling its
// context kill the whole group, not only the shell.
func killGroup(c *exec.Cmd) {
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	c.Cancel = func() error { return syscall.Kill(-c.Process.Pid, syscall.SIGKILL) }
}
