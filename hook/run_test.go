package hook_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/monoctx/monoctx/hook"
)

func TestPreCommitFixStagesTheRegeneratedFileInTheCommit(t *testing.T) {
	t.Parallel()
	for name, commit := range map[string][]string{
		"staged":    {"commit", "-q", "-m", "c"},
		"commit -a": {"commit", "-q", "-a", "-m", "c"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := newRepo(t)
			r.commitFile("app/main.go", "package main\n")
			r.commitFile("other/notes", "n\n")
			mustInstall(t, r.dir, hook.Hook{Name: hook.PreCommit}, self(t))

			r.write("app/main.go", "package main // changed\n")
			r.write("other/notes", "unstaged edit\n")
			if name == "staged" {
				r.git("add", "app/main.go")
			}
			log := filepath.Join(t.TempDir(), "calls")
			env := []string{envFakeLog + "=" + log, envFakeStage + "=app/.dockerignore"}
			if _, errOut, err := run(t, r.dir, env, "", commit...); err != nil {
				t.Fatalf("commit: %v\n%s", err, errOut)
			}
			calls := readCalls(t, log)
			if len(calls) != 1 {
				t.Fatalf("calls = %+v, want 1", calls)
			}
			if want := []string{"hook", "run", "pre-commit", "--mode", "fix", "--"}; !slices.Equal(calls[0].Args, want) {
				t.Errorf("args = %q, want %q", calls[0].Args, want)
			}
			wantStaged := []string{"app/main.go"}
			if name == "commit -a" {
				wantStaged = []string{"app/main.go", "other/notes"}
			}
			if !slices.Equal(calls[0].Staged, wantStaged) {
				t.Errorf("staged = %q, want %q", calls[0].Staged, wantStaged)
			}
			files := strings.Fields(r.git("show", "--name-only", "--format=", "HEAD"))
			wantFiles := append([]string{"app/.dockerignore"}, wantStaged...)
			if !slices.Equal(files, wantFiles) {
				t.Errorf("commit holds %q, want %q", files, wantFiles)
			}
			if st := r.git("status", "--porcelain", "--", "app"); st != "" {
				t.Errorf("app not clean after commit:\n%s", st)
			}
		})
	}
}

func TestFailingMonoctxRefusesTheCommit(t *testing.T) {
	t.Parallel()
	r := newRepo(t)
	mustInstall(t, r.dir, hook.Hook{Name: hook.PreCommit, Mode: hook.ModeCheck}, self(t))
	r.write("a", "a\n")
	r.git("add", "a")
	log := filepath.Join(t.TempDir(), "calls")
	_, errOut, err := run(t, r.dir, []string{envFakeLog + "=" + log, envFakeExit + "=1"}, "", "commit", "-q", "-m", "c")
	if err == nil {
		t.Fatal("commit succeeded although monoctx failed")
	}
	if !strings.Contains(errOut, "failing as asked") {
		t.Errorf("stderr = %q, want monoctx's message passed through", errOut)
	}
	if calls := readCalls(t, log); len(calls) != 1 || calls[0].Args[4] != "check" {
		t.Errorf("calls = %+v, want one in check mode", calls)
	}
}

// foreignPrePush saves its arguments and stdin like git-lfs would read them.
const foreignPrePush = "#!/bin/sh\nprintf '%s\\n' \"$*\" > \"$FOREIGN_OUT.args\"\ncat > \"$FOREIGN_OUT.stdin\"\n"

