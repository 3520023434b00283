package tree

import (
	"context"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// lsTree is rev's tree as `git ls-tree -r` lists it: the truth commitFromIndex must equal.
func lsTree(t *testing.T, dir, rev string) map[string]entry {
	t.Helper()
	x := newIndex()
	if err := parseTree([]byte(git(t, dir, "ls-tree", "-r", "-z", "--full-tree", rev)), x); err != nil {
		t.Fatal(err)
	}
	return x.files
}

// The index and `git diff-index --cached` give a commit's tree exactly, whatever is staged: added,
// deleted, modified, made executable, turned into a link or a directory, intent-to-add, a
// submodule moved; a conflict or an empty index too (or it says it cannot).
func TestCommitFromIndexIsLsTree(t *testing.T) {
	ctx := context.Background()
	dir := clone(t, fixture(t))
	git(t, dir, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "--allow-empty", "-m", "second")
	for i, step := range []struct {
		what string
		do   func()
	}{
		{"a clean checkout", func() {}},
		{"staged changes of every kind", func() {
			git(t, dir, "rm", "-q", "web/w")
			write(t, dir, "new.txt", "n\n", "a/b.txt", "changed\n", "web/w/inner", "w became a directory\n")
			if err := os.Chmod(filepath.Join(dir, "sp ace.txt"), 0o755); err != nil {
				t.Fatal(err)
			}
			git(t, dir, "rm", "-q", "a/c/d.txt")
			write(t, dir, "ita.txt", "later\n")
			git(t, dir, "add", "-N", "ita.txt")
			git(t, dir, "add", "new.txt", "a/b.txt", "web/w/inner", "sp ace.txt")
			os.Remove(filepath.Join(dir, "run.sh"))
			symlink(t, "a/b.txt", filepath.Join(dir, "run.sh"))
			git(t, dir, "add", "run.sh")
			git(t, dir, "update-index", "--cacheinfo", "160000,"+git(t, dir, "rev-parse", "HEAD~1")+",sub")
		}},
		{"an empty index", func() { git(t, dir, "rm", "-q", "-r", "--cached", ".") }},
	} {
		step.do()
		for _, rev := range []string{"HEAD", "HEAD~1"} {
			want := lsTree(t, dir, rev)
			// The index's entries from git ls-files, and from the index file.
			for _, read := range []IndexRecordsReader{nil, indexRecords(dir)} {
				got, ok := commitFromIndex(ctx, dir, rev, read)
				if !ok {
					t.Fatalf("step %d (%s), %s (file reader %v): commitFromIndex could not answer", i, step.what, rev, read != nil)
				}
				if !maps.Equal(got, want) {
					t.Errorf("step %d (%s), %s (file reader %v):\nfrom the index %v\nls-tree        %v", i, step.what, rev, read != nil, got, want)
				}
			}
		}
	}
}

// A conflict leaves the index without one entry per path: the listing comes from ls-tree.
func TestCommitFromIndexDeclinesAConflict(t *testing.T) {
	ctx := context.Background()
	dir := clone(t, fixture(t))
	id := []string{"-c", "user.name=t", "-c", "user.email=t@t"}
	git(t, dir, "checkout", "-q", "-b", "other")
	write(t, dir, "a/b.txt", "other\n")
	git(t, dir, append(id, "commit", "-q", "-am", "other")...)
	git(t, dir, "checkout", "-q", "main")
	write(t, dir, "a/b.txt", "main\n")
	git(t, dir, append(id, "commit", "-q", "-am", "main")...)
	if out, err := exec.Command("git", append([]string{"-C", dir}, append(id, "merge", "-q", "other")...)...).CombinedOutput(); err == nil {
		t.Fatalf("the merge should conflict: %s", out)
	}
	if _, ok := commitFromIndex(ctx, dir, "HEAD", nil); ok {
		t.Error("commitFromIndex answered with a conflict in the index")
	}
	if _, ok := commitFromIndex(ctx, dir, "HEAD", indexRecords(dir)); ok {
		t.Error("commitFromIndex answered from the index file with a conflict in it")
	}
	c, err := NewCommit(ctx, dir, "HEAD")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if data, err := c.ReadFile("a/b.txt"); err != nil || string(data) != "main\n" {
		t.Errorf("ReadFile(a/b.txt) at HEAD during the conflict: %q, %v", data, err)
	}
}
