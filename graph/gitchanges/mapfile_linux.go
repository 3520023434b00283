package gitchanges

import (
	"os"
	"syscall"
)

// mapFile maps f's size bytes read-only, the pages entered at once (MAP_POPULATE): on the 2-core
// virtual machines a page touched for the first time costs about 19 µs, so reading a 2 MB index
// into fresh memory took longer than parsing it. release unmaps it; the bytes are not to be
// used after. ok is false where the file cannot be mapped (then it is read).
func mapFile(f *os.File, size int64) (data []byte, release func(), ok bool) {
	if size <= 0 || int64(int(size)) != size {
		return nil, nil, false
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED|syscall.MAP_POPULATE)
	if err != nil {
		return nil, nil, false
	}
	return data, func() { _ = syscall.Munmap(data) }, true
}
