package buildctx_test

import (
	"archive/tar"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	buildctx "github.com/monoctx/monoctx/context"
)

// FuzzWritePaths builds a context from arbitrary file names and roots (one per line; "name>target"
// makes a symlink) inside a context directory below the repository root, and checks the tar with
// the invariants every context must hold (checkContext): clean names inside the context, parents
// first, walk order, same bytes twice. A root that is absolute, leaves the context or does not
// exist must be an error, never an entry.
func FuzzWritePaths(f *testing.F) {
	f.Add("a/b\nc d/e\n", "a\nc d")
	f.Add("x/../y\n./z\n", "z\n.")
	f.Add("l>../../outside\nm>/etc\nreal/f\nn>real\n", "l\nm\nn/f\nreal")
	f.Add("ü/\x01\n\\back\n*[?]\n", "ü\n*[?]\n\\back")
	f.Add("a\n", "../x\n/abs\nmissing")
	f.Fuzz(func(t *testing.T, names, roots string) {
		if len(names) > 2048 || len(roots) > 512 {
			return
		}
		root := t.TempDir()
		dir := filepath.Join(root, "ctx")
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		df := filepath.Join(root, "Dockerfile")
		if err := os.WriteFile(df, []byte("FROM scratch\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, n := range strings.Split(names, "\n") {
			name, target, link := strings.Cut(n, ">")
			if name == "" || strings.ContainsRune(name, 0) || strings.ContainsRune(target, 0) {
				continue
			}
			p := filepath.Join(dir, filepath.FromSlash(name))
			if rel, err := filepath.Rel(dir, p); err != nil || rel == "." || strings.HasPrefix(rel, "..") {
				continue
			}
			if os.MkdirAll(filepath.Dir(p), 0o755) != nil {
				continue
			}
			if link {
				_ = os.Symlink(target, p) // a name that cannot be created is simply not there
			} else {
				_ = os.WriteFile(p, []byte(name), 0o644)
			}
		}
		src := buildctx.Source{Root: root, Dir: dir, Dockerfile: df}
		for _, r := range strings.Split(roots, "\n") {
			if r != "" {
				src.Roots = append(src.Roots, r)
			}
		}
		var buf bytes.Buffer
		if _, err := buildctx.Write(context.Background(), &buf, src); err != nil {
			if buf.Len() > 0 {
				t.Errorf("Write failed (%v) after writing %d bytes", err, buf.Len())
			}
			return
		}
		for _, r := range src.Roots {
			if strings.HasPrefix(r, "/") || r == ".." || strings.HasPrefix(filepath.ToSlash(filepath.Clean(r)), "../") {
				t.Errorf("root %q leaves the context, and Write accepted it", r)
			}
		}
		entries, _ := checkContext(t, src)
		for _, e := range entries {
			if e.Hdr.Typeflag == tar.TypeSymlink && strings.HasPrefix(e.Hdr.Name, ".dockerfile.") {
				t.Errorf("%q: the outside Dockerfile is stored as a link", e.Hdr.Name)
			}
		}
	})
}
