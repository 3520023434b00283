package golang

import "syscall"

// ident is a path's stat identity: what changes when its content, its entries (a directory) or
// the file it names (a link followed) change.
type ident struct {
	dev, ino, size uint64
	mode           uint32
	mtime, ctime   int64 // nanoseconds
}

const identSupported = true

// statIdent stats p (following links when follow) into a Stat_t, without the FileInfo os.Stat
// allocates: a warm run checks every file of its closures.
func statIdent(p string, follow bool) (ident, uint8) {
	var st syscall.Stat_t
	for {
		var err error
		if follow {
			err = syscall.Stat(p, &st)
		} else {
			err = syscall.Lstat(p, &st)
		}
		if err == syscall.EINTR {
			continue
		}
		if err == syscall.ENOENT || err == syscall.ENOTDIR {
			return ident{}, seenAbsent
		}
		if err != nil {
			return ident{}, seenError
		}
		break
	}
	seen := seenOther
	switch st.Mode & syscall.S_IFMT {
	case syscall.S_IFREG:
		seen = seenFile
	case syscall.S_IFDIR:
		seen = seenDir
	case syscall.S_IFLNK:
		seen = seenLink
	}
	return ident{dev: uint64(st.Dev), ino: st.Ino, size: uint64(st.Size), mode: st.Mode,
		mtime: st.Mtim.Nano(), ctime: st.Ctim.Nano()}, seen
}
