package golang

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"go/build"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
)

// listPackage is the part of `go list -json` output the oracle reads.
type listPackage struct {
	ImportPath string
	Dir        string
	Standard   bool
	GoFiles, CgoFiles, CFiles, CXXFiles, MFiles, HFiles, FFiles, SFiles,
	SwigFiles, SwigCXXFiles, SysoFiles, EmbedFiles, IgnoredGoFiles []string
}

func (p listPackage) files() []string {
	var out []string
	for _, l := range [][]string{p.GoFiles, p.CgoFiles, p.CFiles, p.CXXFiles, p.MFiles, p.HFiles,
		p.FFiles, p.SFiles, p.SwigFiles, p.SwigCXXFiles, p.SysoFiles, p.EmbedFiles, p.IgnoredGoFiles} {
		out = append(out, l...)
	}
	return out
}

// goList runs `go list -deps -json` offline in dir and returns the packages
// it reports outside the standard library.
func goList(t testing.TB, dir string, env []string, args ...string) []listPackage {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go command not found")
	}
	cmd := exec.Command("go", append([]string{"list", "-deps", "-json"}, args...)...)
	cmd.Dir = dir
	// GOWORK is reset so a caller's GOWORK=off cannot hide a fixture's go.work.
	cmd.Env = append(os.Environ(), append([]string{"GOPROXY=off", "GOTOOLCHAIN=local", "GOFLAGS=", "GOWORK="}, env...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list %v: %v\n%s", args, err, stderr.String())
	}
	var pkgs []listPackage
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listPackage
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("decoding go list output: %v", err)
		}
		if !p.Standard {
			pkgs = append(pkgs, p)
		}
	}
	return pkgs
}

// listedFiles maps the repository-relative files go list reports to their
// package directory.
func listedFiles(t testing.TB, root string, pkgs []listPackage) map[string]string {
	t.Helper()
	abs, err := filepath.Abs(root)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, p := range pkgs {
		rel, err := filepath.Rel(abs, p.Dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range p.files() {
			m[path.Join(filepath.ToSlash(rel), f)] = filepath.ToSlash(rel)
		}
	}
	return m
}

func filesOf(c *Closure) map[string][]string {
	m := map[string][]string{}
	for _, in := range c.Files {
		m[in.Path] = in.Why
	}
	return m
}

func isModuleFile(p string) bool {
	switch path.Base(p) {
	case "go.mod", "go.sum", "go.work", "go.work.sum", "modules.txt":
		return true
	}
	return false
}

// TestAnalyzeIsASupersetOfGoList is the oracle test: for every platform,
// every file `go list -deps` reports for an in-repository package is in the
// closure; for the host platform, every extra file is a module file or a Go
// file whose build constraints exclude the host (or a package reached only
// through such files); and across platforms the Go and embedded files are
// exactly what go list reports.
func TestAnalyzeIsASupersetOfGoList(t *testing.T) {
	cases := []struct {
		name, root, pkg string
		env             []string
	}{
		{"vendored single module cmd/a", "testdata/mono", "cmd/a", []string{"GOFLAGS=-mod=vendor", "GOWORK=off"}},
		{"vendored single module cmd/b", "testdata/mono", "cmd/b", []string{"GOFLAGS=-mod=vendor", "GOWORK=off"}},
		{"workspace with local replace", "testdata/work", "svc/cmd/api", nil},
	}
	platforms := []string{"linux", "windows", "darwin"}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Analyze(context.Background(), tc.root, tc.pkg)
			if err != nil {
				t.Fatal(err)
			}
			ours := filesOf(c)
			union := map[string]bool{}
			for _, goos := range platforms {
				listed := listedFiles(t, tc.root, goList(t, tc.root, append(tc.env, "GOOS="+goos, "GOARCH=amd64"), "./"+tc.pkg))
				for f := range listed {
					union[f] = true
					if _, ok := ours[f]; !ok {
						t.Errorf("GOOS=%s: go list reports %s, missing from the closure", goos, f)
					}
				}
				if goos != runtime.GOOS || runtime.GOARCH != "amd64" {
					continue
				}
				listedDirs := map[string]bool{}
				for _, d := range listed {
					listedDirs[d] = true
				}
				for f := range ours {
					if _, ok := listed[f]; ok || isModuleFile(f) {
						continue
					}
					dir := path.Dir(f)
					if !listedDirs[dir] {
						continue // checked against the union below
					}
					ok, err := build.Default.MatchFile(filepath.Join(tc.root, dir), path.Base(f))
					if err != nil {
						t.Fatal(err)
					}
					if ok {
						t.Errorf("extra file %s is not excluded by build constraints on %s/%s", f, runtime.GOOS, runtime.GOARCH)
					}
				}
			}
			for f := range ours {
				if !union[f] && !isModuleFile(f) {
					t.Errorf("extra file %s is not reported by go list on any of %v", f, platforms)
				}
			}
		})
	}
}

