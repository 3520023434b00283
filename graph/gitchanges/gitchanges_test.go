package gitchanges

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestChangesAddModifyDelete(t *testing.T) {
	r := newRepo(t)
	r.write("apps/a/main.go", "package a\n", "apps/b/main.go", "package b\n", "lib/x.go", "x\n")
	base := r.commitAll("base")
	r.write("apps/a/main.go", "package a // changed\n", "apps/c/new.go", "c\n")
	r.remove("lib/x.go")
	head := r.commitAll("head")

	got := changesAll(t, r.dir, base, head)
	assertChanges(t, got, want("M apps/a/main.go", "A apps/c/new.go", "D lib/x.go"))

	// Symbolic refs resolve to the same answer.
	assertChanges(t, changesAll(t, r.dir, "HEAD~1", "main"), got)
	// Nothing between a commit and itself.
	assertChanges(t, changesAll(t, r.dir, head, head), want())
}

func TestChangesReportsBothPathsOfADirectoryRename(t *testing.T) {
	r := newRepo(t)
	r.git("config", "diff.renames", "copies") // the user's config must not matter
	r.write("apps/a/main.go", "package main\n\nfunc main() {}\n", "apps/a/go.mod", "module a\n")
	base := r.commitAll("base")
	r.git("mv", "apps/a", "apps/b")

	// Staged rename, compared with the work tree.
	assertChanges(t, changesAll(t, r.dir, base, ""),
		want("D apps/a/go.mod", "D apps/a/main.go", "A apps/b/go.mod", "A apps/b/main.go"))
	head := r.commitAll("rename")
	assertChanges(t, changesAll(t, r.dir, base, head),
		want("D apps/a/go.mod", "D apps/a/main.go", "A apps/b/go.mod", "A apps/b/main.go"))
}

func TestChangesDeletionOnly(t *testing.T) {
	r := newRepo(t)
	r.write("apps/gone/Dockerfile", "FROM scratch\n", "apps/gone/main.go", "x\n", "keep.txt", "k\n")
	base := r.commitAll("base")
	r.git("rm", "-q", "-r", "apps/gone")
	head := r.commitAll("delete app")
	assertChanges(t, changesAll(t, r.dir, base, head), want("D apps/gone/Dockerfile", "D apps/gone/main.go"))
}

func TestChangesTypeAndModeChangesAreModifications(t *testing.T) {
	r := newRepo(t)
	r.write("run.sh", "echo\n", "link", "target\n", "becomes-dir", "file\n")
	base := r.commitAll("base")
	if err := os.Chmod(filepath.Join(r.dir, "run.sh"), 0o755); err != nil {
		t.Fatal(err)
	}
	r.remove("link", "becomes-dir")
	if err := os.Symlink("run.sh", filepath.Join(r.dir, "link")); err != nil {
		t.Fatal(err)
	}
	r.write("becomes-dir/inner", "now a dir\n")
	wantCs := want("D becomes-dir", "A becomes-dir/inner", "M link", "M run.sh")
	assertChanges(t, changesAll(t, r.dir, base, ""), wantCs)
	head := r.commitAll("types")
	assertChanges(t, changesAll(t, r.dir, base, head), wantCs)
}

func TestChangesWorkTreeNetStatus(t *testing.T) {
	r := newRepo(t)
	r.write(
		".gitignore", "*.log\nbuild/\n",
		"staged.txt", "1\n",
		"unstaged.txt", "1\n",
		"reverted.txt", "1\n",
		"touched.txt", "same\n",
		"deleted.txt", "1\n",
		"untracked-from-index.txt", "1\n",
	)
	base := r.commitAll("base")
	r.write("reverted.txt", "2\n", "added-then-deleted.txt", "x\n")
	r.commitAll("after base")

	r.write("staged.txt", "2\n")
	r.git("add", "staged.txt")
	r.write("unstaged.txt", "2\n")
	r.write("reverted.txt", "1\n") // back to base content, unstaged
	r.remove("added-then-deleted.txt")
	r.remove("deleted.txt")
	r.write("new dir/untracked.txt", "u\n", "top-untracked", "u\n")
	r.write("debug.log", "ignored\n", "build/out.bin", "ignored\n", "apps/x/build/y", "ignored\n")
	r.git("rm", "-q", "--cached", "untracked-from-index.txt")
	// Same content, new mtime: must not be a change.
	r.write("touched.txt", "same\n")

	got := changesAll(t, r.dir, base, "")
	assertChanges(t, got, want(
		"D deleted.txt",
		"A new dir/untracked.txt",
		"M staged.txt",
		"A top-untracked",
		"M unstaged.txt",
		"M untracked-from-index.txt",
	))
	for _, c := range got {
		if strings.HasSuffix(c.Path, ".log") || strings.Contains(c.Path, "build/") {
			t.Errorf("ignored file %q reported as %s", c.Path, c.Status)
		}
	}
}

