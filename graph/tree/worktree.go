package tree

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// WorkTree is the work tree as git sees it. Its listing is what the disk holds plus the files a
// sparse checkout leaves out: with WithIndexRecords, a walk of the disk and the index's
// skip-worktree entries; otherwise the index and the untracked files of `git ls-files` (tracked
// directories are not walked; untracked directories and checked-out submodules are, as they hold
// files git does not list). Untracked files count whether or not .gitignore ignores them: a build
// sends what is on disk, and so the listing matches a walk of the work tree. Contents come from disk, except a path the index marks skip-worktree and the disk
// lacks (a sparse checkout, cone or not): it is read from the index's blob, so that a sparse clone
// answers as a full one.
type WorkTree struct {
	root    string
	tracked map[string]entry // stage-0 index entries the work tree has not modified or deleted
	listed  []string         // files git lists: tracked and present, skip-worktree, untracked
	walks   []string         // untracked directories and submodules, walked by List
	sparse  *index           // the skip-worktree entries
	blobs   *blobs

	modifiedC    chan map[string]bool
	modifiedOnce sync.Once
	modified     map[string]bool // tracked files the work tree changed; nil when unknown
	stat         *statIndex      // instead of modified: BlobID from the index's stat data

	// walked is set when the index was read without git: List walks the disk and adds
	// sparseListed, the skip-worktree files.
	walked                bool
	sparseListed          []string
	listFile, listScratch string           // the walk's listing cache (see WithListCache); "": none
	listNow               func() time.Time // tests: the clock the racy check reads
}

// WorkTreeOption configures NewWorkTree.
type WorkTreeOption func(*workTreeOptions)

type workTreeOptions struct {
	index                 IndexRecordsReader
	listFile, listScratch string
}

// WithListCache keeps the walk's listing in file, as Dir.ListCache does, where the index is read
// (WithIndexRecords) and the listing is a walk.
func WithListCache(file, scratch string) WorkTreeOption {
	return func(o *workTreeOptions) { o.listFile, o.listScratch = file, scratch }
}

// WithIndexRecords lets NewWorkTree read git's index itself instead of listing it through `git
// ls-files`, and answer BlobID from the index's stat data as git status does (see
// NewIndexedDir); where read declines, git lists the index.
func WithIndexRecords(read IndexRecordsReader) WorkTreeOption {
	return func(o *workTreeOptions) { o.index = read }
}

// wtRecord is one record of the work tree's listing, tagged as `git ls-files -t` tags it: H
// tracked, S skip-worktree, M unmerged, R deleted, ? untracked (a directory ends in /).
type wtRecord struct {
	tag  byte
	path string
	e    entry
	ok   bool
}

// NewWorkTree reads the index of the work tree at root (absolute). The git process it may start
// to read skip-worktree blobs ends with ctx or Close.
func NewWorkTree(ctx context.Context, root string, opts ...WorkTreeOption) (*WorkTree, error) {
	var o workTreeOptions
	for _, f := range opts {
		f(&o)
	}
	w := &WorkTree{root: root, tracked: map[string]entry{}, sparse: newIndex(), blobs: newBlobs(ctx, root)}
	if w.readIndex(o.index) {
		w.listFile, w.listScratch = o.listFile, o.listScratch
		return w, nil
	}
	return w, w.listGit(ctx)
}

// listGit lists the work tree through git: the index and the untracked files, in two processes at
// once.
func (w *WorkTree) listGit(ctx context.Context) error {
	root := w.root
	var others []byte
	var oerr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		others, oerr = gitOutput(ctx, root, "ls-files", "-z", "-t", "--others", "--directory")
	}()
	recs, err := w.lsFiles(ctx)
	<-done
	if err != nil {
		return err
	}
	if oerr != nil {
		return oerr
	}
	for line := range records(others) {
		if len(line) < 3 || line[:2] != "? " {
			return fmt.Errorf("git ls-files: unexpected %q", line)
		}
		recs = append(recs, wtRecord{tag: '?', path: line[2:]})
	}
	deleted := map[string]bool{}
	for _, r := range recs {
		if r.tag == 'R' {
			deleted[r.path] = true
		}
	}
	seen := make(map[string]bool, len(recs))
	w.tracked = make(map[string]entry, len(recs))
	w.listed = slices.Grow(w.listed, len(recs))
	for _, r := range recs {
		switch r.tag {
		case '?':
			if strings.HasSuffix(r.path, "/") {
				w.walks = append(w.walks, strings.TrimSuffix(r.path, "/"))
			} else {
				w.listed = append(w.listed, r.path)
			}
		case 'S':
			if r.ok && !r.e.sub {
				w.sparse.add(r.path, r.e)
				w.listed = append(w.listed, r.path)
			}
		case 'H', 'M':
			if !r.ok || seen[r.path] {
				continue
			}
			seen[r.path] = true
			if r.e.sub {
				w.walks = append(w.walks, r.path)
				continue
			}
			if r.tag == 'H' && !deleted[r.path] {
				w.tracked[r.path] = r.e
			}
			if !deleted[r.path] {
				w.listed = append(w.listed, r.path)
			}
		}
	}
	w.sparse.finish()
	return nil
}

