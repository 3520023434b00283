package jsdeps

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/bmatcuk/doublestar/v4"
)

// Input is one repository path that a package's install or build reads.
type Input struct {
	// Path is repository-relative and slash-separated.
	Path string `json:"path"`
	// Dir is true when Path is a directory, all of whose files are inputs.
	Dir bool `json:"dir,omitempty"`
	// Why is the chain of package names from the requested package to the
	// one that owns Path (["web", "@acme/ui"]), or a one-element reason such
	// as "lockfile".
	Why []string `json:"why"`
}

// Workspace is a JavaScript workspace: a root package.json with its
// packages.
type Workspace struct {
	// Root is the repository-relative directory of the root package.json.
	Root string `json:"root"`
	// Manager is "npm", "yarn", "pnpm" or "bun".
	Manager string `json:"manager"`
	// Lockfile is the repository-relative path of the lockfile, "" if none.
	Lockfile string `json:"lockfile,omitempty"`
	// Packages are the workspace packages by name. A package without a name
	// is keyed by its Dir. The root package is listed only when the
	// workspace has no other package.
	Packages map[string]*Package `json:"packages"`

	config   []Input // root build configuration: package manager, workspace tools, patches
	byDir    map[string]*Package
	repoRoot string
	opts     *options
	ts       *tsconfigs
}

// Package is one package of a workspace.
type Package struct {
	Name string `json:"name"`
	// Dir is the repository-relative directory of its package.json.
	Dir string `json:"dir"`
	// Deps are the names of the workspace packages it depends on through
	// dependencies, devDependencies, optionalDependencies or
	// peerDependencies, by version range, workspace:, file: or link:
	// protocol; sorted.
	Deps []string `json:"deps"`
	// External are the names of its other dependencies, sorted.
	External []string `json:"external"`

	index int        // in the workspace, for Inputs' sets of packages
	deps  []*Package // Deps'
}

// manifest is the part of package.json this package reads.
type manifest struct {
	Name                 string            `json:"name"`
	Workspaces           json.RawMessage   `json:"workspaces"`
	PackageManager       string            `json:"packageManager"`
	Dependencies         map[string]string `json:"dependencies"`
	DevDependencies      map[string]string `json:"devDependencies"`
	OptionalDependencies map[string]string `json:"optionalDependencies"`
	PeerDependencies     map[string]string `json:"peerDependencies"`
	Pnpm                 struct {
		PatchedDependencies map[string]string `json:"patchedDependencies"`
	} `json:"pnpm"`
	Scripts map[string]string `json:"scripts"`
}

// lockfiles in order of preference when packageManager does not say.
func lockfiles() []struct{ name, manager string } {
	return []struct{ name, manager string }{
		{"pnpm-lock.yaml", "pnpm"},
		{"yarn.lock", "yarn"},
		{"package-lock.json", "npm"},
		{"npm-shrinkwrap.json", "npm"},
		{"bun.lock", "bun"},
		{"bun.lockb", "bun"},
	}
}

// configFiles are package-manager files at the workspace root that change
// what an install produces.
func configFiles() []string {
	return []string{".npmrc", ".yarnrc", ".yarnrc.yml", "pnpm-workspace.yaml", ".pnpmfile.cjs", "bunfig.toml"}
}

// ErrNoPackageJSON is returned by Load when no package.json is found.
var ErrNoPackageJSON = errors.New("no package.json found")

// Load returns the workspace that contains the repository-relative
// directory dir of the repository at repoRoot: the nearest directory at or
// above dir with a pnpm-workspace.yaml or a package.json that declares
// workspaces, or else the nearest directory with a package.json (a
// workspace of one package).
func Load(ctx context.Context, repoRoot, dir string, opts ...Option) (*Workspace, error) {
	o := newOptions(opts)
	root, rootMan, err := o.findRoot(ctx, repoRoot, dir)
	if err != nil {
		return nil, err
	}
	return o.loadRoot(ctx, repoRoot, root, rootMan)
}

