package gitchanges

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/format/gitignore"
	"github.com/go-git/go-git/v5/plumbing/format/index"
)

// diffWorkTree compares the tree of base with the work tree. Tracked files
// are read through the index's stat data: a file whose size and mtime match
// its index entry (and is not racily clean) has the entry's object name;
// only the others are hashed. Untracked files are found by a walk that
// applies .gitignore, info/exclude and core.excludesFile and does not
// descend into ignored directories.
func (g *goGitEngine) diffWorkTree(ctx context.Context, base string) ([]Change, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	t, err := g.tree(base)
	if err != nil {
		return nil, err
	}
	baseFiles, err := flatten(ctx, t)
	if err != nil {
		return nil, fmt.Errorf("reading the tree of %s: %w", base, err)
	}
	idx, idxTime, err := readIndex(g.root, g.gitDir)
	if err != nil {
		return nil, err
	}
	trustMode := true
	if cfg, err := g.repo.Config(); err == nil && cfg.Raw.Section("core").Option("filemode") == "false" {
		trustMode = false
	}

	var cs []Change
	tracked := make(map[string]filemode.FileMode, len(idx.Entries))
	for _, e := range idx.Entries {
		if _, ok := tracked[e.Name]; ok {
			continue // further stages of a conflicted path
		}
		tracked[e.Name] = e.Mode
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		wt, present, err := g.workTreeEntry(ctx, e, idxTime, trustMode)
		if err != nil {
			return nil, err
		}
		b, inBase := baseFiles[e.Name]
		switch {
		case !present && inBase:
			cs = append(cs, Change{Path: e.Name, Status: Deleted})
		case present && !inBase:
			cs = append(cs, Change{Path: e.Name, Status: Added})
		case present && (b.hash != wt.hash || b.mode != wt.mode):
			cs = append(cs, Change{Path: e.Name, Status: Modified})
		}
	}
	for p := range baseFiles {
		if _, ok := tracked[p]; !ok {
			cs = append(cs, Change{Path: p, Status: Deleted})
		}
	}
	untracked, err := g.untracked(ctx, tracked)
	if err != nil {
		return nil, fmt.Errorf("listing untracked files: %w", err)
	}
	for _, p := range untracked {
		// In base but no longer in the index: exists on both sides.
		if _, ok := baseFiles[p]; ok {
			cs = append(cs, Change{Path: p, Status: Modified})
			continue
		}
		cs = append(cs, Change{Path: p, Status: Added})
	}
	return cs, nil
}

// workTreeEntry returns the object name and mode of an index entry's file in
// the work tree, and whether the file is there.
func (g *goGitEngine) workTreeEntry(ctx context.Context, e *index.Entry, idxTime time.Time, trustMode bool) (blobEntry, bool, error) {
	if e.SkipWorktree {
		// Outside a sparse checkout: git treats it as unchanged.
		return blobEntry{hash: e.Hash, mode: e.Mode}, true, nil
	}
	full := filepath.Join(g.root, filepath.FromSlash(e.Name))
	fi, err := os.Lstat(full)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return blobEntry{}, false, nil
	}
	if err != nil {
		return blobEntry{}, false, err
	}
	if e.Mode == filemode.Submodule {
		if !fi.IsDir() {
			return blobEntry{}, false, nil
		}
		changed, err := submoduleChanged(ctx, full, e.Hash)
		if err != nil {
			return blobEntry{}, false, fmt.Errorf("reading submodule %s: %w", e.Name, err)
		}
		if changed {
			// As git does, the work-tree side of a changed submodule is no
			// commit at all, so it differs from every base.
			return blobEntry{hash: plumbing.ZeroHash, mode: e.Mode}, true, nil
		}
		return blobEntry{hash: e.Hash, mode: e.Mode}, true, nil
	}
	var mode filemode.FileMode
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		mode = filemode.Symlink
	case fi.Mode().IsRegular():
		mode = filemode.Regular
		if trustMode && fi.Mode()&0o111 != 0 {
			mode = filemode.Executable
		}
		if !trustMode && e.Mode == filemode.Executable {
			mode = filemode.Executable
		}
	default:
		// A directory (or device) where a file was tracked: the file is gone;
		// the directory's contents show up as untracked.
		return blobEntry{}, false, nil
	}
	sameType := (mode == filemode.Symlink) == (e.Mode == filemode.Symlink)
	racy := !idxTime.IsZero() && !e.ModifiedAt.Before(idxTime)
	if sameType && !e.IntentToAdd && !racy && uint32(fi.Size()) == e.Size && fi.ModTime().Equal(e.ModifiedAt) {
		return blobEntry{hash: e.Hash, mode: mode}, true, nil
	}
	h, err := hashFile(full, fi)
	if err != nil {
		return blobEntry{}, false, fmt.Errorf("hashing %s: %w", e.Name, err)
	}
	return blobEntry{hash: h, mode: mode}, true, nil
}

// submoduleChanged reports whether the submodule checked out in dir differs
// from the commit the index records for it, as "git diff
// --ignore-submodules=none" sees it: its HEAD is another commit, or its work
// tree has modified, staged or untracked-but-not-ignored files (nested
// submodules included). A build copies the submodule's files as they are on
// disk, so each of these changes its apps' input. A directory that is not
// checked out (no .git in it, or a HEAD that names no commit) is unchanged,
// as for git.
func submoduleChanged(ctx context.Context, dir string, recorded plumbing.Hash) (bool, error) {
	if _, err := os.Lstat(filepath.Join(dir, ".git")); errors.Is(err, fs.ErrNotExist) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	r, err := openGoGit(ctx, dir)
	if err != nil {
		return false, err
	}
	sub := r.eng.(*goGitEngine)
	changed, err := sub.changedSince(ctx, recorded)
	return changed, errors.Join(err, r.Close())
}