// lsFiles lists the index through git: -s adds mode, blob id and stage to each record. Which files
// are modified (for BlobID) costs git a stat of every file and a hash of the racily clean ones: it
// runs beside, and only BlobID waits for it.
func (w *WorkTree) lsFiles(ctx context.Context) ([]wtRecord, error) {
	modified := make(chan map[string]bool, 1)
	go func() {
		out, err := gitOutput(ctx, w.root, "ls-files", "-z", "--modified")
		if err != nil {
			modified <- nil
			return
		}
		m := map[string]bool{}
		for _, p := range strings.Split(string(out), "\x00") {
			m[p] = true
		}
		modified <- m
	}()
	w.modifiedC = modified
	out, err := gitOutput(ctx, w.root, "ls-files", "-z", "-t", "-s", "--cached", "--deleted")
	if err != nil {
		return nil, err
	}
	n := bytes.Count(out, []byte{0}) + 1 // sized once: growing this was the cost on a 200k-file index
	recs := make([]wtRecord, 0, n)
	for line := range records(out) {
		if len(line) < 3 || line[1] != ' ' {
			return nil, fmt.Errorf("git ls-files: unexpected %q", line)
		}
		r := wtRecord{tag: line[0]}
		meta, p, ok := strings.Cut(line[2:], "\t")
		f := strings.Fields(meta)
		if !ok || len(f) != 3 {
			return nil, fmt.Errorf("git ls-files: unexpected %q", line)
		}
		r.path = p
		r.e, r.ok = gitMode(f[0], f[1])
		if f[2] != "0" {
			r.tag = 'M' // a conflict: the file on disk is what there is
		}
		recs = append(recs, r)
	}
	return recs, nil
}

// readIndex reads git's index with read, for a listing that is a walk of the disk plus the
// files the sparse checkout leaves out (the skip-worktree entries), and blob ids from the index's
// stat data, as git status trusts them: no git process. false when there is no reader or it
// declines.
func (w *WorkTree) readIndex(read IndexRecordsReader) bool {
	if read == nil {
		return false
	}
	written, ir, ok := read()
	if !ok {
		return false
	}
	// BlobID's entries: the regular files at stage 0, in the index's order. Symbolic links and
	// gitlinks git tracks are not listed from here (the walk lists the disk), so the tracked map
	// listGit builds is not needed.
	var names []string
	var files []*IndexEntry
	for i := range ir {
		x := &ir[i]
		if x.Stage != 0 {
			continue // a conflict: the file on disk is what there is
		}
		switch {
		case x.SkipWorktree:
			e, ok := gitMode(strconv.FormatUint(uint64(x.Mode), 8), x.Entry.ID)
			if ok && !e.sub {
				w.sparse.add(x.Path, e)
				w.sparseListed = append(w.sparseListed, x.Path)
			}
		case !x.IntentToAdd && (x.Mode == 0o100644 || x.Mode == 0o100755):
			if files == nil {
				names, files = make([]string, 0, len(ir)-i), make([]*IndexEntry, 0, len(ir)-i)
			}
			names, files = append(names, x.Path), append(files, &x.Entry)
		}
	}
	w.sparse.finish()
	w.walked = true
	w.stat = &statIndex{written: written, entries: NewIndexEntries(names, files)}
	w.stat.once.Do(func() {}) // loaded
	return true
}

func (w *WorkTree) Root() string { return w.root }
func (w *WorkTree) Close() error { return w.blobs.b.close() }

