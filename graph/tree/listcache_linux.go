package tree

import (
	"syscall"
)

// The local file systems whose directory timestamps are fine-grained and from this machine's
// clock (statfs's f_type).
var listCacheFS = map[int64]bool{
	0xEF53:     true, // ext2, ext3, ext4
	0x58465342: true, // xfs
	0x9123683E: true, // btrfs
	0x01021994: true, // tmpfs
	0xF2F52010: true, // f2fs
	0x2FC12FC1: true, // zfs
	0x794C7630: true, // overlayfs
}

// rootDevice is the device of the directory root, and whether its file system is one whose
// records can be trusted.
func rootDevice(root string) (uint64, bool) {
	var st syscall.Stat_t
	if err := syscall.Stat(root, &st); err != nil {
		return 0, false
	}
	var sf syscall.Statfs_t
	if err := syscall.Statfs(root, &sf); err != nil {
		return 0, false
	}
	return st.Dev, listCacheFS[int64(sf.Type)]
}

func keyOf(st *syscall.Stat_t) statKey {
	return statKey{
		dev: st.Dev, ino: st.Ino,
		mtime: st.Mtim.Sec*1e9 + st.Mtim.Nsec,
		ctime: st.Ctim.Sec*1e9 + st.Ctim.Nsec,
	}
}

// statDir is the stat key of the directory at abs: lstat'ed, as the walk found it in its parent's
// entries, or stat'ed for a start directory, which the walk opens following links.
func statDir(abs string, start bool) (statKey, bool) {
	var st syscall.Stat_t
	var err error
	for {
		if start {
			err = syscall.Stat(abs, &st)
		} else {
			err = syscall.Lstat(abs, &st)
		}
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil || st.Mode&syscall.S_IFMT != syscall.S_IFDIR {
		return statKey{}, false
	}
	return keyOf(&st), true
}

// mapFile is the file name mapped read-only, nil when it cannot be. The mapping is never
// unmapped: the listing's strings point into it for the rest of the process. monoctx replaces the
// file by a rename, so the mapped inode keeps its bytes.
func mapFile(name string) []byte {
	fd, err := syscall.Open(name, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil
	}
	defer syscall.Close(fd)
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil || st.Size <= 0 || st.Size > 1<<31 {
		return nil
	}
	data, err := syscall.Mmap(fd, 0, int(st.Size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil
	}
	return data
}
