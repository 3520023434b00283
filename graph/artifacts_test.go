package graph

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"
)

// fixtureRepo makes a committed repository of graph/testdata/artifacts/NAME.txtar.
func fixtureRepo(t *testing.T, name string) *repo {
	t.Helper()
	ar, err := txtar.ParseFile(filepath.Join("testdata", "artifacts", name+".txtar"))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, f := range ar.Files {
		files[f.Name] = string(f.Data)
	}
	return newRepo(t, files)
}

// affectedBy commits an edit of path (a line appended) and returns the apps it affects, by
// Dockerfile, with their first reason's rule.
func affectedBy(t *testing.T, r *repo, path string, opts ...Option) map[string]string {
	t.Helper()
	base := r.head()
	old, err := os.ReadFile(filepath.Join(r.dir, filepath.FromSlash(path)))
	if err != nil {
		t.Fatal(err)
	}
	r.edit(map[string]string{path: string(old) + "// changed\n"})
	r.commit("edit " + path)
	got, err := mustLoad(t, r.dir, opts...).Affected(context.Background(), r.changes(base), gitBase{dir: r.dir, commit: base})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, a := range got {
		out[a.Dockerfile] = a.Reasons[0].Rule
	}
	return out
}

func TestArtifactIsTracedToTheGoPackageThatBuildsIt(t *testing.T) {
	for _, tc := range []struct {
		fixture, app string            // app: its Dockerfile
		built        map[string]string // gitignored outputs present in the work tree, as after make
		closure      []string          // changes that must affect the app
		unrelated    string            // a change that must not
		ruleHas      []string          // in the rule of a closure change
	}{
		{fixture: "make", app: "Dockerfile", closure: []string{"cmd/x/main.go", "internal/lib/lib.go"}, unrelated: "pkg/other/other.go",
			ruleHas: []string{"Dockerfile:3 COPY x-linux-$TARGETARCH /usr/bin/x → artifact x-linux-* built from Go package cmd/x", "(Makefile:4 CGO_ENABLED=0 GOOS=linux GOARCH=$(ARCH) go build -trimpath -o x-linux-$(ARCH) ./cmd/x)"}},
		{fixture: "make", app: "Dockerfile", built: map[string]string{"x-linux-amd64": "bin", "x-linux-arm64": "bin"},
			closure: []string{"internal/lib/lib.go"}, unrelated: "pkg/other/other.go", ruleHas: []string{"(Makefile:4 "}},
		{fixture: "dirmain", app: "cmd/x/Dockerfile", closure: []string{"cmd/x/main.go", "internal/lib/lib.go"}, unrelated: "pkg/other/other.go",
			ruleHas: []string{"cmd/x/Dockerfile:3", "built from Go package cmd/x (the main package in the Dockerfile's directory)"}},
		{fixture: "thanos", app: "Dockerfile.multi-arch", closure: []string{"cmd/thanos/main.go", "pkg/store/store.go"}, unrelated: "pkg/other/other.go",
			ruleHas: []string{"Dockerfile.multi-arch:4 COPY .build/${OS}-${ARCH}/thanos /bin/thanos → artifact .build/linux-amd64/thanos built from Go package cmd/thanos (the main package named after it)"}},
		{fixture: "script", app: "deploy/api/Dockerfile", closure: []string{"cmd/server/main.go", "internal/api/api.go"}, unrelated: "tools/gen/main.go",
			ruleHas: []string{`built from Go package cmd/server (scripts/build.sh:4 GOOS=linux GOARCH="$arch" go build -ldflags "-s -w" -o "out/api-linux-${arch}" ./cmd/server)`}},
		{fixture: "script", app: "deploy/gen/Dockerfile", closure: []string{"tools/gen/main.go"}, unrelated: "cmd/server/main.go",
			ruleHas: []string{"built from Go package tools/gen (.github/workflows/images.yml:7 go build -o out/gen-${{…}} example.com/m/tools/gen)"}},
		{fixture: "unignored", app: "Dockerfile", closure: []string{"cmd/server/main.go", "internal/lib/lib.go"}, unrelated: "pkg/other/other.go",
			ruleHas: []string{"Dockerfile:2 COPY server_tmp_for_docker /bin/server → artifact server_tmp_for_docker built from Go package cmd/server (Makefile:2 go build -o server_tmp_for_docker ./cmd/server)"}},
		{fixture: "config", app: "web/Dockerfile", closure: []string{"web/src/app.js"}, unrelated: "pkg/other/other.go",
			ruleHas: []string{"web/Dockerfile:2 COPY dist/app.tar.gz /srv/ → artifact web/dist/app.tar.gz built from web/src/** (monoctx.yaml:6 artifacts: web/dist/**)"}},
		{fixture: "config", app: "docker/Dockerfile", closure: []string{"cmd/daprd/main.go", "pkg/runtime/runtime.go"}, unrelated: "web/src/app.js",
			ruleHas: []string{"artifact dist/linux_amd64/release built from Go package cmd/daprd (monoctx.yaml:8 artifacts: dist/linux_amd64/release → go: cmd/daprd)"}},
	} {
		t.Run(tc.fixture+"/"+tc.app, func(t *testing.T) {
			r := fixtureRepo(t, tc.fixture)
			r.edit(tc.built)
			g := mustLoad(t, r.dir)
			if len(g.Warnings) > 0 {
				t.Errorf("warnings: %q, want none", g.Warnings)
			}
			a, err := g.App(tc.app)
			if err != nil {
				t.Fatal(err)
			}
			if a.Always != nil {
				t.Fatalf("app is selected for every change (%s); want its artifact traced", a.Always)
			}
			for _, p := range tc.closure {
				got := affectedBy(t, r, p)
				rule, ok := got[tc.app]
				if !ok {
					t.Errorf("%s: %s not affected; got %v", p, tc.app, got)
					continue
				}
				for _, want := range tc.ruleHas {
					if !strings.Contains(rule, want) {
						t.Errorf("%s: rule %q does not contain %q", p, rule, want)
					}
				}
			}
			if got := affectedBy(t, r, tc.unrelated); got[tc.app] != "" {
				t.Errorf("%s: %s affected (%s); the package is outside the artifact's closure", tc.unrelated, tc.app, got[tc.app])
			}
		})
	}
}

