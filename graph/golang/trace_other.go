//go:build !linux

package golang

// ident is a path's stat identity; closures are kept across runs only on Linux, where a stat
// gives the change time without allocating.
type ident struct {
	dev, ino, size uint64
	mode           uint32
	mtime, ctime   int64
}

const identSupported = false

func (ident) isDir() bool { return false }

func statIdent(string, bool) (ident, uint8) { return ident{}, seenAbsent }

type rootDir struct{}

func openRoot(string) (rootDir, error) { return rootDir{}, nil }

func (rootDir) close() {}

func (rootDir) statIdent(string, bool) (ident, uint8) { return ident{}, seenAbsent }
