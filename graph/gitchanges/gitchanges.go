package gitchanges

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path"
	"sort"
	"strings"
	"sync"
)

// Status says how a path differs between two states of a repository.
type Status string

// The statuses of a [Change]. A rename is reported as [Deleted] for the old
// path plus [Added] for the new one; a type or mode change is [Modified].
const (
	Added    Status = "added"
	Modified Status = "modified"
	Deleted  Status = "deleted"
)

// Change is one changed path.
type Change struct {
	// Path is repo-relative and slash-separated, e.g. "apps/api/main.go".
	Path string
	// Status says whether the path was added, modified or deleted.
	Status Status
}

// Engine names accepted by [WithEngine] and returned by [Repo.Engine].
const (
	// EngineAuto uses EngineGit when a git binary is on PATH and
	// EngineGoGit otherwise.
	EngineAuto = "auto"
	// EngineGit runs the git command-line tool.
	EngineGit = "git"
	// EngineGoGit uses the pure-Go go-git library.
	EngineGoGit = "go-git"
)

// Option configures [Open].
type Option func(*options)

type options struct {
	engine string
	gitBin string
}

// WithEngine chooses the implementation: [EngineAuto] (the default),
// [EngineGit] or [EngineGoGit]. Callers map a flag or config value onto it;
// an empty name means [EngineAuto].
func WithEngine(name string) Option {
	return func(o *options) { o.engine = name }
}

// WithGitBinary sets the git executable used by [EngineGit] (and by
// [EngineAuto] to decide whether git is available). The default is "git",
// looked up on PATH.
func WithGitBinary(path string) Option {
	return func(o *options) { o.gitBin = path }
}

// engine is what each implementation provides. Inputs are already resolved
// to full commit hashes where the method says sha.
type engine interface {
	name() string
	// close releases open files.
	close() error
	// resolve returns the full hash of the commit ref names, or
	// errRefNotFound when ref names no commit.
	resolve(ctx context.Context, ref string) (string, error)
	// mergeBase returns the best common ancestor of two commits, or ""
	// when they have none in this clone.
	mergeBase(ctx context.Context, a, b string) (string, error)
	// diffTrees lists the paths that differ between the trees of the
	// commits two refs name. It fails, for any reason, when a ref names no
	// commit.
	diffTrees(ctx context.Context, base, head string) ([]Change, error)
	// diffWorkTree lists the paths that differ between the tree of the
	// commit base names and the work tree, untracked-but-not-ignored files
	// included.
	diffWorkTree(ctx context.Context, base string) ([]Change, error)
	// staged lists the paths that differ between HEAD and the index.
	staged(ctx context.Context) ([]Change, error)
	// readBlob returns the content of path in commit sha, or in the index
	// when sha is "". A missing path is an error wrapping fs.ErrNotExist.
	readBlob(ctx context.Context, sha, path string) ([]byte, error)
	// shallowRoots lists the commits where a shallow clone's history stops.
	shallowRoots(ctx context.Context) ([]string, error)
}

// errRefNotFound is returned by engine.resolve when a ref names no commit.
var errRefNotFound = errors.New("ref not found")

// Repo is an opened git work tree. Its methods are safe for concurrent use.
type Repo struct {
	root      string
	gitDir    string
	commonDir string
	shallow   bool
	eng       engine
	// commits are the commit ids Resolve returned: resolving one again (MergeBase is handed the
	// ids of resolved refs) asks git nothing. A commit id names the same commit for good.
	commits sync.Map
	// primed are refs resolved together by Prime, by name: Resolve answers them without git.
	primed sync.Map
}

