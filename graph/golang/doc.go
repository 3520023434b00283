// Package golang computes the input set of a Go package from the language's
// own dependency graph, without running the Go toolchain.
//
// A Dockerfile that copies its whole context and then runs
// `go build ./cmd/api` depends on every file of the context as far as Docker
// is concerned, but the image only changes when a file that the build reads
// changes. Analyze walks the import graph of the package within the
// repository's modules and returns those files:
//
//   - the .go files of every package in the transitive import closure that
//     lives in the repository (main modules, go.work modules, modules
//     replaced by a local directory, vendored packages), for every GOOS,
//     GOARCH and build tag: the result is a superset of any one build;
//   - the other non-test files in those package directories (.s, .c, .h,
//     .syso, templates, …) and the targets of their //go:embed directives,
//     resolved like the go command does (directories recursively, the all:
//     prefix, hidden and underscore files, module boundaries);
//   - go.mod and go.sum of every module involved, go.work and go.work.sum,
//     and vendor/modules.txt when the build vendors.
//
// Imports are read with go/parser in ImportsOnly mode, in parallel. The
// standard library is ignored. Imports of modules outside the repository are
// reported in Closure.ExternalModules, so that a go.sum change can be
// attributed with ChangedModules instead of affecting every Go app.
//
// To attribute a go.mod, go.sum, go.work or go.work.sum change, compare the
// two versions with ChangedModules or ChangedWorkModules and intersect the
// result with ExternalModules of each closure; when it is undecided, or a
// closure's ExternalComplete is false, fall back to "every Go app of the
// module" with the reason. WithModCache makes ExternalModules transitive
// when the module cache is available; a vendored build is always complete.
//
// An Analyzer caches parsed package directories and module files, so that
// analysing many apps of the same repository in one run costs little more
// than analysing the largest one.
package golang