func TestChangesWorkTreeRespectsInfoExclude(t *testing.T) {
	r := newRepo(t)
	r.write("a.txt", "a\n")
	base := r.commitAll("base")
	r.write(".git/info/exclude", "secret*\n", "secret.env", "x\n", "sub/.gitignore", "!keep.tmp\n*.tmp\n", "sub/x.tmp", "t\n", "sub/keep.tmp", "k\n")
	assertChanges(t, changesAll(t, r.dir, base, ""), want("A sub/.gitignore"))
}

func TestOpenFromSubdirectoryGivesTheSameAnswer(t *testing.T) {
	r := newRepo(t)
	r.write("apps/a/deep/f.txt", "1\n", "lib/l.txt", "1\n")
	base := r.commitAll("base")
	r.write("lib/l.txt", "2\n", "apps/a/new.txt", "n\n")
	sub := filepath.Join(r.dir, "apps", "a", "deep")
	for _, e := range engines {
		repo := open(t, sub, e)
		if got := repo.Root(); got != r.dir {
			t.Errorf("%s: Root() = %q, want %q", e, got, r.dir)
		}
		if got, want := repo.GitDir(), filepath.Join(r.dir, ".git"); got != want {
			t.Errorf("%s: GitDir() = %q, want %q", e, got, want)
		}
		if got, want := repo.CommonDir(), filepath.Join(r.dir, ".git"); got != want {
			t.Errorf("%s: CommonDir() = %q, want %q", e, got, want)
		}
	}
	assertChanges(t, changesAll(t, sub, base, ""), changesAll(t, r.dir, base, ""))
	assertChanges(t, changesAll(t, sub, base, ""), want("A apps/a/new.txt", "M lib/l.txt"))
}

func TestOpenOutsideAWorkTreeIsNotWorkTreeError(t *testing.T) {
	dir := t.TempDir()
	bare := filepath.Join(dir, "bare.git")
	newRepo(t).at(dir).git("init", "-q", "--bare", bare)
	for _, e := range engines {
		for _, d := range []string{dir, bare} {
			_, err := Open(context.Background(), d, WithEngine(e))
			var nw *NotWorkTreeError
			if !errors.As(err, &nw) {
				t.Errorf("%s: Open(%s) error = %v, want *NotWorkTreeError", e, d, err)
			}
		}
	}
	if _, err := Open(context.Background(), dir, WithEngine("svn")); err == nil || !strings.Contains(err.Error(), `unknown git engine "svn"`) {
		t.Errorf("Open with engine svn: got %v, want an unknown engine error", err)
	}
}

