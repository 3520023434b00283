package tree

import (
	"context"
	"io/fs"
	"sort"
	"strings"
)

// Mem is a tree held in memory: the files given, and a listing that may name more (the files of
// another tree that stand for this one's, as affected's base definitions use the head's).
type Mem struct {
	root  string
	x     *index
	data  map[string][]byte
	names []string
}

// NewMem is the tree of files (repo-relative names and contents) of the repository at root, listed
// as list (nil: the files).
func NewMem(root string, files map[string][]byte, list []string) *Mem {
	m := &Mem{root: root, x: newIndex(), data: files}
	for p := range files {
		m.x.add(p, entry{mode: 0o644})
	}
	m.x.finish()
	if list == nil {
		for p := range files {
			list = append(list, p)
		}
	}
	m.names = append([]string(nil), list...)
	sort.Strings(m.names)
	return m
}

func (m *Mem) Root() string                 { return m.root }
func (m *Mem) Close() error                 { return nil }
func (m *Mem) BlobID(string) (string, bool) { return "", false }

func (m *Mem) List(ctx context.Context, skip func(string) bool) ([]string, error) {
	memo := map[string]bool{}
	var out []string
	for _, p := range m.names {
		if !underSkipped(dirOf(p), skip, memo) {
			out = append(out, p)
		}
	}
	return out, ctx.Err()
}

func dirOf(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[:i]
	}
	return "."
}

func (m *Mem) Lstat(name string) (fs.FileInfo, error) {
	n, err := clean("lstat", name)
	if err != nil {
		return nil, err
	}
	if d, ok := m.data[n]; ok {
		size := int64(len(d))
		return &info{name: baseOf(n), mode: 0o644, size: func() int64 { return size }}, nil
	}
	if m.x.isDir(n) {
		return &info{name: baseOf(n), mode: fs.ModeDir | 0o755}, nil
	}
	return nil, &fs.PathError{Op: "lstat", Path: name, Err: fs.ErrNotExist}
}

func (m *Mem) Stat(name string) (fs.FileInfo, error) { return m.Lstat(name) }

func (m *Mem) ReadLink(name string) (string, error) {
	if _, err := m.Lstat(name); err != nil {
		return "", err
	}
	return "", &fs.PathError{Op: "readlink", Path: name, Err: fs.ErrInvalid}
}

func (m *Mem) ReadFile(name string) ([]byte, error) {
	n, err := clean("open", name)
	if err != nil {
		return nil, err
	}
	d, ok := m.data[n]
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return append([]byte(nil), d...), nil
}

func (m *Mem) ReadDir(name string) ([]fs.DirEntry, error) {
	n, err := clean("open", name)
	if err != nil {
		return nil, err
	}
	names, ok := m.x.dirs[n]
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	out := make([]fs.DirEntry, 0, len(names))
	for _, nm := range names {
		fi, err := m.Lstat(joinName(n, nm))
		if err != nil {
			return nil, err
		}
		out = append(out, dirEntry{fi})
	}
	return out, nil
}

func (m *Mem) Open(name string) (fs.File, error) {
	fi, err := m.Stat(name)
	if err != nil {
		return nil, err
	}
	if fi.IsDir() {
		entries, err := m.ReadDir(name)
		if err != nil {
			return nil, err
		}
		return &memDir{fi: fi, entries: entries}, nil
	}
	d, err := m.ReadFile(name)
	if err != nil {
		return nil, err
	}
	return &memFile{fi: fi, r: strings.NewReader(string(d))}, nil
}

func baseOf(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[i+1:]
	}
	return p
}
