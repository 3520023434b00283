package graph

import (
	"context"
	"fmt"
	"github.com/monoctx/monoctx/ignore"
	"maps"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/mod/modfile"

	"github.com/monoctx/monoctx/graph/cache"
	"github.com/monoctx/monoctx/graph/golang"
	"github.com/monoctx/monoctx/graph/jsdeps"
	"github.com/monoctx/monoctx/graph/tree"
)

// langCache shares the language analyzers between the apps of one Load.
type langCache struct {
	root string
	fs   files
	goMu sync.Mutex
	goA  map[bool]*golang.Analyzer // by whether tests count

	jsMu      sync.Mutex
	js        map[string]*jsEntry    // by resolved workspace root dir
	jsRoots   map[string]jsRootEntry // workspace roots by the directory they were found from
	jsMemo    *jsdeps.Memo           // the package.json files read, shared by every load and root search
	jsListing *jsdeps.Listing        // the walk's listing of the tree (nil: directories are read)

	art artifactState

	dfMu sync.Mutex
	df   map[string]*dfEntry // by Dockerfile, target, args and content

	gcMu sync.Mutex
	gc   map[string]*goEntry // Go closures by whether tests count and package directory

	runMu sync.Mutex
	runs  map[runKey]*runEntry // the input runs apps share

	mkMu sync.Mutex
	mk   map[string]*mkEntry // the include lines of the Makefiles RUN make reads, by path

	igMu sync.Mutex
	ig   map[[2]string]*ignoreEntry // ignore files read, by path and name

	mainMu sync.Mutex
	mains  map[string]bool // isMain's answers, by directory

	genMu   sync.Mutex
	genRuns map[genFiles]bool // whether a closure's files can be a run

	cache *cache.Cache // parse results across runs (nil: none)
	blobs cache.Blobs  // blob ids git knows (nil: hash the files)

	traceOn     bool // Go closures kept across runs (see WithClosureCache)
	traceSince  time.Time
	traceIndex  string
	traceCommit string // the commit the view reads, by object id: its paths need no trace
}

// goEntry is one Go closure, shared by the apps that build the same main package.
type goEntry struct {
	once sync.Once
	c    closure
	err  error
}

func newLangCache(root string, fsys files) *langCache {
	return &langCache{root: root, fs: fsys, art: artifactState{fs: fsys}, goA: map[bool]*golang.Analyzer{}, js: map[string]*jsEntry{}, jsRoots: map[string]jsRootEntry{}, jsMemo: jsdeps.NewMemo(), df: map[string]*dfEntry{}, gc: map[string]*goEntry{}, runs: map[runKey]*runEntry{}, mk: map[string]*mkEntry{}, ig: map[[2]string]*ignoreEntry{}, mains: map[string]bool{}, genRuns: map[genFiles]bool{}}
}

// entryOf returns m's entry for k, a new one the first time; mu guards m. The entries memoize
// what the apps of a Load share, each computed once under its own sync.Once.
func entryOf[K comparable, E any](mu *sync.Mutex, m map[K]*E, k K) *E {
	mu.Lock()
	defer mu.Unlock()
	e, ok := m[k]
	if !ok {
		e = new(E)
		m[k] = e
	}
	return e
}

// ignoreEntry is an ignore file read once per Load: the apps of one context share its
// .dockerignore (33 apps on loki read and parsed it each). A parsed ignore.File is only read.
type ignoreEntry struct {
	once      sync.Once
	f         *ignore.File
	generated bool
	err       error
}

// readIgnore is ignore.ReadUserIn through the view, once per file and name.
func (l *langCache) readIgnore(p, name string) (*ignore.File, bool, error) {
	e := entryOf(&l.igMu, l.ig, [2]string{p, name})
	e.once.Do(func() { e.f, e.generated, e.err = ignore.ReadUserIn(l.fs.ReadFile, p, name) })
	return e.f, e.generated, e.err
}

// isMain is fs.isGoMain of dir, once per Load: the apps of one Dockerfile directory (loki's
// cmd/loki, 21 of them) each asked it, listing the directory and reading a Go file. Not for a
// traced read (buildLines'), which must read what it depends on.
func (l *langCache) isMain(dir string) bool {
	l.mainMu.Lock()
	v, ok := l.mains[dir]
	l.mainMu.Unlock()
	if !ok {
		v = l.fs.isGoMain(dir)
		l.mainMu.Lock()
		l.mains[dir] = v
		l.mainMu.Unlock()
	}
	return v
}