func TestLinkedWorktree(t *testing.T) {
	r := newRepo(t)
	r.write("apps/a/f.txt", "1\n", "apps/b/f.txt", "1\n")
	base := r.commitAll("base")
	wtDir := filepath.Join(t.TempDir(), "wt")
	r.git("worktree", "add", "-q", "-b", "feature", wtDir)
	if real, err := filepath.EvalSymlinks(wtDir); err == nil {
		wtDir = real
	}
	wt := r.at(wtDir)
	wt.write("apps/b/f.txt", "2\n")
	head := wt.commitAll("feature change")
	wt.write("apps/a/f.txt", "dirty\n", "untracked.txt", "u\n")
	// The main work tree stays clean: its own index and HEAD are separate.
	r.write("main-only.txt", "m\n")

	for _, e := range engines {
		repo := open(t, wtDir, e)
		if got := repo.Root(); got != wtDir {
			t.Errorf("%s: Root() = %q, want %q", e, got, wtDir)
		}
		if got, want := repo.CommonDir(), filepath.Join(r.dir, ".git"); got != want {
			t.Errorf("%s: CommonDir() = %q, want %q", e, got, want)
		}
		if got, want := repo.GitDir(), filepath.Join(r.dir, ".git", "worktrees", "wt"); got != want {
			t.Errorf("%s: GitDir() = %q, want %q", e, got, want)
		}
		if got, err := repo.Resolve(context.Background(), "HEAD"); err != nil || got != head {
			t.Errorf("%s: Resolve(HEAD) = %q, %v; want %q", e, got, err, head)
		}
	}
	assertChanges(t, changesAll(t, wtDir, base, "HEAD"), want("M apps/b/f.txt"))
	assertChanges(t, changesAll(t, wtDir, base, ""), want("M apps/a/f.txt", "M apps/b/f.txt", "A untracked.txt"))
	assertChanges(t, changesAll(t, r.dir, base, ""), want("A main-only.txt"))
}

func TestSparseCheckoutWorktreeConfig(t *testing.T) {
	r := newRepo(t)
	r.write("apps/a/f.txt", "1\n", "apps/b/f.txt", "1\n", "top.txt", "t\n")
	base := r.commitAll("base")
	r.git("sparse-checkout", "init", "--cone")
	r.git("sparse-checkout", "set", "apps/a")
	if got := r.git("config", "extensions.worktreeConfig"); got != "true" {
		t.Fatalf("extensions.worktreeConfig = %q, want true (fixture)", got)
	}
	r.write("apps/a/f.txt", "2\n")

	auto, err := Open(context.Background(), r.dir)
	if err != nil {
		t.Fatalf("auto engine on a sparse checkout: %v", err)
	}
	got, err := auto.Changes(context.Background(), base, "")
	if err != nil {
		t.Fatalf("auto engine Changes: %v", err)
	}
	// apps/b is outside the sparse cone (skip-worktree), not deleted.
	assertChanges(t, got, want("M apps/a/f.txt"))

	_, err = Open(context.Background(), r.dir, WithEngine(EngineGoGit))
	if err == nil {
		t.Skip("go-git opened a worktreeConfig repository; nothing more to check")
	}
	if !strings.Contains(err.Error(), "worktreeconfig") || !strings.Contains(err.Error(), "git engine") {
		t.Errorf("go-git error = %q, want it to name worktreeconfig and the fix", err)
	}
}

// shallowFixture builds a source repository with main c1..c5 and feature
// branching at c3 (f1, f2), clones main with --depth=3 (history stops at
// c3) and fetches feature with --depth=3. It returns the clone and c1, c3.
func shallowFixture(t *testing.T) (clone *repoDir, c1, c3 string) {
	src := newRepo(t)
	for _, c := range []string{"c1", "c2", "c3"} {
		src.write("main/"+c, c)
		sha := src.commitAll(c)
		switch c {
		case "c1":
			c1 = sha
		case "c3":
			c3 = sha
		}
	}
	src.git("branch", "feature")
	src.write("main/c4", "4", "main/c5", "5")
	src.commitAll("c4")
	src.write("main/c5", "5b")
	src.commitAll("c5")
	src.git("checkout", "-q", "feature")
	src.write("feature/f1", "1")
	src.commitAll("f1")
	src.write("feature/f2", "2")
	src.commitAll("f2")
	src.git("checkout", "-q", "main")

	dst := filepath.Join(t.TempDir(), "clone")
	src.git("clone", "-q", "--depth=3", "--branch", "main", "file://"+src.dir, dst)
	if real, err := filepath.EvalSymlinks(dst); err == nil {
		dst = real
	}
	clone = src.at(dst)
	clone.git("fetch", "-q", "--depth=3", "origin", "feature:refs/remotes/origin/feature")
	return clone, c1, c3
}

