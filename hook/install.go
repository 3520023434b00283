package hook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Result describes what Install did.
type Result struct {
	// Hook is the installed hook, defaults filled in.
	Hook Hook `json:"hook"`
	// Path is the installed script.
	Path string `json:"path"`
	// Chained is the path of the hook that was there before ours, now run
	// first, or empty.
	Chained string `json:"chained,omitempty"`
	// Changed is false when the same script was already installed.
	Changed bool `json:"changed"`
}

// Status describes one known hook in a repository.
type Status struct {
	// Name is the git hook name.
	Name string `json:"name"`
	// Path is where git looks for the hook.
	Path string `json:"path"`
	// Installed reports whether a monoctx script is at Path.
	Installed bool `json:"installed"`
	// Hook is the installed hook's configuration, or nil when not Installed.
	Hook *Hook `json:"hook,omitempty"`
	// Version is the installed script's format version, when Installed; it
	// is older than ScriptVersion when `monoctx hook install` should be run
	// again.
	Version int `json:"version,omitempty"`
	// Chained is the path of a kept original hook, or empty.
	Chained string `json:"chained,omitempty"`
	// Foreign reports whether a hook not written by monoctx is at Path.
	Foreign bool `json:"foreign"`
}

// Install writes the script for h into the hooks directory of the repository
// at repoDir (see [Dir]). self is the absolute path of the running monoctx,
// tried by the script before PATH; pass "" to rely on PATH alone (for a
// committed hooks directory such as husky's).
//
// The script is written atomically with mode 0755. An existing monoctx
// script is replaced; an identical one is left alone (Result.Changed is
// false). Any other hook at that path, file or symlink, is renamed to
// NAME.monoctx-chained, never written through, and run first by our script.
// Install refuses when such a hook exists and a chained one is already kept.
func Install(ctx context.Context, repoDir string, h Hook, self string) (Result, error) {
	h, err := h.Normalize()
	if err != nil {
		return Result{}, err
	}
	if self != "" && !filepath.IsAbs(self) {
		return Result{}, fmt.Errorf("installing the %s hook: monoctx path %q is not absolute", h.Name, self)
	}
	dir, err := Dir(ctx, repoDir)
	if err != nil {
		return Result{}, fmt.Errorf("installing the %s hook: %w", h.Name, err)
	}
	res, err := installIn(dir, h, Script(h, self))
	if err != nil {
		return res, fmt.Errorf("installing the %s hook: %w", h.Name, err)
	}
	return res, nil
}

func installIn(dir string, h Hook, script []byte) (Result, error) {
	path := filepath.Join(dir, h.Name)
	backup := path + ChainedSuffix
	res := Result{Hook: h, Path: path}
	if exists(backup) {
		res.Chained = backup
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return res, fmt.Errorf("creating the hooks directory: %w", err)
	}
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return res, writeAtomic(path, script, &res)
	case err != nil:
		return res, fmt.Errorf("inspecting the existing hook: %w", err)
	case fi.IsDir():
		return res, fmt.Errorf("%s is a directory, not a hook", path)
	}
	if ours, _, _, err := readMarker(path, fi); err != nil {
		return res, err
	} else if ours {
		got, err := os.ReadFile(path)
		if err != nil {
			return res, fmt.Errorf("reading the installed hook: %w", err)
		}
		if bytes.Equal(got, script) && fi.Mode().Perm() == 0o755 {
			return res, nil
		}
		return res, writeAtomic(path, script, &res)
	}
	// A foreign hook: keep it under the chained name and run it first.
	if res.Chained != "" {
		return res, fmt.Errorf("%s is not a monoctx hook and %s already keeps another one: merge them by hand or move one aside, then install again", path, backup)
	}
	tmp, err := writeTemp(dir, h.Name, script)
	if err != nil {
		return res, err
	}
	if err := os.Rename(path, backup); err != nil {
		return res, errors.Join(fmt.Errorf("keeping the existing hook as %s: %w", backup, err), os.Remove(tmp))
	}
	if err := os.Rename(tmp, path); err != nil {
		return res, errors.Join(fmt.Errorf("writing %s: %w", path, err), os.Rename(backup, path), os.Remove(tmp))
	}
	res.Chained, res.Changed = backup, true
	return res, nil
}

