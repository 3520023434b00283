package graph

import (
	"context"
	"fmt"
	"github.com/monoctx/monoctx/graph/cache"
	"path"
	"path/filepath"
	"strings"
	"sync"

	"github.com/bmatcuk/doublestar/v4"
)

// An artifact is a COPY/ADD source (or a whole build context) that git does not track: a build
// output such as a binary that `make` writes before `docker build`. Its content comes from other
// files, so the app's input set gets those: the import closure of the Go main package that builds
// it, or the inputs monoctx.yaml declares. An artifact nothing explains selects its app for every
// change, with a warning: never miss.

// artifactState is shared by the apps of one Load: parsed .gitignore files, the index, and the
// `go build -o` lines of the repository's Makefiles, scripts and workflows, each read once.
type artifactState struct {
	fs         files
	mu         sync.Mutex
	gitignores map[string][]gitPattern // by repo-relative directory
	ignoredMem map[ignoredKey]bool     // ignored's answers: apps built from one template ask alike
	tracked    TrackedFunc             // nil: see isTracked
	cache      *cache.Cache            // the parse cache, for the workflows' YAML (nil: none)
	keep       *keptByTrace            // keeps the build lines across runs (nil: never)

	linesOnce sync.Once
	lines     []buildLine

	releaseOnce sync.Once
	release     []releaseBuild // the GoReleaser configuration's builds
	// listing is discovery's listing of the view (nil: buildLines walks it).
	listing []string
}

// artifactSource is one untracked source an app reads.
type artifactSource struct {
	path  string // repo-relative, may hold Docker wildcards
	where string // Dockerfile:line
	text  string // the instruction
	ctx   bool   // the build context itself is the untracked output
}

// resolveArtifacts finds the app's untracked sources and gives each the inputs of what builds it,
// or, when nothing explains one, marks the app as selected by every change.
func (l *langCache) resolveArtifacts(ctx context.Context, cfg *Config, a *App) error {
	st := &l.art
	var arts []artifactSource
	seen := map[string]bool{}
	add := func(s artifactSource) {
		if k := s.path + "\x00" + s.where; !seen[k] {
			seen[k] = true
			arts = append(arts, s)
		}
	}
	ctxArtifact := a.Context != "." && st.untracked(ctx, l.root, a.Context, true)
	for i := range a.inputs { // a run's inputs are Go files, never a COPY source
		in := &a.inputs[i]
		if !in.Context || !strings.HasPrefix(in.Rule.Where, a.Dockerfile+":") {
			continue
		}
		switch in.Rule.Kind {
		case "copy", "add", "mount", "whole-context":
		default:
			continue
		}
		if in.Path == a.Context && !ctxArtifact {
			continue
		}
		if !ctxArtifact {
			u, absent := st.untrackedOrAbsent(ctx, l.root, in.Path, false)
			if !u && !(absent && (l.writtenByBuild(cfg, in.Path) || st.madeBeforeBuild(l.root, in.Path))) {
				continue
			}
		}
		in.artifact = true
		p := in.Path
		if ctxArtifact && in.Path == a.Context {
			p = a.Context
		}
		add(artifactSource{path: p, where: in.Rule.Where, text: in.Rule.Text, ctx: ctxArtifact && p == a.Context})
	}
	for _, s := range arts {
		explained, err := l.explainArtifact(ctx, cfg, a, s)
		if err != nil {
			return err
		}
		if explained {
			continue
		}
		what := "COPY source " + s.path + " is a build output git does not track"
		if s.ctx {
			what = "the build context " + s.path + " is a build output git does not track"
		}
		a.warnings = append(a.warnings, fmt.Sprintf("%s: %s, and nothing says what it is built from: app %s is selected for every change; declare its sources in %s: artifacts: [{path: %q, go: <main package directory>}] or [{path: %q, inputs: [<globs>]}]",
			s.where, what, a.Name, cfg.fileName(), s.path, s.path))
		if a.Always == nil {
			a.Always = &Rule{Kind: "artifact", Where: s.where,
				Text: fmt.Sprintf("%s: %s is a build output nothing explains (declare it under artifacts: in %s); the app is selected for every change", s.text, s.path, cfg.fileName())}
		}
	}
	return nil
}

// writtenByBuild reports whether a source absent from the tree is what a go build -o line writes:
// a build output the repository does not ignore (written, copied, then removed).
func (l *langCache) writtenByBuild(cfg *Config, p string) bool {
	for _, bl := range l.art.buildLines(l.root, cfg) {
		if globsOverlap(bl.out, p) {
			return true
		}
	}
	return false
}

