package graph

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	buildctx "github.com/monoctx/monoctx/context"
)

// fixtureFiles reads a fixture directory into the map form newRepo takes.
func fixtureFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		files[filepath.ToSlash(rel)] = string(data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// goMonorepo is graph/golang's vendored single-module fixture with two whole-context Dockerfiles:
// cmd/a uses internal/auth, pkg/token and the vendored example.com/used; cmd/b uses pkg/token and
// example.com/bonly.
func goMonorepo(t *testing.T) map[string]string {
	files := fixtureFiles(t, filepath.Join("golang", "testdata", "mono"))
	for _, app := range []string{"a", "b"} {
		files["cmd/"+app+"/Dockerfile"] = "FROM golang:1.22 AS build\nWORKDIR /src\nCOPY . .\nRUN go build -mod=vendor -o /app ./cmd/" + app + "\n\nFROM scratch\nCOPY --from=build /app /app\n"
	}
	files["monoctx.yaml"] = "apps:\n  a: {dockerfile: cmd/a/Dockerfile, context: .}\n  b: {dockerfile: cmd/b/Dockerfile, context: .}\n"
	files["README.md"] = "readme\n"
	files["docs/guide.md"] = "guide\n"
	return files
}

func TestWholeContextGoAppIsNarrowedToItsImportClosure(t *testing.T) {
	g := mustLoad(t, newTree(t, goMonorepo(t)))
	a, b := mustApp(t, g, "a"), mustApp(t, g, "b")
	for _, app := range []*App{a, b} {
		if app.Whole != nil || app.Narrowed == nil || app.Narrowed.Kind != "go" {
			t.Fatalf("%s: got Whole=%v Narrowed=%v, want narrowed by Go", app.Name, app.Whole, app.Narrowed)
		}
	}
	rows := []struct {
		path     string
		inA, inB bool
		chainOfA string
	}{
		{"internal/auth/auth.go", true, false, "cmd/a → internal/auth"},
		{"internal/auth/templates/a.tmpl", true, false, ""}, // an embed target
		{"pkg/token/token.go", true, true, ""},
		{"vendor/example.com/used/used.go", true, false, ""},
		{"vendor/example.com/bonly/bonly.go", false, true, ""},
		{"vendor/modules.txt", true, true, ""},
		{"go.mod", true, true, ""},
		{"cmd/a/main_test.go", false, false, ""}, // tests never reach an image built by go build
		{"internal/testonly/testonly.go", false, false, ""},
		{"README.md", false, false, ""},
		{"docs/guide.md", false, false, ""},
	}
	for _, r := range rows {
		exA, exB := a.Explain(r.path), b.Explain(r.path)
		if exA.Input != r.inA || exB.Input != r.inB {
			t.Errorf("%s: got input of a=%v b=%v, want a=%v b=%v (a: %s)", r.path, exA.Input, exB.Input, r.inA, r.inB, exA.Reason)
		}
		if r.chainOfA != "" && (len(exA.Rules) == 0 || !strings.Contains(exA.Rules[0].Text, r.chainOfA)) {
			t.Errorf("%s: got rules %v, want the import chain %q", r.path, exA.Rules, r.chainOfA)
		}
	}
}

func TestGoNarrowingSelectsOnlyTheAppsAChangeReaches(t *testing.T) {
	cases := []struct {
		name string
		edit map[string]string
		want []string
	}{
		{"package used only by a", map[string]string{"internal/auth/auth.go": "package auth\n\nfunc Check() bool { return false }\n"}, []string{"a:affected"}},
		{"package used by both", map[string]string{"pkg/token/token.go": "package token\n\nfunc New() string { return \"t2\" }\n"}, []string{"a:affected", "b:affected"}},
		{"test file", map[string]string{"cmd/a/main_test.go": "package main\n"}, []string{}},
		{"readme", map[string]string{"README.md": "new\n"}, []string{}},
		{"go.mod bump of a module only b uses", nil, []string{"b:affected"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newRepo(t, goMonorepo(t))
			base := r.head()
			edit := c.edit
			if edit == nil {
				mod, err := os.ReadFile(filepath.Join(r.dir, "go.mod"))
				if err != nil {
					t.Fatal(err)
				}
				edit = map[string]string{"go.mod": strings.Replace(string(mod), "example.com/bonly v1.0.0", "example.com/bonly v1.0.1", 1)}
			}
			r.edit(edit)
			r.commit(c.name)
			if got := summary(r.affected(base)); !reflect.DeepEqual(got, c.want) {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
}

// TestNarrowedGoContextStillBuilds writes app a's minimal context as monoctx would stream it and
// runs go build in a directory holding only that context, offline.
func TestNarrowedGoContextStillBuilds(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the Go toolchain that runs this test is not on PATH: %v", err)
	}
	dir := newTree(t, goMonorepo(t))
	g := mustLoad(t, dir)
	a := mustApp(t, g, "a")
	sel, err := a.Selection(dir)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	src := buildctx.Source{Root: dir, Dir: dir, Roots: sel.Roots, Include: sel.Include, Exclude: sel.Exclude,
		CanDescend: sel.CanDescend, Dockerfile: filepath.Join(dir, "cmd", "a", "Dockerfile")}
	if _, err := buildctx.Write(context.Background(), &buf, src); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	names := extractTar(t, &buf, out)
	for _, n := range names {
		if strings.HasPrefix(n, "internal/testonly") || n == "README.md" || strings.HasPrefix(n, "vendor/example.com/bonly") {
			t.Errorf("context holds %s, which cmd/a does not build from", n)
		}
	}
	cmd := exec.Command(goBin, "build", "-mod=vendor", "-o", filepath.Join(t.TempDir(), "a"), "./cmd/a")
	cmd.Dir = out
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=vendor", "GOPROXY=off", "GOTOOLCHAIN=local", "GOWORK=off", "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build in the narrowed context: %v\n%s\ncontext: %v", err, msg, names)
	}
}

func extractTar(t *testing.T, r io.Reader, dir string) []string {
	t.Helper()
	var names []string
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return names
		}
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, filepath.FromSlash(h.Name))
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
		case tar.TypeReg:
			names = append(names, strings.TrimSuffix(h.Name, "/"))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			data, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, data, fs.FileMode(h.Mode)&0o777); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// npmMonorepo is graph/jsdeps's npm workspace fixture (web depends on @acme/ui, api on express)
// with whole-context Dockerfiles for web and api.
func npmMonorepo(t *testing.T) map[string]string {
	files := fixtureFiles(t, filepath.Join("jsdeps", "testdata", "npm"))
	for _, app := range []string{"web", "api"} {
		files["apps/"+app+"/Dockerfile"] = "FROM node:20\nWORKDIR /src\nCOPY . .\nRUN npm ci && npm run build -w " + app + "\n"
		files["apps/"+app+"/index.js"] = "console.log('" + app + "')\n"
	}
	files["packages/ui/index.js"] = "export const ui = 1\n"
	files["monoctx.yaml"] = "apps:\n  web: {dockerfile: apps/web/Dockerfile, context: .}\n  api: {dockerfile: apps/api/Dockerfile, context: .}\n"
	files["README.md"] = "readme\n"
	return files
}

func TestJSNarrowingSelectsOnlyTheAppsAChangeReaches(t *testing.T) {
	cases := []struct {
		name string
		edit func(t *testing.T, dir string) map[string]string
		want []string
	}{
		{"shared package used by web", func(*testing.T, string) map[string]string {
			return map[string]string{"packages/ui/index.js": "export const ui = 2\n"}
		}, []string{"web:affected"}},
		{"api's own file", func(*testing.T, string) map[string]string {
			return map[string]string{"apps/api/index.js": "console.log('api v2')\n"}
		}, []string{"api:affected"}},
		{"root package.json", func(*testing.T, string) map[string]string {
			return map[string]string{"package.json": "{\"name\": \"acme\", \"private\": true, \"workspaces\": [\"apps/*\", \"packages/*\", \"!packages/legacy\"], \"x\": 1}\n"}
		}, []string{"api:affected", "web:affected"}},
		{"lockfile bump of a dependency only api uses", func(t *testing.T, dir string) map[string]string {
			return map[string]string{"package-lock.json": replaceIn(t, dir, "package-lock.json", `"version": "4.18.2"`, `"version": "4.18.3"`)}
		}, []string{"api:affected"}},
		{"unparsable lockfile affects every JS app", func(*testing.T, string) map[string]string {
			return map[string]string{"package-lock.json": "{ not json"}
		}, []string{"api:affected", "web:affected"}},
		{"readme", func(*testing.T, string) map[string]string { return map[string]string{"README.md": "x\n"} }, []string{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newRepo(t, npmMonorepo(t))
			base := r.head()
			r.edit(c.edit(t, r.dir))
			r.commit(c.name)
			got := r.affected(base)
			if s := summary(got); !reflect.DeepEqual(s, c.want) {
				t.Errorf("got %v, want %v (%+v)", s, c.want, got)
			}
		})
	}
}

func replaceIn(t *testing.T, dir, name, old, new string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte(old)) {
		t.Fatalf("%s does not contain %q", name, old)
	}
	return strings.Replace(string(data), old, new, 1)
}

