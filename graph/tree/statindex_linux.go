package tree

import (
	"io/fs"
	"syscall"
	"time"
)

func sameInodeAndCtime(fi fs.FileInfo, e *IndexEntry) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return false
	}
	ctime := time.Unix(int64(st.Ctim.Sec), int64(st.Ctim.Nsec))
	return uint32(st.Ino) == e.Inode && ctime.Equal(e.Ctime)
}