// explainArtifact adds the inputs of what builds the artifact: a monoctx.yaml artifacts: entry, a
// `go build -o` line that writes it (by its path, else by its name), a GoReleaser build of that
// name, the main package named after it, or the main package in the Dockerfile's directory, in
// that order.
func (l *langCache) explainArtifact(ctx context.Context, cfg *Config, a *App, s artifactSource) (bool, error) {
	head := fmt.Sprintf("%s → artifact %s", s.text, s.path)
	for i := range cfg.Artifacts {
		ac := &cfg.Artifacts[i]
		if !artifactGlobMatch(ac.Path, s.path) {
			continue
		}
		where := fmt.Sprintf("%s:%d", cfg.fileName(), ac.line)
		if ac.Go != "" {
			pkg := path.Clean(strings.TrimPrefix(ac.Go, "./"))
			ok, err := l.addArtifactGo(ctx, a, s, pkg, fmt.Sprintf("%s built from Go package %s (%s artifacts: %s → go: %s)", head, pkg, where, ac.Path, ac.Go))
			if err != nil {
				return false, err
			}
			if !ok {
				return false, &ParseError{File: cfg.fileName(), Line: ac.line, Msg: fmt.Sprintf("artifacts: go: %s is not a Go main package of this repository; name the directory of the package that builds %s", ac.Go, ac.Path)}
			}
			return true, nil
		}
		for _, g := range ac.Inputs {
			a.inputs = append(a.inputs, Input{Path: strings.TrimPrefix(g, "./"), Match: "glob",
				Rule: Rule{Kind: "artifact", Where: s.where, Text: fmt.Sprintf("%s built from %s (%s artifacts: %s)", head, g, where, ac.Path)}})
		}
		return true, nil
	}
	if s.ctx {
		return false, nil // a whole output directory: only the config can say what fills it
	}

	var pkgs []string
	var hows []string
	lines := l.art.buildLines(l.root, cfg)
	for _, bl := range lines {
		if globsOverlap(bl.out, s.path) && !containsStr(pkgs, bl.pkg) {
			pkgs = append(pkgs, bl.pkg)
			hows = append(hows, fmt.Sprintf("%s:%d %s", bl.file, bl.line, bl.text))
		}
	}
	if name := binaryName(path.Base(s.path)); len(pkgs) == 0 && name != "" {
		// A binary built under its name elsewhere and moved beside the Dockerfile before the
		// build (temporalio/temporal: `go build -o temporal-server ./cmd/server`, copied to
		// docker/build/$TARGETARCH/ by its CI).
		for _, bl := range lines {
			if binaryName(path.Base(bl.out)) == name && !containsStr(pkgs, bl.pkg) {
				pkgs = append(pkgs, bl.pkg)
				hows = append(hows, fmt.Sprintf("%s:%d %s, by its name", bl.file, bl.line, bl.text))
			}
		}
	}
	if len(pkgs) > 0 {
		// Several lines may write the same path: every one of their packages counts.
		any := false
		for i, pkg := range pkgs {
			ok, err := l.addArtifactGo(ctx, a, s, pkg, fmt.Sprintf("%s built from Go package %s (%s)", head, pkg, hows[i]))
			if err != nil {
				return false, err
			}
			any = any || ok
		}
		if any {
			return true, nil
		}
	}
	if name := binaryName(path.Base(s.path)); name != "" {
		any := false
		for _, rb := range l.art.releaseBuilds(l.root) {
			if binaryName(rb.binary) != name {
				continue
			}
			ok, err := l.addArtifactGo(ctx, a, s, rb.pkg, fmt.Sprintf("%s built from Go package %s (%s:%d GoReleaser build of %s)", head, rb.pkg, rb.file, rb.line, rb.binary))
			if err != nil {
				return false, err
			}
			if ok && !any {
				// A change to how the release builds it (its dir, main, flags) is a change too.
				a.inputs = append(a.inputs, Input{Path: rb.file, Match: "path",
					Rule: Rule{Kind: "artifact", Where: s.where, Text: fmt.Sprintf("%s built by the GoReleaser configuration %s", head, rb.file)}})
			}
			any = any || ok
		}
		if any {
			return true, nil
		}
		for _, d := range namedPackageDirs(a, name) {
			if !l.isMain(filepath.Join(l.root, filepath.FromSlash(d))) {
				continue
			}
			ok, err := l.addArtifactGo(ctx, a, s, d, fmt.Sprintf("%s built from Go package %s (the main package named after it)", head, d))
			if err != nil || ok {
				return ok, err
			}
		}
	}
	if binaryLooking(path.Base(s.path)) && l.isMain(filepath.Join(l.root, filepath.FromSlash(a.Dir()))) {
		return l.addArtifactGo(ctx, a, s, a.Dir(), fmt.Sprintf("%s built from Go package %s (the main package in the Dockerfile's directory)", head, a.Dir()))
	}
	return false, nil
}