func TestPrePushHandsTheSameStdinToTheChainedHookAndMonoctx(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	remote := t.TempDir()
	if _, errOut, err := run(t, remote, nil, "", "-c", "init.defaultBranch=main", "init", "-q", "--bare"); err != nil {
		t.Fatal(errOut)
	}
	r := newRepo(t)
	r.git("remote", "add", "origin", remote)
	r.commitFile("a", "a\n")
	r.git("push", "-q", "origin", "main")
	mainSHA := r.git("rev-parse", "main")

	writeFile(t, filepath.Join(r.dir, ".git", "hooks", "pre-push"), foreignPrePush, 0o755)
	mustInstall(t, r.dir, hook.Hook{Name: hook.PrePush}, self(t))
	tmp := t.TempDir()
	log, foreign := filepath.Join(tmp, "calls"), filepath.Join(tmp, "foreign")
	env := []string{envFakeLog + "=" + log, "FOREIGN_OUT=" + foreign}
	push := func(args ...string) call {
		t.Helper()
		if _, errOut, err := run(t, r.dir, env, "", append([]string{"push", "-q"}, args...)...); err != nil {
			t.Fatalf("git push %q: %v\n%s", args, err, errOut)
		}
		calls := readCalls(t, log)
		last := calls[len(calls)-1]
		if want := []string{"hook", "run", "pre-push", "--mode", "report", "--", "origin", remote}; !slices.Equal(last.Args, want) {
			t.Errorf("args = %q, want %q", last.Args, want)
		}
		if got := readFile(t, foreign+".stdin"); got != last.Stdin {
			t.Errorf("chained hook stdin = %q, monoctx stdin = %q", got, last.Stdin)
		}
		if got := readFile(t, foreign+".args"); got != "origin "+remote+"\n" {
			t.Errorf("chained hook args = %q", got)
		}
		return last
	}
	parse := func(c call) hook.PushedRef {
		t.Helper()
		refs, err := hook.ParsePrePush(strings.NewReader(c.Stdin))
		if err != nil || len(refs) != 1 {
			t.Fatalf("ParsePrePush(%q) = %+v, %v; want one ref", c.Stdin, refs, err)
		}
		return refs[0]
	}

	// A new branch: the remote object is all zeros; compare with the merge-base.
	r.git("switch", "-q", "-c", "feature")
	r.commitFile("b", "b\n")
	first := r.git("rev-parse", "HEAD")
	ref := parse(push("origin", "feature"))
	if want := (hook.PushedRef{LocalRef: "refs/heads/feature", LocalSHA: first, RemoteRef: "refs/heads/feature", RemoteSHA: strings.Repeat("0", 40)}); ref != want {
		t.Errorf("new branch ref = %+v, want %+v", ref, want)
	}
	if !ref.IsNew() || ref.IsDelete() {
		t.Errorf("IsNew, IsDelete = %v, %v; want true, false", ref.IsNew(), ref.IsDelete())
	}
	if base, err := hook.PushBase(ctx, r.dir, "origin", ref); err != nil || base != mainSHA {
		t.Errorf("PushBase(new branch) = %q, %v; want the merge-base %s", base, err, mainSHA)
	}

	// An update: compare with the remote's commit.
	r.commitFile("c", "c\n")
	ref = parse(push("origin", "feature"))
	if ref.IsNew() || ref.RemoteSHA != first {
		t.Errorf("update ref = %+v, want remote %s", ref, first)
	}
	if base, err := hook.PushBase(ctx, r.dir, "origin", ref); err != nil || base != first {
		t.Errorf("PushBase(update) = %q, %v; want %s", base, err, first)
	}

	// A deletion: skipped.
	ref = parse(push("origin", ":feature"))
	if !ref.IsDelete() || ref.LocalRef != "(delete)" {
		t.Errorf("delete ref = %+v", ref)
	}
	if _, err := hook.PushBase(ctx, r.dir, "origin", ref); !errors.Is(err, hook.ErrDeletedRef) {
		t.Errorf("PushBase(delete) error = %v, want ErrDeletedRef", err)
	}

	// An unrelated new branch has no base.
	r.git("switch", "-q", "--orphan", "lonely")
	r.commitFile("z", "z\n")
	ref = parse(push("origin", "lonely"))
	var nb *hook.NoBaseError
	if _, err := hook.PushBase(ctx, r.dir, "origin", ref); !errors.As(err, &nb) {
		t.Errorf("PushBase(unrelated) error = %v, want *NoBaseError", err)
	}
}

func TestFailingMonoctxRefusesThePush(t *testing.T) {
	t.Parallel()
	remote := t.TempDir()
	if _, errOut, err := run(t, remote, nil, "", "init", "-q", "--bare"); err != nil {
		t.Fatal(errOut)
	}
	r := newRepo(t)
	r.commitFile("a", "a\n")
	mustInstall(t, r.dir, hook.Hook{Name: hook.PrePush, FailOnAffected: true}, self(t))
	log := filepath.Join(t.TempDir(), "calls")
	if _, _, err := run(t, r.dir, []string{envFakeLog + "=" + log, envFakeExit + "=1"}, "", "push", "-q", remote, "main"); err == nil {
		t.Fatal("push succeeded although monoctx failed")
	}
	if calls := readCalls(t, log); len(calls) != 1 || !slices.Contains(calls[0].Args, "--fail-on-affected") {
		t.Errorf("calls = %+v, want one with --fail-on-affected", calls)
	}
	if out, _, _ := run(t, remote, nil, "", "rev-parse", "--verify", "-q", "main"); out != "" {
		t.Errorf("remote got main = %s", out)
	}
}

