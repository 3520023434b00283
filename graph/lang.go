package graph

import (
	"context"
	"fmt"
	"go/parser"
	"go/token"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"

	"github.com/monoctx/monoctx/graph/golang"
)

// langCache shares the language analyzers between the apps of one Load.
type langCache struct {
	root string
	goMu sync.Mutex
	goA  map[bool]*golang.Analyzer // by whether tests count

	jsMu sync.Mutex
	js   map[string]*jsEntry // by resolved workspace root dir
}

func newLangCache(root string) *langCache {
	return &langCache{root: root, goA: map[bool]*golang.Analyzer{}, js: map[string]*jsEntry{}}
}

// goAnalyzer returns the shared analyzer, one for apps that count Go tests and one for the others.
func (l *langCache) goAnalyzer(tests bool) (*golang.Analyzer, error) {
	l.goMu.Lock()
	defer l.goMu.Unlock()
	if a, ok := l.goA[tests]; ok {
		return a, nil
	}
	a, err := golang.NewAnalyzer(l.root, golang.WithTests(tests))
	if err != nil {
		return nil, err
	}
	l.goA[tests] = a
	return a, nil
}

// goInfo is what an app narrowed by Go analysis keeps for go.mod/go.sum changes.
type goInfo struct {
	moduleDir string
	external  map[string]bool
	complete  bool
}

// narrow replaces a whole-context input set with the closure of the Go main package or the JS
// workspace package the Dockerfile builds: the Dockerfile's directory, or go.package / js.package in
// monoctx.yaml. Without one, the whole context stays the input set.
func (l *langCache) narrow(ctx context.Context, a *App) error {
	if a.Whole == nil {
		return nil
	}
	var goPkg, jsPkg string
	if a.config != nil {
		goPkg, jsPkg = a.config.Go.Package, a.config.JS.Package
	}
	switch {
	case goPkg != "":
		return l.narrowGo(ctx, a, path.Clean(goPkg), true)
	case jsPkg != "":
		return l.narrowJS(ctx, a, jsPkg, true)
	case isGoMain(filepath.Join(l.root, filepath.FromSlash(a.Dir()))):
		return l.narrowGo(ctx, a, a.Dir(), false)
	case fileExists(filepath.Join(l.root, filepath.FromSlash(a.Dir()), "package.json")):
		return l.narrowJS(ctx, a, a.Dir(), false)
	}
	return nil
}

func (l *langCache) narrowGo(ctx context.Context, a *App, pkgDir string, declared bool) error {
	an, err := l.goAnalyzer(a.config != nil && a.config.Go.Tests)
	if err != nil {
		return err
	}
	c, err := an.Analyze(ctx, pkgDir)
	if err != nil {
		if declared {
			return fmt.Errorf("app %s: go.package %s: %w", a.Name, pkgDir, err)
		}
		return nil // not analysable as Go after all: keep the whole context, never under-select
	}
	whole := *a.Whole
	a.dropWhole()
	info := &goInfo{moduleDir: c.ModuleDir, external: map[string]bool{}, complete: c.ExternalComplete}
	for _, m := range c.ExternalModules {
		info.external[m] = true
	}
	a.goInfo = info
	for _, f := range c.Files {
		kind := "go"
		base := path.Base(f.Path)
		if base == "go.mod" || base == "go.sum" || base == "go.work" || base == "go.work.sum" {
			kind = "go-mod"
		}
		a.Inputs = append(a.Inputs, Input{Path: f.Path, Match: "path", Context: true,
			Rule: Rule{Kind: kind, Where: whole.Where, Text: "Go: " + strings.Join(f.Why, " → ")}})
	}
	a.Narrowed = &Rule{Kind: "go", Where: whole.Where, Text: fmt.Sprintf("%s, narrowed to the Go import closure of %s", whole.Text, pkgDir)}
	return nil
}

// dropWhole removes the whole-context input once a language closure replaces it.
func (a *App) dropWhole() {
	out := a.Inputs[:0]
	for _, in := range a.Inputs {
		if in.Rule.Kind == "whole-context" {
			continue
		}
		out = append(out, in)
	}
	a.Inputs = out
	a.Whole = nil
}

// isGoMain reports whether dir holds a Go main package (its first non-test .go file says so).
func isGoMain(dir string) bool {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(dir, n), nil, parser.PackageClauseOnly)
		if err != nil {
			continue
		}
		return f.Name.Name == "main"
	}
	return false
}
