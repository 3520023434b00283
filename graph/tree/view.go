package tree

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"
	"time"
)

// View is a read-only file system of one repository tree. Names are repo-relative and
// slash-separated ("." is the root); Stat follows symlinks within the tree, Lstat and ReadLink do
// not. Errors wrap fs.ErrNotExist for what the tree does not hold.
type View interface {
	fs.ReadFileFS
	fs.ReadDirFS
	fs.StatFS
	fs.ReadLinkFS

	// Root is the absolute directory of the repository the view is of: the work tree's root, also
	// for a commit (so names, messages and the Go module cache resolve as in a checkout).
	Root() string
	// List returns every file of the tree (regular files and symlinks; not directories, not
	// submodules' gitlinks), sorted. skip, when set, prunes a directory and everything under it.
	List(ctx context.Context, skip func(dir string) bool) ([]string, error)
	// BlobID is git's blob id of the file name when git already knows it (a commit's blob, an index
	// entry the work tree has not modified); false otherwise (untracked, modified, a plain
	// directory). A cache may key on it.
	BlobID(name string) (string, bool)
	// Close releases what the view holds (a git process); the view is unusable afterwards.
	Close() error
}

// clean checks a name as io/fs wants it: unrooted, slash-separated, without "." or ".." elements
// (except "." for the root).
func clean(op, name string) (string, error) {
	if !fs.ValidPath(name) {
		return "", &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	return name, nil
}

// splitName is the directory and base of a valid name.
func splitName(n string) (dir, base string) {
	i := strings.LastIndexByte(n, '/')
	if i < 0 {
		return ".", n
	}
	return n[:i], n[i+1:]
}

// entry is one path of a tree git knows: a blob (file or symlink), a gitlink or a directory.
type entry struct {
	mode fs.FileMode // fs.ModeDir, fs.ModeSymlink, or permission bits of a regular file
	id   string      // blob id; "" for directories
	sub  bool        // a submodule's gitlink: an empty directory
}

// gitMode turns git's octal mode into an entry.
func gitMode(mode, id string) (entry, bool) {
	switch mode {
	case "100644":
		return entry{mode: 0o644, id: id}, true
	case "100755":
		return entry{mode: 0o755, id: id}, true
	case "120000":
		return entry{mode: fs.ModeSymlink | 0o777, id: id}, true
	case "160000":
		return entry{mode: fs.ModeDir | 0o755, id: id, sub: true}, true
	}
	return entry{}, false
}

// index is an in-memory tree of git entries: files by path, and the sorted children of each
// directory.
type index struct {
	files map[string]entry
	dirs  map[string][]string
}

func newIndex() *index {
	return &index{files: map[string]entry{}, dirs: map[string][]string{".": nil}}
}

// add records p and its parent directories; finish must be called once all are added.
func (x *index) add(p string, e entry) {
	x.files[p] = e
	for {
		dir, name := path.Split(p)
		dir = strings.TrimSuffix(dir, "/")
		if dir == "" {
			dir = "."
		}
		_, seen := x.dirs[dir]
		x.dirs[dir] = append(x.dirs[dir], name)
		if seen || dir == "." {
			return
		}
		p = dir
	}
}

func (x *index) finish() {
	for d, names := range x.dirs {
		sort.Strings(names)
		x.dirs[d] = names
	}
}

func (x *index) isDir(p string) bool {
	_, ok := x.dirs[p]
	return ok
}

// list returns the blobs of x, sorted, without those under a skipped directory.
func (x *index) list(skip func(string) bool) []string {
	out := make([]string, 0, len(x.files))
	pruned := map[string]bool{}
	for p, e := range x.files {
		if e.sub || underSkipped(path.Dir(p), skip, pruned) {
			continue
		}
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// underSkipped reports whether dir or one of its ancestors is skipped, memoised per directory.
func underSkipped(dir string, skip func(string) bool, memo map[string]bool) bool {
	if skip == nil || dir == "." || dir == "" {
		return false
	}
	if v, ok := memo[dir]; ok {
		return v
	}
	v := underSkipped(path.Dir(dir), skip, memo) || skip(dir)
	memo[dir] = v
	return v
}

// info is the fs.FileInfo of a tree entry. size is read only when asked for: a commit's sizes
// would otherwise cost a look-up of every blob.
type info struct {
	name string
	mode fs.FileMode
	size func() int64
}

func (i *info) Name() string       { return i.name }
func (i *info) Mode() fs.FileMode  { return i.mode }
func (i *info) ModTime() time.Time { return time.Time{} }
func (i *info) IsDir() bool        { return i.mode.IsDir() }
func (i *info) Sys() any           { return nil }
func (i *info) Size() int64 {
	if i.size == nil {
		return 0
	}
	return i.size()
}

type dirEntry struct{ fi fs.FileInfo }

func (d dirEntry) Name() string               { return d.fi.Name() }
func (d dirEntry) IsDir() bool                { return d.fi.IsDir() }
func (d dirEntry) Type() fs.FileMode          { return d.fi.Mode().Type() }
func (d dirEntry) Info() (fs.FileInfo, error) { return d.fi, nil }

// memFile is an opened file whose content is in memory.
type memFile struct {
	fi fs.FileInfo
	r  *strings.Reader
}

func (f *memFile) Stat() (fs.FileInfo, error) { return f.fi, nil }
func (f *memFile) Read(b []byte) (int, error) { return f.r.Read(b) }
func (f *memFile) Close() error               { return nil }

// memDir is an opened directory.
type memDir struct {
	fi      fs.FileInfo
	entries []fs.DirEntry
	off     int
}

func (d *memDir) Stat() (fs.FileInfo, error) { return d.fi, nil }
func (d *memDir) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.fi.Name(), Err: errors.New("is a directory")}
}
func (d *memDir) Close() error { return nil }
func (d *memDir) ReadDir(n int) ([]fs.DirEntry, error) {
	rest := d.entries[d.off:]
	if n <= 0 {
		d.off = len(d.entries)
		return rest, nil
	}
	if len(rest) == 0 {
		return nil, io.EOF
	}
	if n > len(rest) {
		n = len(rest)
	}
	d.off += n
	return rest[:n], nil
}

// linker is what resolving symlinks needs of a view.
type linker interface {
	Lstat(name string) (fs.FileInfo, error)
	ReadLink(name string) (string, error)
}

// errLoop is returned for a chain of symlinks longer than the kernel follows.
var errLoop = errors.New("too many levels of symbolic links")

// resolve follows the symlinks of name, component by component, to a name without any, within the
// tree: a link whose target leaves the tree (absolute, or up from the root) resolves to nothing.
func resolve(v linker, op, name string) (string, error) {
	hops := 0
	done := "."
	rest := name
	for rest != "" && rest != "." {
		var comp string
		comp, rest, _ = strings.Cut(rest, "/")
		next := comp
		if done != "." {
			next = done + "/" + comp
		}
		fi, err := lstatDirect(v, next)
		if err != nil {
			return "", &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			done = next
			continue
		}
		if hops++; hops > 40 {
			return "", &fs.PathError{Op: op, Path: name, Err: errLoop}
		}
		target, err := v.ReadLink(next)
		if err != nil {
			return "", &fs.PathError{Op: op, Path: name, Err: err}
		}
		if strings.HasPrefix(target, "/") {
			return "", &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
		}
		t := path.Join(done, target)
		if t == ".." || strings.HasPrefix(t, "../") {
			return "", &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
		}
		// The target's components are resolved again, from the root.
		if rest != "" {
			t = t + "/" + rest
		}
		done, rest = ".", t
	}
	return done, nil
}

var (
	errIsDir  = errors.New("is a directory")
	errNotDir = errors.New("not a directory")
)

// OnDisk reports whether v reads name from the OS at v.Root()/name, so that a library that opens
// files itself (compose-go) sees what the view would: always for a Dir, for a WorkTree unless the
// file is one a sparse checkout left out, never for a Commit.
func OnDisk(v View, name string) bool {
	if w, ok := v.(Wrapper); ok {
		return OnDisk(w.Unwrap(), name)
	}
	switch v := v.(type) {
	case *Dir:
		return true
	case *WorkTree:
		n, err := clean("lstat", name)
		if err != nil {
			return false
		}
		_, sparse := v.sparse.files[n]
		return !sparse || v.present(n)
	}
	return false
}

// Wrapper is a view that reads through another (recording what it reads, say): OnDisk answers
// for the view it wraps.
type Wrapper interface {
	View
	Unwrap() View
}

// lstatDirect is an Lstat of a name whose parent is already resolved: it must not resolve again.
func lstatDirect(v linker, n string) (fs.FileInfo, error) {
	switch v := v.(type) {
	case *Commit:
		return v.x.lstat(v.blobs, "lstat", n, n)
	case *WorkTree:
		return v.lstatDirect(n)
	}
	return v.Lstat(n)
}
