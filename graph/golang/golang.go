package golang

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/monoctx/monoctx/graph/cache"
)

// Input is one repository file that can change the build of the analysed
// package.
type Input struct {
	// Path is the repository-relative, slash-separated path of a file.
	Path string `json:"path"`
	// Why explains the file's presence: the chain of package directories
	// from the analysed package to the one that owns the file (for example
	// ["cmd/api", "internal/auth", "pkg/token"]), or a one-element reason such
	// as "go.mod of module example.com/x".
	Why []string `json:"why"`
}

// Closure is the input set of one Go package.
type Closure struct {
	// MainDir is the repository-relative directory of the analysed package.
	MainDir string `json:"mainDir"`
	// Module is the path of the module that contains MainDir.
	Module string `json:"module"`
	// ModuleDir is the repository-relative directory of that module.
	ModuleDir string `json:"moduleDir"`
	// Files are the inputs, sorted by Path, without duplicates.
	Files []Input `json:"files"`
	// ExternalModules are the paths of the modules outside the repository
	// whose packages the closure imports, sorted.
	ExternalModules []string `json:"externalModules"`
	// ExternalComplete reports whether ExternalModules is transitive: true
	// when the closure imports no external module, or every external package
	// was followed (the build vendors, or WithModCache found it). When false,
	// ExternalModules may list only the modules imported directly by packages
	// of the repository, and a changed module that is not listed may still
	// reach the build through one that is: attribute a go.sum change to this
	// closure only if it names a listed module, or the list is complete.
	ExternalComplete bool `json:"externalComplete"`
	// Packages are the repository-relative directories of the packages in
	// the closure, sorted.
	Packages []string `json:"packages"`
}

// VendorMode says whether imports of other modules resolve to vendor/.
type VendorMode int

const (
	// VendorAuto vendors like the go command without -mod: when
	// vendor/modules.txt exists and the go directive is at least 1.14 (1.22
	// for a go.work).
	VendorAuto VendorMode = iota
	// VendorOn behaves like -mod=vendor.
	VendorOn
	// VendorOff behaves like -mod=mod or -mod=readonly: vendor/ is ignored.
	VendorOff
)

// Option configures an Analyzer.
type Option func(*config)

type config struct {
	tests       bool
	vendor      VendorMode
	goWork      string
	modCache    string
	concurrency int
	cache       *cache.Cache
	blobs       cache.Blobs
	fs          FS
	traceOn     bool // WithClosureCache
	traceSince  time.Time
	traceIndex  string
	traceCommit string // WithCommitClosureCache
}

// WithTests includes the _test.go files of the analysed package (not of its
// dependencies), the packages they import, and its testdata directory, as
// `go test` of that package needs them. Off by default.
func WithTests(on bool) Option { return func(c *config) { c.tests = on } }

// WithVendor sets how vendor/ is used; the default is VendorAuto. It plays
// the part of the -mod flag in GOFLAGS.
func WithVendor(m VendorMode) Option { return func(c *config) { c.vendor = m } }

// WithGoWork plays the part of the GOWORK environment variable: "" (the
// default) looks for a go.work in the package directory and its parents up
// to the repository root, "off" disables workspace mode, and anything else
// is the repository-relative path of the go.work file to use.
func WithGoWork(file string) Option { return func(c *config) { c.goWork = file } }

// WithModCache follows imports of modules outside the repository into the
// module cache at dir (GOMODCACHE, see DefaultModCache), at the versions the
// main modules require, so that Closure.ExternalModules lists every external
// module whose packages reach the build, not only those imported directly.
// Files in the module cache are never inputs. A module or package missing
// from the cache leaves Closure.ExternalComplete false. Off by default; it
// has no effect when the build vendors.
func WithModCache(dir string) Option { return func(c *config) { c.modCache = dir } }

// DefaultModCache returns the module cache the go command would use:
// $GOMODCACHE, else the first entry of $GOPATH followed by pkg/mod, else
// $HOME/go/pkg/mod; "" when none can be determined.
func DefaultModCache() string {
	if d := goEnv("GOMODCACHE"); d != "" {
		return d
	}
	if gp := filepath.SplitList(goEnv("GOPATH")); len(gp) > 0 && gp[0] != "" {
		return filepath.Join(gp[0], "pkg", "mod")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, "go", "pkg", "mod")
	}
	return ""
}

