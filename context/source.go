package buildctx

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"
)

var errNotDir = syscall.ENOTDIR

// Source is a selection of files for one build context. The graph package builds it; this package
// only walks it.
type Source struct {
	// Root is the absolute repository root. Nothing outside it is ever read or stored.
	Root string
	// Dir is the absolute context directory; it must be inside Root.
	Dir string
	// Roots are context-relative slash paths (files or directories) where inputs can be; "." is
	// the whole context. Only these are walked. A root that does not exist is an error.
	Roots []string
	// Include is an optional fine filter below the Roots (for example COPY globs). A directory
	// for which it returns false is not descended. Nil means everything under the Roots.
	Include func(rel string, isDir bool) bool
	// Exclude reports the ignore file's excludes (plus configured excludes). An excluded
	// directory is pruned unless CanDescend reports that it has excepted children; it is then
	// stored only if something below it is.
	Exclude func(rel string, isDir bool) bool
	// CanDescend optionally reports whether an excluded directory has excepted children.
	CanDescend func(rel string) bool
	// Dockerfile is the absolute path of the Dockerfile. It is always stored, whatever the
	// filters say: at its context-relative path when it is inside Dir, otherwise as
	// `.dockerfile.<20 hex>` (see [Stats].DockerfileInTar).
	Dockerfile string
	// IgnoreFile is the absolute path of the applicable ignore file, optional. It is stored at
	// its context-relative path when it is inside Dir.
	IgnoreFile string
}

// EntryType is the kind of a context entry.
type EntryType string

// Entry types, as printed by `--list --format json`.
const (
	TypeFile     EntryType = "file"
	TypeDir      EntryType = "dir"
	TypeSymlink  EntryType = "symlink"
	TypeHardlink EntryType = "hardlink"
)

// Entry is one entry of a context, in tar order.
type Entry struct {
	// Path is the context-relative slash path, without a trailing slash.
	Path string    `json:"path"`
	Type EntryType `json:"type"`
	// Mode holds the permission bits plus setuid, setgid and sticky.
	Mode fs.FileMode `json:"mode"`
	// Size is the content size of a regular file, 0 otherwise.
	Size int64 `json:"size"`
	// Linkname is the verbatim target of a symlink, or the first stored path of a hard link.
	Linkname string    `json:"linkname,omitempty"`
	ModTime  time.Time `json:"mtime"`
}

// maxDockerfileSize bounds a Dockerfile or ignore file that is read into memory.
const maxDockerfileSize = 16 << 20

// item is an entry plus where its content comes from.
type item struct {
	Entry
	abs  string // file to read the content from; "" for synthetic or contentless entries
	data []byte // synthetic content (outside Dockerfile, amended .dockerignore)
}

// node is one path component on the way to the roots and the always-stored files.
type node struct {
	children    map[string]*node
	root        bool // everything below is walked, subject to the filters
	forced      bool // stored whatever the filters say
	forcedBelow bool // some descendant (or itself) is forced
	data        []byte
	hasData     bool
	onlyForced  bool // a pruned directory: only paths to forced files are followed
}

func (n *node) child(name string) *node {
	if n == nil {
		return nil
	}
	return n.children[name]
}

func (n *node) add(rel string) *node {
	cur := n
	if rel == "." {
		return cur
	}
	for _, c := range strings.Split(rel, "/") {
		if cur.children == nil {
			cur.children = map[string]*node{}
		}
		next, ok := cur.children[c]
		if !ok {
			next = &node{}
			cur.children[c] = next
		}
		cur = next
	}
	return cur
}

func (n *node) markForced(rel string) *node {
	cur := n
	cur.forcedBelow = true
	for _, c := range strings.Split(rel, "/") {
		cur = cur.add(c)
		cur.forcedBelow = true
	}
	cur.forced = true
	return cur
}

