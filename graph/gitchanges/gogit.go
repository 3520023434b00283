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
	"sync"

	"github.com/go-git/go-billy/v5"
	"github.com/go-git/go-billy/v5/osfs"
	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/filesystem"
	"github.com/go-git/go-git/v5/storage/filesystem/dotgit"
)

// goGitEngine implements the engine with go-git. go-git's repository is not
// documented as safe for concurrent use, so calls are serialized.
type goGitEngine struct {
	mu        sync.Mutex
	repo      *git.Repository
	storage   *filesystem.Storage
	root      string
	gitDir    string
	commonDir string
	shallow   map[plumbing.Hash]bool
}

// findWorkTree walks up from abs to the directory holding ".git" and returns
// the work-tree root, its git directory and the common git directory.
func findWorkTree(abs string) (root, gitDir, commonDir string, err error) {
	for dir := abs; ; {
		fi, err := os.Stat(filepath.Join(dir, ".git"))
		switch {
		case err == nil && fi.IsDir():
			gitDir = filepath.Join(dir, ".git")
		case err == nil:
			b, err := os.ReadFile(filepath.Join(dir, ".git"))
			if err != nil {
				return "", "", "", err
			}
			line, _, _ := strings.Cut(string(b), "\n")
			p, ok := strings.CutPrefix(strings.TrimSpace(line), "gitdir: ")
			if !ok {
				return "", "", "", fmt.Errorf("%s has no \"gitdir: \" line", filepath.Join(dir, ".git"))
			}
			if !filepath.IsAbs(p) {
				p = filepath.Join(dir, p)
			}
			gitDir = filepath.Clean(p)
		case !errors.Is(err, fs.ErrNotExist):
			return "", "", "", err
		}
		if gitDir != "" {
			commonDir = gitDir
			if b, err := os.ReadFile(filepath.Join(gitDir, "commondir")); err == nil {
				c := strings.TrimSpace(string(b))
				if !filepath.IsAbs(c) {
					c = filepath.Join(gitDir, c)
				}
				commonDir = filepath.Clean(c)
			}
			return dir, gitDir, commonDir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", "", "", errors.New("no .git found in it or any parent directory")
		}
		dir = parent
	}
}

func openGoGit(_ context.Context, dir string) (*Repo, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", dir, err)
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	if fi, err := os.Stat(abs); err != nil {
		return nil, fmt.Errorf("opening %s: %w", dir, err)
	} else if !fi.IsDir() {
		return nil, &NotWorkTreeError{Dir: dir, Err: errors.New("not a directory")}
	}
	root, gitDir, commonDir, err := findWorkTree(abs)
	if err != nil {
		return nil, &NotWorkTreeError{Dir: dir, Err: err}
	}
	var dotFS billy.Filesystem = osfs.New(gitDir)
	if commonDir != gitDir {
		dotFS = dotgit.NewRepositoryFilesystem(dotFS, osfs.New(commonDir))
	}
	// KeepDescriptors: without it go-git reopens the pack file for every
	// object it reads, which makes a tree diff several times slower.
	st := filesystem.NewStorageWithOptions(dotFS, cache.NewObjectLRUDefault(), filesystem.Options{KeepDescriptors: true})
	repo, err := git.Open(st, osfs.New(root))
	if err != nil {
		if cerr := st.Close(); cerr != nil {
			err = errors.Join(err, cerr)
		}
		if errors.Is(err, git.ErrUnsupportedExtensionRepositoryFormatVersion) || errors.Is(err, git.ErrUnknownExtension) {
			return nil, fmt.Errorf("opening %s with go-git: %w (go-git cannot read repositories using this git extension, e.g. extensions.worktreeConfig set by \"git sparse-checkout\"; install git and use the git engine)", root, err)
		}
		return nil, fmt.Errorf("opening %s with go-git: %w", root, err)
	}
	sh, err := repo.Storer.Shallow()
	if err != nil {
		return nil, errors.Join(fmt.Errorf("reading shallow commits: %w", err), st.Close())
	}
	e := &goGitEngine{repo: repo, storage: st, root: root, gitDir: gitDir, commonDir: commonDir, shallow: make(map[plumbing.Hash]bool, len(sh))}
	for _, h := range sh {
		e.shallow[h] = true
	}
	return &Repo{root: root, gitDir: gitDir, commonDir: commonDir, shallow: len(sh) > 0, eng: e}, nil
}

