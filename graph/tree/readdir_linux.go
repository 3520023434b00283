package tree

import (
	"encoding/binary"
	"io/fs"
	"os"
	"syscall"
)

// readDir calls fn with the name and type of each entry of the directory dir (not "." or ".."), in
// the order the file system keeps them. The type comes from getdents' d_type, so no entry is
// stat'ed unless the file system leaves the type unknown. buf is the buffer the entries are read
// into; name is valid during the call only. A non-nil key gets the stat data of the directory
// opened, taken before its entries are read (see listCache).
func readDir(dir string, buf []byte, key *statKey, fn func(name []byte, typ fs.FileMode)) error {
	fd, err := open(dir)
	if err != nil {
		return &fs.PathError{Op: "open", Path: dir, Err: err}
	}
	defer syscall.Close(fd)
	if key != nil {
		var st syscall.Stat_t
		if err := syscall.Fstat(fd, &st); err != nil {
			return &fs.PathError{Op: "fstat", Path: dir, Err: err}
		}
		*key = keyOf(&st)
	}
	for {
		n, err := readDirent(fd, buf)
		if err != nil {
			return &fs.PathError{Op: "readdirent", Path: dir, Err: err}
		}
		if n <= 0 {
			return nil
		}
		for b := buf[:n]; len(b) >= direntName; {
			reclen := int(binary.NativeEndian.Uint16(b[direntReclen:]))
			if reclen < direntName || reclen > len(b) {
				break
			}
			rec := b[:reclen]
			b = b[reclen:]
			if binary.NativeEndian.Uint64(rec[direntIno:]) == 0 {
				continue // a deleted entry
			}
			name := rec[direntName:]
			for i, c := range name {
				if c == 0 {
					name = name[:i]
					break
				}
			}
			if len(name) == 0 || name[0] == '.' && (len(name) == 1 || len(name) == 2 && name[1] == '.') {
				continue
			}
			var typ fs.FileMode
			switch rec[direntType] {
			case syscall.DT_REG:
			case syscall.DT_DIR:
				typ = fs.ModeDir
			case syscall.DT_LNK:
				typ = fs.ModeSymlink
			case syscall.DT_UNKNOWN:
				fi, err := os.Lstat(dir + "/" + string(name))
				if err != nil {
					continue // vanished since it was listed
				}
				typ = fi.Mode().Type()
			default:
				typ = fs.ModeIrregular // a device, pipe or socket: not a file a build sends
			}
			fn(name, typ)
		}
	}
}

// The layout of struct linux_dirent64.
const (
	direntIno    = 0
	direntReclen = 16
	direntType   = 18
	direntName   = 19
)

func open(dir string) (int, error) {
	for {
		fd, err := syscall.Open(dir, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
		if err != syscall.EINTR {
			return fd, err
		}
	}
}

func readDirent(fd int, buf []byte) (int, error) {
	for {
		n, err := syscall.ReadDirent(fd, buf)
		if err != syscall.EINTR {
			return n, err
		}
	}
}

// readFile is os.ReadFile without what an *os.File sets up for the poller (four fcntl and an
// epoll_ctl for every file): open, fstat, read to the end, close. The fstat sizes the buffer:
// growing it from 512 bytes copied a warm run's large files (go.sum, workflows, Makefiles) a
// dozen times each, 8 ms of a 120 ms run on a large repository.
func readFile(name string) ([]byte, error) {
	fd, err := openFile(name)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	defer syscall.Close(fd)
	size := 512
	var st syscall.Stat_t
	if syscall.Fstat(fd, &st) == nil && st.Mode&syscall.S_IFMT == syscall.S_IFREG && st.Size > 0 && st.Size < 1<<30 {
		size = int(st.Size) + 1 // one more byte: the read that finds the end needs no growth
	}
	data := make([]byte, 0, size)
	for {
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)]
		}
		n, err := syscall.Read(fd, data[len(data):cap(data)])
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, &fs.PathError{Op: "read", Path: name, Err: err}
		}
		if n == 0 {
			return data, nil
		}
		data = data[:len(data)+n]
	}
}

// ReadHead reads the start of the file name (a path of the OS) into buf, with one open and no
// stat: n < len(buf) is the whole file.
func ReadHead(name string, buf []byte) (int, error) {
	fd, err := openFile(name)
	if err != nil {
		return 0, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	defer syscall.Close(fd)
	n := 0
	for n < len(buf) {
		m, err := syscall.Read(fd, buf[n:])
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return 0, &fs.PathError{Op: "read", Path: name, Err: err}
		}
		if m == 0 {
			break
		}
		n += m
	}
	return n, nil
}

// openFile opens name to read it, as open does a directory.
func openFile(name string) (int, error) {
	for {
		fd, err := syscall.Open(name, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if err != syscall.EINTR {
			return fd, err
		}
	}
}