// plan is a validated Source.
type plan struct {
	dir             string // real (symlink-free) context directory
	trie            *node
	include         func(string, bool) bool
	exclude         func(string, bool) bool
	canDescend      func(string) bool
	virtual         []*item // synthetic top-level entries, sorted by name
	dockerfileInTar string
	warnings        []string
}

func resolveInside(root, p, what string) (string, error) {
	if !filepath.IsAbs(p) {
		return "", fmt.Errorf("%s %q is not an absolute path", what, p)
	}
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("%s %q does not exist", what, p)
		}
		return "", fmt.Errorf("resolving %s %q: %w", what, p, err)
	}
	if _, ok := relInside(root, real); !ok {
		return "", fmt.Errorf("%s %q is outside the repository root %q", what, p, root)
	}
	return real, nil
}

// relInside returns the slash path of p relative to dir, and whether p is inside dir (or is dir).
func relInside(dir, p string) (string, bool) {
	rel, err := filepath.Rel(dir, p)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
		return "", false
	}
	return filepath.ToSlash(rel), true
}

// cleanRoot validates a context-relative root.
func cleanRoot(r string) (string, error) {
	if r == "" {
		return "", errors.New("empty context root")
	}
	if strings.HasPrefix(r, "/") || filepath.IsAbs(r) {
		return "", fmt.Errorf("context root %q is absolute; roots are relative to the context directory", r)
	}
	c := path.Clean(r)
	if c == ".." || strings.HasPrefix(c, "../") {
		return "", fmt.Errorf("context root %q leaves the context directory", r)
	}
	return c, nil
}

func newPlan(src Source) (*plan, error) {
	if src.Root == "" || src.Dir == "" {
		return nil, errors.New("source needs both a repository root and a context directory")
	}
	if !filepath.IsAbs(src.Root) {
		return nil, fmt.Errorf("repository root %q is not an absolute path", src.Root)
	}
	root, err := filepath.EvalSymlinks(src.Root)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("repository root %q does not exist", src.Root)
		}
		return nil, fmt.Errorf("resolving repository root %q: %w", src.Root, err)
	}
	if !filepath.IsAbs(src.Dir) {
		return nil, fmt.Errorf("context directory %q is not an absolute path", src.Dir)
	}
	if _, ok := relInside(filepath.Clean(src.Root), filepath.Clean(src.Dir)); !ok {
		return nil, fmt.Errorf("context directory %q is outside the repository root %q", src.Dir, src.Root)
	}
	dir, err := resolveInside(root, src.Dir, "context directory")
	if err != nil {
		return nil, err
	}
	if fi, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("reading context directory: %w", err)
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("context directory %q is not a directory", src.Dir)
	}

	p := &plan{
		dir:        dir,
		trie:       &node{},
		include:    src.Include,
		exclude:    src.Exclude,
		canDescend: src.CanDescend,
	}
	if p.include == nil {
		p.include = func(string, bool) bool { return true }
	}
	if p.exclude == nil {
		p.exclude = func(string, bool) bool { return false }
	}
	if p.canDescend == nil {
		p.canDescend = func(string) bool { return false }
	}

	for _, r := range src.Roots {
		c, err := cleanRoot(r)
		if err != nil {
			return nil, err
		}
		stop, err := p.checkRoot(c)
		if err != nil {
			return nil, err
		}
		p.trie.add(stop).root = true
	}

	if src.Dockerfile == "" {
		return nil, errors.New("source has no Dockerfile")
	}
	df, err := resolveInside(root, src.Dockerfile, "Dockerfile")
	if err != nil {
		return nil, err
	}
	if fi, err := os.Stat(df); err != nil {
		return nil, fmt.Errorf("reading Dockerfile: %w", err)
	} else if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("dockerfile %q is not a regular file", src.Dockerfile)
	}
	if rel, ok := relInside(dir, df); ok && rel != "." {
		p.trie.markForced(rel)
		p.dockerfileInTar = rel
	} else {
		if err := p.placeOutsideDockerfile(df); err != nil {
			return nil, err
		}
	}

	if src.IgnoreFile != "" {
		ig, err := resolveInside(root, src.IgnoreFile, "ignore file")
		if err != nil {
			return nil, err
		}
		if rel, ok := relInside(dir, ig); ok && rel != "." {
			p.trie.markForced(rel)
		}
	}
	return p, nil
}

