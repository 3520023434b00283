//go:build linux

package golang

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/monoctx/monoctx/graph/cache"
)

// countingFS is the OS, counting every call, and answering the paths of extra (absolute) as a
// sparse checkout's index would: files the disk lacks.
type countingFS struct {
	n     *atomic.Int64
	extra map[string]string
}

func (c countingFS) ReadFile(name string) ([]byte, error) {
	c.n.Add(1)
	if s, ok := c.extra[name]; ok {
		return []byte(s), nil
	}
	return os.ReadFile(name)
}

func (c countingFS) ReadFileHead(name string, buf []byte) (int, error) {
	b, err := c.ReadFile(name)
	return copy(buf, b), err
}

func (c countingFS) Stat(name string) (fs.FileInfo, error) {
	c.n.Add(1)
	if _, ok := c.extra[name]; ok {
		return os.Stat(filepath.Dir(filepath.Dir(name)) + "/go.mod") // some regular file
	}
	return os.Stat(name)
}

func (c countingFS) Lstat(name string) (fs.FileInfo, error) { c.n.Add(1); return os.Lstat(name) }

func (c countingFS) ReadDir(name string) ([]fs.DirEntry, error) {
	c.n.Add(1)
	ents, err := os.ReadDir(name)
	for p := range c.extra {
		if filepath.Dir(p) == name {
			fi, _ := c.Stat(p)
			ents = append(ents, fs.FileInfoToDirEntry(renamed{fi, filepath.Base(p)}))
		}
	}
	return ents, err
}

type renamed struct {
	fs.FileInfo
	name string
}

func (r renamed) Name() string { return r.name }

func (c countingFS) WalkDir(root string, fn fs.WalkDirFunc) error {
	c.n.Add(1)
	return filepath.WalkDir(root, fn)
}

func (c countingFS) Glob(dir, pattern string) ([]string, error) {
	c.n.Add(1)
	return osFS{}.Glob(dir, pattern)
}

// traceRepo is a module whose main package imports a package, embeds a directory and has a
// subpackage that could become a module of its own.
var traceRepo = map[string]string{
	"go.mod":               "module example.com/m\n\ngo 1.22\n",
	"cmd/app/main.go":      "package main\n\nimport (\n\t\"embed\"\n\n\t_ \"example.com/m/lib\"\n)\n\n//go:embed static\nvar static embed.FS\n\nfunc main() { _ = static }\n",
	"cmd/app/static/a.txt": "a\n",
	"lib/lib.go":           "package lib\n\nimport _ \"example.com/m/aaaaa\"\nimport _ \"example.com/m/lib/sub\"\n",
	"lib/lib2.go":          "package lib\n",
	"lib/sub/sub.go":       "package sub\n",
	"aaaaa/a.go":           "package aaaaa\n",
	"other/o.go":           "package other\n",
}

// traceRun is one run with the closure cache in cacheDir: the closure of cmd/app, the error of a
// directory that does not exist, and how many reads the analysis made.
type traceRun struct {
	c     *Closure
	err   error
	reads int64
}

func runTraced(t *testing.T, root, cacheDir string, since time.Time, indexFile string, extra map[string]string) traceRun {
	t.Helper()
	c := cache.Open(cacheDir, "test")
	var n atomic.Int64
	a, err := NewAnalyzer(root, WithCache(c, nil), WithFS(countingFS{&n, extra}), WithClosureCache(since, indexFile))
	if err != nil {
		t.Fatal(err)
	}
	cl, err := a.Analyze(context.Background(), "cmd/app")
	if err != nil {
		t.Fatal(err)
	}
	_, nerr := a.Analyze(context.Background(), "nope")
	a.SaveClosures()
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	return traceRun{c: cl, err: nerr, reads: n.Load()}
}