// Open finds the git work tree containing dir (any subdirectory of a work
// tree, or of a linked worktree) and opens it. It returns a
// [*NotWorkTreeError] when dir is not inside a work tree (a bare repository
// has none).
func Open(ctx context.Context, dir string, opts ...Option) (*Repo, error) {
	o := options{engine: EngineAuto, gitBin: "git"}
	for _, opt := range opts {
		opt(&o)
	}
	switch o.engine {
	case "", EngineAuto:
		if _, err := exec.LookPath(o.gitBin); err == nil {
			return openCLI(ctx, dir, o.gitBin)
		}
		return openGoGit(ctx, dir)
	case EngineGit:
		return openCLI(ctx, dir, o.gitBin)
	case EngineGoGit:
		return openGoGit(ctx, dir)
	default:
		return nil, fmt.Errorf("unknown git engine %q (want %q, %q or %q)", o.engine, EngineAuto, EngineGit, EngineGoGit)
	}
}

// Close releases the files the repository holds open (the go-git engine
// keeps pack files open between calls). The Repo must not be used after.
func (r *Repo) Close() error { return r.eng.close() }

// Root returns the absolute path of the work tree's top-level directory.
func (r *Repo) Root() string { return r.root }

// GitDir returns the absolute path of this work tree's git directory. For a
// linked worktree it is the worktree's private directory
// (.git/worktrees/NAME), which holds its HEAD and index.
func (r *Repo) GitDir() string { return r.gitDir }

// CommonDir returns the absolute path of the git directory shared by all
// worktrees of the repository: objects, refs, config and hooks live there.
// It equals GitDir outside linked worktrees.
func (r *Repo) CommonDir() string { return r.commonDir }

// Engine returns the name of the implementation in use: [EngineGit] or
// [EngineGoGit].
func (r *Repo) Engine() string { return r.eng.name() }

// IsShallow reports whether the repository is a shallow clone.
func (r *Repo) IsShallow() bool { return r.shallow }

// Resolve returns the full hash of the commit that ref names: a branch, tag,
// remote-tracking ref, revision expression such as HEAD~1, or a full or
// abbreviated hash. An unknown name is a [*UnknownRefError]; a hash that is
// not in this clone (or the all-zero hash) is a [*MissingBaseError].
func (r *Repo) Resolve(ctx context.Context, ref string) (string, error) {
	if err := precheckRef(ref); err != nil {
		return "", err
	}
	if _, ok := r.commits.Load(ref); ok {
		return ref, nil
	}
	if sha, ok := r.primed.Load(ref); ok {
		return sha.(string), nil
	}
	sha, err := r.eng.resolve(ctx, ref)
	if errors.Is(err, errRefNotFound) {
		if isHexPrefix(ref) {
			return "", r.missing(ctx, ref, "")
		}
		if ref == "HEAD" || strings.HasPrefix(ref, "HEAD~") || strings.HasPrefix(ref, "HEAD^") {
			if _, err := r.eng.resolve(ctx, "HEAD"); errors.Is(err, errRefNotFound) {
				return "", &NoCommitsError{Ref: ref}
			}
		}
		// HEAD~3 in a shallow clone: the name is fine, the history it walks is not fetched.
		if i := strings.IndexAny(ref, "~^"); r.shallow && i > 0 {
			if _, err := r.eng.resolve(ctx, ref[:i]); err == nil {
				return "", r.missing(ctx, ref, "")
			}
		}
		return "", &UnknownRefError{Ref: ref}
	}
	if err != nil {
		return "", fmt.Errorf("resolving %q: %w", ref, err)
	}
	r.commits.Store(sha, true)
	return sha, nil
}

// precheckRef rejects, without asking git, refs that cannot name a commit:
// empty ones, ones git would read as an option, and the all-zero hash.
// Prime resolves refs in one git process, for the Resolve calls that follow (HEAD and a base are
// three processes in a row otherwise, with the merge base). It remembers nothing unless every ref
// names a commit: then Resolve asks git again, and says why one does not.
func (r *Repo) Prime(ctx context.Context, refs ...string) {
	m, ok := r.eng.(interface {
		resolveAll(context.Context, []string) ([]string, bool)
	})
	if !ok || len(refs) < 2 {
		return
	}
	for _, ref := range refs {
		if precheckRef(ref) != nil {
			return
		}
	}
	shas, ok := m.resolveAll(ctx, refs)
	if !ok {
		return
	}
	for i, ref := range refs {
		r.primed.Store(ref, shas[i])
		r.commits.Store(shas[i], true)
	}
}

