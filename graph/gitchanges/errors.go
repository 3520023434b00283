package gitchanges

import (
	"fmt"
	"strings"
)

// MissingBaseError reports a base commit that is not in this clone: a
// shallow checkout whose history stops before it, a commit that was
// force-pushed away or garbage-collected, or the all-zero hash CI systems
// pass for a new branch. Callers branch on it (errors.As) to apply an
// explicit fallback such as --on-missing-base=all.
type MissingBaseError struct {
	// Ref is the base as the caller named it.
	Ref string
	// Head is set when the missing commit is the merge base of Ref and Head
	// (both present, but their common history is not).
	Head string
	// Shallow reports whether the clone is shallow.
	Shallow bool
	// Boundary lists the commits where the shallow history stops.
	Boundary []string
}

// Error names the commit, says it is not in this clone and how to fix it.
func (e *MissingBaseError) Error() string {
	var b strings.Builder
	switch {
	case isZeroHash(e.Ref):
		b.WriteString("base commit " + abbrev(e.Ref) + " is the all-zero hash (a new branch or a push with no previous commit), so there is nothing to compare with")
	case e.Head != "":
		fmt.Fprintf(&b, "the merge base of %s and %s is not in this clone", e.Ref, e.Head)
	default:
		fmt.Fprintf(&b, "base commit %s is not in this clone", abbrev(e.Ref))
	}
	if e.Shallow {
		b.WriteString(" (shallow clone")
		if len(e.Boundary) > 0 {
			bs := make([]string, 0, 3)
			for i, s := range e.Boundary {
				if i == 3 {
					bs = append(bs, fmt.Sprintf("and %d more", len(e.Boundary)-3))
					break
				}
				bs = append(bs, abbrev(s))
			}
			b.WriteString(": history stops at " + strings.Join(bs, ", "))
		}
		b.WriteString(`); fetch more history with "git fetch --deepen=200" (or actions/checkout "fetch-depth: 0"), or pass --on-missing-base=all`)
		return b.String()
	}
	if isZeroHash(e.Ref) {
		b.WriteString("; pass a real base ref, or --on-missing-base=all")
		return b.String()
	}
	b.WriteString(`; it may have been force-pushed away or never fetched: fetch it (e.g. "git fetch origin ` + e.Ref + `"), or pass --on-missing-base=all`)
	return b.String()
}

// NoCommitsError reports a ref resolved in a repository whose current branch has no commit yet.
type NoCommitsError struct {
	Ref string
}

func (e *NoCommitsError) Error() string {
	return fmt.Sprintf("%s names no commit: this repository has no commits yet; commit first (git commit), or name the changed paths with --files", e.Ref)
}

// UnknownRefError reports a ref name that names no commit in this clone.
type UnknownRefError struct {
	// Ref is the name as the caller gave it.
	Ref string
}

// Error names the ref and how to list the ones that exist.
func (e *UnknownRefError) Error() string {
	return fmt.Sprintf(`unknown revision %q: no branch, tag, remote-tracking ref or commit has that name in this clone (list them with "git branch -a"; fetch with "git fetch origin")`, e.Ref)
}

// NoMergeBaseError reports two commits of a full (not shallow) clone that
// share no history.
type NoMergeBaseError struct {
	// A and B are the commits as the caller named them.
	A, B string
}

// Error names both commits.
func (e *NoMergeBaseError) Error() string {
	return fmt.Sprintf("%s and %s have no common ancestor (unrelated histories); compare them directly instead of through a merge base", e.A, e.B)
}

// NotWorkTreeError reports a directory that is not inside a git work tree.
type NotWorkTreeError struct {
	// Dir is the directory Open was given.
	Dir string
	// Err is the underlying cause, if any.
	Err error
}

// Error names the directory.
func (e *NotWorkTreeError) Error() string {
	msg := fmt.Sprintf("%s is not inside a git work tree (run from a git checkout, or run \"git init\")", e.Dir)
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the underlying cause.
func (e *NotWorkTreeError) Unwrap() error { return e.Err }

// abbrev shortens a full object name for messages; other refs pass through.
func abbrev(s string) string {
	if (len(s) == 40 || len(s) == 64) && isHexPrefix(s) {
		return s[:12]
	}
	return s
}
