// Package e2e holds end-to-end tests against a real Docker engine.
//
// The tests build the monoctx binary once, run it as a subprocess on fixture monorepos made into
// real git repositories, and compare what it produces with what real builders see:
//
//   - TestDifferential: for every app, the files of `monoctx context APP` equal the files a plain
//     `docker build` sends when the generated `<Dockerfile>.dockerignore` is in place (BuildKit),
//     or the same patterns are the context's `.dockerignore` (legacy builder);
//   - TestBuild*: `monoctx build` produces the same image as a plain `docker build` of the whole
//     directory, passes the builder's exit code through, and builds only affected apps;
//   - TestPodman*: podman builds from the streamed context;
//   - every context produced passes one invariant checker (checkContext).
//
// Run them with an engine: scripts/with-dockerd go test ./e2e/ -v. Without an engine they skip,
// except with CI=true, where they fail. BenchmarkBuildVsPlainDocker compares wall time and bytes
// sent on a generated monorepo whose size is set by MONOCTX_BENCH_MB.
package e2e
