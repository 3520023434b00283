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

// vouch is statIndex.blobIDOf with one lstat into a Stat_t, without the FileInfo and its name an
// os.Lstat allocates for each of the thousands of files a closure holds (fresh memory is slow to
// touch on the 2-core virtual machines).
func vouch(e *IndexEntry, abs string, written time.Time) (id string, ok, known bool) {
	var st syscall.Stat_t
	for {
		err := syscall.Lstat(abs, &st)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return "", false, true
		}
		break
	}
	mt := time.Unix(int64(st.Mtim.Sec), int64(st.Mtim.Nsec))
	ct := time.Unix(int64(st.Ctim.Sec), int64(st.Ctim.Nsec))
	if st.Mode&syscall.S_IFMT != syscall.S_IFREG || !mt.Before(written) || !mt.Equal(e.Mtime) ||
		uint32(st.Size) != e.Size || (st.Mode&0o111 != 0) != e.Executable ||
		uint32(st.Ino) != e.Inode || !ct.Equal(e.Ctime) {
		return "", false, true
	}
	return e.ID, true, true
}
