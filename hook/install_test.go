package hook_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/monoctx/monoctx/hook"
)

func TestInstallWritesAnExecutableScriptOnceAndIdempotently(t *testing.T) {
	t.Parallel()
	r := newRepo(t)
	h := hook.Hook{Name: hook.PreCommit}
	first := mustInstall(t, r.dir, h, "/opt/monoctx/bin/monoctx")
	want := filepath.Join(r.dir, ".git", "hooks", "pre-commit")
	if first.Path != want || !first.Changed || first.Chained != "" || first.Hook.Mode != hook.ModeFix {
		t.Fatalf("first Install = %+v, want a changed, unchained fix hook at %s", first, want)
	}
	fi, err := os.Stat(want)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o755 {
		t.Errorf("mode = %v, want 0755", fi.Mode().Perm())
	}
	before := readFile(t, want)
	if before != string(hook.Script(first.Hook, "/opt/monoctx/bin/monoctx")) {
		t.Errorf("installed bytes differ from Script")
	}
	second := mustInstall(t, r.dir, h, "/opt/monoctx/bin/monoctx")
	if second.Changed {
		t.Errorf("second Install changed the hook")
	}
	if after := readFile(t, want); after != before {
		t.Errorf("second Install rewrote the script:\n%s", after)
	}
	entries, err := os.ReadDir(filepath.Dir(want))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.Contains(e.Name(), ".monoctx-") && !strings.HasSuffix(e.Name(), ".sample") {
			t.Errorf("left behind %s", e.Name())
		}
	}
}

func TestInstallReplacesOurOwnScriptWhenTheModeChanges(t *testing.T) {
	t.Parallel()
	r := newRepo(t)
	mustInstall(t, r.dir, hook.Hook{Name: hook.PreCommit}, "")
	res := mustInstall(t, r.dir, hook.Hook{Name: hook.PreCommit, Mode: hook.ModeCheck}, "")
	if !res.Changed || res.Chained != "" {
		t.Fatalf("Install = %+v, want changed and nothing chained (our own script is not foreign)", res)
	}
	st := list(t, r.dir)[0]
	if !st.Installed || st.Hook == nil || st.Hook.Mode != hook.ModeCheck || st.Version != hook.ScriptVersion {
		t.Errorf("List()[0] = %+v, want check mode installed", st)
	}
}

func TestInstallRejectsInvalidHooks(t *testing.T) {
	t.Parallel()
	r := newRepo(t)
	for name, tc := range map[string]struct {
		h    hook.Hook
		self string
	}{
		"unknown hook":          {hook.Hook{Name: "post-merge"}, ""},
		"mode of another hook":  {hook.Hook{Name: hook.PreCommit, Mode: hook.ModeReport}, ""},
		"unknown mode":          {hook.Hook{Name: hook.PrePush, Mode: "fix"}, ""},
		"fail-on-affected only": {hook.Hook{Name: hook.PreCommit, FailOnAffected: true}, ""},
		"relative monoctx path": {hook.Hook{Name: hook.PreCommit}, "bin/monoctx"},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := hook.Install(context.Background(), r.dir, tc.h, tc.self); err == nil {
				t.Fatalf("Install(%+v, %q) succeeded", tc.h, tc.self)
			}
		})
	}
	if _, err := hook.Install(context.Background(), r.dir, hook.Hook{Name: "x"}, ""); !errors.Is(err, hook.ErrInvalidHook) {
		t.Errorf("got %v, want ErrInvalidHook", err)
	}
	if exists(filepath.Join(r.dir, ".git", "hooks", "pre-commit")) {
		t.Errorf("an invalid Install wrote a hook")
	}
}

func TestInstallOutsideARepositoryFails(t *testing.T) {
	t.Parallel()
	_, err := hook.Install(context.Background(), t.TempDir(), hook.Hook{Name: hook.PreCommit}, "")
	if !errors.Is(err, hook.ErrNotRepository) {
		t.Fatalf("got %v, want ErrNotRepository", err)
	}
}

const foreignPreCommit = "#!/bin/sh\n# someone else's hook\nprintf 'foreign %s\\n' \"$*\" >> \"$HOOK_ORDER_LOG\"\n[ -z \"$FOREIGN_FAIL\" ] || { echo 'foreign hook says no' >&2; exit 3; }\n"

