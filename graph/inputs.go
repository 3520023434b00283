package graph

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"strings"

	"github.com/moby/patternmatcher"

	"github.com/monoctx/monoctx/ignore"
)

// computeInputs fills a.inputs and a.Whole: the Dockerfile, the ignore files that can apply, every
// context source of the reachable stages, and the app's declared inputs. lang shares Dockerfile
// analyses between the apps of one Load (nil: none shared). A source that cannot be followed (a
// symlink loop) stays an input as written, and warn says why.
func computeInputs(ctx context.Context, root string, cfg *Config, a *App, lang *langCache, warn func(string)) error {
	fsys := lang.fs
	data, err := fsys.ReadFile(filepath.Join(root, filepath.FromSlash(a.Dockerfile)))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("app %s: Dockerfile %s does not exist", a.Name, a.Dockerfile)
		}
		return fmt.Errorf("app %s: reading Dockerfile: %w", a.Name, err)
	}
	info, err := lang.dockerfile(a.Dockerfile, data, a.Args, a.Target)
	if err != nil {
		return err
	}
	a.df = info
	inferred := (a.Origin == "dockerfile" || a.contextUnknown) && a.ContextReason == ""
	if inferred {
		a.Context, a.ContextReason = inferContext(fsys, root, a, info)
	}
	if _, ok := relTo(".", a.Context); !ok || escapesContext(a.Context) {
		return fmt.Errorf("app %s: context %q is outside the repository", a.Name, a.Context)
	}
	if st, err := fsys.Stat(filepath.Join(root, filepath.FromSlash(a.Context))); err != nil || !st.IsDir() {
		// A context that is build output (gitignored) may not be built yet: an artifact context.
		if err == nil || !(&artifactState{fs: fsys}).untracked(context.Background(), root, a.Context, true) {
			return fmt.Errorf("app %s: context directory %s does not exist", a.Name, a.Context)
		}
	}

	a.runs, a.flat = nil, nil
	a.inputs = append(a.inputs[:0], Input{Path: a.Dockerfile, Match: "path",
		Rule: Rule{Kind: "dockerfile", Where: a.Dockerfile, Text: "the Dockerfile"}})

	// The per-Dockerfile ignore file replaces the context's .dockerignore (BuildKit; never merged).
	// Creating it changes what the image sees, so it is an input even while absent; the context's
	// file matters only while the per-Dockerfile one does not exist.
	perDockerfile := a.Dockerfile + ".dockerignore"
	applicable, isPer := ignore.ApplicableIn(fsys, filepath.Join(root, filepath.FromSlash(a.Dockerfile)), filepath.Join(root, filepath.FromSlash(a.Context)))
	a.inputs = append(a.inputs, Input{Path: perDockerfile, Match: "path",
		Rule: Rule{Kind: "ignorefile", Where: perDockerfile, Text: "per-Dockerfile ignore file"}})
	if !isPer {
		ctxIgnore := joinRel(a.Context, ".dockerignore")
		a.inputs = append(a.inputs, Input{Path: ctxIgnore, Match: "path",
			Rule: Rule{Kind: "ignorefile", Where: ctxIgnore, Text: "the context's ignore file"}})
	}
	// Generated files are read through the user patterns they keep, never through their own
	// allowlist: that is derived from the input set, and would hide a new COPY source until
	// regeneration.
	if rel, err := repoRel(root, applicable); err == nil && fsys.fileExists(applicable) {
		f, generated, err := lang.readIgnore(applicable, rel)
		if err != nil {
			return err
		}
		a.IgnoreFile, a.ignore = rel, f
		if generated && f == nil && isPer {
			// A generated per-Dockerfile file that took nothing over carries the context's file.
			ctxIgnore := joinRel(a.Context, ".dockerignore")
			if p := filepath.Join(root, filepath.FromSlash(ctxIgnore)); fsys.fileExists(p) {
				if a.ignore, _, err = lang.readIgnore(p, ctxIgnore); err != nil {
					return err
				}
			}
			a.inputs = append(a.inputs, Input{Path: ctxIgnore, Match: "path",
				Rule: Rule{Kind: "ignorefile", Where: ctxIgnore, Text: "the context's ignore file, carried into the generated " + rel}})
		}
	}

	for _, s := range info.Sources {
		if s.Path == "." {
			continue
		}
		p := joinRel(a.Context, s.Path)
		a.inputs = append(a.inputs, Input{Path: p, Match: "path", Context: true, Exclude: s.Exclude,
			Rule: Rule{Kind: s.Kind, Where: fmt.Sprintf("%s:%d", a.Dockerfile, s.Line), Text: s.Text}})
		hops, err := symlinkTargets(ctx, fsys, root, a.Context, p)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			warn(fmt.Sprintf("%s:%d: %s: %v; fix or remove the link (counted as an input as written)", a.Dockerfile, s.Line, s.Text, err))
		}
		for _, t := range hops {
			a.inputs = append(a.inputs, Input{Path: t.target, Match: "path", Context: true, link: t.link + " -> " + t.dest,
				Rule: Rule{Kind: s.Kind, Where: fmt.Sprintf("%s:%d", a.Dockerfile, s.Line),
					Text: fmt.Sprintf("%s (through the symlink %s -> %s)", s.Text, t.link, t.dest)}})
		}
	}
	if w := info.Whole; w != nil {
		a.Whole = &Rule{Kind: "whole-context", Where: fmt.Sprintf("%s:%d", a.Dockerfile, w.Line), Text: w.Text}
		a.inputs = append(a.inputs, Input{Path: a.Context, Match: "path", Context: true, Rule: *a.Whole})
	}

	if inferred {
		a.inputs = append(a.inputs, unresolvedInputs(fsys, root, a, info)...)
	}
	a.inputs = append(a.inputs, namedInputs(a, info)...)

	a.inputs = append(a.inputs, declaredInputs(cfg, a)...)
	a.excludes = cfg.Exclude
	for i := range a.inputs {
		in := &a.inputs[i]
		if in.Match == "path" && !hasGlob(in.Path) {
			st, err := fsys.Stat(filepath.Join(root, filepath.FromSlash(in.Path)))
			in.isDir = err == nil && st.IsDir()
		}
	}
	return nil
}

