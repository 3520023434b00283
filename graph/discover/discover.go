package discover

import (
	"context"
	"fmt"
	"maps"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"

	"github.com/monoctx/monoctx/graph/cache"
	"github.com/monoctx/monoctx/graph/tree"
)

// Source kinds, in authority order: a build found by an earlier kind wins over the same build found
// by a later one.
const (
	SourceCompose      = "compose"
	SourceBake         = "bake"
	SourceSkaffold     = "skaffold"
	SourceWorkflow     = "workflow"
	SourceMake         = "make"
	SourceScript       = "script"
	SourceDevcontainer = "devcontainer"
	SourceDockerfile   = "dockerfile"
)

var authority = map[string]int{
	SourceCompose: 1, SourceBake: 2, SourceSkaffold: 3, SourceWorkflow: 4, SourceMake: 5,
	SourceScript: 5, SourceDevcontainer: 6, SourceDockerfile: 7,
}

// Authority ranks a source kind: lower wins. monoctx.yaml, above every source here, is 0.
func Authority(source string) int { return authority[source] }

// Build is one way the repository builds an image.
type Build struct {
	// Name is the name the source gives the build: a compose service, a bake target, an image name.
	Name       string
	Dockerfile string // repo-relative, slash-separated
	// Context is the repo-relative context directory; "" when the source does not say (the graph
	// then infers it from the Dockerfile).
	Context   string
	Target    string
	Args      map[string]string
	Tags      []string
	Platforms []string
	// Contexts are named build contexts: repo-relative directories, or values as written.
	Contexts map[string]string
	// Stdin is set when the context is a tar a command generates and pipes in (`docker build -`):
	// its content cannot be known from the repository.
	Stdin bool

	Source string // one of the Source* kinds
	File   string // the defining file, repo-relative
	Line   int    // 1-based line in File; 0 when unknown
	// Group tells builds of one definition apart from another's when names are made unique: the
	// compose project directory, the workflow job.
	Group string
	// Guess is set when the Dockerfile was found by matching a path with unknown parts
	// (`-f services/$SVC/Dockerfile`) against the repository's Dockerfiles: a Dockerfile another
	// definition builds exactly is not taken again from a guess.
	Guess bool
	// Specificity is how much of a guessed Dockerfile path was literal: of two guesses of one
	// Dockerfile, the more specific wins.
	Specificity int
	// Unresolved lists the parts of the definition that could not be resolved (a variable with no
	// value), already in the warnings.
	Unresolved []string
}

// Origin is "kind:file", as apps show it.
func (b Build) Origin() string {
	if b.Source == SourceDockerfile {
		return SourceDockerfile
	}
	return b.Source + ":" + b.File
}

// rank orders builds for merging: by source, guesses after every exact definition.
func (b Build) rank() int {
	if b.Guess {
		return Authority(SourceDockerfile)
	}
	return Authority(b.Source)
}

// Where is "file:line" of the definition.
func (b Build) Where() string {
	if b.Line > 0 {
		return fmt.Sprintf("%s:%d", b.File, b.Line)
	}
	return b.File
}

// Options configures Find.
type Options struct {
	// Skip holds doublestar globs of directories never searched (vendor, node_modules, …).
	Skip []string
	// Dockerfiles, when false, leaves out the builds of Dockerfiles no source names.
	Dockerfiles bool
	// Env is the environment (KEY=VALUE) compose and bake variables are read from, as the tools
	// would see it; nil is an empty environment.
	Env []string
	// Files, when set, lists the repository's files (repo-relative) instead of the view's listing.
	Files []string
	// View is what the repository is read through; nil reads root from the OS and walks it.
	View tree.View
	// Cache keeps loaded compose projects (nil: none).
	Cache *cache.Cache
	// Keep keeps the result across runs (nil: never); not with Files.
	Keep Keeper
}

// Result is what Find found.
type Result struct {
	Builds []Build
	// Files are the definition files read (repo-relative, sorted): a change to one can change a build.
	Files []string
	// Warnings are problems that did not stop discovery, each naming the file and line and the fix.
	Warnings []string
	// Broken are definition files that could not be read at all, with their errors: their builds are
	// unknown.
	Broken []Error

	tree *fileTree
}

