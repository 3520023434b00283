package tree

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Dir is a plain directory read from the OS, listed by a walk: a repository without git, or one the
// go-git engine reads (go-git has no cheap listing of the index with its sparse bits). Stat and
// Lstat answers are remembered, as the apps of a Load ask for the same shared directories again
// and again: a Dir is one command's reading of the tree, and a new one sees what changed since.
type Dir struct {
	root          string
	index         *statIndex // nil: no blob ids
	stats, lstats sync.Map   // name → statResult

	listFile, listScratch string           // the listing cache (see ListCache); "": none
	listNow               func() time.Time // tests: the clock the racy check reads
	lastList              *listCache       // tests: the cache of the last List

	walked atomic.Pointer[walkedDirs] // what the last List read, for lookups of absent names
}

type statResult struct {
	fi  fs.FileInfo
	err error
}

// NewDir is the view of the directory root (absolute).
func NewDir(root string) *Dir { return &Dir{root: root} }

// NewIndexedDir is the view of the work tree root whose git index read reads (lazily, on the
// first BlobID): files the index vouches for (their stat data unchanged since it was written)
// have its blob ids.
func NewIndexedDir(root string, read IndexReader) *Dir {
	return &Dir{root: root, index: &statIndex{read: read}}
}

func (d *Dir) Root() string { return d.root }
func (d *Dir) Close() error { return nil }

func (d *Dir) abs(op, name string) (string, error) {
	n, err := clean(op, name)
	if err != nil {
		return "", err
	}
	if n == "." {
		return d.root, nil
	}
	return d.root + string(filepath.Separator) + filepath.FromSlash(n), nil
}

func (d *Dir) Open(name string) (fs.File, error) {
	p, err := d.abs("open", name)
	if err != nil {
		return nil, err
	}
	return os.Open(p)
}

func (d *Dir) ReadFile(name string) ([]byte, error) {
	p, err := d.abs("open", name)
	if err != nil {
		return nil, err
	}
	return readFile(p)
}

// ReadFileHead reads the start of the file name into buf: n < len(buf) is the whole file. It is
// ReadFile's start without the rest of a large file (Go analysis reads a file up to its imports).
func (d *Dir) ReadFileHead(name string, buf []byte) (int, error) {
	p, err := d.abs("open", name)
	if err != nil {
		return 0, err
	}
	return ReadHead(p, buf)
}

func (d *Dir) ReadDir(name string) ([]fs.DirEntry, error) {
	p, err := d.abs("open", name)
	if err != nil {
		return nil, err
	}
	return os.ReadDir(p)
}

func (d *Dir) Stat(name string) (fs.FileInfo, error) {
	if r, ok := d.lstats.Load(name); ok {
		if r := r.(statResult); r.err == nil && r.fi.Mode()&fs.ModeSymlink == 0 {
			return r.fi, nil // not a link: Stat is Lstat
		}
	}
	if err := d.missingParent("stat", name); err != nil {
		return nil, err
	}
	return d.stat(&d.stats, "stat", name, os.Stat)
}

func (d *Dir) Lstat(name string) (fs.FileInfo, error) {
	if err := d.missingParent("lstat", name); err != nil {
		return nil, err
	}
	return d.stat(&d.lstats, "lstat", name, os.Lstat)
}

// missingParent is the error of looking up name when its parent directory does not exist (the
// parent's lstat is remembered): the same question asked from every directory above a Dockerfile
// (inferContext's COPY sources) mostly ends in a few missing directories, thousands of lookups
// in a repository of 1,000 apps.
func (d *Dir) missingParent(op, name string) error {
	parent := path.Dir(name)
	if parent == "." || parent == "/" || parent == name || !filepath.IsLocal(parent) {
		return nil
	}
	if _, err := d.Lstat(parent); err != nil && errors.Is(err, fs.ErrNotExist) && !errors.Is(err, fs.ErrInvalid) {
		p, perr := d.abs(op, name)
		if perr != nil {
			return perr
		}
		return &fs.PathError{Op: op, Path: p, Err: syscall.ENOENT}
	}
	return nil
}

func (d *Dir) stat(memo *sync.Map, op, name string, stat func(string) (fs.FileInfo, error)) (fs.FileInfo, error) {
	if r, ok := memo.Load(name); ok {
		r := r.(statResult)
		return r.fi, r.err
	}
	p, err := d.abs(op, name)
	if err != nil {
		return nil, err
	}
	if w := d.walked.Load(); w != nil && w.absent(name) {
		err := &fs.PathError{Op: op, Path: p, Err: syscall.ENOENT}
		memo.Store(name, statResult{nil, err})
		return nil, err
	}
	fi, err := stat(p)
	memo.Store(name, statResult{fi, err})
	return fi, err
}

// Entry reports whether the directory dir holds an entry named exactly name, from what the last
// List read (ReadDir's answer, compared by name also where the file system ignores case); known is
// false when List did not read dir.
func (d *Dir) Entry(dir, name string) (has, known bool) {
	if w := d.walked.Load(); w != nil {
		return w.entry(dir, name)
	}
	return false, false
}