// goEnv reads a Go setting as the go command does without running it: the
// environment first, then the file `go env -w` writes ($GOENV, by default
// go/env in the user's configuration directory; GOENV=off skips it).
func goEnv(key string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	file := os.Getenv("GOENV")
	if file == "off" {
		return ""
	}
	if file == "" {
		dir, err := os.UserConfigDir()
		if err != nil {
			return ""
		}
		file = filepath.Join(dir, "go", "env")
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return ""
	}
	v := ""
	for _, line := range strings.Split(string(data), "\n") {
		if k, val, ok := strings.Cut(strings.TrimSpace(line), "="); ok && strings.TrimSpace(k) == key {
			v = strings.TrimSpace(val) // the last assignment wins, as in the go command
		}
	}
	return v
}

// WithCache keeps the imports and //go:embed patterns of each Go file in c, keyed by the file's
// blob id: from blobs when it knows it (nil: always by hashing the file). A nil c is no cache.
func WithCache(c *cache.Cache, blobs cache.Blobs) Option {
	return func(cfg *config) { cfg.cache, cfg.blobs = c, blobs }
}

// WithConcurrency bounds the number of files read and parsed at once; the
// default (0) is GOMAXPROCS.
func WithConcurrency(n int) Option { return func(c *config) { c.concurrency = n } }

// Analyzer computes closures of packages of one repository and caches what
// it reads, so that repeated Analyze calls are cheap. It assumes that the
// repository does not change while it is in use. It is safe for concurrent
// use.
type Analyzer struct {
	root string // absolute repository root
	fs   FS
	cfg  config
	sem  chan struct{}

	mu    sync.Mutex
	dirs  map[string]*dirEntry // by repo-relative directory
	envs  map[string]*envEntry // by repo-relative package directory's module dir
	stats map[string]statResult
	// closures by package directory: apps and the artifacts they COPY often share main packages.
	closures map[string]*closureEntry

	envLoads atomic.Int32 // module environments loaded, for tests: one per module

	// WithClosureCache: what the analysis reads, the closures an earlier run kept (nil: none, or
	// its trace does not hold), and whether this run computed any.
	rec      *recorder
	keptOnce sync.Once
	kept     *closureSet
	fresh    atomic.Bool
}

type closureEntry struct {
	once sync.Once
	done atomic.Bool // c and err are set
	c    *Closure
	err  error
}

type statResult struct {
	exists, isDir bool
}

// NewAnalyzer returns an Analyzer of the repository at repoRoot.
func NewAnalyzer(repoRoot string, opts ...Option) (*Analyzer, error) {
	abs, err := filepath.Abs(repoRoot)
	if err != nil {
		return nil, fmt.Errorf("resolving repository root %q: %w", repoRoot, err)
	}
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.modCache != "" {
		mc, err := filepath.Abs(cfg.modCache)
		if err != nil {
			return nil, fmt.Errorf("resolving module cache %q: %w", cfg.modCache, err)
		}
		cfg.modCache = mc
	}
	n := cfg.concurrency
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	if cfg.fs == nil {
		cfg.fs = osFS{}
	}
	a := &Analyzer{
		root:  abs,
		fs:    cfg.fs,
		cfg:   cfg,
		sem:   make(chan struct{}, n),
		dirs:  make(map[string]*dirEntry),
		envs:  make(map[string]*envEntry),
		stats: make(map[string]statResult),
	}
	if cfg.traceOn && cfg.cache != nil && identSupported {
		a.rec = newRecorder()
		a.fs = tracedFS{FS: cfg.fs, rec: a.rec}
	}
	return a, nil
}

// Analyze returns the closure of the package in the repository-relative
// directory pkgDir of the repository at repoRoot. It is a shorthand for
// NewAnalyzer followed by Analyzer.Analyze; use an Analyzer to analyse
// several packages of the same repository.
func Analyze(ctx context.Context, repoRoot, pkgDir string, opts ...Option) (*Closure, error) {
	a, err := NewAnalyzer(repoRoot, opts...)
	if err != nil {
		return nil, err
	}
	return a.Analyze(ctx, pkgDir)
}

