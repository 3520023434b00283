package golang

import "golang.org/x/sys/unix"

// ident is a path's stat identity: what changes when its content, its entries (a directory) or
// the file it names (a link followed) change.
type ident struct {
	dev, ino, size uint64
	mode           uint32
	mtime, ctime   int64 // nanoseconds
}

const identSupported = true

func (id ident) isDir() bool { return id.mode&unix.S_IFMT == unix.S_IFDIR }

// rootDir is a descriptor of the repository root, for stats of paths relative to it: a warm run
// checks thousands, and the root's own components need not be looked up for each.
type rootDir struct{ fd int }

func openRoot(root string) (rootDir, error) {
	for {
		fd, err := unix.Open(root, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err == unix.EINTR {
			continue
		}
		return rootDir{fd}, err
	}
}

func (d rootDir) close() { unix.Close(d.fd) }

// statIdent is statIdent of p, relative to the root unless it is absolute.
func (d rootDir) statIdent(p string, follow bool) (ident, uint8) { return statIdentAt(d.fd, p, follow) }

// statIdent stats p (following links when follow) into a Stat_t, without the FileInfo os.Stat
// allocates: a warm run checks every file of its closures.
func statIdent(p string, follow bool) (ident, uint8) { return statIdentAt(unix.AT_FDCWD, p, follow) }

// statIdentAt is fstatat of p relative to dirfd (ignored when p is absolute).
func statIdentAt(dirfd int, p string, follow bool) (ident, uint8) {
	flags := 0
	if !follow {
		flags = unix.AT_SYMLINK_NOFOLLOW
	}
	var st unix.Stat_t
	for {
		err := unix.Fstatat(dirfd, p, &st, flags)
		if err == unix.EINTR {
			continue
		}
		if err == unix.ENOENT || err == unix.ENOTDIR {
			return ident{}, seenAbsent
		}
		if err != nil {
			return ident{}, seenError
		}
		return identOf(&st)
	}
}

func identOf(st *unix.Stat_t) (ident, uint8) {
	seen := seenOther
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG:
		seen = seenFile
	case unix.S_IFDIR:
		seen = seenDir
	case unix.S_IFLNK:
		seen = seenLink
	}
	return ident{dev: uint64(st.Dev), ino: st.Ino, size: uint64(st.Size), mode: st.Mode,
		mtime: st.Mtim.Nano(), ctime: st.Ctim.Nano()}, seen
}
