package buildctx

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
)

// DockerfilePath returns where [Write] stores src's Dockerfile in the tar — the path to pass as
// `-f` — without walking the context, so a builder can be started before the tar is written.
func DockerfilePath(src Source) (string, error) {
	if rel, ok := relInside(filepath.Clean(src.Dir), filepath.Clean(src.Dockerfile)); ok {
		return filepath.ToSlash(rel), nil
	}
	content, _, err := readSmall(src.Dockerfile)
	if err != nil {
		return "", fmt.Errorf("reading Dockerfile: %w", err)
	}
	return outsideDockerfileName(content), nil
}

// outsideDockerfileName names a Dockerfile from outside the context after its content, as
// `.dockerfile.<20 hex>` (the docker CLI uses random hex; content keeps the tar deterministic).
func outsideDockerfileName(content []byte) string {
	sum := sha256.Sum256(content)
	return ".dockerfile." + hex.EncodeToString(sum[:10])
}