func TestForeignHookIsChainedRunsFirstAndIsRestoredByteForByte(t *testing.T) {
	t.Parallel()
	r := newRepo(t)
	r.commitFile("README", "hi\n")
	path := filepath.Join(r.dir, ".git", "hooks", "pre-commit")
	writeFile(t, path, foreignPreCommit, 0o750)

	res := mustInstall(t, r.dir, hook.Hook{Name: hook.PreCommit}, self(t))
	if res.Chained != path+hook.ChainedSuffix {
		t.Fatalf("Chained = %q, want %q", res.Chained, path+hook.ChainedSuffix)
	}
	if got := readFile(t, res.Chained); got != foreignPreCommit {
		t.Fatalf("chained hook = %q, want the original", got)
	}
	again := mustInstall(t, r.dir, hook.Hook{Name: hook.PreCommit}, self(t))
	if again.Changed || again.Chained != res.Chained {
		t.Fatalf("second Install = %+v, want unchanged and still chained", again)
	}
	if st := list(t, r.dir)[0]; !st.Installed || st.Foreign || st.Chained != res.Chained {
		t.Errorf("List()[0] = %+v", st)
	}

	tmp := t.TempDir()
	log, order := filepath.Join(tmp, "calls"), filepath.Join(tmp, "order")
	env := []string{envFakeLog + "=" + log, envOrderLog + "=" + order}

	r.write("a.txt", "a\n")
	r.git("add", "a.txt")
	if _, errOut, err := run(t, r.dir, append(env, "FOREIGN_FAIL=1"), "", "commit", "-q", "-m", "refused"); err == nil {
		t.Fatalf("commit succeeded although the chained hook failed")
	} else if !strings.Contains(errOut, "foreign hook says no") {
		t.Errorf("stderr = %q, want the chained hook's message", errOut)
	}
	if calls := readCalls(t, log); len(calls) != 0 {
		t.Fatalf("monoctx ran after the chained hook failed: %+v", calls)
	}
	if _, errOut, err := run(t, r.dir, env, "", "commit", "-q", "-m", "accepted"); err != nil {
		t.Fatalf("commit: %v\n%s", err, errOut)
	}
	if got, want := readFile(t, order), "foreign \nforeign \nmonoctx\n"; got != want {
		t.Errorf("run order = %q, want %q", got, want)
	}

	if err := hook.Uninstall(context.Background(), r.dir); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, path); got != foreignPreCommit {
		t.Errorf("restored hook = %q, want the original", got)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o750 {
		t.Errorf("restored hook mode = %v (%v), want 0750", fi.Mode().Perm(), err)
	}
	if exists(path + hook.ChainedSuffix) {
		t.Errorf("chained copy left behind")
	}
}

func TestSymlinkedHookIsChainedNotWrittenThrough(t *testing.T) {
	t.Parallel()
	r := newRepo(t)
	target := filepath.Join(r.dir, "scripts", "pre-commit")
	writeFile(t, target, foreignPreCommit, 0o755)
	path := filepath.Join(r.dir, ".git", "hooks", "pre-commit")
	if err := os.Symlink("../../scripts/pre-commit", path); err != nil {
		t.Fatal(err)
	}
	mustInstall(t, r.dir, hook.Hook{Name: hook.PreCommit}, "")
	if got := readFile(t, target); got != foreignPreCommit {
		t.Fatalf("Install wrote through the symlink: target is now %q", got)
	}
	if link, err := os.Readlink(path + hook.ChainedSuffix); err != nil || link != "../../scripts/pre-commit" {
		t.Fatalf("chained = %q, %v; want the symlink", link, err)
	}
	if err := hook.Uninstall(context.Background(), r.dir, hook.PreCommit); err != nil {
		t.Fatal(err)
	}
	if link, err := os.Readlink(path); err != nil || link != "../../scripts/pre-commit" {
		t.Fatalf("restored = %q, %v; want the symlink", link, err)
	}
}

func TestInstallRefusesWhenAChainedHookIsAlreadyKept(t *testing.T) {
	t.Parallel()
	r := newRepo(t)
	path := filepath.Join(r.dir, ".git", "hooks", "pre-commit")
	writeFile(t, path+hook.ChainedSuffix, "#!/bin/sh\n# kept\n", 0o755)
	writeFile(t, path, "#!/bin/sh\n# newer foreign hook\n", 0o755)
	if _, err := hook.Install(context.Background(), r.dir, hook.Hook{Name: hook.PreCommit}, ""); err == nil {
		t.Fatal("Install succeeded and would lose a hook")
	}
	if got := readFile(t, path); got != "#!/bin/sh\n# newer foreign hook\n" {
		t.Errorf("hook changed to %q", got)
	}
	if got := readFile(t, path+hook.ChainedSuffix); got != "#!/bin/sh\n# kept\n" {
		t.Errorf("chained hook changed to %q", got)
	}
}

func TestUninstallNeverRemovesForeignHooks(t *testing.T) {
	t.Parallel()
	r := newRepo(t)
	path := filepath.Join(r.dir, ".git", "hooks", "pre-push")
	writeFile(t, path, "#!/bin/sh\nexec git lfs pre-push \"$@\"\n", 0o755)
	if err := hook.Uninstall(context.Background(), r.dir); err != nil {
		t.Fatal(err)
	}
	if !exists(path) {
		t.Fatal("Uninstall removed a foreign hook")
	}
	if st := list(t, r.dir)[1]; st.Name != hook.PrePush || !st.Foreign || st.Installed {
		t.Errorf("List()[1] = %+v, want a foreign pre-push", st)
	}
}