func precheckRef(ref string) error {
	if ref == "" || strings.HasPrefix(ref, "-") || strings.ContainsAny(ref, "\x00\n") {
		return &UnknownRefError{Ref: ref}
	}
	if isZeroHash(ref) {
		return &MissingBaseError{Ref: ref}
	}
	return nil
}

// missing builds a MissingBaseError, naming the shallow boundary when the
// clone is shallow.
func (r *Repo) missing(ctx context.Context, ref, head string) error {
	e := &MissingBaseError{Ref: ref, Head: head, Shallow: r.shallow}
	if r.shallow {
		roots, err := r.eng.shallowRoots(ctx)
		if err != nil {
			return fmt.Errorf("reading shallow boundary: %w", err)
		}
		e.Boundary = roots
	}
	return e
}

// defaultBaseCandidates are the refs DefaultBase tries, in order.
func defaultBaseCandidates() []struct{ name, full string } {
	return []struct{ name, full string }{
		{"origin/HEAD", "refs/remotes/origin/HEAD"},
		{"origin/main", "refs/remotes/origin/main"},
		{"main", "refs/heads/main"},
		{"origin/master", "refs/remotes/origin/master"},
		{"master", "refs/heads/master"},
	}
}

// DefaultBase returns the merge base of HEAD with the first of origin/HEAD,
// origin/main, main, origin/master and master that exists: ref is that
// name and sha the merge base. It fails with a fix when none exists.
func (r *Repo) DefaultBase(ctx context.Context) (ref, sha string, err error) {
	cands := defaultBaseCandidates()
	for _, c := range cands {
		if _, err := r.eng.resolve(ctx, c.full); err != nil {
			if errors.Is(err, errRefNotFound) {
				continue
			}
			return "", "", fmt.Errorf("resolving %s: %w", c.name, err)
		}
		mb, err := r.MergeBase(ctx, c.full, "HEAD")
		if err != nil {
			return "", "", fmt.Errorf("finding the merge base of HEAD and %s: %w", c.name, err)
		}
		return c.name, mb, nil
	}
	names := make([]string, len(cands))
	for i, c := range cands {
		names[i] = c.name
	}
	return "", "", fmt.Errorf("no default base: none of %s exists in this clone; pass a base ref explicitly or fetch the default branch (git fetch origin main)", strings.Join(names, ", "))
}

// MergeBase returns the best common ancestor of the commits a and b name, as
// "git merge-base" does. It works in a shallow clone as long as the merge
// base is present, even as a boundary commit. When the clone is shallow and
// holds no common ancestor it returns a [*MissingBaseError] with Shallow set;
// when a full clone holds none (unrelated histories) a [*NoMergeBaseError].
func (r *Repo) MergeBase(ctx context.Context, a, b string) (string, error) {
	sa, err := r.Resolve(ctx, a)
	if err != nil {
		return "", err
	}
	sb, err := r.Resolve(ctx, b)
	if err != nil {
		return "", err
	}
	mb, err := r.eng.mergeBase(ctx, sa, sb)
	if err != nil {
		return "", fmt.Errorf("finding the merge base of %s and %s: %w", a, b, err)
	}
	if mb == "" {
		if r.shallow {
			return "", r.missing(ctx, a, b)
		}
		return "", &NoMergeBaseError{A: a, B: b}
	}
	return mb, nil
}

