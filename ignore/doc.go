// Package ignore reads, evaluates and writes .dockerignore files with Docker's
// exact semantics.
//
// Reading and matching go through moby/patternmatcher and the rules of
// moby/patternmatcher/ignorefile, the code the docker CLI, BuildKit and the
// classic builder use themselves; never through a general glob library. The
// differences from gitignore and from doublestar matter and are kept:
// patterns are anchored at the context root ("node_modules" does not match
// "a/node_modules"), a trailing "/" is dropped (so "foo/" also excludes a
// file named foo), "[!a]" is not a negation, "{a,b}" is literal, a pattern
// matches a path when it matches the path or any parent directory of it, and
// the last matching pattern wins.
//
// [Parse] keeps the line of every pattern, so [File.Decide] can say which
// line excluded a path ("apps/web/Dockerfile.dockerignore:3").
// [File.ExcludedUsingParent] and [File.CanSkipDir] serve walkers that prune
// directories, and [Applicable] says which ignore file BuildKit applies to a
// Dockerfile.
//
// [Generate] writes an allowlist that makes a plain
// "docker build -f <Dockerfile> <context>" send only the paths an app needs,
// with the same result for the classic builder and for BuildKit. Generated
// files start with [Marker]; [Write] replaces files atomically and refuses
// to overwrite a file without the marker, which belongs to the user.
// [Check] reports whether a generated file is current.
package ignore