// namedInputs are the inputs read from the app's named build contexts: for a local directory, the
// sources read from it (all of it for FROM or a whole copy) and its ignore file, which BuildKit may
// apply when it sends that directory; for another build of the repository ("target:x",
// "service:x"), the image of that app, recorded in a.imageDeps.
func namedInputs(a *App, info *dockerfileInfo) []Input {
	a.imageDeps = a.imageDeps[:0]
	var out []Input
	seenIgnore := map[string]bool{}
	for _, s := range info.Named {
		v, ok := a.Contexts[s.From]
		if !ok && s.Kind == "from" {
			// FROM alpine:3.20 may take a context named alpine: over-select rather than guess
			// how the builder normalises the reference.
			s.From = untagged(s.From)
			v, ok = a.Contexts[s.From]
		}
		if !ok {
			continue // an image, not a named context
		}
		where := fmt.Sprintf("%s:%d", a.Dockerfile, s.Line)
		text := fmt.Sprintf("%s (named context %s=%s)", s.Text, s.From, v)
		if dep, ok := otherBuild(v); ok {
			a.imageDeps = append(a.imageDeps, imageDep{app: dep, rule: Rule{Kind: "named-context", Where: where, Text: text}})
			continue
		}
		if !IsLocalContext(v) {
			continue // an image or a remote source: nothing of this repository
		}
		out = append(out, Input{Path: joinRel(v, s.Path), Match: "path", Exclude: s.Exclude,
			Rule: Rule{Kind: "named-context", Where: where, Text: text}})
		if ign := joinRel(v, ".dockerignore"); !seenIgnore[ign] {
			seenIgnore[ign] = true
			out = append(out, Input{Path: ign, Match: "path",
				Rule: Rule{Kind: "ignorefile", Where: ign, Text: "the ignore file of the named context " + s.From}})
		}
	}
	return out
}

// untagged is an image reference without its digest and tag.
func untagged(ref string) string {
	ref, _, _ = strings.Cut(ref, "@")
	if i := strings.LastIndexByte(ref, ':'); i > strings.LastIndexByte(ref, '/') {
		ref = ref[:i]
	}
	return ref
}

