package gitchanges

import (
	"io"
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
	return func() (time.Time, map[string]*tree.IndexEntry, bool) {
		if os.Getenv("GIT_INDEX_FILE") != "" {
			return time.Time{}, nil, false
		}
		f, err := os.Open(filepath.Join(gitDir, "index"))
		if err != nil {
			return time.Time{}, nil, false
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			return time.Time{}, nil, false
		}
		data, err := io.ReadAll(f)
		if err != nil {
			return time.Time{}, nil, false
		}
		m, err := parseIndex(data)
		if err != nil {
			return time.Time{}, nil, false
		}
		return st.ModTime(), m, true
	}
}