func uncached(t *testing.T, root string, extra map[string]string) *Closure {
	t.Helper()
	var n atomic.Int64
	c, err := Analyze(context.Background(), root, "cmd/app", WithFS(countingFS{&n, extra}))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// warmCache is a cache directory a run without WithClosureCache has written to: closures are kept
// only where a run before left a cache (see TestAFreshCacheKeepsNoClosures).
func warmCache(t *testing.T, root string) string {
	t.Helper()
	dir := t.TempDir()
	c := cache.Open(dir, "test")
	if _, err := Analyze(context.Background(), root, "cmd/app", WithCache(c, nil)); err != nil {
		t.Fatal(err)
	}
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	if !cache.Open(dir, "test").Warm() {
		t.Fatal("the cache is not warm after a run wrote to it")
	}
	return dir
}

// In a fresh clone's empty cache the first run keeps no closures (a CI job would pay for them and
// never read them); the run after keeps them, and the third reads nothing.
func TestAFreshCacheKeepsNoClosures(t *testing.T) {
	root := writeTree(t, traceRepo)
	want := uncached(t, root, nil)
	cacheDir := t.TempDir()
	for i, wantReads := range []bool{true, true, false} {
		r := runTraced(t, root, cacheDir, old(), "", nil)
		if (r.reads > 0) != wantReads || !reflect.DeepEqual(r.c, want) {
			t.Errorf("run %d: %d reads, %+v; want reads: %v", i, r.reads, r.c, wantReads)
		}
	}
}

// old is a run start after the files were written, by more than the racy slack.
func old() time.Time { return time.Now().Add(racySlack + time.Second) }

// A run whose trace holds reads nothing and answers as the analysis does, errors included.
func TestKeptClosuresReadNothing(t *testing.T) {
	root := writeTree(t, traceRepo)
	want := uncached(t, root, nil)
	_, wantErr := Analyze(context.Background(), root, "nope")
	cacheDir := warmCache(t, root)
	first := runTraced(t, root, cacheDir, old(), "", nil)
	if !reflect.DeepEqual(first.c, want) || first.reads == 0 {
		t.Fatalf("first run: %d reads, closure %+v\nwant %+v", first.reads, first.c, want)
	}
	second := runTraced(t, root, cacheDir, old(), "", nil)
	if second.reads != 0 {
		t.Errorf("second run read %d times; want 0 (the closures were kept)", second.reads)
	}
	if !reflect.DeepEqual(second.c, want) {
		t.Errorf("second run: %+v\nwant %+v", second.c, want)
	}
	if second.err == nil || second.err.Error() != wantErr.Error() || !errors.Is(second.err, fs.ErrNotExist) {
		t.Errorf("second run's error: %v; want %v, a missing path", second.err, wantErr)
	}
}

// LoadKept does the first Analyze's check ahead of it: Analyze then answers from the kept set,
// reading nothing; without a closure cache it does nothing.
func TestLoadKeptAheadOfAnalyze(t *testing.T) {
	root := writeTree(t, traceRepo)
	want := uncached(t, root, nil)
	cacheDir := warmCache(t, root)
	runTraced(t, root, cacheDir, old(), "", nil)
	var n atomic.Int64
	a, err := NewAnalyzer(root, WithCache(cache.Open(cacheDir, "test"), nil), WithFS(countingFS{&n, nil}), WithClosureCache(old(), ""))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { a.LoadKept(); close(done) }()
	<-done
	if a.kept == nil {
		t.Fatal("LoadKept kept nothing")
	}
	got, err := a.Analyze(context.Background(), "cmd/app")
	if err != nil || !reflect.DeepEqual(got, want) || n.Load() != 0 {
		t.Errorf("Analyze after LoadKept: %d reads, %v, %+v; want no read and %+v", n.Load(), err, got, want)
	}
	plain, err := NewAnalyzer(root)
	if err != nil {
		t.Fatal(err)
	}
	plain.LoadKept()
	if plain.kept != nil {
		t.Error("LoadKept without a closure cache kept something")
	}
}

// Every change the closure depends on is seen by the trace, even one that keeps the file's size and
// modification time.
func TestKeptClosuresFollowChanges(t *testing.T) {
	sameSizeSameTime := func(root string) error {
		p := filepath.Join(root, "lib", "lib.go")
		fi, err := os.Stat(p)
		if err != nil {
			return err
		}
		data := strings.Replace(traceRepo["lib/lib.go"], "aaaaa", "other", 1)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			return err
		}
		return os.Chtimes(p, fi.ModTime(), fi.ModTime())
	}
	write := func(name, data string) func(string) error {
		return func(root string) error {
			return os.WriteFile(filepath.Join(root, filepath.FromSlash(name)), []byte(data), 0o644)
		}
	}
	for _, tc := range []struct {
		name   string
		change func(root string) error
	}{
		{"an import rewritten in place", sameSizeSameTime},
		{"a file added to a package", write("lib/extra.go", "package lib\n")},
		{"a file removed", func(root string) error { return os.Remove(filepath.Join(root, "lib", "lib2.go")) }},
		{"a package becomes a module", write("lib/sub/go.mod", "module example.com/m/lib/sub\n")},
		{"a file added to an embedded directory", write("cmd/app/static/b.txt", "b\n")},
		{"go.mod renames the module", write("go.mod", "module example.com/n\n\ngo 1.22\n")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := writeTree(t, traceRepo)
			cacheDir := warmCache(t, root)
			before := runTraced(t, root, cacheDir, old(), "", nil)
			if err := tc.change(root); err != nil {
				t.Fatal(err)
			}
			want := uncached(t, root, nil)
			if reflect.DeepEqual(want, before.c) {
				t.Fatalf("the change does not change the closure: the test shows nothing")
			}
			// The change is older than this run's start; a run started before it must not keep it.
			after := runTraced(t, root, cacheDir, old(), "", nil)
			if !reflect.DeepEqual(after.c, want) {
				t.Fatalf("after the change: %+v\nwant %+v", after.c, want)
			}
			if again := runTraced(t, root, cacheDir, old(), "", nil); again.reads != 0 || !reflect.DeepEqual(again.c, want) {
				t.Errorf("the run after: %d reads, %+v; want none, %+v", again.reads, again.c, want)
			}
		})
	}
}