func (g *goGitEngine) name() string { return EngineGoGit }

func (g *goGitEngine) close() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.storage.Close()
}

func (g *goGitEngine) resolve(_ context.Context, ref string) (string, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.resolveLocked(ref)
}

func (g *goGitEngine) resolveLocked(ref string) (string, error) {
	h, err := g.repo.ResolveRevision(plumbing.Revision(ref))
	if err != nil {
		// Not found, not a commit, or not parsable as a revision (go-git's
		// parse error type is internal): git answers all of these with
		// "unknown revision".
		return "", fmt.Errorf("%w: %v", errRefNotFound, err)
	}
	return h.String(), nil
}

// loadCommit reads a commit for the merge-base walk; shallow commits have no
// parents in this clone.
func (g *goGitEngine) loadCommit(h plumbing.Hash) (commitInfo, error) {
	c, err := object.GetCommit(g.repo.Storer, h)
	if err != nil {
		return commitInfo{}, err
	}
	info := commitInfo{when: c.Committer.When}
	if !g.shallow[h] {
		info.parents = c.ParentHashes
	}
	return info, nil
}

func (g *goGitEngine) mergeBase(ctx context.Context, a, b string) (string, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	bases, err := mergeBases(ctx, g.loadCommit, plumbing.NewHash(a), plumbing.NewHash(b))
	if err != nil || len(bases) == 0 {
		return "", err
	}
	return bases[0].String(), nil
}

// tree returns the root tree of the commit ref names.
func (g *goGitEngine) tree(ref string) (*object.Tree, error) {
	var c *object.Commit
	var err error
	if len(ref) == 40 && isHexPrefix(ref) {
		c, err = g.repo.CommitObject(plumbing.NewHash(ref))
	}
	if c == nil {
		sha, rerr := g.resolveLocked(ref) // a ref, or an annotated tag
		if rerr != nil {
			return nil, rerr
		}
		c, err = g.repo.CommitObject(plumbing.NewHash(sha))
	}
	if err != nil {
		return nil, fmt.Errorf("reading commit %s: %w", ref, err)
	}
	t, err := c.Tree()
	if err != nil {
		return nil, fmt.Errorf("reading the tree of %s: %w", ref, err)
	}
	return t, nil
}

func (g *goGitEngine) diffTrees(ctx context.Context, base, head string) ([]Change, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	a, err := g.tree(base)
	if err != nil {
		return nil, err
	}
	b, err := g.tree(head)
	if err != nil {
		return nil, err
	}
	// nil options: no rename detection.
	chs, err := object.DiffTreeWithOptions(ctx, a, b, nil)
	if err != nil {
		return nil, err
	}
	cs := make([]Change, 0, len(chs))
	for _, ch := range chs {
		switch {
		case ch.From.Name == "":
			cs = append(cs, Change{Path: ch.To.Name, Status: Added})
		case ch.To.Name == "":
			cs = append(cs, Change{Path: ch.From.Name, Status: Deleted})
		default:
			cs = append(cs, Change{Path: ch.To.Name, Status: Modified})
		}
	}
	return cs, nil
}

// blobEntry is a path's object name and mode in a tree or the index.
type blobEntry struct {
	hash plumbing.Hash
	mode filemode.FileMode
}

// flatten lists every non-tree entry of t by full path.
func flatten(ctx context.Context, t *object.Tree) (map[string]blobEntry, error) {
	m := make(map[string]blobEntry)
	w := object.NewTreeWalker(t, true, nil)
	defer w.Close()
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		name, e, err := w.Next()
		if err == io.EOF {
			return m, nil
		}
		if err != nil {
			return nil, err
		}
		if e.Mode == filemode.Dir {
			continue
		}
		m[name] = blobEntry{hash: e.Hash, mode: e.Mode}
	}
}

