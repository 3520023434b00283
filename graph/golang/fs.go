package golang

import (
	"io/fs"
	"os"
	"path/filepath"

	"github.com/monoctx/monoctx/graph/tree"
)

// FS is what the analysis reads, with absolute OS paths: the OS by default, or a view of the
// repository (a commit, a sparse work tree) that answers for the paths under its root and reads
// the module cache from the OS.
type FS interface {
	ReadFile(name string) ([]byte, error)
	Stat(name string) (fs.FileInfo, error)
	Lstat(name string) (fs.FileInfo, error)
	ReadDir(name string) ([]fs.DirEntry, error)
	WalkDir(root string, fn fs.WalkDirFunc) error
	// Glob returns the paths under dir matching the slash-separated pattern (path.Match syntax).
	Glob(dir, pattern string) ([]string, error)
}

// WithFS reads the repository through fsys instead of the OS.
func WithFS(fsys FS) Option { return func(c *config) { c.fs = fsys } }

// osFS reads the OS.
type osFS struct{}

func (osFS) ReadFile(name string) ([]byte, error)         { return os.ReadFile(name) }
func (osFS) Open(name string) (fs.File, error)            { return os.Open(name) }
func (osFS) Stat(name string) (fs.FileInfo, error)        { return os.Stat(name) }
func (osFS) Lstat(name string) (fs.FileInfo, error)       { return os.Lstat(name) }
func (osFS) ReadDir(name string) ([]fs.DirEntry, error)   { return os.ReadDir(name) }
func (osFS) WalkDir(root string, fn fs.WalkDirFunc) error { return filepath.WalkDir(root, fn) }
func (osFS) Glob(dir, pattern string) ([]string, error) {
	return filepath.Glob(quoteGlob(dir) + string(filepath.Separator) + filepath.FromSlash(pattern))
}

// ReadFileHead reads the start of a file: what the imports need of a large Go file.
func (osFS) ReadFileHead(name string, buf []byte) (int, error) { return tree.ReadHead(name, buf) }
