package jsdeps

import (
	"context"
	"fmt"
	"io/fs"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
)

// countingFS is the OS, counting the reads of each path.
type countingFS struct {
	osFS
	mu        sync.Mutex
	readDirs  map[string]int
	readFiles map[string]int
}

func newCountingFS() *countingFS {
	return &countingFS{readDirs: map[string]int{}, readFiles: map[string]int{}}
}

func (c *countingFS) ReadDir(name string) ([]fs.DirEntry, error) {
	c.mu.Lock()
	c.readDirs[name]++
	c.mu.Unlock()
	return c.osFS.ReadDir(name)
}

func (c *countingFS) ReadFile(name string) ([]byte, error) {
	c.mu.Lock()
	c.readFiles[name]++
	c.mu.Unlock()
	return c.osFS.ReadFile(name)
}

// walkListing lists root's regular files and symbolic links as graph/tree's walk does, without the
// directories skip names (repo-relative).
func walkListing(t *testing.T, root string, skip ...string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		switch {
		case d.IsDir() && (rel == ".git" || slices.Contains(skip, rel)):
			return filepath.SkipDir
		case d.Type().IsRegular() || d.Type()&fs.ModeSymlink != 0:
			out = append(out, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// tsTree is a workspace whose packages' tsconfig files reach files outside them, with names that a
// listing could confuse: a package directory that prefixes another's name (packages/ui,
// packages/ui-kit), a tsconfig in a subdirectory of a package, a file that only looks like one.
func tsTree(t *testing.T) string {
	return writeTree(t, map[string]string{
		"package.json":                       `{"name": "root", "workspaces": ["apps/*", "packages/*"]}`,
		"tsconfig.base.json":                 `{}`,
		"tsconfig.sub.json":                  `{}`,
		"tsconfig.kit.json":                  `{}`,
		"tsconfig.other.json":                `{}`,
		"apps/web/package.json":              `{"name": "web", "dependencies": {"ui": "*", "ui-kit": "*"}}`,
		"apps/web/tsconfig.json":             `{"extends": "../../tsconfig.base.json"}`,
		"apps/web/tsconfig.build.json":       `{"references": [{"path": "../../tools/gen"}]}`,
		"apps/web/tsconfig.json.bak":         `{"extends": "../../tsconfig.other.json"}`,
		"packages/ui/package.json":           `{"name": "ui"}`,
		"packages/ui/src/tsconfig.json":      `{"extends": "../../../tsconfig.sub.json"}`,
		"packages/ui-kit/package.json":       `{"name": "ui-kit"}`,
		"packages/ui-kit/tsconfig.lib.json":  `{"extends": "../../tsconfig.kit.json"}`,
		"packages/empty/package.json":        `{"name": "empty"}`,
		"tools/gen/tsconfig.json":            `{}`,
		"tools/gen/main.ts":                  "export {}\n",
		"packages/ui-kit/src/tsconfig.json":  `{"extends": "../../../tsconfig.other.json"}`,
		"packages/ui-kit/tsconfigs/a.json":   `{"extends": "../../../tsconfig.other.json"}`,
		"packages/ui-kit/tsconfig.spec.json": `{"extends": "./tsconfig.lib.json"}`,
	})
}

// TestListingGivesTheInputsOfReadingTheDirectories: the tsconfig files of the packages are taken
// from a walk's listing, and the inputs are those found by reading each package's directory; no
// package directory is read again.
func TestListingGivesTheInputsOfReadingTheDirectories(t *testing.T) {
	root := tsTree(t)
	want := map[string][]Input{}
	w := load(t, root, ".")
	for name := range w.Packages {
		want[name], _ = w.Inputs(name)
	}
	if got := strings.Join(inputsOf(t, w, "web")["tsconfig.base.json"].Why, ""); got == "" {
		t.Fatal("the fixture's web does not reach tsconfig.base.json: the test would prove little")
	}

	counting := newCountingFS()
	lw, err := Load(context.Background(), root, ".", WithFS(counting), WithListing(NewListing(walkListing(t, root))))
	if err != nil {
		t.Fatal(err)
	}
	for name := range lw.Packages {
		got, err := lw.Inputs(name)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want[name]) {
			t.Errorf("inputs of %s with the listing:\n%v\nwant\n%v", name, got, want[name])
		}
	}
	for dir, n := range counting.readDirs {
		for _, p := range lw.Packages {
			if dir == filepath.Join(root, filepath.FromSlash(p.Dir)) {
				t.Errorf("package directory %s read %d times; the listing holds it", p.Dir, n)
			}
		}
	}
}

// TestListingReadsTheDirectoriesItDoesNotHold: a package directory the walk pruned (or never
// reached) is read, so its tsconfig files count; a listing would have it empty.
func TestListingReadsTheDirectoriesItDoesNotHold(t *testing.T) {
	root := tsTree(t)
	want, err := load(t, root, ".").Inputs("web")
	if err != nil {
		t.Fatal(err)
	}
	counting := newCountingFS()
	listing := NewListing(walkListing(t, root, "apps/web"))
	w, err := Load(context.Background(), root, ".", WithFS(counting), WithListing(listing))
	if err != nil {
		t.Fatal(err)
	}
	got, err := w.Inputs("web")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("inputs of web, whose directory the listing lacks:\n%v\nwant\n%v", got, want)
	}
	if n := counting.readDirs[filepath.Join(root, "apps", "web")]; n != 1 {
		t.Errorf("apps/web read %d times; want once, as the listing lacks it", n)
	}
}

func TestListingWalked(t *testing.T) {
	l := NewListing([]string{"b/x", "a-b/y", "a/sub/z", "c"}) // unsorted: NewListing sorts
	for dir, want := range map[string]bool{".": true, "a": true, "a/sub": true, "a-b": true, "b": true,
		"c": false, "a/su": false, "d": false, "": false} {
		if got := l.walked(dir); got != want {
			t.Errorf("walked(%q) = %v, want %v", dir, got, want)
		}
	}
	if NewListing(nil).walked(".") {
		t.Error("an empty listing holds the root; a walk that found nothing proves nothing")
	}
}

// TestMemoReadsEachManifestOnce: root searches from several directories and the load of their
// workspace, through one memo, read each package.json once, and answer as they do without it.
func TestMemoReadsEachManifestOnce(t *testing.T) {
	root := writeTree(t, map[string]string{
		"package.json":               `{"name": "root", "workspaces": ["apps/*", "packages/*"]}`,
		"apps/web/package.json":      `{"name": "web", "dependencies": {"ui": "*"}}`,
		"apps/api/package.json":      `{"name": "api"}`,
		"packages/ui/package.json":   `{"name": "ui"}`,
		"nested/broken/package.json": `{"name": `,
	})
	counting := newCountingFS()
	memo := NewMemo()
	opts := []Option{WithFS(counting), WithMemo(memo)}
	for _, dir := range []string{"apps/web", "apps/api", "apps/web", "."} {
		r, err := Root(context.Background(), root, dir, opts...)
		if err != nil || r != "." {
			t.Fatalf("Root(%s) = %q, %v; want .", dir, r, err)
		}
	}
	w, err := Load(context.Background(), root, ".", opts...)
	if err != nil {
		t.Fatal(err)
	}
	if want := load(t, root, ".").Packages; !reflect.DeepEqual(w.Packages, want) {
		t.Errorf("Load through the memo: packages %v, want %v", w.Packages, want)
	}
	if len(counting.readFiles) < 4 {
		t.Fatalf("read %v; want the four package.json of the workspace", counting.readFiles)
	}
	for name, n := range counting.readFiles {
		if strings.HasSuffix(name, "package.json") && n != 1 {
			t.Errorf("%s read %d times, want once", name, n)
		}
	}
	if n := counting.readFiles[filepath.Join(root, "package.json")]; n != 1 {
		t.Errorf("the root package.json read %d times, want once", n)
	}
	_, want := Root(context.Background(), root, "nested/broken")
	for range 2 {
		_, err := Root(context.Background(), root, "nested/broken", opts...)
		if err == nil || want == nil || err.Error() != want.Error() {
			t.Errorf("Root of a broken package.json through the memo: %v, want %v", err, want)
		}
	}
}

// TestMemoUnderConcurrentLoads: root searches and loads from many directories at once, through one
// memo, each get the workspace of a load without it (run with -race).
func TestMemoUnderConcurrentLoads(t *testing.T) {
	root := tsTree(t)
	want := load(t, root, ".")
	memo := NewMemo()
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 40 {
		dir := []string{"apps/web", "packages/ui", "packages/ui-kit", "packages/empty"}[i%4]
		wg.Go(func() {
			if _, err := Root(context.Background(), root, dir, WithMemo(memo)); err != nil {
				errs <- err
				return
			}
			w, err := Load(context.Background(), root, dir, WithMemo(memo))
			if err != nil {
				errs <- err
				return
			}
			if !reflect.DeepEqual(w.Packages, want.Packages) {
				errs <- fmt.Errorf("Load(%s) through the memo: packages %v, want %v", dir, w.Packages, want.Packages)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
