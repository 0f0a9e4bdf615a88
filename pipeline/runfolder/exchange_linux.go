//go:build linux

package runfolder

import (
	"errors"

	"golang.org/x/sys/unix"
)

// exchange swaps the names of two folders in one step (renameat2
// RENAME_EXCHANGE): no moment exists at which dir is missing or mixed.
// A file system without the flag gets renameSwap.
func exchange(a, b string) error {
	err := unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_EXCHANGE)
	if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EOPNOTSUPP) {
		return renameSwap(a, b)
	}
	return err
}
