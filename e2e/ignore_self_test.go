package e2e

import (
	"path/filepath"
	"testing"
)

// TestGeneratedIgnoreFileIsNotCopiedByAWholeContextCopy writes the ignore file of an app that
// copies its whole context and builds it with BuildKit (which reads <Dockerfile>.dockerignore):
// the image holds the app's files, not the generated file.
func TestGeneratedIgnoreFileIsNotCopiedByAWholeContextCopy(t *testing.T) {
	var bk dockerCLI
	for _, c := range dockerCLIs(t) {
		if c.buildkit() {
			bk = c
		}
	}
	repo := t.TempDir()
	writeFile(t, filepath.Join(repo, "app", "Dockerfile"), probeDockerfile)
	writeFile(t, filepath.Join(repo, "app", "main.go"), "package main\n")
	gitInit(t, repo)
	monoctx(t, repo, "ignore", "--write")
	tag := newTag(t, "monoctx-e2e-self", bk.bin)
	mustRun(t, repo, bk.env, nil, bk.bin, "build", "-q", "-t", tag, "-f", "app/Dockerfile", "app")
	files := subtree(exportImage(t, bk.bin, tag), "ctx")
	if _, ok := files["main.go"]; !ok {
		t.Errorf("main.go is not in the image: %v", keys(files))
	}
	if _, ok := files["Dockerfile.dockerignore"]; ok {
		t.Errorf("the generated Dockerfile.dockerignore was copied into the image")
	}
}

func keys(m map[string]fileEntry) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
