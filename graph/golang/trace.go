package golang

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/monoctx/monoctx/graph/cache"
)

// A warm run of a large repository spent half its time rebuilding closures that the per-file
// cache had made cheap to read but not to assemble: ~2,000 directory listings and the walk of
// every import. The closures themselves are kept across runs, with a trace of everything the
// analysis read (each file's and directory's stat identity, each path it found missing); a run
// whose trace still holds on disk takes the closures as they are. A trace is written only when
// nothing it names changed since shortly before the run began (the racy-clean rule of git's
// index, on ctime, which no tool can set back).

// closuresKind is the cache kind of an Analyzer's closures with their trace.
const closuresKind cache.Kind = "go-closures/3"

// racySlack is how long before the run's start a change must be for the trace to vouch for it:
// file times come from the kernel's coarse clock, which lags the one time.Now reads.
const racySlack = time.Second

// WithClosureCache keeps the closures the Analyzer computes in the cache WithCache gives, with a
// trace of what they read, so that another run of an unchanged tree reads neither directories nor
// files. It is for an FS that reads the repository from disk (a work tree; a commit's tree is
// WithCommitClosureCache's), on Linux; it needs WithCache. Closures are kept from the second run
// of a cache on (cache.Warm), not by a fresh clone's first. since is when the run began: nothing read before it is trusted, and a trace that names a path
// changed less than a second before it is not kept. indexFile, when not "", is git's index for a
// work tree whose FS answers some paths from it (a sparse checkout): the trace then holds while
// the index is unchanged too.
func WithClosureCache(since time.Time, indexFile string) Option {
	return func(c *config) { c.traceSince, c.traceIndex, c.traceOn = since, indexFile, true }
}

// WithCommitClosureCache is WithClosureCache for an FS that reads the repository from the commit
// with object id commit: what is under the root never changes, so the trace holds only the paths
// outside it (a replaced module's directory), and the closures are kept under the commit's id.
func WithCommitClosureCache(since time.Time, commit string) Option {
	return func(c *config) { c.traceSince, c.traceCommit, c.traceOn = since, commit, true }
}

// obsKind is what the analysis learnt of a path.
type obsKind uint8

const (
	obsRead  obsKind = iota + 1 // a file's content, following links
	obsList                     // a directory's entries, following links
	obsStat                     // Stat's answer: whether it exists and what it is
	obsLstat                    // Lstat's answer
	obsTree                     // every directory under it, not following links (WalkDir, Glob)
)

type obsKey struct {
	kind obsKind
	path string
}

// Observed types of a Stat or Lstat answer.
const (
	seenAbsent uint8 = iota
	seenFile
	seenDir
	seenLink
	seenOther
	seenError // a stat that failed other than by the path missing: matches nothing
)

func seenOf(fi fs.FileInfo) uint8 {
	switch m := fi.Mode(); {
	case m.IsRegular():
		return seenFile
	case m.IsDir():
		return seenDir
	case m&fs.ModeSymlink != 0:
		return seenLink
	}
	return seenOther
}

// recorder collects what an Analyzer read. A read that failed other than by the path not
// existing makes the run untrustworthy: nothing is kept.
type recorder struct {
	mu        sync.Mutex
	obs       map[obsKey]uint8
	untrusted atomic.Bool
	off       atomic.Bool // nothing is recorded or kept: no run before left a cache (see loadKept)
}

func newRecorder() *recorder { return &recorder{obs: map[obsKey]uint8{}} }

func (r *recorder) add(kind obsKind, p string, seen uint8) {
	if r.off.Load() {
		return
	}
	r.mu.Lock()
	r.obs[obsKey{kind, p}] = seen
	r.mu.Unlock()
}

// result records a read's outcome: ok as kind, a missing path as an absent Stat.
func (r *recorder) result(kind obsKind, p string, err error) {
	switch {
	case err == nil:
		r.add(kind, p, 0)
	case errors.Is(err, fs.ErrNotExist):
		r.add(obsStat, p, seenAbsent)
	default:
		r.untrusted.Store(true)
	}
}

// tracedFS is an FS that records what is read through it.
type tracedFS struct {
	FS
	rec *recorder
}

func (t tracedFS) ReadFile(name string) ([]byte, error) {
	b, err := t.FS.ReadFile(name)
	t.rec.result(obsRead, name, err)
	return b, err
}

func (t tracedFS) ReadFileHead(name string, buf []byte) (int, error) {
	var n int
	var err error
	if h, ok := t.FS.(headReader); ok {
		n, err = h.ReadFileHead(name, buf)
	} else {
		var b []byte
		b, err = t.FS.ReadFile(name)
		n = copy(buf, b)
	}
	t.rec.result(obsRead, name, err)
	return n, err
}

