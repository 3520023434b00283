package packaging

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/monoctx/monoctx/internal/gittest"
)

// root is the repository root: the files under test are its action.yml, scripts and README.
var root = func() string {
	dir, err := filepath.Abs("../..")
	if err != nil {
		panic(err)
	}
	return dir
}()

func TestMain(m *testing.M) {
	if err := gittest.Isolate(); err != nil {
		panic(err)
	}
	code := m.Run()
	// The release and the binary some tests share (see sharedRelease, monoctxOnPath).
	for _, dir := range []string{releaseDir, monoctxDir} {
		if dir != "" {
			os.RemoveAll(dir)
		}
	}
	os.Exit(code)
}

// need returns the path of tool. A missing tool skips the test, unless CI=true or required (a
// make target that installs the tool says so), where it fails.
func need(t *testing.T, tool string, required bool, how string) string {
	t.Helper()
	p, err := exec.LookPath(tool)
	if err == nil {
		return p
	}
	if required || os.Getenv("CI") == "true" {
		t.Fatalf("%s is not installed (%s)", tool, how)
	}
	t.Skipf("%s is not installed (%s)", tool, how)
	return ""
}

// run runs name with args in dir with extra environment and returns stdout; stderr goes into
// the error.
func run(t *testing.T, dir string, env []string, name string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil {
		return stdout.String(), &runErr{err: err, stderr: stderr.String(), stdout: stdout.String()}
	}
	return stdout.String(), nil
}

type runErr struct {
	err            error
	stdout, stderr string
}

func (e *runErr) Error() string {
	return e.err.Error() + "\nstdout:\n" + e.stdout + "\nstderr:\n" + e.stderr
}

func mustRun(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	out, err := run(t, dir, env, name, args...)
	if err != nil {
		t.Fatalf("%s %s: %v", name, strings.Join(args, " "), err)
	}
	return out
}

// writeFiles writes name → content under dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// gitRepo makes dir a git repository on main with files committed, and returns the commit.
func gitRepo(t *testing.T, dir string, files map[string]string) string {
	t.Helper()
	writeFiles(t, dir, files)
	mustRun(t, dir, nil, "git", "init", "-q", "-b", "main")
	return commitAll(t, dir, "initial")
}

func commitAll(t *testing.T, dir, msg string) string {
	t.Helper()
	mustRun(t, dir, nil, "git", "add", "-A")
	mustRun(t, dir, nil, "git", "commit", "-q", "-m", msg)
	return strings.TrimSpace(mustRun(t, dir, nil, "git", "rev-parse", "HEAD"))
}

// hostPlatform is the release platform of this machine, as scripts/release names it.
func hostPlatform(t *testing.T) (goos, goarch string) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("the release and action scripts are bash; tested on Linux and macOS")
	}
	return runtime.GOOS, runtime.GOARCH
}
