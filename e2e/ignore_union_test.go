package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestGeneratedIgnoreFilesServeEveryBuildOfTheDockerfile writes the ignore files of a fresh clone
// (the build outputs not there yet), checks that --check agrees, writes the outputs as make would,
// and builds every known build of each Dockerfile with the legacy builder (which reads the
// context's .dockerignore, written by --root) and BuildKit (which reads <Dockerfile>.dockerignore):
// each must succeed and copy its own file.
func TestGeneratedIgnoreFilesServeEveryBuildOfTheDockerfile(t *testing.T) {
	clis := dockerCLIs(t)
	repo := fixture(t, "union")
	monoctx(t, repo, "ignore", "--write", "--root")
	monoctx(t, repo, "ignore", "--check", "--root")
	for _, f := range []string{"svc/Dockerfile.dockerignore", "Dockerfile.multi-arch.dockerignore", ".dockerignore", "svc/.dockerignore"} {
		data, err := os.ReadFile(filepath.Join(repo, f))
		if err != nil {
			t.Fatal(err)
		}
		// An allowlist, so that the builds below prove it allows what each needs.
		if !strings.Contains(string(data), "\n*\n") {
			t.Fatalf("%s is not an allowlist:\n%s", f, data)
		}
	}
	outputs := map[string]string{
		"svc/x-linux-amd64":         "release",
		"svc/x-linux-amd64-debug":   "debug",
		".build/linux-amd64/thanos": "amd64",
		".build/linux-arm64/thanos": "arm64",
	}
	for p, content := range outputs {
		writeFile(t, filepath.Join(repo, filepath.FromSlash(p)), content)
	}
	monoctx(t, repo, "ignore", "--check", "--root")

	builds := []struct {
		name, dockerfile, context string
		args                      []string
		file, want                string
	}{
		{"release", "svc/Dockerfile", "svc", []string{"--target", "release"}, "x", "release"},
		{"debug", "svc/Dockerfile", "svc", []string{"--target", "debug"}, "x", "debug"},
		{"amd64", "Dockerfile.multi-arch", ".", []string{"--build-arg", "ARCH=amd64"}, "bin/thanos", "amd64"},
		{"arm64", "Dockerfile.multi-arch", ".", []string{"--build-arg", "ARCH=arm64"}, "bin/thanos", "arm64"},
	}
	for _, c := range clis {
		for _, b := range builds {
			t.Run(c.name+"/"+b.name, func(t *testing.T) {
				tag := newTag(t, "monoctx-e2e-union", c.bin)
				argv := append([]string{c.bin, "build", "-q", "-t", tag, "-f", b.dockerfile}, b.args...)
				r := runCmd(t, repo, c.env, nil, append(argv, b.context)...)
				if r.code != 0 {
					t.Fatalf("%s: exit %d\n%s", strings.Join(argv, " "), r.code, tail(r.stderr))
				}
				files := exportImage(t, c.bin, tag)
				e, ok := files[b.file]
				if !ok {
					t.Fatalf("the image has no %s", b.file)
				}
				if got := string(content(files, e)); got != b.want {
					t.Errorf("%s holds %q, want %q", b.file, got, b.want)
				}
				if _, ok := files["debug.conf"]; ok != (b.name == "debug") {
					t.Errorf("debug.conf in the image: %v, want %v", ok, b.name == "debug")
				}
			})
		}
	}
}