func TestAnalyzeVendoredMonorepo(t *testing.T) {
	a, err := NewAnalyzer("testdata/mono")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ca, err := a.Analyze(ctx, "cmd/a")
	if err != nil {
		t.Fatal(err)
	}
	cb, err := a.Analyze(ctx, "./cmd/b/")
	if err != nil {
		t.Fatal(err)
	}
	fa, fb := filesOf(ca), filesOf(cb)

	mustHave := map[string][]string{
		"cmd/a/main.go":                      {"cmd/a"},
		"internal/auth/auth.go":              {"cmd/a", "internal/auth"},
		"internal/auth/auth_windows.go":      {"cmd/a", "internal/auth"},
		"internal/auth/cpu_amd64.s":          {"cmd/a", "internal/auth"},
		"internal/auth/templates/a.tmpl":     {"cmd/a", "internal/auth"},
		"internal/auth/static/site.css":      {"cmd/a", "internal/auth"},
		"internal/auth/assets/.keep":         {"cmd/a", "internal/auth"},
		"internal/winonly/winonly.go":        {"cmd/a", "internal/auth", "internal/winonly"},
		"pkg/token/token.go":                 {"cmd/a", "pkg/token"},
		"vendor/example.com/used/sub/sub.go": {"cmd/a", "vendor/example.com/used", "vendor/example.com/used/sub"},
		"vendor/modules.txt":                 {"vendor/modules.txt (vendored build)"},
		"go.mod":                             {"go.mod of module example.com/mono"},
		"go.sum":                             {"go.sum of module example.com/mono"},
	}
	for p, why := range mustHave {
		got, ok := fa[p]
		if !ok {
			t.Errorf("cmd/a: %s missing", p)
			continue
		}
		if !reflect.DeepEqual(got, why) {
			t.Errorf("cmd/a: why %s: got %q, want %q", p, got, why)
		}
	}
	for _, p := range []string{
		"cmd/a/main_test.go", "internal/testonly/testonly.go", "internal/auth/testdata/case.txt",
		"internal/auth/templates/.hidden", "internal/auth/templates/_skip", "internal/auth/static/readme.txt",
		"vendor/example.com/bonly/bonly.go", "cmd/b/main.go",
	} {
		if _, ok := fa[p]; ok {
			t.Errorf("cmd/a: %s must not be in the closure", p)
		}
	}
	// A package used only by cmd/a is not in cmd/b's closure.
	for _, p := range []string{"internal/auth/auth.go", "vendor/example.com/used/used.go"} {
		if _, ok := fb[p]; ok {
			t.Errorf("cmd/b: %s must not be in the closure", p)
		}
	}
	for _, p := range []string{"cmd/b/main.go", "pkg/token/token.go", "vendor/example.com/bonly/bonly.go"} {
		if _, ok := fb[p]; !ok {
			t.Errorf("cmd/b: %s missing", p)
		}
	}
	if want := []string{"example.com/used"}; !reflect.DeepEqual(ca.ExternalModules, want) {
		t.Errorf("cmd/a external modules: got %q, want %q", ca.ExternalModules, want)
	}
	if want := []string{"example.com/bonly"}; !reflect.DeepEqual(cb.ExternalModules, want) {
		t.Errorf("cmd/b external modules: got %q, want %q", cb.ExternalModules, want)
	}
	if !ca.ExternalComplete {
		t.Error("vendored closure: ExternalComplete is false")
	}
	if ca.Module != "example.com/mono" || ca.ModuleDir != "." || ca.MainDir != "cmd/a" {
		t.Errorf("got module %q dir %q main %q", ca.Module, ca.ModuleDir, ca.MainDir)
	}
	wantPkgs := []string{"cmd/a", "internal/auth", "internal/linuxonly", "internal/winonly", "pkg/token",
		"vendor/example.com/used", "vendor/example.com/used/sub"}
	if !reflect.DeepEqual(ca.Packages, wantPkgs) {
		t.Errorf("packages: got %q, want %q", ca.Packages, wantPkgs)
	}
	if !slices.IsSortedFunc(ca.Files, func(x, y Input) int { return strings.Compare(x.Path, y.Path) }) {
		t.Error("files are not sorted")
	}
	again, err := a.Analyze(ctx, "cmd/a")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(again, ca) {
		t.Error("a second Analyze of cmd/a differs from the first")
	}
}