func (t tracedFS) ReadDir(name string) ([]fs.DirEntry, error) {
	ents, err := t.FS.ReadDir(name)
	t.rec.result(obsList, name, err)
	return ents, err
}

func (t tracedFS) Stat(name string) (fs.FileInfo, error) {
	fi, err := t.FS.Stat(name)
	t.stat(obsStat, name, fi, err)
	return fi, err
}

func (t tracedFS) Lstat(name string) (fs.FileInfo, error) {
	fi, err := t.FS.Lstat(name)
	t.stat(obsLstat, name, fi, err)
	return fi, err
}

func (t tracedFS) stat(kind obsKind, name string, fi fs.FileInfo, err error) {
	switch {
	case err == nil:
		t.rec.add(kind, name, seenOf(fi))
	case errors.Is(err, fs.ErrNotExist):
		t.rec.add(kind, name, seenAbsent)
	default:
		t.rec.untrusted.Store(true)
	}
}

func (t tracedFS) WalkDir(root string, fn fs.WalkDirFunc) error {
	t.rec.add(obsTree, root, 0)
	return t.FS.WalkDir(root, fn)
}

func (t tracedFS) Glob(dir, pattern string) ([]string, error) {
	t.rec.add(obsTree, dir, 0)
	return t.FS.Glob(dir, pattern)
}

// traceEntry is one path's stat identity as the trace vouches for it; absent: it did not exist.
// path is relative to the repository root (statted from a descriptor of it, and sharing the
// closures' strings in the encoding), or absolute outside it.
type traceEntry struct {
	path   string
	follow bool
	absent bool
	id     ident
}

// errUntrusted says a trace cannot be kept: something it names changed during the run, or was
// read from somewhere other than the disk.
var errUntrusted = errors.New("the trace cannot vouch for what the run read")

// entries turns the recorded reads into stat identities taken now, or errUntrusted.
func (r *recorder) entries(root string, since time.Time, indexFile string, commit bool) ([]traceEntry, error) {
	if r.untrusted.Load() || !identSupported {
		return nil, errUntrusted
	}
	r.mu.Lock()
	keys := make([]obsKey, 0, len(r.obs))
	for k := range r.obs {
		keys = append(keys, k)
	}
	r.mu.Unlock()
	slices.SortFunc(keys, func(a, b obsKey) int {
		if c := strings.Compare(a.path, b.path); c != 0 {
			return c
		}
		return int(a.kind) - int(b.kind)
	})
	racy := since.Add(-racySlack).UnixNano()
	var out []traceEntry
	add := func(p string, follow bool, want uint8, id ident, seen uint8) error {
		if seen != want {
			return errUntrusted // changed since it was read, or not read from the disk
		}
		if seen != seenAbsent && (id.ctime >= racy || id.mtime >= racy) {
			return errUntrusted
		}
		out = append(out, traceEntry{path: relToRoot(root, p), follow: follow, absent: seen == seenAbsent, id: id})
		return nil
	}
	if indexFile != "" {
		id, seen := statIdent(indexFile, true)
		if err := add(indexFile, true, seenFile, id, seen); err != nil {
			return nil, err
		}
	}
	underRoot := func(p string) bool { return p == root || strings.HasPrefix(p, root+string(filepath.Separator)) }
	// The stats first, on every core: a large repository's trace is tens of thousands.
	type stated struct {
		id   ident
		seen uint8
	}
	stats := make([]stated, len(keys))
	parallel(len(keys), func(i int) bool {
		if k := keys[i]; k.kind != obsTree && !(commit && underRoot(k.path)) {
			stats[i].id, stats[i].seen = statIdent(k.path, k.kind != obsLstat)
		}
		return true
	})
	for i, k := range keys {
		if commit && underRoot(k.path) {
			continue // the commit's: it cannot change
		}
		var err error
		if k.kind == obsTree {
			err = treeEntries(k.path, add)
		} else {
			want := r.obs[k] // what Stat or Lstat answered; a read or a listing found a file, a directory
			switch k.kind {
			case obsRead:
				want = seenFile
			case obsList:
				want = seenDir
			}
			err = add(k.path, k.kind != obsLstat, want, stats[i].id, stats[i].seen)
		}
		if err != nil {
			if indexFile != "" {
				// Answered from the index (a sparse checkout's missing paths): what it says holds
				// while the index is unchanged, but the disk must say the same as now.
				if err = r.sparseEntries(k, add); err == nil {
					continue
				}
			}
			return nil, err
		}
	}
	return compactTrace(out)
}