// Analyze returns the closure of the package in the repository-relative
// directory pkgDir, usually a main package. The package's module is the
// nearest directory with a go.mod at or above pkgDir. Closures are computed
// once per directory and shared: callers must not modify them.
func (a *Analyzer) Analyze(ctx context.Context, pkgDir string) (*Closure, error) {
	dir, err := cleanRel(pkgDir)
	if err != nil {
		return nil, err
	}
	a.mu.Lock()
	if a.closures == nil {
		a.closures = map[string]*closureEntry{}
	}
	e, ok := a.closures[dir]
	if !ok {
		e = &closureEntry{}
		a.closures[dir] = e
	}
	a.mu.Unlock()
	e.once.Do(func() {
		defer e.done.Store(true)
		if c, err, ok := a.fromKept(dir); ok {
			e.c, e.err = c, err
			return
		}
		e.c, e.err = a.analyze(ctx, dir)
		if a.rec != nil {
			a.fresh.Store(true)
		}
	})
	if e.err != nil && (errors.Is(e.err, context.Canceled) || errors.Is(e.err, context.DeadlineExceeded)) {
		// A cancelled run's error is not the directory's: the next caller analyses it again.
		a.mu.Lock()
		if a.closures[dir] == e {
			delete(a.closures, dir)
		}
		a.mu.Unlock()
	}
	return e.c, e.err
}

func (a *Analyzer) analyze(ctx context.Context, dir string) (*Closure, error) {
	if st := a.stat(dir); !st.isDir {
		return nil, fmt.Errorf("analyzing %q: %w", dir, fs.ErrNotExist)
	}
	env, err := a.env(ctx, dir)
	if err != nil {
		return nil, fmt.Errorf("analyzing %q: %w", dir, err)
	}

	var rootTests *dirInfo
	if a.cfg.tests {
		rootTests, err = a.scanTests(ctx, dir)
		if err != nil {
			return nil, fmt.Errorf("analyzing %q: %w", dir, err)
		}
	}

	// Discover the closure in parallel; the cache makes repeated walks cheap.
	infos, err := a.discover(ctx, env, dir, rootTests)
	if err != nil {
		return nil, fmt.Errorf("analyzing %q: %w", dir, err)
	}

	// Walk it again, sequentially and in sorted order, for deterministic
	// shortest Why chains.
	c := &Closure{MainDir: dir, Module: env.mainPath, ModuleDir: env.mainDir}
	chains := map[string][]string{dir: {dir}}
	queue := []string{dir}
	external := map[string]bool{}
	complete := env.vendorDir != "" || env.modCache != ""
	n := 0
	for _, info := range infos {
		if info != nil {
			n += len(info.files) + len(info.embeds)
		}
	}
	seenFile := make(map[string]bool, n) // sized once: growing it was a tenth of a large closure's walk
	if n > 0 {
		c.Files = make([]Input, 0, n)
	}
	add := func(p string, why []string) {
		if !seenFile[p] {
			seenFile[p] = true
			c.Files = append(c.Files, Input{Path: p, Why: why})
		}
	}
	for len(queue) > 0 {
		d := queue[0]
		queue = queue[1:]
		info := infos[d]
		chain := chains[d]
		if env.isModCache(d) {
			// Followed for its imports only: not a file of the repository.
			if info == nil {
				complete = false
				continue
			}
		} else {
			c.Packages = append(c.Packages, d)
		}
		imports := info.imports
		if d == dir && rootTests != nil {
			imports = mergeSorted(imports, rootTests.imports)
			for _, f := range rootTests.files {
				add(f, chain)
			}
			for _, f := range rootTests.embeds {
				add(f, chain)
			}
		}
		if !env.isModCache(d) {
			for _, f := range info.files {
				add(f, chain)
			}
			for _, f := range info.embeds {
				add(f, chain)
			}
		}
		for _, imp := range imports {
			r := env.resolve(a, imp)
			switch r.kind {
			case kindLocal, kindVendor, kindModCache:
				if r.module != "" && r.kind != kindLocal {
					external[r.module] = true
				}
				if _, ok := chains[r.dir]; !ok {
					chains[r.dir] = append(append([]string(nil), chain...), r.dir)
					queue = append(queue, r.dir)
				}
			case kindExternal:
				external[r.module] = true
				complete = false
			case kindUnknown:
				complete = false
			}
		}
	}
	for _, in := range env.inputs {
		add(in.Path, in.Why)
	}
	slices.SortFunc(c.Files, func(x, y Input) int { return strings.Compare(x.Path, y.Path) })
	sort.Strings(c.Packages)
	c.ExternalModules = sortedKeys(external)
	c.ExternalComplete = complete || len(external) == 0
	return c, nil
}

