package cmd

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/monoctx/monoctx/graph"
	"github.com/monoctx/monoctx/hook"
	"github.com/monoctx/monoctx/internal/gittest"
)

// stagedRepo is a repository with a generated apps/web/Dockerfile.dockerignore, then a staged
// change of the Dockerfile and of the context's .dockerignore (user patterns), and an unstaged
// change of both on top: the hook must follow what is staged.
func stagedRepo(t *testing.T, userPatterns string) string {
	t.Helper()
	dir := t.TempDir()
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		dir = real
	}
	write := func(kv ...string) { t.Helper(); gittest.WriteFiles(t, dir, kv...) }
	git := func(args ...string) { t.Helper(); gittest.Git(t, dir, args...) }
	write("apps/web/Dockerfile", "FROM scratch\nCOPY libs/auth/ /auth/\nCOPY apps/web/ /web/\n",
		"apps/web/index.html", "w\n", "libs/auth/a.txt", "a\n", "libs/ui/u.txt", "u\n", "docs/d.md", "d\n",
		".dockerignore", userPatterns)
	env := System()
	env.Getwd = func() (string, error) { return dir, nil }
	env.Out, env.Err = &bytes.Buffer{}, &bytes.Buffer{}
	git("init", "-q", "-b", "main")
	if code := ExecuteArgs(context.Background(), env, []string{"--no-cache", "ignore", "--write"}); code != 0 {
		t.Fatalf("ignore --write: exit %d: %s", code, env.Err)
	}
	git("add", "-A")
	git("commit", "-q", "-m", "init")
	write("apps/web/Dockerfile", "FROM scratch\nCOPY libs/auth/ /auth/\nCOPY libs/ui/ /ui/\nCOPY apps/web/ /web/\n",
		".dockerignore", userPatterns+"*.tmp\n")
	git("add", "-A")
	write("apps/web/Dockerfile", "FROM scratch\nCOPY libs/auth/ /auth/\nCOPY libs/ui/ /ui/\nCOPY docs/ /docs/\nCOPY apps/web/ /web/\n",
		".dockerignore", userPatterns+"*.tmp\n*.bak\n")
	return dir
}

func stagedSession(t *testing.T, dir string) (*session, *globalOptions, *Env, []graph.Change) {
	t.Helper()
	g := &globalOptions{Engine: "git", NoCache: true}
	env := System()
	env.Getwd = func() (string, error) { return dir, nil }
	env.Out, env.Err = &bytes.Buffer{}, &bytes.Buffer{}
	s, err := g.open(context.Background(), env)
	if err != nil {
		t.Fatal(err)
	}
	staged, err := s.repo.StagedChanges(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var changes []graph.Change
	for _, c := range staged {
		changes = append(changes, graph.Change{Path: c.Path, Status: string(c.Status)})
	}
	return s, g, env, changes
}

// The pre-commit hook reads what is staged through a view of git's index: the plans are those of a
// checkout of the index, follow the staged Dockerfile and user patterns, not the unstaged ones.
func TestPreCommitPlansFromTheIndexAreTheCheckoutsOnes(t *testing.T) {
	dir := stagedRepo(t, "*.log\n")
	ctx := context.Background()
	plan := func(checkout bool) string {
		t.Helper()
		s, g, env, changes := stagedSession(t, dir)
		plans, err := preCommitPlans(ctx, env, g, s, changes, true, checkout)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for _, p := range plans {
			b.WriteString("== " + p.rel + "\n")
			b.Write(p.data)
		}
		return b.String()
	}
	got, want := plan(false), plan(true)
	if got != want {
		t.Fatalf("from the index:\n%s\nfrom a checkout:\n%s", got, want)
	}
	for _, s := range []string{"== apps/web/Dockerfile.dockerignore", "!libs/ui", "*.tmp"} {
		if !strings.Contains(got, s) {
			t.Errorf("the plan lacks %q, which is staged:\n%s", s, got)
		}
	}
	for _, s := range []string{"!docs", "*.bak"} {
		if strings.Contains(got, s) {
			t.Errorf("the plan holds %q, which is not staged:\n%s", s, got)
		}
	}
}

// A wildcard exception among the user's patterns needs the staged files listed: the index's view
// says so, and the hook plans from a checkout instead, saying the graph's warnings once.
func TestPreCommitWithAWildcardExceptionListsACheckout(t *testing.T) {
	dir := stagedRepo(t, "*.log\n!**/keep-*\n")
	ctx := context.Background()
	s, g, env, changes := stagedSession(t, dir)
	if _, err := preCommitPlans(ctx, env, g, s, changes, true, false); !errors.Is(err, errStagedListing) {
		t.Fatalf("planning from the index: got %v, want errStagedListing", err)
	}
	s, g, env, _ = stagedSession(t, dir)
	err := preCommitRun(ctx, env, g, s, hook.ModeCheck)
	var exit silentExit
	if !errors.As(err, &exit) || !strings.Contains(env.Err.(*bytes.Buffer).String(), "apps/web/Dockerfile.dockerignore (app ") {
		t.Errorf("pre-commit check: got %v, stderr %s; want the stale file refused", err, env.Err)
	}
}