func (d *Dir) ReadLink(name string) (string, error) {
	p, err := d.abs("readlink", name)
	if err != nil {
		return "", err
	}
	return os.Readlink(p)
}

func (d *Dir) BlobID(name string) (string, bool) {
	if d.index == nil {
		return "", false
	}
	n, err := clean("blob", name)
	if err != nil || n == "." {
		return "", false
	}
	return d.index.blobID(n, d.root+string(filepath.Separator)+filepath.FromSlash(n))
}

func (d *Dir) List(ctx context.Context, skip func(string) bool) ([]string, error) {
	var lc *listCache
	if d.listFile != "" {
		lc = &listCache{file: d.listFile, scratch: d.listScratch, root: d.root, now: d.listNow}
		d.lastList = lc
		lc.begin()
	}
	out, top, err := walkTree(ctx, d.root, []string{"."}, skip, lc)
	if err != nil {
		return nil, err
	}
	if lc != nil {
		lc.finish()
	}
	if lc != nil && lc.local {
		d.walked.Store(newWalkedDirs(top[0], lc.dev))
	} else {
		d.walked.Store(nil)
	}
	return out, nil
}

// walk lists the files (regular files and symlinks) under the directories starts of root, each a
// sorted run after the other, pruning the skipped directories and the root's .git. Directories are
// read in parallel; each is sorted on its own, so the listing needs no sort of every path. With lc,
// a directory whose stat data lc has recorded is not read.
func walk(ctx context.Context, root string, starts []string, skip func(string) bool, lc *listCache) ([]string, error) {
	out, _, err := walkTree(ctx, root, starts, skip, lc)
	return out, err
}

