package discover

import (
	"context"
	"path"
	"sort"
	"strings"

	"github.com/monoctx/monoctx/graph/tree"

	"github.com/bmatcuk/doublestar/v4"
)

// fileTree is what one listing of the repository found: every file, and the candidates of each source.
type fileTree struct {
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

func (t *fileTree) isFile(p string) bool { return t.files[p] }
func (t *fileTree) isDir(p string) bool  { return p == "." || t.dirs[p] }

// scan lists the repository once: the view's listing (git's index and untracked files, a commit's
// tree, or a walk of a plain directory), outside the skipped directories, or Options.Files.
func scan(ctx context.Context, v tree.View, opts Options) (*fileTree, error) {
	t := &fileTree{files: map[string]bool{}, dirs: map[string]bool{}}
	var list []string
	if opts.Files != nil {
		for _, p := range opts.Files {
			if !skippedUnder(path.Dir(p), opts.Skip) {
				list = append(list, p)
			}
		}
	} else {
		var err error
		if list, err = v.List(ctx, func(dir string) bool { return skipped(dir, opts.Skip) }); err != nil {
			return nil, err
		}
	}
	for _, p := range list {
		t.add(p)
		for d := path.Dir(p); d != "." && !t.dirs[d]; d = path.Dir(d) {
			t.dirs[d] = true
		}
	}
	t.sort()
	return t, nil
}

func (t *fileTree) add(p string) {
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

func (t *fileTree) sort() {
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
