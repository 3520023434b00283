package gitchanges

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Checkout writes the tree of rev into a new temporary directory, without touching the work tree, the
// index or the repository's list of worktrees (it uses a private index file). cleanup removes the
// directory. It needs the git CLI whatever the engine: go-git has no cheap equivalent.
func (r *Repo) Checkout(ctx context.Context, rev string) (dir string, cleanup func(), err error) {
	bin, err := exec.LookPath("git")
	if err != nil {
		return "", nil, fmt.Errorf("reading the tree of %s needs the git CLI on PATH: %w", rev, err)
	}
	tmp, err := os.MkdirTemp("", "monoctx-tree-")
	if err != nil {
		return "", nil, fmt.Errorf("making a directory for the tree of %s: %w", rev, err)
	}
	cleanup = func() { os.RemoveAll(tmp) }
	tree := filepath.Join(tmp, "tree")
	env := append(os.Environ(), "GIT_INDEX_FILE="+filepath.Join(tmp, "index"), "GIT_OPTIONAL_LOCKS=0", "LC_ALL=C")
	for _, args := range [][]string{
		{"read-tree", rev},
		{"checkout-index", "--all", "--force", "--prefix=" + tree + string(filepath.Separator)},
	} {
		cmd := exec.CommandContext(ctx, bin, append([]string{"-C", r.root}, args...)...)
		cmd.Env = env
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			cleanup()
			return "", nil, fmt.Errorf("git %s: %v: %s", args[0], err, strings.TrimSpace(stderr.String()))
		}
	}
	if err := os.MkdirAll(tree, 0o755); err != nil { // an empty tree writes nothing
		cleanup()
		return "", nil, err
	}
	return tree, cleanup, nil
}
