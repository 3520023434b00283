package hook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
)

// ErrNotRepository is wrapped by the errors of calls made outside a git
// repository.
var ErrNotRepository = errors.New("not a git repository")

// git runs the git CLI in dir and returns its standard output.
func git(ctx context.Context, dir string, stdin io.Reader, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...)
	cmd.Stdin = stdin
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		name := "git"
		for _, a := range args {
			if !strings.HasPrefix(a, "-") {
				name += " " + a
				break
			}
		}
		msg := strings.TrimSpace(stderr.String())
		if strings.Contains(msg, "not a git repository") {
			return nil, notRepository(dir)
		}
		if msg != "" {
			return nil, fmt.Errorf("%s: %w: %s", name, err, msg)
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return stdout.Bytes(), nil
}

// notRepository is ErrNotRepository for a directory, with the fix.
type notRepository string

func (e notRepository) Error() string {
	return string(e) + ` is not inside a git work tree; run monoctx in a git checkout (or "git init" first)`
}

func (e notRepository) Is(target error) bool { return target == ErrNotRepository }

// exitCode returns the exit status of a failed git run, or -1.
func exitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	return -1
}

// Dir returns the absolute path of the directory git runs hooks from for the
// repository at repoDir: core.hooksPath when set (made absolute from the root
// of the work tree, or from the git dir in a bare repository, as git does),
// otherwise the "hooks" directory of the common git dir, shared by every
// linked worktree. The directory may not exist yet.
func Dir(ctx context.Context, repoDir string) (string, error) {
	out, err := git(ctx, repoDir, nil, "rev-parse", "--path-format=absolute", "--git-common-dir", "--absolute-git-dir", "--is-bare-repository")
	if err != nil {
		return "", fmt.Errorf("finding the git dir: %w", err)
	}
	f := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(f) != 3 {
		return "", fmt.Errorf("finding the git dir: unexpected git rev-parse output %q", out)
	}
	commonDir, gitDir, bare := f[0], f[1], f[2] == "true"

	out, err = git(ctx, repoDir, nil, "config", "--type=path", "--get", "core.hooksPath")
	if err != nil && exitCode(err) != 1 { // 1: not set
		return "", fmt.Errorf("reading core.hooksPath: %w", err)
	}
	hooksPath := strings.TrimRight(string(out), "\n")
	switch {
	case hooksPath == "":
		return filepath.Join(commonDir, "hooks"), nil
	case filepath.IsAbs(hooksPath):
		return filepath.Clean(hooksPath), nil
	case bare:
		return filepath.Join(gitDir, hooksPath), nil
	}
	out, err = git(ctx, repoDir, nil, "rev-parse", "--show-toplevel")
	if err != nil {
		return "", fmt.Errorf("finding the work tree for core.hooksPath %q: %w", hooksPath, err)
	}
	return filepath.Join(strings.TrimRight(string(out), "\n"), hooksPath), nil
}
