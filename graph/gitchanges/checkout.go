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

// CheckoutIndex writes the index (the staged content) into a new temporary directory, for a pre-commit
// hook that must see only what is staged. The index itself is read, never written.
func (r *Repo) CheckoutIndex(ctx context.Context) (dir string, cleanup func(), err error) {
	bin, err := exec.LookPath("git")
	if err != nil {
		return "", nil, fmt.Errorf("reading the index needs the git CLI on PATH: %w", err)
	}
	tmp, err := os.MkdirTemp("", "monoctx-index-")
	if err != nil {
		return "", nil, fmt.Errorf("making a directory for the index: %w", err)
	}
	cleanup = func() { os.RemoveAll(tmp) }
	tree := filepath.Join(tmp, "tree")
	cmd := exec.CommandContext(ctx, bin, "-C", r.root, "checkout-index", "--all", "--force", "--prefix="+tree+string(filepath.Separator))
	cmd.Env = append(os.Environ(), "GIT_OPTIONAL_LOCKS=0", "LC_ALL=C")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		cleanup()
		return "", nil, fmt.Errorf("git checkout-index: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	if err := os.MkdirAll(tree, 0o755); err != nil {
		cleanup()
		return "", nil, err
	}
	return tree, cleanup, nil
}

// UnstagedChanges lists work-tree edits not yet staged (index vs work tree, tracked files only).
func (r *Repo) UnstagedChanges(ctx context.Context) ([]Change, error) {
	bin, err := exec.LookPath("git")
	if err != nil {
		return nil, fmt.Errorf("listing unstaged changes needs the git CLI on PATH: %w", err)
	}
	cmd := exec.CommandContext(ctx, bin, "-C", r.root, "-c", "core.quotepath=off", "diff", "--name-status", "--no-renames", "-z")
	cmd.Env = append(os.Environ(), "GIT_OPTIONAL_LOCKS=0", "LC_ALL=C")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("git diff: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	var cs []Change
	fields := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
	for i := 0; i+1 < len(fields); i += 2 {
		st := Modified
		switch fields[i] {
		case "A":
			st = Added
		case "D":
			st = Deleted
		}
		cs = append(cs, Change{Path: fields[i+1], Status: st})
	}
	return cs, nil
}
