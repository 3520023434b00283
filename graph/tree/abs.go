package tree

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Abs reads absolute OS paths: those under the view's root through the view, any other (the Go
// module cache, a file outside the repository) from the OS. It lets code that works with absolute
// paths read a view by replacing os.ReadFile with Abs.ReadFile. The zero Abs reads the OS.
type Abs struct{ v View }

// AbsOf is the Abs of v; nil reads the OS.
func AbsOf(v View) Abs { return Abs{v} }

// View is the view Abs reads, or nil.
func (a Abs) View() View { return a.v }

// rel is name relative to the view's root, when it is under it.
func (a Abs) rel(name string) (string, bool) {
	if a.v == nil {
		return "", false
	}
	root := a.v.Root()
	if name == root {
		return ".", true
	}
	r, ok := strings.CutPrefix(name, root+string(filepath.Separator))
	if !ok {
		return "", false
	}
	r = filepath.ToSlash(filepath.Clean(r))
	if r == ".." || strings.HasPrefix(r, "../") {
		return "", false
	}
	return r, true
}

func (a Abs) ReadFile(name string) ([]byte, error) {
	if r, ok := a.rel(name); ok {
		return a.v.ReadFile(r)
	}
	return os.ReadFile(name)
}

// ReadFileHead reads the start of the file name into buf: n < len(buf) is the whole file. A
// large file's start is read without the rest where the view reads the disk.
func (a Abs) ReadFileHead(name string, buf []byte) (int, error) {
	r, ok := a.rel(name)
	if !ok {
		return ReadHead(name, buf)
	}
	if h, ok := a.v.(interface {
		ReadFileHead(string, []byte) (int, error)
	}); ok {
		return h.ReadFileHead(r, buf)
	}
	return headOf(a.v.ReadFile(r))(buf)
}

func (a Abs) Stat(name string) (fs.FileInfo, error) {
	if r, ok := a.rel(name); ok {
		return a.v.Stat(r)
	}
	return os.Stat(name)
}

func (a Abs) Lstat(name string) (fs.FileInfo, error) {
	if r, ok := a.rel(name); ok {
		return a.v.Lstat(r)
	}
	return os.Lstat(name)
}

func (a Abs) Readlink(name string) (string, error) {
	if r, ok := a.rel(name); ok {
		return a.v.ReadLink(r)
	}
	return os.Readlink(name)
}

// Entry reports whether the directory dir holds an entry named exactly name, when the view knows
// without reading dir (a Dir after its List); known is false otherwise.
func (a Abs) Entry(dir, name string) (has, known bool) {
	r, ok := a.rel(dir)
	if !ok {
		return false, false
	}
	if e, ok := a.v.(interface {
		Entry(dir, name string) (bool, bool)
	}); ok {
		return e.Entry(r, name)
	}
	return false, false
}

func (a Abs) ReadDir(name string) ([]fs.DirEntry, error) {
	if r, ok := a.rel(name); ok {
		return a.v.ReadDir(r)
	}
	return os.ReadDir(name)
}

// WalkDir is filepath.WalkDir; paths under the view's root are walked in the view.
func (a Abs) WalkDir(root string, fn fs.WalkDirFunc) error {
	r, ok := a.rel(root)
	if !ok {
		return filepath.WalkDir(root, fn)
	}
	base := a.v.Root()
	return fs.WalkDir(a.v, r, func(p string, d fs.DirEntry, err error) error {
		abs := base
		if p != "." {
			abs = base + string(filepath.Separator) + filepath.FromSlash(p)
		}
		return fn(abs, d, err)
	})
}

// Glob returns the absolute paths under the directory dir that match the slash-separated
// pattern (path.Match syntax, relative to dir), sorted, as filepath.Glob of dir quoted and the
// pattern would.
func (a Abs) Glob(dir, pattern string) ([]string, error) {
	r, ok := a.rel(dir)
	if !ok {
		return filepath.Glob(quoteMeta(dir) + string(filepath.Separator) + filepath.FromSlash(pattern))
	}
	rel := pattern
	if r != "." {
		rel = quoteMeta(r) + "/" + pattern
	}
	ms, err := fs.Glob(a.v, rel)
	if err != nil {
		return nil, err
	}
	base := a.v.Root()
	for i, m := range ms {
		ms[i] = base + string(filepath.Separator) + filepath.FromSlash(m)
	}
	return ms, nil
}

// quoteMeta escapes the characters of s that filepath.Match treats specially.
func quoteMeta(s string) string {
	var b strings.Builder
	for _, c := range s {
		if strings.ContainsRune(`*?[\`, c) {
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// DirFS is the directory dir as an fs.FS: a sub-tree of the view, or os.DirFS outside it.
func (a Abs) DirFS(dir string) fs.FS {
	r, ok := a.rel(dir)
	if !ok {
		return os.DirFS(dir)
	}
	if r == "." {
		return a.v
	}
	sub, err := fs.Sub(a.v, r)
	if err != nil {
		return os.DirFS(dir)
	}
	return sub
}
