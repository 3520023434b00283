package tree

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// Dir is a plain directory read from the OS, listed by a walk: a repository without git, or one the
// go-git engine reads (go-git has no cheap listing of the index with its sparse bits).
type Dir struct {
	root  string
	index *statIndex // nil: no blob ids
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
	return os.ReadFile(p)
}

func (d *Dir) ReadDir(name string) ([]fs.DirEntry, error) {
	p, err := d.abs("open", name)
	if err != nil {
		return nil, err
	}
	return os.ReadDir(p)
}

func (d *Dir) Stat(name string) (fs.FileInfo, error) {
	p, err := d.abs("stat", name)
	if err != nil {
		return nil, err
	}
	return os.Stat(p)
}

func (d *Dir) Lstat(name string) (fs.FileInfo, error) {
	p, err := d.abs("lstat", name)
	if err != nil {
		return nil, err
	}
	return os.Lstat(p)
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
	return walk(ctx, d.root, []string{"."}, skip)
}

// walk lists the files (regular files and symlinks) under the directories starts of root, each a
// sorted run after the other, pruning the skipped directories and the root's .git. Directories are
// read in parallel; each is sorted on its own, so the listing needs no sort of every path.
func walk(ctx context.Context, root string, starts []string, skip func(string) bool) ([]string, error) {
	w := &walker{ctx: ctx, root: root, skip: skip, bufs: make(chan []byte, walkers)}
	for range walkers {
		w.bufs <- nil // allocated on first use: a small tree needs one
	}
	nodes := make([]*walkDir, len(starts))
	for i, s := range starts {
		nodes[i] = &walkDir{rel: s}
		w.wg.Add(1)
		go w.visit(nodes[i])
	}
	w.wg.Wait()
	if w.err != nil {
		return nil, w.err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := make([]string, 0, w.files.Load())
	for _, n := range nodes {
		out = n.flatten(out)
	}
	return out, nil
}

// walkers is how many directories are read at once: reading blocks in the kernel, so a few more
// than the cores keep them busy.
const walkers = 8

type walker struct {
	ctx   context.Context
	root  string
	skip  func(string) bool
	bufs  chan []byte // the read buffers, one per directory read at once
	wg    sync.WaitGroup
	files atomic.Int64

	mu  sync.Mutex
	err error
}

// walkDir is one directory read: its files and subdirectories in path order.
type walkDir struct {
	rel     string
	entries []walkEntry
}

// walkEntry is a file (path set) or a subdirectory (sub set). key orders the entries as their paths
// sort: a directory's name is followed by "/", so that "a/x" sorts after "a-b" as sort.Strings would.
type walkEntry struct {
	key  string
	path string
	sub  *walkDir
}

func (n *walkDir) flatten(out []string) []string {
	for _, e := range n.entries {
		if e.sub != nil {
			out = e.sub.flatten(out)
		} else {
			out = append(out, e.path)
		}
	}
	return out
}

func (w *walker) visit(n *walkDir) {
	defer w.wg.Done()
	if w.ctx.Err() != nil {
		return
	}
	buf := <-w.bufs
	if buf == nil {
		buf = make([]byte, 32<<10)
	}
	err := w.read(n, buf)
	w.bufs <- buf
	if err != nil {
		if n.rel != "." && (errors.Is(err, fs.ErrPermission) || errors.Is(err, fs.ErrNotExist)) {
			n.entries = nil
			return // unreadable or vanished directories hold nothing we could build from
		}
		w.mu.Lock()
		if w.err == nil {
			w.err = fmt.Errorf("searching for build definitions: %w", err)
		}
		w.mu.Unlock()
		return
	}
	slices.SortFunc(n.entries, func(a, b walkEntry) int { return strings.Compare(a.key, b.key) })
	for _, e := range n.entries {
		if e.sub != nil {
			w.wg.Add(1)
			go w.visit(e.sub)
		}
	}
}

// read lists the directory n: the paths of its files are cut from one string, one allocation for
// the directory rather than one per file.
func (w *walker) read(n *walkDir, dirents []byte) error {
	dir := w.root
	prefix := ""
	if n.rel != "." {
		dir = w.root + string(filepath.Separator) + filepath.FromSlash(n.rel)
		prefix = n.rel + "/"
	}
	var buf []byte
	type file struct{ start, end int }
	var files []file
	var subs []string
	err := readDir(dir, dirents, func(name []byte, typ fs.FileMode) {
		switch {
		case typ.IsDir():
			p := prefix + string(name)
			if p == ".git" || w.skip != nil && w.skip(p) {
				return
			}
			subs = append(subs, p)
		case typ.IsRegular() || typ&fs.ModeSymlink != 0:
			start := len(buf)
			buf = append(buf, prefix...)
			buf = append(buf, name...)
			files = append(files, file{start, len(buf)})
		}
	})
	if err != nil {
		return err
	}
	all := string(buf)
	n.entries = make([]walkEntry, 0, len(files)+len(subs))
	for _, f := range files {
		p := all[f.start:f.end]
		n.entries = append(n.entries, walkEntry{key: p[len(prefix):], path: p})
	}
	for _, p := range subs {
		n.entries = append(n.entries, walkEntry{key: p[len(prefix):] + "/", sub: &walkDir{rel: p}})
	}
	w.files.Add(int64(len(files)))
	return nil
}