// writeAtomic replaces path with an executable file holding data.
func writeAtomic(path string, data []byte, res *Result) error {
	tmp, err := writeTemp(filepath.Dir(path), filepath.Base(path), data)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return errors.Join(fmt.Errorf("writing %s: %w", path, err), os.Remove(tmp))
	}
	res.Changed = true
	return nil
}

// writeTemp writes data to a new mode-0755 file in dir and returns its path.
func writeTemp(dir, name string, data []byte) (string, error) {
	f, err := os.CreateTemp(dir, "."+name+".monoctx-*")
	if err != nil {
		return "", fmt.Errorf("creating a temporary hook file: %w", err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(0o755)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", errors.Join(fmt.Errorf("writing a temporary hook file: %w", err), os.Remove(f.Name()))
	}
	return f.Name(), nil
}

// readMarker reports whether the file at path, described by fi, is a monoctx
// script, and which hook it runs. Symlinks and other non-regular files are
// never ours.
func readMarker(path string, fi fs.FileInfo) (ours bool, h Hook, version int, err error) {
	if !fi.Mode().IsRegular() {
		return false, h, 0, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return false, h, 0, fmt.Errorf("reading the existing hook: %w", err)
	}
	head := make([]byte, 512)
	n, err := io.ReadFull(f, head)
	if cerr := f.Close(); cerr != nil {
		return false, h, 0, fmt.Errorf("reading the existing hook: %w", cerr)
	}
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return false, h, 0, fmt.Errorf("reading the existing hook: %w", err)
	}
	h, version, ours = parseMarker(head[:n])
	return ours, h, version, nil
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// Uninstall removes the monoctx scripts for the named hooks (all known hooks
// when none are named) from the repository at repoDir, and puts back each
// chained original by renaming it, which restores its bytes and mode exactly.
// Files without the monoctx marker are never removed. Uninstalling a hook
// that is not installed does nothing.
func Uninstall(ctx context.Context, repoDir string, names ...string) error {
	if len(names) == 0 {
		names = Names()
	}
	for _, name := range names {
		if Modes(name) == nil {
			_, err := Hook{Name: name}.Normalize()
			return err
		}
	}
	dir, err := Dir(ctx, repoDir)
	if err != nil {
		return fmt.Errorf("uninstalling hooks: %w", err)
	}
	var errs []error
	for _, name := range names {
		if err := uninstallIn(dir, name); err != nil {
			errs = append(errs, fmt.Errorf("uninstalling the %s hook: %w", name, err))
		}
	}
	return errors.Join(errs...)
}

func uninstallIn(dir, name string) error {
	path := filepath.Join(dir, name)
	backup := path + ChainedSuffix
	hasBackup := exists(backup)
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		if hasBackup { // our script was deleted by hand: restore the original
			return restore(backup, path)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("inspecting %s: %w", path, err)
	}
	ours, _, _, err := readMarker(path, fi)
	switch {
	case err != nil:
		return err
	case ours && hasBackup:
		return restore(backup, path)
	case ours:
		if err := os.Remove(path); err != nil {
			return fmt.Errorf("removing %s: %w", path, err)
		}
		return nil
	case hasBackup:
		return fmt.Errorf("%s was replaced by a hook not written by monoctx; the original kept at %s was left in place: restore it by hand", path, backup)
	}
	return nil
}

func restore(backup, path string) error {
	if err := os.Rename(backup, path); err != nil {
		return fmt.Errorf("restoring the original hook from %s: %w", backup, err)
	}
	return nil
}

// List reports the state of every known hook in the repository at repoDir,
// in the order of [Names].
func List(ctx context.Context, repoDir string) ([]Status, error) {
	dir, err := Dir(ctx, repoDir)
	if err != nil {
		return nil, fmt.Errorf("listing hooks: %w", err)
	}
	var out []Status
	for _, name := range Names() {
		st := Status{Name: name, Path: filepath.Join(dir, name)}
		if backup := st.Path + ChainedSuffix; exists(backup) {
			st.Chained = backup
		}
		fi, err := os.Lstat(st.Path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return nil, fmt.Errorf("listing hooks: inspecting %s: %w", st.Path, err)
		default:
			ours, h, v, err := readMarker(st.Path, fi)
			if err != nil {
				return nil, fmt.Errorf("listing hooks: %w", err)
			}
			st.Installed, st.Foreign = ours, !ours
			if ours {
				st.Hook, st.Version = &h, v
			}
		}
		out = append(out, st)
	}
	return out, nil
}
