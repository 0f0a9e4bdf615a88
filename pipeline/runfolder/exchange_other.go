//go:build !linux

package runfolder

// exchange swaps the names of two folders with two renames (see
// renameSwap): this system has no atomic exchange.
func exchange(a, b string) error { return renameSwap(a, b) }