func (w *WorkTree) List(ctx context.Context, skip func(string) bool) ([]string, error) {
	if w.walked {
		var lc *listCache
		if w.listFile != "" {
			lc = &listCache{file: w.listFile, scratch: w.listScratch, root: w.root, now: w.listNow}
			lc.begin()
		}
		out, err := walk(ctx, w.root, []string{"."}, skip, lc)
		if err != nil {
			return nil, err
		}
		if lc != nil {
			lc.finish()
		}
		memo := map[string]bool{}
		for _, p := range w.sparseListed {
			if !underSkipped(path.Dir(p), skip, memo) {
				out = append(out, p)
			}
		}
		if len(w.sparseListed) > 0 {
			sort.Strings(out)
			out = slices.Compact(out) // a skip-worktree file the disk holds anyway
		}
		return out, nil
	}
	memo := map[string]bool{}
	out := make([]string, 0, len(w.listed))
	for _, p := range w.listed {
		if !underSkipped(path.Dir(p), skip, memo) {
			out = append(out, p)
		}
	}
	var starts []string
	for _, d := range w.walks {
		if !underSkipped(d, skip, memo) {
			starts = append(starts, d)
		}
	}
	if len(starts) > 0 {
		walked, err := walk(ctx, w.root, starts, skip, nil)
		if err != nil {
			return nil, err
		}
		out = append(out, walked...)
	} else if err := ctx.Err(); err != nil {
		return nil, err
	}
	sort.Strings(out)
	return out, nil
}

func (w *WorkTree) BlobID(name string) (string, bool) {
	n, err := clean("blob", name)
	if err != nil {
		return "", false
	}
	if w.walked {
		if e, ok := w.stat.entries.Lookup(n); ok {
			return w.stat.blobIDOf(e, w.abs(n))
		}
	} else if e, ok := w.tracked[n]; ok && e.mode.IsRegular() {
		if w.stat != nil {
			return w.stat.blobID(n, w.abs(n))
		}
		w.modifiedOnce.Do(func() { w.modified = <-w.modifiedC })
		if w.modified != nil && !w.modified[n] {
			return e.id, true
		}
		return "", false
	}
	if e, ok := w.sparse.files[n]; ok && e.mode.IsRegular() {
		if _, err := os.Lstat(w.abs(n)); errors.Is(err, fs.ErrNotExist) {
			return e.id, true
		}
	}
	return "", false
}

func (w *WorkTree) abs(n string) string {
	if n == "." {
		return w.root
	}
	return w.root + string(filepath.Separator) + filepath.FromSlash(n)
}

// fromIndex reports whether a disk error on n should be answered from the skip-worktree entries.
func (w *WorkTree) fromIndex(err error) bool {
	return len(w.sparse.files) > 0 && errors.Is(err, fs.ErrNotExist)
}

// lstatDirect is an Lstat from disk, then from the skip-worktree entries, of a name whose parents
// need no resolving there.
func (w *WorkTree) lstatDirect(n string) (fs.FileInfo, error) {
	fi, err := os.Lstat(w.abs(n))
	if err != nil && w.fromIndex(err) {
		if _, ok := w.sparse.files[n]; ok || w.sparse.isDir(n) {
			return w.sparse.lstat(w.blobs, "lstat", n, n)
		}
	}
	return fi, err
}

func (w *WorkTree) readLinkDirect(n string) (string, error) {
	t, err := os.Readlink(w.abs(n))
	if err != nil && w.fromIndex(err) {
		if _, ok := w.sparse.files[n]; ok || w.sparse.isDir(n) {
			return w.sparse.readLink(w.blobs, n, n)
		}
	}
	return t, err
}

// parentResolved is n with the symlinks of its parent directories followed, for a name the disk
// lacks (a parent may be a symlink the sparse checkout left out).
func (w *WorkTree) parentResolved(op, n string) (string, bool) {
	dir, base := splitName(n)
	if dir == "." {
		return n, false
	}
	d, err := resolve(w, op, dir)
	if err != nil || d == dir {
		return n, false
	}
	return joinName(d, base), true
}