// changedSince reports whether HEAD is another commit than recorded or the
// index or work tree differ from HEAD.
func (g *goGitEngine) changedSince(ctx context.Context, recorded plumbing.Hash) (bool, error) {
	ref, err := g.repo.Head()
	if errors.Is(err, plumbing.ErrReferenceNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("reading HEAD: %w", err)
	}
	if ref.Hash() != recorded {
		return true, nil
	}
	if cs, err := g.diffWorkTree(ctx, ref.Hash().String()); err != nil || len(cs) > 0 {
		return len(cs) > 0, err
	}
	cs, err := g.staged(ctx)
	return len(cs) > 0, err
}

// hashFile computes the blob object name of a file (or a symlink's target).
func hashFile(full string, fi fs.FileInfo) (plumbing.Hash, error) {
	if fi.Mode()&fs.ModeSymlink != 0 {
		target, err := os.Readlink(full)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		return plumbing.ComputeHash(plumbing.BlobObject, []byte(filepath.ToSlash(target))), nil
	}
	f, err := os.Open(full)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	h := plumbing.NewHasher(plumbing.BlobObject, fi.Size())
	_, err = io.Copy(h, f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return plumbing.ZeroHash, err
	}
	return h.Sum(), nil
}

// untracked walks the work tree and lists files that are neither tracked nor
// ignored, like "git ls-files --others --exclude-standard". A nested
// repository is listed once, as its directory.
func (g *goGitEngine) untracked(ctx context.Context, tracked map[string]filemode.FileMode) ([]string, error) {
	ps, err := g.basePatterns()
	if err != nil {
		return nil, err
	}
	var out []string
	var walk func(rel string, domain []string, ps []gitignore.Pattern) error
	walk = func(rel string, domain []string, ps []gitignore.Pattern) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		dir := filepath.Join(g.root, filepath.FromSlash(rel))
		if b, err := os.ReadFile(filepath.Join(dir, ".gitignore")); err == nil {
			ps = append(ps[:len(ps):len(ps)], parseIgnore(b, domain)...)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		m := gitignore.NewMatcher(ps)
		ents, err := os.ReadDir(dir)
		if err != nil {
			return err
		}
		for _, ent := range ents {
			name := ent.Name()
			if name == ".git" {
				continue
			}
			p := name
			if rel != "" {
				p = rel + "/" + name
			}
			isDir := ent.IsDir()
			if m, ok := tracked[p]; ok && (!isDir || m == filemode.Submodule) {
				continue
			}
			parts := append(domain[:len(domain):len(domain)], name)
			if m.Match(parts, isDir) {
				continue
			}
			if !isDir {
				out = append(out, p)
				continue
			}
			if _, err := os.Lstat(filepath.Join(dir, name, ".git")); err == nil {
				out = append(out, p) // nested repository
				continue
			}
			if err := walk(p, parts, ps); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk("", nil, ps); err != nil {
		return nil, err
	}
	return out, nil
}

// basePatterns returns the exclude patterns that apply everywhere, lowest
// priority first: core.excludesFile (or its XDG default), then
// info/exclude.
func (g *goGitEngine) basePatterns() ([]gitignore.Pattern, error) {
	var ps []gitignore.Pattern
	excludes := ""
	if cfg, err := g.repo.Config(); err == nil {
		excludes = cfg.Raw.Section("core").Option("excludesfile")
	}
	if excludes == "" {
		excludes = globalExcludesFile()
	}
	if strings.HasPrefix(excludes, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			excludes = filepath.Join(home, excludes[2:])
		}
	}
	for _, f := range []string{excludes, filepath.Join(g.commonDir, "info", "exclude")} {
		if f == "" {
			continue
		}
		b, err := os.ReadFile(f)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		ps = append(ps, parseIgnore(b, nil)...)
	}
	return ps, nil
}

// globalExcludesFile returns core.excludesFile from the global git config,
// or git's default $XDG_CONFIG_HOME/git/ignore.
func globalExcludesFile() string {
	cfgFile := os.Getenv("GIT_CONFIG_GLOBAL")
	home, _ := os.UserHomeDir()
	if cfgFile == "" && home != "" {
		cfgFile = filepath.Join(home, ".gitconfig")
	}
	if v := configValue(cfgFile, "core", "excludesfile"); v != "" {
		return v
	}
	xdg := os.Getenv("XDG_CONFIG_HOME")
	if xdg == "" {
		if home == "" {
			return ""
		}
		xdg = filepath.Join(home, ".config")
	}
	return filepath.Join(xdg, "git", "ignore")
}

// configValue reads a simple "key = value" from a git config file's
// section; it is enough for core.excludesFile and returns "" on any doubt.
func configValue(file, section, key string) string {
	if file == "" {
		return ""
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return ""
	}
	in := false
	val := ""
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "[") {
			in = strings.EqualFold(strings.Trim(line, "[] \t"), section)
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if in && ok && strings.EqualFold(strings.TrimSpace(k), key) {
			val = strings.Trim(strings.TrimSpace(v), `"`)
		}
	}
	return val
}

// parseIgnore parses an ignore file's lines as patterns of directory domain.
func parseIgnore(b []byte, domain []string) []gitignore.Pattern {
	var ps []gitignore.Pattern
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSuffix(line, "\r")
		if strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" {
			continue
		}
		ps = append(ps, gitignore.ParsePattern(line, domain))
	}
	return ps
}
