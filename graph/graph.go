package graph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/monoctx/monoctx/graph/cache"
	"github.com/monoctx/monoctx/graph/discover"
	"github.com/monoctx/monoctx/graph/jsdeps"
	"github.com/monoctx/monoctx/graph/tree"
)

// Graph is the monorepo's apps with their input sets.
type Graph struct {
	Root   string // absolute repository root
	Config *Config
	Apps   []*App // sorted by name
	// Warnings are things the user should know that did not stop the analysis.
	Warnings []string

	discovery *discover.Result
	indexOnce sync.Once
	index     *inputIndex
	lang      *langCache // the analyzers of this Load, for the variants of IgnoreKeep
	fs        files      // the view the graph was loaded from
	pre       *basePrefetch
	cache     *cache.Cache // the parse cache (nil: none), also for the definitions at base
}

type options struct {
	configFile     string
	configRequired bool
	strict         bool
	tracked        TrackedFunc
	cache          *cache.Cache
	blobs          cache.Blobs
	view           tree.View
	base           BaseReader
	changes        func() ([]Change, error)
	traceOn        bool // WithClosureCache
	traceSince     time.Time
	traceIndex     string
}

// WithClosureCache keeps the Go closures of the apps in the cache (WithCache) across runs, with a
// trace of what computing them read (see golang.WithClosureCache): a run whose trace still holds
// on disk reads none of their directories and files. since is when the run began; indexFile is
// git's index, which the trace holds where the view answers paths a sparse checkout leaves out
// from it (a tree.WorkTree). It applies to a view of the work tree on disk (the walk, or the
// sparse work tree), and to a commit's tree read by its object id (kept under the id, see
// golang.WithCommitClosureCache); not to the index's tree.
func WithClosureCache(since time.Time, indexFile string) Option {
	return func(o *options) { o.traceOn, o.traceSince, o.traceIndex = true, since, indexFile }
}

// WithBase lets Load read the app definitions at base (see Graph.Affected) while it analyses the
// apps. changes is called once, from another goroutine, after discovery; it may wait for git. base
// must be safe for concurrent use, and Affected must be given it and the same changes.
func WithBase(base BaseReader, changes func() ([]Change, error)) Option {
	return func(o *options) { o.base, o.changes = base, changes }
}

// WithView reads the repository through v (see package tree): the work tree as git lists it, or a
// commit's tree. Without it, Load reads root from the OS and walks it. The caller closes v.
func WithView(v tree.View) Option {
	return func(o *options) { o.view = v }
}

// TrackedFunc reports whether git tracks the repo-relative path p, or a file under it.
type TrackedFunc func(ctx context.Context, p string) (bool, error)

// WithTracked tells Load which files git tracks, so that an ignored file that is tracked anyway
// (git add -f) is a source, not a build output. Without it, an ignored file is untracked.
func WithTracked(f TrackedFunc) Option {
	return func(o *options) { o.tracked = f }
}

// Option configures Load.
type Option func(*options)

// WithConfigFile reads the config from a repo-relative (or absolute) file instead of monoctx.yaml.
// Precedence: the --config flag, then monoctx.yaml at the root, then no config. A file named this way
// must exist.
func WithConfigFile(name string) Option {
	return func(o *options) { o.configFile, o.configRequired = name, true }
}

// WithStrict makes every warning an error: a broken definition file, a build that names no
// Dockerfile, an app whose input set cannot be resolved. Without it those are warnings, and an
// unresolved app is over-selected.
func WithStrict(strict bool) Option {
	return func(o *options) { o.strict = strict }
}