func TestMergeBaseAtTheShallowBoundary(t *testing.T) {
	clone, _, c3 := shallowFixture(t)
	if got := clone.git("rev-parse", "--is-shallow-repository"); got != "true" {
		t.Fatalf("fixture is not shallow")
	}
	wantMB := clone.git("merge-base", "HEAD", "origin/feature")
	if wantMB != c3 {
		t.Fatalf("git merge-base = %s, want the boundary commit %s (fixture)", wantMB, c3)
	}
	for _, e := range engines {
		repo := open(t, clone.dir, e)
		if !repo.IsShallow() {
			t.Errorf("%s: IsShallow() = false, want true", e)
		}
		got, err := repo.MergeBase(context.Background(), "origin/feature", "HEAD")
		if err != nil || got != wantMB {
			t.Errorf("%s: MergeBase = %q, %v; want %q", e, got, err, wantMB)
		}
	}
	assertChanges(t, changesAll(t, clone.dir, c3, "origin/feature"), want("A feature/f1", "A feature/f2"))
}

func TestShallowCloneWithoutTheBaseIsMissingBaseError(t *testing.T) {
	clone, c1, _ := shallowFixture(t)
	// Cut the history to the tips only: no merge base left.
	clone.git("fetch", "-q", "--depth=1", "origin", "main:refs/remotes/origin/main", "feature:refs/remotes/origin/feature")
	for _, e := range engines {
		repo := open(t, clone.dir, e)
		for name, call := range map[string]func() error{
			"MergeBase": func() error {
				_, err := repo.MergeBase(context.Background(), "origin/feature", "origin/main")
				return err
			},
			"Resolve": func() error { _, err := repo.Resolve(context.Background(), c1); return err },
			"Changes": func() error { _, err := repo.Changes(context.Background(), c1, "HEAD"); return err },
			"ChangesAbbrev": func() error {
				_, err := repo.Changes(context.Background(), c1[:10], "")
				return err
			},
		} {
			err := call()
			var mb *MissingBaseError
			if !errors.As(err, &mb) {
				t.Errorf("%s: %s error = %v, want *MissingBaseError", e, name, err)
				continue
			}
			if !mb.Shallow {
				t.Errorf("%s: %s: Shallow = false, want true", e, name)
			}
			msg := err.Error()
			for _, want := range []string{"not in this clone", "shallow clone: history stops at", `git fetch --deepen=200`, "fetch-depth: 0", "--on-missing-base=all"} {
				if !strings.Contains(msg, want) {
					t.Errorf("%s: %s: error %q does not contain %q", e, name, msg, want)
				}
			}
		}
	}
}

func TestZeroAndUnknownBases(t *testing.T) {
	r := newRepo(t)
	r.write("a", "a")
	r.commitAll("one")
	for _, e := range engines {
		repo := open(t, r.dir, e)
		for _, ref := range []string{strings.Repeat("0", 40), "deadbeefdeadbeefdeadbeefdeadbeefdeadbeef", "deadbeef"} {
			_, err := repo.Changes(context.Background(), ref, "HEAD")
			var mb *MissingBaseError
			if !errors.As(err, &mb) || mb.Shallow {
				t.Errorf("%s: Changes(%s) error = %v, want *MissingBaseError with Shallow=false", e, ref, err)
			} else if !strings.Contains(err.Error(), abbrev(ref)) {
				t.Errorf("%s: error %q does not name %s", e, err, ref)
			}
		}
		for _, ref := range []string{"no-such-branch", "origin/nope", "HEAD~5", "-x", "main..HEAD"} {
			_, err := repo.Resolve(context.Background(), ref)
			var ur *UnknownRefError
			if !errors.As(err, &ur) || ur.Ref != ref {
				t.Errorf("%s: Resolve(%q) error = %v, want *UnknownRefError for it", e, ref, err)
			}
		}
	}
}

