package golang

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
)

// envEntry is a cache slot for one build environment.
type envEntry struct {
	done chan struct{}
	env  *buildEnv
	err  error
}

// buildEnv is what import resolution needs to know about the modules of a
// build: the main module(s), local replacements, requirements and vendoring.
type buildEnv struct {
	mainPath, mainDir string
	locals            []localMod // longest module path first
	requires          []string   // longest module path first
	vendorDir         string     // repo-relative vendor directory, "" when not vendoring
	vendorPkgs        map[string]string
	vendorMods        []string // longest module path first
	inputs            []Input  // module files: go.mod, go.sum, go.work, …
	modCache          string   // slash-separated absolute module cache, "" when not followed
	versions          map[string]string
	replacedBy        map[string]module.Version // non-local replacements by module path

	mu    sync.Mutex
	cache map[string]resolution
}

// localMod is a module whose source is in the repository.
type localMod struct {
	path, dir string
	main      bool // a main module (not a replacement target)
}

type resolveKind int

const (
	kindUnknown  resolveKind = iota
	kindStd                  // standard library
	kindLocal                // a package directory of an in-repo module
	kindVendor               // a vendored package directory
	kindExternal             // a package of a module outside the repository
	kindModCache             // a package directory in the module cache (absolute)
)

type resolution struct {
	kind   resolveKind
	dir    string // repo-relative package directory (local, vendor); absolute (module cache)
	module string // module path (vendor, external)
}

