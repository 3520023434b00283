package graph

import (
	"context"
	"fmt"
	"path"
	"path/filepath"
	"strings"

	"github.com/monoctx/monoctx/graph/jsdeps"
)

// jsWorkspace is a loaded JS workspace.
type jsWorkspace = jsdeps.Workspace

// jsInfo is what an app narrowed by JS analysis keeps for lockfile changes.
type jsInfo struct {
	ws   *jsdeps.Workspace
	pkgs map[string]bool // the app's package and its workspace dependencies
}

func (l *langCache) narrowJS(ctx context.Context, a *App, pkg string, declared bool) error {
	ws, p, err := l.jsWorkspace(ctx, a, pkg)
	if err != nil || ws == nil || p == nil {
		if declared {
			if err == nil {
				err = fmt.Errorf("no workspace package %q found in or above %s", pkg, a.Dir())
			}
			return fmt.Errorf("app %s: js.package: %w", a.Name, err)
		}
		return nil // not a workspace package after all: keep the whole context
	}
	ins, err := ws.Inputs(p.Name)
	if err != nil {
		if declared {
			return fmt.Errorf("app %s: js.package %s: %w", a.Name, pkg, err)
		}
		return nil
	}
	for _, in := range ins {
		if in.Dir && in.Path == "." {
			return nil // the workspace root package is the whole repository: nothing to narrow
		}
	}
	whole := *a.Whole
	a.dropWhole()
	info := &jsInfo{ws: ws, pkgs: map[string]bool{}}
	for _, in := range ins {
		kind := "js"
		if in.Path == ws.Lockfile {
			kind = "js-lock"
		}
		if in.Dir && len(in.Why) > 0 {
			info.pkgs[in.Why[len(in.Why)-1]] = true
		}
		a.Inputs = append(a.Inputs, Input{Path: in.Path, Match: "path", Context: true, isDir: in.Dir,
			Rule: Rule{Kind: kind, Where: whole.Where, Text: "JS: " + strings.Join(in.Why, " → ")}})
	}
	a.jsInfo = info
	a.Narrowed = &Rule{Kind: "js", Where: whole.Where,
		Text: fmt.Sprintf("%s, narrowed to the workspace package %s and its workspace dependencies", whole.Text, p.Name)}
	return nil
}

// jsWorkspace finds the workspace holding pkg (a package name or a repo-relative directory),
// searching from the app's directory up to the repository root.
func (l *langCache) jsWorkspace(ctx context.Context, a *App, pkg string) (*jsdeps.Workspace, *jsdeps.Package, error) {
	for d := a.Dir(); ; d = path.Dir(d) {
		if fileExists(filepath.Join(l.root, filepath.FromSlash(d), "package.json")) {
			ws, err := l.loadWorkspace(ctx, d)
			if err != nil {
				return nil, nil, err
			}
			if ws != nil {
				if p, ok := ws.Packages[pkg]; ok {
					return ws, p, nil
				}
				if p := ws.FindPackage(path.Clean(pkg)); p != nil {
					return ws, p, nil
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
	root, err := jsdeps.Root(ctx, l.root, dir)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, ctxErr
		}
		return nil, nil // no package.json above, or an unreadable one: keep looking upwards
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
	ws, err := jsdeps.Load(ctx, l.root, root)
	if err != nil || len(ws.Packages) == 0 {
		ws = nil // not a workspace root (or unreadable): keep looking upwards
	}
	e.ws = ws
	close(e.done)
	return ws, nil
}

// jsEntry is one workspace load, shared by every app that needs it.
type jsEntry struct {
	done chan struct{}
	ws   *jsdeps.Workspace
}