func TestMergeBaseOfUnrelatedHistories(t *testing.T) {
	r := newRepo(t)
	r.write("a", "a")
	r.commitAll("one")
	r.git("checkout", "-q", "--orphan", "other")
	r.write("b", "b")
	r.commitAll("two")
	for _, e := range engines {
		_, err := open(t, r.dir, e).MergeBase(context.Background(), "main", "other")
		var nb *NoMergeBaseError
		if !errors.As(err, &nb) {
			t.Errorf("%s: MergeBase error = %v, want *NoMergeBaseError", e, err)
		}
	}
}

func TestDefaultBase(t *testing.T) {
	src := newRepo(t)
	src.write("a", "1")
	first := src.commitAll("one")
	src.write("a", "2")
	second := src.commitAll("two")

	cases := []struct {
		name    string
		setup   func(c *repoDir)
		wantRef string
		wantSHA string
	}{
		{"origin/HEAD after a clone", func(c *repoDir) {}, "origin/HEAD", second},
		{"only origin/main (local main deleted, no origin/HEAD)", func(c *repoDir) {
			c.git("checkout", "-q", "-b", "feature", first)
			c.git("branch", "-D", "main")
			c.git("remote", "set-head", "origin", "-d")
		}, "origin/main", first},
		{"local master only", func(c *repoDir) {
			c.git("checkout", "-q", "-b", "master")
			c.git("branch", "-D", "main")
			c.git("remote", "remove", "origin")
		}, "master", second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dst := filepath.Join(t.TempDir(), "c")
			src.git("clone", "-q", "file://"+src.dir, dst)
			c := src.at(dst)
			tc.setup(c)
			for _, e := range engines {
				ref, sha, err := open(t, dst, e).DefaultBase(context.Background())
				if err != nil || ref != tc.wantRef || sha != tc.wantSHA {
					t.Errorf("%s: DefaultBase = %q, %q, %v; want %q, %q", e, ref, sha, err, tc.wantRef, tc.wantSHA)
				}
			}
		})
	}

	t.Run("none exists", func(t *testing.T) {
		r := newRepo(t)
		r.git("checkout", "-q", "-b", "trunk")
		r.write("a", "1")
		r.commitAll("one")
		for _, e := range engines {
			_, _, err := open(t, r.dir, e).DefaultBase(context.Background())
			if err == nil || !strings.Contains(err.Error(), "origin/main") || !strings.Contains(err.Error(), "git fetch") {
				t.Errorf("%s: DefaultBase error = %v, want one listing the candidates and a fix", e, err)
			}
		}
	})
}

func TestReadFile(t *testing.T) {
	r := newRepo(t)
	r.write("apps/a/Dockerfile", "FROM one\n")
	first := r.commitAll("one")
	r.write("apps/a/Dockerfile", "FROM two\n")
	r.commitAll("two")
	r.write("apps/a/Dockerfile", "FROM staged\n", "apps/a/new", "new\n")
	r.git("add", "apps/a/Dockerfile", "apps/a/new")
	r.write("apps/a/Dockerfile", "FROM unstaged\n")

	for _, e := range engines {
		repo := open(t, r.dir, e)
		for _, tc := range []struct{ rev, path, want string }{
			{first, "apps/a/Dockerfile", "FROM one\n"},
			{"HEAD", "apps/a/Dockerfile", "FROM two\n"},
			{"main~1", "/apps/a/Dockerfile", "FROM one\n"},
			{IndexRev, "apps/a/Dockerfile", "FROM staged\n"},
			{IndexRev, "apps/a/new", "new\n"},
		} {
			got, err := repo.ReadFile(context.Background(), tc.rev, tc.path)
			if err != nil || string(got) != tc.want {
				t.Errorf("%s: ReadFile(%s, %s) = %q, %v; want %q", e, tc.rev, tc.path, got, err, tc.want)
			}
		}
		for _, tc := range []struct{ rev, path string }{
			{"HEAD", "apps/a/new"},
			{"HEAD", "nope/x"},
			{IndexRev, "nope"},
			{first, "apps/a/Dockerfile/x"},
		} {
			_, err := repo.ReadFile(context.Background(), tc.rev, tc.path)
			if !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("%s: ReadFile(%s, %s) error = %v, want fs.ErrNotExist", e, tc.rev, tc.path, err)
			}
		}
		if _, err := repo.ReadFile(context.Background(), "HEAD", "apps"); err == nil || errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s: ReadFile of a directory: error = %v, want a non-ErrNotExist error", e, err)
		}
		var ur *UnknownRefError
		if _, err := repo.ReadFile(context.Background(), "nope", "apps/a/Dockerfile"); !errors.As(err, &ur) {
			t.Errorf("%s: ReadFile at unknown rev: error = %v, want *UnknownRefError", e, err)
		}
	}
}