// Root returns the root directory of the workspace Load(ctx, repoRoot, dir)
// would load, reading only the package.json files at and above dir. Callers
// that load the workspaces of many directories cache them by Root, so that a
// workspace is read once however many of its packages they start from.
func Root(ctx context.Context, repoRoot, dir string, opts ...Option) (string, error) {
	root, _, err := newOptions(opts).findRoot(ctx, repoRoot, dir)
	return root, err
}

func (o *options) findRoot(ctx context.Context, repoRoot, dir string) (string, *manifest, error) {
	dir = path.Clean(filepath.ToSlash(dir))
	if dir == "" || dir == ".." || strings.HasPrefix(dir, "../") || path.IsAbs(dir) {
		return "", nil, fmt.Errorf("loading workspace of %q: not a directory inside the repository", dir)
	}
	abs := func(rel string) string { return filepath.Join(repoRoot, filepath.FromSlash(rel)) }
	nearest := ""
	var nearestMan *manifest
	for d := dir; ; d = path.Dir(d) {
		if err := ctx.Err(); err != nil {
			return "", nil, err
		}
		m, err := o.readManifest(repoRoot, join(d, "package.json"))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", nil, err
		}
		if m != nil && nearest == "" {
			nearest, nearestMan = d, m
		}
		if o.files().isFile(abs(join(d, "pnpm-workspace.yaml"))) || (m != nil && len(m.Workspaces) > 0) {
			return d, m, nil
		}
		if d == "." {
			break
		}
	}
	if nearest == "" {
		return "", nil, fmt.Errorf("loading workspace of %q: %w", dir, ErrNoPackageJSON)
	}
	return nearest, nearestMan, nil
}

func (o *options) loadRoot(ctx context.Context, repoRoot, root string, rootMan *manifest) (*Workspace, error) {
	abs := func(rel string) string { return filepath.Join(repoRoot, filepath.FromSlash(rel)) }
	if rootMan == nil {
		rootMan = &manifest{}
	}
	w := &Workspace{Root: root, Packages: map[string]*Package{}, repoRoot: repoRoot, opts: o,
		ts: &tsconfigs{files: map[string]*tsconfig{}, dirs: map[string][]string{}}}
	rootAbs := abs(root)

	// Package manager and lockfile.
	pnpmWS := join(root, "pnpm-workspace.yaml")
	if mgr, _, ok := strings.Cut(rootMan.PackageManager, "@"); ok {
		w.Manager = mgr
	} else if o.files().isFile(abs(pnpmWS)) {
		w.Manager = "pnpm"
	}
	for _, lf := range lockfiles() {
		if (w.Manager == "" || w.Manager == lf.manager) && o.files().isFile(filepath.Join(rootAbs, lf.name)) {
			w.Manager, w.Lockfile = lf.manager, join(root, lf.name)
			break
		}
	}
	if w.Manager == "" {
		w.Manager = "npm"
	}
	// The root package.json's text gives the lines of what its manifest names: read only for those.
	rawRoot := sync.OnceValue(func() []byte {
		data, _ := o.files().ReadFile(abs(join(root, "package.json")))
		return data
	})
	w.config = rootConfig(o.files(), repoRoot, root, rootMan, rawRoot)

	// Workspace patterns.
	patterns, err := o.workspacePatterns(rootMan, pnpmWS, abs(pnpmWS))
	if err != nil {
		return nil, fmt.Errorf("loading workspace %s: %w", root, err)
	}
	dirs, err := expandPatterns(ctx, o.files(), rootAbs, patterns)
	if err != nil {
		return nil, fmt.Errorf("loading workspace %s: %w", root, err)
	}
	found, err := o.readPackages(ctx, repoRoot, root, dirs)
	if err != nil {
		return nil, err
	}
	if len(found) == 0 {
		// No package directory: the root package is the only one.
		m, err := o.readManifest(repoRoot, join(root, "package.json"))
		switch {
		case err == nil:
			found = []dirManifest{{".", m}}
		case !errors.Is(err, fs.ErrNotExist):
			return nil, err
		}
	}
	mans := map[string]*manifest{}
	for _, f := range found {
		d, m := f.dir, f.man
		p := &Package{Name: m.Name, Dir: join(root, d)}
		if p.Name == "" {
			p.Name = p.Dir
		}
		if _, dup := w.Packages[p.Name]; dup {
			return nil, fmt.Errorf("loading workspace %s: package name %q is used by %s and %s", root, p.Name, w.Packages[p.Name].Dir, p.Dir)
		}
		w.Packages[p.Name] = p
		mans[p.Name] = m
	}
	byDir := map[string]string{}
	for name, p := range w.Packages {
		byDir[p.Dir] = name
	}
	for name, p := range w.Packages {
		m := mans[name]
		deps, ext := map[string]bool{}, map[string]bool{}
		for _, list := range []map[string]string{m.Dependencies, m.DevDependencies, m.OptionalDependencies, m.PeerDependencies} {
			for dep, spec := range list {
				if target := localTarget(p.Dir, spec, byDir); target != "" {
					deps[target] = true
				} else if _, ok := w.Packages[dep]; ok && !strings.HasPrefix(spec, "npm:") {
					deps[dep] = true
				} else {
					ext[dep] = true
				}
			}
		}
		delete(deps, name)
		p.Deps, p.External = sortedKeys(deps), sortedKeys(ext)
	}
	w.byDir = make(map[string]*Package, len(w.Packages))
	for i, name := range sortedKeys(w.Packages) {
		p := w.Packages[name]
		p.index = i
		w.byDir[p.Dir] = p
		p.deps = make([]*Package, len(p.Deps))
		for j, d := range p.Deps {
			p.deps[j] = w.Packages[d]
		}
	}
	return w, nil
}