// env returns the build environment of the package in dir.
func (a *Analyzer) env(ctx context.Context, dir string) (*buildEnv, error) {
	modDir, ok := a.findUp(dir, "go.mod")
	if !ok {
		return nil, fmt.Errorf("no go.mod in %s or any parent directory", dir)
	}
	workFile := ""
	switch a.cfg.goWork {
	case "off":
	case "":
		if d, ok := a.findUp(dir, "go.work"); ok {
			workFile = join(d, "go.work")
		}
	default:
		wf, err := cleanRel(a.cfg.goWork)
		if err != nil {
			return nil, fmt.Errorf("go.work: %w", err)
		}
		workFile = wf
	}
	key := modDir + "\x00" + workFile
	a.mu.Lock()
	e, ok := a.envs[key]
	if !ok {
		e = &envEntry{done: make(chan struct{})}
		a.envs[key] = e
	}
	a.mu.Unlock()
	if ok {
		select {
		case <-e.done:
			return e.env, e.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	e.env, e.err = a.loadEnv(modDir, workFile)
	close(e.done)
	return e.env, e.err
}

// findUp returns the nearest directory at or above dir, within the
// repository, that holds a regular file named name.
func (a *Analyzer) findUp(dir, name string) (string, bool) {
	for d := dir; ; d = path.Dir(d) {
		if st := a.stat(join(d, name)); st.exists && !st.isDir {
			return d, true
		}
		if d == "." {
			return "", false
		}
	}
}

type mainModule struct {
	dir string
	f   *modfile.File
}

func (a *Analyzer) loadEnv(modDir, workFile string) (*buildEnv, error) {
	a.envLoads.Add(1)
	env := &buildEnv{mainDir: modDir, cache: map[string]resolution{}, versions: map[string]string{}, replacedBy: map[string]module.Version{}}
	if a.cfg.modCache != "" {
		env.modCache = filepath.ToSlash(a.cfg.modCache)
	}
	mf, err := a.parseGoMod(modDir)
	if err != nil {
		return nil, err
	}
	if mf.Module == nil {
		return nil, fmt.Errorf("%s: no module directive", join(modDir, "go.mod"))
	}
	env.mainPath = mf.Module.Mod.Path
	mains := []mainModule{{modDir, mf}}

	var wf *modfile.WorkFile
	workDir := ""
	if workFile != "" {
		data, err := a.fs.ReadFile(a.abs(workFile))
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", workFile, err)
		}
		wf, err = modfile.ParseWork(workFile, data, nil)
		if err != nil {
			return nil, fmt.Errorf("parsing go.work: %w", err)
		}
		workDir = path.Dir(workFile)
		var uses []string
		inWork := false
		for _, u := range wf.Use {
			d, ok := a.repoDir(workDir, u.Path)
			if !ok {
				continue
			}
			uses = append(uses, d)
			inWork = inWork || d == modDir
		}
		if !inWork {
			// The go command refuses to build a package of a module the
			// workspace does not use; build it as a single module.
			wf, workDir = nil, ""
		} else {
			for _, d := range uses {
				if d == modDir {
					continue
				}
				f, err := a.parseGoMod(d)
				if err != nil {
					return nil, err
				}
				if f.Module != nil {
					mains = append(mains, mainModule{d, f})
				}
			}
		}
	}

	isMain := map[string]bool{}
	for _, m := range mains {
		p := m.f.Module.Mod.Path
		isMain[p] = true
		env.locals = append(env.locals, localMod{path: p, dir: m.dir, main: true})
		env.addModFiles(a, m.dir, "module "+p)
	}
	if wf != nil {
		env.addInput(a, workFile, "go.work")
		env.addInput(a, join(workDir, "go.work.sum"), "go.work.sum")
	}

	// Replacements: go.work's win over the main modules'.
	requires := map[string]bool{}
	replaced := map[string]bool{}
	addReplace := func(baseDir string, r *modfile.Replace) {
		key := r.Old.Path + "@" + r.Old.Version
		if replaced[key] {
			return
		}
		replaced[key] = true
		requires[r.Old.Path] = true
		if r.New.Version != "" || !modfile.IsDirectoryPath(r.New.Path) || isMain[r.Old.Path] {
			if r.New.Version != "" && r.Old.Version == "" {
				env.replacedBy[r.Old.Path] = r.New
			}
			return
		}
		d, ok := a.repoDir(baseDir, r.New.Path)
		if !ok {
			return // outside the repository: not an input we can name
		}
		env.locals = append(env.locals, localMod{path: r.Old.Path, dir: d})
		env.addModFiles(a, d, "module "+r.Old.Path+" (replacement)")
	}
	if wf != nil {
		for _, r := range wf.Replace {
			addReplace(workDir, r)
		}
	}
	for _, m := range mains {
		for _, r := range m.f.Replace {
			addReplace(m.dir, r)
		}
		for _, r := range m.f.Require {
			requires[r.Mod.Path] = true
			if v := env.versions[r.Mod.Path]; v == "" || semver.Compare(r.Mod.Version, v) > 0 {
				env.versions[r.Mod.Path] = r.Mod.Version
			}
		}
	}
	env.requires = byLengthDesc(sortedKeys(requires))
	sort.SliceStable(env.locals, func(i, j int) bool { return len(env.locals[i].path) > len(env.locals[j].path) })

	// Vendoring.
	vendorRoot, goVersion, minVersion := modDir, goVersionOf(mf), "1.14"
	if wf != nil {
		vendorRoot, minVersion = workDir, "1.22"
		goVersion = ""
		if wf.Go != nil {
			goVersion = wf.Go.Version
		}
	}
	modulesTxt := join(vendorRoot, "vendor", "modules.txt")
	hasVendor := a.stat(modulesTxt).exists
	switch a.cfg.vendor {
	case VendorOn:
		if !hasVendor {
			return nil, fmt.Errorf("vendoring requested but %s does not exist", modulesTxt)
		}
	case VendorAuto:
		hasVendor = hasVendor && (goVersion == "" || semver.Compare("v"+goVersion, "v"+minVersion) >= 0)
	case VendorOff:
		hasVendor = false
	}
	if hasVendor {
		env.modCache = ""
		env.vendorDir = join(vendorRoot, "vendor")
		if err := env.readModulesTxt(a, modulesTxt); err != nil {
			return nil, err
		}
		env.addInput(a, modulesTxt, "vendor/modules.txt (vendored build)")
	}
	return env, nil
}

// parseGoMod parses the go.mod in the repository-relative directory dir.
func (a *Analyzer) parseGoMod(dir string) (*modfile.File, error) {
	p := join(dir, "go.mod")
	data, err := a.fs.ReadFile(a.abs(p))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", p, err)
	}
	f, err := modfile.Parse(p, data, nil)
	if err != nil {
		return nil, fmt.Errorf("parsing go.mod: %w", err)
	}
	return f, nil
}

// repoDir resolves a directory path written in a file of the
// repository-relative directory base to a repository-relative directory.
func (a *Analyzer) repoDir(base, p string) (string, bool) {
	var abs string
	if filepath.IsAbs(p) {
		abs = filepath.Clean(p)
	} else {
		abs = filepath.Join(a.abs(base), filepath.FromSlash(p))
	}
	rel, err := filepath.Rel(a.root, abs)
	if err != nil {
		return "", false
	}
	rel = filepath.ToSlash(rel)
	if rel == ".." || strings.HasPrefix(rel, "../") {
		return "", false
	}
	return rel, true
}

func (env *buildEnv) addModFiles(a *Analyzer, dir, what string) {
	env.addInput(a, join(dir, "go.mod"), "go.mod of "+what)
	env.addInput(a, join(dir, "go.sum"), "go.sum of "+what)
}

// addInput records a module file if it exists.
func (env *buildEnv) addInput(a *Analyzer, p, why string) {
	if st := a.stat(p); st.exists && !st.isDir {
		env.inputs = append(env.inputs, Input{Path: p, Why: []string{why}})
	}
}

