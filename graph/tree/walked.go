package tree

import (
	"strings"
	"sync"
)

// walkedDirs is what one List read of each directory, to answer a lookup of a name the listing
// shows absent without asking the OS: inferContext tries each COPY source from every directory
// above its Dockerfile, and the per-Dockerfile ignore file and "dockerfile" are looked up for every
// app; on 1,000 apps these were thousands of failing lstats.
//
// The answer must be the OS's, also on a case-insensitive file system or directory (ext4 and f2fs
// casefold, xfs ascii-ci, zfs): a name is absent only when no entry of its directory equals it in
// any case, and only in a directory whose names are all ASCII (where Unicode folding and
// normalization match no more than ASCII folding does). Only the directories on the root's device
// of a local file system the listing cache trusts are answered for (see listCacheFS; no 8.3 short
// names there). A directory the walk did not read (skipped, a link, unreadable, on another device)
// is never answered for.
type walkedDirs struct {
	dirs map[string]*walkDir

	mu    sync.Mutex
	folds map[string]*dirNames
}

// newWalkedDirs indexes the directories under top read on device dev.
func newWalkedDirs(top *walkDir, dev uint64) *walkedDirs {
	w := &walkedDirs{dirs: map[string]*walkDir{}, folds: map[string]*dirNames{}}
	var add func(n *walkDir)
	add = func(n *walkDir) {
		if !n.read || n.dev != dev {
			return
		}
		w.dirs[n.rel] = n
		for _, s := range n.subs {
			add(s)
		}
	}
	add(top)
	return w
}

// absent reports whether the walk shows that the valid name does not exist: a directory on its way
// was read and holds no entry of the next element's name in any case.
func (w *walkedDirs) absent(name string) bool {
	if name == "." {
		return false
	}
	dir, rest := ".", name
	for {
		elem, more, deeper := strings.Cut(rest, "/")
		n := w.dirs[dir]
		if n == nil || !isASCII(elem) {
			return false
		}
		names, ok := w.folded(n)
		if !ok {
			return false
		}
		if !names[strings.ToLower(elem)] {
			return true
		}
		if !deeper {
			return false
		}
		dir, rest = joinName(dir, elem), more
	}
}

// dirNames is a directory's entries: their names, and lowercased when all are ASCII.
type dirNames struct {
	exact, lower map[string]bool // lower is nil when a name is not ASCII
}

// folded is the set of n's entries' names lowercased; false when one is not ASCII.
func (w *walkedDirs) folded(n *walkDir) (map[string]bool, bool) {
	d := w.names(n)
	return d.lower, d.lower != nil
}

func (w *walkedDirs) names(n *walkDir) *dirNames {
	w.mu.Lock()
	defer w.mu.Unlock()
	if d, ok := w.folds[n.rel]; ok {
		return d
	}
	d := &dirNames{exact: make(map[string]bool, len(n.ends)+len(n.subs)), lower: map[string]bool{}}
	add := func(name string) {
		d.exact[name] = true
		if d.lower == nil {
			return
		}
		if !isASCII(name) {
			d.lower = nil
			return
		}
		d.lower[strings.ToLower(name)] = true
	}
	prefix := 0
	if n.rel != "." {
		prefix = len(n.rel) + 1
	}
	start := uint32(0)
	for _, e := range n.ends {
		add(n.paths[int(start)+prefix : e])
		start = e
	}
	for _, s := range n.subs {
		add(s.rel[prefix:])
	}
	for _, o := range strings.Split(n.others, "/")[1:] {
		add(o)
	}
	w.folds[n.rel] = d
	return d
}

// entry reports whether the directory dir holds an entry named exactly name, as its ReadDir
// would list it (whatever the file system's case rules); known is false when the walk did not read
// dir.
func (w *walkedDirs) entry(dir, name string) (has, known bool) {
	n := w.dirs[dir]
	if n == nil {
		return false, false
	}
	return w.names(n).exact[name], true
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