// discover returns the scanned package directories of the closure of dir.
// Uncached directories are read and parsed in parallel, one goroutine per
// directory bounded by the analyzer's I/O slots; cached ones are walked
// inline by the goroutine that found them.
func (a *Analyzer) discover(ctx context.Context, env *buildEnv, dir string, rootTests *dirInfo) (map[string]*dirInfo, error) {
	g, gctx := errgroup.WithContext(ctx)
	var mu sync.Mutex
	infos := map[string]*dirInfo{dir: nil}
	visit := func(d string) bool {
		mu.Lock()
		defer mu.Unlock()
		if _, ok := infos[d]; ok {
			return false
		}
		infos[d] = nil
		return true
	}
	var walk func(start string, extra []string) error
	walk = func(start string, extra []string) error {
		stack := []string{start}
		for len(stack) > 0 {
			d := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			info, err := a.scanDir(gctx, d)
			if err != nil {
				if env.isModCache(d) && gctx.Err() == nil {
					continue // leaves the closure incomplete, see Analyze
				}
				return err
			}
			mu.Lock()
			infos[d] = info
			mu.Unlock()
			for _, list := range [][]string{info.imports, extra} {
				for _, imp := range list {
					r := env.resolve(a, imp)
					if (r.kind != kindLocal && r.kind != kindVendor && r.kind != kindModCache) || !visit(r.dir) {
						continue
					}
					if a.cached(r.dir) {
						stack = append(stack, r.dir)
					} else {
						next := r.dir
						g.Go(func() error { return walk(next, nil) })
					}
				}
			}
			extra = nil
		}
		return nil
	}
	var extra []string
	if rootTests != nil {
		extra = rootTests.imports
	}
	g.Go(func() error { return walk(dir, extra) })
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return infos, nil
}

// cached reports whether the directory has been scanned successfully.
func (a *Analyzer) cached(dir string) bool {
	a.mu.Lock()
	e, ok := a.dirs[dir]
	a.mu.Unlock()
	if !ok {
		return false
	}
	select {
	case <-e.done:
		return e.err == nil
	default:
		return false
	}
}

// stat reports, with caching, whether the repository-relative path exists
// and is a directory (following symbolic links).
func (a *Analyzer) stat(rel string) statResult {
	a.mu.Lock()
	r, ok := a.stats[rel]
	a.mu.Unlock()
	if ok {
		return r
	}
	fi, err := a.fs.Stat(a.abs(rel))
	r = statResult{exists: err == nil, isDir: err == nil && fi.IsDir()}
	a.mu.Lock()
	a.stats[rel] = r
	a.mu.Unlock()
	return r
}

func (a *Analyzer) abs(rel string) string {
	if p := filepath.FromSlash(rel); filepath.IsAbs(p) {
		return p // a module cache directory
	}
	return filepath.Join(a.root, filepath.FromSlash(rel))
}

// acquire takes one of the analyzer's I/O slots.
func (a *Analyzer) acquire(ctx context.Context) error {
	select {
	case a.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (a *Analyzer) release() { <-a.sem }

// cleanRel validates and cleans a repository-relative path.
func cleanRel(p string) (string, error) {
	p = path.Clean(filepath.ToSlash(p))
	if p == "" {
		p = "."
	}
	if path.IsAbs(p) || p == ".." || strings.HasPrefix(p, "../") {
		return "", fmt.Errorf("path %q: %w", p, errNotRelative)
	}
	return p, nil
}

var errNotRelative = errors.New("not a path inside the repository")

// join joins repository-relative slash paths.
func join(elem ...string) string { return path.Join(elem...) }

// sortedKeys returns m's keys sorted; never nil, so an empty set encodes as [] in JSON.
func sortedKeys(m map[string]bool) []string {
	out := slices.AppendSeq(make([]string, 0, len(m)), maps.Keys(m))
	slices.Sort(out)
	return out
}

// mergeSorted returns the sorted union of two sorted lists.
func mergeSorted(a, b []string) []string {
	m := map[string]bool{}
	for _, s := range a {
		m[s] = true
	}
	for _, s := range b {
		m[s] = true
	}
	return sortedKeys(m)
}