// localTarget returns the workspace package a file:, link: or workspace:
// spec with a path points to, or "".
func localTarget(pkgDir, spec string, byDir map[string]string) string {
	for _, proto := range []string{"file:", "link:", "workspace:"} {
		if p, ok := strings.CutPrefix(spec, proto); ok && (strings.HasPrefix(p, ".") || strings.HasPrefix(p, "/")) {
			return byDir[join(pkgDir, p)]
		}
	}
	return ""
}

// workspacePatterns returns the package globs of the workspace: from
// pnpm-workspace.yaml when it exists, else from package.json's workspaces
// (an array, or an object with a packages array).
func (o *options) workspacePatterns(m *manifest, pnpmRel, pnpmWorkspace string) ([]string, error) {
	pats, found, err := o.pnpmPatterns(pnpmRel, pnpmWorkspace)
	if found || err != nil {
		return pats, err
	}
	if len(m.Workspaces) == 0 {
		return nil, nil
	}
	var list []string
	if err := json.Unmarshal(m.Workspaces, &list); err == nil {
		return list, nil
	}
	var obj struct {
		Packages []string `json:"packages"`
	}
	if err := json.Unmarshal(m.Workspaces, &obj); err != nil {
		return nil, fmt.Errorf("package.json workspaces: want an array or {\"packages\": [...]}: %w", err)
	}
	return obj.Packages, nil
}