// checkRoot checks that a root exists without passing through a symlink. A root below a symlink
// stops at the link: the link is stored verbatim and a warning says why. It returns the path to
// walk.
func (p *plan) checkRoot(rel string) (string, error) {
	if rel == "." {
		return rel, nil
	}
	parts := strings.Split(rel, "/")
	cur := p.dir
	for i, c := range parts {
		cur = filepath.Join(cur, c)
		fi, err := os.Lstat(cur)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) || errors.Is(err, errNotDir) {
				return "", fmt.Errorf("context path %q does not exist", rel)
			}
			return "", fmt.Errorf("reading context path %q: %w", rel, err)
		}
		if i == len(parts)-1 {
			break
		}
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			link := strings.Join(parts[:i+1], "/")
			p.warnings = append(p.warnings, fmt.Sprintf("%s: context path %q is reached through this symlink; the link is stored, not what it points to", link, rel))
			return link, nil
		case !fi.IsDir():
			return "", fmt.Errorf("context path %q does not exist (%q is not a directory)", rel, strings.Join(parts[:i+1], "/"))
		}
	}
	return rel, nil
}

// placeOutsideDockerfile stores a Dockerfile from outside the context the way the docker CLI does
// (build.AddDockerfileToBuildContext): as `.dockerfile.<20 hex>` with mode 0600, and with its name
// appended to the tar's .dockerignore so the legacy daemon removes it. The name is derived from
// the content, not random, so the tar stays deterministic.
func (p *plan) placeOutsideDockerfile(df string) error {
	content, fi, err := readSmall(df)
	if err != nil {
		return fmt.Errorf("reading Dockerfile: %w", err)
	}
	sum := sha256.Sum256(content)
	name := ".dockerfile." + hex.EncodeToString(sum[:10])
	mtime := time.Unix(fi.ModTime().Unix(), 0)
	p.dockerfileInTar = name
	p.virtual = append(p.virtual, &item{
		Entry: Entry{Path: name, Type: TypeFile, Mode: 0o600, Size: int64(len(content)), ModTime: mtime},
		data:  content,
	})

	ignorePath := filepath.Join(p.dir, ".dockerignore")
	existing, ifi, err := readSmall(ignorePath)
	switch {
	case err == nil && ifi.Mode().IsRegular():
		amended := append(existing, []byte("\n"+name+"\n")...)
		n := p.trie.markForced(".dockerignore")
		n.data, n.hasData = amended, true
	case err == nil:
		return fmt.Errorf("context file %q is not a regular file", ".dockerignore")
	case errors.Is(err, fs.ErrNotExist):
		data := []byte(".dockerignore\n" + name + "\n")
		p.virtual = append(p.virtual, &item{
			Entry: Entry{Path: ".dockerignore", Type: TypeFile, Mode: 0o644, Size: int64(len(data)), ModTime: mtime},
			data:  data,
		})
	default:
		return fmt.Errorf("reading .dockerignore: %w", err)
	}
	sort.Slice(p.virtual, func(i, j int) bool { return p.virtual[i].Path < p.virtual[j].Path })
	return nil
}

// readSmall reads a file of at most maxDockerfileSize bytes, without following a final symlink.
func readSmall(name string) ([]byte, fs.FileInfo, error) {
	fi, err := os.Lstat(name)
	if err != nil {
		return nil, nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fi, nil
	}
	if fi.Size() > maxDockerfileSize {
		return nil, nil, fmt.Errorf("%q is larger than %d bytes", name, maxDockerfileSize)
	}
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, nil, err
	}
	return b, fi, nil
}