func TestUnexplainedArtifactSelectsTheAppForEveryChangeWithAWarning(t *testing.T) {
	for _, tc := range []struct {
		fixture, app, where, artifact string // app: name
	}{
		{"unexplained", "web", "web/Dockerfile:2", "COPY source web/dist/app.tar.gz is a build output git does not track"},
		{"dapr", "daprd", "docker/Dockerfile:5", "the build context dist/linux_amd64/release is a build output git does not track"},
	} {
		t.Run(tc.fixture, func(t *testing.T) {
			r := fixtureRepo(t, tc.fixture)
			g := mustLoad(t, r.dir)
			if len(g.Warnings) != 1 {
				t.Fatalf("warnings: %q, want one", g.Warnings)
			}
			w := g.Warnings[0]
			for _, want := range []string{tc.where + ": " + tc.artifact, "app " + tc.app + " is selected for every change", "monoctx.yaml: artifacts: [{path: "} {
				if !strings.Contains(w, want) {
					t.Errorf("warning %q does not contain %q", w, want)
				}
			}
			got := affectedBy(t, r, "pkg/other/other.go")
			rule, ok := got[mustApp(t, g, tc.app).Dockerfile]
			if !ok {
				t.Fatalf("an unrelated change did not select %s: got %v", tc.app, got)
			}
			if !strings.HasPrefix(rule, tc.where+" ") || !strings.Contains(rule, "the app is selected for every change") {
				t.Errorf("rule %q: want the Dockerfile line and the reason", rule)
			}
			ex := mustApp(t, g, tc.app).Explain("README.md")
			if !ex.Input {
				t.Errorf("why: README.md is not an input (%s); an untraced artifact can be built from anything", ex.Reason)
			}
		})
	}
}

