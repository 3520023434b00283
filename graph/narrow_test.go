package graph

import (
	"bytes"
	"context"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	buildctx "github.com/monoctx/monoctx/context"
)

// inputRows checks, per path, whether it is an input of the app and, when want holds text, that a
// rule making it one contains that text.
func inputRows(t *testing.T, a *App, rows map[string]string, absent []string) {
	t.Helper()
	for _, p := range slices.Sorted(func(yield func(string) bool) {
		for p := range rows {
			if !yield(p) {
				return
			}
		}
	}) {
		ex := a.Explain(p)
		if !ex.Input {
			t.Errorf("%s: %s is not an input (%s); want it", a.Name, p, ex.Reason)
			continue
		}
		if want := rows[p]; want != "" && !slices.ContainsFunc(ex.Rules, func(r Rule) bool { return strings.Contains(r.String(), want) }) {
			t.Errorf("%s: %s: got rules %q, want one containing %q", a.Name, p, ex.Rules, want)
		}
	}
	for _, p := range absent {
		if ex := a.Explain(p); ex.Input {
			t.Errorf("%s: %s is an input (%q); nothing the build reads names it", a.Name, p, ex.Rules)
		}
	}
}

// contextNames are the files of the app's minimal context, as monoctx context streams it.
func contextNames(t *testing.T, dir string, a *App) []string {
	t.Helper()
	sel, err := a.Selection(dir)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	src := buildctx.Source{Root: dir, Dir: filepath.Join(dir, filepath.FromSlash(a.Context)), Roots: sel.Roots, Include: sel.Include,
		Exclude: sel.Exclude, CanDescend: sel.CanDescend, Dockerfile: filepath.Join(dir, filepath.FromSlash(a.Dockerfile))}
	if _, err := buildctx.Write(context.Background(), &buf, src); err != nil {
		t.Fatal(err)
	}
	return extractTar(t, &buf, t.TempDir())
}

// langfuse's pattern: a pnpm workspace with turbo.json and patches named by pnpm-workspace.yaml
// patchedDependencies; web/Dockerfile copies the whole root context and runs turbo prune web.
func TestLangfuseNarrowingKeepsTurboAndPatches(t *testing.T) {
	r := newRepo(t, fixtureFiles(t, filepath.Join("testdata", "langfuse")))
	g := mustLoad(t, r.dir)
	web := mustApp(t, g, "langfuse-web")
	if web.Narrowed == nil || web.Whole != nil {
		t.Fatalf("web: got Whole=%v Narrowed=%v, want narrowed", web.Whole, web.Narrowed)
	}
	want := []BuiltPackage{{Lang: "js", Package: "web", Dir: "web",
		Rule: Rule{Kind: "run", Where: "web/Dockerfile:8", Text: "RUN turbo prune --scope=web --docker"}}}
	if !reflect.DeepEqual(web.Packages, want) {
		t.Errorf("web: got builds %+v, want %+v", web.Packages, want)
	}
	inputRows(t, web, map[string]string{
		"turbo.json":                      "Turborepo's root configuration",
		"patches/next-auth@4.24.15.patch": `pnpm-workspace.yaml:7 patchedDependencies["next-auth@4.24.15"]`,
		"pnpm-workspace.yaml":             "",
		"pnpm-lock.yaml":                  "JS: lockfile",
		".npmrc":                          "",
		"package.json":                    "",
		"web/src/index.ts":                "JS: web",
		"packages/shared/src/index.ts":    "JS: web → @langfuse/shared",
	}, []string{"worker/src/index.ts", "packages/config-eslint/index.js", "patches/next-auth@4.24.11.patch", "README.md"})

	// turbo prune in the narrowed context finds what it reads.
	names := contextNames(t, r.dir, web)
	for _, n := range []string{"turbo.json", "patches/next-auth@4.24.15.patch", "pnpm-workspace.yaml", "pnpm-lock.yaml", "packages/shared/package.json"} {
		if !slices.Contains(names, n) {
			t.Errorf("web's context lacks %s: %q", n, names)
		}
	}
	if slices.Contains(names, "worker/src/index.ts") {
		t.Errorf("web's context holds worker/src/index.ts: %q", names)
	}

	for _, c := range []struct {
		name string
		edit map[string]string
		want []string
	}{
		{"turbo.json", map[string]string{"turbo.json": `{"tasks": {"build": {"outputs": ["dist/**"]}}}` + "\n"}, []string{"langfuse-web:affected", "langfuse-worker:affected"}},
		{"a named patch", map[string]string{"patches/next-auth@4.24.15.patch": "--- a\n+++ b\n"}, []string{"langfuse-web:affected", "langfuse-worker:affected"}},
		{"a patch nothing names", map[string]string{"patches/lodash.patch": "--- a\n"}, []string{}},
		{"the lockfile's workspace settings", map[string]string{"pnpm-lock.yaml": strings.Replace(readFixture(t, "pnpm-lock.yaml"), "autoInstallPeers: true", "autoInstallPeers: false", 1)},
			[]string{"langfuse-web:affected", "langfuse-worker:affected"}},
		{"web only", map[string]string{"web/src/index.ts": "export const page = 2;\n"}, []string{"langfuse-web:affected"}},
		{"a package no app uses", map[string]string{"packages/config-eslint/index.js": "module.exports = {x: 1};\n"}, []string{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := newRepo(t, fixtureFiles(t, filepath.Join("testdata", "langfuse")))
			base := r.head()
			r.edit(c.edit)
			r.commit(c.name)
			got := r.affected(base)
			if s := summary(got); !reflect.DeepEqual(s, c.want) {
				t.Errorf("got %v, want %v (%+v)", s, c.want, got)
			}
		})
	}
}

