package tree

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync"
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
	var out []string
	if err := walk(ctx, d.root, []string{"."}, skip, func(p string) { out = append(out, p) }); err != nil {
		return nil, err
	}
	sort.Strings(out)
	return out, nil
}

// walk walks the directories starts of root in parallel, pruning the skipped ones and the root's
// .git, and calls add (serialised) with every regular file and symlink. Only directory entries are
// read.
func walk(ctx context.Context, root string, starts []string, skip func(string) bool, add func(string)) error {
	var (
		mu    sync.Mutex
		wg    sync.WaitGroup
		first error
	)
	sem := make(chan struct{}, 8)
	var visit func(rel string)
	visit = func(rel string) {
		defer wg.Done()
		if ctx.Err() != nil {
			return
		}
		sem <- struct{}{}
		entries, err := readDirUnsorted(filepath.Join(root, filepath.FromSlash(rel)))
		<-sem
		if err != nil {
			if rel != "." && (errors.Is(err, fs.ErrPermission) || errors.Is(err, fs.ErrNotExist)) {
				return // unreadable or vanished directories hold nothing we could build from
			}
			mu.Lock()
			if first == nil {
				first = fmt.Errorf("searching for build definitions: %w", err)
			}
			mu.Unlock()
			return
		}
		for _, e := range entries {
			p := joinName(rel, e.Name())
			if e.IsDir() {
				if p == ".git" || skip != nil && skip(p) {
					continue
				}
				wg.Add(1)
				go visit(p)
				continue
			}
			if e.Type().IsRegular() || e.Type()&fs.ModeSymlink != 0 {
				mu.Lock()
				add(p)
				mu.Unlock()
			}
		}
	}
	for _, s := range starts {
		wg.Add(1)
		go visit(s)
	}
	wg.Wait()
	if first != nil {
		return first
	}
	return ctx.Err()
}

// readDirUnsorted is os.ReadDir without the sort: the listing is sorted once at the end.
func readDirUnsorted(dir string) ([]fs.DirEntry, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	entries, err := f.ReadDir(-1)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return entries, err
}
