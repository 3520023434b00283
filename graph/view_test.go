package graph

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/monoctx/monoctx/graph/tree"
)

// fixtureCheckouts commits the fixture monorepo at src into a repository and clones it, both
// directories named "repo" (a root Dockerfile's app is named after it).
func fixtureCheckouts(t *testing.T, src string, cloneArgs ...string) (repoDir, cloneDir string) {
	t.Helper()
	repoDir = filepath.Join(t.TempDir(), "repo")
	if err := os.CopyFS(repoDir, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	r := &repo{t: t, dir: repoDir}
	r.git("-c", "init.defaultBranch=main", "init", "-q")
	r.commit("fixture")
	cloneDir = filepath.Join(t.TempDir(), "repo")
	r.git(append(append([]string{"clone", "-q"}, cloneArgs...), repoDir, cloneDir)...)
	return repoDir, cloneDir
}

// loadJSON is what `apps --format json` and the warnings show of a Load.
func loadJSON(t *testing.T, dir string, opts ...Option) string {
	t.Helper()
	g := mustLoad(t, dir, opts...)
	b, err := json.MarshalIndent(struct {
		Apps     []*App
		Warnings []string
	}{g.Apps, g.Warnings}, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var viewFixtures = []string{"../testdata/example", "testdata/documenso", "testdata/langfuse"}

// A commit read from git objects loads as its checkout, whatever the work tree holds.
func TestLoadOfACommitViewIsTheLoadOfItsCheckout(t *testing.T) {
	for _, fx := range viewFixtures {
		t.Run(filepath.Base(fx), func(t *testing.T) {
			repoDir, cloneDir := fixtureCheckouts(t, fx)
			want := loadJSON(t, cloneDir)
			// The work tree is emptied: nothing of it may be read for the commit.
			ents, err := os.ReadDir(repoDir)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range ents {
				if e.Name() != ".git" {
					if err := os.RemoveAll(filepath.Join(repoDir, e.Name())); err != nil {
						t.Fatal(err)
					}
				}
			}
			c, err := tree.NewCommit(context.Background(), repoDir, "HEAD")
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if got := loadJSON(t, repoDir, WithView(c)); got != want {
				t.Errorf("Load of the commit view:\n%s\nwant (the checkout):\n%s", got, want)
			}
		})
	}
}

// The work tree view of a full checkout loads as the OS walk does, and a sparse checkout of the
// same commit loads as the full one.
func TestLoadOfASparseWorkTreeIsTheLoadOfTheFullOne(t *testing.T) {
	for _, fx := range viewFixtures {
		t.Run(filepath.Base(fx), func(t *testing.T) {
			_, full := fixtureCheckouts(t, fx)
			want := loadJSON(t, full)
			w, err := tree.NewWorkTree(context.Background(), full)
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			if got := loadJSON(t, full, WithView(w)); got != want {
				t.Errorf("Load of the full work tree view:\n%s\nwant (the OS):\n%s", got, want)
			}
			sparse := &repo{t: t, dir: full}
			sparse.git("sparse-checkout", "set", "--no-cone", "/*", "!/apps/", "!/services/", "!/packages/", "!/web/")
			sw, err := tree.NewWorkTree(context.Background(), full)
			if err != nil {
				t.Fatal(err)
			}
			defer sw.Close()
			if got := loadJSON(t, full, WithView(sw)); got != want {
				t.Errorf("Load of the sparse work tree view:\n%s\nwant (the full checkout):\n%s", got, want)
			}
			// The OS alone misses what the sparse checkout left out (or fails on it).
			if g, err := Load(context.Background(), full, WithView(tree.NewDir(full))); err == nil {
				b, err := json.MarshalIndent(struct {
					Apps     []*App
					Warnings []string
				}{g.Apps, g.Warnings}, "", " ")
				if err != nil {
					t.Fatal(err)
				}
				if string(b) == want {
					t.Errorf("the sparse checkout left out nothing the OS misses: the test tests nothing")
				}
			}
		})
	}
}

// noView reads the OS, as a Load without WithView.
var noView = files{}
