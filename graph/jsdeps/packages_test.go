package jsdeps

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// The directories the workspace patterns match are packages when they hold a package.json that is
// a file or a link to one; a directory named package.json, a dangling link or no manifest at all
// makes no package.
func TestLoadTakesPackagesThatHoldAManifestFile(t *testing.T) {
	root := writeTree(t, map[string]string{
		"package.json":                    `{"workspaces":["apps/*"]}`,
		"apps/web/package.json":           `{"name":"web","dependencies":{"linked":"*"}}`,
		"apps/web/tsconfig.json":          `{"extends":"../../tsconfig.base.json"}`,
		"tsconfig.base.json":              `{}`,
		"shared/linked.json":              `{"name":"linked"}`,
		"apps/dirpkg/package.json/x.json": `{"name":"not-a-package"}`,
		"apps/empty/README.md":            "no manifest\n",
	})
	for link, target := range map[string]string{
		"apps/linked/package.json": "../../shared/linked.json",
		"apps/broken/package.json": "../../shared/missing.json",
	} {
		abs := filepath.Join(root, filepath.FromSlash(link))
		if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, abs); err != nil {
			t.Fatal(err)
		}
	}
	w := load(t, root, ".")
	if got, want := names(w), []string{"linked", "web"}; !reflect.DeepEqual(got, want) {
		t.Errorf("packages: got %q, want %q", got, want)
	}
	in := inputsOf(t, w, "web")
	if got, want := in["tsconfig.base.json"].Why, []string{"apps/web/tsconfig.json:1 extends ../../tsconfig.base.json"}; !reflect.DeepEqual(got, want) {
		t.Errorf("tsconfig.base.json: got why %q, want %q (inputs %v)", got, want, in)
	}
	if _, ok := in["apps/linked"]; !ok {
		t.Errorf("the linked package's directory is not an input of web: %v", in)
	}
}

// Patterns that match directories without a package.json leave the root package the only one.
func TestLoadWithoutPackageDirectoriesIsTheRootPackage(t *testing.T) {
	root := writeTree(t, map[string]string{
		"package.json":       `{"name":"root","workspaces":["apps/*"]}`,
		"apps/docs/notes.md": "no manifest\n",
	})
	w := load(t, root, ".")
	if got, want := names(w), []string{"root"}; !reflect.DeepEqual(got, want) || w.Packages["root"].Dir != "." {
		t.Errorf("packages: got %q (%+v), want %q in .", got, w.Packages, want)
	}
}

// Package directories are read in parallel; of several broken manifests, the error names the first
// in directory order on every run.
func TestLoadReportsTheFirstBrokenManifest(t *testing.T) {
	files := map[string]string{"package.json": `{"workspaces":["packages/*"]}`}
	for _, d := range []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"} {
		files["packages/"+d+"/package.json"] = `{"name":"` + d + `"}`
	}
	for _, d := range []string{"c", "f", "j"} {
		files["packages/"+d+"/package.json"] = `{"name":`
	}
	root := writeTree(t, files)
	for range 20 {
		_, err := Load(context.Background(), root, ".")
		if err == nil || !strings.Contains(err.Error(), "parsing packages/c/package.json") {
			t.Fatalf("got %v, want the error of packages/c/package.json", err)
		}
	}
}

// A cancelled load stops with the context's error.
func TestLoadStopsWhenCancelled(t *testing.T) {
	root := writeTree(t, map[string]string{
		"package.json":          `{"workspaces":["apps/*"]}`,
		"apps/web/package.json": `{"name":"web"}`,
	})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Load(ctx, root, "."); err != context.Canceled {
		t.Errorf("got %v, want %v", err, context.Canceled)
	}
}

// A node_modules directory among the package directories is left out, and the packages listed
// after it are not: a * pattern used to stop at it.
func TestLoadSkipsNodeModulesAmongPackages(t *testing.T) {
	for _, pattern := range []string{"apps/*", "apps/**", "*/*"} {
		root := writeTree(t, map[string]string{
			"package.json":                         `{"workspaces":["` + pattern + `"]}`,
			"apps/api/package.json":                `{"name":"api"}`,
			"apps/node_modules/dep/package.json":   `{"name":"dep"}`,
			"apps/node_modules/package.json":       `{"name":"hoisted"}`,
			"apps/web/package.json":                `{"name":"web"}`,
			"apps/web/node_modules/x/package.json": `{"name":"x"}`,
		})
		w := load(t, root, ".")
		if got, want := names(w), []string{"api", "web"}; !reflect.DeepEqual(got, want) {
			t.Errorf("%s: packages: got %q, want %q", pattern, got, want)
		}
	}
}

// Each path is an input once, with the first reason that reaches it: a closure package named again
// by the root configuration or a tsconfig reference keeps its dependency chain; a package outside
// the closure that a reference names is an input for that reference.
func TestInputsListEachPathOnce(t *testing.T) {
	root := writeTree(t, map[string]string{
		"package.json":                `{"workspaces":["packages/*"],"scripts":{"postinstall":"patch-package --patch-dir packages/ui"}}`,
		"packages/web/package.json":   `{"name":"web","dependencies":{"ui":"*","lib":"*"}}`,
		"packages/web/tsconfig.json":  `{"references":[{"path":"../ui"},{"path":"../other"}]}`,
		"packages/ui/package.json":    `{"name":"ui","dependencies":{"lib":"*"}}`,
		"packages/lib/package.json":   `{"name":"lib","dependencies":{"ui":"*"}}`,
		"packages/other/package.json": `{"name":"other"}`,
	})
	w := load(t, root, ".")
	ins, err := w.Inputs("web")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, in := range ins {
		got = append(got, in.Path+": "+strings.Join(in.Why, " → "))
	}
	want := []string{
		"package.json: workspace root package.json",
		"packages/lib: web → lib",
		"packages/other: packages/web/tsconfig.json:1 references ../other",
		"packages/ui: web → ui",
		"packages/web: web",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("inputs of web:\n got %q\nwant %q", got, want)
	}
}