// Changes lists the paths that differ between the trees of the commits base
// and head name, without rename detection, sorted by path.
//
// When head is "", it compares base with the work tree instead: the changes
// base..HEAD plus staged, unstaged and untracked-but-not-ignored files, as a
// net status relative to base (a file added since base and deleted again in
// the work tree is not a change). Ignored files never appear.
func (r *Repo) Changes(ctx context.Context, base, head string) ([]Change, error) {
	refs := []string{base}
	if head != "" {
		refs = append(refs, head)
	}
	for _, ref := range refs {
		if err := precheckRef(ref); err != nil {
			return nil, err
		}
	}
	// The engines resolve the refs themselves, so that the common case costs
	// one git subprocess; on failure, Resolve says which ref is at fault.
	var cs []Change
	var err error
	if head == "" {
		cs, err = r.eng.diffWorkTree(ctx, base)
	} else {
		cs, err = r.eng.diffTrees(ctx, base, head)
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		for _, ref := range refs {
			if _, rerr := r.Resolve(ctx, ref); rerr != nil {
				return nil, rerr
			}
		}
		if head == "" {
			return nil, fmt.Errorf("comparing %s with the work tree: %w", base, err)
		}
		return nil, fmt.Errorf("comparing %s with %s: %w", base, head, err)
	}
	return normalize(cs), nil
}

// StagedChanges lists the paths that differ between HEAD and the index,
// sorted by path: what the next commit would change. Unstaged edits and
// untracked files are not included. With an unborn HEAD (no commit yet)
// every staged path is [Added].
func (r *Repo) StagedChanges(ctx context.Context) ([]Change, error) {
	cs, err := r.eng.staged(ctx)
	if err != nil {
		return nil, fmt.Errorf("comparing HEAD with the index: %w", err)
	}
	return normalize(cs), nil
}

// IndexRev is the rev that makes [Repo.ReadFile] read the index (the staged
// version of a file) instead of a commit.
const IndexRev = ":"

// ReadFile returns the content of the repo-relative, slash-separated path at
// rev (any ref [Repo.Resolve] accepts), or in the index when rev is
// [IndexRev]. A symlink's content is its target. A path that does not exist
// at rev is an error wrapping [io/fs.ErrNotExist].
func (r *Repo) ReadFile(ctx context.Context, rev, p string) ([]byte, error) {
	clean := path.Clean(strings.TrimPrefix(p, "/"))
	if clean == "." || clean == ".." || strings.HasPrefix(clean, "../") {
		return nil, fmt.Errorf("reading %q: not a repo-relative file path", p)
	}
	sha := ""
	if rev != IndexRev {
		var err error
		if sha, err = r.Resolve(ctx, rev); err != nil {
			return nil, err
		}
	}
	b, err := r.eng.readBlob(ctx, sha, clean)
	if err != nil {
		where := rev
		if rev == IndexRev {
			where = "the index"
		}
		return nil, fmt.Errorf("reading %s at %s: %w", clean, where, err)
	}
	return b, nil
}

// normalize sorts changes by path and merges duplicates: the last status
// given for a path wins, except that deleted+added is modified.
func normalize(cs []Change) []Change {
	if len(cs) == 0 {
		return []Change{}
	}
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].Path < cs[j].Path })
	out := cs[:1]
	for _, c := range cs[1:] {
		last := &out[len(out)-1]
		if c.Path != last.Path {
			out = append(out, c)
			continue
		}
		if c.Status != last.Status {
			last.Status = Modified
		}
	}
	return out
}

// isZeroHash reports whether s is the all-zero object name (SHA-1 or
// SHA-256), as CI systems pass for a newly created branch.
func isZeroHash(s string) bool {
	if len(s) != 40 && len(s) != 64 {
		return false
	}
	return strings.Trim(s, "0") == ""
}

// isHexPrefix reports whether s looks like a full or abbreviated object name.
func isHexPrefix(s string) bool {
	if len(s) < 4 || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') && (c < 'A' || c > 'F') {
			return false
		}
	}
	return true
}
