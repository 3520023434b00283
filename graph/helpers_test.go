package graph

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/monoctx/monoctx/internal/gittest"
)

// TestMain isolates every git the tests run from the user's and the system's configuration, and
// keeps compose interpolation independent of the caller's environment.
func TestMain(m *testing.M) {
	if err := gittest.Isolate("API_TAG", "BILLING_TARGET", "WEB_TARGET", "COMPOSE_FILE", "COMPOSE_PROFILES", "COMPOSE_PROJECT_NAME",
		"BUILDX_BAKE_DISABLE_VARS_ENV_LOOKUP"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	os.Exit(m.Run())
}

// symlinkPrefix marks a tree entry that is a symlink: "@->../../libs/ui".
const symlinkPrefix = "@->"

// writeTree writes files (repo-relative slash path → content) under dir. Content starting with
// symlinkPrefix makes a symlink to the rest of it. A path ending in "/" makes an empty directory.
func writeTree(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		p := filepath.Join(dir, filepath.FromSlash(n))
		if strings.HasSuffix(n, "/") {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		content := files[n]
		if dest, ok := strings.CutPrefix(content, symlinkPrefix); ok {
			if err := os.Symlink(dest, p); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// newTree writes files into a fresh temporary directory and returns it.
func newTree(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		dir = real
	}
	writeTree(t, dir, files)
	return dir
}

// mustLoad loads the graph of dir and fails the test on error.
func mustLoad(t testing.TB, dir string, opts ...Option) *Graph {
	t.Helper()
	g, err := Load(context.Background(), dir, opts...)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return g
}

// mustApp returns the named app of g.
func mustApp(t testing.TB, g *Graph, name string) *App {
	t.Helper()
	for _, a := range g.Apps {
		if a.Name == name {
			return a
		}
	}
	t.Fatalf("no app %q; apps: %v", name, appNames(g))
	return nil
}

func appNames(g *Graph) []string {
	out := make([]string, len(g.Apps))
	for i, a := range g.Apps {
		out[i] = a.Name
	}
	return out
}

// repo is a real git repository in a temporary directory.
type repo struct {
	t   testing.TB
	dir string
}

// newRepo creates a repository on branch main holding files, committed once.
func newRepo(t testing.TB, files map[string]string) *repo {
	t.Helper()
	r := &repo{t: t, dir: newTree(t, files)}
	r.git("-c", "init.defaultBranch=main", "init", "-q")
	r.git("add", "-A")
	r.git("commit", "-q", "--allow-empty", "-m", "base")
	return r
}

// git runs git in the repository and returns its standard output.
func (r *repo) git(args ...string) string {
	r.t.Helper()
	out, err := runGit(context.Background(), r.dir, args...)
	if err != nil {
		r.t.Fatal(err)
	}
	return string(out)
}

func runGit(ctx context.Context, dir string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-c", "commit.gpgsign=false", "-c", "core.quotepath=false"}, args...)...)
	cmd.Dir = dir
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("git %s: %v: %s", strings.Join(args, " "), err, stderr.String())
	}
	return out, nil
}

// head returns the commit HEAD points at.
func (r *repo) head() string { return strings.TrimSpace(r.git("rev-parse", "HEAD")) }

// edit writes files (see writeTree) and removes the paths in remove, in the work tree.
func (r *repo) edit(files map[string]string, remove ...string) {
	r.t.Helper()
	writeTree(r.t, r.dir, files)
	for _, p := range remove {
		if err := os.RemoveAll(filepath.Join(r.dir, filepath.FromSlash(p))); err != nil {
			r.t.Fatal(err)
		}
	}
}

// commit commits the whole work tree.
func (r *repo) commit(msg string) {
	r.t.Helper()
	r.git("add", "-A")
	r.git("commit", "-q", "--allow-empty", "-m", msg)
}

// changes lists the changes between base and HEAD as git reports them, renames split into a
// deletion and an addition.
func (r *repo) changes(base string) []Change {
	r.t.Helper()
	out := r.git("diff", "--name-status", "--no-renames", "-z", base, "HEAD")
	f := strings.Split(strings.TrimRight(out, "\x00"), "\x00")
	var cs []Change
	for i := 0; i+1 < len(f); i += 2 {
		st := map[string]string{"A": "added", "M": "modified", "D": "deleted", "T": "modified"}[f[i]]
		if st == "" {
			r.t.Fatalf("unexpected git status %q for %s", f[i], f[i+1])
		}
		cs = append(cs, Change{Path: f[i+1], Status: st})
	}
	return cs
}

// gitBase is a BaseReader over `git show COMMIT:path` in a real repository.
type gitBase struct {
	dir, commit string
}

func (b gitBase) ReadFile(ctx context.Context, p string) ([]byte, error) {
	// cat-file -e tells "absent at base" apart from every other failure.
	if _, err := runGit(ctx, b.dir, "cat-file", "-e", b.commit+":"+p); err != nil {
		return nil, fmt.Errorf("%s at %s: %w", p, b.commit, fs.ErrNotExist)
	}
	return runGit(ctx, b.dir, "show", b.commit+":"+p)
}

// affected loads the repository's graph at HEAD and returns what changed since base.
func (r *repo) affected(base string) []Affected {
	r.t.Helper()
	g := mustLoad(r.t, r.dir)
	got, err := g.Affected(context.Background(), r.changes(base), gitBase{dir: r.dir, commit: base})
	if err != nil {
		r.t.Fatalf("Affected: %v", err)
	}
	checkAffectedApps(r.t, got, g, r.changes(base), gitBase{dir: r.dir, commit: base})
	// With the base read beside the load (the definitions, the module diffs), as the CLI does.
	changes := r.changes(base)
	gb := gitBase{dir: r.dir, commit: base}
	pre, err := mustLoad(r.t, r.dir, WithBase(gb, func() ([]Change, error) { return changes, nil })).Affected(context.Background(), changes, gb)
	if err != nil || !reflect.DeepEqual(pre, got) {
		r.t.Fatalf("Affected with the base prefetched: %+v, %v\nwithout: %+v", pre, err, got)
	}
	return got
}

// checkAffectedApps checks AffectedApps against Affected's answer all: the same apps in the same
// order and statuses, each with one of its reasons.
func checkAffectedApps(t testing.TB, all []Affected, g *Graph, changes []Change, base BaseReader) {
	t.Helper()
	apps, err := g.AffectedApps(context.Background(), changes, base)
	if err != nil {
		t.Fatalf("AffectedApps: %v", err)
	}
	if len(apps) != len(all) {
		t.Fatalf("AffectedApps: %q; Affected: %q", summary(apps), summary(all))
	}
	for i, a := range apps {
		b := all[i]
		if a.Name != b.Name || a.Status != b.Status || a.Dockerfile != b.Dockerfile || a.Context != b.Context {
			t.Fatalf("AffectedApps[%d] = %+v; Affected has %+v", i, a, b)
		}
		if len(a.Reasons) != 1 || !slices.Contains(b.Reasons, a.Reasons[0]) {
			t.Errorf("AffectedApps: %s has reasons %+v; want one of %+v", a.Name, a.Reasons, b.Reasons)
		}
	}
}

// summary renders affected apps as "name:status" in order, for compact comparisons.
func summary(as []Affected) []string {
	out := []string{}
	for _, a := range as {
		out = append(out, a.Name+":"+a.Status)
	}
	return out
}

// asParseError unwraps err to a *ParseError or fails.
func asParseError(t testing.TB, err error) *ParseError {
	t.Helper()
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("got error %v (%T), want a *ParseError", err, err)
	}
	return pe
}
