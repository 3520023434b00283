package jsdeps

import (
	"context"
	"reflect"
	"testing"

	"github.com/monoctx/monoctx/graph/cache"
)

// everything is what a loaded workspace answers: its packages and every package's inputs.
func everything(t *testing.T, root, dir string, opts ...Option) (map[string]*Package, map[string][]Input) {
	t.Helper()
	w, err := Load(context.Background(), root, dir, opts...)
	if err != nil {
		t.Fatal(err)
	}
	ins := map[string][]Input{}
	for name := range w.Packages {
		if ins[name], err = w.Inputs(name); err != nil {
			t.Fatal(err)
		}
	}
	return w.Packages, ins
}

// TestCacheGivesTheWorkspaceOfAParse: package.json, pnpm-workspace.yaml and tsconfig files through
// the cache, cold and warm, give the workspaces of a load without it; the warm load parses nothing.
func TestCacheGivesTheWorkspaceOfAParse(t *testing.T) {
	for _, tc := range []struct{ root, dir string }{
		{"testdata/npm", "apps/web"},
		{"testdata/pnpm", "apps/web/src"},
		{"../testdata/documenso", "apps/remix"},
		{"../testdata/langfuse", "web"},
	} {
		t.Run(tc.root, func(t *testing.T) {
			wantPkgs, wantIns := everything(t, tc.root, tc.dir)
			dir := t.TempDir()
			for _, run := range []string{"cold", "warm"} {
				c := cache.Open(dir, "test")
				pkgs, ins := everything(t, tc.root, tc.dir, WithCache(c, nil))
				if !reflect.DeepEqual(pkgs, wantPkgs) || !reflect.DeepEqual(ins, wantIns) {
					t.Errorf("%s cache: packages %v, inputs %v\nwant %v, %v", run, pkgs, ins, wantPkgs, wantIns)
				}
				hits, misses := c.Stats()
				if run == "warm" && (hits == 0 || misses != 0) {
					t.Errorf("warm load: %d hits, %d misses; want only hits", hits, misses)
				}
				if err := c.Flush(); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// TestBrokenManifestIsReportedOnEveryRun: a package.json that does not parse is never cached.
func TestBrokenManifestIsReportedOnEveryRun(t *testing.T) {
	root := writeTree(t, map[string]string{
		"package.json":            `{"name": "root", "workspaces": ["packages/*"]}`,
		"packages/a/package.json": `{"name": "a",`,
	})
	dir := t.TempDir()
	for run := range 2 {
		c := cache.Open(dir, "test")
		_, err := Load(context.Background(), root, ".", WithCache(c, nil))
		if err == nil {
			t.Fatalf("run %d: a broken package.json loaded", run)
		}
		if err := c.Flush(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestManifestCodecRoundTrip(t *testing.T) {
	for _, m := range []*manifest{
		{},
		{Name: "x", Workspaces: []byte(`["a/*"]`), PackageManager: "pnpm@9",
			Dependencies: map[string]string{"a": "1"}, DevDependencies: map[string]string{},
			Scripts: map[string]string{"build": "tsc"}},
	} {
		m.Pnpm.PatchedDependencies = map[string]string{"p@1": "patches/p.patch"}
		got, ok := decodeManifest(encodeManifest(m))
		if !ok || !reflect.DeepEqual(got, m) {
			t.Errorf("round trip of %+v gave %+v, %v", m, got, ok)
		}
	}
}
