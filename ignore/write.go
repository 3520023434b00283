package ignore

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/monoctx/monoctx/internal/atomicfile"
)

// UserFileError is returned by Write for an existing file without Marker:
// it belongs to the user and is never overwritten without force.
type UserFileError struct {
	Path string
}

func (e *UserFileError) Error() string {
	return fmt.Sprintf("%s was written by hand (its first line is not %q), so monoctx does not overwrite it; "+
		"to let monoctx take it over, rerun with --force: its patterns are carried over into the generated file", e.Path, Marker)
}

// WriteOption configures Write.
type WriteOption func(*writeOptions)

type writeOptions struct{ scratch string }

// WithScratchDir makes Write create its temporary file in dir (created if
// missing) when dir is on the same file system as path, instead of beside
// path, so that a killed process leaves nothing in the work tree. monoctx
// passes a directory under the git directory.
func WithScratchDir(dir string) WriteOption {
	return func(o *writeOptions) { o.scratch = dir }
}

// Write replaces the file at path with data, atomically: data goes to a
// temporary file (see WithScratchDir; by default in the same directory),
// which is synced and renamed over path with mode 0644. On any failure
// path is left as it was and no temporary file remains. If path exists and
// is not a generated file (see IsGenerated), Write returns a
// *UserFileError unless force is set. A file that already holds data is
// left untouched.
func Write(path string, data []byte, force bool, opts ...WriteOption) error {
	var o writeOptions
	for _, f := range opts {
		f(&o)
	}
	old, err := os.ReadFile(path)
	switch {
	case err == nil:
		if !force && !IsGenerated(old) {
			return &UserFileError{Path: path}
		}
		if bytes.Equal(old, data) {
			return nil
		}
	case errors.Is(err, fs.ErrNotExist):
	default:
		return fmt.Errorf("reading %s before replacing it: %w", path, err)
	}
	return writeAtomic(o.scratch, path, data)
}

func writeAtomic(scratch, path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	tmp, err := atomicfile.Create(scratch, path)
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			// Best effort: the write already failed, and the error says why.
			if rmErr := os.Remove(tmp.Name()); rmErr != nil && !errors.Is(rmErr, fs.ErrNotExist) {
				err = errors.Join(err, rmErr)
			}
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		return errors.Join(fmt.Errorf("writing %s: %w", path, err), tmp.Close())
	}
	if err := tmp.Chmod(0o644); err != nil {
		return errors.Join(fmt.Errorf("setting the mode of %s: %w", path, err), tmp.Close())
	}
	if err := tmp.Sync(); err != nil {
		return errors.Join(fmt.Errorf("syncing %s: %w", path, err), tmp.Close())
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("replacing %s: %w", path, err)
	}
	return syncDir(dir)
}

// syncDir makes the rename durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("syncing directory %s: %w", dir, err)
	}
	syncErr := d.Sync()
	closeErr := d.Close()
	if syncErr != nil && !errors.Is(syncErr, errors.ErrUnsupported) {
		return errors.Join(fmt.Errorf("syncing directory %s: %w", dir, syncErr), closeErr)
	}
	if closeErr != nil {
		return fmt.Errorf("closing directory %s: %w", dir, closeErr)
	}
	return nil
}

// Reasons Check gives for a file that is not as wanted.
const (
	ReasonMissing   = "missing"
	ReasonDiffers   = "differs"
	ReasonUserOwned = "user-owned"
)

// Check compares the generated file at path with want. ok is true when the
// file holds exactly want; otherwise reason is ReasonMissing,
// ReasonUserOwned (the file exists without Marker) or ReasonDiffers. err is
// set only when the file cannot be read.
func Check(path string, want []byte) (ok bool, reason string, err error) {
	got, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return false, ReasonMissing, nil
	case err != nil:
		return false, "", fmt.Errorf("checking %s: %w", path, err)
	case !IsGenerated(got):
		return false, ReasonUserOwned, nil
	case !bytes.Equal(got, want):
		return false, ReasonDiffers, nil
	}
	return true, "", nil
}
