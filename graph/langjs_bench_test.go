package graph_test

import (
	"context"
	"testing"

	"github.com/monoctx/monoctx/bench/benchgen"
	"github.com/monoctx/monoctx/graph"
)

// npmBenchRepo is a generated npm workspace (bench/benchgen) of MONOCTX_BENCH_JS_PACKAGES packages
// (default 2000), MONOCTX_BENCH_JS_APPS of them apps (default 200) with a whole-context Dockerfile
// each, declared in monoctx.yaml with the root context. Each app's closure is a few dozen packages.
func npmBenchRepo(b *testing.B) (string, int) {
	b.Helper()
	pkgs, apps := envInt("MONOCTX_BENCH_JS_PACKAGES", 2000), envInt("MONOCTX_BENCH_JS_APPS", 200)
	dir := b.TempDir()
	if err := (benchgen.NPMWorkspace{Packages: pkgs, Apps: apps}).Write(dir); err != nil {
		b.Fatal(err)
	}
	return dir, apps
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
