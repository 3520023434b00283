package packaging

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPreCommitTryRepoRunsTheHooks runs the repository's .pre-commit-hooks.yaml with the pre-commit
// framework (`pre-commit try-repo`, which builds monoctx with its golang language) on a fixture
// monorepo: the check hook refuses a staged Dockerfile edit that makes the generated ignore file
// stale, the fix hook regenerates and stages it, and the pre-push hook names the affected app.
func TestPreCommitTryRepoRunsTheHooks(t *testing.T) {
	hostPlatform(t)
	precommit := need(t, "pre-commit", false, "scripts/with-dockerd installs Debian's pre-commit")
	path := monoctxOnPath(t)
	goEnv := strings.Fields(mustRun(t, root, nil, "go", "env", "GOMODCACHE", "GOCACHE"))

	tmp := t.TempDir()
	home := filepath.Join(tmp, "home")
	// pre-commit runs git without GIT_* variables: the identity for its commits comes from HOME.
	writeFiles(t, home, map[string]string{".gitconfig": "[user]\n\tname = Test\n\temail = test@example.com\n"})
	env := []string{path, "HOME=" + home, "PRE_COMMIT_HOME=" + filepath.Join(tmp, "cache"),
		// The hook environment's go install shares this machine's module and build caches, and
		// -trimpath makes the compiled packages the ones the other tests built, wherever the clone is.
		"GOMODCACHE=" + goEnv[0], "GOCACHE=" + goEnv[1], "GOFLAGS=-trimpath -buildvcs=false", "CGO_ENABLED=0", "PRE_COMMIT_COLOR=never", "NO_COLOR=1"}

	repo := filepath.Join(tmp, "repo")
	files := map[string]string{}
	fixture := filepath.Join("testdata", "precommit")
	err := filepath.WalkDir(fixture, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(fixture, p)
		files[filepath.ToSlash(rel)] = string(readFile(t, p))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	writeFiles(t, repo, files)
	mustRun(t, repo, nil, "git", "init", "-q", "-b", "main")
	mustRun(t, repo, nil, filepath.Join(monoctxDir, "monoctx"), "ignore", "--write")
	first := commitAll(t, repo, "initial")
	ignoreFile := "services/api/Dockerfile.dockerignore"
	if !strings.Contains(string(readFile(t, filepath.Join(repo, ignoreFile))), "!libs/auth") {
		t.Fatalf("%s does not allow libs/auth", ignoreFile)
	}

	// The Dockerfile now also reads libs/proto: the generated file is stale.
	writeFiles(t, repo, map[string]string{
		"services/api/Dockerfile": "FROM scratch\nCOPY libs/auth/ /auth/\nCOPY libs/proto/ /proto/\nCOPY services/api/main.go /app/\n",
		"libs/proto/api.proto":    "syntax = \"proto3\";\n",
	})
	mustRun(t, repo, nil, "git", "add", "-A")

	tryRepo := func(args ...string) (string, error) {
		return run(t, repo, env, precommit, append([]string{"try-repo", root}, args...)...)
	}
	out, err := tryRepo("monoctx-ignore-check")
	if err == nil || !strings.Contains(err.Error(), ignoreFile) {
		t.Fatalf("monoctx-ignore-check on a stale ignore file: got %v (stdout %q), want a failure naming %s", err, out, ignoreFile)
	}

	if out, err := tryRepo("monoctx-ignore"); err != nil {
		t.Fatalf("monoctx-ignore: %v\n%s", err, out)
	}
	staged := mustRun(t, repo, nil, "git", "diff", "--cached", "--name-only")
	if !strings.Contains(staged, ignoreFile) {
		t.Errorf("after monoctx-ignore the staged files are %q, want %s among them", staged, ignoreFile)
	}
	if got := string(readFile(t, filepath.Join(repo, ignoreFile))); !strings.Contains(got, "!libs/proto") {
		t.Errorf("%s was not regenerated for libs/proto:\n%s", ignoreFile, got)
	}
	if out, err := tryRepo("monoctx-ignore-check"); err != nil {
		t.Fatalf("monoctx-ignore-check after the fix: %v\n%s", err, out)
	}

	second := commitAll(t, repo, "api reads libs/proto")
	out, err = tryRepo("monoctx-affected", "--hook-stage", "push", "--from-ref", first, "--to-ref", second,
		"--remote-name", "origin", "--local-branch", "refs/heads/main", "--remote-branch", "refs/heads/main")
	if err != nil {
		t.Fatalf("monoctx-affected: %v\n%s", err, out)
	}
	if !strings.Contains(out, "services/api") {
		t.Errorf("monoctx-affected printed:\n%s\nwant services/api among the affected apps", out)
	}
}