// walkTree is walk, with the directories read.
func walkTree(ctx context.Context, root string, starts []string, skip func(string) bool, lc *listCache) ([]string, []*walkDir, error) {
	w := &walker{ctx: ctx, root: root, skip: skip, lc: lc, scratch: make(chan *scratch, walkers)}
	for range walkers {
		w.scratch <- nil // allocated on first use: a small tree needs one
	}
	nodes := make([]*walkDir, len(starts))
	for i, s := range starts {
		nodes[i] = &walkDir{rel: s, start: true}
		w.wg.Add(1)
		go w.visit(nodes[i])
	}
	w.wg.Wait()
	if w.err != nil {
		return nil, nil, w.err
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	out := make([]string, 0, w.files.Load())
	for _, n := range nodes {
		out = n.flatten(out)
	}
	return out, nodes, nil
}

// walkers is how many directories are read at once: reading blocks in the kernel, so a few more
// than the cores keep them busy.
const walkers = 8

type walker struct {
	ctx     context.Context
	root    string
	skip    func(string) bool
	lc      *listCache    // nil: no listing cache
	scratch chan *scratch // one per directory read at once
	wg      sync.WaitGroup
	files   atomic.Int64

	mu  sync.Mutex
	err error
}

// scratch is what reading one directory needs, reused from directory to directory so that the
// walk allocates only what it keeps.
type scratch struct {
	dirents []byte
	keys    []byte // the entries' names, a directory's followed by "/"
	spans   []span
	subs    []string
	paths   []byte
	others  []byte
}

// span is an entry of the directory read: its key in scratch.keys, and its index in scratch.subs
// for a directory (-1 for a file). Keys order the entries as their paths sort: "a/x" sorts after
// "a-b", as sort.Strings has them. head is the key's first 8 bytes, big-endian and zero-padded,
// which decides most comparisons without reading the key.
type span struct {
	head       uint64
	start, end uint32
	sub        int32
}

func compareSpans(keys []byte) func(a, b span) int {
	return func(a, b span) int {
		if a.head != b.head {
			if a.head < b.head {
				return -1
			}
			return 1
		}
		return bytes.Compare(keys[a.start:a.end], keys[b.start:b.end])
	}
}

func keyHead(key []byte) uint64 {
	if len(key) >= 8 {
		return binary.BigEndian.Uint64(key)
	}
	var b [8]byte
	copy(b[:], key)
	return binary.BigEndian.Uint64(b[:])
}

// walkDir is one directory read: its files' paths in order, cut from one string, and its
// subdirectories, each after the files that sort before it. Nothing here but subs holds pointers:
// 200k paths cost the GC one string per directory.
type walkDir struct {
	rel   string
	paths string
	ends  []uint32 // where each file's path ends in paths
	subs  []*walkDir
	subAt []uint32 // how many files sort before each sub
	start bool     // a directory the walk starts from (followed if a link)

	others string // "/" and the name of every other entry: skipped, the root's .git, no file
	read   bool   // the entries are known (the directory was read or its record used)
	dev    uint64 // its device, with a listing cache
}

func (n *walkDir) flatten(out []string) []string {
	start, f := uint32(0), uint32(0)
	for i := 0; ; i++ {
		upTo := uint32(len(n.ends))
		if i < len(n.subs) {
			upTo = n.subAt[i]
		}
		for ; f < upTo; f++ {
			out = append(out, n.paths[start:n.ends[f]])
			start = n.ends[f]
		}
		if i == len(n.subs) {
			return out
		}
		out = n.subs[i].flatten(out)
	}
}

func (w *walker) visit(n *walkDir) {
	defer w.wg.Done()
	if w.ctx.Err() != nil {
		return
	}
	if w.lc != nil {
		if r := w.lc.hit(n.rel, w.abs(n.rel), n.start); r != nil {
			dirFromRecord(n, r, w.skip)
			n.read, n.dev = true, r.key.dev
			w.files.Add(int64(len(n.ends)))
			w.visitSubs(n)
			return
		}
	}
	sc := <-w.scratch
	if sc == nil {
		sc = &scratch{dirents: make([]byte, 32<<10)}
	}
	err := w.read(n, sc)
	w.scratch <- sc
	if err != nil {
		if n.rel != "." && (errors.Is(err, fs.ErrPermission) || errors.Is(err, fs.ErrNotExist)) {
			return // unreadable or vanished directories hold nothing we could build from
		}
		w.mu.Lock()
		if w.err == nil {
			w.err = fmt.Errorf("searching for build definitions: %w", err)
		}
		w.mu.Unlock()
		return
	}
	w.visitSubs(n)
}

func (w *walker) visitSubs(n *walkDir) {
	for _, sub := range n.subs {
		w.wg.Add(1)
		go w.visit(sub)
	}
}

func (w *walker) abs(rel string) string {
	if rel == "." {
		return w.root
	}
	return w.root + string(filepath.Separator) + filepath.FromSlash(rel)
}

// read lists the directory n, sorted. With a listing cache, every subdirectory but the root's .git
// is recorded, skipped or not, and skip is applied to the record.
func (w *walker) read(n *walkDir, sc *scratch) error {
	dir := w.abs(n.rel)
	prefix := ""
	if n.rel != "." {
		prefix = n.rel + "/"
	}
	sc.keys, sc.spans, sc.subs, sc.others = sc.keys[:0], sc.spans[:0], sc.subs[:0], sc.others[:0]
	files, size := 0, 0
	var key *statKey
	if w.lc != nil {
		key = new(statKey)
	}
	err := readDir(dir, sc.dirents, key, func(name []byte, typ fs.FileMode) {
		start := uint32(len(sc.keys))
		sub := int32(-1)
		switch {
		case typ.IsDir():
			p := prefix + string(name)
			if p == ".git" || w.lc == nil && w.skip != nil && w.skip(p) {
				sc.others = append(append(sc.others, '/'), name...)
				return
			}
			sc.keys = append(append(sc.keys, name...), '/')
			sub = int32(len(sc.subs))
			sc.subs = append(sc.subs, p)
		case typ.IsRegular() || typ&fs.ModeSymlink != 0:
			sc.keys = append(sc.keys, name...)
			files++
			size += len(prefix) + len(name)
		default:
			sc.others = append(append(sc.others, '/'), name...)
			return
		}
		key := sc.keys[start:]
		sc.spans = append(sc.spans, span{keyHead(key), start, uint32(len(sc.keys)), sub})
	})
	if err != nil {
		return err
	}
	keys := sc.keys
	slices.SortFunc(sc.spans, compareSpans(keys))
	var b strings.Builder
	b.Grow(size)
	n.ends = make([]uint32, 0, files)
	var rec *dirRecord
	if w.lc != nil {
		rec = &dirRecord{rel: n.rel, key: *key}
	}
	if len(sc.subs) > 0 {
		if rec != nil {
			rec.subs = make([]string, 0, len(sc.subs))
			rec.subAt = make([]uint32, 0, len(sc.subs))
		} else {
			n.subs = make([]*walkDir, 0, len(sc.subs))
			n.subAt = make([]uint32, 0, len(sc.subs))
		}
	}
	for _, e := range sc.spans {
		if e.sub >= 0 {
			if rec != nil {
				rec.subs = append(rec.subs, sc.subs[e.sub])
				rec.subAt = append(rec.subAt, uint32(len(n.ends)))
			} else {
				n.subs = append(n.subs, &walkDir{rel: sc.subs[e.sub]})
				n.subAt = append(n.subAt, uint32(len(n.ends)))
			}
			continue
		}
		b.WriteString(prefix)
		b.Write(keys[e.start:e.end])
		n.ends = append(n.ends, uint32(b.Len()))
	}
	n.paths = b.String()
	n.others = string(sc.others)
	n.read = true
	if rec != nil {
		n.dev = key.dev
		rec.paths, rec.ends, rec.others = n.paths, n.ends, n.others
		dirFromRecord(n, rec, w.skip)
		w.lc.add(rec)
	}
	w.files.Add(int64(files))
	return nil
}
