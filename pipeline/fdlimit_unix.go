//go:build unix

package pipeline

import "syscall"

// readFDLimit returns the RLIMIT_NOFILE soft and hard limits, changing
// nothing; ok is false when the limit cannot be read.
func readFDLimit() (soft, hard uint64, ok bool) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, 0, false
	}
	return uint64(lim.Cur), uint64(lim.Max), true
}

// raiseFDLimit returns the RLIMIT_NOFILE soft and hard limits, after
// raising the soft limit to the hard one when it is below need; ok is
// false when the limit cannot be read.
func raiseFDLimit(need uint64) (soft, hard uint64, ok bool) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, 0, false
	}
	if uint64(lim.Cur) < need && lim.Cur < lim.Max {
		raised := lim
		raised.Cur = lim.Max
		if syscall.Setrlimit(syscall.RLIMIT_NOFILE, &raised) == nil {
			lim = raised
		}
	}
	return uint64(lim.Cur), uint64(lim.Max), true
}
