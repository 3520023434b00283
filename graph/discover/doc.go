// Package discover finds the image builds a repository defines: in compose files (every file, layers
// merged as docker compose merges them), bake and skaffold files, GitHub Actions workflows,
// Makefiles and shell scripts (read with a real shell parser), devcontainer.json, and the
// Dockerfiles of the tree. Each source is one file here; each returns the builds it found with the
// file and line that define them. Find merges nothing: it returns every build in authority order,
// and the graph package decides which of them are the same app.
package discover