// expandPatterns returns the root-relative directories matched by the
// positive patterns that are not inside node_modules and match no negated
// ("!") pattern; sorted. The root itself is never returned. Whether they hold
// a package.json is for readPackages to find.
func expandPatterns(ctx context.Context, fsys files, rootAbs string, patterns []string) ([]string, error) {
	var pos, neg []string
	for _, p := range patterns {
		p = strings.TrimSpace(p)
		n, negated := strings.CutPrefix(p, "!")
		n = strings.TrimSuffix(strings.TrimPrefix(n, "./"), "/")
		if n == "" || n == "." {
			continue
		}
		if negated {
			neg = append(neg, n)
		} else {
			pos = append(pos, n)
		}
	}
	found := map[string]bool{}
	dirFS := withoutNodeModules{fsys.DirFS(rootAbs)}
	for _, p := range pos {
		if !doublestar.ValidatePattern(p) {
			return nil, fmt.Errorf("invalid workspace pattern %q", p)
		}
		err := doublestar.GlobWalk(dirFS, p, func(d string, e fs.DirEntry) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			if !e.IsDir() {
				return nil
			}
			if slices.Contains(strings.Split(d, "/"), "node_modules") {
				return doublestar.SkipDir
			}
			found[d] = true
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("expanding workspace pattern %q: %w", p, err)
		}
	}
	for d := range found {
		for _, n := range neg {
			if ok, _ := doublestar.Match(n, d); ok {
				delete(found, d)
				break
			}
		}
	}
	return sortedKeys(found), nil
}

// withoutNodeModules lists no node_modules directory, so that globbing never enters one. Returning
// SkipDir for one from the GlobWalk callback is not enough: where a single * matched it, doublestar
// skips the rest of the parent directory, and the packages listed after node_modules were lost.
type withoutNodeModules struct{ fs.FS }

func (f withoutNodeModules) ReadDir(name string) ([]fs.DirEntry, error) {
	entries, err := fs.ReadDir(f.FS, name)
	return slices.DeleteFunc(entries, func(e fs.DirEntry) bool { return e.Name() == "node_modules" }), err
}

func (f withoutNodeModules) Stat(name string) (fs.FileInfo, error) { return fs.Stat(f.FS, name) }

// dirManifest is the package.json of a root-relative package directory.
type dirManifest struct {
	dir string
	man *manifest
}

// readPackages reads the package.json of each root-relative directory of the workspace at root
// that holds one (a regular file, or a link to one), in dirs' order. Each is read without a stat
// first: only a read that fails asks whether it was a file. The directories are read in parallel:
// the load is on the path of every app of the workspace, which all wait for it.
func (o *options) readPackages(ctx context.Context, repoRoot, root string, dirs []string) ([]dirManifest, error) {
	type result struct {
		man *manifest
		err error
	}
	res := make([]result, len(dirs))
	fsys := o.files()
	read := func(i int) {
		rel := join(root, dirs[i], "package.json")
		m, err := o.readPackageManifest(repoRoot, rel)
		if err != nil && !errors.Is(err, fs.ErrNotExist) && !fsys.isFile(filepath.Join(repoRoot, filepath.FromSlash(rel))) {
			m, err = nil, nil // a directory named package.json, a link to nothing: no package
		}
		res[i] = result{m, err}
	}
	// Each worker takes the next directory from a shared counter, the caller being one of them: no
	// channel hand-off (a goroutine wake-up) per directory.
	var next atomic.Int64
	work := func() {
		for i := int(next.Add(1) - 1); i < len(dirs) && ctx.Err() == nil; i = int(next.Add(1) - 1) {
			read(i)
		}
	}
	var wg sync.WaitGroup
	for range min(len(dirs), 2*runtime.GOMAXPROCS(0)) - 1 {
		wg.Go(work)
	}
	work()
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []dirManifest
	for i, r := range res {
		switch {
		case r.err != nil && !errors.Is(r.err, fs.ErrNotExist):
			return nil, r.err
		case r.man != nil:
			out = append(out, dirManifest{dirs[i], r.man})
		}
	}
	return out, nil
}

// FindPackage returns the package whose directory contains the
// repository-relative directory dir (the innermost one), or nil.
func (w *Workspace) FindPackage(dir string) *Package {
	dir = path.Clean(filepath.ToSlash(dir))
	var best *Package
	for _, p := range w.Packages {
		if p.Dir == dir || p.Dir == "." || strings.HasPrefix(dir, p.Dir+"/") {
			if best == nil || len(p.Dir) > len(best.Dir) || (p.Dir == "." && best.Dir == ".") {
				best = p
			}
		}
	}
	return best
}