// runKey names a run of inputs: a closure brought in by one rule.
type runKey struct {
	closure any // an artifact's *golang.Closure; for a narrowed app, its closure's first *Input
	where   string
	text    string
}

type runEntry struct {
	once sync.Once
	run  *inputRun
	ins  []Input // when they cannot be a run: copied into each app
}

// run returns the shared run of the inputs build makes, made once per key in a Load.
func (l *langCache) run(k runKey, build func() []Input) *runEntry {
	e := entryOf(&l.runMu, l.runs, k)
	e.once.Do(func() {
		ins := build()
		if e.run = newInputRun(ins); e.run == nil {
			e.ins = ins
		}
	})
	return e
}

// genRun is run of the inputs g makes, without making them unless they cannot be a run.
func (l *langCache) genRun(k runKey, g *genInputs) *runEntry {
	e := entryOf(&l.runMu, l.runs, k)
	e.once.Do(func() {
		if e.run = l.newGenRun(g); e.run == nil {
			e.ins = newGenRunUnchecked(g).all()
		}
	})
	return e
}

// genFiles names a closure's files: the same slice, shared by the runs made of it.
type genFiles struct {
	first *golang.Input
	n     int
}

// newGenRun is newGenRun, checking each closure's files once per Load: the apps that copy an
// artifact built from one closure (loki: nine) each made a run of it, checking 9,000 paths.
func (l *langCache) newGenRun(g *genInputs) *inputRun {
	if len(g.files) == 0 {
		return newGenRun(g)
	}
	k := genFiles{&g.files[0], len(g.files)}
	l.genMu.Lock()
	ok, known := l.genRuns[k]
	l.genMu.Unlock()
	if !known {
		ok = newGenRun(g) != nil
		l.genMu.Lock()
		l.genRuns[k] = ok
		l.genMu.Unlock()
	}
	if !ok {
		return nil
	}
	return newGenRunUnchecked(g)
}

// addInputs adds a run's inputs to the app: shared, or copied when they cannot be a run.
func (a *App) addInputs(e *runEntry) {
	if e.run != nil {
		a.addRun(e.run, "")
		return
	}
	a.inputs = append(a.inputs, e.ins...)
}

// dfEntry is one Dockerfile analysis, shared by every app that builds the same Dockerfile with the
// same target and args (compose services, bake matrices). Its result is never modified.
type dfEntry struct {
	once sync.Once
	info *dockerfileInfo
	err  error
}

// dockerfile analyses a Dockerfile once per (Dockerfile, args, target) in a Load. A nil cache
// analyses every time.
func (l *langCache) dockerfile(name string, data []byte, args map[string]string, target string) (*dockerfileInfo, error) {
	if l == nil {
		return analyzeDockerfile(name, data, args, target)
	}
	var key strings.Builder
	key.WriteString(name + "\x00" + target)
	for _, k := range slices.Sorted(maps.Keys(args)) {
		key.WriteString("\x00" + k + "=" + args[k])
	}
	key.WriteString("\x00\x00")
	key.Write(data)
	e := entryOf(&l.dfMu, l.df, key.String())
	e.once.Do(func() { e.info, e.err = l.analyzeCached(name, data, args, target) })
	return e.info, e.err
}

// goAnalyzer returns the shared analyzer, one for apps that count Go tests and one for the others.
func (l *langCache) goAnalyzer(tests bool) (*golang.Analyzer, error) {
	l.goMu.Lock()
	defer l.goMu.Unlock()
	if a, ok := l.goA[tests]; ok {
		return a, nil
	}
	opts := []golang.Option{golang.WithTests(tests), golang.WithCache(l.cache, l.blobs), golang.WithFS(l.fs)}
	switch {
	case l.traceOn && l.traceCommit != "":
		opts = append(opts, golang.WithCommitClosureCache(l.traceSince, l.traceCommit))
	case l.traceOn:
		opts = append(opts, golang.WithClosureCache(l.traceSince, l.traceIndex))
	}
	a, err := golang.NewAnalyzer(l.root, opts...)
	if err != nil {
		return nil, err
	}
	l.goA[tests] = a
	return a, nil
}