func TestMissingMonoctxPrintsTheFixAndFailsOnlyBlockingHooks(t *testing.T) {
	t.Parallel()
	path := "/usr/bin:/bin"
	for _, d := range filepath.SplitList(path) {
		if exists(filepath.Join(d, "monoctx")) {
			t.Skipf("monoctx is installed in %s", d)
		}
	}
	gone := filepath.Join(t.TempDir(), "it's gone", "monoctx")
	tests := []struct {
		name    string
		h       hook.Hook
		refused bool
		say     string
	}{
		{"pre-commit fix", hook.Hook{Name: hook.PreCommit}, false, "skipped; nothing was checked"},
		{"pre-commit check", hook.Hook{Name: hook.PreCommit, Mode: hook.ModeCheck}, true, "commit refused"},
		{"pre-push report", hook.Hook{Name: hook.PrePush}, false, "skipped; nothing was checked"},
		{"pre-push fail-on-affected", hook.Hook{Name: hook.PrePush, FailOnAffected: true}, true, "push refused"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := newRepo(t)
			r.commitFile("a", "a\n")
			mustInstall(t, r.dir, tc.h, gone)
			r.write("b", "b\n")
			r.git("add", "b")
			env := []string{"PATH=" + path}
			args := []string{"commit", "-q", "-m", "b"}
			if tc.h.Name == hook.PrePush {
				remote := t.TempDir()
				if _, errOut, err := run(t, remote, nil, "", "init", "-q", "--bare"); err != nil {
					t.Fatal(errOut)
				}
				r.git("commit", "-q", "--no-verify", "-m", "b")
				args = []string{"push", "-q", remote, "main"}
			}
			_, errOut, err := run(t, r.dir, env, "", args...)
			if refused := err != nil; refused != tc.refused {
				t.Fatalf("refused = %v, want %v; stderr:\n%s", refused, tc.refused, errOut)
			}
			for _, want := range []string{
				"monoctx is neither at " + gone + " nor on PATH",
				"go install github.com/monoctx/monoctx/cmd/monoctx@latest",
				"monoctx hook uninstall --hook " + tc.h.Name,
				tc.say,
			} {
				if !strings.Contains(errOut, want) {
					t.Errorf("stderr lacks %q:\n%s", want, errOut)
				}
			}
		})
	}
}

func TestScriptFindsMonoctxOnPathWhenTheInstalledOneIsGone(t *testing.T) {
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "bin with space")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(self(t), filepath.Join(bin, "monoctx")); err != nil {
		t.Fatal(err)
	}
	r := newRepo(t)
	mustInstall(t, r.dir, hook.Hook{Name: hook.PreCommit}, filepath.Join(t.TempDir(), "gone", "monoctx"))
	r.write("a", "a\n")
	r.git("add", "a")
	log := filepath.Join(t.TempDir(), "calls")
	env := []string{envFakeLog + "=" + log, "PATH=" + bin + string(filepath.ListSeparator) + os.Getenv("PATH")}
	if _, errOut, err := run(t, r.dir, env, "", "commit", "-q", "-m", "a"); err != nil {
		t.Fatalf("commit: %v\n%s", err, errOut)
	}
	if calls := readCalls(t, log); len(calls) != 1 {
		t.Fatalf("calls = %+v, want monoctx found on PATH", calls)
	}
}

func TestScriptsAreValidPOSIXShell(t *testing.T) {
	t.Parallel()
	for _, h := range []hook.Hook{
		{Name: hook.PreCommit},
		{Name: hook.PreCommit, Mode: hook.ModeCheck},
		{Name: hook.PrePush},
		{Name: hook.PrePush, FailOnAffected: true},
		{Name: "post-merge"},
	} {
		for _, self := range []string{"", "/opt/monoctx", "/it's \"quoted\" $HOME `x`/monoctx"} {
			script := hook.Script(h, self)
			if !strings.HasPrefix(string(script), "#!/bin/sh\n") {
				t.Errorf("Script(%+v) lacks the shebang", h)
			}
			for _, sh := range []string{"sh", "dash", "bash"} {
				if _, err := exec.LookPath(sh); err != nil {
					continue
				}
				cmd := exec.Command(sh, "-n")
				cmd.Stdin = strings.NewReader(string(script))
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Errorf("%s -n rejects Script(%+v, %q): %v\n%s\n%s", sh, h, self, err, out, script)
				}
			}
		}
	}
}
