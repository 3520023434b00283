package gitchanges

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// Checkout writes the tree of rev into a new temporary directory, without touching the work tree, the
// index or the repository's list of worktrees. cleanup removes the directory. Blobs the clone lacks
// (an incomplete or partial clone) are left out and listed in missing, so that a tree is never
// refused for a file nothing may need; the caller says so. It needs the git CLI whatever the
// engine: go-git has no cheap equivalent.
func (r *Repo) Checkout(ctx context.Context, rev string) (dir string, missing []string, cleanup func(), err error) {
	bin, err := exec.LookPath("git")
	if err != nil {
		return "", nil, nil, fmt.Errorf("reading the tree of %s needs the git CLI on PATH: %w", rev, err)
	}
	tmp, err := os.MkdirTemp("", "monoctx-tree-")
	if err != nil {
		return "", nil, nil, fmt.Errorf("making a directory for the tree of %s: %w", rev, err)
	}
	cleanup = func() { os.RemoveAll(tmp) }
	tree := filepath.Join(tmp, "tree")
	if missing, err = writeTree(ctx, bin, r.root, rev, tree); err != nil {
		cleanup()
		return "", nil, nil, err
	}
	return tree, missing, cleanup, nil
}

// writeTree writes rev's tree under dir with `git ls-tree` and one `git cat-file --batch`.
// GIT_NO_LAZY_FETCH keeps a partial clone from fetching blobs one by one: a missing blob is listed.
func writeTree(ctx context.Context, bin, root, rev, dir string) ([]string, error) {
	env := append(os.Environ(), "GIT_OPTIONAL_LOCKS=0", "LC_ALL=C", "GIT_NO_LAZY_FETCH=1")
	ls := exec.CommandContext(ctx, bin, "-C", root, "ls-tree", "-r", "-z", "--full-tree", rev)
	ls.Env = env
	var stderr bytes.Buffer
	ls.Stderr = &stderr
	out, err := ls.Output()
	if err != nil {
		return nil, fmt.Errorf("git ls-tree %s: %v: %s", rev, err, strings.TrimSpace(stderr.String()))
	}
	type entry struct{ mode, sha, path string }
	var blobs []entry
	if err := os.MkdirAll(dir, 0o755); err != nil { // an empty tree writes nothing
		return nil, err
	}
	for _, rec := range strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00") {
		meta, p, ok := strings.Cut(rec, "\t")
		if !ok {
			continue
		}
		f := strings.Fields(meta)
		if len(f) != 3 {
			continue
		}
		if f[1] == "commit" { // a submodule: its directory, empty
			if err := os.MkdirAll(filepath.Join(dir, filepath.FromSlash(p)), 0o755); err != nil {
				return nil, err
			}
			continue
		}
		if f[1] == "blob" {
			blobs = append(blobs, entry{f[0], f[2], p})
		}
	}
	if len(blobs) == 0 {
		return nil, nil
	}
	cat := exec.CommandContext(ctx, bin, "-C", root, "cat-file", "--batch")
	cat.Env = env
	var in bytes.Buffer
	for _, b := range blobs {
		in.WriteString(b.sha + "\n")
	}
	cat.Stdin = &in
	stderr.Reset()
	cat.Stderr = &stderr
	stdout, err := cat.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cat.Start(); err != nil {
		return nil, fmt.Errorf("git cat-file: %w", err)
	}
	rd := bufio.NewReaderSize(stdout, 1<<16)
	var missing []string
	var werr error
	for _, b := range blobs {
		header, err := rd.ReadString('\n')
		if err != nil {
			werr = fmt.Errorf("git cat-file: reading %s: %w", b.path, err)
			break
		}
		f := strings.Fields(header)
		if len(f) == 2 && f[1] == "missing" {
			missing = append(missing, b.path)
			continue
		}
		if len(f) != 3 {
			werr = fmt.Errorf("git cat-file: unexpected %q", strings.TrimSpace(header))
			break
		}
		size, err := strconv.ParseInt(f[2], 10, 64)
		if err != nil {
			werr = fmt.Errorf("git cat-file: unexpected %q", strings.TrimSpace(header))
			break
		}
		if werr = writeBlob(dir, b.path, b.mode, io.LimitReader(rd, size)); werr != nil {
			break
		}
		if _, err := rd.Discard(1); err != nil { // the newline after the content
			werr = err
			break
		}
	}
	if werr != nil {
		_ = cat.Process.Kill()
	}
	if err := cat.Wait(); err != nil && werr == nil {
		werr = fmt.Errorf("git cat-file: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	return missing, werr
}

func writeBlob(dir, p, mode string, content io.Reader) error {
	dst := filepath.Join(dir, filepath.FromSlash(p))
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	if mode == "120000" {
		target, err := io.ReadAll(content)
		if err != nil {
			return err
		}
		return os.Symlink(string(target), dst)
	}
	perm := os.FileMode(0o644)
	if mode == "100755" {
		perm = 0o755
	}
	f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, content)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

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