// headTree returns the flattened tree of HEAD, or an empty map when HEAD is
// unborn.
func (g *goGitEngine) headTree(ctx context.Context) (map[string]blobEntry, error) {
	ref, err := g.repo.Head()
	if errors.Is(err, plumbing.ErrReferenceNotFound) {
		return map[string]blobEntry{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading HEAD: %w", err)
	}
	t, err := g.tree(ref.Hash().String())
	if err != nil {
		return nil, err
	}
	return flatten(ctx, t)
}

func (g *goGitEngine) staged(ctx context.Context) ([]Change, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	head, err := g.headTree(ctx)
	if err != nil {
		return nil, err
	}
	idx, _, err := readIndex(g.root, g.gitDir)
	if err != nil {
		return nil, err
	}
	var cs []Change
	inIndex := make(map[string]bool, len(idx.Entries))
	for _, e := range idx.Entries {
		if e.IntentToAdd {
			continue
		}
		if inIndex[e.Name] {
			continue
		}
		inIndex[e.Name] = true
		h, ok := head[e.Name]
		switch {
		case e.Stage != 0:
			cs = append(cs, Change{Path: e.Name, Status: Modified})
		case !ok:
			cs = append(cs, Change{Path: e.Name, Status: Added})
		case h.hash != e.Hash || h.mode != e.Mode:
			cs = append(cs, Change{Path: e.Name, Status: Modified})
		}
	}
	for p := range head {
		if !inIndex[p] {
			cs = append(cs, Change{Path: p, Status: Deleted})
		}
	}
	return cs, nil
}

func (g *goGitEngine) readBlob(_ context.Context, sha, path string) ([]byte, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	var h plumbing.Hash
	if sha == "" {
		idx, _, err := readIndex(g.root, g.gitDir)
		if err != nil {
			return nil, err
		}
		found := false
		for _, e := range idx.Entries {
			if e.Name == path && e.Stage == 0 {
				h, found = e.Hash, true
				break
			}
		}
		if !found {
			return nil, fs.ErrNotExist
		}
	} else {
		t, err := g.tree(sha)
		if err != nil {
			return nil, err
		}
		e, err := g.findEntry(t, path)
		if err != nil {
			return nil, err
		}
		if !e.Mode.IsFile() {
			return nil, fmt.Errorf("not a file (mode %s)", e.Mode)
		}
		h = e.Hash
	}
	b, err := g.repo.BlobObject(h)
	if err != nil {
		return nil, fmt.Errorf("reading blob %s: %w", h, err)
	}
	rd, err := b.Reader()
	if err != nil {
		return nil, fmt.Errorf("reading blob %s: %w", h, err)
	}
	data, err := io.ReadAll(rd)
	if cerr := rd.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("reading blob %s: %w", h, err)
	}
	return data, nil
}

// findEntry looks path up in t one component at a time. (Tree.FindEntry
// rejects some valid names, such as ones containing a newline, and fails
// with "object not found" when a component is a file.)
func (g *goGitEngine) findEntry(t *object.Tree, path string) (*object.TreeEntry, error) {
	parts := strings.Split(path, "/")
	for i, name := range parts {
		var found *object.TreeEntry
		for j := range t.Entries {
			if t.Entries[j].Name == name {
				found = &t.Entries[j]
				break
			}
		}
		if found == nil {
			return nil, fs.ErrNotExist
		}
		if i == len(parts)-1 {
			return found, nil
		}
		if found.Mode != filemode.Dir {
			return nil, fs.ErrNotExist
		}
		sub, err := g.repo.TreeObject(found.Hash)
		if err != nil {
			return nil, fmt.Errorf("reading tree %s: %w", found.Hash, err)
		}
		t = sub
	}
	return nil, fs.ErrNotExist
}

func (g *goGitEngine) shallowRoots(context.Context) ([]string, error) {
	return readShallowFile(g.commonDir)
}
