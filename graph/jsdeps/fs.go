package jsdeps

import (
	"io/fs"
	"os"
)

// FS is what a workspace load reads, with absolute OS paths: the OS by default, or a view of the
// repository (a commit, a sparse work tree).
type FS interface {
	ReadFile(name string) ([]byte, error)
	Stat(name string) (fs.FileInfo, error)
	ReadDir(name string) ([]fs.DirEntry, error)
	// DirFS is the directory dir as an fs.FS, for globbing workspace patterns.
	DirFS(dir string) fs.FS
}

// WithFS reads the repository through fsys instead of the OS.
func WithFS(fsys FS) Option { return func(o *options) { o.fs = fsys } }

// files is what o reads through.
func (o *options) files() files {
	if o == nil || o.fs == nil {
		return files{osFS{}}
	}
	return files{o.fs}
}

type osFS struct{}

func (osFS) ReadFile(name string) ([]byte, error)       { return os.ReadFile(name) }
func (osFS) Stat(name string) (fs.FileInfo, error)      { return os.Stat(name) }
func (osFS) ReadDir(name string) ([]fs.DirEntry, error) { return os.ReadDir(name) }
func (osFS) DirFS(dir string) fs.FS                     { return os.DirFS(dir) }

// files is an FS with the checks the loader makes.
type files struct{ FS }

func (f files) isFile(p string) bool {
	fi, err := f.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

func (f files) isDir(p string) bool {
	fi, err := f.Stat(p)
	return err == nil && fi.IsDir()
}
