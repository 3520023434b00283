package gitchanges_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/monoctx/monoctx/graph/gitchanges"
)

// exampleRepo builds a small repository for the examples: one commit with
// apps/a and apps/b, then apps/a moved to apps/c in the work tree.
func exampleRepo() (dir string, cleanup func(), err error) {
	dir, err = os.MkdirTemp("", "gitchanges-example")
	if err != nil {
		return "", nil, err
	}
	cleanup = func() {
		if err := os.RemoveAll(dir); err != nil {
			fmt.Println(err)
		}
	}
	run := func(args ...string) error {
		cmd := exec.Command("git", append([]string{"-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false"}, args...)...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL="+os.DevNull, "GIT_CONFIG_NOSYSTEM=1",
			"GIT_AUTHOR_NAME=x", "GIT_AUTHOR_EMAIL=x@example.com", "GIT_COMMITTER_NAME=x", "GIT_COMMITTER_EMAIL=x@example.com")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("git %v: %w: %s", args, err, out)
		}
		return nil
	}
	for _, f := range []string{"apps/a/main.go", "apps/b/main.go"} {
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(f)), 0o755); err != nil {
			return "", cleanup, err
		}
		if err := os.WriteFile(filepath.Join(dir, f), []byte("package main\n"), 0o644); err != nil {
			return "", cleanup, err
		}
	}
	for _, args := range [][]string{{"init", "-q"}, {"add", "."}, {"commit", "-q", "-m", "base"}, {"mv", "apps/a", "apps/c"}} {
		if err := run(args...); err != nil {
			return "", cleanup, err
		}
	}
	return dir, cleanup, nil
}

func ExampleRepo_Changes() {
	dir, cleanup, err := exampleRepo()
	if cleanup != nil {
		defer cleanup()
	}
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	repo, err := gitchanges.Open(ctx, filepath.Join(dir, "apps", "b"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer func() {
		if err := repo.Close(); err != nil {
			fmt.Println(err)
		}
	}()

	// "" compares with the work tree; a move is a deletion plus an addition.
	changes, err := repo.Changes(ctx, "HEAD", "")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range changes {
		fmt.Println(c.Status, c.Path)
	}
	// Output:
	// deleted apps/a/main.go
	// added apps/c/main.go
}

func ExampleMissingBaseError() {
	dir, cleanup, err := exampleRepo()
	if cleanup != nil {
		defer cleanup()
	}
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	repo, err := gitchanges.Open(ctx, dir)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer func() {
		if err := repo.Close(); err != nil {
			fmt.Println(err)
		}
	}()

	// CI systems pass the all-zero SHA as "before" for a new branch.
	_, err = repo.Changes(ctx, "0000000000000000000000000000000000000000", "HEAD")
	var missing *gitchanges.MissingBaseError
	if errors.As(err, &missing) {
		fmt.Println("fall back to all apps:", err)
	}
	// Output:
	// fall back to all apps: base commit 000000000000 is the all-zero hash (a new branch or a push with no previous commit), so there is nothing to compare with; pass a real base ref, or --on-missing-base=all
}
