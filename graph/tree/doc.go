// Package tree is monoctx's one read-only view of a repository's files. Discovery, input sets, the
// base definitions of affected and the pre-commit hook read through a View, never the OS directly:
//
//   - [WorkTree]: the work tree as git sees it. The listing is the index plus untracked files (one
//     `git ls-files`, no walk of tracked directories); contents come from disk, except the paths a
//     sparse checkout leaves out (skip-worktree), which are read from the index's blobs, so a sparse
//     clone gives the answers of a full one.
//   - [Commit]: a commit's tree, listed by one `git ls-tree` and read lazily through one long-lived
//     `git cat-file --batch-command`: only what monoctx opens is read, so a blob the clone lacks is
//     an error only for the file that needs it.
//   - [Dir]: a plain directory read from the OS and listed by a walk (no git, or the go-git engine).
//
// A View is an io/fs file system (fs.ReadFileFS, fs.ReadDirFS, fs.StatFS, fs.ReadLinkFS) with names
// relative to the repository root, plus a sorted listing of every file and git's blob id of a file
// when git already knows it. The build context itself (package buildctx) keeps reading the real
// file system: a view is for analysis only.
package tree