// keepClosures turns on keeping the Go closures across runs where the view v of root allows it:
// the work tree on disk (with git's index in the trace where a sparse checkout reads from it), or a
// commit read by its id.
func (l *langCache) keepClosures(v tree.View, root string, since time.Time, indexFile string) {
	switch v := v.(type) {
	case *tree.Commit:
		if id, ok := v.ID(); ok && v.Root() == root {
			l.traceOn, l.traceSince, l.traceCommit = true, since, id
		}
	case *tree.Dir:
		if v.Root() == root {
			l.traceOn, l.traceSince = true, since
		}
	case *tree.WorkTree:
		if v.Root() == root {
			l.traceOn, l.traceSince, l.traceIndex = true, since, indexFile
		}
	}
}

// keeper is a keptByTrace of kind where results are kept as the Go closures are: on a view of the
// disk, by a trace; on a commit's tree, under the commit's id; nil elsewhere (the index's tree).
func (l *langCache) keeper(kind cache.Kind) *keptByTrace {
	if !l.traceOn || l.cache == nil {
		return nil
	}
	return &keptByTrace{kind: kind, c: l.cache, root: l.root, since: l.traceSince, index: l.traceIndex, commit: l.traceCommit}
}

// loadKeptClosures starts loading the Go closures an earlier run kept (nothing when keeping is
// off); the function returned waits for it.
func (l *langCache) loadKeptClosures() (wait func()) {
	if !l.traceOn {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if a, err := l.goAnalyzer(false); err == nil {
			a.LoadKept()
		}
	}()
	return func() { <-done }
}

// saveClosures puts the Go closures of this Load into the cache for the next run.
func (l *langCache) saveClosures() {
	l.goMu.Lock()
	defer l.goMu.Unlock()
	for _, tests := range []bool{false, true} {
		if a := l.goA[tests]; a != nil {
			a.SaveClosures()
		}
	}
}

// goInfo is what an app narrowed by Go analysis keeps for go.mod/go.sum changes.
type goInfo struct {
	moduleDir string
	external  map[string]bool
	complete  bool
}

// BuiltPackage is a package a whole-context Dockerfile's RUN lines build (turbo prune web, pnpm --filter
// web, npm ci -w web, nx build web, go build ./cmd/x): narrowing keeps that package's closure.
type BuiltPackage struct {
	Lang string `json:"lang"` // "js" or "go"
	// Package is as the RUN line names it: a package or project name, a context-relative directory,
	// or a Go import path.
	Package string `json:"package,omitempty"`
	// Dir is the package's repo-relative directory, once resolved.
	Dir string `json:"dir,omitempty"`
	// Unresolved says why narrowing cannot use the line (every package, a dependents filter, a
	// name no workspace package has): the whole context then stays the input set.
	Unresolved string `json:"unresolved,omitempty"`
	Rule       Rule   `json:"rule"`
}

// closure is one language closure a narrowed input set is made of.
type closure struct {
	inputs []Input
	gen    *genInputs // instead of inputs: a Go closure's, made when asked for
	what   string     // for the Narrowed rule: "the Go import closure of cmd/a"
	goInfo *goInfo
	jsWS   *jsdeps.Workspace
	jsPkgs []string
}

// narrow replaces a whole-context input set with the closure of the Go main package or the JS
// workspace package the Dockerfile builds: go.package / js.package in monoctx.yaml, else the
// packages its RUN lines build, else the Dockerfile's directory. Without one, or when a RUN line
// builds something narrowing cannot name, the whole context stays the input set. What builds read
// beyond the closure stays too: files later stages copy out of the whole-context stage, and the
// Makefiles and scripts RUN lines run.
func (l *langCache) narrow(ctx context.Context, a *App) error {
	hints := l.builds(a)
	if a.Whole == nil {
		return nil
	}
	var goPkg, jsPkg string
	if a.config != nil {
		goPkg, jsPkg = a.config.Go.Package, a.config.JS.Package
	}
	var cs []closure
	switch {
	case goPkg != "":
		c, err := l.goClosure(ctx, a, path.Clean(goPkg))
		if err != nil {
			return fmt.Errorf("app %s: go.package %s: %w", a.Name, path.Clean(goPkg), err)
		}
		cs = append(cs, c)
	case jsPkg != "":
		c, err := l.jsClosure(ctx, a, jsPkg, a.Dir())
		if err != nil {
			return fmt.Errorf("app %s: js.package: %w", a.Name, err)
		}
		if c == nil {
			return nil
		}
		cs = append(cs, c...)
	case len(hints) > 0:
		for i := range hints {
			if hints[i].Unresolved != "" {
				return nil
			}
		}
		for i := range hints {
			c, ok := l.hintClosure(ctx, a, &hints[i])
			if !ok {
				return nil // a package narrowing cannot find: never under-select
			}
			cs = append(cs, c...)
		}
	case l.isMain(filepath.Join(l.root, filepath.FromSlash(a.Dir()))):
		c, err := l.goClosure(ctx, a, a.Dir())
		if err != nil {
			return nil // not analysable as Go after all: keep the whole context, never under-select
		}
		cs = append(cs, c)
	case l.fs.fileExists(filepath.Join(l.root, filepath.FromSlash(a.Dir()), "package.json")):
		c, _ := l.jsClosure(ctx, a, a.Dir(), a.Dir())
		if c == nil {
			return nil
		}
		cs = append(cs, c...)
	}
	if len(cs) == 0 {
		return nil
	}
	return l.apply(a, cs)
}