// otherBuild names the app a named context takes the image of: bake's "target:x", compose's
// "service:x".
func otherBuild(v string) (string, bool) {
	for _, p := range []string{"target:", "service:"} {
		if n, ok := strings.CutPrefix(v, p); ok && n != "" {
			return n, true
		}
	}
	return "", false
}

// prepare compiles the inputs' patterns once, so matching many changed paths stays cheap.
func (a *App) prepare() {
	for i := range a.inputs {
		in := &a.inputs[i]
		if in.Match == "path" && hasGlob(in.Path) && in.pm == nil {
			if pm, err := patternmatcher.New([]string{in.Path}); err == nil {
				in.pm = pm
			}
		}
		if len(in.Exclude) > 0 && in.excl == nil {
			if pm, err := patternmatcher.New(in.Exclude); err == nil {
				in.excl = pm
			}
		}
	}
}

// inferContext picks the context of a Dockerfile found in the tree: its own directory, unless its COPY
// sources resolve better from an ancestor (COPY ./src/api/go.mod . in src/api/Dockerfile): then the
// nearest ancestor where the most literal sources exist (all of them, normally).
func inferContext(fsys files, root string, a *App, info *dockerfileInfo) (string, string) {
	dir := path.Dir(a.Dockerfile)
	lits := literalSources(info)
	if len(lits) == 0 {
		return evidenceContext(fsys, root, a, info, dir)
	}
	resolved := func(d string) (n int, first *Source) {
		for i := range lits {
			if _, err := fsys.Lstat(filepath.Join(root, filepath.FromSlash(joinRel(d, lits[i].Path)))); err == nil {
				n++
			} else if first == nil {
				first = &lits[i]
			}
		}
		return n, first
	}
	bestN, firstMissing := resolved(dir)
	if bestN == len(lits) {
		return evidenceContext(fsys, root, a, info, dir)
	}
	best := dir
	for d := dir; d != "."; {
		d = path.Dir(d)
		if n, _ := resolved(d); n > bestN {
			best, bestN = d, n
			if n == len(lits) {
				break
			}
		}
	}
	if best == dir {
		return dir, ""
	}
	return best, fmt.Sprintf("%s:%d %s resolves only from %s", a.Dockerfile, firstMissing.Line, firstMissing.Text, best)
}

// evidenceContext looks, for a Dockerfile that copies its whole context, at what its other lines say
// the context holds: a path a later stage copies out of the whole-context copy (`COPY . /src/proj`,
// then `COPY --from=build /src/proj/cmd/x/x`), the Makefile or script a RUN line runs, the package
// a RUN line builds (`go build ./cmd/x`, `turbo prune web`: the workspace root). When that exists
// only from an ancestor of dir, the nearest such ancestor is the context, with the evidence as the
// reason.
func evidenceContext(fsys files, root string, a *App, info *dockerfileInfo, dir string) (string, string) {
	if info.Whole == nil || dir == "." {
		return dir, ""
	}
	exists := func(d, p string, wantDir bool) bool {
		st, err := fsys.Stat(filepath.Join(root, filepath.FromSlash(joinRel(d, p))))
		return err == nil && (!wantDir || st.IsDir())
	}
	// fromAncestor is the nearest ancestor of dir from which p exists while it does not from dir.
	fromAncestor := func(p string, wantDir bool) string {
		if p == "" || p == "." || escapesContext(p) || exists(dir, p, wantDir) {
			return ""
		}
		for d := path.Dir(dir); ; d = path.Dir(d) {
			if exists(d, p, wantDir) {
				return d
			}
			if d == "." {
				return ""
			}
		}
	}
	where := func(line int, text string) string { return fmt.Sprintf("%s:%d %s", a.Dockerfile, line, text) }
	for _, s := range info.FromWhole {
		if d := fromAncestor(path.Dir(s.Path), true); d != "" {
			return d, fmt.Sprintf("%s names %s, a directory only from %s", where(s.Line, s.Text), path.Dir(s.Path), d)
		}
	}
	for _, f := range info.RunFiles {
		for _, p := range f.Paths {
			if d := fromAncestor(p, false); d != "" {
				return d, fmt.Sprintf("%s runs %s, which exists only from %s", where(f.Line, f.Text), p, d)
			}
		}
	}
	for _, b := range info.Builds {
		switch {
		case b.Unresolved != "":
			continue
		case b.Lang == "go" && !b.Import || b.Lang == "js" && b.Dir:
			if d := fromAncestor(b.Package, true); d != "" {
				return d, fmt.Sprintf("%s builds %s, a directory only from %s", where(b.Line, b.Text), b.Package, d)
			}
		case b.Lang == "js":
			// A workspace package by name: the context is the workspace root that holds it.
			for d := path.Dir(dir); ; d = path.Dir(d) {
				if isWorkspaceRoot(fsys, root, d) {
					return d, fmt.Sprintf("%s builds the workspace package %s of the workspace at %s", where(b.Line, b.Text), b.Package, d)
				}
				if d == "." {
					break
				}
			}
		}
	}
	return dir, ""
}

