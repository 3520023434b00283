//go:build unix

package buildctx

import (
	"io"
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

// rawFile reads a file through its descriptor without the os.File poller registration, which
// costs extra system calls per file on Linux.
type rawFile struct{ fd int }

// openFile opens name for reading without following a final symlink.
func openFile(name string) (rawFile, error) {
	for {
		fd, err := syscall.Open(name, syscall.O_RDONLY|syscall.O_CLOEXEC|syscall.O_NOFOLLOW, 0)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return rawFile{}, &fs.PathError{Op: "open", Path: name, Err: err}
		}
		return rawFile{fd: fd}, nil
	}
}

func (f rawFile) Read(p []byte) (int, error) {
	for {
		n, err := syscall.Read(f.fd, p)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return 0, &fs.PathError{Op: "read", Path: "", Err: err}
		}
		if n == 0 && len(p) > 0 {
			return 0, io.EOF
		}
		return n, nil
	}
}

func (f rawFile) Close() error {
	if err := syscall.Close(f.fd); err != nil {
		return &fs.PathError{Op: "close", Path: "", Err: err}
	}
	return nil
}