// builds reads the app's Packages from the Dockerfile's RUN lines, once.
func (l *langCache) builds(a *App) []BuiltPackage {
	if a.df == nil || a.Packages != nil {
		return a.Packages
	}
	for _, b := range a.df.Builds {
		out := BuiltPackage{Lang: b.Lang, Package: b.Package, Unresolved: b.Unresolved,
			Rule: Rule{Kind: "run", Where: fmt.Sprintf("%s:%d", a.Dockerfile, b.Line), Text: b.Text}}
		switch {
		case b.Lang == "go" && !b.Import:
			out.Dir = joinRel(a.Context, b.Package)
		case b.Lang == "js" && b.Dir:
			out.Dir = joinRel(a.Context, b.Package)
		}
		if !slices.ContainsFunc(a.Packages, func(o BuiltPackage) bool {
			return o.Lang == out.Lang && o.Package == out.Package && o.Unresolved == out.Unresolved
		}) {
			a.Packages = append(a.Packages, out)
		}
	}
	return a.Packages
}

// hintClosure is the closure of one package a RUN line builds; ok is false when it cannot be
// found, and records why in the BuiltPackage.
func (l *langCache) hintClosure(ctx context.Context, a *App, b *BuiltPackage) ([]closure, bool) {
	switch b.Lang {
	case "go":
		dir := b.Dir
		if dir == "" {
			d, ok := l.goImportDir(a, b.Package)
			if !ok {
				b.Unresolved = "the import path is not in the context's Go module"
				return nil, false
			}
			dir, b.Dir = d, d
		}
		c, err := l.goClosure(ctx, a, dir)
		if err != nil {
			b.Unresolved = err.Error()
			return nil, false
		}
		c.what += " (" + b.Rule.String() + ")"
		return []closure{c}, true
	case "js":
		ref := b.Package
		if b.Dir != "" {
			ref = b.Dir
		}
		cs, err := l.jsClosure(ctx, a, ref, a.Context)
		switch {
		case err != nil:
			b.Unresolved = err.Error()
			return nil, false
		case cs == nil:
			b.Unresolved = "the workspace root package: the whole repository"
			return nil, false
		}
		b.Dir = cs[0].inputs[0].Path
		for i := range cs {
			cs[i].what += " (" + b.Rule.String() + ")"
		}
		return cs, true
	}
	return nil, false
}

// goImportDir maps a Go import path of the context's own module to its repo-relative directory.
func (l *langCache) goImportDir(a *App, imp string) (string, bool) {
	data, err := l.fs.ReadFile(filepath.Join(l.root, filepath.FromSlash(joinRel(a.Context, "go.mod"))))
	if err != nil {
		return "", false
	}
	mod := modfile.ModulePath(data)
	if mod == "" {
		return "", false
	}
	if imp == mod {
		return a.Context, true
	}
	if rest, ok := strings.CutPrefix(imp, mod+"/"); ok {
		return joinRel(a.Context, rest), true
	}
	return "", false
}

// goClosure is the Go import closure of the main package in pkgDir, computed once per Load.
func (l *langCache) goClosure(ctx context.Context, a *App, pkgDir string) (closure, error) {
	tests := a.config != nil && a.config.Go.Tests
	key := fmt.Sprintf("%v\x00%s", tests, pkgDir)
	e := entryOf(&l.gcMu, l.gc, key)
	e.once.Do(func() { e.c, e.err = l.goClosureUncached(ctx, tests, pkgDir) })
	return e.c, e.err
}

