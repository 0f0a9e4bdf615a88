//go:build !linux

package emulator

import "time"

// sleepPrecise sleeps for d (with a Go timer where nanosleep is not used).
func sleepPrecise(d time.Duration) { time.Sleep(d) }
