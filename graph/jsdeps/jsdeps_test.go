package jsdeps

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

func load(t *testing.T, root, dir string) *Workspace {
	t.Helper()
	w, err := Load(context.Background(), root, dir)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func names(w *Workspace) []string {
	var out []string
	for n := range w.Packages {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func inputsOf(t *testing.T, w *Workspace, pkg string) map[string]Input {
	t.Helper()
	ins, err := w.Inputs(pkg)
	if err != nil {
		t.Fatal(err)
	}
	if !sort.SliceIsSorted(ins, func(i, j int) bool { return ins[i].Path < ins[j].Path }) {
		t.Errorf("inputs of %s are not sorted", pkg)
	}
	m := map[string]Input{}
	for _, in := range ins {
		m[in.Path] = in
	}
	return m
}

func TestLoadWorkspaces(t *testing.T) {
	cases := []struct {
		name, root, dir    string
		manager, lockfile  string
		packages           []string
		webDeps, webExtern []string
		config             []string
	}{
		{"npm", "testdata/npm", "apps/web", "npm", "package-lock.json", []string{"@acme/ui", "api", "web"},
			[]string{"@acme/ui"}, []string{"next"}, []string{".npmrc"}},
		{"pnpm", "testdata/pnpm", "apps/web/src", "pnpm", "pnpm-lock.yaml", []string{"@acme/ui", "api", "web"},
			[]string{"@acme/ui"}, []string{"next"}, []string{"pnpm-workspace.yaml"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := load(t, tc.root, tc.dir)
			if w.Root != "." || w.Manager != tc.manager || w.Lockfile != tc.lockfile {
				t.Errorf("got root %q manager %q lockfile %q", w.Root, w.Manager, w.Lockfile)
			}
			if got := names(w); !reflect.DeepEqual(got, tc.packages) {
				t.Errorf("packages: got %q, want %q", got, tc.packages)
			}
			web := w.Packages["web"]
			if !reflect.DeepEqual(web.Deps, tc.webDeps) || !reflect.DeepEqual(web.External, tc.webExtern) {
				t.Errorf("web: got deps %q external %q", web.Deps, web.External)
			}
			if p := w.FindPackage("packages/ui/src/button"); p == nil || p.Name != "@acme/ui" {
				t.Errorf("FindPackage(packages/ui/src/button): got %+v", p)
			}
			if p := w.FindPackage("docs"); p != nil {
				t.Errorf("FindPackage(docs): got %+v, want nil", p)
			}

			web2 := inputsOf(t, w, "web")
			want := map[string][]string{
				"apps/web":     {"web"},
				"packages/ui":  {"web", "@acme/ui"},
				"package.json": {"workspace root package.json"},
				tc.lockfile:    {"lockfile"},
			}
			for _, c := range tc.config {
				want[c] = []string{"package manager configuration"}
			}
			got := map[string][]string{}
			for p, in := range web2 {
				got[p] = in.Why
				if in.Dir != (p == "apps/web" || p == "packages/ui") {
					t.Errorf("%s: got Dir %v", p, in.Dir)
				}
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("inputs of web: got %q\nwant %q", got, want)
			}
			api := inputsOf(t, w, "api")
			if _, ok := api["packages/ui"]; ok {
				t.Error("inputs of api include packages/ui")
			}
			if _, ok := api["apps/api"]; !ok {
				t.Error("inputs of api miss apps/api")
			}
			if _, err := w.Inputs("nope"); err == nil {
				t.Error("Inputs of an unknown package: got no error")
			}
		})
	}
}

// writeTree writes files (path → content) under a new temporary directory.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for p, content := range files {
		abs := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(abs, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestLoadPatternsAndProtocols(t *testing.T) {
	root := writeTree(t, map[string]string{
		"frontend/package.json":                          `{"name":"root","workspaces":{"packages":["apps/**","libs/*"]},"packageManager":"yarn@4.1.0"}`,
		"frontend/yarn.lock":                             "# yarn lockfile v1\n",
		"frontend/.yarnrc.yml":                           "nodeLinker: node-modules\nyarnPath: .yarn/releases/yarn-4.1.0.cjs\nplugins:\n  - path: .yarn/plugins/@yarnpkg/plugin-x.cjs\n    spec: x\n",
		"frontend/.yarn/releases/yarn-4.1.0.cjs":         "// yarn\n",
		"frontend/.yarn/releases/yarn-3.0.0.cjs":         "// an old release nothing names\n",
		"frontend/.yarn/plugins/@yarnpkg/plugin-x.cjs":   "// plugin\n",
		"frontend/apps/shop/package.json":                `{"name":"shop","dependencies":{"lib-a":"workspace:^","lib-b":"file:../../libs/b","left-pad":"1.3.0"}}`,
		"frontend/apps/shop/node_modules/x/package.json": `{"name":"x"}`,
		"frontend/apps/nested/deep/package.json":         `{"name":"deep","devDependencies":{"lib-a":"*"}}`,
		"frontend/libs/a/package.json":                   `{"name":"lib-a","peerDependencies":{"lib-b":"*"}}`,
		"frontend/libs/b/package.json":                   `{"name":"lib-b"}`,
		"frontend/libs/noname/package.json":              `{}`,
		"frontend/tools/package.json":                    `{"name":"tools"}`,
	})
	w := load(t, root, "frontend/apps/shop")
	if w.Root != "frontend" || w.Manager != "yarn" || w.Lockfile != "frontend/yarn.lock" {
		t.Errorf("got root %q manager %q lockfile %q", w.Root, w.Manager, w.Lockfile)
	}
	want := []string{"deep", "frontend/libs/noname", "lib-a", "lib-b", "shop"}
	if got := names(w); !reflect.DeepEqual(got, want) {
		t.Errorf("packages: got %q, want %q", got, want)
	}
	if got, want := w.Packages["shop"].Deps, []string{"lib-a", "lib-b"}; !reflect.DeepEqual(got, want) {
		t.Errorf("shop deps: got %q, want %q", got, want)
	}
	in := inputsOf(t, w, "shop")
	for p, why := range map[string][]string{
		"frontend/libs/b":                              {"shop", "lib-b"},
		"frontend/.yarnrc.yml":                         {"package manager configuration"},
		"frontend/.yarn/releases/yarn-4.1.0.cjs":       {"frontend/.yarnrc.yml:2 yarnPath"},
		"frontend/.yarn/plugins/@yarnpkg/plugin-x.cjs": {"frontend/.yarnrc.yml:4 plugins"},
		"frontend/yarn.lock":                           {"lockfile"},
	} {
		if !reflect.DeepEqual(in[p].Why, why) {
			t.Errorf("%s: got why %q, want %q", p, in[p].Why, why)
		}
	}
	for p := range in {
		if strings.Contains(p, "yarn-3.0.0") || p == "frontend/.yarn/releases" {
			t.Errorf("%s is an input, but .yarnrc.yml names only yarn-4.1.0.cjs", p)
		}
	}
	// yarn.lock is not attributable.
	if pkgs, decided, err := LockfileChanges("yarn", []byte("a"), []byte("b"), w); decided || err != nil || pkgs != nil {
		t.Errorf("yarn.lock: got %q, %v, %v; want undecided", pkgs, decided, err)
	}
}

func TestLoadSinglePackage(t *testing.T) {
	root := writeTree(t, map[string]string{
		"svc/package.json":      `{"name":"svc","dependencies":{"express":"4"}}`,
		"svc/package-lock.json": `{"lockfileVersion":3,"packages":{}}`,
	})
	w := load(t, root, "svc/src")
	if w.Root != "svc" || w.Manager != "npm" || len(w.Packages) != 1 || w.Packages["svc"].Dir != "svc" {
		t.Errorf("got %+v", w)
	}
	if _, err := Load(context.Background(), root, "elsewhere"); err == nil {
		t.Error("no package.json: got no error")
	}
}

func readFixture(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

type lockCase struct {
	name    string
	edit    func(string) string
	want    []string
	decided bool
	hasErr  bool
}

func runLockCases(t *testing.T, kind, fixture string, w *Workspace, cases []lockCase) {
	t.Helper()
	base := readFixture(t, fixture)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			head := tc.edit(base)
			if head == base && tc.name != "unchanged" {
				t.Fatal("the edit changed nothing")
			}
			got, decided, err := LockfileChanges(kind, []byte(base), []byte(head), w)
			if (err != nil) != tc.hasErr {
				t.Fatalf("got err %v, want error %v", err, tc.hasErr)
			}
			if decided != tc.decided {
				t.Fatalf("got decided %v, want %v (pkgs %q)", decided, tc.decided, got)
			}
			if decided && !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func replace(old, new string) func(string) string {
	return func(s string) string { return strings.Replace(s, old, new, 1) }
}

func TestPackageLockChanges(t *testing.T) {
	w := load(t, "testdata/npm", ".")
	runLockCases(t, "package-lock.json", "testdata/npm/package-lock.json", w, []lockCase{
		{"unchanged", func(s string) string { return s }, []string{}, true, false},
		{"hoisted transitive dep of api", replace(`"integrity": "sha512-ms200"`, `"integrity": "sha512-ms200x"`), []string{"api"}, true, false},
		{"nested dep of ui reaches web through the link", replace(`"integrity": "sha512-ms213"`, `"integrity": "sha512-ms214"`), []string{"@acme/ui", "web"}, true, false},
		{"dep of react used by ui and next", replace(`"version": "4.0.0"`, `"version": "4.0.1"`), []string{"@acme/ui", "web"}, true, false},
		{"direct dep of api", replace(`"version": "4.18.2"`, `"version": "4.18.3"`), []string{"api"}, true, false},
		{"workspace manifest entry", replace(`"express": "^4.18.0"`, `"express": "^4.19.0"`), []string{"api"}, true, false},
		{"root manifest entry", replace(`"!packages/legacy"`, `"!packages/old"`), []string{"@acme/ui", "api", "web"}, true, false},
		{"orphan entry of a known name", replace(`"node_modules/web": {`, `"node_modules/gone/node_modules/express": {"version": "1.0.0"}, "node_modules/web": {`), []string{"api"}, true, false},
		{"orphan entry of an unknown name", replace(`"node_modules/web": {`, `"node_modules/orphan": {"version": "1.0.0"}, "node_modules/web": {`), nil, false, false},
		{"lockfile v1", replace(`"lockfileVersion": 3`, `"lockfileVersion": 1`), nil, false, false},
		{"unparsable", func(s string) string { return s[:len(s)/2] }, nil, false, true},
	})
}

func TestPnpmLockChanges(t *testing.T) {
	w := load(t, "testdata/pnpm", ".")
	runLockCases(t, "pnpm", "testdata/pnpm/pnpm-lock.yaml", w, []lockCase{
		{"unchanged", func(s string) string { return s }, []string{}, true, false},
		{"package resolution of a dep of api", replace("sha512-ms200", "sha512-ms200x"), []string{"api"}, true, false},
		{"snapshot of a dep of react", replace("  js-tokens@4.0.0: {}", "  js-tokens@4.0.0:\n    optionalDependencies:\n      ms: 2.0.0"), []string{"@acme/ui", "web"}, true, false},
		{"peer-suffixed package entry", replace("sha512-next1400", "sha512-next1401"), []string{"web"}, true, false},
		{"importer bump", replace("        specifier: ^4.18.0\n        version: 4.18.2", "        specifier: ^4.18.0\n        version: 4.18.3"), []string{"api"}, true, false},
		{"root importer", replace("  .: {}", "  .:\n    devDependencies:\n      ms:\n        specifier: 2.0.0\n        version: 2.0.0"), []string{"@acme/ui", "api", "web"}, true, false},
		{"settings", replace("autoInstallPeers: true", "autoInstallPeers: false"), nil, false, false},
		{"orphan package", replace("  ms@2.0.0: {}", "  ms@2.0.0: {}\n\n  orphan@1.0.0: {}"), nil, false, false},
		{"lockfile version", replace("lockfileVersion: '9.0'", "lockfileVersion: '6.0'"), nil, false, false},
		{"unparsable", replace("importers:", "importers: ["), nil, false, true},
	})
}

func TestPnpmLockV6(t *testing.T) {
	w := load(t, "testdata/pnpm", ".")
	const base = `lockfileVersion: '6.0'

importers:

  apps/api:
    dependencies:
      express:
        specifier: ^4.18.0
        version: 4.18.2

  apps/web:
    dependencies:
      '@acme/ui':
        specifier: workspace:*
        version: link:../../packages/ui

  packages/ui:
    dependencies:
      react:
        specifier: ^18.2.0
        version: 18.2.0

packages:

  /express@4.18.2:
    resolution: {integrity: sha512-express}
    dependencies:
      ms: 2.0.0
    dev: false

  /ms@2.0.0:
    resolution: {integrity: sha512-ms}
    dev: false

  /react@18.2.0:
    resolution: {integrity: sha512-react}
    dev: false
`
	head := strings.Replace(base, "sha512-react", "sha512-react2", 1)
	got, decided, err := LockfileChanges("pnpm-lock.yaml", []byte(base), []byte(head), w)
	if err != nil || !decided || !reflect.DeepEqual(got, []string{"@acme/ui", "web"}) {
		t.Errorf("got %q, %v, %v; want [@acme/ui web]", got, decided, err)
	}
	head = strings.Replace(base, "sha512-ms", "sha512-ms2", 1)
	got, decided, err = LockfileChanges("pnpm", []byte(base), []byte(head), w)
	if err != nil || !decided || !reflect.DeepEqual(got, []string{"api"}) {
		t.Errorf("got %q, %v, %v; want [api]", got, decided, err)
	}
}

func TestLoadReportsBrokenManifest(t *testing.T) {
	root := writeTree(t, map[string]string{
		"package.json":          `{"workspaces":["apps/*"]}`,
		"apps/web/package.json": `{"name": "web",`,
	})
	_, err := Load(context.Background(), root, ".")
	if err == nil || !strings.Contains(err.Error(), "parsing apps/web/package.json") {
		t.Errorf("got %v, want an error naming apps/web/package.json", err)
	}
}

// A change to a root dependency (hoisted for every package) decides for every package, even when
// the same lockfile change also holds an entry nothing can be attributed to. The two used to race
// in map order, flipping the reason between runs.
func TestPackageLockRootDependencyWinsOverAnOrphan(t *testing.T) {
	w := load(t, "testdata/npm", ".")
	base := readFixture(t, "testdata/npm/package-lock.json")
	base = strings.Replace(base, `"": {`, `"": {"devDependencies": {"prettier": "^3.0.0"},`, 1)
	base = strings.Replace(base, `"node_modules/web": {`, `"node_modules/prettier": {"version": "3.0.0"}, "node_modules/orphan": {"version": "1.0.0"}, "node_modules/web": {`, 1)
	head := strings.Replace(base, `"node_modules/prettier": {"version": "3.0.0"}, "node_modules/orphan": {"version": "1.0.0"}`, `"node_modules/prettier": {"version": "3.0.1"}, "node_modules/orphan": {"version": "1.0.1"}`, 1)
	if !strings.Contains(base, "prettier") || head == base {
		t.Fatal("the fixture edits did not apply")
	}
	for i := 0; i < 20; i++ {
		got, decided, err := LockfileChanges("package-lock.json", []byte(base), []byte(head), w)
		if err != nil || !decided || !reflect.DeepEqual(got, []string{"@acme/ui", "api", "web"}) {
			t.Fatalf("run %d: got %q, decided %v, err %v; want every package, decided", i, got, decided, err)
		}
	}
}

// The root build configuration a narrowed build still reads, each path with the reference that
// names it: workspace tools' files, patches named by pnpm's patchedDependencies (package.json and
// pnpm-workspace.yaml) and patch-package, and the tsconfig extends/references chains of the
// closure's packages.
func TestInputsKeepRootBuildConfiguration(t *testing.T) {
	root := writeTree(t, map[string]string{
		"package.json": `{
  "name": "root",
  "private": true,
  "scripts": {"postinstall": "patch-package --patch-dir tools/patches"},
  "pnpm": {"patchedDependencies": {"left-pad@1.3.0": "patches/left-pad.patch"}}
}
`,
		"pnpm-workspace.yaml":              "packages:\n  - apps/*\n  - packages/*\npatchedDependencies:\n  # why\n  next@14.0.0: patches/next@14.0.0.patch\n",
		"pnpm-lock.yaml":                   "lockfileVersion: '9.0'\n",
		"turbo.json":                       `{"tasks": {"build": {}}}`,
		"nx.json":                          `{}`,
		"patches/next@14.0.0.patch":        "diff\n",
		"patches/left-pad.patch":           "diff\n",
		"patches/unnamed.patch":            "diff\n",
		"tools/patches/react+18.0.0.patch": "diff\n",
		"tsconfig.base.json":               `{"compilerOptions": {"strict": true}}`,
		"tsconfig.json":                    `{"files": [], "references": [{"path": "apps/web"}, {"path": "apps/api"}]}`,
		"apps/web/package.json":            `{"name": "web", "dependencies": {"@acme/ui": "workspace:*"}, "devDependencies": {"@acme/tsconfig": "workspace:*"}}`,
		"apps/web/tsconfig.json":           "{\n  // comments and trailing commas, as tsc allows\n  \"extends\": [\"@acme/tsconfig/next.json\", \"../../tsconfig.base.json\",],\n  \"references\": [{\"path\": \"../../tools/codegen\"}],\n}\n",
		"apps/web/turbo.json":              `{"extends": ["//"]}`,
		"apps/api/package.json":            `{"name": "api"}`,
		"apps/api/tsconfig.json":           `{"extends": "../../tsconfig.base.json"}`,
		"packages/ui/package.json":         `{"name": "@acme/ui"}`,
		"packages/ui/tsconfig.json":        `{"extends": "../../tsconfig.strict"}`,
		"tsconfig.strict.json":             `{"extends": "./tsconfig.base.json"}`,
		"packages/tsconfig/package.json":   `{"name": "@acme/tsconfig"}`,
		"packages/tsconfig/next.json":      `{"extends": "./base.json"}`,
		"packages/tsconfig/base.json":      `{}`,
		"tools/codegen/tsconfig.json":      `{}`,
		"tools/codegen/gen.ts":             "export {}\n",
	})
	w := load(t, root, "apps/web")
	in := inputsOf(t, w, "web")
	want := map[string]string{
		"turbo.json":                "Turborepo's root configuration (turbo prune and turbo run read it)",
		"nx.json":                   "Nx workspace configuration",
		"pnpm-workspace.yaml":       "package manager configuration",
		"patches/next@14.0.0.patch": `pnpm-workspace.yaml:6 patchedDependencies["next@14.0.0"]`,
		"patches/left-pad.patch":    `package.json:5 pnpm.patchedDependencies["left-pad@1.3.0"]`,
		"tools/patches":             "package.json:4 scripts.postinstall: patch-package --patch-dir tools/patches",
		"tsconfig.base.json":        "apps/web/tsconfig.json:3 extends ../../tsconfig.base.json",
		"tsconfig.strict.json":      "packages/ui/tsconfig.json:1 extends ../../tsconfig.strict",
		"tools/codegen":             "apps/web/tsconfig.json:4 references ../../tools/codegen",
		"apps/web":                  "web",
		"packages/tsconfig":         "web → @acme/tsconfig",
	}
	for p, why := range want {
		got, ok := in[p]
		if !ok {
			t.Errorf("%s is not an input of web; want it (%s)", p, why)
			continue
		}
		if g := strings.Join(got.Why, " → "); g != why {
			t.Errorf("%s: got why %q, want %q", p, g, why)
		}
	}
	for _, p := range []string{"patches", "patches/unnamed.patch", "tsconfig.json", "apps/api", "packages/tsconfig/base.json"} {
		if _, ok := in[p]; ok {
			t.Errorf("%s is an input of web (%q); nothing web builds reads it", p, in[p].Why)
		}
	}
	// packages/tsconfig/base.json is inside a closure package: its directory already covers it.
	api := inputsOf(t, w, "api")
	if _, ok := api["tsconfig.strict.json"]; ok {
		t.Error("tsconfig.strict.json is an input of api; only @acme/ui extends it")
	}
	if got := strings.Join(api["tsconfig.base.json"].Why, ""); got != "apps/api/tsconfig.json:1 extends ../../tsconfig.base.json" {
		t.Errorf("api: tsconfig.base.json: got why %q", got)
	}
}

func TestRootIsTheWorkspaceLoadReads(t *testing.T) {
	for _, c := range []struct{ root, dir, want string }{
		{"testdata/npm", "apps/web", "."},
		{"testdata/pnpm", "apps/web/src", "."},
	} {
		got, err := Root(context.Background(), c.root, c.dir)
		if err != nil || got != c.want {
			t.Errorf("Root(%s, %s): got %q, %v; want %q", c.root, c.dir, got, err, c.want)
		}
		if w := load(t, c.root, c.dir); w.Root != got {
			t.Errorf("Load(%s, %s).Root = %q, Root = %q", c.root, c.dir, w.Root, got)
		}
	}
	if _, err := Root(context.Background(), t.TempDir(), "x"); err == nil {
		t.Error("Root without a package.json: got no error")
	}
}