// compactTrace drops what another entry of the trace vouches for: the same path statted twice
// (a package directory is statted and listed; both must agree, or it changed during the run), and
// a missing path whose parent directory is in the trace (creating it changes the parent's mtime:
// the go.mod looked for in every imported package's directory). Each was checked before it is
// dropped, and a parent changed since the run began is racy, so the trace is not kept.
func compactTrace(out []traceEntry) ([]traceEntry, error) {
	slices.SortFunc(out, byPath)
	dirs := map[string]bool{}
	kept := out[:0]
	for i, t := range out {
		if i > 0 && out[i-1].path == t.path && out[i-1].follow == t.follow {
			if out[i-1] != t {
				return nil, errUntrusted
			}
			continue
		}
		if !t.absent && t.id.isDir() {
			dirs[t.path] = true
		}
		kept = append(kept, t)
	}
	out = kept[:0]
	for _, t := range kept {
		if t.absent && dirs[filepath.Dir(t.path)] {
			continue
		}
		out = append(out, t)
	}
	return out, nil
}

// sparseEntries is a path the FS answered although the disk lacks it: the trace holds it absent.
func (r *recorder) sparseEntries(k obsKey, add func(string, bool, uint8, ident, uint8) error) error {
	id, seen := statIdent(k.path, k.kind != obsLstat)
	if seen != seenAbsent {
		return errUntrusted
	}
	return add(k.path, k.kind != obsLstat, seenAbsent, id, seen)
}

// treeEntries adds the directories under root, walked without following links; a link under it
// (which a glob may follow) leaves the trace untrusted.
func treeEntries(root string, add func(string, bool, uint8, ident, uint8) error) error {
	id, seen := statIdent(root, false)
	if seen != seenDir {
		return errUntrusted
	}
	if err := add(root, false, seenDir, id, seen); err != nil {
		return err
	}
	ents, err := os.ReadDir(root)
	if err != nil {
		return errUntrusted
	}
	for _, e := range ents {
		switch {
		case e.Type()&fs.ModeSymlink != 0:
			return errUntrusted
		case e.IsDir():
			if err := treeEntries(filepath.Join(root, e.Name()), add); err != nil {
				return err
			}
		}
	}
	return nil
}

// relToRoot is p relative to root when it is under it, else p.
func relToRoot(root, p string) string {
	if p == root {
		return "."
	}
	if rel, ok := strings.CutPrefix(p, root+string(filepath.Separator)); ok {
		return rel
	}
	return p
}

// holds reports whether every entry's path has the identity the trace gives it, statting them on
// every core.
func holds(root string, entries []traceEntry) bool {
	if !identSupported {
		return false
	}
	dir, err := openRoot(root)
	if err != nil {
		return false
	}
	defer dir.close()
	return parallel(len(entries), func(i int) bool {
		e := &entries[i]
		id, seen := dir.statIdent(e.path, e.follow)
		return (seen == seenAbsent) == e.absent && (e.absent || id == e.id)
	})
}

// parallel calls f for 0 ≤ i < n on every core, each taking every procs-th index from its own
// start (so the first indices are done first), until one returns false; it reports whether none
// did.
func parallel(n int, f func(i int) bool) bool {
	procs := min(runtime.GOMAXPROCS(0), max(n, 1))
	var failed atomic.Bool
	var wg sync.WaitGroup
	for g := range procs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := g; i < n && !failed.Load(); i += procs {
				if !f(i) {
					failed.Store(true)
				}
			}
		}()
	}
	wg.Wait()
	return !failed.Load()
}

// sortTrace orders a trace newest first (by mtime, then path): a path changed lately is the one
// most likely to have changed again, and holds stops at the first that has.
func sortTrace(trace []traceEntry) {
	slices.SortFunc(trace, func(x, y traceEntry) int {
		if c := cmp.Compare(y.id.mtime, x.id.mtime); c != 0 {
			return c
		}
		return byPath(x, y)
	})
}

// byPath orders trace entries by path, an Lstat's before a Stat's.
func byPath(x, y traceEntry) int {
	if c := strings.Compare(x.path, y.path); c != 0 {
		return c
	}
	switch {
	case x.follow == y.follow:
		return 0
	case x.follow:
		return 1
	}
	return -1
}

// closureSet is what an Analyzer keeps across runs: its closures, the directories whose analysis
// failed (with the message), and the trace that vouches for them.
type closureSet struct {
	closures map[string]*Closure
	failed   map[string]cachedError
	trace    []traceEntry
}