func (l *langCache) goClosureUncached(ctx context.Context, tests bool, pkgDir string) (closure, error) {
	an, err := l.goAnalyzer(tests)
	if err != nil {
		return closure{}, err
	}
	c, err := an.Analyze(ctx, pkgDir)
	if err != nil {
		return closure{}, err
	}
	info := &goInfo{moduleDir: c.ModuleDir, external: map[string]bool{}, complete: c.ExternalComplete}
	for _, m := range c.ExternalModules {
		info.external[m] = true
	}
	// The inputs are made when asked for: a run shared by the apps needs only the files.
	gen := &genInputs{files: c.Files, prefix: "Go: ", kind: "go", context: true}
	return closure{goInfo: info, what: "the Go import closure of " + pkgDir, gen: gen}, nil
}

// whyTexts joins the import chains of a closure's files into rule texts, once per chain: the
// files of one package share its chain, and joining per file was a fifth of a large closure's
// cost.
type whyTexts struct {
	prefix string
	last   []string // the chain joined last, and its text
	joined string
}

func (w *whyTexts) text(chain []string) string {
	if w.last == nil || !slices.Equal(w.last, chain) {
		w.last, w.joined = chain, joinWhy(w.prefix, chain)
	}
	return w.joined
}

// apply replaces the whole-context input with the closures and what the build reads beyond them.
func (l *langCache) apply(a *App, cs []closure) error {
	whole := *a.Whole
	var ws *jsdeps.Workspace
	for _, c := range cs {
		if c.jsWS != nil {
			if ws != nil && ws != c.jsWS {
				return nil // packages of two workspaces: lockfile attribution needs one, keep it whole
			}
			ws = c.jsWS
		}
	}
	a.dropWhole()
	var what []string
	n := 0
	for i := range cs {
		if g := cs[i].gen; g != nil {
			n += len(g.files)
		}
		n += len(cs[i].inputs)
	}
	// One Go closure lists each file once, and the apps that narrow the same Dockerfile line to
	// it share its inputs as a run. Several closures are copied, without the files they share.
	var seen map[string]bool
	if len(cs) > 1 || cs[0].goInfo == nil {
		seen = make(map[string]bool, n)
		a.inputs = slices.Grow(a.inputs, n) // closures of thousands of files: grown once
	}
	for _, c := range cs {
		what = append(what, c.what)
		switch {
		case seen == nil && c.gen != nil && len(c.gen.files) > 0:
			// The closure's inputs are shared by every app of the Load that narrows to it, whichever
			// line copies it: its files are the closure's identity.
			e := l.genRun(runKey{closure: &c.gen.files[0]}, c.gen)
			if e.run != nil {
				a.addRun(e.run, whole.Where)
				break
			}
			for _, in := range e.ins {
				in.Rule.Where = whole.Where
				a.inputs = append(a.inputs, in)
			}
		case seen != nil:
			ins := c.inputs
			if c.gen != nil {
				ins = newGenRunUnchecked(c.gen).all()
			}
			for _, in := range ins {
				if seen[in.Path] {
					continue
				}
				seen[in.Path] = true
				in.Rule.Where = whole.Where
				a.inputs = append(a.inputs, in)
			}
		}
		if g := c.goInfo; g != nil {
			if a.goInfo == nil {
				a.goInfo = &goInfo{moduleDir: g.moduleDir, external: map[string]bool{}, complete: true}
			}
			for m := range g.external {
				a.goInfo.external[m] = true
			}
			a.goInfo.complete = a.goInfo.complete && g.complete
		}
		if c.jsWS != nil {
			if a.jsInfo == nil {
				a.jsInfo = &jsInfo{ws: c.jsWS, pkgs: map[string]bool{}}
			}
			for _, p := range c.jsPkgs {
				a.jsInfo.pkgs[p] = true
			}
		}
	}
	a.inputs = append(a.inputs, l.buildReads(a)...)
	kind := "go"
	if a.goInfo == nil {
		kind = "js"
	}
	a.Narrowed = &Rule{Kind: kind, Where: whole.Where, Text: fmt.Sprintf("%s, narrowed to %s", whole.Text, strings.Join(what, " and "))}
	return nil
}

