package builder

import (
	"context"
	"fmt"
	"io"
	gofs "io/fs"
	"path"
	"path/filepath"
	"strings"

	"github.com/tonistiigi/fsutil"
	fstypes "github.com/tonistiigi/fsutil/types"
)

// selectFS serves the entries of a directory that a selection keeps, and nothing else: the walk
// never descends into a directory the selection does not reach, and Open refuses any other path.
type selectFS struct {
	walk fsutil.FS
	base fsutil.FS
	keep func(rel string) bool
}

// newSelectFS serves dir filtered by keep, which is asked about every path below the kept
// directories (slash-separated, relative to dir). A directory keep refuses is not descended.
func newSelectFS(dir string, keep func(rel string) bool) (fsutil.FS, error) {
	base, err := fsutil.NewFS(dir)
	if err != nil {
		return nil, fmt.Errorf("serving %s: %w", dir, err)
	}
	walk, err := fsutil.NewFilterFS(base, &fsutil.FilterOpt{Map: func(p string, st *fstypes.Stat) fsutil.MapResult {
		rel := filepath.ToSlash(p)
		if !keep(rel) {
			if gofs.FileMode(st.Mode).IsDir() {
				return fsutil.MapResultSkipDir
			}
			return fsutil.MapResultExclude
		}
		// fsutil marks the second path of a hard link as a link to the first one it saw; when
		// the first was filtered out the receiver could not resolve it, so send the content.
		if st.Linkname != "" && gofs.FileMode(st.Mode).IsRegular() && !keep(filepath.ToSlash(st.Linkname)) {
			st.Linkname = ""
		}
		return fsutil.MapResultKeep
	}})
	if err != nil {
		return nil, fmt.Errorf("serving %s: %w", dir, err)
	}
	return &selectFS{walk: walk, base: base, keep: keep}, nil
}

func (s *selectFS) Walk(ctx context.Context, target string, fn gofs.WalkDirFunc) error {
	return s.walk.Walk(ctx, target, fn)
}

func (s *selectFS) Open(p string) (io.ReadCloser, error) {
	if !s.keep(filepath.ToSlash(filepath.Clean(p))) {
		return nil, &gofs.PathError{Op: "open", Path: p, Err: gofs.ErrNotExist}
	}
	return s.base.Open(p)
}

// setKeep keeps exactly the listed paths (a listing holds every parent directory).
func setKeep(paths []string) func(string) bool {
	set := make(map[string]bool, len(paths))
	for _, p := range paths {
		set[p] = true
	}
	return func(rel string) bool { return set[rel] }
}

// rootsKeep keeps the roots, everything below them, and the directories on the way to them.
func rootsKeep(roots []string) func(string) bool {
	return func(rel string) bool {
		for _, r := range roots {
			if r == "." || rel == r || strings.HasPrefix(rel, r+"/") || strings.HasPrefix(r, rel+"/") {
				return true
			}
		}
		return false
	}
}

// literalPrefix is the directory part of a Docker path pattern before its first wildcard.
func literalPrefix(p string) string {
	i := strings.IndexAny(p, "*?[\\")
	if i < 0 {
		return p
	}
	return path.Dir(p[:i] + "x")
}