// addArtifactGo adds the import closure of the Go package pkg as the artifact's inputs. ok is false
// when pkg cannot be analysed as Go.
func (l *langCache) addArtifactGo(ctx context.Context, a *App, s artifactSource, pkg, text string) (bool, error) {
	if !l.isMain(filepath.Join(l.root, filepath.FromSlash(pkg))) {
		return false, nil
	}
	an, err := l.goAnalyzer(false)
	if err != nil {
		return false, err
	}
	c, err := an.Analyze(ctx, pkg)
	if err != nil {
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		return false, nil
	}
	// Apps that COPY the same artifact from the same line share the closure's inputs as one run.
	r := l.genRun(runKey{closure: c, where: s.where, text: text},
		&genInputs{files: c.Files, prefix: text + " → Go: ", kind: "artifact", where: s.where})
	a.addInputs(r)
	// go.mod and go.sum changes are narrowed to the modules the closure imports, as for an app
	// narrowed by Go analysis; a second module's files always count.
	switch {
	case a.goInfo == nil:
		info := &goInfo{moduleDir: c.ModuleDir, external: map[string]bool{}, complete: c.ExternalComplete}
		for _, m := range c.ExternalModules {
			info.external[m] = true
		}
		a.goInfo = info
	case a.goInfo.moduleDir == c.ModuleDir:
		for _, m := range c.ExternalModules {
			a.goInfo.external[m] = true
		}
		a.goInfo.complete = a.goInfo.complete && c.ExternalComplete
	}
	return true, nil
}

// platformWords are the OS and architecture names binaries are suffixed with.
var platformWords = map[string]bool{
	"linux": true, "darwin": true, "windows": true, "freebsd": true, "netbsd": true, "openbsd": true,
	"android": true, "ios": true, "solaris": true, "illumos": true, "aix": true, "plan9": true,
	"js": true, "wasip1": true, "wasm": true, "macos": true, "osx": true, "win": true,
	"amd64": true, "arm64": true, "arm": true, "386": true, "x86_64": true, "x86": true, "x64": true,
	"aarch64": true, "i386": true, "i686": true, "ppc64le": true, "ppc64": true, "s390x": true,
	"riscv64": true, "mips": true, "mipsle": true, "mips64": true, "mips64le": true, "loong64": true,
	"armv5": true, "armv6": true, "armv7": true, "armhf": true, "v5": true, "v6": true, "v7": true, "v8": true,
	"exe": true, "*": true,
}

// buildWords are suffixes of a variant of the same binary: "x-linux-amd64-debug" is x.
var buildWords = map[string]bool{"debug": true, "static": true, "race": true, "stripped": true}

// binaryName is an artifact's base name without its OS/arch suffixes: "x-linux-amd64" and
// "x-linux-*" are "x", "thanos" is "thanos". "" when nothing is left.
func binaryName(base string) string {
	name := base
	for name != "" {
		i := strings.LastIndexAny(name, "-_.")
		word := name[i+1:]
		if !platformWords[strings.ToLower(word)] && !strings.ContainsAny(word, "*?[") && !(i > 0 && buildWords[strings.ToLower(word)]) {
			break
		}
		if i < 0 {
			return ""
		}
		name = name[:i]
	}
	if strings.ContainsAny(name, "*?[") || strings.HasPrefix(name, ".") {
		return ""
	}
	return name
}

// binaryLooking reports whether a base name can be a Go binary: no extension but an OS/arch word.
func binaryLooking(base string) bool {
	n := binaryName(base)
	return n != "" && !strings.Contains(n, ".")
}

// namedPackageDirs are the directories a main package named name would live in, nearest first:
// DIR/cmd/name and DIR/name for the Dockerfile's directory, the context and their ancestors.
func namedPackageDirs(a *App, name string) []string {
	var out []string
	seen := map[string]bool{}
	for _, start := range []string{a.Dir(), a.Context} {
		for d := start; ; d = path.Dir(d) {
			for _, c := range []string{joinRel(d, "cmd", name), joinRel(d, name)} {
				if !seen[c] {
					seen[c] = true
					out = append(out, c)
				}
			}
			if d == "." {
				break
			}
		}
	}
	return out
}

