package gitchanges

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/monoctx/monoctx/internal/gittest"
)

// TestMain isolates every git the tests run (directly or through the git
// engine) from the user's and the system's configuration.
func TestMain(m *testing.M) {
	if err := gittest.Isolate(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	os.Exit(m.Run())
}

// engines are the implementations every behaviour test runs against.
var engines = []string{EngineGit, EngineGoGit}

// repoDir is a real git repository on disk for a test.
type repoDir struct {
	t   testing.TB
	dir string
}

// newRepo creates an empty repository on branch main in a temporary dir.
func newRepo(t testing.TB) *repoDir {
	t.Helper()
	dir := t.TempDir()
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		dir = real
	}
	r := &repoDir{t: t, dir: dir}
	r.git("-c", "init.defaultBranch=main", "init", "-q")
	r.git("config", "commit.gpgsign", "false")
	return r
}

// at returns a repoDir for another directory (a clone, a worktree).
func (r *repoDir) at(dir string) *repoDir { return &repoDir{t: r.t, dir: dir} }

// git runs git in the repository and returns its trimmed standard output.
func (r *repoDir) git(args ...string) string {
	r.t.Helper()
	return strings.TrimRight(r.gitRaw(args...), "\n")
}

// gitRaw runs git in the repository and returns its standard output.
func (r *repoDir) gitRaw(args ...string) string {
	r.t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main"}, args...)...)
	cmd.Dir = r.dir
	out, err := cmd.Output()
	if err != nil {
		stderr := ""
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		r.t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, stderr)
	}
	return string(out)
}

// write creates or replaces files: path, content, path, content...
func (r *repoDir) write(pairs ...string) {
	r.t.Helper()
	for i := 0; i < len(pairs); i += 2 {
		p := filepath.Join(r.dir, filepath.FromSlash(pairs[i]))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			r.t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(pairs[i+1]), 0o644); err != nil {
			r.t.Fatal(err)
		}
	}
}

// remove deletes files or directories from the work tree.
func (r *repoDir) remove(paths ...string) {
	r.t.Helper()
	for _, p := range paths {
		if err := os.RemoveAll(filepath.Join(r.dir, filepath.FromSlash(p))); err != nil {
			r.t.Fatal(err)
		}
	}
}

// commitAll stages everything and commits; it returns the new HEAD.
func (r *repoDir) commitAll(msg string) string {
	r.t.Helper()
	r.git("add", "-A")
	r.git("commit", "-q", "--allow-empty", "-m", msg)
	return r.git("rev-parse", "HEAD")
}

// open opens dir with engine, failing the test on error.
func open(t testing.TB, dir, engine string) *Repo {
	t.Helper()
	r, err := Open(context.Background(), dir, WithEngine(engine))
	if err != nil {
		t.Fatalf("Open(%s, %s): %v", dir, engine, err)
	}
	t.Cleanup(func() {
		if err := r.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	if got := r.Engine(); got != engine {
		t.Fatalf("Engine() = %q, want %q", got, engine)
	}
	return r
}

// changesAll runs Changes with every engine, asserts they agree and returns
// the common answer.
func changesAll(t *testing.T, dir, base, head string) []Change {
	t.Helper()
	var first []Change
	for i, e := range engines {
		got, err := open(t, dir, e).Changes(context.Background(), base, head)
		if err != nil {
			t.Fatalf("%s: Changes(%q, %q): %v", e, base, head, err)
		}
		if i == 0 {
			first = got
			continue
		}
		if !reflect.DeepEqual(got, first) {
			t.Fatalf("engines disagree on Changes(%q, %q):\n%s: %v\n%s: %v", base, head, engines[0], first, e, got)
		}
	}
	return first
}

// stagedAll runs StagedChanges with every engine, asserts they agree and
// returns the common answer.
func stagedAll(t *testing.T, dir string) []Change {
	t.Helper()
	var first []Change
	for i, e := range engines {
		got, err := open(t, dir, e).StagedChanges(context.Background())
		if err != nil {
			t.Fatalf("%s: StagedChanges: %v", e, err)
		}
		if i == 0 {
			first = got
			continue
		}
		if !reflect.DeepEqual(got, first) {
			t.Fatalf("engines disagree on StagedChanges:\n%s: %v\n%s: %v", engines[0], first, e, got)
		}
	}
	return first
}

// want builds an expected change list from "status path" shorthand:
// "A path", "M path", "D path".
func want(rows ...string) []Change {
	cs := []Change{}
	for _, r := range rows {
		st, p, _ := strings.Cut(r, " ")
		s := map[string]Status{"A": Added, "M": Modified, "D": Deleted}[st]
		cs = append(cs, Change{Path: p, Status: s})
	}
	return cs
}

// assertChanges compares change lists.
func assertChanges(t *testing.T, got, want []Change) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q,\nwant %q", got, want)
	}
}
