package gitchanges

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/monoctx/monoctx/graph/tree"
)

// workTreeRepo is a committed repository with what a work tree can hold, its files dated an hour
// back so that the index vouches for them (none is racily clean).
func workTreeRepo(t *testing.T) *repoDir {
	r := newRepo(t)
	r.write("a/b.txt", "bee\n", "a/c/d.txt", "dee\n", "run.sh", "#!/bin/sh\n", "web/w", "w\n",
		"web/deep/x", "x\n", "keep.txt", "keep\n", ".gitignore", "*.log\n")
	if err := os.Chmod(filepath.Join(r.dir, "run.sh"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("a/b.txt", filepath.Join(r.dir, "link")); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	err := filepath.Walk(r.dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() && !strings.Contains(p, "/.git/") {
			err = os.Chtimes(p, old, old)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	r.git("add", "-A")
	r.git("commit", "-q", "-m", "one")
	r.git("update-index", "--add", "--cacheinfo", "160000,"+r.git("rev-parse", "HEAD")+",sub")
	r.git("commit", "-q", "-m", "gitlink")
	return r
}

// The work tree read from git's index by monoctx is the one `git ls-files` lists (where git's
// listing is the disk's): the same listing, the same files, and a blob id only where git's own
// listing gives the same one.
func TestWorkTreeFromTheIndexIsGitsListing(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, r *repoDir)
		fresh []string // files whose blob id git vouches for: the index must too
		stale []string // files whose blob id must not come from the index
		disk  bool     // the listing is the disk's: git's names a file the disk no longer holds
	}{
		{"changes", func(t *testing.T, r *repoDir) {
			r.write("a/b.txt", "modified\n", "untracked.txt", "u\n", "debug.log", "ignored\n", "newdir/n.txt", "n\n", "ita.go", "later\n")
			if err := os.Remove(filepath.Join(r.dir, "a", "c", "d.txt")); err != nil {
				t.Fatal(err)
			}
			r.git("add", "-N", "ita.go")
			blob := r.git("hash-object", "-w", "web/w")
			cmd := exec.Command("git", "-C", r.dir, "update-index", "--index-info")
			cmd.Stdin = strings.NewReader("0 0000000000000000000000000000000000000000\tweb/w\n100644 " + blob + " 1\tweb/w\n100644 " + blob + " 2\tweb/w\n")
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("update-index --index-info: %v: %s", err, out)
			}
		}, []string{"keep.txt", "run.sh", "web/deep/x"}, []string{"a/b.txt", "ita.go", "web/w", "untracked.txt", "link"}, false},
		{"sparse cone", func(t *testing.T, r *repoDir) {
			r.git("sparse-checkout", "set", "--cone", "a")
		}, []string{"a/b.txt", "keep.txt", "web/w"}, nil, false},
		{"sparse index", func(t *testing.T, r *repoDir) {
			r.git("sparse-checkout", "set", "--cone", "--sparse-index", "a")
		}, []string{"a/b.txt", "keep.txt", "web/w"}, nil, false},
		{"a file become a directory", func(t *testing.T, r *repoDir) {
			if err := os.Remove(filepath.Join(r.dir, "keep.txt")); err != nil {
				t.Fatal(err)
			}
			r.write("keep.txt/inside", "i\n")
		}, []string{"a/b.txt"}, []string{"keep.txt"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := workTreeRepo(t)
			tc.setup(t, r)
			ctx := context.Background()
			git, err := tree.NewWorkTree(ctx, r.dir)
			if err != nil {
				t.Fatal(err)
			}
			defer git.Close()
			ours, err := tree.NewWorkTree(ctx, r.dir, tree.WithIndexRecords(IndexRecordsReader(filepath.Join(r.dir, ".git"))))
			if err != nil {
				t.Fatal(err)
			}
			defer ours.Close()
			gl, err := git.List(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			ol, err := ours.List(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tc.disk {
				// git lists keep.txt from the index and leaves out keep.txt/inside, a tracked
				// path's own: a build would send what the disk holds.
				if gl, err = tree.NewDir(r.dir).List(ctx, nil); err != nil {
					t.Fatal(err)
				}
			}
			if !reflect.DeepEqual(ol, gl) {
				t.Fatalf("List: from the index %q, want %q", ol, gl)
			}
			names := append(append([]string{}, gl...), "a/c/d.txt", "sub", "a", "web", "keep.txt")
			for _, n := range names {
				gfi, gerr := git.Lstat(n)
				ofi, oerr := ours.Lstat(n)
				if (gerr == nil) != (oerr == nil) || gerr == nil && gfi.Mode() != ofi.Mode() {
					t.Errorf("Lstat(%q): from the index %v, %v; through git %v, %v", n, ofi, oerr, gfi, gerr)
				}
				gd, gerr := git.ReadFile(n)
				od, oerr := ours.ReadFile(n)
				if (gerr == nil) != (oerr == nil) || !bytes.Equal(gd, od) {
					t.Errorf("ReadFile(%q): from the index %q, %v; through git %q, %v", n, od, oerr, gd, gerr)
				}
				if id, ok := ours.BlobID(n); ok {
					if gid, gok := git.BlobID(n); !gok || gid != id {
						t.Errorf("BlobID(%q): from the index %s, through git %s, %v", n, id, gid, gok)
					}
				}
			}
			for _, n := range tc.fresh {
				gid, gok := git.BlobID(n)
				if id, ok := ours.BlobID(n); !ok || !gok || id != gid {
					t.Errorf("BlobID(%q): from the index %s, %v; through git %s, %v; want git's", n, id, ok, gid, gok)
				}
			}
			for _, n := range tc.stale {
				if id, ok := ours.BlobID(n); ok {
					t.Errorf("BlobID(%q): %s from the index, for a file the work tree changed", n, id)
				}
			}
		})
	}
}
