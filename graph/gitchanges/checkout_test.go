package gitchanges

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// Checkout writes a commit's tree as git would check it out: contents, executable bits and symlinks
// as links, and never touches the work tree.
func TestCheckoutWritesTheTreeOfACommit(t *testing.T) {
	r := newRepo(t)
	r.write("a/b.txt", "old", "run.sh", "#!/bin/sh\n", "keep.txt", "k")
	if err := os.Chmod(filepath.Join(r.dir, "run.sh"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("a/b.txt", filepath.Join(r.dir, "link")); err != nil {
		t.Fatal(err)
	}
	first := r.commitAll("first")
	r.write("a/b.txt", "new")
	r.commitAll("second")

	dir, missing, cleanup, err := open(t, r.dir, "git").Checkout(context.Background(), first)
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	if len(missing) != 0 {
		t.Errorf("missing: got %q, want none", missing)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "a/b.txt")); err != nil || string(b) != "old" {
		t.Errorf("a/b.txt: got %q, %v; want %q", b, err, "old")
	}
	if st, err := os.Stat(filepath.Join(dir, "run.sh")); err != nil || st.Mode().Perm()&0o100 == 0 {
		t.Errorf("run.sh: got %v, %v; want executable", st, err)
	}
	if target, err := os.Readlink(filepath.Join(dir, "link")); err != nil || target != "a/b.txt" {
		t.Errorf("link: got %q, %v; want a symlink to a/b.txt", target, err)
	}
	if b, _ := os.ReadFile(filepath.Join(r.dir, "a/b.txt")); string(b) != "new" {
		t.Errorf("the work tree changed: a/b.txt is %q", b)
	}
}

// A clone that lacks a blob (an incomplete or partial clone) still gives the tree, without that file,
// and says which file is missing.
func TestCheckoutListsBlobsTheCloneLacks(t *testing.T) {
	r := newRepo(t)
	r.write("big.bin", "large content nobody needs", "Dockerfile", "FROM scratch\n")
	head := r.commitAll("one")
	sha := r.git("rev-parse", head+":big.bin")
	if err := os.Remove(filepath.Join(r.dir, ".git", "objects", sha[:2], sha[2:])); err != nil {
		t.Fatal(err)
	}
	dir, missing, cleanup, err := open(t, r.dir, "git").Checkout(context.Background(), head)
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	if !reflect.DeepEqual(missing, []string{"big.bin"}) {
		t.Errorf("missing: got %q, want [big.bin]", missing)
	}
	if _, err := os.Stat(filepath.Join(dir, "big.bin")); !os.IsNotExist(err) {
		t.Errorf("big.bin: got %v, want it absent", err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "Dockerfile")); err != nil || string(b) != "FROM scratch\n" {
		t.Errorf("Dockerfile: got %q, %v", b, err)
	}
}
