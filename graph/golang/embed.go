package golang

import (
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"strings"

	"golang.org/x/mod/module"
)

// resolveEmbed returns the repository-relative files that a //go:embed
// pattern of the package in pkgAbs (repository-relative pkgRel) matches,
// following cmd/go's rules: a pattern is a path.Match glob relative to the
// package directory; a matched file is embedded whatever its name; a matched
// directory is embedded recursively, except files and directories whose
// names begin with "." or "_" (unless the pattern has the "all:" prefix),
// version-control directories, and subdirectories that hold a go.mod (other
// modules). Matches the go command would reject (other modules, irregular
// files, invalid names) are skipped: the build fails on them anyway.
func resolveEmbed(fsys FS, pkgAbs, pkgRel, pattern string) ([]string, error) {
	glob, all := strings.CutPrefix(pattern, "all:")
	if !validEmbedPattern(glob) {
		return nil, nil
	}
	matches, err := fsys.Glob(pkgAbs, glob)
	if err != nil {
		return nil, nil
	}
	var out []string
	for _, m := range matches {
		relToPkg := filepath.ToSlash(strings.TrimPrefix(m, pkgAbs+string(filepath.Separator)))
		if !embedPathOK(fsys, pkgAbs, relToPkg) {
			continue
		}
		fi, err := fsys.Lstat(m)
		if err != nil {
			continue
		}
		switch {
		case fi.Mode().IsRegular():
			out = append(out, join(pkgRel, relToPkg))
		case fi.IsDir():
			files, err := walkFiles(fsys, m, join(pkgRel, relToPkg), all)
			if err != nil {
				return nil, fmt.Errorf("resolving //go:embed %s in %s: %w", pattern, pkgRel, err)
			}
			out = append(out, files...)
		}
	}
	return out, nil
}

// walkFiles returns the regular files under the directory abs, named
// relative to the repository as rel/…, skipping what the go command skips
// when embedding a directory (see resolveEmbed).
func walkFiles(fsys FS, abs, rel string, all bool) ([]string, error) {
	var out []string
	err := fsys.WalkDir(abs, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == abs {
			return nil
		}
		name := d.Name()
		if isBadEmbedName(name) || (!all && (name[0] == '.' || name[0] == '_')) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			if _, err := fsys.Stat(filepath.Join(p, "go.mod")); err == nil {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		out = append(out, join(rel, filepath.ToSlash(strings.TrimPrefix(p, abs+string(filepath.Separator)))))
		return nil
	})
	return out, err
}

// validEmbedPattern reports whether the go command accepts the pattern: a
// valid path.Match pattern of clean, relative, non-empty elements.
func validEmbedPattern(glob string) bool {
	if _, err := path.Match(glob, ""); err != nil {
		return false
	}
	if glob == "" || glob == "." || strings.HasPrefix(glob, "/") || strings.HasSuffix(glob, "/") {
		return false
	}
	for _, elem := range strings.Split(glob, "/") {
		if elem == "" || elem == "." || elem == ".." {
			return false
		}
	}
	return true
}

// embedPathOK checks the directories from the package directory down to a
// match: none may hold a go.mod (another module) or have an invalid name.
func embedPathOK(fsys FS, pkgAbs, relToPkg string) bool {
	elems := strings.Split(relToPkg, "/")
	p := pkgAbs
	for i, elem := range elems {
		p = filepath.Join(p, elem)
		if isBadEmbedName(elem) {
			return false
		}
		if i == len(elems)-1 {
			if fi, err := fsys.Lstat(p); err == nil && !fi.IsDir() {
				break
			}
		}
		if _, err := fsys.Stat(filepath.Join(p, "go.mod")); err == nil {
			return false
		}
	}
	return true
}

func isBadEmbedName(name string) bool {
	if err := module.CheckFilePath(name); err != nil {
		return true
	}
	switch name {
	case "", ".bzr", ".hg", ".git", ".svn":
		return true
	}
	return false
}

// quoteGlob escapes the glob metacharacters of a literal path.
func quoteGlob(s string) string {
	if !strings.ContainsAny(s, `*?[\`) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '*', '?', '[', '\\':
			if filepath.Separator != '\\' || r != '\\' {
				b.WriteByte('\\')
			}
		}
		b.WriteRune(r)
	}
	return b.String()
}

// walkAll returns every regular file under the directory abs, named
// relative to the repository as rel/….
func walkAll(fsys FS, abs, rel string) ([]string, error) {
	var out []string
	err := fsys.WalkDir(abs, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			out = append(out, join(rel, filepath.ToSlash(strings.TrimPrefix(p, abs+string(filepath.Separator)))))
		}
		return nil
	})
	return out, err
}
