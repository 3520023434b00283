package hook_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/monoctx/monoctx/hook"
	"github.com/monoctx/monoctx/internal/gittest"
)

// Environment variables that turn the test binary into a stand-in for the
// monoctx binary, so installed hooks can run a real executable.
const (
	envFakeLog   = "MONOCTX_FAKE_LOG"   // append one JSON call record here
	envFakeStage = "MONOCTX_FAKE_STAGE" // write and stage this path (fix mode)
	envFakeExit  = "MONOCTX_FAKE_EXIT"  // exit with this status
	envOrderLog  = "HOOK_ORDER_LOG"     // append "monoctx" here
)

// call is what the fake monoctx records about one run.
type call struct {
	Args   []string `json:"args"`
	Stdin  string   `json:"stdin"`
	Dir    string   `json:"dir"`
	Staged []string `json:"staged"`
}

func TestMain(m *testing.M) {
	if log := os.Getenv(envFakeLog); log != "" {
		os.Exit(fakeMonoctx(log))
	}
	// Isolate git from the machine's configuration and from any hook this
	// test binary may itself run under.
	if err := gittest.Isolate(); err != nil {
		panic(err)
	}
	os.Exit(m.Run())
}

// fakeMonoctx plays `monoctx hook run`: it records its call, and stages a
// regenerated file the way the real fix mode does, through this package.
func fakeMonoctx(log string) int {
	ctx := context.Background()
	stdin, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fake monoctx:", err)
		return 2
	}
	wd, err := os.Getwd()
	if err != nil {
		fmt.Fprintln(os.Stderr, "fake monoctx:", err)
		return 2
	}
	c := call{Args: os.Args[1:], Stdin: string(stdin), Dir: wd}
	if len(c.Args) > 2 && c.Args[2] == hook.PreCommit {
		if c.Staged, err = hook.StagedPaths(ctx, "."); err != nil {
			fmt.Fprintln(os.Stderr, "fake monoctx:", err)
			return 2
		}
	}
	if p := os.Getenv(envFakeStage); p != "" {
		if err := os.WriteFile(p, []byte("# generated\n"), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "fake monoctx:", err)
			return 2
		}
		if err := hook.StageFiles(ctx, ".", []string{p}); err != nil {
			fmt.Fprintln(os.Stderr, "fake monoctx:", err)
			return 2
		}
	}
	rec, err := json.Marshal(c)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fake monoctx:", err)
		return 2
	}
	if err := appendFile(log, string(rec)+"\n"); err != nil {
		fmt.Fprintln(os.Stderr, "fake monoctx:", err)
		return 2
	}
	if p := os.Getenv(envOrderLog); p != "" {
		if err := appendFile(p, "monoctx\n"); err != nil {
			fmt.Fprintln(os.Stderr, "fake monoctx:", err)
			return 2
		}
	}
	if os.Getenv(envFakeExit) != "" && os.Getenv(envFakeExit) != "0" {
		fmt.Fprintln(os.Stderr, "fake monoctx: failing as asked")
		return 1
	}
	return 0
}

func appendFile(path, s string) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	_, err = f.WriteString(s)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// self returns the path of the test binary, which acts as monoctx.
func self(t *testing.T) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return exe
}

// readCalls returns the fake monoctx calls recorded in log.
func readCalls(t *testing.T, log string) []call {
	t.Helper()
	data, err := os.ReadFile(log)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var calls []call
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var c call
		if err := json.Unmarshal([]byte(line), &c); err != nil {
			t.Fatalf("decoding call %q: %v", line, err)
		}
		calls = append(calls, c)
	}
	return calls
}

// repo is a real git repository in a temporary directory.
type repo struct {
	t   testing.TB
	dir string
}

func newRepo(t testing.TB) *repo {
	t.Helper()
	r := &repo{t: t, dir: t.TempDir()}
	r.git("-c", "init.defaultBranch=main", "init", "-q")
	return r
}

// run runs git in dir with extra environment and stdin, and returns its
// output and error without failing the test.
func run(t testing.TB, dir string, env []string, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = strings.NewReader(stdin)
	var o, e strings.Builder
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	return o.String(), e.String(), err
}

// git runs git in the repository and fails the test if it fails.
func (r *repo) git(args ...string) string {
	r.t.Helper()
	out, errOut, err := run(r.t, r.dir, nil, "", args...)
	if err != nil {
		r.t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, errOut)
	}
	return strings.TrimSpace(out)
}

func (r *repo) write(path, content string) {
	r.t.Helper()
	writeFile(r.t, filepath.Join(r.dir, path), content, 0o644)
}

func writeFile(t testing.TB, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

// commitFile writes, stages and commits one file with hooks disabled.
func (r *repo) commitFile(path, content string) {
	r.t.Helper()
	r.write(path, content)
	r.git("add", path)
	r.git("commit", "-q", "--no-verify", "-m", "add "+path)
}

func mustInstall(t *testing.T, dir string, h hook.Hook, self string) hook.Result {
	t.Helper()
	res, err := hook.Install(context.Background(), dir, h, self)
	if err != nil {
		t.Fatalf("Install(%+v): %v", h, err)
	}
	return res
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