// A trace naming a path changed less than the racy slack before the run began is not kept: the
// change may have come after the read.
func TestRacyTraceIsNotKept(t *testing.T) {
	root := writeTree(t, traceRepo)
	cacheDir := warmCache(t, root)
	runTraced(t, root, cacheDir, time.Now(), "", nil) // the files are brand new
	if r := runTraced(t, root, cacheDir, old(), "", nil); r.reads == 0 {
		t.Errorf("the run after a racy one read nothing: its trace was kept")
	}
}

// A path the FS answers that the disk lacks (a sparse checkout's, from git's index) is kept only
// with the index in the trace, and a changed index drops it.
func TestPathsFromTheIndexNeedTheIndex(t *testing.T) {
	root := writeTree(t, traceRepo)
	if err := os.Remove(filepath.Join(root, "lib", "lib2.go")); err != nil {
		t.Fatal(err)
	}
	extra := map[string]string{filepath.Join(root, "lib", "lib2.go"): traceRepo["lib/lib2.go"]}
	want := uncached(t, root, extra)
	if !strings.Contains(strings.Join(pathsOf(want), " "), "lib/lib2.go") {
		t.Fatalf("the FS's extra file is not in the closure: %v", pathsOf(want))
	}
	cacheDir := warmCache(t, root)
	runTraced(t, root, cacheDir, old(), "", extra)
	if r := runTraced(t, root, cacheDir, old(), "", extra); r.reads == 0 {
		t.Errorf("without the index, a trace of a path the disk lacks was kept")
	}
	index := filepath.Join(t.TempDir(), "index")
	if err := os.WriteFile(index, []byte("one"), 0o644); err != nil {
		t.Fatal(err)
	}
	runTraced(t, root, cacheDir, old(), index, extra)
	if r := runTraced(t, root, cacheDir, old(), index, extra); r.reads != 0 || !reflect.DeepEqual(r.c, want) {
		t.Errorf("with the index: %d reads, %+v; want none, %+v", r.reads, r.c, want)
	}
	if err := os.WriteFile(index, []byte("two"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := runTraced(t, root, cacheDir, old(), index, extra); r.reads == 0 || !reflect.DeepEqual(r.c, want) {
		t.Errorf("after the index changed: %d reads, %+v; want a new analysis", r.reads, r.c)
	}
}

func pathsOf(c *Closure) []string {
	var out []string
	for _, f := range c.Files {
		out = append(out, f.Path)
	}
	return out
}

// A kept set decodes to what was encoded, and a damaged one is refused, never half-read.
func TestClosureSetEncoding(t *testing.T) {
	root := writeTree(t, traceRepo)
	c := uncached(t, root, nil)
	s := &closureSet{closures: map[string]*Closure{"cmd/app": c},
		failed: map[string]cachedError{"nope": {msg: "analyzing \"nope\": file does not exist", notExist: true}},
		trace:  []traceEntry{{path: "/x", follow: true, id: ident{dev: 1, ino: 2, mode: 3, size: 4, mtime: 5, ctime: 6}}, {path: "/y", absent: true}}}
	b := encodeClosureSet(s)
	got, ok := decodeClosureSet(b)
	if !ok || !reflect.DeepEqual(got, s) {
		t.Fatalf("decoded %+v, %v\nwant %+v", got, ok, s)
	}
	for i := 0; i < len(b); i++ {
		if got, ok := decodeClosureSet(b[:i]); ok {
			t.Fatalf("a set cut at %d of %d bytes decoded: %+v", i, len(b), got)
		}
	}
}

// A commit's closures are kept under its id, with nothing under the root in the trace: the same id
// reads nothing even where the disk changed (a commit's tree cannot), another id analyses afresh.
func TestCommitClosuresAreKeptByID(t *testing.T) {
	root := writeTree(t, traceRepo)
	want := uncached(t, root, nil)
	cacheDir := warmCache(t, root)
	run := func(commit string) traceRun {
		t.Helper()
		c := cache.Open(cacheDir, "test")
		var n atomic.Int64
		a, err := NewAnalyzer(root, WithCache(c, nil), WithFS(countingFS{&n, nil}), WithCommitClosureCache(time.Now(), commit))
		if err != nil {
			t.Fatal(err)
		}
		cl, err := a.Analyze(context.Background(), "cmd/app")
		if err != nil {
			t.Fatal(err)
		}
		a.SaveClosures()
		if err := c.Flush(); err != nil {
			t.Fatal(err)
		}
		return traceRun{c: cl, reads: n.Load()}
	}
	const c1, c2 = "1111111111111111111111111111111111111111", "2222222222222222222222222222222222222222"
	// The files are brand new: a work tree's trace would be racy, a commit's holds nothing of them.
	if r := run(c1); r.reads == 0 || !reflect.DeepEqual(r.c, want) {
		t.Fatalf("first run: %d reads, %+v", r.reads, r.c)
	}
	if err := os.WriteFile(filepath.Join(root, "lib", "extra.go"), []byte("package lib\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := run(c1); r.reads != 0 || !reflect.DeepEqual(r.c, want) {
		t.Errorf("the same commit again: %d reads, %+v; want none and the first closure", r.reads, r.c)
	}
	if r := run(c2); r.reads == 0 || reflect.DeepEqual(r.c, want) {
		t.Errorf("another commit: %d reads, %+v; want a fresh analysis of the tree it reads", r.reads, r.c)
	}
}

// compactTrace keeps one of two equal entries, refuses two that disagree, and drops a missing
// path only where its parent directory is in the trace.
func TestCompactTrace(t *testing.T) {
	dir := ident{ino: 1, mode: 0o040755, mtime: 1, ctime: 1}
	file := ident{ino: 2, mode: 0o100644, mtime: 1, ctime: 1}
	got, err := compactTrace([]traceEntry{
		{path: "lib/go.mod", follow: true, absent: true},
		{path: "lib", follow: true, id: dir},
		{path: "lib", follow: true, id: dir},
		{path: "lib/a.go", follow: true, id: file},
		{path: "gone/go.mod", follow: true, absent: true},
	})
	want := []traceEntry{
		{path: "gone/go.mod", follow: true, absent: true},
		{path: "lib", follow: true, id: dir},
		{path: "lib/a.go", follow: true, id: file},
	}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, %v\nwant %+v", got, err, want)
	}
	changed := file
	changed.ctime++
	if _, err := compactTrace([]traceEntry{{path: "a.go", follow: true, id: file}, {path: "a.go", follow: true, id: changed}}); err == nil {
		t.Error("two stats of a.go that disagree were kept")
	}
}