// artifactGlobMatch reports whether an artifacts: path glob covers the artifact path p, which may
// hold Docker wildcards itself ("cmd/x/x-linux-*").
func artifactGlobMatch(glob, p string) bool {
	glob = strings.TrimSuffix(strings.TrimPrefix(glob, "./"), "/")
	if globMatch(glob, p) {
		return true
	}
	if ok, _ := doublestar.Match(glob+"/**", p); ok {
		return true
	}
	return !strings.Contains(glob, "**") && globsOverlap(glob, p)
}

// madeBeforeBuild reports whether a COPY source pattern that matches nothing, though the
// repository does not ignore it, must be made before the build: its literal directory does not
// exist (temporalio/temporal's CI copies its binaries to docker/build/$TARGETARCH/ just before
// `docker buildx bake`). A pattern in an existing directory (`COPY yarn.lock* ./`) may match
// nothing on purpose; a literal path that is missing makes the app unresolved (inputs.go).
func (st *artifactState) madeBeforeBuild(root, p string) bool {
	if !hasGlob(p) {
		return false
	}
	dir := literalPrefix(p)
	if dir == "." {
		return false
	}
	_, err := st.fs.Lstat(filepath.Join(root, filepath.FromSlash(dir)))
	return err != nil
}

// untracked reports whether the repo-relative path p (a file, a directory, or a pattern of Docker
// wildcards) is a build output: git ignores it and tracks nothing there. The repository's own
// .gitignore files decide, not the machine's global excludes, so every clone gives the same answer.
func (st *artifactState) untracked(ctx context.Context, root, p string, isDir bool) bool {
	u, _ := st.untrackedOrAbsent(ctx, root, p, isDir)
	return u
}

// untrackedOrAbsent is untracked, and whether nothing is at p.
func (st *artifactState) untrackedOrAbsent(ctx context.Context, root, p string, isDir bool) (untracked, absent bool) {
	if p == "." || p == "" {
		return false, false
	}
	if hasGlob(p) {
		matches, _ := st.fs.Glob(root, p) // a bad pattern matches nothing, as filepath.Glob's
		if len(matches) > 0 {
			for _, m := range matches {
				rel, err := repoRel(root, m)
				if err != nil {
					return false, false
				}
				info, err := st.fs.Lstat(m)
				if err != nil || !st.ignored(root, rel, info.IsDir()) || st.isTracked(ctx, root, rel) {
					return false, false
				}
			}
			return true, false
		}
		// Nothing matches yet (a fresh clone): an ignored directory on the way, or an ignored
		// path for the usual OS/arch values.
		if prefix := literalPrefix(p); prefix != "." && st.ignored(root, prefix, true) {
			return true, true
		}
		for _, w := range []string{"amd64", "arm64", "linux", "x86_64"} {
			sample := strings.NewReplacer("*", w, "?", "x").Replace(p)
			if !strings.Contains(sample, "[") && (st.ignored(root, sample, false) || st.ignored(root, sample, true)) {
				return true, true
			}
		}
		return false, true
	}
	info, err := st.fs.Lstat(filepath.Join(root, filepath.FromSlash(p)))
	if err != nil {
		return st.ignored(root, p, isDir) || st.ignored(root, p, !isDir), true
	}
	return st.ignored(root, p, info.IsDir()) && !st.isTracked(ctx, root, p), false
}

// ignored applies the .gitignore files of p's ancestors, as git does: a path under an ignored
// directory is ignored whatever comes later.
func (st *artifactState) ignored(root, p string, isDir bool) bool {
	k := ignoredKey{root, p, isDir}
	st.mu.Lock()
	v, ok := st.ignoredMem[k]
	st.mu.Unlock()
	if ok {
		return v
	}
	v = st.ignoredUncached(root, p, isDir)
	st.mu.Lock()
	if st.ignoredMem == nil {
		st.ignoredMem = map[ignoredKey]bool{}
	}
	st.ignoredMem[k] = v
	st.mu.Unlock()
	return v
}

type ignoredKey struct {
	root, p string
	isDir   bool
}

func (st *artifactState) ignoredUncached(root, p string, isDir bool) bool {
	parts := strings.Split(p, "/")
	var ps []gitPattern
	for i := 0; i < len(parts); i++ {
		ps = append(ps, st.gitignoreOf(root, strings.Join(parts[:i], "/"))...)
	}
	if len(ps) == 0 {
		return false
	}
	for i := 1; i < len(parts); i++ {
		if gitIgnored(ps, strings.Join(parts[:i], "/"), true) {
			return true
		}
	}
	return gitIgnored(ps, p, isDir)
}

