//go:build !unix

package pipeline

// readFDLimit reads nothing where RLIMIT_NOFILE does not exist.
func readFDLimit() (soft, hard uint64, ok bool) { return 0, 0, false }

// raiseFDLimit checks nothing where RLIMIT_NOFILE does not exist.
func raiseFDLimit(uint64) (soft, hard uint64, ok bool) { return 0, 0, false }
