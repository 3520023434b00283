package graph

import (
	"context"
	"fmt"
	"path"
	"path/filepath"
	"strings"

	"github.com/monoctx/monoctx/graph/jsdeps"
)

// jsInfo is what an app narrowed by JS analysis keeps for lockfile changes.
type jsInfo struct {
	ws   *jsdeps.Workspace
	pkgs map[string]bool // the app's package and its workspace dependencies
}

// jsClosure is the closure of the workspace package pkg (a package name, an nx project name, or a
// repo-relative directory), in the workspace found from the directory from upwards. It is nil,
// without an error, when that package is the workspace root: the whole repository, nothing to
// narrow.
func (l *langCache) jsClosure(ctx context.Context, a *App, pkg, from string) ([]closure, error) {
	ws, p, err := l.jsWorkspace(ctx, from, pkg)
	if err != nil {
		return nil, err
	}
	if ws == nil || p == nil {
		return nil, fmt.Errorf("no workspace package %q found in or above %s", pkg, from)
	}
	ins, err := ws.Inputs(p.Name)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", pkg, err)
	}
	for _, in := range ins {
		if in.Dir && in.Path == "." {
			return nil, nil // the workspace root package is the whole repository: nothing to narrow
		}
	}
	c := closure{jsWS: ws, what: fmt.Sprintf("the workspace package %s and its workspace dependencies", p.Name),
		inputs: make([]Input, 0, len(ins))}
	// The package's own directory first: hintClosure reports it as the package's directory.
	for _, in := range ins {
		if in.Dir && len(in.Why) == 1 && in.Path == p.Dir {
			c.inputs = append(c.inputs, jsInput(ws, in))
		}
	}
	for _, in := range ins {
		if in.Dir && len(in.Why) == 1 && in.Path == p.Dir {
			continue
		}
		if in.Dir && len(in.Why) > 0 && ws.Packages[in.Why[len(in.Why)-1]] != nil {
			c.jsPkgs = append(c.jsPkgs, in.Why[len(in.Why)-1])
		}
		c.inputs = append(c.inputs, jsInput(ws, in))
	}
	c.jsPkgs = append(c.jsPkgs, p.Name)
	return []closure{c}, nil
}

func jsInput(ws *jsdeps.Workspace, in jsdeps.Input) Input {
	kind := "js"
	if in.Path == ws.Lockfile {
		kind = "js-lock"
	}
	return Input{Path: in.Path, Match: "path", Context: true, isDir: in.Dir,
		Rule: Rule{Kind: kind, Text: joinWhy("JS: ", in.Why)}}
}

// joinWhy is prefix + strings.Join(why, " → ") in one allocation: closures make one per input per
// app.
func joinWhy(prefix string, why []string) string {
	const sep = " → "
	n := len(prefix) + len(sep)*max(len(why)-1, 0)
	for _, w := range why {
		n += len(w)
	}
	var b strings.Builder
	b.Grow(n)
	b.WriteString(prefix)
	for i, w := range why {
		if i > 0 {
			b.WriteString(sep)
		}
		b.WriteString(w)
	}
	return b.String()
}

// jsWorkspace finds the workspace holding pkg (a package name or a repo-relative directory),
// searching from the app's directory up to the repository root.
func (l *langCache) jsWorkspace(ctx context.Context, from, pkg string) (*jsdeps.Workspace, *jsdeps.Package, error) {
	for d := from; ; d = path.Dir(d) {
		if l.fs.fileExists(filepath.Join(l.root, filepath.FromSlash(d), "package.json")) {
			ws, err := l.loadWorkspace(ctx, d)
			if err != nil {
				return nil, nil, err
			}
			if ws != nil {
				if p, ok := ws.Packages[pkg]; ok {
					return ws, p, nil
				}
				found := ws.FindPackage(path.Clean(pkg))
				if found != nil && found.Dir != "." {
					return ws, found, nil
				}
				if p := projectNamed(ws, pkg); p != nil {
					return ws, p, nil
				}
				if found != nil {
					return ws, found, nil
				}
			}
		}
		if d == "." {
			return nil, nil, nil
		}
	}
}

// loadWorkspace returns the workspace holding dir, nil when there is none. Workspaces are cached by
// their resolved root, so a workspace of N packages is read once, not once per app that starts from
// one of its directories.
func (l *langCache) loadWorkspace(ctx context.Context, dir string) (*jsdeps.Workspace, error) {
	root, ok, err := l.jsRoot(ctx, dir)
	if err != nil || !ok {
		return nil, err // no package.json above, or an unreadable one: keep looking upwards
	}
	l.jsMu.Lock()
	e, ok := l.js[root]
	if !ok {
		e = &jsEntry{done: make(chan struct{})}
		l.js[root] = e
	}
	l.jsMu.Unlock()
	if ok {
		select {
		case <-e.done:
			return e.ws, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	ws, err := jsdeps.Load(ctx, l.root, root, l.jsLoadOptions()...)
	if err != nil || len(ws.Packages) == 0 {
		ws = nil // not a workspace root (or unreadable): keep looking upwards
	}
	e.ws = ws
	close(e.done)
	return ws, nil
}

// jsLoadOptions are the options of every jsdeps.Load and jsdeps.Root of the Load: its view, its
// memo of what was read, its listing and the parse cache.
func (l *langCache) jsLoadOptions() []jsdeps.Option {
	return append(l.jsOptions(), jsdeps.WithFS(l.fs), jsdeps.WithMemo(l.jsMemo), jsdeps.WithListing(l.jsListing))
}

// jsRoot is jsdeps.Root of dir, found once per directory: every app whose context is the
// repository root starts from the same one. ok is false when dir has no workspace root.
func (l *langCache) jsRoot(ctx context.Context, dir string) (root string, ok bool, err error) {
	l.jsMu.Lock()
	r, done := l.jsRoots[dir]
	l.jsMu.Unlock()
	if done {
		return r.root, r.ok, nil
	}
	root, err = jsdeps.Root(ctx, l.root, dir, l.jsLoadOptions()...)
	if ctxErr := ctx.Err(); err != nil && ctxErr != nil {
		return "", false, ctxErr // not remembered: a cancelled search found nothing
	}
	r = jsRootEntry{root: root, ok: err == nil}
	l.jsMu.Lock()
	l.jsRoots[dir] = r
	l.jsMu.Unlock()
	return r.root, r.ok, nil
}

// jsRootEntry is what jsRoot found for one directory.
type jsRootEntry struct {
	root string
	ok   bool
}

// jsEntry is one workspace load, shared by every app that needs it.
type jsEntry struct {
	done chan struct{}
	ws   *jsdeps.Workspace
}

// projectNamed finds a package by the short names workspace tools accept: pnpm and turbo match
// "web" to "@acme/web" when only one scope has it, nx names projects after their directory.
func projectNamed(ws *jsdeps.Workspace, name string) *jsdeps.Package {
	if strings.ContainsAny(name, "/") && !strings.HasPrefix(name, "@") {
		return nil
	}
	var byScope, byDir []*jsdeps.Package
	for _, p := range ws.Packages {
		if _, short, ok := strings.Cut(p.Name, "/"); ok && strings.HasPrefix(p.Name, "@") && short == name {
			byScope = append(byScope, p)
		}
		if path.Base(p.Dir) == name {
			byDir = append(byDir, p)
		}
	}
	switch {
	case len(byScope) == 1:
		return byScope[0]
	case len(byScope) == 0 && len(byDir) == 1:
		return byDir[0]
	}
	return nil
}