func TestStagedChangesIgnoresUnstagedEdits(t *testing.T) {
	r := newRepo(t)
	r.write("a.txt", "1\n", "b.txt", "1\n", "c.txt", "1\n")
	r.commitAll("base")
	r.write("a.txt", "2\n", "new.txt", "n\n", "untracked.txt", "u\n")
	r.git("add", "a.txt", "new.txt")
	r.git("rm", "-q", "--cached", "c.txt")
	r.write("b.txt", "unstaged\n", "a.txt", "3 unstaged on top\n")
	assertChanges(t, stagedAll(t, r.dir), want("M a.txt", "D c.txt", "A new.txt"))
}

func TestStagedChangesWithUnbornHead(t *testing.T) {
	r := newRepo(t)
	r.write("a.txt", "1\n", "dir/b.txt", "1\n", "untracked", "u\n")
	r.git("add", "a.txt", "dir/b.txt")
	assertChanges(t, stagedAll(t, r.dir), want("A a.txt", "A dir/b.txt"))
}

func TestOddPathNamesComeThroughIntact(t *testing.T) {
	r := newRepo(t)
	odd := []string{"with space/file name.txt", "new\nline", "ünïcødé/日本.txt", "tab\there", `quote"d`, "back\\slash"}
	r.write("keep", "k")
	base := r.commitAll("base")
	for _, p := range odd {
		r.write(p, p)
	}
	var wantCs []Change
	for _, p := range odd {
		wantCs = append(wantCs, Change{Path: p, Status: Added})
	}
	wantCs = normalize(wantCs)
	assertChanges(t, changesAll(t, r.dir, base, ""), wantCs)
	head := r.commitAll("odd")
	assertChanges(t, changesAll(t, r.dir, base, head), wantCs)
	for _, e := range engines {
		got, err := open(t, r.dir, e).ReadFile(context.Background(), "HEAD", "new\nline")
		if err != nil || string(got) != "new\nline" {
			t.Errorf("%s: ReadFile(new\\nline) = %q, %v", e, got, err)
		}
	}
}

func TestTrackedSize(t *testing.T) {
	r := newRepo(t)
	r.write("apps/a/x", "12345", "apps/a/y", "1", "apps/ab/z", "123", "lib/l", "1234567890", "odd dir/new\nline", "1234")
	r.commitAll("base")
	for _, e := range engines {
		repo := open(t, r.dir, e)
		for _, tc := range []struct {
			dir   string
			files int
			size  int64
		}{
			{".", 5, 23},
			{"", 5, 23},
			{"odd dir", 1, 4},
			{"apps/a", 2, 6},
			{"apps/a/", 2, 6},
			{"apps", 3, 9},
			{"nope", 0, 0},
		} {
			files, size, err := repo.TrackedSize(context.Background(), tc.dir)
			if err != nil || files != tc.files || size != tc.size {
				t.Errorf("%s: TrackedSize(%q) = %d, %d, %v; want %d, %d", e, tc.dir, files, size, err, tc.files, tc.size)
			}
		}
	}
}