func TestGoSumBumpOfModuleUsedOnlyByB(t *testing.T) {
	oldMod, err := os.ReadFile("testdata/mono/go.mod")
	if err != nil {
		t.Fatal(err)
	}
	oldSum, err := os.ReadFile("testdata/mono/go.sum")
	if err != nil {
		t.Fatal(err)
	}
	newMod := bytes.ReplaceAll(oldMod, []byte("example.com/bonly v1.0.0"), []byte("example.com/bonly v1.0.1"))
	newSum := bytes.ReplaceAll(oldSum, []byte("example.com/bonly v1.0.0"), []byte("example.com/bonly v1.0.1"))
	changed, decided, err := ChangedModules(oldMod, newMod, oldSum, newSum)
	if err != nil || !decided {
		t.Fatalf("got decided %v, err %v", decided, err)
	}
	if want := []string{"example.com/bonly"}; !reflect.DeepEqual(changed, want) {
		t.Fatalf("got %q, want %q", changed, want)
	}
	a, err := NewAnalyzer("testdata/mono")
	if err != nil {
		t.Fatal(err)
	}
	for pkg, want := range map[string]bool{"cmd/a": false, "cmd/b": true} {
		c, err := a.Analyze(context.Background(), pkg)
		if err != nil {
			t.Fatal(err)
		}
		if got := slices.Contains(c.ExternalModules, changed[0]); got != want {
			t.Errorf("%s uses %s: got %v, want %v", pkg, changed[0], got, want)
		}
	}
}