func TestTrackedIgnoredFileIsNoArtifact(t *testing.T) {
	r := fixtureRepo(t, "unexplained")
	r.edit(map[string]string{"web/dist/app.tar.gz": "bundle"})
	r.git("add", "-f", "web/dist/app.tar.gz")
	r.commit("vendor the bundle")
	tracked := func(ctx context.Context, p string) (bool, error) {
		out, err := runGit(ctx, r.dir, "ls-files", "--cached", "--", p)
		return len(out) > 0, err
	}
	g := mustLoad(t, r.dir, WithTracked(tracked))
	if a := mustApp(t, g, "web"); a.Always != nil || len(g.Warnings) > 0 {
		t.Fatalf("a force-added file is tracked, not an artifact: always=%v warnings=%q", a.Always, g.Warnings)
	}
	got := affectedBy(t, r, "web/dist/app.tar.gz", WithTracked(tracked))
	if _, ok := got["web/Dockerfile"]; !ok {
		t.Errorf("a change to the tracked file does not affect web: %v", got)
	}
	if got := affectedBy(t, r, "pkg/other/other.go", WithTracked(tracked)); len(got) != 0 {
		t.Errorf("an unrelated change affects %v", got)
	}
}

func TestArtifactNotBuiltYetKeepsTheIgnoreFileAllowingIt(t *testing.T) {
	r := fixtureRepo(t, "thanos")
	g := mustLoad(t, r.dir)
	a, err := g.App("Dockerfile.multi-arch")
	if err != nil {
		t.Fatal(err)
	}
	sel, err := a.Selection(r.dir)
	if err != nil {
		t.Fatalf("Selection of an app whose artifact is not built: %v", err)
	}
	if want := ".build/linux-amd64/thanos"; !containsStr(sel.Keep, want) {
		t.Errorf("Keep = %q, want %q in it", sel.Keep, want)
	}
}

func TestArtifactConfigErrors(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"artifacts:\n  - go: cmd/x\n", "monoctx.yaml:2: artifacts: an entry without path"},
		{"artifacts:\n  - path: bin/x\n", "monoctx.yaml:2: artifacts: bin/x: give exactly one of go:"},
		{"artifacts:\n  - path: bin/x\n    go: cmd/x\n    inputs: [a]\n", "monoctx.yaml:2: artifacts: bin/x: give exactly one of go:"},
		{"artifacts:\n  - path: bin/x\n    go: ../x\n", `monoctx.yaml:2: artifacts: path "../x" must be relative`},
		{"artifacts:\n  - path: bin/x\n    inputs: [\"a[\"]\n", `monoctx.yaml:2: artifacts: bin/x: invalid glob "a["`},
		{"artifacts:\n  - path: bin/x\n    pkg: cmd/x\n", `monoctx.yaml:3: unknown key "pkg" in artifacts; the keys are go, inputs, path`},
	} {
		_, err := ParseConfig("monoctx.yaml", []byte(tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want %q", tc.yaml, err, tc.want)
		}
	}
	r := fixtureRepo(t, "unexplained")
	r.edit(map[string]string{"monoctx.yaml": "artifacts:\n  - path: web/dist/**\n    go: cmd/none\n"})
	_, err := Load(context.Background(), r.dir)
	if err == nil || !strings.Contains(err.Error(), "monoctx.yaml:2: artifacts: go: cmd/none is not a Go main package") {
		t.Errorf("go: naming no package: got %v", err)
	}
}