// Load discovers the apps under root and computes their input sets.
func Load(ctx context.Context, root string, opts ...Option) (*Graph, error) {
	o := options{configFile: ConfigFile}
	for _, f := range opts {
		f(&o)
	}
	root, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("resolving repository root: %w", err)
	}
	v := o.view
	if v == nil {
		v = tree.NewDir(root)
	}
	fsys := files{tree.AbsOf(v)}
	cfgName := o.configFile
	_, commit := v.(*tree.Commit)
	if filepath.IsAbs(cfgName) && !commit {
		if rel, err := repoRel(root, cfgName); err == nil {
			cfgName = rel // a file of the work tree, named absolutely
		}
	}
	read := fsys.ReadFile
	if filepath.IsAbs(cfgName) {
		read = os.ReadFile // an absolute path is the file system's, whatever tree is read
	}
	cfg, err := loadConfig(read, root, cfgName, o.configRequired)
	if err != nil {
		return nil, err
	}
	g := &Graph{Root: root, Config: cfg, fs: fsys, cache: o.cache}
	warn := func(s string) { g.Warnings = append(g.Warnings, s) }
	lang := newLangCache(root, fsys)
	lang.cache, lang.blobs = o.cache, o.blobs
	if o.traceOn && o.cache != nil {
		lang.keepClosures(v, root, o.traceSince, o.traceIndex)
	}
	if lang.blobs == nil {
		lang.blobs = v // git's blob ids, where the view knows them
	}
	// The Go closures an earlier run kept are checked (a stat of every file they read) beside
	// discovery, which is sequential: on a large repository each is a tenth of a warm run.
	kept := lang.loadKeptClosures()
	defer kept()
	if o.base != nil && o.changes != nil {
		pre := g.prefetchModDiffs(ctx, o.base, o.changes)
		defer func() {
			if g.Apps == nil {
				pre.wait() // a failed Load leaves nothing running
			}
		}()
	}
	var keep discover.Keeper
	if k := lang.keeper(keptDiscoveryKind); k != nil {
		keep = k
	}
	d, err := discoverApps(ctx, root, v, cfg, warn, o.strict, o.cache, keep)
	if err != nil {
		return nil, err
	}
	apps := d.apps
	g.discovery = d.result
	if o.base != nil && o.changes != nil {
		g.prefetchBase(ctx, apps, o.base, o.changes)
	}
	lang.art.tracked, lang.art.cache, lang.art.keep = o.tracked, o.cache, lang.keeper(keptBuildLinesKind)
	if d.result != nil {
		lang.art.listing = d.result.Paths()
		if dv, ok := v.(*tree.Dir); ok && dv.Root() == root {
			// Discovery walked the directory: what that walk read is not read again.
			lang.jsListing = jsdeps.NewListing(lang.art.listing)
		}
	}
	var eg errgroup.Group
	eg.SetLimit(runtime.GOMAXPROCS(0) * 2)
	// Every app is analysed and the first error in app order is reported, so a repository with
	// several broken Dockerfiles gives the same message on every run.
	errs := make([]error, len(apps))
	warns := make([][]string, len(apps))
	for i, a := range apps {
		eg.Go(func() error {
			if err := ctx.Err(); err != nil {
				errs[i] = err
				return nil
			}
			if a.Unresolved == "" {
				w := func(s string) { warns[i] = append(warns[i], s) }
				if errs[i] = computeInputs(ctx, root, cfg, a, lang, w); errs[i] == nil {
					errs[i] = lang.narrow(ctx, a)
				}
			}
			if errs[i] != nil && ctx.Err() == nil && !o.strict {
				// One broken app never stops the others: it is over-selected instead.
				a.Unresolved, errs[i] = errs[i].Error(), nil
			}
			if errs[i] == nil && a.Unresolved == "" {
				errs[i] = lang.resolveArtifacts(ctx, cfg, a)
			}
			if errs[i] == nil && a.Unresolved == "" {
				if missing := missingSource(fsys, root, a); missing != "" {
					if o.strict {
						errs[i] = errors.New(missing)
					} else {
						a.Unresolved, a.keepInputs = missing, true
					}
				}
			}
			return nil
		})
	}
	_ = eg.Wait()
	if ctx.Err() == nil {
		lang.saveClosures()
	}
	for i, err := range errs {
		if err != nil {
			return nil, err
		}
		for _, w := range warns[i] {
			warn(w)
		}
		if o.strict && apps[i].Unresolved != "" {
			return nil, fmt.Errorf("app %s is unresolved: %s (--strict)", apps[i].Name, apps[i].Unresolved)
		}
		if o.strict && len(apps[i].warnings) > 0 {
			return nil, fmt.Errorf("%s (--strict)", apps[i].warnings[0])
		}
	}
	for _, a := range apps {
		if a.Unresolved != "" {
			a.unresolve(cfg)
			warn(fmt.Sprintf("app %s is unresolved: %s; it is selected whenever a path under %s changes (fix it, or declare the app in monoctx.yaml; --strict makes this an error)",
				a.Name, a.Unresolved, unresolvedDirs(a)))
		}
		a.prepare()
		if len(a.runs) > 0 {
			a.flat = &flatInputs{} // Inputs() as the Load left them
		}
		g.Warnings = append(g.Warnings, a.warnings...)
	}
	g.Apps = apps
	g.lang = lang
	return g, nil
}

