//go:build linux

package emulator

import (
	"syscall"
	"time"
)

// sleepPrecise blocks the calling goroutine's thread for d with
// nanosleep(2), typically within 0.1 ms of d, where a Go timer wakes up to
// about a millisecond late (the netpoller waits in whole milliseconds). It
// is only used for the last stretch of a wait (at most preciseWindow).
func sleepPrecise(d time.Duration) {
	ts := syscall.NsecToTimespec(int64(d))
	for syscall.Nanosleep(&ts, &ts) == syscall.EINTR {
	}
}
