package graph

import (
	"fmt"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// Selection is the part of an app's input set that lives in its build context: what a minimal
// context holds. Paths are context-relative and slash-separated.
type Selection struct {
	// Roots are the literal paths to walk: files or directories; "." is the whole context.
	Roots []string
	// Include filters below the roots when some inputs are patterns; nil keeps everything.
	Include func(rel string, isDir bool) bool
	// Exclude applies the ignore file and the config's exclude globs.
	Exclude func(rel string, isDir bool) bool
	// CanDescend reports whether an excluded directory holds excepted children.
	CanDescend func(rel string) bool
	// Keep lists the literal paths a generated ignore file must allow: Roots, plus the literal
	// prefixes of patterns (a generated file never carries a wildcard exception).
	Keep []string
}

// Selection computes the app's context selection. A literal COPY/ADD source that does not exist on
// disk is an error naming the Dockerfile line.
func (a *App) Selection(root string) (*Selection, error) {
	return a.selection(files{}, root)
}

// selection is Selection reading fsys (a Load's view).
func (a *App) selection(fsys files, root string) (*Selection, error) {
	s := &Selection{}
	var patterns []*Input
	roots := map[string]bool{}
	var absent []string // artifacts not built yet: allowed by a generated ignore file, not walked
	whole := false
	ins := a.Inputs()
	for i := range ins {
		in := &ins[i]
		if in.Match == "glob" {
			// A declared glob input inside the context: its literal prefix is walked, the glob filters.
			prefix := literalPrefix(in.Path)
			rel, ok := relTo(a.Context, prefix)
			if _, err := fsys.Lstat(filepath.Join(root, filepath.FromSlash(prefix))); ok && err == nil {
				patterns = append(patterns, in)
				roots[rel] = true
			}
			continue
		}
		if !in.Context && in.Rule.Kind != "config-dep" {
			continue // the Dockerfile and ignore files are placed by the tar writer itself
		}
		rel, ok := relTo(a.Context, in.Path)
		if !ok {
			continue // a declared dependency outside the context cannot reach a docker build
		}
		if rel == "." {
			whole = true
			continue
		}
		if hasGlob(rel) {
			patterns = append(patterns, in)
			roots[literalPrefix(rel)] = true
			continue
		}
		if _, err := fsys.Lstat(filepath.Join(root, filepath.FromSlash(in.Path))); err != nil {
			if in.Rule.Kind == "config-dep" {
				continue
			}
			if in.artifact || in.link == "" && (a.Origin == "dockerfile" || a.contextUnknown) {
				// A build output, or a source an inferred context lacks (counted from every
				// ancestor instead): allowed, so the build finds it once it exists, never walked.
				absent = append(absent, rel)
				continue
			}
			if in.link != "" {
				return nil, fmt.Errorf("%s: the symlink %s leads to %s, which does not exist in the context %s (BuildKit resolves links inside the context, an absolute target from its root); point the link at a path inside the context", in.Rule.Where, in.link, rel, a.Context)
			}
			return nil, fmt.Errorf("%s: %s source %q does not exist in the context %s", in.Rule.Where, strings.ToUpper(kindWord(in.Rule.Kind)), rel, a.Context)
		}
		roots[rel] = true
	}
	if whole {
		s.Roots = []string{"."}
		patterns = nil
	} else {
		for r := range roots {
			s.Roots = append(s.Roots, r)
		}
		sort.Strings(s.Roots)
		s.Roots = dropCovered(s.Roots)
	}
	s.Keep = append([]string{}, s.Roots...)
	if !whole && len(absent) > 0 {
		s.Keep = append(s.Keep, absent...)
		sort.Strings(s.Keep)
		s.Keep = dropCovered(s.Keep)
	}

	if len(patterns) > 0 {
		literal := map[string]bool{}
		for i := range ins {
			in := &ins[i]
			if in.Match == "path" && (in.Context || in.Rule.Kind == "config-dep") && !hasGlob(in.Path) {
				if rel, ok := relTo(a.Context, in.Path); ok {
					literal[rel] = true
				}
			}
		}
		s.Include = func(rel string, isDir bool) bool {
			for q := rel; ; q = path.Dir(q) {
				if literal[q] {
					return true
				}
				if !strings.Contains(q, "/") {
					break
				}
			}
			repoPath := joinRel(a.Context, rel)
			for _, in := range patterns {
				if in.matches(repoPath) {
					return true
				}
				if isDir && couldHold(in.Path, repoPath) {
					return true
				}
			}
			return false
		}
	}
	ig, excludes, ctxDir := a.ignore, a.excludes, a.Context
	s.Exclude = func(rel string, isDir bool) bool {
		if ig != nil && ig.Excluded(rel) {
			return true
		}
		for _, g := range excludes {
			if globMatch(g, joinRel(ctxDir, rel)) {
				return true
			}
		}
		return false
	}
	if ig != nil {
		s.CanDescend = func(rel string) bool { return !ig.CanSkipDir(rel) }
	}
	return s, nil
}

// literalPrefix is the directory part of a pattern before its first wildcard ("." when none).
func literalPrefix(p string) string {
	i := strings.IndexAny(p, "*?[{")
	if i < 0 {
		return p
	}
	d := path.Dir(p[:i] + "x")
	return d
}

// couldHold reports whether directory dir may contain paths matching the pattern: every segment of
// dir matches the pattern's segment at the same depth, or the pattern reaches "**" first.
func couldHold(pattern, dir string) bool {
	ps := strings.Split(pattern, "/")
	ds := strings.Split(dir, "/")
	for i, d := range ds {
		if i >= len(ps) {
			return true // below a matched directory: everything is in
		}
		if strings.Contains(ps[i], "**") {
			return true
		}
		if ok, err := path.Match(ps[i], d); err != nil || !ok {
			return err != nil
		}
	}
	return true
}

// dropCovered removes paths already covered by an ancestor in the sorted list.
func dropCovered(sorted []string) []string {
	var out []string
	for _, p := range sorted {
		if n := len(out); n > 0 && (out[n-1] == "." || strings.HasPrefix(p, out[n-1]+"/")) {
			continue
		}
		out = append(out, p)
	}
	return out
}