// Inputs returns what installing and building the package named pkgName
// reads, sorted by Path: its directory, the directories of the workspace
// packages it depends on transitively (each with the dependency chain that
// brought it in), the root package.json, the lockfile and package-manager
// configuration.
func (w *Workspace) Inputs(pkgName string) ([]Input, error) {
	start, ok := w.Packages[pkgName]
	if !ok {
		return nil, fmt.Errorf("listing inputs of %q: no such package in workspace %s", pkgName, w.Root)
	}
	// The closure's packages by their index, its inputs in the order they are reached: sets and
	// slices sized once rather than maps grown per package, as every app of a workspace asks.
	seen := make([]bool, len(w.Packages))
	seen[start.index] = true
	// The chains are carved out of shared chunks, capped so that appending to one copies it: a
	// closure of n packages costs a few allocations, not n.
	var chunk []string
	chain := func(parent []string, d string) []string {
		n := len(parent) + 1
		if cap(chunk)-len(chunk) < n {
			chunk = make([]string, 0, max(n, 128))
		}
		i := len(chunk)
		chunk = append(append(chunk, parent...), d)
		return chunk[i:len(chunk):len(chunk)]
	}
	queue := []*Package{start}
	out := []Input{{Path: start.Dir, Dir: true, Why: chain(nil, start.Name)}}
	for i := 0; i < len(queue); i++ {
		for _, dp := range queue[i].deps {
			if seen[dp.index] {
				continue
			}
			seen[dp.index] = true
			queue = append(queue, dp)
			out = append(out, Input{Path: dp.Dir, Dir: true, Why: chain(out[i].Why, dp.Name)})
		}
	}
	dirs := make([]string, len(out))
	for i, in := range out {
		dirs[i] = in.Path
	}
	// What follows are files and a few directories: none is a package of the closure twice.
	var extra map[string]bool
	add := func(in Input) {
		if p := w.byDir[in.Path]; p != nil && seen[p.index] || extra[in.Path] {
			return
		}
		if extra == nil {
			extra = map[string]bool{}
		}
		extra[in.Path] = true
		out = append(out, in)
	}
	add(Input{Path: join(w.Root, "package.json"), Why: []string{"workspace root package.json"}})
	if w.Lockfile != "" {
		add(Input{Path: w.Lockfile, Why: []string{"lockfile"}})
	}
	for _, in := range w.config {
		add(in)
	}
	if w.ts != nil {
		for _, in := range out[len(dirs):] {
			if in.Dir {
				dirs = append(dirs, in.Path)
			}
		}
		inClosure := func(p string) bool {
			for _, d := range dirs {
				if p == d || strings.HasPrefix(p, d+"/") {
					return true
				}
			}
			return false
		}
		for _, in := range w.tsconfigInputs(dirs, inClosure) {
			add(in)
		}
	}
	slices.SortFunc(out, func(a, b Input) int { return strings.Compare(a.Path, b.Path) })
	return out, nil
}

// readManifest reads the package.json at the repository-relative path rel.
func readManifest(fsys files, repoRoot, rel string) (*manifest, error) {
	data, err := fsys.ReadFile(filepath.Join(repoRoot, filepath.FromSlash(rel)))
	if err != nil {
		return nil, err
	}
	return parseManifest(rel, data)
}

// parseManifest parses the package.json data read from rel.
func parseManifest(rel string, data []byte) (*manifest, error) {
	var m manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("parsing %s: %w", rel, err)
	}
	return &m, nil
}

func join(elem ...string) string { return path.Join(elem...) }

// sortedKeys returns m's keys sorted; never nil, so an empty set encodes as [] in JSON.
func sortedKeys[V any](m map[string]V) []string {
	out := slices.AppendSeq(make([]string, 0, len(m)), maps.Keys(m))
	slices.Sort(out)
	return out
}