// isWorkspaceRoot reports whether dir is the root of a JS workspace: pnpm-workspace.yaml, or a
// package.json with workspaces.
func isWorkspaceRoot(fsys files, root, dir string) bool {
	if fsys.fileExists(filepath.Join(root, filepath.FromSlash(dir), "pnpm-workspace.yaml")) {
		return true
	}
	data, err := fsys.ReadFile(filepath.Join(root, filepath.FromSlash(dir), "package.json"))
	return err == nil && strings.Contains(string(data), `"workspaces"`)
}

func literalSources(info *dockerfileInfo) []Source {
	var lits []Source
	for _, s := range info.Sources {
		if s.Path != "." && !hasGlob(s.Path) {
			lits = append(lits, s)
		}
	}
	return lits
}

// unresolvedInputs covers a literal source that exists nowhere in the inferred context (a renamed or
// deleted lib the Dockerfile still names): it is counted at the Dockerfile's directory and at every
// ancestor, since the walk could not tell which context the author meant. Over-select, never miss.
func unresolvedInputs(fsys files, root string, a *App, info *dockerfileInfo) []Input {
	var out []Input
	for _, s := range literalSources(info) {
		if _, err := fsys.Lstat(filepath.Join(root, filepath.FromSlash(joinRel(a.Context, s.Path)))); err == nil {
			continue
		}
		for d := path.Dir(a.Dockerfile); ; d = path.Dir(d) {
			if d != a.Context {
				out = append(out, Input{Path: joinRel(d, s.Path), Match: "path",
					Rule: Rule{Kind: s.Kind, Where: fmt.Sprintf("%s:%d", a.Dockerfile, s.Line),
						Text: fmt.Sprintf("%s (missing from the inferred context %s; counted from %s too)", s.Text, a.Context, d)}})
			}
			if d == "." {
				break
			}
		}
	}
	return out
}

type symlinkHop struct{ link, dest, target string }

// maxSymlinkHops is the number of links one source may pass through, as Linux's ELOOP limit.
const maxSymlinkHops = 40