func TestBinaryName(t *testing.T) {
	for in, want := range map[string]string{
		"x-linux-amd64": "x", "x-linux-*": "x", "thanos": "thanos", "my-app_darwin_arm64.exe": "my-app",
		"app.tar.gz": "app.tar.gz", "linux-amd64": "", "*": "", ".env": "", "x-linux-*-debug": "x", "debug": "debug",
	} {
		if got := binaryName(in); got != want {
			t.Errorf("binaryName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestGlobsOverlap(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"x-linux-*", "x-linux-amd64", true},
		{"x-*-amd64", "x-linux-*", true},
		{"x-linux-*", "y-linux-*", false},
		{"bin/*", "x", false},
		{".build/*-*/thanos", ".build/linux-amd64/thanos", true},
		{"out/api-linux-*", "out/gen-*", false},
		{"a/[ab]c", "a/bc", true},
	} {
		if got := globsOverlap(tc.a, tc.b); got != tc.want {
			t.Errorf("globsOverlap(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

// TestGitignoreMatchesGit compares the .gitignore reading with git check-ignore on the same tree.
func TestGitignoreMatchesGit(t *testing.T) {
	r := newRepo(t, map[string]string{
		".gitignore":     "/x-linux-*\ndist/\n*.log\n!keep.log\n/.build\nbuild/**/out\n\\#hash\ntrailing  \n",
		"sub/.gitignore": "gen/\n/local\n!dist/\n",
	})
	paths := []struct {
		p     string
		isDir bool
	}{
		{"x-linux-amd64", false}, {"sub/x-linux-amd64", false}, {"dist", true}, {"dist", false},
		{"web/dist/app.js", false}, {"a.log", false}, {"logs/keep.log", false}, {".build/linux-amd64/thanos", false},
		{"sub/.build", true}, {"build/a/b/out", false}, {"build/out", false}, {"#hash", false}, {"trailing", false},
		{"sub/gen/x.go", false}, {"gen/x.go", false}, {"sub/local", false}, {"sub/a/local", false},
		{"sub/dist/x", false}, {"main.go", false},
	}
	st := &artifactState{}
	ignoredByGit := 0
	for _, tc := range paths {
		arg := tc.p
		if tc.isDir {
			arg += "/"
		}
		_, err := runGit(context.Background(), r.dir, "check-ignore", "-q", "--no-index", arg)
		want := err == nil
		if want {
			ignoredByGit++
		}
		if got := st.ignored(r.dir, tc.p, tc.isDir); got != want {
			t.Errorf("ignored(%q, dir=%v) = %v; git check-ignore says %v", tc.p, tc.isDir, got, want)
		}
	}
	if ignoredByGit < 5 || ignoredByGit > len(paths)-5 {
		t.Errorf("git ignores %d of %d paths: the table no longer tells matches from misses", ignoredByGit, len(paths))
	}
}

// TestArtifactGoSumChangeCountsOnlyForImportedModules: go.mod and go.sum reach an artifact's app
// as they reach a Go-narrowed app, through the modules its closure imports.
func TestArtifactGoSumChangeCountsOnlyForImportedModules(t *testing.T) {
	r := fixtureRepo(t, "make")
	base := r.head()
	r.edit(map[string]string{"go.sum": "example.org/unused v1.0.0 h1:AAAA=\nexample.org/unused v1.0.0/go.mod h1:BBBB=\n"})
	r.commit("a module nothing imports")
	if got := summary(r.affected(base)); len(got) != 0 {
		t.Errorf("a go.sum change for a module the closure does not import affects %v", got)
	}
	base = r.head()
	r.edit(map[string]string{"go.mod": "module example.com/m\n\ngo 1.23\n"})
	r.commit("go directive")
	got := r.affected(base)
	if len(got) != 1 || !strings.Contains(got[0].Reasons[0].Rule, "could not be narrowed to modules") {
		t.Errorf("a go directive change: got %+v, want the app affected, undecided", got)
	}
}

// The build files read from discovery's listing are those a walk of the repository finds: outside
// skipped directories and .git directories, regular files only.
func TestBuildFilesFromTheListingAreTheWalksOnes(t *testing.T) {
	r := newRepo(t, map[string]string{
		"Makefile":                     "build:\n\tgo build -o bin/x ./cmd/x\n",
		"tools/release.mk":             "x:\n",
		"scripts/build.sh":             "go build ./cmd/x\n",
		"scripts/deep/ci.bash":         "echo\n",
		".github/workflows/ci.yml":     "on: push\n",
		".github/workflows/sub/x.yaml": "on: push\n",
		"node_modules/pkg/build.sh":    "echo\n",
		"skipped/Makefile":             "x:\n",
		"monoctx.yaml":                 "discovery:\n  skip: [\"skipped\", \"**/node_modules\"]\n",
		"README.md":                    "r\n",
	})
	r.edit(map[string]string{"nested/.git/hooks/run.sh": "echo\n", "untracked/Makefile": "u:\n"})
	if err := os.Symlink("Makefile", filepath.Join(r.dir, "scripts", "Makefile")); err != nil {
		t.Fatal(err)
	}
	g := mustLoad(t, r.dir)
	st := &g.lang.art
	if st.listing == nil {
		t.Fatal("Load gave the artifacts no listing: the test tests nothing")
	}
	cfg := g.Config
	got, want := st.buildFiles(st.fs, g.Root), st.walkBuildFiles(g.Root, cfg)
	if !reflect.DeepEqual(got, want) || len(want) < 5 {
		t.Errorf("build files from the listing %q, from a walk %q", got, want)
	}
}
