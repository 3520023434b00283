package graph_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/monoctx/monoctx/graph"
)

// npmBenchRepo is a generated npm workspace of MONOCTX_BENCH_JS_PACKAGES packages (default 2000),
// MONOCTX_BENCH_JS_APPS of them apps (default 200) with a whole-context Dockerfile each, declared in
// monoctx.yaml with the root context. Every package depends on up to three earlier packages, so
// each app's closure is a few dozen packages of the workspace.
func npmBenchRepo(b *testing.B) (string, int) {
	b.Helper()
	pkgs, apps := envInt("MONOCTX_BENCH_JS_PACKAGES", 2000), envInt("MONOCTX_BENCH_JS_APPS", 200)
	dir := b.TempDir()
	var npmBenchErr error
	{
		write := func(p, s string) {
			if npmBenchErr != nil {
				return
			}
			full := filepath.Join(dir, filepath.FromSlash(p))
			if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
				npmBenchErr = err
				return
			}
			npmBenchErr = os.WriteFile(full, []byte(s), 0o644)
		}
		write("package.json", `{"name": "bench", "private": true, "workspaces": ["apps/*", "packages/*"]}`+"\n")
		var cfg strings.Builder
		cfg.WriteString("apps:\n")
		libs := pkgs - apps
		for i := 0; i < libs; i++ {
			var deps []string
			for _, d := range []int{i / 2, i / 3, i / 5} {
				if d >= 0 && d < i {
					deps = append(deps, fmt.Sprintf(`"@bench/p%04d": "*"`, d))
				}
			}
			deps = append(dedup(deps), `"left-pad": "1.3.0"`)
			write(fmt.Sprintf("packages/p%04d/package.json", i), fmt.Sprintf(`{"name": "@bench/p%04d", "dependencies": {%s}}`+"\n", i, strings.Join(deps, ", ")))
			write(fmt.Sprintf("packages/p%04d/index.js", i), fmt.Sprintf("module.exports = %d\n", i))
		}
		for a := 0; a < apps; a++ {
			name := fmt.Sprintf("app%03d", a)
			write("apps/"+name+"/package.json", fmt.Sprintf(`{"name": "%s", "dependencies": {"@bench/p%04d": "*", "@bench/p%04d": "*"}}`+"\n", name, (a*7)%libs, (a*13+5)%libs))
			write("apps/"+name+"/index.js", "require('@bench/p0000')\n")
			write("apps/"+name+"/Dockerfile", "FROM node:20\nWORKDIR /src\nCOPY . .\nRUN npm ci -w "+name+" && npm run build -w "+name+"\n")
			fmt.Fprintf(&cfg, "  %s: {dockerfile: apps/%s/Dockerfile, context: .}\n", name, name)
		}
		write("monoctx.yaml", cfg.String())
	}
	if npmBenchErr != nil {
		b.Fatal(npmBenchErr)
	}
	return dir, apps
}

func dedup(s []string) []string {
	seen := map[string]bool{}
	out := s[:0]
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// BenchmarkLoadNPMWorkspace is discovery plus input sets of the generated workspace: with one
// workspace load per workspace root, it costs about one read of every package.json, not one per app.
func BenchmarkLoadNPMWorkspace(b *testing.B) {
	dir, apps := npmBenchRepo(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		g, err := graph.Load(context.Background(), dir)
		if err != nil {
			b.Fatal(err)
		}
		narrowed := 0
		for _, a := range g.Apps {
			if a.Narrowed != nil {
				narrowed++
			}
		}
		if len(g.Apps) != apps || narrowed != apps {
			b.Fatalf("got %d apps, %d narrowed; want %d narrowed apps", len(g.Apps), narrowed, apps)
		}
	}
}
