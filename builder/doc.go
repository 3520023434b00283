// Package builder builds apps on BuildKit through its own session protocol, with the app's input
// set as the build context.
//
// The tar stream of package buildctx suits the legacy builder and podman; BuildKit reads a tar on
// stdin whole on every build. Here the context is served the way `docker buildx build` serves a
// directory — tonistiigi/fsutil file systems attached to the BuildKit session — but filtered to
// exactly the entries [buildctx.List] gives for the app, so BuildKit sees what `monoctx context
// APP --list` lists, file for file, and syncs incrementally between builds: the second build of an
// unchanged app sends file headers, not contents. The Dockerfile travels in its own mount, as with
// buildx; named build contexts that are repository directories are served the same way, limited to
// the paths the Dockerfile reads from them. Nothing is written into the repository.
//
// A [Client] talks to a standalone buildkitd ([Connect]: unix://, tcp:// with TLS, and the
// docker-container://, podman-container://, kube-pod:// and ssh:// connection helpers) or to the
// BuildKit inside a Docker engine through its /grpc and /session endpoints ([ConnectDocker]), as
// buildx's docker driver does.
package builder
