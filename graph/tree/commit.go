package tree

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// Commit is the tree of one commit, read from git objects: the listing from one `git ls-tree`, the
// contents lazily through one `git cat-file` process, so a blob the clone lacks is an error only
// when something opens it. Submodules are empty directories, as in a checkout.
type Commit struct {
	root  string
	rev   string
	x     *index
	blobs *blobs
	// clean are the regular files whose blob the work tree holds unmodified (the index has the
	// same blob, and git finds the file unchanged): they are read from disk, which costs no
	// inflating of git objects.
	clean map[string]bool
	// disk, when set, tells the clean files lazily instead, from git's index and each file's
	// stat data (see NewIndexedDir): no git process stats the whole work tree first.
	disk *statIndex
	// records, when set, reads the index's entries for the listing instead of `git ls-files`.
	records IndexRecordsReader
}

// CommitOption configures NewCommit.
type CommitOption func(*Commit)

// WithWorkTreeIndex reads a file the work tree holds unmodified (its index entry has the commit's
// blob and its stat data vouch for it, as for NewIndexedDir) from disk, deciding file by file,
// instead of asking git which files are modified before the first read.
func WithWorkTreeIndex(read IndexReader) CommitOption {
	return func(c *Commit) { c.disk = &statIndex{read: read} }
}

// WithIndexListing reads git's index for the commit's listing (its entries, with what `git
// diff-index --cached` says differs put back) rather than starting `git ls-files` for it; where
// read cannot (a split or sparse index), git is asked.
func WithIndexListing(read IndexRecordsReader) CommitOption {
	return func(c *Commit) { c.records = read }
}

// NewCommit lists the tree of rev in the repository at root. The git process it starts ends with
// ctx or Close.
func NewCommit(ctx context.Context, root, rev string, opts ...CommitOption) (*Commit, error) {
	c := &Commit{root: root, rev: rev, clean: map[string]bool{}}
	for _, o := range opts {
		o(c)
	}
	var clean map[string]string
	done := make(chan struct{})
	go func() {
		defer close(done)
		if c.disk == nil {
			clean = cleanBlobs(ctx, root)
		}
	}()
	x := newIndex()
	err := listCommit(ctx, root, rev, x, c.records)
	<-done
	if err != nil {
		return nil, err
	}
	x.finish()
	c.x, c.blobs = x, newBlobs(ctx, root)
	for p, id := range clean {
		if e, ok := x.files[p]; ok && e.id == id && e.mode.IsRegular() {
			c.clean[p] = true
		}
	}
	return c, nil
}

// cleanBlobs maps the regular files of the work tree at root that git finds unmodified to their
// blob ids; nil when there is no work tree.
func cleanBlobs(ctx context.Context, root string) map[string]string {
	var modified []byte
	var merr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		modified, merr = gitOutput(ctx, root, "ls-files", "-z", "--modified")
	}()
	staged, err := gitOutput(ctx, root, "ls-files", "-z", "-s", "-t", "--cached")
	<-done
	if err != nil || merr != nil {
		return nil
	}
	changed := map[string]bool{}
	for _, p := range bytes.Split(modified, []byte{0}) {
		changed[string(p)] = true
	}
	out := map[string]string{}
	for _, rec := range bytes.Split(staged, []byte{0}) {
		// "H 100644 <id> 0\t<path>": tracked, stage 0, not skip-worktree (S).
		meta, p, ok := strings.Cut(string(rec), "\t")
		f := strings.Fields(meta)
		if !ok || len(f) != 4 || f[0] != "H" || f[3] != "0" || (f[1] != "100644" && f[1] != "100755") || changed[p] {
			continue
		}
		out[p] = f[2]
	}
	return out
}

// onDisk reports whether the work tree holds the commit's regular file r unmodified, by the index.
func (c *Commit) onDisk(r string) bool {
	if c.disk == nil {
		return false
	}
	e, ok := c.x.files[r]
	if !ok || !e.mode.IsRegular() {
		return false
	}
	id, ok := c.disk.blobID(r, filepath.Join(c.root, filepath.FromSlash(r)))
	return ok && id == e.id
}

func (c *Commit) Root() string { return c.root }

// ID is the commit's object id when the view was made from one (not from a ref or the index),
// and so always reads the same tree.
func (c *Commit) ID() (string, bool) {
	if len(c.rev) != 40 && len(c.rev) != 64 {
		return "", false
	}
	for _, r := range c.rev {
		if !('0' <= r && r <= '9' || 'a' <= r && r <= 'f') {
			return "", false
		}
	}
	return c.rev, true
}
func (c *Commit) Close() error { return c.blobs.b.close() }

func (c *Commit) List(ctx context.Context, skip func(string) bool) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return c.x.list(skip), nil
}

func (c *Commit) BlobID(name string) (string, bool) {
	n, err := clean("blob", name)
	if err != nil {
		return "", false
	}
	e, ok := c.x.files[n]
	if !ok || e.sub || e.mode&fs.ModeSymlink != 0 {
		return "", false
	}
	return e.id, true
}

// parentResolved is n with the symlinks of its parent directories followed: what Lstat and
// ReadLink look up.
func (c *Commit) parentResolved(op, n string) (string, error) {
	if _, ok := c.x.files[n]; ok || c.x.isDir(n) {
		return n, nil
	}
	dir, base := splitName(n)
	if dir == "." {
		return n, nil
	}
	d, err := resolve(c, op, dir)
	if err != nil {
		return "", err
	}
	return joinName(d, base), nil
}

func (c *Commit) Lstat(name string) (fs.FileInfo, error) {
	n, err := clean("lstat", name)
	if err != nil {
		return nil, err
	}
	if n, err = c.parentResolved("lstat", n); err != nil {
		return nil, err
	}
	fi, err := c.x.lstat(c.blobs, "lstat", name, n)
	if err == nil && n != name {
		return &info{name: path.Base(name), mode: fi.Mode(), size: fi.Size}, nil
	}
	return fi, err
}

