//go:build linux

package graph

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/monoctx/monoctx/graph/cache"
	"github.com/monoctx/monoctx/graph/tree"
)

// A kept discovery answers while what it read reads the same: a value kept through the traced
// view comes back, and not once a file it read, or a path it found missing, changed.
func TestKeptDiscoveryHoldsWhileTheFilesDo(t *testing.T) {
	dir := newTree(t, map[string]string{"Makefile": "all:\n", "sub/x.sh": "echo\n"})
	since := time.Now().Add(3 * time.Second) // the files are older than the run
	c := cache.Open(t.TempDir(), "test")
	keep := func() *keptByTrace {
		k := &keptByTrace{kind: keptDiscoveryKind, c: c, root: dir, since: since}
		v := k.Tracing(tree.NewDir(dir))
		if _, err := v.ReadFile("Makefile"); err != nil {
			t.Fatal(err)
		}
		if _, err := v.ReadFile("compose.yaml"); err == nil {
			t.Fatal("compose.yaml exists")
		}
		if fi, err := v.Stat("sub"); err != nil || !fi.IsDir() {
			t.Fatal(fi, err)
		}
		if _, ok := v.(tree.Wrapper); !ok || !tree.OnDisk(v, "Makefile") {
			t.Fatal("the traced view does not answer for the disk view it wraps")
		}
		k.Keep("key", []byte("value"))
		return k
	}
	k := keep()
	if v, ok := k.Kept("key"); !ok || string(v) != "value" {
		t.Fatalf("kept %q, %v", v, ok)
	}
	if _, ok := k.Kept("other"); ok {
		t.Fatal("another key answered")
	}
	if err := os.WriteFile(filepath.Join(dir, "Makefile"), []byte("all:\n\ttrue\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, ok := k.Kept("key"); ok {
		t.Error("kept after the Makefile changed")
	}
	k = keep()
	if err := os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte("services: {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, ok := k.Kept("key"); ok {
		t.Error("kept after a missing file appeared")
	}
	// A run that began before the files were written vouches for nothing.
	k = &keptByTrace{kind: keptDiscoveryKind, c: cache.Open(t.TempDir(), "test"), root: dir, since: time.Now().Add(-time.Minute)}
	if _, err := k.Tracing(tree.NewDir(dir)).ReadFile("Makefile"); err != nil {
		t.Fatal(err)
	}
	k.Keep("key", []byte("value"))
	if _, ok := k.Kept("key"); ok {
		t.Error("kept what changed during the run")
	}
}

// Loads through the kept discovery find what a load without a cache finds, also after a
// definition file changes, one appears, and the environment a compose file reads changes.
func TestKeptDiscoveryLoadsAsFound(t *testing.T) {
	dir := newTree(t, map[string]string{
		"Makefile":       "img:\n\tdocker build -t web -f web/Dockerfile web\n",
		"web/Dockerfile": "FROM scratch\nCOPY . /\n",
		"api/Dockerfile": "FROM scratch\nCOPY . /\n",
	})
	cdir := t.TempDir()
	describe := func(g *Graph) []string {
		var out []string
		for _, a := range g.Apps {
			out = append(out, fmt.Sprintf("%s %s %s %s %s %v", a.Name, a.Dockerfile, a.Context, a.Origin, a.DefinedAt, a.Args))
		}
		return append(out, g.Warnings...)
	}
	check := func(what string) {
		t.Helper()
		want := describe(mustLoad(t, dir))
		for run := range 2 {
			c := cache.Open(cdir, "test")
			// The run begins after the files were written, so that the trace vouches for them.
			g := mustLoad(t, dir, WithCache(c, nil), WithClosureCache(time.Now().Add(3*time.Second), ""))
			if err := c.Flush(); err != nil {
				t.Fatal(err)
			}
			if got := describe(g); !reflect.DeepEqual(got, want) {
				t.Fatalf("%s, run %d:\n%q\nwant\n%q", what, run, got, want)
			}
		}
	}
	check("first")
	write := func(p, s string) {
		if err := os.WriteFile(filepath.Join(dir, p), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("Makefile", "img:\n\tdocker build -t web2 -f web/Dockerfile web\n\tdocker build -t api -f api/Dockerfile api\n")
	check("a changed Makefile")
	write("compose.yaml", "services:\n  svc:\n    build:\n      context: api\n      args: {V: \"${MONOCTX_TEST_TAG:-none}\"}\n")
	check("a new compose file")
	t.Setenv("MONOCTX_TEST_TAG", "v2")
	check("another environment")
}

// The artifact trace's build lines, kept, give the inputs an uncached load gives, also after the
// Makefile builds another package and after the package it builds stops being a main package.
func TestKeptBuildLinesLoadAsFound(t *testing.T) {
	r := fixtureRepo(t, "make")
	cdir := t.TempDir()
	describe := func(g *Graph) []string {
		a := mustApp(t, g, g.Apps[0].Name)
		var out []string
		for _, in := range a.Inputs() {
			out = append(out, in.Path+" "+in.Rule.String())
		}
		if a.Always != nil {
			out = append(out, "always: "+a.Always.String())
		}
		return append(out, g.Warnings...)
	}
	check := func(what string, has string) {
		t.Helper()
		want := describe(mustLoad(t, r.dir))
		if !slices.ContainsFunc(want, func(s string) bool { return strings.Contains(s, has) }) {
			t.Fatalf("%s: the uncached load has no %q: %q", what, has, want)
		}
		for run := range 2 {
			c := cache.Open(cdir, "test")
			g := mustLoad(t, r.dir, WithCache(c, nil), WithClosureCache(time.Now().Add(3*time.Second), ""))
			if err := c.Flush(); err != nil {
				t.Fatal(err)
			}
			if got := describe(g); !reflect.DeepEqual(got, want) {
				t.Fatalf("%s, run %d:\n%q\nwant\n%q", what, run, got, want)
			}
		}
	}
	check("first", "cmd/x/main.go")
	r.edit(map[string]string{
		"cmd/y/main.go": "package main\n\nfunc main() {}\n",
		"Makefile":      "ARCH ?= amd64\n\nbuild:\n\tCGO_ENABLED=0 GOOS=linux GOARCH=$(ARCH) go build -trimpath -o x-linux-$(ARCH) ./cmd/y\n",
	})
	check("another package built", "cmd/y/main.go")
	// The listing stays as it is from here on: only what reading the Makefile read changes.
	r.edit(map[string]string{"Makefile": "ARCH ?= amd64\n\nbuild:\n\tgo build -o x-linux-$(ARCH) ./cmd/x\n"})
	check("the Makefile changed back", "Makefile:4 go build -o x-linux-$(ARCH) ./cmd/x")
	r.edit(map[string]string{"Makefile": "ARCH ?= amd64\n\nbuild:\n\tgo build -o x-linux-$(ARCH) ./cmd/y\n"})
	check("the Makefile changed again", "Makefile:4 go build -o x-linux-$(ARCH) ./cmd/y")
	r.edit(map[string]string{"cmd/y/main.go": "package y\n"})
	check("no main package", "the main package named after it")
}

// On a commit's tree (--head <sha>) a result is kept under the commit's id with no trace, and not
// when a read failed other than by a missing path (a blob a partial clone had not fetched).
func TestKeptUnderACommit(t *testing.T) {
	c := cache.Open(t.TempDir(), "test")
	files := map[string][]byte{"Makefile": []byte("all:\n")}
	k := &keptByTrace{kind: keptDiscoveryKind, c: c, root: "/r", commit: "c1"}
	v := k.Tracing(tree.NewMem("/r", files, nil))
	if _, err := v.ReadFile("Makefile"); err != nil {
		t.Fatal(err)
	}
	if _, err := v.ReadFile("compose.yaml"); err == nil {
		t.Fatal("compose.yaml exists")
	}
	k.Keep("key", []byte("value"))
	if got, ok := k.Kept("key"); !ok || string(got) != "value" {
		t.Fatalf("kept %q, %v", got, ok)
	}
	other := &keptByTrace{kind: keptDiscoveryKind, c: c, root: "/r", commit: "c2"}
	if _, ok := other.Kept("key"); ok {
		t.Error("another commit's value answered")
	}
	failing := &keptByTrace{kind: keptDiscoveryKind, c: c, root: "/r", commit: "c3"}
	if _, err := failing.Tracing(tree.NewMem("/r", files, nil)).ReadFile("../x"); err == nil {
		t.Fatal("a path outside the tree read")
	}
	failing.Keep("key", []byte("value"))
	if _, ok := failing.Kept("key"); ok {
		t.Error("kept after a failed read")
	}
}
