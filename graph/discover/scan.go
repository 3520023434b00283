package discover

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/bmatcuk/doublestar/v4"
)

// tree is what one walk of the repository found: every file, and the candidates of each source.
type tree struct {
	files       map[string]bool // every regular file or symlink, repo-relative
	dirs        map[string]bool
	dockerfiles []string
	compose     []string
	makefiles   []string
	scripts     []string
	workflows   []string
	devcont     []string
	skaffold    []string
}

func (t *tree) isFile(p string) bool { return t.files[p] }
func (t *tree) isDir(p string) bool  { return p == "." || t.dirs[p] }

// scan walks root once, in parallel, pruning skipped directories; only directory entries are read.
func scan(ctx context.Context, root string, opts Options) (*tree, error) {
	t := &tree{files: map[string]bool{}, dirs: map[string]bool{}}
	if opts.Files != nil {
		for _, p := range opts.Files {
			if skippedUnder(path.Dir(p), opts.Skip) {
				continue
			}
			t.add(p)
			for d := path.Dir(p); d != "."; d = path.Dir(d) {
				t.dirs[d] = true
			}
		}
		t.sort()
		return t, nil
	}
	var (
		mu    sync.Mutex
		wg    sync.WaitGroup
		first error
	)
	sem := make(chan struct{}, 8)
	var walk func(rel string)
	walk = func(rel string) {
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
			name := e.Name()
			p := name
			if rel != "." {
				p = rel + "/" + name
			}
			if e.IsDir() {
				if p == ".git" || skipped(p, opts.Skip) {
					continue
				}
				mu.Lock()
				t.dirs[p] = true
				mu.Unlock()
				wg.Add(1)
				go walk(p)
				continue
			}
			if e.Type().IsRegular() || e.Type()&fs.ModeSymlink != 0 {
				mu.Lock()
				t.add(p)
				mu.Unlock()
			}
		}
	}
	wg.Add(1)
	walk(".")
	wg.Wait()
	if first != nil {
		return nil, first
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	t.sort()
	return t, nil
}

func (t *tree) add(p string) {
	t.files[p] = true
	dir, name := path.Split(p)
	dir = strings.TrimSuffix(dir, "/")
	switch {
	case IsDockerfileName(name):
		t.dockerfiles = append(t.dockerfiles, p)
	case isComposeFile(name):
		t.compose = append(t.compose, p)
	case name == "Makefile" || name == "makefile" || name == "GNUmakefile" || strings.HasSuffix(name, ".mk"):
		t.makefiles = append(t.makefiles, p)
	case strings.HasSuffix(name, ".sh") || strings.HasSuffix(name, ".bash"):
		t.scripts = append(t.scripts, p)
	case (dir == ".github/workflows") && (strings.HasSuffix(name, ".yml") || strings.HasSuffix(name, ".yaml")):
		t.workflows = append(t.workflows, p)
	case name == "devcontainer.json" || name == ".devcontainer.json":
		t.devcont = append(t.devcont, p)
	case name == "skaffold.yaml" || name == "skaffold.yml":
		t.skaffold = append(t.skaffold, p)
	}
}

func (t *tree) sort() {
	for _, l := range []*[]string{&t.dockerfiles, &t.compose, &t.makefiles, &t.scripts, &t.workflows, &t.devcont, &t.skaffold} {
		sort.Strings(*l)
	}
}

// isComposeFile reports whether a file name is one docker compose reads or a layer of one:
// compose.yaml, docker-compose.yml, compose.override.yaml, docker-compose.build.yml, and any other
// *compose*.y(a)ml.
func isComposeFile(name string) bool {
	if !strings.HasSuffix(name, ".yaml") && !strings.HasSuffix(name, ".yml") {
		return false
	}
	return strings.Contains(strings.ToLower(name), "compose")
}

// readDirUnsorted is os.ReadDir without the sort: the walk sorts its result once at the end.
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

// skipped reports whether the walk prunes directory p (its ancestors were not pruned).
func skipped(p string, skip []string) bool {
	for _, g := range skip {
		if ok, _ := doublestar.Match(g, p); ok {
			return true
		}
	}
	return false
}

// skippedUnder reports whether dir or an ancestor is skipped: a file list names files, so each
// file's directories are checked, as the walk would have pruned them.
func skippedUnder(dir string, skip []string) bool {
	for d := dir; d != "." && d != ""; d = path.Dir(d) {
		if skipped(d, skip) {
			return true
		}
	}
	return false
}
