package discover

import (
	"context"
	"path"
	"slices"
	"strings"

	"github.com/monoctx/monoctx/graph/tree"

	"github.com/bmatcuk/doublestar/v4"
)

// fileTree is what one listing of the repository found: every file, and the candidates of each source.
type fileTree struct {
	files       []string // every regular file or symlink, repo-relative, sorted
	dockerfiles []string
	compose     []string
	makefiles   []string
	scripts     []string
	workflows   []string
	devcont     []string
	skaffold    []string
}

// isFile is a binary search of the listing: a map of every path would cost more to build, for the
// few names discovery looks up, than all the look-ups.
func (t *fileTree) isFile(p string) bool {
	_, found := slices.BinarySearch(t.files, p)
	return found
}

// isDir reports whether the listing holds a file under p.
func (t *fileTree) isDir(p string) bool {
	if p == "." {
		return true
	}
	i, _ := slices.BinarySearch(t.files, p+"/")
	return i < len(t.files) && strings.HasPrefix(t.files[i], p+"/")
}

// scan lists the repository once: the view's listing (git's index and untracked files, a commit's
// tree, or a walk of a plain directory), outside the skipped directories, or Options.Files.
func scan(ctx context.Context, v tree.View, opts Options) (*fileTree, error) {
	t := &fileTree{}
	if opts.Files != nil {
		memo := map[string]bool{}
		for _, p := range opts.Files {
			if !skippedUnder(path.Dir(p), opts.Skip, memo) {
				t.files = append(t.files, p)
			}
		}
		if !slices.IsSorted(t.files) {
			slices.Sort(t.files)
		}
		t.files = slices.Compact(t.files)
	} else {
		var err error
		if t.files, err = v.List(ctx, func(dir string) bool { return skipped(dir, opts.Skip) }); err != nil {
			return nil, err
		}
	}
	for _, p := range t.files {
		t.add(p)
	}
	return t, nil
}

// add files p under the sources it may be a definition file of; the listing is sorted, and so are
// the candidates.
func (t *fileTree) add(p string) {
	dir, name := ".", p
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		dir, name = p[:i], p[i+1:]
	}
	switch {
	case IsDockerfileName(name):
		t.dockerfiles = append(t.dockerfiles, p)
	case isComposeFile(name):
		t.compose = append(t.compose, p)
	case name == "Makefile" || name == "makefile" || name == "GNUmakefile" || strings.HasSuffix(name, ".mk"):
		t.makefiles = append(t.makefiles, p)
	case strings.HasSuffix(name, ".sh") || strings.HasSuffix(name, ".bash"):
		t.scripts = append(t.scripts, p)
	case isWorkflowFile(dir, name):
		t.workflows = append(t.workflows, p)
	case name == "devcontainer.json" || name == ".devcontainer.json":
		t.devcont = append(t.devcont, p)
	case name == "skaffold.yaml" || name == "skaffold.yml":
		t.skaffold = append(t.skaffold, p)
	}
}

// IsWorkflowFile reports whether a repo-relative path is a GitHub Actions workflow, or an action
// under .github/ (a composite action's steps run in the job that uses it).
func IsWorkflowFile(p string) bool {
	dir, name := ".", p
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		dir, name = p[:i], p[i+1:]
	}
	return isWorkflowFile(dir, name)
}

func isWorkflowFile(dir, name string) bool {
	if name == "action.yml" || name == "action.yaml" {
		return strings.HasPrefix(dir, ".github/")
	}
	return dir == ".github/workflows" && (strings.HasSuffix(name, ".yml") || strings.HasSuffix(name, ".yaml"))
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
// file's directories are checked, as the walk would have pruned them. memo holds the answers so far.
func skippedUnder(dir string, skip []string, memo map[string]bool) bool {
	if dir == "." || dir == "" {
		return false
	}
	if v, ok := memo[dir]; ok {
		return v
	}
	v := skippedUnder(path.Dir(dir), skip, memo) || skipped(dir, skip)
	memo[dir] = v
	return v
}
