package gitchanges

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"time"

	"github.com/monoctx/monoctx/graph/tree"
)

// IndexReader reads the index of the work tree whose git directory is gitDir (versions 2 to 4, see
// parseIndex), for tree.NewIndexedDir. It reads nothing, and says so, when GIT_INDEX_FILE names
// another index (a temporary index's stat data says nothing of the work tree), or for an index it
// cannot read exactly (a split index, a SHA-256 repository).
func IndexReader(gitDir string) tree.IndexReader {
	return func() (time.Time, *tree.IndexEntries, bool) {
		x, written, ok := readIndexFile(gitDir, parseIndex)
		return written, x, ok
	}
}

// IndexRecordsReader reads every entry of the index of the repository at gitDir for
// tree.NewWorkTree; it declines where IndexReader does, and for a sparse index.
func IndexRecordsReader(gitDir string) tree.IndexRecordsReader {
	return func() (time.Time, []tree.IndexRecord, bool) {
		recs, written, ok := readIndexFile(gitDir, parseIndexRecords)
		return written, recs, ok
	}
}

// readIndexFile reads the index at gitDir and when it was written, for parse: the file is mapped
// where it can be, and parse must copy what it keeps. ok is false with GIT_INDEX_FILE set (another
// index than the work tree's), or when it cannot be read or parsed.
func readIndexFile[T any](gitDir string, parse func([]byte) (T, error)) (v T, written time.Time, ok bool) {
	if os.Getenv("GIT_INDEX_FILE") != "" {
		return v, time.Time{}, false
	}
	f, err := os.Open(filepath.Join(gitDir, "index"))
	if err != nil {
		return v, time.Time{}, false
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return v, time.Time{}, false
	}
	if data, release, ok := mapFile(f, st.Size()); ok {
		defer release()
		v, err := parseMapped(data, parse)
		return v, st.ModTime(), err == nil
	}
	// Read at its size: io.ReadAll grows from 512 bytes, a dozen copies of a large index.
	var buf bytes.Buffer
	buf.Grow(int(st.Size()) + bytes.MinRead)
	if _, err := buf.ReadFrom(f); err != nil {
		return v, time.Time{}, false
	}
	v, err = parse(buf.Bytes())
	return v, st.ModTime(), err == nil
}

// parseMapped is parse of mapped bytes. Git replaces its index by renaming a new file over it, so
// the mapped one does not change; should another tool cut it short in place, reading past its end
// faults, and that is an error here, not a crash.
func parseMapped[T any](data []byte, parse func([]byte) (T, error)) (v T, err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			if _, fault := r.(interface{ Addr() uintptr }); !fault {
				panic(r)
			}
			err = fmt.Errorf("the index changed while it was read: %v", r)
		}
	}()
	return parse(data)
}
