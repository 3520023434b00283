package golang

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/monoctx/monoctx/graph/cache"
)

type blobMap map[string]string

func (b blobMap) BlobID(name string) (string, bool) { id, ok := b[name]; return id, ok }

func closures(t *testing.T, root string, opts ...Option) []*Closure {
	t.Helper()
	a, err := NewAnalyzer(root, append([]Option{WithTests(true)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	var out []*Closure
	for _, dir := range []string{"cmd/a", "cmd/b"} {
		c, err := a.Analyze(context.Background(), dir)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	return out
}

// TestCacheGivesTheClosuresOfAParse: cold and warm runs through the cache give the closures of a
// run without it, and the warm run parses nothing.
func TestCacheGivesTheClosuresOfAParse(t *testing.T) {
	root := "testdata/mono"
	want := closures(t, root)
	dir := t.TempDir()
	cold := cache.Open(dir, "test")
	if got := closures(t, root, WithCache(cold, nil)); !reflect.DeepEqual(got, want) {
		t.Fatalf("cold cache: %+v\nwant %+v", got, want)
	}
	if err := cold.Flush(); err != nil {
		t.Fatal(err)
	}
	warm := cache.Open(dir, "test")
	if got := closures(t, root, WithCache(warm, nil)); !reflect.DeepEqual(got, want) {
		t.Fatalf("warm cache: %+v\nwant %+v", got, want)
	}
	if hits, misses := warm.Stats(); hits == 0 || misses != 0 {
		t.Errorf("warm run: %d hits, %d misses; want only hits", hits, misses)
	}
}

// TestCacheTrustsKnownBlobIDs: a file whose blob id Blobs knows is not read; its parse is the one
// cached under that id. (A view says a file's id only when git knows the file is unmodified.)
func TestCacheTrustsKnownBlobIDs(t *testing.T) {
	root := t.TempDir()
	files := map[string]string{
		"go.mod":          "module example.com/m\n\ngo 1.22\n",
		"cmd/a/main.go":   "package main\n\nimport _ \"example.com/m/lib/x\"\n\nfunc main() {}\n",
		"lib/x/x.go":      "package x\n",
		"lib/y/y.go":      "package y\n",
		"other/main.go":   "package main\n\nimport _ \"example.com/m/lib/y\"\n\nfunc main() {}\n",
		"other/README.md": "",
	}
	for name, content := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	c := cache.Open(t.TempDir(), "test")
	// Parse other/main.go into the cache, then claim cmd/a/main.go has its blob id.
	a, err := NewAnalyzer(root, WithCache(c, nil))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Analyze(context.Background(), "other"); err != nil {
		t.Fatal(err)
	}
	blobs := blobMap{"cmd/a/main.go": cache.BlobID([]byte(files["other/main.go"]))}
	a, err = NewAnalyzer(root, WithCache(c, blobs))
	if err != nil {
		t.Fatal(err)
	}
	got, err := a.Analyze(context.Background(), "cmd/a")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"cmd/a", "lib/y"}; !reflect.DeepEqual(got.Packages, want) {
		t.Errorf("packages = %v, want %v: the known blob id's parse", got.Packages, want)
	}
	// Without Blobs the file is hashed, and its own content decides.
	a, err = NewAnalyzer(root, WithCache(c, nil))
	if err != nil {
		t.Fatal(err)
	}
	if got, err = a.Analyze(context.Background(), "cmd/a"); err != nil {
		t.Fatal(err)
	}
	if want := []string{"cmd/a", "lib/x"}; !reflect.DeepEqual(got.Packages, want) {
		t.Errorf("packages = %v, want %v", got.Packages, want)
	}
}

// TestParseErrorsAreNotCached: a file that does not parse gives its error on every run.
func TestParseErrorsAreNotCached(t *testing.T) {
	root := t.TempDir()
	for name, content := range map[string]string{
		"go.mod":        "module example.com/m\n",
		"cmd/a/main.go": "package main\n\nimport (\n",
	} {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	for run := range 2 {
		c := cache.Open(dir, "test")
		_, err := Analyze(context.Background(), root, "cmd/a", WithCache(c, nil))
		var pe *ParseError
		if !errors.As(err, &pe) || pe.Path != "cmd/a/main.go" {
			t.Fatalf("run %d: err = %v, want a ParseError of cmd/a/main.go", run, err)
		}
		if err := c.Flush(); err != nil {
			t.Fatal(err)
		}
	}
}
