// Package buildctx turns a selection of files into a minimal, deterministic build-context tar and
// streams it into a builder.
//
// It does not decide what an app depends on: the graph package does, and hands over a [Source]
// (the repo root, the context directory, the roots where inputs can be, and the ignore-file
// filters). [Write] walks only those roots and writes a tar whose bytes depend only on the
// selected files:
//
//   - entries in walk order: the children of a directory sorted by the bytes of their names,
//     depth first (the order of filepath.WalkDir and `tar --sort=name`), with a directory entry
//     for every parent;
//   - uid and gid 0, empty user and group names, permission bits as on disk, mtimes truncated
//     to whole seconds (or a fixed time, see [WithMtime] and [SourceDateEpoch]), no atime or ctime;
//   - USTAR headers, PAX records where a name or size needs them;
//   - symlinks stored verbatim and never followed; hard links as links to the first path stored;
//     sockets, devices and FIFOs skipped with a warning;
//   - the Dockerfile always present: at its own path when it is inside the context, otherwise
//     under the name `.dockerfile.<20 hex>` the way the docker CLI places it, with that name
//     appended to the tar's `.dockerignore` so the legacy daemon removes it after reading it.
//
// The tar is streamed while the tree is walked: memory stays bounded by the largest directory,
// not by the size of the context. [List] runs the same walk without reading contents.
//
// [Builder] runs `docker build -` or `podman build -` and feeds the stream to its stdin while it
// is being generated. A tar streamed this way is not filtered again by the builder: Docker's
// legacy daemon only uses the tar's `.dockerignore` to delete the Dockerfile and the ignore file,
// and BuildKit does not apply it at all, so everything the filters let through ends up in the
// context.
package buildctx