func (w *WorkTree) Lstat(name string) (fs.FileInfo, error) {
	n, err := clean("lstat", name)
	if err != nil {
		return nil, err
	}
	fi, err := w.lstatDirect(n)
	if err == nil || !w.fromIndex(err) {
		return fi, err
	}
	r, ok := w.parentResolved("lstat", n)
	if !ok {
		return nil, err
	}
	rfi, rerr := w.lstatDirect(r)
	if rerr != nil {
		return nil, err
	}
	return &info{name: path.Base(n), mode: rfi.Mode(), size: rfi.Size}, nil
}

func (w *WorkTree) ReadLink(name string) (string, error) {
	n, err := clean("readlink", name)
	if err != nil {
		return "", err
	}
	t, err := w.readLinkDirect(n)
	if err == nil || !w.fromIndex(err) {
		return t, err
	}
	if r, ok := w.parentResolved("readlink", n); ok {
		return w.readLinkDirect(r)
	}
	return "", err
}

func (w *WorkTree) Stat(name string) (fs.FileInfo, error) {
	n, err := clean("stat", name)
	if err != nil {
		return nil, err
	}
	fi, err := os.Stat(w.abs(n))
	if err == nil || !w.fromIndex(err) {
		return fi, err
	}
	r, rerr := resolve(w, "stat", n)
	if rerr != nil {
		return nil, err
	}
	rfi, rerr := w.Lstat(r)
	if rerr != nil {
		return nil, err
	}
	return &info{name: path.Base(n), mode: rfi.Mode(), size: rfi.Size}, nil
}

func (w *WorkTree) ReadFile(name string) ([]byte, error) {
	n, err := clean("open", name)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(w.abs(n))
	if err == nil || !w.fromIndex(err) {
		return data, err
	}
	r, rerr := resolve(w, "open", n)
	if rerr != nil {
		return nil, err
	}
	if _, ok := w.sparse.files[r]; ok {
		return w.sparse.readFile(w.blobs, name, r)
	}
	if r != n {
		return os.ReadFile(w.abs(r))
	}
	return nil, err
}

// ReadFileHead reads the start of the file name into buf: n < len(buf) is the whole file. It is
// ReadFile's start, without an *os.File or the rest of a large file.
func (w *WorkTree) ReadFileHead(name string, buf []byte) (int, error) {
	n, err := clean("open", name)
	if err != nil {
		return 0, err
	}
	m, err := ReadHead(w.abs(n), buf)
	if err == nil || !w.fromIndex(err) {
		return m, err
	}
	return headOf(w.ReadFile(name))(buf)
}

// headOf is a ReadFileHead answer from ReadFile's.
func headOf(data []byte, err error) func(buf []byte) (int, error) {
	return func(buf []byte) (int, error) {
		if err != nil {
			return 0, err
		}
		return copy(buf, data), nil
	}
}

func (w *WorkTree) ReadDir(name string) ([]fs.DirEntry, error) {
	n, err := clean("open", name)
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(w.abs(n))
	if err != nil {
		if !w.fromIndex(err) {
			return nil, err
		}
		r, rerr := resolve(w, "open", n)
		switch {
		case rerr != nil:
			return nil, err
		case r != n:
			return w.ReadDir(r)
		case !w.sparse.isDir(n):
			return nil, err
		}
		return w.sparse.readDir(w.blobs, name, n)
	}
	if !w.sparse.isDir(n) {
		return entries, nil
	}
	// The directory as git has it: what is on disk, and the entries the sparse checkout left out.
	have := map[string]bool{}
	for _, e := range entries {
		have[e.Name()] = true
	}
	more, err := w.sparse.readDir(w.blobs, name, n)
	if err != nil {
		return nil, err
	}
	for _, e := range more {
		if !have[e.Name()] {
			entries = append(entries, e)
		}
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	return entries, nil
}

func (w *WorkTree) Open(name string) (fs.File, error) {
	n, err := clean("open", name)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(w.abs(n))
	if err == nil || !w.fromIndex(err) {
		return f, err
	}
	fi, err := w.Stat(n)
	if err != nil {
		return nil, err
	}
	if fi.IsDir() {
		entries, err := w.ReadDir(n)
		if err != nil {
			return nil, err
		}
		return &memDir{fi: fi, entries: entries}, nil
	}
	data, err := w.ReadFile(n)
	if err != nil {
		return nil, err
	}
	return &memFile{fi: fi, r: strings.NewReader(string(data))}, nil
}

// present reports whether n is on disk.
func (w *WorkTree) present(n string) bool {
	_, err := os.Lstat(w.abs(n))
	return err == nil
}
