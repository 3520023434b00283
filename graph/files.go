package graph

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"

	"github.com/monoctx/monoctx/graph/tree"
)

// files reads absolute paths the way a Load does: under the repository root through its view (the
// work tree as git lists it, or a commit), elsewhere from the OS.
type files struct{ tree.Abs }

func (f files) fileExists(p string) bool {
	st, err := f.Stat(p)
	return err == nil && !st.IsDir()
}

func (f files) pathExists(p string) bool {
	_, err := f.Lstat(p)
	return err == nil
}

// isGoMain reports whether dir holds a Go main package (its first non-test .go file says so).
func (f files) isGoMain(dir string) bool {
	entries, err := f.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") {
			continue
		}
		src, err := f.ReadFile(filepath.Join(dir, n))
		if err != nil {
			continue
		}
		pf, err := parser.ParseFile(token.NewFileSet(), filepath.Join(dir, n), src, parser.PackageClauseOnly)
		if err != nil {
			continue
		}
		return pf.Name.Name == "main"
	}
	return false
}
