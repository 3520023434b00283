package cmd

import (
	"fmt"
	"os"
	"strings"

	"github.com/monoctx/monoctx/graph/cache"
)

// noCacheEnv turns the parse cache off, as --no-cache does, when set to anything but "", "0" or
// "false".
const noCacheEnv = "MONOCTX_NO_CACHE"

// openCache returns the parse cache of the session's repository (under git's common directory,
// shared by linked worktrees), or nil outside a git work tree or when --no-cache or
// MONOCTX_NO_CACHE turns it off.
func (s *session) openCache(env *Env, g *globalOptions) *cache.Cache {
	if s.repo == nil || g.NoCache {
		return nil
	}
	if v := strings.TrimSpace(env.Getenv(noCacheEnv)); v != "" && v != "0" && !strings.EqualFold(v, "false") {
		return nil
	}
	return cache.Open(cache.Dir(s.repo.CommonDir()), cacheVersion(), cache.WithScratch(s.scratch()))
}

// cacheVersion names the build in the cache's pack files: a stamped or module version with its
// commit, and for a build whose code the commit does not pin (a dirty tree, an unknown commit:
// go build, go test) the executable's size and time as well, so a rebuilt binary never reads
// values an older parse wrote.
func cacheVersion() string {
	v := currentVersion()
	id := v.Version + " " + v.Commit + " " + v.Go
	if v.Commit == "unknown" || strings.HasSuffix(v.Commit, "-dirty") {
		if exe, err := os.Executable(); err == nil {
			if fi, err := os.Stat(exe); err == nil {
				id += fmt.Sprintf(" %s %d %d", exe, fi.Size(), fi.ModTime().UnixNano())
			}
		}
	}
	return id
}

// flushCache writes what this run added to the parse cache; a cache that cannot be written is a
// warning, never the run's failure.
func (s *session) flushCache(env *Env) {
	if err := s.cache.Flush(); err != nil {
		fmt.Fprintf(env.Err, "monoctx: warning: %v (--no-cache turns the cache off)\n", err)
	}
}