// appNamed is the app of that exact name, or nil.
func (g *Graph) appNamed(name string) *App {
	for _, a := range g.Apps {
		if a.Name == name {
			return a
		}
	}
	return nil
}

// App finds an app by name or by its Dockerfile's repo-relative path.
func (g *Graph) App(ref string) (*App, error) {
	for _, a := range g.Apps {
		if a.Name == ref {
			return a, nil
		}
	}
	clean := path.Clean(filepath.ToSlash(ref))
	var hits []*App
	for _, a := range g.Apps {
		if a.Dockerfile == clean || path.Dir(a.Dockerfile) == clean {
			hits = append(hits, a)
		}
	}
	if len(hits) == 1 {
		return hits[0], nil
	}
	if len(hits) > 1 {
		names := make([]string, len(hits))
		for i, a := range hits {
			names[i] = a.Name
		}
		return nil, fmt.Errorf("%q names several apps (%s): use the app name", ref, strings.Join(names, ", "))
	}
	return nil, fmt.Errorf("no app %q (see `monoctx apps`)", ref)
}

// Node is a directory in the graph: an app's directory or a directory its inputs come from.
type Node struct {
	Dir  string   `json:"dir"`
	Apps []string `json:"apps,omitempty"` // apps whose Dockerfile lives here
	Kind string   `json:"kind"`           // "app" or "lib"
}

// Edge says an app depends on a directory, and why.
type Edge struct {
	App   string   `json:"app"`
	From  string   `json:"from"` // the app's directory
	To    string   `json:"to"`   // the directory depended on
	Rules []string `json:"rules"`
}

// Dirs returns the directory graph: every app directory and the directories outside it that its
// inputs come from (shared libs), with one edge per app and directory.
func (g *Graph) Dirs() ([]Node, []Edge) {
	nodes := map[string]*Node{}
	node := func(dir, kind string) *Node {
		n, ok := nodes[dir]
		if !ok {
			n = &Node{Dir: dir, Kind: kind}
			nodes[dir] = n
		}
		if kind == "app" {
			n.Kind = "app"
		}
		return n
	}
	type key struct{ app, to string }
	edges := map[key]*Edge{}
	edge := func(a *App, to, rule string) {
		k := key{a.Name, to}
		e, ok := edges[k]
		if !ok {
			e = &Edge{App: a.Name, From: a.Dir(), To: to}
			edges[k] = e
		}
		if len(e.Rules) == 0 || e.Rules[len(e.Rules)-1] != rule {
			e.Rules = append(e.Rules, rule)
		}
	}
	for _, a := range g.Apps {
		n := node(a.Dir(), "app")
		n.Apps = append(n.Apps, a.Name)
		for _, in := range a.Inputs() {
			switch in.Rule.Kind {
			case "dockerfile", "ignorefile":
				continue
			}
			d := inputDir(in)
			if d == a.Dir() || strings.HasPrefix(d, a.Dir()+"/") && a.Dir() != "." {
				continue // the app's own directory
			}
			node(d, "lib")
			edge(a, d, in.Rule.String())
		}
		// An app built on another app's image depends on that app's directory.
		for _, d := range a.imageDeps {
			if other := g.appNamed(d.app); other != nil && other.Dir() != a.Dir() {
				node(other.Dir(), "app")
				edge(a, other.Dir(), d.rule.String())
			}
		}
	}
	var ns []Node
	for _, n := range nodes {
		sort.Strings(n.Apps)
		ns = append(ns, *n)
	}
	sort.Slice(ns, func(i, j int) bool { return ns[i].Dir < ns[j].Dir })
	var es []Edge
	for _, e := range edges {
		es = append(es, *e)
	}
	sort.Slice(es, func(i, j int) bool {
		if es[i].App != es[j].App {
			return es[i].App < es[j].App
		}
		return es[i].To < es[j].To
	})
	return ns, es
}

// inputDir is the directory an input lives in: the input itself for a directory, the literal prefix
// of a pattern, the parent of a file.
func inputDir(in Input) string {
	if prefix := literalPrefix(in.Path); prefix != in.Path {
		return prefix
	}
	if in.Match == "path" && !in.isDir {
		return path.Dir(in.Path)
	}
	return in.Path
}