// buildReads are the context files the build reads beyond the language closure: those later stages
// copy by path out of the whole-context stage, and the Makefiles (with their includes) and scripts
// RUN lines run.
func (l *langCache) buildReads(a *App) []Input {
	if a.df == nil {
		return nil
	}
	var out []Input
	for _, s := range a.df.FromWhole {
		p := joinRel(a.Context, s.Path)
		if !hasGlob(p) && !l.fs.pathExists(filepath.Join(l.root, filepath.FromSlash(p))) {
			continue // made by the stage (turbo prune's out/, a build's dist/): nothing of the repository
		}
		out = append(out, Input{Path: p, Match: "path", Context: true,
			Rule: Rule{Kind: "copy", Where: fmt.Sprintf("%s:%d", a.Dockerfile, s.Line), Text: s.Text}})
	}
	for _, f := range a.df.RunFiles {
		where := fmt.Sprintf("%s:%d", a.Dockerfile, f.Line)
		for _, p := range f.Paths {
			rp := joinRel(a.Context, p)
			if !l.fs.fileExists(filepath.Join(l.root, filepath.FromSlash(rp))) {
				continue
			}
			out = append(out, Input{Path: rp, Match: "path", Context: true, Rule: Rule{Kind: "run", Where: where, Text: f.Text}})
			if f.Make {
				out = append(out, l.makeIncludes(a, rp, path.Dir(rp), 0)...)
			}
			break // make reads the first of GNUmakefile, makefile, Makefile that exists
		}
	}
	return out
}

// makeIncludes are the files a Makefile includes (include, -include, sinclude), relative to the
// directory make runs in, followed into their own includes. Names built from variables are left
// out, and so are files that do not exist (-include of an optional file).
func (l *langCache) makeIncludes(a *App, mk, makeDir string, depth int) []Input {
	if depth > 8 {
		return nil
	}
	var out []Input
	for _, inc := range l.makeIncludeLines(mk) {
		i, line, fields := inc.line, inc.text, inc.fields
		for _, f := range fields[1:] {
			if strings.HasPrefix(f, "#") {
				break
			}
			if strings.Contains(f, "$") {
				continue
			}
			p := joinRel(makeDir, f)
			if _, inside := relTo(a.Context, p); !inside || escapesContext(p) {
				continue
			}
			if !hasGlob(p) && !l.fs.fileExists(filepath.Join(l.root, filepath.FromSlash(p))) {
				continue
			}
			out = append(out, Input{Path: p, Match: "path", Context: true,
				Rule: Rule{Kind: "run", Where: fmt.Sprintf("%s:%d", mk, i+1), Text: strings.TrimSpace(line)}})
			if !hasGlob(p) {
				out = append(out, l.makeIncludes(a, p, makeDir, depth+1)...)
			}
		}
	}
	return out
}

// mkEntry is a Makefile's include lines, read once for every app whose RUN make reads it.
type mkEntry struct {
	once  sync.Once
	lines []mkInclude
}

type mkInclude struct {
	line   int // 0-based
	text   string
	fields []string
}

// makeIncludeLines returns the include, -include and sinclude lines of the Makefile mk (none when
// it cannot be read).
func (l *langCache) makeIncludeLines(mk string) []mkInclude {
	e := entryOf(&l.mkMu, l.mk, mk)
	e.once.Do(func() {
		data, err := l.fs.ReadFile(filepath.Join(l.root, filepath.FromSlash(mk)))
		if err != nil {
			return
		}
		for i, line := range strings.Split(string(data), "\n") {
			fields := strings.Fields(line)
			if len(fields) < 2 || (fields[0] != "include" && fields[0] != "-include" && fields[0] != "sinclude") {
				continue
			}
			e.lines = append(e.lines, mkInclude{line: i, text: line, fields: fields})
		}
	})
	return e.lines
}

// dropWhole removes the whole-context input once a language closure replaces it.
func (a *App) dropWhole() {
	out := a.inputs[:0]
	r := 0
	for i, in := range a.inputs {
		for ; r < len(a.runs) && a.runs[r].at <= i; r++ {
			a.runs[r].at = len(out) // runs stay where they were among the inputs kept
		}
		if in.Rule.Kind == "whole-context" {
			continue
		}
		out = append(out, in)
	}
	for ; r < len(a.runs); r++ {
		a.runs[r].at = len(out)
	}
	a.inputs = out
	a.Whole = nil
}
