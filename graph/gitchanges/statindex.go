package gitchanges

import (
	"bytes"
	"os"
	"path/filepath"
	"time"

	"github.com/monoctx/monoctx/graph/tree"
)

// IndexReader reads the index of the work tree whose git directory is gitDir (versions 2 to 4, see
// parseIndex), for tree.NewIndexedDir. It reads nothing, and says so, when GIT_INDEX_FILE names
// another index (a temporary index's stat data says nothing of the work tree), or for an index it
// cannot read exactly (a split index, a SHA-256 repository).
func IndexReader(gitDir string) tree.IndexReader {
	return func() (time.Time, *tree.IndexEntries, bool) {
		data, written, ok := readIndexFile(gitDir)
		if !ok {
			return time.Time{}, nil, false
		}
		m, err := parseIndex(data)
		if err != nil {
			return time.Time{}, nil, false
		}
		return written, m, true
	}
}

// IndexRecordsReader reads every entry of the index of the repository at gitDir for
// tree.NewWorkTree; it declines where IndexReader does, and for a sparse index.
func IndexRecordsReader(gitDir string) tree.IndexRecordsReader {
	return func() (time.Time, []tree.IndexRecord, bool) {
		data, written, ok := readIndexFile(gitDir)
		if !ok {
			return time.Time{}, nil, false
		}
		recs, err := parseIndexRecords(data)
		if err != nil {
			return time.Time{}, nil, false
		}
		return written, recs, true
	}
}

// readIndexFile reads the index at gitDir and when it was written; ok is false with
// GIT_INDEX_FILE set (another index than the work tree's), or when it cannot be read.
func readIndexFile(gitDir string) ([]byte, time.Time, bool) {
	if os.Getenv("GIT_INDEX_FILE") != "" {
		return nil, time.Time{}, false
	}
	f, err := os.Open(filepath.Join(gitDir, "index"))
	if err != nil {
		return nil, time.Time{}, false
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, time.Time{}, false
	}
	// Read at its size: io.ReadAll grows from 512 bytes, a dozen copies of a large index.
	var buf bytes.Buffer
	buf.Grow(int(st.Size()) + bytes.MinRead)
	if _, err := buf.ReadFrom(f); err != nil {
		return nil, time.Time{}, false
	}
	return buf.Bytes(), st.ModTime(), true
}
