//go:build !unix

package pipeline

// raiseFDLimit checks nothing where RLIMIT_NOFILE does not exist.
func raiseFDLimit(uint64) (soft, hard uint64, ok bool) { return 0, 0, false }
