package tree

import (
	"os"
	"sync"
	"time"
)

// IndexEntry is what git's index records of a regular file at stage 0: its blob id and the stat
// data the file had when git last looked at it.
type IndexEntry struct {
	ID           string
	Mtime, Ctime time.Time
	Size, Inode  uint32 // truncated to 32 bits, as the index stores them
	Executable   bool
}

// IndexReader reads git's index: when it was written and its regular files' entries (not
// skip-worktree, not intent-to-add, not in a conflict); ok is false when it cannot.
type IndexReader func() (written time.Time, entries map[string]*IndexEntry, ok bool)

// statIndex answers BlobID for files on disk from git's index, as git itself does: an entry's blob
// id stands for the file while the file's stat data (mtime, ctime, size, inode, mode) equal the
// entry's, and the file is not racily clean (modified no earlier than the index was written).
// Anything else, or an index that cannot be read, is no answer: the caller hashes the file.
type statIndex struct {
	read IndexReader

	once    sync.Once
	written time.Time
	entries map[string]*IndexEntry
}

func (x *statIndex) load() {
	if w, m, ok := x.read(); ok {
		x.written, x.entries = w, m
	}
}

// blobID is the blob id of the repo-relative file name at abs, when git's index vouches for it.
func (x *statIndex) blobID(name, abs string) (string, bool) {
	x.once.Do(x.load)
	e, ok := x.entries[name]
	if !ok {
		return "", false
	}
	fi, err := os.Lstat(abs)
	if err != nil || !fi.Mode().IsRegular() {
		return "", false
	}
	mt := fi.ModTime()
	if !mt.Before(x.written) || !mt.Equal(e.Mtime) || uint32(fi.Size()) != e.Size ||
		(fi.Mode()&0o111 != 0) != e.Executable || !sameInodeAndCtime(fi, e) {
		return "", false
	}
	return e.ID, true
}

// IndexRecord is one entry of git's index, any mode and stage, as the work tree's view reads it.
type IndexRecord struct {
	Path         string
	Mode         uint32 // git's: 0o100644, 0o100755, 0o120000, 0o160000
	Stage        int    // 0, or 1 to 3 in a conflict
	SkipWorktree bool
	IntentToAdd  bool
	Entry        IndexEntry // blob id and stat data
}

// IndexRecordsReader reads every entry of git's index, in its order, and when the index was
// written; ok is false when it cannot (a split or sparse index, GIT_INDEX_FILE): git is asked then.
type IndexRecordsReader func() (written time.Time, records []IndexRecord, ok bool)
