//go:build linux

package main

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
)

// TestPlanShowsTheFileDescriptorNeedAgainstTheLimit: plan prints what the
// preflight of run computes (manyConns needs 2 x 150 + 64 = 364), the
// current soft and hard limits, and a shard's need with --shard.
func TestPlanShowsTheFileDescriptorNeedAgainstTheLimit(t *testing.T) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Skip(err)
	}
	exp := writeFile(t, t.TempDir(), "many.yaml", manyConns)
	code, stdout, stderr := inferbench(t, "plan", exp)
	if code != exitOK {
		t.Fatalf("plan: exit %d\n%s", code, stderr)
	}
	want := fmt.Sprintf("file descriptors: need 364 (300 connections at once + 64 kept aside); limit %d (hard limit %d)", lim.Cur, lim.Max)
	if !strings.Contains(stdout, want) {
		t.Errorf("plan does not show the file-descriptor need:\nwant %q in\n%s", want, stdout)
	}
	code, stdout, stderr = inferbench(t, "plan", exp, "--shard", "0/2")
	if code != exitOK {
		t.Fatalf("plan --shard: exit %d\n%s", code, stderr)
	}
	if want := "file descriptors of shard 0/2: need 214 (150 connections at once + 64 kept aside)"; !strings.Contains(stdout, want) {
		t.Errorf("plan --shard 0/2 does not show the shard's need:\nwant %q in\n%s", want, stdout)
	}
}
