package tree

import (
	"iter"
	"os"
	"slices"
	"sort"
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
type IndexReader func() (written time.Time, entries *IndexEntries, ok bool)

// IndexEntries are index entries by path: sorted paths, searched. A map of a large index cost
// more to build than the index did to read, and BlobID asks for few of its entries.
type IndexEntries struct {
	names   []string
	entries []*IndexEntry
}

// NewIndexEntries holds the entries of names (entries[i] is names[i]'s). Names in git's order,
// sorted and each once, are kept as they are; otherwise they are sorted, the last of equal names
// kept.
func NewIndexEntries(names []string, entries []*IndexEntry) *IndexEntries {
	x := &IndexEntries{names: names, entries: entries}
	for i := 1; i < len(names); i++ {
		if names[i-1] >= names[i] {
			x.sortOut()
			break
		}
	}
	return x
}

func (x *IndexEntries) sortOut() {
	idx := make([]int, len(x.names))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return x.names[idx[a]] < x.names[idx[b]] })
	names, entries := make([]string, 0, len(idx)), make([]*IndexEntry, 0, len(idx))
	for _, i := range idx {
		if n := len(names); n > 0 && names[n-1] == x.names[i] {
			entries[n-1] = x.entries[i]
			continue
		}
		names, entries = append(names, x.names[i]), append(entries, x.entries[i])
	}
	x.names, x.entries = names, entries
}

// Lookup is name's entry.
func (x *IndexEntries) Lookup(name string) (*IndexEntry, bool) {
	if x == nil {
		return nil, false
	}
	i, ok := slices.BinarySearch(x.names, name)
	if !ok {
		return nil, false
	}
	return x.entries[i], true
}

// Len is the number of entries.
func (x *IndexEntries) Len() int {
	if x == nil {
		return 0
	}
	return len(x.names)
}

// All yields the entries in path order.
func (x *IndexEntries) All() iter.Seq2[string, *IndexEntry] {
	return func(yield func(string, *IndexEntry) bool) {
		for i, n := range x.Names() {
			if !yield(n, x.entries[i]) {
				return
			}
		}
	}
}

// Names are the paths, sorted.
func (x *IndexEntries) Names() []string {
	if x == nil {
		return nil
	}
	return x.names
}

// statIndex answers BlobID for files on disk from git's index, as git itself does: an entry's blob
// id stands for the file while the file's stat data (mtime, ctime, size, inode, mode) equal the
// entry's, and the file is not racily clean (modified no earlier than the index was written).
// Anything else, or an index that cannot be read, is no answer: the caller hashes the file.
type statIndex struct {
	read IndexReader

	once    sync.Once
	written time.Time
	entries *IndexEntries
}

func (x *statIndex) load() {
	if w, m, ok := x.read(); ok {
		x.written, x.entries = w, m
	}
}

// blobID is the blob id of the repo-relative file name at abs, when git's index vouches for it.
func (x *statIndex) blobID(name, abs string) (string, bool) {
	x.once.Do(x.load)
	e, ok := x.entries.Lookup(name)
	if !ok {
		return "", false
	}
	return x.blobIDOf(e, abs)
}

// blobIDOf is blobID of the file at abs whose index entry is e.
func (x *statIndex) blobIDOf(e *IndexEntry, abs string) (string, bool) {
	if id, ok, known := vouch(e, abs, x.written); known {
		return id, ok
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
