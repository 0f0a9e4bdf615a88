//go:build !unix

package query

import "os/exec"

// killGroup leaves c as it is: without process groups, canceling its
// context kills only the command itself.
func killGroup(c *exec.Cmd) {}
