package hook

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
)

// StagedPaths returns the paths, relative to the work-tree root, that the
// index changes compared with HEAD (all staged paths before the first
// commit). A rename is reported as both of its paths. It runs one git
// command and does not walk the work tree.
func StagedPaths(ctx context.Context, repoDir string) ([]string, error) {
	out, err := git(ctx, repoDir, nil, "diff", "--cached", "--name-only", "--no-renames", "-z")
	if err != nil {
		return nil, fmt.Errorf("listing staged paths: %w", err)
	}
	var paths []string
	for p := range strings.SplitSeq(string(out), "\x00") {
		if p != "" {
			paths = append(paths, p)
		}
	}
	return paths, nil
}

// ReadStaged returns the staged content of path (relative to the work-tree
// root): what the commit will hold, whatever the work tree says. A path not
// in the index yields an error wrapping fs.ErrNotExist.
func ReadStaged(ctx context.Context, repoDir, path string) ([]byte, error) {
	if strings.ContainsAny(path, "\n\x00") {
		return nil, fmt.Errorf("reading staged %q: invalid path", path)
	}
	out, err := git(ctx, repoDir, strings.NewReader(":"+path+"\n"), "cat-file", "--batch")
	if err != nil {
		return nil, fmt.Errorf("reading staged %q: %w", path, err)
	}
	header, body, _ := bytes.Cut(out, []byte("\n"))
	f := strings.Fields(string(header))
	if len(f) != 3 { // "<name> missing"
		return nil, fmt.Errorf("reading staged %q: %w", path, fs.ErrNotExist)
	}
	if f[1] != "blob" {
		return nil, fmt.Errorf("reading staged %q: it is a %s, not a file", path, f[1])
	}
	size, err := strconv.Atoi(f[2])
	if err != nil || size > len(body) {
		return nil, fmt.Errorf("reading staged %q: unexpected git cat-file header %q", path, header)
	}
	return body[:size], nil
}

// StageFiles stages the current work-tree state of paths (`git add`), taken
// literally (no glob magic) and relative to repoDir. In a pre-commit hook it
// honours GIT_INDEX_FILE, so `git commit -a` commits what it stages. With
// `git commit PATHS` git commits from a temporary index: what is staged
// there is committed, but the real index keeps the old version, so `git
// status` then shows the file as changed back (a git limitation shared by
// every hook that stages files).
func StageFiles(ctx context.Context, repoDir string, paths []string) error {
	if len(paths) == 0 {
		return nil
	}
	var in bytes.Buffer
	for _, p := range paths {
		if p == "" || strings.ContainsRune(p, 0) {
			return fmt.Errorf("staging %q: invalid path", p)
		}
		in.WriteString(p)
		in.WriteByte(0)
	}
	if _, err := git(ctx, repoDir, &in, "--literal-pathspecs", "add", "--pathspec-from-file=-", "--pathspec-file-nul"); err != nil {
		return fmt.Errorf("staging %d file(s): %w", len(paths), err)
	}
	return nil
}