func TestGoTestsCountOnlyWhenConfigured(t *testing.T) {
	files := goMonorepo(t)
	files["monoctx.yaml"] = "apps:\n  a: {dockerfile: cmd/a/Dockerfile, context: ., go: {tests: true}}\n  b: {dockerfile: cmd/b/Dockerfile, context: .}\n"
	g := mustLoad(t, newTree(t, files))
	for _, r := range []struct {
		app, path string
		want      bool
	}{
		{"a", "cmd/a/main_test.go", true},
		{"a", "internal/testonly/testonly.go", true}, // imported by a's test only
		{"b", "cmd/a/main_test.go", false},
	} {
		if got := mustApp(t, g, r.app).Explain(r.path).Input; got != r.want {
			t.Errorf("%s: %s is an input: got %v, want %v", r.app, r.path, got, r.want)
		}
	}
}

// A Go file that does not parse in one app's closure must not un-narrow another app that shares
// packages with it: the apps are analysed in parallel, and the failing closure cancels reads the
// other one may be waiting on. Repeated because the outcome used to depend on goroutine timing
// (1 load in 4 left b whole).
func TestGoNarrowingOfOneAppSurvivesABrokenNeighbour(t *testing.T) {
	files := map[string]string{
		"go.mod":           "module ex\n\ngo 1.22\n",
		"lib/broken/b.go":  "package broken\n\nimport ( \"fmt\" \n",
		"cmd/a/Dockerfile": "FROM golang\nCOPY . .\n",
		"cmd/b/Dockerfile": "FROM golang\nCOPY . .\n",
		"monoctx.yaml": "apps:\n  a:\n    dockerfile: cmd/a/Dockerfile\n    context: .\n" +
			"  b:\n    dockerfile: cmd/b/Dockerfile\n    context: .\n",
	}
	var imps strings.Builder
	for i := 0; i < 60; i++ {
		files[fmt.Sprintf("lib/c%d/c.go", i)] = fmt.Sprintf("package c%d\n\nimport _ \"fmt\"\n", i)
		fmt.Fprintf(&imps, "\t_ \"ex/lib/c%d\"\n", i)
	}
	files["cmd/a/main.go"] = "package main\n\nimport (\n\t_ \"ex/lib/broken\"\n" + imps.String() + ")\n\nfunc main() {}\n"
	files["cmd/b/main.go"] = "package main\n\nimport (\n" + imps.String() + ")\n\nfunc main() {}\n"
	root := newTree(t, files)
	for i := 0; i < 40; i++ {
		g := mustLoad(t, root)
		if a := mustApp(t, g, "a"); a.Narrowed != nil {
			t.Fatalf("load %d: a is narrowed although lib/broken does not parse", i)
		}
		if b := mustApp(t, g, "b"); b.Narrowed == nil {
			t.Fatalf("load %d: b is not narrowed; its closure does not include lib/broken", i)
		}
	}
}

// The rule texts of a closure's files are joined once per chain and are what joining each gives.
func TestWhyTextsJoinEachChain(t *testing.T) {
	a, b := []string{"cmd/x", "lib"}, []string{"cmd/x", "lib", "lib/sub"}
	chains := [][]string{a, a, b, a, {"go.mod of module m"}, b, append([]string(nil), b...)}
	w := whyTexts{prefix: "Go: "}
	for i, c := range chains {
		if got, want := w.text(c), "Go: "+strings.Join(c, " → "); got != want {
			t.Errorf("chain %d: got %q, want %q", i, got, want)
		}
	}
}