// WriteGraph renders the directory graph as text, json, dot or mermaid. Output is deterministic.
func (g *Graph) WriteGraph(w io.Writer, format string) error {
	nodes, edges := g.Dirs()
	switch format {
	case "", "text":
		for _, a := range g.Apps {
			fmt.Fprintf(w, "%s (%s)\n", a.Name, a.Dockerfile)
			if a.Whole != nil {
				fmt.Fprintf(w, "  -> %s [whole context] %s\n", a.Context, a.Whole)
			}
			for _, e := range edges {
				if e.App != a.Name {
					continue
				}
				fmt.Fprintf(w, "  -> %s  %s\n", e.To, strings.Join(e.Rules, "; "))
			}
		}
		return nil
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if nodes == nil {
			nodes = []Node{}
		}
		if edges == nil {
			edges = []Edge{}
		}
		return enc.Encode(struct {
			Nodes []Node `json:"nodes"`
			Edges []Edge `json:"edges"`
		}{nodes, edges})
	case "dot":
		fmt.Fprintln(w, "digraph monoctx {")
		fmt.Fprintln(w, "  rankdir=LR;")
		for _, n := range nodes {
			shape := "folder"
			if n.Kind == "app" {
				shape = "box"
			}
			fmt.Fprintf(w, "  %q [shape=%s];\n", n.Dir, shape)
		}
		for _, e := range edges {
			fmt.Fprintf(w, "  %q -> %q [label=%q];\n", e.From, e.To, e.App)
		}
		fmt.Fprintln(w, "}")
		return nil
	case "mermaid":
		fmt.Fprintln(w, "graph LR")
		id := map[string]string{}
		for i, n := range nodes {
			id[n.Dir] = fmt.Sprintf("n%d", i)
			label := strings.ReplaceAll(n.Dir, `"`, "#quot;")
			if n.Kind == "app" {
				fmt.Fprintf(w, "  %s[\"%s\"]\n", id[n.Dir], label)
			} else {
				fmt.Fprintf(w, "  %s[(\"%s\")]\n", id[n.Dir], label)
			}
		}
		for _, e := range edges {
			fmt.Fprintf(w, "  %s -->|%s| %s\n", id[e.From], strings.ReplaceAll(e.App, "|", "/"), id[e.To])
		}
		return nil
	}
	return fmt.Errorf("unknown graph format %q (want text, json, dot or mermaid)", format)
}

// missingSource describes the first COPY/ADD source of a's context that exists nowhere and that no
// rule explains (not an artifact, not counted from every ancestor as an inferred context's are): the
// image cannot be built as the repository stands, so what it is built from is unknown. "" when
// there is none.
func missingSource(fsys files, root string, a *App) string {
	if a.Origin == "dockerfile" || a.contextUnknown {
		return "" // an inferred context counts a missing source from every ancestor already
	}
	for _, in := range a.inputs { // a run holds no COPY source
		if !in.Context || in.Match != "path" || in.artifact || in.Path == a.Context || hasGlob(in.Path) {
			continue
		}
		switch in.Rule.Kind {
		case "copy", "add", "mount":
		default:
			continue
		}
		if _, err := fsys.Lstat(filepath.Join(root, filepath.FromSlash(in.Path))); err == nil || throughLink(fsys, root, a.Context, in.Path) {
			continue // present, or reached through a symlink (resolved in the context, as BuildKit does)
		}
		rel, _ := a.ContextPath(in.Path)
		return fmt.Sprintf("%s %s: source %s does not exist in the context %s, and nothing says what makes it (declare it under artifacts: in monoctx.yaml)",
			in.Rule.Where, in.Rule.Text, rel, a.Context)
	}
	return ""
}

// throughLink reports whether a directory on the way from ctxDir to p is a symlink.
func throughLink(fsys files, root, ctxDir, p string) bool {
	for d := path.Dir(p); d != "." && d != ctxDir && d != "/"; d = path.Dir(d) {
		if st, err := fsys.Lstat(filepath.Join(root, filepath.FromSlash(d))); err == nil && st.Mode()&os.ModeSymlink != 0 {
			return true
		}
	}
	return false
}

// unresolvedDirs names the directories an unresolved app is selected for.
func unresolvedDirs(a *App) string {
	if a.Dir() == a.Context {
		return a.Context
	}
	return a.Context + " or " + a.Dir()
}