// symlinkTargets follows symlinks on the way to a literal source, as BuildKit's FollowPaths does:
// COPY apps/web/shared, where shared -> ../../libs/ui, sends libs/ui too. Targets outside the
// context are not followed (BuildKit reports them as not found). A loop (loop1 -> loop2 -> loop1,
// or a link to itself) is an error naming the first link, with the hops found so far.
func symlinkTargets(ctx context.Context, fsys files, root, ctxDir, p string) ([]symlinkHop, error) {
	if hasGlob(p) {
		return nil, nil
	}
	rel, ok := relTo(ctxDir, p)
	if !ok || rel == "." {
		return nil, nil
	}
	var out []symlinkHop
	cur := ctxDir
	parts := strings.Split(rel, "/")
	hops := 0
	for i := 0; i < len(parts); i++ {
		next := joinRel(cur, parts[i])
		st, err := fsys.Lstat(filepath.Join(root, filepath.FromSlash(next)))
		if err != nil {
			return out, nil
		}
		if st.Mode()&fs.ModeSymlink == 0 {
			cur = next
			continue
		}
		if hops++; hops > maxSymlinkHops {
			first := out[0]
			seen := map[symlinkHop]bool{}
			uniq := out[:0]
			for _, h := range out {
				if !seen[h] {
					seen[h] = true
					uniq = append(uniq, h)
				}
			}
			return uniq, fmt.Errorf("the symlink %s -> %s is a loop (more than %d links deep)", first.link, first.dest, maxSymlinkHops)
		}
		if err := ctx.Err(); err != nil {
			return out, err
		}
		dest, err := fsys.Readlink(filepath.Join(root, filepath.FromSlash(next)))
		if err != nil {
			return out, nil
		}
		var t string
		if path.IsAbs(filepath.ToSlash(dest)) {
			t = joinRel(ctxDir, strings.TrimPrefix(path.Clean(filepath.ToSlash(dest)), "/"))
		} else {
			t = joinRel(path.Dir(next), filepath.ToSlash(dest))
		}
		if _, inside := relTo(ctxDir, t); !inside || escapesContext(t) {
			return out, nil
		}
		rest := strings.Join(parts[i+1:], "/")
		out = append(out, symlinkHop{link: next, dest: dest, target: joinRel(t, rest)})
		// Continue resolving from the link's target; hops, not i, bounds the walk.
		rt, _ := relTo(ctxDir, t)
		parts = append(strings.Split(rt, "/"), parts[i+1:]...)
		cur, i = ctxDir, -1
		if rt == "." {
			parts = parts[1:]
		}
	}
	return out, nil
}

// hasGlob reports whether p holds a wildcard. A byte loop: strings.ContainsAny built its set
// again at each of the hundreds of thousands of calls a large repository makes.
func hasGlob(p string) bool {
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '*', '?', '[':
			return true
		}
	}
	return false
}

// Explanation says whether a path is an input of an app, and why or why not.
type Explanation struct {
	Input bool
	// Rules that make the path an input (most specific first), when Input is set.
	Rules []Rule
	// Reason the path is not an input (ignored by which pattern, excluded by config, no rule names it).
	Reason string
}

// Explain reports whether the repo-relative path p is in the app's input set, and by which rules.
func (a *App) Explain(p string) Explanation {
	return a.explain(p, nil)
}

// explain is Explain over the inputs at the indices only (sorted), all of them when only is nil.
func (a *App) explain(p string, only []int) Explanation {
	return a.explainWith(p, only, nil)
}

// ignoreDecisions remembers, across apps, what an ignore file decides of a path: apps that share
// a context and its ignore file (loki's 48 apps, mostly) ask it the same questions in affected.
// An app's ignore file is determined by the file's path and the app's context.
type ignoreDecisions map[ignoreQuestion]ignoreAnswer

type ignoreQuestion struct{ file, context, rel string }

type ignoreAnswer struct {
	excluded bool
	why      string
}

func (a *App) decide(rel string, memo ignoreDecisions) (bool, string) {
	q := ignoreQuestion{a.IgnoreFile, a.Context, rel}
	if ans, ok := memo[q]; ok && memo != nil {
		return ans.excluded, ans.why
	}
	var ans ignoreAnswer
	if ex, by := a.ignore.Decide(rel); ex {
		ans = ignoreAnswer{true, fmt.Sprintf("excluded by %s:%d (%s)", a.ignore.Name, by.Line, by.String())}
	}
	if memo != nil {
		memo[q] = ans
	}
	return ans.excluded, ans.why
}

// explainWith is explain with the ignore file's decisions remembered in memo (nil: none).
func (a *App) explainWith(p string, only []int, memo ignoreDecisions) Explanation {
	p = strings.TrimPrefix(path.Clean("/"+p), "/")
	if p == "" {
		p = "."
	}
	var rules []Rule
	var ignored string
	n := a.numInputs()
	if only != nil {
		n = len(only)
	}
	for k := 0; k < n; k++ {
		i := k
		if only != nil {
			i = only[k]
		}
		in, where := a.inputCovering(i, p)
		if in == nil || !in.matches(p) {
			continue
		}
		if in.Context {
			rel, ok := relTo(a.Context, p)
			if !ok {
				continue
			}
			if a.ignore != nil {
				if ex, why := a.decide(rel, memo); ex {
					if ignored == "" {
						ignored = why
					}
					continue
				}
			}
		}
		rules = append(rules, in.ruleWhere(where))
	}
	if a.Always != nil {
		// An untraced artifact can be built from any path: every path counts, after the real rules.
		rules = append(rules, *a.Always)
	}
	if len(rules) > 0 {
		for _, g := range a.excludes {
			if globMatch(g, p) {
				return Explanation{Reason: fmt.Sprintf("excluded by the config's exclude glob %q", g)}
			}
		}
		return Explanation{Input: true, Rules: rules}
	}
	if ignored != "" {
		return Explanation{Reason: ignored}
	}
	if _, ok := relTo(a.Context, p); !ok {
		return Explanation{Reason: fmt.Sprintf("outside the build context %s, and no rule names it", a.Context)}
	}
	return Explanation{Reason: "no COPY, ADD or RUN --mount source, and no declared input, names it"}
}

