package ignore

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// FS is what Applicable reads of the file system, with OS paths: the OS, or a view of the
// repository (a commit, a sparse work tree) that answers for its paths.
type FS interface {
	Stat(name string) (fs.FileInfo, error)
	ReadDir(name string) ([]fs.DirEntry, error)
}

type osFS struct{}

func (osFS) Stat(name string) (fs.FileInfo, error)      { return os.Stat(name) }
func (osFS) ReadDir(name string) ([]fs.DirEntry, error) { return os.ReadDir(name) }
func (osFS) Lstat(name string) (fs.FileInfo, error)     { return os.Lstat(name) }

// Applicable returns the ignore file BuildKit applies when building the
// Dockerfile at dockerfile (an OS path) with the context directory
// contextDir: "<dir of dockerfile>/<base of dockerfile>.dockerignore" if
// that exists (perDockerfile is true; it replaces the context's file, the
// two are never merged), else "<contextDir>/.dockerignore", which may not
// exist.
//
// Like buildx, a Dockerfile named "Dockerfile" whose directory holds no
// "Dockerfile" but a "dockerfile" is read as "dockerfile", and then only
// "dockerfile.dockerignore" is looked up. The classic builder never reads
// per-Dockerfile ignore files; it always uses the context's.
func Applicable(dockerfile, contextDir string) (path string, perDockerfile bool) {
	return ApplicableIn(osFS{}, dockerfile, contextDir)
}

// ApplicableIn is Applicable reading fsys.
func ApplicableIn(fsys FS, dockerfile, contextDir string) (path string, perDockerfile bool) {
	dir, base := filepath.Split(dockerfile)
	if base == "Dockerfile" && lowercaseOnly(fsys, dir) {
		base = "dockerfile"
	}
	candidate := filepath.Join(dir, base+".dockerignore")
	if fi, err := fsys.Stat(candidate); err == nil && !fi.IsDir() {
		return candidate, true
	}
	return filepath.Join(contextDir, ".dockerignore"), false
}

// lowercaseOnly reports whether dir has an entry named exactly "dockerfile"
// and none named exactly "Dockerfile" (buildx compares names, so this holds
// on case-insensitive file systems too).
func lowercaseOnly(fsys FS, dir string) bool {
	if dir == "" {
		dir = "."
	}
	// A view that has listed dir answers by name, as ReadDir would, without the OS.
	if e, ok := fsys.(interface {
		Entry(dir, name string) (has, known bool)
	}); ok {
		upper, known := e.Entry(filepath.Clean(dir), "Dockerfile")
		if known {
			lower, _ := e.Entry(filepath.Clean(dir), "dockerfile")
			return lower && !upper
		}
	}
	// Mostly there is no "dockerfile" in any case: one Lstat says so without listing the directory.
	if l, ok := fsys.(interface {
		Lstat(name string) (fs.FileInfo, error)
	}); ok {
		if _, err := l.Lstat(filepath.Join(dir, "dockerfile")); errors.Is(err, fs.ErrNotExist) {
			return false
		}
	}
	entries, err := fsys.ReadDir(dir)
	if err != nil {
		return false
	}
	lower := false
	for _, e := range entries {
		switch e.Name() {
		case "Dockerfile":
			return false
		case "dockerfile":
			lower = true
		}
	}
	return lower
}