// readFixture is one file of the langfuse fixture.
func readFixture(t *testing.T, name string) string {
	t.Helper()
	files := fixtureFiles(t, filepath.Join("testdata", "langfuse"))
	s, ok := files[name]
	if !ok {
		t.Fatalf("no %s in the langfuse fixture", name)
	}
	return s
}

// documenso's pattern: docker/Dockerfile copies the whole context into /app in stage builder, runs
// turbo prune --scope=@documenso/remix, and a later stage copies /app/lingui.config.ts out of it.
func TestDocumensoNarrowingKeepsWhatLaterStagesCopyOut(t *testing.T) {
	r := newRepo(t, fixtureFiles(t, filepath.Join("testdata", "documenso")))
	g := mustLoad(t, r.dir)
	app := mustApp(t, g, "docker")
	if app.Context != "." || app.Narrowed == nil {
		t.Fatalf("got context %q narrowed %v, want the root context narrowed", app.Context, app.Narrowed)
	}
	if len(app.Packages) != 1 || app.Packages[0].Package != "@documenso/remix" || app.Packages[0].Dir != "apps/remix" || app.Packages[0].Rule.Where != "docker/Dockerfile:8" {
		t.Errorf("got builds %+v, want @documenso/remix in apps/remix from docker/Dockerfile:8", app.Packages)
	}
	inputRows(t, app, map[string]string{
		"lingui.config.ts":              "docker/Dockerfile:16 COPY --from=builder /app/lingui.config.ts ./lingui.config.ts (/app/lingui.config.ts out of the whole-context copy at docker/Dockerfile:6)",
		"turbo.json":                    "",
		"package-lock.json":             "",
		"apps/remix/app/root.tsx":       "JS: @documenso/remix",
		"packages/lib/index.ts":         "JS: @documenso/remix → @documenso/lib",
		"packages/prisma/schema.prisma": "",
		"docker/start.sh":               "COPY ./docker/start.sh",
	}, []string{"apps/docs/index.mdx", "README.md"})
	if names := contextNames(t, r.dir, app); !slices.Contains(names, "lingui.config.ts") {
		t.Errorf("the context lacks lingui.config.ts: %q", names)
	}

	base := r.head()
	r.edit(map[string]string{"lingui.config.ts": "export default { locales: [\"en\"] };\n", "apps/docs/index.mdx": "# new docs\n"})
	r.commit("lingui and docs")
	got := r.affected(base)
	if s := summary(got); !reflect.DeepEqual(s, []string{"docker:affected"}) {
		t.Fatalf("got %v, want docker affected", s)
	}
	var paths []string
	for _, re := range got[0].Reasons {
		paths = append(paths, re.Path)
	}
	if !reflect.DeepEqual(paths, []string{"lingui.config.ts"}) {
		t.Errorf("got reasons for %q, want lingui.config.ts only", paths)
	}
}