// matches reports whether path p falls under this input, before the ignore file is applied.
func (in *Input) matches(p string) bool {
	switch in.Match {
	case "glob":
		return globMatch(in.Path, p)
	}
	if in.Path == "." {
		return excludeOK(in, p, p)
	}
	if !hasGlob(in.Path) {
		if p == in.Path {
			return true
		}
		if strings.HasPrefix(p, in.Path+"/") {
			return excludeOK(in, p, p[len(in.Path)+1:])
		}
		return false
	}
	// Docker wildcards: "*" and "?" within a segment, character classes; the match covers everything
	// under a matching directory, as BuildKit copies it whole.
	if in.pm == nil {
		return true // a pattern Docker's matcher cannot read: over-select
	}
	ok, err := in.pm.MatchesOrParentMatches(p)
	return err != nil || ok
}

// excludeOK applies COPY --exclude patterns, relative to the copied directory.
func excludeOK(in *Input, p, rel string) bool {
	if len(in.Exclude) == 0 {
		return true
	}
	if in.excl == nil {
		return true // unreadable --exclude patterns: over-select
	}
	ex, err := in.excl.MatchesOrParentMatches(rel)
	return err != nil || !ex
}

// unresolve replaces the input set of an app whose inputs cannot be known with everything under
// its context and its Dockerfile's directory, so that no change that could alter it is missed.
func (a *App) unresolve(cfg *Config) {
	rule := Rule{Kind: "unresolved", Where: a.DefinedAt, Text: "unresolved app (" + a.Unresolved + "): everything under its context and its Dockerfile's directory counts"}
	if a.keepInputs {
		// The rules that are known stay first; everything under the context counts after them.
		a.inputs = append(a.inputs, Input{Path: a.Context, Match: "path", isDir: true, Rule: rule})
		if a.Dir() != a.Context {
			a.inputs = append(a.inputs, Input{Path: a.Dir(), Match: "path", isDir: true, Rule: rule})
		}
		return
	}
	a.Whole, a.Narrowed, a.goInfo, a.jsInfo = nil, nil, nil, nil
	a.setInputs([]Input{
		{Path: a.Dockerfile, Match: "path", Rule: Rule{Kind: "dockerfile", Where: a.Dockerfile, Text: "the Dockerfile"}},
		{Path: a.Context, Match: "path", isDir: true, Rule: rule},
	})
	if a.Dir() != a.Context {
		a.inputs = append(a.inputs, Input{Path: a.Dir(), Match: "path", isDir: true, Rule: rule})
	}
	a.inputs = append(a.inputs, declaredInputs(cfg, a)...)
	a.excludes = cfg.Exclude
}

// declaredInputs are the app's monoctx.yaml inputs: and deps:.
func declaredInputs(cfg *Config, a *App) []Input {
	ac := a.config
	if ac == nil {
		return nil
	}
	var out []Input
	for _, g := range ac.Inputs {
		out = append(out, Input{Path: strings.TrimPrefix(g, "./"), Match: "glob",
			Rule: Rule{Kind: "config-input", Where: cfg.where(g), Text: "inputs: " + g}})
	}
	for _, d := range ac.Deps {
		out = append(out, Input{Path: joinRel(d), Match: "path",
			Rule: Rule{Kind: "config-dep", Where: cfg.where(d), Text: "deps: " + d}})
	}
	return out
}