func TestChangedModules(t *testing.T) {
	const base = "module example.com/m\n\ngo 1.22\n\nrequire (\n\texample.com/x v1.0.0\n\texample.com/y v1.0.0\n)\n"
	const sum = "example.com/x v1.0.0 h1:AAA=\nexample.com/x v1.0.0/go.mod h1:BBB=\nexample.com/y v1.0.0 h1:CCC=\n"
	cases := []struct {
		name            string
		oldMod, newMod  string
		oldSum, newSum  string
		want            []string
		decided, hasErr bool
	}{
		{"unchanged", base, base, sum, sum, []string{}, true, false},
		{"require bump", base, strings.Replace(base, "x v1.0.0", "x v1.1.0", 1), sum, sum, []string{"example.com/x"}, true, false},
		{"added require", base, base + "require example.com/z v0.1.0\n", sum, sum, []string{"example.com/z"}, true, false},
		{"replace added", base, base + "replace example.com/y => ../y\n", sum, sum, []string{"example.com/y"}, true, false},
		{"exclude added", base, base + "exclude example.com/x v1.2.0\n", sum, sum, []string{"example.com/x"}, true, false},
		{"go.sum line removed", base, base, sum, strings.Replace(sum, "example.com/y v1.0.0 h1:CCC=\n", "", 1), []string{"example.com/y"}, true, false},
		{"go.sum missing on one side", base, base, sum, "", []string{"example.com/x", "example.com/y"}, true, false},
		{"go directive", base, strings.Replace(base, "go 1.22", "go 1.23", 1), sum, sum, nil, false, false},
		{"toolchain added", base, base + "toolchain go1.23.1\n", sum, sum, nil, false, false},
		{"godebug added", base, base + "godebug panicnil=1\n", sum, sum, nil, false, false},
		{"module renamed", base, strings.Replace(base, "example.com/m", "example.com/n", 1), sum, sum, nil, false, false},
		{"unparsable go.mod", base, "module (\n", sum, sum, nil, false, true},
		{"unparsable go.sum", base, base, sum, "garbage\n", nil, false, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, decided, err := ChangedModules([]byte(tc.oldMod), []byte(tc.newMod), []byte(tc.oldSum), []byte(tc.newSum))
			if (err != nil) != tc.hasErr {
				t.Fatalf("got err %v, want error %v", err, tc.hasErr)
			}
			if decided != tc.decided {
				t.Fatalf("got decided %v, want %v", decided, tc.decided)
			}
			if tc.decided && !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
	if _, decided, err := ChangedModules(nil, []byte(base), nil, nil); decided || err != nil {
		t.Errorf("new go.mod: got decided %v, err %v; want undecided", decided, err)
	}
}

func TestAnalyzeWorkspaceWithLocalReplace(t *testing.T) {
	c, err := Analyze(context.Background(), "testdata/work", "svc/cmd/api")
	if err != nil {
		t.Fatal(err)
	}
	got := filesOf(c)
	want := map[string][]string{
		"svc/cmd/api/main.go": {"svc/cmd/api"},
		"lib/greet/greet.go":  {"svc/cmd/api", "lib/greet"},
		"shared/util/util.go": {"svc/cmd/api", "shared/util"},
		"go.work":             {"go.work"},
		"svc/go.mod":          {"go.mod of module example.com/svc"},
		"lib/go.mod":          {"go.mod of module example.com/lib"},
		"shared/go.mod":       {"go.mod of module example.com/shared (replacement)"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
	if c.Module != "example.com/svc" || c.ModuleDir != "svc" {
		t.Errorf("got module %q in %q", c.Module, c.ModuleDir)
	}
	// GOWORK=off: lib is neither required nor replaced, so it is unknown.
	c, err = Analyze(context.Background(), "testdata/work", "svc/cmd/api", WithGoWork("off"))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := filesOf(c)["lib/greet/greet.go"]; ok {
		t.Error("GOWORK=off: lib/greet is in the closure")
	}
}

func TestAnalyzeWithoutVendoring(t *testing.T) {
	c, err := Analyze(context.Background(), "testdata/mono", "cmd/a", WithVendor(VendorOff))
	if err != nil {
		t.Fatal(err)
	}
	for p := range filesOf(c) {
		if strings.HasPrefix(p, "vendor/") {
			t.Errorf("-mod=mod: %s in the closure", p)
		}
	}
	if want := []string{"example.com/used"}; !reflect.DeepEqual(c.ExternalModules, want) {
		t.Errorf("got %q, want %q", c.ExternalModules, want)
	}
	if c.ExternalComplete {
		t.Error("unvendored closure with external imports: ExternalComplete is true")
	}
}

func TestAnalyzeWithTests(t *testing.T) {
	c, err := Analyze(context.Background(), "testdata/mono", "internal/auth", WithTests(true))
	if err != nil {
		t.Fatal(err)
	}
	f := filesOf(c)
	for _, p := range []string{"internal/auth/testdata/case.txt", "internal/auth/auth.go"} {
		if _, ok := f[p]; !ok {
			t.Errorf("%s missing", p)
		}
	}
	c, err = Analyze(context.Background(), "testdata/mono", "cmd/a", WithTests(true))
	if err != nil {
		t.Fatal(err)
	}
	f = filesOf(c)
	for _, p := range []string{"cmd/a/main_test.go", "internal/testonly/testonly.go"} {
		if _, ok := f[p]; !ok {
			t.Errorf("%s missing", p)
		}
	}
}

// writeTree writes files (path → content) under a new temporary directory.
func writeTree(t testing.TB, files map[string]string) string {
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

func TestAnalyzeReportsParseErrorPosition(t *testing.T) {
	root := writeTree(t, map[string]string{
		"go.mod":     "module example.com/r\n\ngo 1.22\n",
		"cmd/x/x.go": "package main\n\nimport \"example.com/r/lib\"\n\nfunc main() { lib.F() }\n",
		"lib/lib.go": "package lib\n\nimport (\n\t\"fmt\"\n\tbroken\n)\n",
	})
	_, err := Analyze(context.Background(), root, "cmd/x")
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("got %v, want a *ParseError", err)
	}
	if want := "lib/lib.go:5:"; !strings.HasPrefix(pe.Error(), want) {
		t.Errorf("got %q, want prefix %q", pe.Error(), want)
	}
}

func TestNestedModuleIsNotPartOfParent(t *testing.T) {
	root := writeTree(t, map[string]string{
		"go.mod":           "module example.com/r\n\ngo 1.22\n\nrequire example.com/r/tools v1.0.0\n",
		"cmd/x/x.go":       "package main\n\nimport \"example.com/r/tools/gen\"\n\nfunc main() { gen.F() }\n",
		"tools/go.mod":     "module example.com/r/tools\n\ngo 1.22\n",
		"tools/gen/gen.go": "package gen\n\nfunc F() {}\n",
	})
	c, err := Analyze(context.Background(), root, "cmd/x")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := filesOf(c)["tools/gen/gen.go"]; ok {
		t.Error("a package of the nested module is in the parent's closure")
	}
	if want := []string{"example.com/r/tools"}; !reflect.DeepEqual(c.ExternalModules, want) {
		t.Errorf("got %q, want %q", c.ExternalModules, want)
	}
	// With a local replace the nested module's package is an input.
	root = writeTree(t, map[string]string{
		"go.mod":           "module example.com/r\n\ngo 1.22\n\nrequire example.com/r/tools v1.0.0\n\nreplace example.com/r/tools => ./tools\n",
		"cmd/x/x.go":       "package main\n\nimport \"example.com/r/tools/gen\"\n\nfunc main() { gen.F() }\n",
		"tools/go.mod":     "module example.com/r/tools\n\ngo 1.22\n",
		"tools/gen/gen.go": "package gen\n\nfunc F() {}\n",
	})
	c, err = Analyze(context.Background(), root, "cmd/x")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := filesOf(c)["tools/gen/gen.go"]; !ok {
		t.Error("a package of a locally replaced nested module is missing")
	}
}

func TestParseEmbedArgs(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{" a b\tc", []string{"a", "b", "c"}},
		{` "with space.txt" ` + "`raw*`" + ` all:x`, []string{"with space.txt", "raw*", "all:x"}},
		{` "esc\"q"`, []string{`esc"q`}},
	}
	for _, tc := range cases {
		got, err := parseEmbedArgs(tc.in)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("parseEmbedArgs(%q): got %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	if _, err := parseEmbedArgs(` "open`); err == nil {
		t.Error("unterminated string: got no error")
	}
}

func TestAnalyzerIsSafeForConcurrentUse(t *testing.T) {
	a, err := NewAnalyzer("testdata/mono")
	if err != nil {
		t.Fatal(err)
	}
	want, err := Analyze(context.Background(), "testdata/mono", "cmd/a")
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 8)
	results := make(chan *Closure, 8)
	for range 8 {
		go func() {
			c, err := a.Analyze(context.Background(), "cmd/a")
			errs <- err
			results <- c
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
		if got := <-results; !reflect.DeepEqual(got, want) {
			t.Error("a concurrent Analyze differs from a sequential one")
		}
	}
}

// Every package of a module shares one load of its go.mod, go.sum and vendor/modules.txt, however
// many apps analyse it concurrently.
func TestAnalyzerLoadsEachModuleOnce(t *testing.T) {
	a, err := NewAnalyzer("testdata/mono")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := a.Analyze(context.Background(), []string{"cmd/a", "cmd/b"}[i%2]); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n := a.envLoads.Load(); n != 1 {
		t.Errorf("got %d module loads for one module, want 1", n)
	}
}

func TestAnalyzeHonoursCancellation(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Analyze(ctx, "testdata/mono", "cmd/a"); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
}

func TestChangedWorkModules(t *testing.T) {
	const base = "go 1.22\n\nuse (\n\t./lib\n\t./svc\n)\n"
	const sum = "example.com/x v1.0.0 h1:AAA=\n"
	cases := []struct {
		name            string
		oldW, newW      string
		oldSum, newSum  string
		want            []string
		decided, hasErr bool
	}{
		{"unchanged", base, base, sum, sum, []string{}, true, false},
		{"replace added", base, base + "replace example.com/y => ./y\n", sum, sum, []string{"example.com/y"}, true, false},
		{"go.work.sum bump", base, base, sum, "example.com/x v1.0.1 h1:BBB=\n", []string{"example.com/x"}, true, false},
		{"use added", base, base + "use ./tools\n", sum, sum, nil, false, false},
		{"go directive", base, strings.Replace(base, "go 1.22", "go 1.23", 1), sum, sum, nil, false, false},
		{"unparsable", base, "use (\n", sum, sum, nil, false, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, decided, err := ChangedWorkModules([]byte(tc.oldW), []byte(tc.newW), []byte(tc.oldSum), []byte(tc.newSum))
			if (err != nil) != tc.hasErr || decided != tc.decided {
				t.Fatalf("got decided %v, err %v; want decided %v, error %v", decided, err, tc.decided, tc.hasErr)
			}
			if tc.decided && !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// Apps and the artifacts they COPY share main packages: a package's closure is computed once per
// analyzer and shared, also when asked for concurrently and by an equivalent path.
func TestAnalyzerSharesEachClosure(t *testing.T) {
	a, err := NewAnalyzer("testdata/mono")
	if err != nil {
		t.Fatal(err)
	}
	got := make([]*Closure, 8)
	var wg sync.WaitGroup
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := a.Analyze(context.Background(), []string{"cmd/a", "./cmd/a/"}[i%2])
			if err != nil {
				t.Error(err)
			}
			got[i] = c
		}()
	}
	wg.Wait()
	for i, c := range got {
		if c == nil || c != got[0] {
			t.Fatalf("Analyze %d returned closure %p, want the shared %p", i, c, got[0])
		}
	}
	fresh, err := Analyze(context.Background(), "testdata/mono", "cmd/a")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fresh, got[0]) {
		t.Error("the shared closure differs from a fresh analyzer's")
	}
}

// A closure cancelled half-way is not kept: the next Analyze of the directory succeeds.
func TestAnalyzerForgetsACancelledClosure(t *testing.T) {
	a, err := NewAnalyzer("testdata/mono")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := a.Analyze(ctx, "cmd/a"); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	c, err := a.Analyze(context.Background(), "cmd/a")
	if err != nil || c == nil || len(c.Files) == 0 {
		t.Fatalf("after a cancelled Analyze: %v, %v", c, err)
	}
}