func TestUninstallRestoresTheOriginalWhenOurScriptWasDeletedByHand(t *testing.T) {
	t.Parallel()
	r := newRepo(t)
	path := filepath.Join(r.dir, ".git", "hooks", "pre-commit")
	writeFile(t, path, foreignPreCommit, 0o755)
	mustInstall(t, r.dir, hook.Hook{Name: hook.PreCommit}, "")
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := hook.Uninstall(context.Background(), r.dir, hook.PreCommit); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, path); got != foreignPreCommit {
		t.Errorf("got %q, want the original", got)
	}
}

func TestListReportsEveryKnownHook(t *testing.T) {
	t.Parallel()
	r := newRepo(t)
	mustInstall(t, r.dir, hook.Hook{Name: hook.PrePush, FailOnAffected: true}, "")
	got := list(t, r.dir)
	if names := []string{got[0].Name, got[1].Name}; !slices.Equal(names, hook.Names()) {
		t.Fatalf("names = %v, want %v", names, hook.Names())
	}
	if got[0].Installed || got[0].Foreign || got[0].Hook != nil {
		t.Errorf("pre-commit = %+v, want absent", got[0])
	}
	want := hook.Hook{Name: hook.PrePush, Mode: hook.ModeReport, FailOnAffected: true}
	if !got[1].Installed || got[1].Hook == nil || *got[1].Hook != want {
		t.Errorf("pre-push = %+v, want installed %+v", got[1], want)
	}
}

func TestHuskyHooksPathIsHonouredFromTheWorkTreeRoot(t *testing.T) {
	t.Parallel()
	r := newRepo(t)
	r.commitFile("sub/x", "x\n")
	r.git("config", "core.hooksPath", ".husky")
	sub := filepath.Join(r.dir, "sub")
	dir, err := hook.Dir(context.Background(), sub)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(r.dir, ".husky"); dir != want {
		t.Fatalf("Dir = %q, want %q", dir, want)
	}
	res := mustInstall(t, sub, hook.Hook{Name: hook.PreCommit}, self(t))
	if res.Path != filepath.Join(r.dir, ".husky", "pre-commit") {
		t.Fatalf("installed at %s", res.Path)
	}
	log := filepath.Join(t.TempDir(), "calls")
	writeFile(t, filepath.Join(sub, "y"), "y\n", 0o644)
	if _, errOut, err := run(t, sub, []string{envFakeLog + "=" + log}, "", "add", "y"); err != nil {
		t.Fatal(errOut)
	}
	if _, errOut, err := run(t, sub, []string{envFakeLog + "=" + log}, "", "commit", "-q", "-m", "y"); err != nil {
		t.Fatalf("commit: %v\n%s", err, errOut)
	}
	if calls := readCalls(t, log); len(calls) != 1 || !slices.Equal(calls[0].Staged, []string{"sub/y"}) {
		t.Fatalf("calls = %+v, want one seeing sub/y staged", calls)
	}
}

func TestAbsoluteHooksPathIsUsedAsIs(t *testing.T) {
	t.Parallel()
	r := newRepo(t)
	abs := filepath.Join(t.TempDir(), "hooks")
	r.git("config", "core.hooksPath", abs)
	dir, err := hook.Dir(context.Background(), r.dir)
	if err != nil || dir != abs {
		t.Fatalf("Dir = %q, %v; want %q", dir, err, abs)
	}
}

func TestLinkedWorktreeInstallsIntoTheCommonDirAndFires(t *testing.T) {
	t.Parallel()
	r := newRepo(t)
	r.commitFile("app/Dockerfile", "FROM scratch\n")
	wt := filepath.Join(t.TempDir(), "wt")
	r.git("worktree", "add", "-q", "-b", "feature", wt)

	res := mustInstall(t, wt, hook.Hook{Name: hook.PreCommit}, self(t))
	if want := filepath.Join(r.dir, ".git", "hooks", "pre-commit"); res.Path != want {
		t.Fatalf("installed at %s, want %s", res.Path, want)
	}
	log := filepath.Join(t.TempDir(), "calls")
	env := []string{envFakeLog + "=" + log, envFakeStage + "=app/.dockerignore"}
	writeFile(t, filepath.Join(wt, "app", "main.go"), "package main\n", 0o644)
	if _, errOut, err := run(t, wt, nil, "", "add", "app/main.go"); err != nil {
		t.Fatal(errOut)
	}
	if _, errOut, err := run(t, wt, env, "", "commit", "-q", "-m", "wt"); err != nil {
		t.Fatalf("commit in worktree: %v\n%s", err, errOut)
	}
	calls := readCalls(t, log)
	if len(calls) != 1 {
		t.Fatalf("calls = %+v, want 1", calls)
	}
	if resolved, _ := filepath.EvalSymlinks(wt); calls[0].Dir != wt && calls[0].Dir != resolved {
		t.Errorf("hook ran in %s, want the worktree %s", calls[0].Dir, wt)
	}
	files, _, err := run(t, wt, nil, "", "show", "--name-only", "--format=", "HEAD")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Fields(files); !slices.Equal(got, []string{"app/.dockerignore", "app/main.go"}) {
		t.Errorf("worktree commit holds %v, want the staged file and the regenerated one", got)
	}
}

func list(t *testing.T, dir string) []hook.Status {
	t.Helper()
	st, err := hook.List(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}