// cachedError is an analysis error kept across runs: the same message, and still a missing path
// where it was one.
type cachedError struct {
	msg      string
	notExist bool
}

func (e *cachedError) Error() string { return e.msg }

func (e *cachedError) Is(target error) bool { return e.notExist && target == fs.ErrNotExist }

// closureCacheID names an Analyzer's closures in the cache: the repository and every option that
// changes what a closure holds.
func (a *Analyzer) closureCacheID() string {
	return fmt.Sprintf("%s\x00tests=%v\x00vendor=%d\x00work=%s\x00modcache=%s\x00index=%s\x00commit=%s",
		a.root, a.cfg.tests, a.cfg.vendor, a.cfg.goWork, a.cfg.modCache, a.cfg.traceIndex, a.cfg.traceCommit)
}

// fromKept answers Analyze from the closures an earlier run kept, when its trace holds.
func (a *Analyzer) fromKept(dir string) (*Closure, error, bool) {
	if a.rec == nil {
		return nil, nil, false
	}
	a.keptOnce.Do(a.loadKept)
	if a.kept == nil {
		return nil, nil, false
	}
	if c, ok := a.kept.closures[dir]; ok {
		return c, nil, true
	}
	if e, ok := a.kept.failed[dir]; ok {
		return nil, &e, true
	}
	return nil, nil, false
}

// LoadKept loads the closures an earlier run kept (WithClosureCache), checking its trace, as the
// first Analyze does: a caller may start it beside other work. It does nothing without a closure
// cache, or once it has been done.
func (a *Analyzer) LoadKept() {
	if a.rec != nil {
		a.keptOnce.Do(a.loadKept)
	}
}

func (a *Analyzer) loadKept() {
	if !a.cfg.cache.Warm() {
		// A fresh clone (a CI job) whose cache no later run may see: recording the trace and
		// writing the closures would cost this run a tenth, for nothing. The next run keeps them.
		a.rec.off.Store(true)
		return
	}
	v, ok := a.cfg.cache.Get(closuresKind, a.closureCacheID(), "")
	if !ok {
		return
	}
	x, ok := newSetDecoder(v)
	if !ok {
		return
	}
	s := &closureSet{trace: x.trace()}
	if !x.ok() || !holds(a.root, s.trace) {
		return
	}
	x.closures(s)
	if x.done() {
		a.kept = s
	}
}

// SaveClosures puts the closures this Analyzer computed, with those an earlier run kept, into the
// cache for the next run, when the trace of what they read can vouch for them; it does nothing
// without WithClosureCache or when every closure came from the cache. Call it once the analysis
// is done, before the cache is flushed.
func (a *Analyzer) SaveClosures() {
	if a.rec == nil || !a.fresh.Load() {
		return
	}
	a.keptOnce.Do(func() {}) // nothing loads the kept set after this
	if a.rec.off.Load() {
		return
	}
	s := &closureSet{closures: map[string]*Closure{}, failed: map[string]cachedError{}}
	if a.kept != nil {
		maps.Copy(s.closures, a.kept.closures)
		maps.Copy(s.failed, a.kept.failed)
	}
	a.mu.Lock()
	entries := maps.Clone(a.closures)
	a.mu.Unlock()
	for dir, e := range entries {
		if !e.done.Load() {
			continue
		}
		switch {
		case e.err == nil && e.c != nil:
			s.closures[dir] = e.c
		case e.err != nil && !errors.Is(e.err, context.Canceled) && !errors.Is(e.err, context.DeadlineExceeded):
			s.failed[dir] = cachedError{msg: e.err.Error(), notExist: errors.Is(e.err, fs.ErrNotExist)}
		}
	}
	// The closures are encoded while the trace's stats are taken.
	encoded := make(chan *setEncoder, 1)
	go func() {
		e := newSetEncoder()
		e.closures(s)
		encoded <- e
	}()
	trace, err := a.rec.entries(a.root, a.cfg.traceSince, a.cfg.traceIndex, a.cfg.traceCommit != "")
	enc := <-encoded
	if err != nil {
		return
	}
	if a.kept != nil {
		seen := make(map[traceEntry]bool, len(trace))
		for _, t := range trace {
			seen[traceEntry{path: t.path, follow: t.follow}] = true
		}
		for _, t := range a.kept.trace {
			if !seen[traceEntry{path: t.path, follow: t.follow}] {
				trace = append(trace, t)
			}
		}
	}
	sortTrace(trace)
	enc.trace(trace)
	a.cfg.cache.Put(closuresKind, a.closureCacheID(), "", enc.bytes())
}
