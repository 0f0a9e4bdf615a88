//go:build linux

package query

import (
	"syscall"
	"time"
)

// sleepPrecise blocks the calling goroutine's thread for d with
// nanosleep(2). Go's timers wake up to about a millisecond late when the
// process is idle (the netpoller waits in whole milliseconds); nanosleep is
// typically within 0.1 ms. It is only used for the last stretch of an
// open-loop wait (at most preciseWindow), so it is never long.
func sleepPrecise(d time.Duration) {
	ts := syscall.NsecToTimespec(int64(d))
	for syscall.Nanosleep(&ts, &ts) == syscall.EINTR {
	}
}