func (st *artifactState) gitignoreOf(root, dir string) []gitPattern {
	st.mu.Lock()
	defer st.mu.Unlock()
	if ps, ok := st.gitignores[dir]; ok {
		return ps
	}
	if st.gitignores == nil {
		st.gitignores = map[string][]gitPattern{}
	}
	var ps []gitPattern
	if data, err := st.fs.ReadFile(filepath.Join(root, filepath.FromSlash(dir), ".gitignore")); err == nil {
		ps = parseGitignore(dir, data)
	}
	st.gitignores[dir] = ps
	return ps
}

// isTracked reports whether git tracks p or a file under it: asked of the Load's tracked function
// (the git CLI or go-git, behind graph/gitchanges) only for an ignored path that exists. A tree
// without a .git (one checked out from a commit for --head) holds tracked files only; a repository
// loaded without a tracked function counts an ignored file as untracked.
func (st *artifactState) isTracked(ctx context.Context, root, p string) bool {
	if st.tracked != nil {
		ok, err := st.tracked(ctx, p)
		return err != nil || ok // unsure: a source, never an artifact
	}
	_, err := st.fs.Lstat(filepath.Join(root, ".git"))
	return err != nil
}

// gitPattern is one line of a .gitignore, as a doublestar glob over repo-relative paths.
type gitPattern struct {
	glob    string
	negate  bool
	dirOnly bool
}

// parseGitignore reads the .gitignore of the repo-relative directory dir ("" for the root) with
// git's rules: "!" negates, a trailing "/" matches directories only, a "/" at the start or in the
// middle anchors the pattern to dir, otherwise it matches a name at any depth below dir.
func parseGitignore(dir string, data []byte) []gitPattern {
	var out []gitPattern
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSuffix(line, "\r")
		if strings.HasPrefix(line, "#") {
			continue
		}
		if !strings.HasSuffix(line, "\\ ") {
			line = strings.TrimRight(line, " \t")
		}
		if line == "" {
			continue
		}
		var p gitPattern
		if strings.HasPrefix(line, "!") {
			p.negate, line = true, line[1:]
		} else if strings.HasPrefix(line, "\\!") || strings.HasPrefix(line, "\\#") {
			line = line[1:]
		}
		if strings.HasSuffix(line, "/") {
			p.dirOnly, line = true, strings.TrimRight(line, "/")
		}
		if line == "" {
			continue
		}
		anchored := strings.Contains(line, "/")
		line = strings.TrimPrefix(line, "/")
		if !anchored && !strings.HasPrefix(line, "**") {
			line = "**/" + line
		}
		if dir != "" {
			line = dir + "/" + line
		}
		if !doublestar.ValidatePattern(line) {
			continue
		}
		p.glob = line
		out = append(out, p)
	}
	return out
}

// gitIgnored applies patterns in order, the last match deciding, to one path.
func gitIgnored(ps []gitPattern, p string, isDir bool) bool {
	for i := len(ps) - 1; i >= 0; i-- {
		if ps[i].dirOnly && !isDir {
			continue
		}
		if ok, _ := doublestar.Match(ps[i].glob, p); ok {
			return !ps[i].negate
		}
	}
	return false
}

// globsOverlap reports whether two slash paths whose segments may hold "*" (and "?", "[...]",
// read as one character) can name the same path. A "*" never crosses a "/".
func globsOverlap(a, b string) bool {
	as, bs := strings.Split(a, "/"), strings.Split(b, "/")
	if len(as) != len(bs) {
		return false
	}
	for i := range as {
		if !segmentsOverlap(simplifyClasses(as[i]), simplifyClasses(bs[i])) {
			return false
		}
	}
	return true
}

// simplifyClasses turns each character class into "?".
func simplifyClasses(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '[' {
			if j := strings.IndexByte(s[i:], ']'); j > 0 {
				b.WriteByte('?')
				i += j
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// segmentsOverlap decides whether two patterns of literals, "*" and "?" have a common match.
func segmentsOverlap(a, b string) bool {
	memo := map[[2]int]bool{}
	var rec func(i, j int) bool
	rec = func(i, j int) bool {
		k := [2]int{i, j}
		if v, ok := memo[k]; ok {
			return v
		}
		var r bool
		switch {
		case i == len(a) && j == len(b):
			r = true
		case i < len(a) && a[i] == '*':
			r = rec(i+1, j) || (j < len(b) && rec(i, j+1))
		case j < len(b) && b[j] == '*':
			r = rec(i, j+1) || (i < len(a) && rec(i+1, j))
		case i == len(a) || j == len(b):
			r = false
		case a[i] == '?' || b[j] == '?' || a[i] == b[j]:
			r = rec(i+1, j+1)
		}
		memo[k] = r
		return r
	}
	return rec(0, 0)
}

func containsStr(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
