package hook_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/monoctx/monoctx/hook"
)

func TestStagedPathsSeesOnlyTheIndex(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := newRepo(t)
	r.write("new", "n\n")
	r.git("add", "new")
	if got, err := hook.StagedPaths(ctx, r.dir); err != nil || !slices.Equal(got, []string{"new"}) {
		t.Fatalf("before the first commit: StagedPaths = %q, %v; want [new]", got, err)
	}
	r.git("commit", "-q", "--no-verify", "-m", "first")
	r.commitFile("old name", "o\n")
	r.commitFile("kept", "k\n")

	r.write("svc/a[1].txt", "literal\n")
	r.git("add", "svc/a[1].txt")
	r.git("mv", "old name", "svc/new name")
	r.write("kept", "unstaged change\n")
	r.write("untracked", "u\n")
	got, err := hook.StagedPaths(ctx, filepath.Join(r.dir, "svc"))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"old name", "svc/a[1].txt", "svc/new name"}; !slices.Equal(got, want) {
		t.Errorf("StagedPaths = %q, want %q (both paths of the rename, nothing unstaged)", got, want)
	}
}

func TestReadStagedReturnsTheIndexNotTheWorkTree(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := newRepo(t)
	r.write("app/.dockerignore", "staged\n\n")
	r.git("add", "app/.dockerignore")
	r.write("app/.dockerignore", "work tree\n")
	got, err := hook.ReadStaged(ctx, r.dir, "app/.dockerignore")
	if err != nil || string(got) != "staged\n\n" {
		t.Fatalf("ReadStaged = %q, %v; want the staged bytes", got, err)
	}
	r.write("untracked", "u\n")
	for _, p := range []string{"untracked", "nope", "app"} {
		if _, err := hook.ReadStaged(ctx, r.dir, p); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("ReadStaged(%q) error = %v, want fs.ErrNotExist", p, err)
		}
	}
}

func TestStageFilesTakesPathsLiterally(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := newRepo(t)
	r.commitFile("gone", "g\n")
	r.write("a[1].txt", "1\n")
	r.write("a1.txt", "should stay unstaged\n")
	r.write("dir with space/-x", "x\n")
	if err := os.Remove(filepath.Join(r.dir, "gone")); err != nil {
		t.Fatal(err)
	}
	if err := hook.StageFiles(ctx, r.dir, []string{"a[1].txt", "dir with space/-x", "gone"}); err != nil {
		t.Fatal(err)
	}
	got := strings.Split(strings.ReplaceAll(r.git("status", "--porcelain"), `"`, ""), "\n")
	slices.Sort(got)
	if want := []string{"?? a1.txt", "A  a[1].txt", "A  dir with space/-x", "D  gone"}; !slices.Equal(got, want) {
		t.Errorf("status = %q, want %q", got, want)
	}
	if err := hook.StageFiles(ctx, r.dir, nil); err != nil {
		t.Errorf("StageFiles(nil) = %v", err)
	}
	if err := hook.StageFiles(ctx, r.dir, []string{"missing"}); err == nil {
		t.Error("staging a path that matches nothing succeeded")
	}
}

// BenchmarkPreCommitOnALargeIndex measures what a pre-commit hook costs on our side with one
// unrelated staged change in a 200,000-file commit (no work tree: an index-to-HEAD comparison does
// not need one): finding the hooks directory and the staged paths. The budget for the whole hook is
// 300 ms; the README has the figure for the real `monoctx hook run pre-commit`.
func BenchmarkPreCommitOnALargeIndex(b *testing.B) {
	ctx := context.Background()
	r := newRepo(b)
	var stream strings.Builder
	stream.WriteString("blob\nmark :1\ndata 2\nx\n\ncommit refs/heads/main\ncommitter T <t@example.com> 0 +0000\ndata 3\nbig\n")
	for i := range 200_000 {
		fmt.Fprintf(&stream, "M 100644 :1 apps/a%03d/pkg%02d/f%05d.go\n", i%500, i%37, i)
	}
	stream.WriteString("\n")
	if _, errOut, err := run(b, r.dir, nil, stream.String(), "fast-import", "--quiet"); err != nil {
		b.Fatal(errOut)
	}
	r.git("read-tree", "main")
	r.write("docs/unrelated.md", "x\n")
	r.git("add", "docs/unrelated.md")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := hook.Dir(ctx, r.dir); err != nil {
			b.Fatal(err)
		}
		got, err := hook.StagedPaths(ctx, r.dir)
		if err != nil || !slices.Equal(got, []string{"docs/unrelated.md"}) {
			b.Fatalf("StagedPaths = %q, %v", got, err)
		}
	}
}
