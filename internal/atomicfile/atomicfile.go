// Package atomicfile writes files by renaming a finished temporary file over them. The temporary
// files live in a scratch directory of monoctx's own (under the git directory) whenever that is on
// the target's file system, so a process killed mid-write leaves nothing in the work tree, in
// `git status` or in a build context; CleanStale removes what such a process left.
package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// staleAge is the age after which a temporary file is removed even if a process of its pid runs
// (pids are reused).
const staleAge = 24 * time.Hour

// Create returns a new temporary file to be renamed over target: in scratch when scratch is set
// and on the same file system as target's directory (a rename across file systems fails), else
// beside target as ".<name>.tmp*".
func Create(scratch, target string) (*os.File, error) {
	dir := filepath.Dir(target)
	if scratch != "" {
		if err := os.MkdirAll(scratch, 0o700); err == nil && sameDevice(scratch, dir) {
			return os.CreateTemp(scratch, strconv.Itoa(os.Getpid())+"-*.tmp")
		}
	}
	return os.CreateTemp(dir, "."+filepath.Base(target)+".tmp*")
}

// CleanStale removes the temporary files in scratch whose process has exited (or that are older
// than a day). A missing scratch directory is not an error.
func CleanStale(scratch string) error {
	ents, err := os.ReadDir(scratch)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("cleaning temporary files in %s: %w", scratch, err)
	}
	var errs []error
	for _, e := range ents {
		pidText, _, ok := strings.Cut(e.Name(), "-")
		if !ok || !strings.HasSuffix(e.Name(), ".tmp") {
			continue // not ours
		}
		pid, err := strconv.Atoi(pidText)
		if err != nil {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		if pid != os.Getpid() && (!processAlive(pid) || time.Since(info.ModTime()) > staleAge) {
			if err := os.Remove(filepath.Join(scratch, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}
