package golang

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// TestModCacheMakesExternalModulesTransitive follows an external module into
// a module cache to find the module it imports in turn.
func TestModCacheMakesExternalModulesTransitive(t *testing.T) {
	repo := writeTree(t, map[string]string{
		"go.mod": "module example.com/r\n\ngo 1.22\n\nrequire (\n\texample.com/Ext v1.0.0\n\texample.com/deep v1.2.0 // indirect\n\texample.com/other v0.1.0\n\texample.com/swap v1.0.0\n)\n\n" +
			"replace example.com/swap => example.com/fork v1.1.0\n",
		"cmd/x/x.go":   "package main\n\nimport (\n\t\"example.com/Ext/api\"\n\t\"example.com/swap\"\n)\n\nfunc main() { api.F(); swap.F() }\n",
		"cmd/y/y.go":   "package main\n\nimport \"example.com/other\"\n\nfunc main() { other.F() }\n",
		"cmd/z/z.go":   "package main\n\nimport \"example.com/r/lib\"\n\nfunc main() { lib.F() }\n",
		"lib/lib.go":   "package lib\n\nfunc F() {}\n",
		"README.md":    "repo\n",
		"cmd/x/doc.md": "x\n",
	})
	cache := writeTree(t, map[string]string{
		"example.com/!ext@v1.0.0/api/api.go":      "package api\n\nimport \"example.com/deep\"\n\nfunc F() { deep.F() }\n",
		"example.com/!ext@v1.0.0/api/api_test.go": "package api\n\nimport \"example.com/testonly\"\n",
		"example.com/deep@v1.2.0/deep.go":         "package deep\n\nfunc F() {}\n",
		"example.com/fork@v1.1.0/swap.go":         "package swap\n\nfunc F() {}\n",
	})
	a, err := NewAnalyzer(repo, WithModCache(cache))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		pkg      string
		external []string
		complete bool
	}{
		{"cmd/x", []string{"example.com/Ext", "example.com/deep", "example.com/swap"}, true},
		{"cmd/y", []string{"example.com/other"}, false}, // not in the cache
		{"cmd/z", []string{}, true},
	}
	for _, tc := range cases {
		c, err := a.Analyze(context.Background(), tc.pkg)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(c.ExternalModules, tc.external) || c.ExternalComplete != tc.complete {
			t.Errorf("%s: got %q complete %v, want %q complete %v", tc.pkg, c.ExternalModules, c.ExternalComplete, tc.external, tc.complete)
		}
		for _, in := range c.Files {
			if filepath.IsAbs(in.Path) || strings.Contains(in.Path, "@") {
				t.Errorf("%s: module cache file %s listed as an input", tc.pkg, in.Path)
			}
		}
		for _, p := range c.Packages {
			if filepath.IsAbs(p) {
				t.Errorf("%s: module cache package %s listed", tc.pkg, p)
			}
		}
	}
}

// TestModCacheAgainstGoList uses the real module cache: the modules a
// golang.org/x/term importer reaches, per go list, are all reported. The
// versions are the ones this project requires, fetched into the cache by go
// mod download if they are not there yet, so the test never silently skips.
func TestModCacheAgainstGoList(t *testing.T) {
	cache := DefaultModCache()
	if out, err := exec.Command("go", "env", "GOMODCACHE").Output(); err != nil {
		t.Fatalf("go env GOMODCACHE: %v", err)
	} else if want := strings.TrimSpace(string(out)); cache != want {
		t.Fatalf("DefaultModCache() = %q, go env GOMODCACHE = %q", cache, want)
	}
	out, err := exec.Command("go", "mod", "download", "-json", "golang.org/x/term", "golang.org/x/sys").Output()
	if err != nil {
		t.Fatalf("go mod download: %v", err)
	}
	var goMod, goSum strings.Builder
	goMod.WriteString("module example.com/r\n\ngo 1.22\n")
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var m struct{ Path, Version, Sum, GoModSum, Error string }
		if err := dec.Decode(&m); err != nil {
			t.Fatal(err)
		}
		if m.Error != "" {
			t.Fatalf("go mod download %s: %s", m.Path, m.Error)
		}
		fmt.Fprintf(&goMod, "\nrequire %s %s\n", m.Path, m.Version)
		fmt.Fprintf(&goSum, "%s %s %s\n%s %s/go.mod %s\n", m.Path, m.Version, m.Sum, m.Path, m.Version, m.GoModSum)
	}
	repo := writeTree(t, map[string]string{
		"go.mod":        goMod.String(),
		"go.sum":        goSum.String(),
		"cmd/t/main.go": "package main\n\nimport \"golang.org/x/term\"\n\nfunc main() { _ = term.IsTerminal(0) }\n",
	})
	c, err := Analyze(context.Background(), repo, "cmd/t", WithModCache(cache))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"golang.org/x/sys", "golang.org/x/term"}; !reflect.DeepEqual(c.ExternalModules, want) || !c.ExternalComplete {
		t.Errorf("got %q complete %v, want %q complete", c.ExternalModules, c.ExternalComplete, want)
	}
	for _, goos := range []string{"linux", "windows"} {
		for _, p := range goList(t, repo, []string{"GOFLAGS=-mod=mod", "GOWORK=off", "GOOS=" + goos, "GOMODCACHE=" + cache}, "./cmd/t") {
			mod, _, _ := strings.Cut(p.ImportPath, "/")
			if mod == "example.com" {
				continue
			}
			found := slices.ContainsFunc(c.ExternalModules, func(m string) bool { return hasPathPrefix(p.ImportPath, m) })
			if !found {
				t.Errorf("GOOS=%s: go list reaches %s, whose module is not in %q", goos, p.ImportPath, c.ExternalModules)
			}
		}
	}
}

// DefaultModCache follows `go env -w GOMODCACHE=…` (the go env file) when the
// environment does not set it, and the environment when it does.
func TestDefaultModCacheReadsTheGoEnvFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "env")
	if err := os.WriteFile(file, []byte("GOPROXY=off\nGOMODCACHE=/from/file/one\nGOMODCACHE=/from/file\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GOENV", file)
	t.Setenv("GOMODCACHE", "")
	if got := DefaultModCache(); got != "/from/file" {
		t.Errorf("from the go env file: got %q", got)
	}
	t.Setenv("GOMODCACHE", "/from/env")
	if got := DefaultModCache(); got != "/from/env" {
		t.Errorf("from the environment: got %q", got)
	}
	t.Setenv("GOMODCACHE", "")
	t.Setenv("GOENV", "off")
	t.Setenv("GOPATH", "/gp")
	if got := DefaultModCache(); got != filepath.Join("/gp", "pkg", "mod") {
		t.Errorf("GOENV=off, GOPATH=/gp: got %q", got)
	}
}
