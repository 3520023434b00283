// Package gitchanges is monoctx's change-detection seam: everything monoctx
// asks of git goes through the small API of this package.
//
// A [Repo] is opened from any directory of a work tree (or a linked worktree)
// with [Open]. It answers which paths changed between two commits
// ([Repo.Changes]), between a commit and the work tree (staged, unstaged and
// untracked-but-not-ignored files), or between HEAD and the index
// ([Repo.StagedChanges], for pre-commit hooks). It also resolves refs, finds
// merge bases (also at the boundary of a shallow clone), reads files at a
// revision or from the index, and sums the sizes of tracked files from the
// index's stat data ([Repo.TrackedSize]).
//
// Renames are never detected: a moved file is reported as a deletion of the
// old path plus an addition of the new one, whatever the user's diff.renames
// setting, so a tool that maps paths to projects never misses the project a
// file left. A type change (file to symlink, mode change) is a modification.
//
// A submodule is one path. In the work tree it is modified when its HEAD is
// not the commit the superproject records, or when it holds modified, staged
// or untracked-but-not-ignored files (git's --ignore-submodules=none,
// whatever .gitmodules or diff.ignoreSubmodules say): a build copies its
// files as they are on disk. A submodule that is not checked out is
// unchanged.
//
// # Engines
//
// Two implementations sit behind the API and are tested against each other on
// the same repositories:
//
//   - "git": the git command-line tool. It is fast, and it handles shallow and
//     partial clones, sparse checkouts and extensions.worktreeConfig. It runs
//     a constant, small number of git subprocesses per call, with
//     GIT_OPTIONAL_LOCKS=0 and LC_ALL=C, and reads NUL-separated output so
//     that any path comes through intact.
//   - "go-git": a pure-Go implementation on github.com/go-git/go-git/v5, used
//     when no git binary is installed. It computes merge bases with its own
//     walk that treats shallow commits as roots (go-git's own MergeBase fails
//     at a shallow boundary), and reads the work tree through the index's
//     stat data, hashing only files whose stat data changed. It cannot open
//     repositories that use extensions.worktreeConfig (set by
//     "git sparse-checkout"), and it does not apply clean filters
//     (core.autocrlf, .gitattributes filters) when it hashes a changed file.
//
// [WithEngine] chooses one; the default, "auto", uses git when it is on PATH
// and go-git otherwise.
//
// # Missing history
//
// A base commit that is not in the clone (a shallow CI checkout, a
// force-pushed or garbage-collected commit, the all-zero SHA of a new
// branch) is reported as a [*MissingBaseError] whose message says how to
// fetch more history; it is never silently treated as "nothing changed".
package gitchanges
