package jsdeps

import (
	"slices"
	"strings"
	"sync"
)

// Listing is the repository's files as one walk of its directory found them: every regular file
// and symbolic link (repo-relative, slash-separated), outside the directories the walk pruned. A
// directory with a listed file under it was read whole by that walk, so its entries need not be
// read again: Inputs takes the tsconfig files of such a package directory from the listing (the
// generated 2,000-package workspace read 1,200 directories for none). Any other directory is read.
type Listing struct {
	paths []string // sorted

	once sync.Once
	ts   map[string][]string // the tsconfig*.json names of each directory, sorted
}

// NewListing is the listing of paths. They are sorted here if they are not already; the caller
// keeps them unchanged.
func NewListing(paths []string) *Listing {
	if !slices.IsSorted(paths) {
		paths = slices.Sorted(slices.Values(paths))
	}
	return &Listing{paths: paths}
}

// WithListing lists directories from l instead of reading them, where l holds them. A nil l reads
// every directory.
func WithListing(l *Listing) Option { return func(o *options) { o.listing = l } }

// listed is o's listing; nil without one.
func (o *options) listed() *Listing {
	if o == nil {
		return nil
	}
	return o.listing
}

// tsconfigNames is the tsconfig*.json names of the repo-relative directory dir as a read of it
// gives them (sorted); ok is false when the listing does not hold the directory.
func (l *Listing) tsconfigNames(dir string) (names []string, ok bool) {
	if l == nil || !l.walked(dir) {
		return nil, false
	}
	l.once.Do(l.indexTSConfigs)
	return l.ts[dir], true
}

// walked reports whether the walk read the directory dir whole: a file is listed under it, and the
// walk lists a file only after reading every directory above it. An empty, pruned or unreadable
// directory, one reached through a link, or none at all, has nothing listed under it.
func (l *Listing) walked(dir string) bool {
	if dir == "." {
		return len(l.paths) > 0
	}
	prefix := dir + "/"
	i, _ := slices.BinarySearch(l.paths, prefix)
	return i < len(l.paths) && strings.HasPrefix(l.paths[i], prefix)
}

// indexTSConfigs finds the tsconfig files of every directory in one pass over the listing: the
// directories asked about are a workspace's packages, and finding each one's files by itself would
// go over the listing below it, the whole repository for the root.
func (l *Listing) indexTSConfigs() {
	l.ts = map[string][]string{}
	for _, p := range l.paths {
		dir, name := ".", p
		if i := strings.LastIndexByte(p, '/'); i >= 0 {
			dir, name = p[:i], p[i+1:]
		}
		if isTSConfigName(name) {
			l.ts[dir] = append(l.ts[dir], name) // in the listing's order: sorted within a directory
		}
	}
}

// isTSConfigName reports whether a file name is one tsconfigNames lists.
func isTSConfigName(name string) bool {
	return strings.HasPrefix(name, "tsconfig") && strings.HasSuffix(name, ".json")
}

// Memo keeps what the Loads and Roots of one reading of a repository parsed, so that each
// package.json is read once however many of them ask for it: every app of a workspace finds its
// root from its own directory up, through the same parent directories, before the load reads its
// package.json again. It is for one unchanging view of the tree (one command), and safe for
// concurrent use.
type Memo struct {
	manifests sync.Map // repoRoot + "\x00" + rel → *memoManifest
}

type memoManifest struct {
	done chan struct{} // closed once man and err are set, by the caller that stored the entry
	man  *manifest
	err  error
}

// NewMemo is an empty memo.
func NewMemo() *Memo { return &Memo{} }

// WithMemo keeps what is read in m, and takes from it what was read before. A nil m keeps nothing.
func WithMemo(m *Memo) Option { return func(o *options) { o.memo = m } }

// lookup is what manifest gave for rel of the repository at repoRoot, if it was asked (waiting for
// a read under way).
func (m *Memo) lookup(repoRoot, rel string) (man *manifest, err error, ok bool) {
	e, ok := m.manifests.Load(repoRoot + "\x00" + rel)
	if !ok {
		return nil, nil, false
	}
	me := e.(*memoManifest)
	<-me.done
	return me.man, me.err, true
}

// manifest is read's answer for the package.json at rel of the repository at repoRoot, read once.
// The manifest is shared: nothing changes one once it is parsed.
func (m *Memo) manifest(repoRoot, rel string, read func() (*manifest, error)) (*manifest, error) {
	key := repoRoot + "\x00" + rel
	e, ok := m.manifests.Load(key)
	if !ok {
		if e, ok = m.manifests.LoadOrStore(key, &memoManifest{done: make(chan struct{})}); !ok {
			me := e.(*memoManifest)
			me.man, me.err = read()
			close(me.done)
			return me.man, me.err
		}
	}
	me := e.(*memoManifest)
	<-me.done
	return me.man, me.err
}
