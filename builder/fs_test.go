package builder

import (
	"context"
	"errors"
	gofs "io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	fstypes "github.com/tonistiigi/fsutil/types"
)

func writeTree(t *testing.T, dir string, files ...string) {
	t.Helper()
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// walked lists what a served file system hands BuildKit, with each hard link's target.
func walked(t *testing.T, dir string, keep func(string) bool) (paths []string, links map[string]string) {
	t.Helper()
	fs, err := newSelectFS(dir, keep)
	if err != nil {
		t.Fatal(err)
	}
	links = map[string]string{}
	err = fs.Walk(context.Background(), "", func(p string, e gofs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := e.Info()
		if err != nil {
			return err
		}
		paths = append(paths, filepath.ToSlash(p))
		if st, ok := fi.Sys().(*fstypes.Stat); ok && st.Linkname != "" && fi.Mode().IsRegular() {
			links[filepath.ToSlash(p)] = st.Linkname
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return paths, links
}

func TestSelectFSServesOnlyTheListedPaths(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, "a/keep.txt", "a/drop.txt", "b/deep/x.txt", "c.txt")
	got, _ := walked(t, dir, setKeep([]string{"a", "a/keep.txt", "c.txt"}))
	if want := []string{"a", "a/keep.txt", "c.txt"}; !slices.Equal(got, want) {
		t.Errorf("walked %q, want %q", got, want)
	}
	fs, err := newSelectFS(dir, setKeep([]string{"a", "a/keep.txt"}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fs.Open("a/drop.txt"); !errors.Is(err, gofs.ErrNotExist) {
		t.Errorf("Open of an unlisted path: %v, want not exist", err)
	}
	rc, err := fs.Open("a/keep.txt")
	if err != nil {
		t.Fatalf("Open of a listed path: %v", err)
	}
	if err := rc.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestSelectFSRootsKeepTheWayToThemAndBelow(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, ".dockerignore", "lib/a/x.txt", "lib/a/sub/y.txt", "lib/b/z.txt", "other.txt")
	got, _ := walked(t, dir, rootsKeep([]string{".dockerignore", literalPrefix("lib/a/*.txt")}))
	if want := []string{".dockerignore", "lib", "lib/a", "lib/a/sub", "lib/a/sub/y.txt", "lib/a/x.txt"}; !slices.Equal(got, want) {
		t.Errorf("walked %q, want %q", got, want)
	}
}

// A hard link whose first path is filtered out must travel as content: BuildKit could not resolve
// a link to a path it never receives.
func TestSelectFSSendsAHardLinkToAnUnservedPathAsAFile(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, "a/first.txt")
	if err := os.MkdirAll(filepath.Join(dir, "b"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(filepath.Join(dir, "a", "first.txt"), filepath.Join(dir, "b", "second.txt")); err != nil {
		t.Fatal(err)
	}
	// a is walked (so fsutil sees a/first.txt first) but a/first.txt is not served.
	_, links := walked(t, dir, setKeep([]string{"a", "b", "b/second.txt"}))
	if l, ok := links["b/second.txt"]; ok {
		t.Errorf("b/second.txt sent as a link to %q, which is not served", l)
	}
	_, links = walked(t, dir, setKeep([]string{"a", "a/first.txt", "b", "b/second.txt"}))
	if l := links["b/second.txt"]; !strings.HasSuffix(l, "first.txt") {
		t.Errorf("with both paths served, b/second.txt links to %q, want a/first.txt", l)
	}
}

func TestParseFlagsRefusesBadOutputsBeforeAnyBuild(t *testing.T) {
	for _, c := range []struct{ spec, want string }{
		{"type=bogus", `unknown type "bogus"`},
		{"type=local", "needs dest=DIR"},
		{"type=oci,tar=false", "needs dest=DIR"},
	} {
		if _, err := ParseFlags(Flags{Outputs: []string{c.spec}}); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("-o %s: %v, want an error containing %q", c.spec, err, c.want)
		}
	}
	o, err := ParseFlags(Flags{Outputs: []string{"type=registry,name=r.example/x"}, Platforms: []string{"linux/amd64,linux/arm64"}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(o.Platforms, []string{"linux/amd64", "linux/arm64"}) {
		t.Errorf("platforms %q, want both, split", o.Platforms)
	}
	ex, err := o.exports([]string{"t:1"}, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(ex) != 1 || ex[0].Type != "image" || ex[0].Attrs["push"] != "true" || ex[0].Attrs["name"] != "r.example/x" {
		t.Errorf("type=registry became %+v, want an image export with push=true and its own name", ex)
	}
	if _, err := o.exports(nil, false); err != nil {
		t.Fatal(err)
	}
	docker, _ := ParseFlags(Flags{Outputs: []string{"type=docker"}})
	if _, err := docker.exports([]string{"t:1"}, false); err == nil {
		t.Errorf("type=docker without dest on a standalone buildkitd: no error, want one naming --builder docker")
	}
	if ex, err := docker.exports([]string{"t:1"}, true); err != nil || ex[0].Type != "moby" || ex[0].Attrs["name"] != "t:1" {
		t.Errorf("type=docker on an engine: %+v, %v; want the moby exporter named t:1", ex, err)
	}
}