func TestHookEnvironment(t *testing.T) {
	r := newRepo(t)
	r.write("a.txt", "1\n", "sub/b.txt", "1\n")
	r.commitAll("base")
	r.write("a.txt", "2\n", "sub/b.txt", "2\n")
	r.git("add", "a.txt")

	// Hooks run with GIT_DIR relative to the root; Open must still find
	// the repository from a subdirectory.
	t.Setenv("GIT_DIR", ".git")
	t.Setenv("GIT_WORK_TREE", ".")
	assertChanges(t, stagedAll(t, filepath.Join(r.dir, "sub")), want("M a.txt"))

	// "git commit PATH" runs pre-commit with GIT_INDEX_FILE set to a
	// temporary index: both engines read that index.
	alt := filepath.Join(t.TempDir(), "index.alt")
	if err := os.WriteFile(alt, mustRead(t, filepath.Join(r.dir, ".git", "index")), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GIT_INDEX_FILE", alt)
	r.git("add", "sub/b.txt")
	assertChanges(t, stagedAll(t, r.dir), want("M a.txt", "M sub/b.txt"))
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestNestedRepositoryIsOneUntrackedPath(t *testing.T) {
	r := newRepo(t)
	r.write("a.txt", "1\n")
	base := r.commitAll("base")
	nested := newRepo(t)
	nested.write("inner.txt", "i\n")
	nested.commitAll("inner")
	r.git("clone", "-q", nested.dir, "vendor/nested")
	assertChanges(t, changesAll(t, r.dir, base, ""), want("A vendor/nested"))
}

func TestMergeConflictStateEnginesAgree(t *testing.T) {
	r := newRepo(t)
	r.write("c.txt", "base\n", "other.txt", "o\n")
	base := r.commitAll("base")
	r.git("checkout", "-q", "-b", "side")
	r.write("c.txt", "side\n")
	r.commitAll("side")
	r.git("checkout", "-q", "main")
	r.write("c.txt", "main\n", "other.txt", "o2\n")
	r.commitAll("main")
	cmd := exec.Command("git", "merge", "-q", "side")
	cmd.Dir = r.dir
	if err := cmd.Run(); err == nil {
		t.Fatal("merge succeeded, want a conflict (fixture)")
	}
	assertChanges(t, changesAll(t, r.dir, base, ""), want("M c.txt", "M other.txt"))
	assertChanges(t, stagedAll(t, r.dir), want("M c.txt"))
}

// Prime resolves refs together, and Resolve then answers them as git did then (without asking git
// again: a commit made since does not move a primed HEAD); a ref that names no single commit
// primes nothing, and Resolve says why as it would have.
func TestPrimeAnswersResolveAsGitDid(t *testing.T) {
	r := newRepo(t)
	r.write("a", "a")
	first := r.commitAll("one")
	r.write("a", "b")
	second := r.commitAll("two")
	ctx := context.Background()
	for _, e := range engines {
		repo := open(t, r.dir, e)
		repo.Prime(ctx, "HEAD", "HEAD~1")
		h, err1 := repo.Resolve(ctx, "HEAD")
		b, err2 := repo.Resolve(ctx, "HEAD~1")
		if err1 != nil || err2 != nil || h != second || b != first {
			t.Fatalf("%s: HEAD %s %v, HEAD~1 %s %v; want %s, %s", e, h, err1, b, err2, second, first)
		}
		for _, refs := range [][]string{{"HEAD", "no-such-branch"}, {"HEAD", "HEAD~1..HEAD"}, {"HEAD", "-x"}, {"HEAD", "HEAD~5"}} {
			fresh := open(t, r.dir, e)
			fresh.Prime(ctx, refs...)
			_, err := fresh.Resolve(ctx, refs[1])
			_, want := open(t, r.dir, e).Resolve(ctx, refs[1])
			if err == nil || want == nil || err.Error() != want.Error() {
				t.Errorf("%s: Prime%q then Resolve(%q): %v; want %v", e, refs, refs[1], err, want)
			}
		}
	}
	repo := open(t, r.dir, "git")
	repo.Prime(ctx, "HEAD", "HEAD~1")
	r.write("a", "c")
	r.commitAll("three")
	if h, err := repo.Resolve(ctx, "HEAD"); err != nil || h != second {
		t.Errorf("a primed HEAD after a commit: %s, %v; want the primed %s", h, err, second)
	}
}