// A whole-context Dockerfile outside the Go package it builds (docker/api.Dockerfile, go build
// ./cmd/api) is narrowed to that package, keeping the Makefile with its includes and the script its
// RUN lines run.
func TestGoRunLinesNarrowAndKeepMakefileAndScripts(t *testing.T) {
	files := map[string]string{
		"go.mod":            "module ex\n\ngo 1.22\n",
		"cmd/api/main.go":   "package main\n\nimport _ \"ex/lib\"\n\nfunc main() {}\n",
		"cmd/tool/main.go":  "package main\n\nfunc main() {}\n",
		"lib/lib.go":        "package lib\n",
		"Makefile":          "include build/common.mk\n-include $(LOCAL).mk\n\ndeps:\n\t@true\n",
		"build/common.mk":   "include build/versions.mk\nGOFLAGS := -trimpath\n",
		"build/versions.mk": "GO_VERSION := 1.22\n",
		"scripts/build.sh":  "#!/bin/sh\nset -e\n",
		"docker/api.Dockerfile": "FROM golang:1.22 AS build\nWORKDIR /src\nCOPY . .\n" +
			"RUN make deps && ./scripts/build.sh && CGO_ENABLED=0 go build -o /out/api ./cmd/api\n" +
			"FROM scratch\nCOPY --from=build /out/api /api\n",
		"compose.yaml": "services:\n  api:\n    build:\n      context: .\n      dockerfile: docker/api.Dockerfile\n",
		"README.md":    "readme\n",
	}
	r := newRepo(t, files)
	g := mustLoad(t, r.dir)
	api := mustApp(t, g, "api")
	if api.Narrowed == nil || api.Narrowed.Kind != "go" {
		t.Fatalf("api: got Narrowed %v, want narrowed by Go", api.Narrowed)
	}
	if len(api.Packages) != 1 || api.Packages[0].Lang != "go" || api.Packages[0].Dir != "cmd/api" {
		t.Errorf("api: got builds %+v, want go cmd/api", api.Packages)
	}
	inputRows(t, api, map[string]string{
		"cmd/api/main.go":   "Go: cmd/api",
		"lib/lib.go":        "Go: cmd/api → lib",
		"go.mod":            "",
		"Makefile":          "docker/api.Dockerfile:4 RUN make deps",
		"build/common.mk":   "Makefile:1 include build/common.mk",
		"build/versions.mk": "build/common.mk:1 include build/versions.mk",
		"scripts/build.sh":  "docker/api.Dockerfile:4",
	}, []string{"cmd/tool/main.go", "README.md"})

	base := r.head()
	r.edit(map[string]string{"build/versions.mk": "GO_VERSION := 1.23\n", "cmd/tool/main.go": "package main\n\nfunc main() { println() }\n"})
	r.commit("versions")
	if s := summary(r.affected(base)); !reflect.DeepEqual(s, []string{"api:affected"}) {
		t.Errorf("got %v, want api affected by build/versions.mk", s)
	}
}

// A RUN line that builds every package keeps the whole context, even where the Dockerfile's
// directory is a workspace package that would otherwise narrow it: never under-select.
func TestRunLineBuildingEverythingKeepsTheWholeContext(t *testing.T) {
	files := npmMonorepo(t)
	files["apps/web/Dockerfile"] = "FROM node:20\nWORKDIR /src\nCOPY . .\nRUN npm ci && npx turbo run build\n"
	g := mustLoad(t, newTree(t, files))
	web := mustApp(t, g, "web")
	if web.Whole == nil || web.Narrowed != nil {
		t.Fatalf("web: got Whole=%v Narrowed=%v, want the whole context", web.Whole, web.Narrowed)
	}
	if len(web.Packages) != 1 || !strings.Contains(web.Packages[0].Unresolved, "turbo run without --filter") {
		t.Errorf("web: got builds %+v, want one unresolved turbo run", web.Packages)
	}
	if !web.Explain("apps/api/index.js").Input {
		t.Error("apps/api/index.js is not an input of web, whose turbo run builds every package")
	}
	// api names a package no workspace has: it stays whole too, with the reason.
	files["apps/api/Dockerfile"] = "FROM node:20\nWORKDIR /src\nCOPY . .\nRUN npm ci -w nosuch\n"
	g = mustLoad(t, newTree(t, files))
	api := mustApp(t, g, "api")
	if api.Whole == nil || len(api.Packages) != 1 || !strings.Contains(api.Packages[0].Unresolved, `no workspace package "nosuch"`) {
		t.Errorf("api: got Whole=%v builds %+v, want whole with the unresolved name", api.Whole, api.Packages)
	}
}

