package gitchanges

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/monoctx/monoctx/graph/tree"
)

// Through IndexReader, the work tree's files have git's blob ids while the index vouches for them, as `git status`
// would: its stat data unchanged and the file not racily clean. Anything else is no answer.
func TestGitDirBlobIDsFromTheIndex(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("stat data is compared on Linux only; elsewhere files are hashed")
	}
	r := newRepo(t)
	dir := r.dir
	files := map[string]string{"a.go": "package a\n", "b.go": "package b\n", "c.go": "package c\n",
		"d.go": "package d\n", "e.sh": "#!/bin/sh\n", "f.go": "package f\n"}
	past := time.Now().Add(-time.Hour)
	for p, c := range files {
		r.write(p, c)
		if err := os.Chtimes(filepath.Join(dir, p), past, past); err != nil {
			t.Fatal(err)
		}
	}
	r.git("add", "-A")
	r.git("commit", "-q", "-m", "x")
	gitDir := filepath.Join(dir, ".git")
	ids := map[string]string{}
	for _, l := range strings.Split(r.git("ls-files", "-s"), "\n") {
		meta, p, _ := strings.Cut(l, "\t")
		ids[p] = strings.Fields(meta)[1]
	}

	// b.go: the same size and mtime, another content (its ctime moves); c.go: mode changed;
	// d.go: touched to after the index was written (racily clean); f.go: deleted.
	r.write("b.go", "package x\n")
	if err := os.Chtimes(filepath.Join(dir, "b.go"), past, past); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(dir, "c.go"), 0o755); err != nil {
		t.Fatal(err)
	}
	future := time.Now().Add(time.Hour)
	if err := os.Chtimes(filepath.Join(dir, "d.go"), future, future); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "f.go")); err != nil {
		t.Fatal(err)
	}
	r.write("untracked.go", "package u\n")

	d := tree.NewIndexedDir(dir, IndexReader(gitDir))
	for name, want := range map[string]bool{"a.go": true, "e.sh": true, "b.go": false, "c.go": false,
		"d.go": false, "f.go": false, "untracked.go": false, "..": false, ".": false} {
		id, ok := d.BlobID(name)
		if ok != want {
			t.Errorf("BlobID(%q): got %v, want %v", name, ok, want)
			continue
		}
		if ok && id != ids[name] {
			t.Errorf("BlobID(%q) = %s, git's index says %s", name, id, ids[name])
		}
	}
	// A commit read with the index's help takes a file from disk only where the index vouches for
	// it: b.go's same-size edit on disk is not the commit's content.
	c, err := tree.NewCommit(context.Background(), dir, "HEAD", tree.WithWorkTreeIndex(IndexReader(gitDir)))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for name, want := range files {
		if got, err := c.ReadFile(name); err != nil || string(got) != want {
			t.Errorf("the commit's %s: got %q, %v; want %q", name, got, err, want)
		}
	}
	if _, ok := tree.NewDir(dir).BlobID("a.go"); ok {
		t.Error("a Dir without a git directory answered BlobID")
	}
	// An index written no later than a file's mtime may predate an edit within the same clock
	// tick (racily clean): its entries vouch for nothing of that age.
	if err := os.Chtimes(filepath.Join(gitDir, "index"), past, past); err != nil {
		t.Fatal(err)
	}
	if _, ok := tree.NewIndexedDir(dir, IndexReader(gitDir)).BlobID("a.go"); ok {
		t.Error("an index written when a.go last changed vouched for it")
	}
	t.Setenv("GIT_INDEX_FILE", filepath.Join(gitDir, "other-index"))
	if _, ok := tree.NewIndexedDir(dir, IndexReader(gitDir)).BlobID("a.go"); ok {
		t.Error("with GIT_INDEX_FILE set, BlobID answered from .git/index")
	}
	os.Unsetenv("GIT_INDEX_FILE") // t.Setenv restores it after the test
	if err := os.WriteFile(filepath.Join(gitDir, "index"), []byte("DIRC garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, ok := tree.NewIndexedDir(dir, IndexReader(gitDir)).BlobID("a.go"); ok {
		t.Error("an index go-git cannot read answered BlobID")
	}
}
