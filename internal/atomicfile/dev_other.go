//go:build !unix

package atomicfile

// sameDevice is unknown here: temporary files go beside their target.
func sameDevice(a, b string) bool { return false }

// processAlive is unknown here: only age makes a temporary file stale.
func processAlive(pid int) bool { return true }
