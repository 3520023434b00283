package gitchanges

import (
	"bufio"
	"os"
	"path/filepath"
	"time"

	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/format/index"

	"github.com/monoctx/monoctx/graph/tree"
)

// IndexReader reads the index of the work tree whose git directory is gitDir, with go-git's
// decoder (versions 2 to 4), for tree.NewIndexedDir. It reads nothing, and says so, when
// GIT_INDEX_FILE names another index (a temporary index's stat data says nothing of the work
// tree), or for an index go-git cannot decode (a split index, a SHA-256 repository).
func IndexReader(gitDir string) tree.IndexReader {
	return func() (time.Time, map[string]tree.IndexEntry, bool) {
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
		var idx index.Index
		if err := index.NewDecoder(bufio.NewReaderSize(f, 1<<16)).Decode(&idx); err != nil {
			return time.Time{}, nil, false
		}
		m := make(map[string]tree.IndexEntry, len(idx.Entries))
		for _, e := range idx.Entries {
			if e.Stage != 0 || e.SkipWorktree || e.IntentToAdd || e.Mode != filemode.Regular && e.Mode != filemode.Executable {
				continue
			}
			m[e.Name] = tree.IndexEntry{ID: e.Hash.String(), Mtime: e.ModifiedAt, Ctime: e.CreatedAt,
				Size: e.Size, Inode: e.Inode, Executable: e.Mode == filemode.Executable}
		}
		return st.ModTime(), m, true
	}
}
