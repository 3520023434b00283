//go:build !unix

package buildctx

import "io/fs"

// fileID identifies a file across hard links.
type fileID struct{}

// hardLinkID reports no hard links where the platform does not expose inode numbers.
func hardLinkID(fs.FileInfo) (fileID, bool) { return fileID{}, false }