// readModulesTxt reads the package → module map of vendor/modules.txt.
func (env *buildEnv) readModulesTxt(a *Analyzer, p string) error {
	data, err := a.fs.ReadFile(a.abs(p))
	if err != nil {
		return fmt.Errorf("reading %s: %w", p, err)
	}
	env.vendorPkgs = map[string]string{}
	mods := map[string]bool{}
	cur := ""
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "##"):
		case strings.HasPrefix(line, "# "):
			f := strings.Fields(line)
			if len(f) >= 2 {
				cur = f[1]
				mods[cur] = true
			}
		default:
			if cur != "" {
				env.vendorPkgs[line] = cur
			}
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("reading %s: %w", p, err)
	}
	env.vendorMods = byLengthDesc(sortedKeys(mods))
	return nil
}

func goVersionOf(f *modfile.File) string {
	if f.Go == nil {
		return ""
	}
	return f.Go.Version
}

func byLengthDesc(s []string) []string {
	sort.SliceStable(s, func(i, j int) bool { return len(s[i]) > len(s[j]) })
	return s
}

// hasPathPrefix reports whether the import path p is prefix or inside it.
func hasPathPrefix(p, prefix string) bool {
	return p == prefix || (strings.HasPrefix(p, prefix) && p[len(prefix)] == '/')
}

// resolve maps an import path to a package directory of the repository, an
// external module, or the standard library.
func (env *buildEnv) resolve(a *Analyzer, imp string) resolution {
	env.mu.Lock()
	r, ok := env.cache[imp]
	env.mu.Unlock()
	if ok {
		return r
	}
	r = env.resolveUncached(a, imp)
	env.mu.Lock()
	env.cache[imp] = r
	env.mu.Unlock()
	return r
}

func (env *buildEnv) resolveUncached(a *Analyzer, imp string) resolution {
	if imp == "C" {
		return resolution{kind: kindStd}
	}
	for _, m := range env.locals {
		if !hasPathPrefix(imp, m.path) {
			continue
		}
		if env.vendorDir != "" && !m.main {
			break // a vendored build reads replacements from vendor/
		}
		d := join(m.dir, strings.TrimPrefix(imp, m.path))
		if a.stat(d).isDir && !a.crossesModule(m.dir, d) {
			return resolution{kind: kindLocal, dir: d}
		}
	}
	if env.vendorDir != "" {
		d := join(env.vendorDir, imp)
		if a.stat(d).isDir {
			mod := env.vendorPkgs[imp]
			if mod == "" {
				mod = longestPrefix(imp, env.vendorMods)
			}
			if mod == "" {
				mod = longestPrefix(imp, env.requires)
			}
			return resolution{kind: kindVendor, dir: d, module: mod}
		}
	}
	first, _, _ := strings.Cut(imp, "/")
	if !strings.Contains(first, ".") {
		return resolution{kind: kindStd}
	}
	if mod := longestPrefix(imp, env.requires); mod != "" {
		if d, ok := env.modCacheDir(mod, imp); ok && a.stat(d).isDir {
			return resolution{kind: kindModCache, dir: d, module: mod}
		}
		return resolution{kind: kindExternal, module: mod}
	}
	return resolution{kind: kindUnknown}
}

// modCacheDir returns the module cache directory of the package imp of the
// module mod at its selected version (or its replacement).
func (env *buildEnv) modCacheDir(mod, imp string) (string, bool) {
	if env.modCache == "" {
		return "", false
	}
	target := module.Version{Path: mod, Version: env.versions[mod]}
	if r, ok := env.replacedBy[mod]; ok {
		target = r
	}
	if target.Version == "" {
		return "", false
	}
	ep, err := module.EscapePath(target.Path)
	if err != nil {
		return "", false
	}
	ev, err := module.EscapeVersion(target.Version)
	if err != nil {
		return "", false
	}
	return join(env.modCache, ep+"@"+ev, strings.TrimPrefix(imp, mod)), true
}

// isModCache reports whether a package directory is in the module cache.
func (env *buildEnv) isModCache(dir string) bool {
	return env.modCache != "" && strings.HasPrefix(dir, env.modCache+"/")
}

// crossesModule reports whether a directory below modDir, up to and
// including dir, holds a go.mod: then dir belongs to a nested module.
func (a *Analyzer) crossesModule(modDir, dir string) bool {
	for d := dir; d != modDir && d != "."; d = path.Dir(d) {
		if st := a.stat(join(d, "go.mod")); st.exists && !st.isDir {
			return true
		}
	}
	return false
}

func longestPrefix(p string, candidates []string) string {
	for _, c := range candidates { // longest first
		if hasPathPrefix(p, c) {
			return c
		}
	}
	return ""
}
