//go:build !unix

package buildctx

import (
	"io/fs"
	"os"
)

// fileID identifies a file across hard links.
type fileID struct{}

// hardLinkID reports no hard links where the platform does not expose inode numbers.
func hardLinkID(fs.FileInfo) (fileID, bool) { return fileID{}, false }

// openFile opens name for reading.
func openFile(name string) (*os.File, error) { return os.Open(name) }