// Apps that build the same Dockerfile with the same args share one analysis.
func TestAppsOfOneBuildShareOneDockerfileAnalysis(t *testing.T) {
	files := map[string]string{
		"shared/Dockerfile": "FROM scratch\nARG V=1\nCOPY app-$V /app\n",
		"a/app-1":           "1\n",
		"b/app-1":           "1\n",
		"c/app-2":           "2\n",
		"compose.yaml": "services:\n  a: {build: {context: a, dockerfile: ../shared/Dockerfile}}\n  b: {build: {context: b, dockerfile: ../shared/Dockerfile}}\n" +
			"  c: {build: {context: c, dockerfile: ../shared/Dockerfile, args: {V: \"2\"}}}\n",
	}
	g := mustLoad(t, newTree(t, files))
	a, b, c := mustApp(t, g, "a"), mustApp(t, g, "b"), mustApp(t, g, "c")
	if a.df == nil || a.df != b.df {
		t.Errorf("a and b build the same Dockerfile with the same args: got analyses %p and %p, want one", a.df, b.df)
	}
	if c.df == a.df {
		t.Error("c builds with V=2 but shares a's analysis")
	}
	if !c.Explain("c/app-2").Input || !b.Explain("b/app-1").Input || b.Explain("a/app-1").Input || !a.Explain("a/app-1").Input {
		t.Error("the args of each build do not decide its sources")
	}
}

// The inputs of a Go closure shared by two apps are made when asked for: Explain and Inputs give
// each file's rule (the import chain, the line that copies it) for either app, and only the
// closure's files.
func TestSharedGoClosureInputsAgreeWithExplain(t *testing.T) {
	files := map[string]string{
		"go.mod":          "module ex\n\ngo 1.22\n",
		"cmd/api/main.go": "package main\n\nimport _ \"ex/lib\"\n\nfunc main() {}\n",
		"lib/lib.go":      "package lib\n\nimport _ \"ex/lib/deep\"\n",
		"lib/deep/d.go":   "package deep\n",
		"other/o.go":      "package other\n",
		"Dockerfile":      "FROM golang:1.22\nWORKDIR /src\nCOPY . .\nRUN go build ./cmd/api\n",
		"compose.yaml":    "services:\n  one:\n    build: .\n  two:\n    build: .\n",
	}
	g := mustLoad(t, newTree(t, files))
	for _, name := range []string{"one", "two"} {
		a := mustApp(t, g, name)
		if a.Narrowed == nil {
			t.Fatalf("%s is not narrowed", name)
		}
		rules := map[string]Rule{}
		for _, in := range a.Inputs() {
			if in.Rule.Kind == "go" || in.Rule.Kind == "go-mod" {
				rules[in.Path] = in.Rule
			}
		}
		want := map[string]string{"cmd/api/main.go": "Go: cmd/api", "lib/lib.go": "Go: cmd/api → lib",
			"lib/deep/d.go": "Go: cmd/api → lib → lib/deep", "go.mod": "Go: go.mod of module ex"}
		for p, text := range want {
			r, ok := rules[p]
			if !ok || r.Text != text || r.Where != "Dockerfile:3" {
				t.Errorf("%s: Inputs() rule of %s is %+v (%v); want %q at Dockerfile:3", name, p, r, ok, text)
			}
			ex := a.Explain(p)
			if !ex.Input || !slices.Contains(ex.Rules, r) {
				t.Errorf("%s: Explain(%s) = %+v; want it to hold %+v", name, p, ex, r)
			}
		}
		if len(rules) != len(want) {
			t.Errorf("%s: closure inputs %v; want those of %v", name, rules, want)
		}
		if ex := a.Explain("other/o.go"); ex.Input {
			t.Errorf("%s: other/o.go is an input: %+v", name, ex)
		}
	}
}