func (c *Commit) ReadLink(name string) (string, error) {
	n, err := clean("readlink", name)
	if err != nil {
		return "", err
	}
	if n, err = c.parentResolved("readlink", n); err != nil {
		return "", err
	}
	return c.x.readLink(c.blobs, name, n)
}

func (c *Commit) Stat(name string) (fs.FileInfo, error) {
	n, err := clean("stat", name)
	if err != nil {
		return nil, err
	}
	r, err := resolve(c, "stat", n)
	if err != nil {
		return nil, err
	}
	fi, err := c.x.lstat(c.blobs, "stat", name, r)
	if err != nil {
		return nil, err
	}
	if r != n { // the name stays the one asked for, as os.Stat's
		return &info{name: path.Base(n), mode: fi.Mode(), size: fi.Size}, nil
	}
	return fi, nil
}

func (c *Commit) ReadFile(name string) ([]byte, error) {
	n, err := clean("open", name)
	if err != nil {
		return nil, err
	}
	r, err := resolve(c, "open", n)
	if err != nil {
		return nil, err
	}
	if c.clean[r] || c.onDisk(r) {
		if data, err := os.ReadFile(filepath.Join(c.root, filepath.FromSlash(r))); err == nil {
			return data, nil
		}
	}
	return c.x.readFile(c.blobs, name, r)
}

func (c *Commit) ReadDir(name string) ([]fs.DirEntry, error) {
	n, err := clean("readdir", name)
	if err != nil {
		return nil, err
	}
	r, err := resolve(c, "readdir", n)
	if err != nil {
		return nil, err
	}
	return c.x.readDir(c.blobs, name, r)
}

func (c *Commit) Open(name string) (fs.File, error) {
	fi, err := c.Stat(name)
	if err != nil {
		return nil, err
	}
	if fi.IsDir() {
		entries, err := c.ReadDir(name)
		if err != nil {
			return nil, err
		}
		return &memDir{fi: fi, entries: entries}, nil
	}
	data, err := c.ReadFile(name)
	if err != nil {
		return nil, err
	}
	return &memFile{fi: fi, r: strings.NewReader(string(data))}, nil
}

// lstat is the info of the entry n (asked for as name), without following a symlink.
func (x *index) lstat(b *blobs, op, name, n string) (fs.FileInfo, error) {
	if e, ok := x.files[n]; ok {
		fi := &info{name: path.Base(n), mode: e.mode}
		if !e.sub {
			id := e.id
			fi.size = func() int64 { return b.size(id) }
		}
		return fi, nil
	}
	if x.isDir(n) {
		return &info{name: path.Base(n), mode: fs.ModeDir | 0o755}, nil
	}
	return nil, &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
}

func (x *index) readLink(b *blobs, name, n string) (string, error) {
	e, ok := x.files[n]
	if !ok {
		if x.isDir(n) {
			return "", &fs.PathError{Op: "readlink", Path: name, Err: fs.ErrInvalid}
		}
		return "", &fs.PathError{Op: "readlink", Path: name, Err: fs.ErrNotExist}
	}
	if e.mode&fs.ModeSymlink == 0 {
		return "", &fs.PathError{Op: "readlink", Path: name, Err: fs.ErrInvalid}
	}
	d, err := b.read(n, e.id)
	if err != nil {
		return "", &fs.PathError{Op: "readlink", Path: name, Err: err}
	}
	return string(d), nil
}

// readFile reads the resolved entry n (asked for as name).
func (x *index) readFile(b *blobs, name, n string) ([]byte, error) {
	e, ok := x.files[n]
	if !ok || e.sub {
		if ok || x.isDir(n) {
			return nil, &fs.PathError{Op: "read", Path: name, Err: errIsDir}
		}
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	d, err := b.read(n, e.id)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	return append([]byte(nil), d...), nil // the caller may change its copy
}

func (x *index) readDir(b *blobs, name, n string) ([]fs.DirEntry, error) {
	if e, ok := x.files[n]; ok && e.sub {
		return []fs.DirEntry{}, nil
	}
	names, ok := x.dirs[n]
	if !ok {
		if _, isFile := x.files[n]; isFile {
			return nil, &fs.PathError{Op: "readdir", Path: name, Err: errNotDir}
		}
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	out := make([]fs.DirEntry, 0, len(names))
	for _, nm := range names {
		fi, err := x.lstat(b, "readdir", name, joinName(n, nm))
		if err != nil {
			return nil, err
		}
		out = append(out, dirEntry{fi})
	}
	return out, nil
}

func joinName(dir, name string) string {
	if dir == "." {
		return name
	}
	return dir + "/" + name
}

// NewIndex is the tree the index holds (what is staged), read as a commit is: for a pre-commit
// hook that must see only what is staged. Unmerged paths are left out, as git checkout-index
// leaves them.
func NewIndex(ctx context.Context, root string) (*Commit, error) {
	out, err := gitOutput(ctx, root, "ls-files", "-z", "-s", "--cached")
	if err != nil {
		return nil, err
	}
	x := newIndex()
	for rec := range records(out) {
		meta, p, ok := strings.Cut(rec, "\t")
		f := strings.Fields(meta)
		if !ok || len(f) != 3 {
			return nil, fmt.Errorf("git ls-files: unexpected %q", rec)
		}
		if e, ok := gitMode(f[0], f[1]); ok && f[2] == "0" {
			x.add(p, e)
		}
	}
	x.finish()
	return &Commit{root: root, rev: ":", x: x, blobs: newBlobs(ctx, root)}, nil
}