// Paths lists every file the search saw (repo-relative, sorted): what a later Find with
// Options.Files can take as the tree. The caller may append to it, not change it.
func (r *Result) Paths() []string {
	return slices.Clip(r.tree.files)
}

// Error is a definition file that could not be read, with the position of the problem.
type Error struct {
	File string // repo-relative path
	Line int    // 1-based; 0 when unknown
	Msg  string
	Err  error
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

func (e *Error) Unwrap() error { return e.Err }

// finder carries one Find run's state.
type finder struct {
	root  string
	view  tree.View
	opts  Options
	tree  *fileTree
	res   *Result
	files map[string]bool
	// filesMu guards files: compose projects are loaded on every core (preloadCompose).
	filesMu sync.Mutex

	composeCache map[string]map[string]bool
	composeDocs  map[string]*yaml.Node
	workflowDocs func() []workflowDoc // the workflows, read and parsed beside the other sources

	bakeSets   []bakeSet       // the bake files build commands read (noteBake)
	bakeLoaded map[string]bool // the sets the bake source read, by key
}

// sources are discovery's sources in authority order.
var sources = []func(*finder, context.Context) []Build{
	(*finder).compose, (*finder).bake, (*finder).skaffold, (*finder).workflows, (*finder).makefiles,
	(*finder).scripts, (*finder).devcontainers,
}

// runSources runs every source at once, each on a finder of its own (its warnings, broken files
// and files read; the compose parses it needs), and puts what they found together in source
// order: the answer a run of one after the other gives. Discovery was a large repository's
// longest sequential step.
func (f *finder) runSources(ctx context.Context) error {
	subs := make([]*finder, len(sources))
	found := make([][]Build, len(sources))
	var wg sync.WaitGroup
	for i, src := range sources {
		sub := &finder{root: f.root, view: f.view, opts: f.opts, tree: f.tree, res: &Result{tree: f.tree},
			files: map[string]bool{}, workflowDocs: f.workflowDocs}
		subs[i] = sub
		wg.Add(1)
		go func() {
			defer wg.Done()
			if ctx.Err() == nil {
				found[i] = src(sub, ctx)
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	// The bake files that build commands of the other sources read are bake's, after its own.
	const bakeIdx = 1 // sources[1] is (*finder).bake
	var more []bakeSet
	loaded := maps.Clone(subs[bakeIdx].bakeLoaded)
	for _, sub := range subs {
		for _, set := range sub.bakeSets {
			if k := set.key(); !loaded[k] {
				loaded[k] = true
				more = append(more, set)
			}
		}
	}
	if len(more) > 0 {
		found[bakeIdx] = append(found[bakeIdx], subs[bakeIdx].loadBakeSets(more)...)
	}
	for i, sub := range subs {
		f.res.Builds = append(f.res.Builds, found[i]...)
		f.res.Warnings = append(f.res.Warnings, sub.res.Warnings...)
		f.res.Broken = append(f.res.Broken, sub.res.Broken...)
		for p := range sub.files {
			f.files[p] = true
		}
	}
	return nil
}

func (f *finder) warn(format string, args ...any) {
	f.res.Warnings = append(f.res.Warnings, fmt.Sprintf(format, args...))
}

func (f *finder) broken(err error) {
	if e, ok := err.(*Error); ok {
		f.res.Broken = append(f.res.Broken, *e)
		return
	}
	f.res.Broken = append(f.res.Broken, Error{Msg: err.Error(), Err: err})
}

// lookupEnv reads a variable of Options.Env; the last definition wins, as in os/exec.
func (f *finder) lookupEnv(k string) (string, bool) {
	for i := len(f.opts.Env) - 1; i >= 0; i-- {
		if name, v, ok := strings.Cut(f.opts.Env[i], "="); ok && name == k {
			return v, true
		}
	}
	return "", false
}

func (f *finder) read(rel string) {
	f.filesMu.Lock()
	f.files[rel] = true
	f.filesMu.Unlock()
}

// Find returns every build the repository under root defines, in authority order (compose, bake,
// skaffold, workflows, Makefiles and scripts, devcontainer, Dockerfiles), each source's builds in a
// stable order. A definition file that cannot be read is reported in Result.Broken and the rest of
// the repository is still searched.
func Find(ctx context.Context, root string, opts Options) (*Result, error) {
	v := opts.View
	if v == nil {
		v = tree.NewDir(root)
	}
	t, err := scan(ctx, v, opts)
	if err != nil {
		return nil, err
	}
	key := ""
	if opts.Keep != nil && opts.Files == nil {
		key = keptKey(root, opts, t.files)
		if val, ok := opts.Keep.Kept(key); ok {
			if res, ok := decodeResult(val, t); ok {
				return res, nil
			}
		}
		v = opts.Keep.Tracing(v)
	}
	f := &finder{root: root, view: v, opts: opts, tree: t, res: &Result{tree: t}, files: map[string]bool{}}
	f.workflowDocs = parseWorkflows(ctx, v, f.opts.Cache, t.workflows)
	defer f.workflowDocs() // nothing reads the view once Find returns
	if err := f.runSources(ctx); err != nil {
		return nil, err
	}
	if opts.Dockerfiles {
		for _, df := range t.dockerfiles {
			f.res.Builds = append(f.res.Builds, Build{Name: DockerfileAppName(root, df), Dockerfile: df, Source: SourceDockerfile, File: df})
		}
	}
	// A build must name a Dockerfile of this repository that exists.
	out := f.res.Builds[:0]
	for _, b := range f.res.Builds {
		if b.Source != SourceDockerfile && !t.isFile(b.Dockerfile) {
			f.warn("%s: %s builds %s, which does not exist; skipped", b.Where(), describe(b), b.Dockerfile)
			continue
		}
		out = append(out, b)
	}
	f.res.Builds = out
	slices.SortStableFunc(f.res.Builds, func(a, b Build) int {
		if d := a.rank() - b.rank(); d != 0 {
			return d
		}
		return b.Specificity - a.Specificity
	})
	f.res.Files = slices.Sorted(maps.Keys(f.files))
	// One problem found once per matrix combination (or per alternative of a make variable) is
	// said once.
	said := map[string]bool{}
	f.res.Warnings = slices.DeleteFunc(f.res.Warnings, func(w string) bool {
		dup := said[w]
		said[w] = true
		return dup
	})
	if key != "" && f.keepable(v) {
		opts.Keep.Keep(key, encodeResult(f.res))
	}
	return f.res, nil
}

func describe(b Build) string {
	if b.Name != "" {
		return fmt.Sprintf("%s %q", sourceNoun(b.Source), b.Name)
	}
	return "a build"
}

func sourceNoun(s string) string {
	switch s {
	case SourceCompose:
		return "service"
	case SourceBake:
		return "target"
	case SourceSkaffold:
		return "artifact"
	case SourceWorkflow:
		return "step"
	}
	return "build"
}

// IsDockerfileName reports whether a file name is one monoctx treats as a Dockerfile: Dockerfile,
// dockerfile, Containerfile, Dockerfile.*, Dockerfile-*, Containerfile.*, *.Dockerfile,
// *.dockerfile, *.containerfile — but never an ignore file.
func IsDockerfileName(name string) bool {
	if strings.HasSuffix(name, ".dockerignore") || strings.HasSuffix(name, ".containerignore") {
		return false
	}
	switch name {
	case "Dockerfile", "dockerfile", "Containerfile", "containerfile":
		return true
	}
	for _, p := range []string{"Dockerfile.", "Dockerfile-", "Dockerfile_", "dockerfile.", "dockerfile-", "dockerfile_", "Containerfile.", "Containerfile-", "Containerfile_"} {
		if strings.HasPrefix(name, p) && len(name) > len(p) {
			return true
		}
	}
	for _, s := range []string{".Dockerfile", ".dockerfile", ".containerfile", ".Containerfile"} {
		if strings.HasSuffix(name, s) && len(name) > len(s) {
			return true
		}
	}
	return false
}

// DockerfileAppName names a build of a Dockerfile no source names: by its directory, or by its
// path when its name is not a plain Dockerfile/Containerfile.
func DockerfileAppName(root, df string) string {
	dir, base := path.Split(df)
	dir = strings.TrimSuffix(dir, "/")
	if dir == "" {
		dir = filepath.Base(root)
	}
	switch base {
	case "Dockerfile", "dockerfile", "Containerfile", "containerfile":
		return dir
	}
	return df
}

// ImageName turns "registry.example.com/team/web:tag" into "web".
func ImageName(image string) string {
	n := image
	if i := strings.LastIndexByte(n, '/'); i >= 0 {
		n = n[i+1:]
	}
	if i := strings.IndexAny(n, ":@"); i >= 0 {
		n = n[:i]
	}
	return n
}

// IsLocalContext reports whether a named context value is a local directory, not an image, a
// stage of another build, or a remote source (the forms BuildKit and compose accept).
func IsLocalContext(v string) bool {
	if strings.HasPrefix(v, "cwd://") {
		return true
	}
	if strings.Contains(v, "://") || strings.HasPrefix(v, "target:") || strings.HasPrefix(v, "service:") {
		return false
	}
	for _, p := range []string{"github.com/", "git@"} {
		if strings.HasPrefix(v, p) {
			return false
		}
	}
	return true
}

// NamedContexts turns named build contexts into repo-relative directories where they are local
// (abs says the values are absolute, as compose-go resolves them; otherwise they are relative to
// the root); every other kind is kept as written.
func NamedContexts(root string, in map[string]string, abs bool) (map[string]string, error) {
	if len(in) == 0 {
		return nil, nil
	}
	out := make(map[string]string, len(in))
	for _, name := range slices.Sorted(maps.Keys(in)) {
		v := in[name]
		if !IsLocalContext(v) {
			out[name] = v
			continue
		}
		p := strings.TrimPrefix(v, "cwd://")
		if !abs || !filepath.IsAbs(p) {
			if filepath.IsAbs(p) || Escapes(filepath.ToSlash(p)) {
				return nil, fmt.Errorf("%s=%s leaves the repository", name, v)
			}
			p = filepath.Join(root, filepath.FromSlash(p))
		}
		rel, err := RepoRel(root, p)
		if err != nil {
			return nil, fmt.Errorf("%s=%s leaves the repository", name, asWritten(root, p))
		}
		out[name] = rel
	}
	return out, nil
}

// RepoRel turns an absolute path into a repo-relative slash path ("." for the root), refusing
// paths outside the repository.
func RepoRel(root, p string) (string, error) {
	rel, err := filepath.Rel(root, p)
	if err != nil {
		return "", err
	}
	rel = filepath.ToSlash(rel)
	if rel == ".." || strings.HasPrefix(rel, "../") {
		return "", fmt.Errorf("outside the repository")
	}
	return rel, nil
}

// Escapes reports whether a cleaned relative slash path leaves its directory.
func Escapes(p string) bool {
	p = path.Clean(p)
	return p == ".." || strings.HasPrefix(p, "../")
}

// joinRel joins repo-relative parts and cleans the result ("." for the root).
func joinRel(parts ...string) string {
	p := path.Join(parts...)
	if p == "" {
		return "."
	}
	return p
}

// asWritten shows a path compose-go made absolute relative to the root again, as the user wrote it.
func asWritten(root, p string) string {
	if r, err := filepath.Rel(root, p); err == nil {
		return filepath.ToSlash(r)
	}
	return p
}

func (f *finder) readFile(rel string) ([]byte, error) {
	return f.view.ReadFile(rel)
}

// isDir reports whether the view holds the directory p, outside the skipped directories (an empty
// directory is in no listing).
func (f *finder) isDir(p string) bool {
	if skippedUnder(p, f.opts.Skip, map[string]bool{}) {
		return false
	}
	st, err := f.view.Stat(p)
	return err == nil && st.IsDir()
}

// IsDefinitionFile reports whether a repo-relative path is a file builds may be defined in:
// compose files and .env, bake and skaffold files, GitHub workflows, Makefiles, shell scripts,
// devcontainer.json. A change to one may change a build.
func IsDefinitionFile(p string) bool {
	if path.Base(p) == ".env" || bakeFileName(p) {
		return true
	}
	t := &fileTree{}
	t.add(p)
	return len(t.compose)+len(t.makefiles)+len(t.scripts)+len(t.workflows)+len(t.devcont)+len(t.skaffold) > 0
}

func bakeFileName(p string) bool {
	for _, n := range bakeFiles {
		if p == n {
			return true
		}
	}
	return false
}
