//go:build unix

package buildctx

import (
	"io/fs"
	"syscall"
)

// fileID identifies a file across hard links.
type fileID struct{ dev, ino uint64 }

// hardLinkID returns the identity of a regular file that has more than one link.
func hardLinkID(fi fs.FileInfo) (fileID, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || st.Nlink <= 1 {
		return fileID{}, false
	}
	return fileID{dev: uint64(st.Dev), ino: uint64(st.Ino)}, true //nolint:unconvert // Dev and Ino differ in width by platform
}
