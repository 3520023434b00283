package e2e

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// podmanEnv returns an environment that gives podman an isolated vfs store in a temp dir through
// its configuration files, since `monoctx build --builder podman` has no way to pass podman's
// global flags (--storage-driver, --root, ...).
func podmanEnv(t *testing.T) (bin string, env []string) {
	t.Helper()
	bin, err := exec.LookPath("podman")
	if err != nil {
		unavailable(t, "podman is not on PATH")
	}
	d := t.TempDir()
	storage := filepath.Join(d, "storage.conf")
	writeFile(t, storage, "[storage]\ndriver = \"vfs\"\ngraphroot = \""+filepath.Join(d, "root")+"\"\nrunroot = \""+filepath.Join(d, "run")+"\"\n")
	conf := filepath.Join(d, "containers.conf")
	writeFile(t, conf, "[engine]\ncgroup_manager = \"cgroupfs\"\nevents_logger = \"file\"\n")
	return bin, []string{"CONTAINERS_STORAGE_CONF=" + storage, "CONTAINERS_CONF=" + conf}
}

// podmanExport returns a podman image's filesystem, without what the runtime adds.
func podmanExport(t *testing.T, bin string, env []string, tag string) map[string]fileEntry {
	t.Helper()
	cid := strings.TrimSpace(string(mustRun(t, "", env, nil, bin, "create", tag, "/none")))
	defer mustRun(t, "", env, nil, bin, "rm", "-f", cid)
	files := readTar(t, bytes.NewReader(mustRun(t, "", env, nil, bin, "export", cid)))
	for name := range files {
		for _, r := range runtimeEntries {
			if name == r || strings.HasPrefix(name, r+"/") {
				delete(files, name)
			}
		}
	}
	return files
}

// TestPodmanBuildMatchesPlainDockerBuild checks that `monoctx build app --builder podman` (podman
// reads the streamed tar on stdin) gives the same files as a plain legacy `docker build` of the
// whole repository, and that piping `monoctx context app` into `podman build -f X -` does too.
func TestPodmanBuildMatchesPlainDockerBuild(t *testing.T) {
	legacy := dockerCLIs(t)[0]
	bin, env := podmanEnv(t)
	repo, suffix := buildFixture(t)

	plain := newTag(t, "monoctx-e2e-plain", legacy.bin)
	mustRun(t, repo, legacy.env, nil, legacy.bin, "build", "-q", "-t", plain, "-f", "apps/app/Dockerfile", "--build-arg", "FLAVOR=blue", ".")
	want := exportImage(t, legacy.bin, plain)

	t.Run("monoctx-build", func(t *testing.T) {
		tag := "localhost/monoctx-e2e-app:" + suffix
		r := runCmd(t, repo, env, nil, monoctxBin, "build", "app", "--builder", "podman", "-t", tag)
		if r.code != 0 {
			t.Fatalf("monoctx build app --builder podman: exit %d\n%s", r.code, tail(r.stderr))
		}
		n := compareTrees(t, "podman", want, podmanExport(t, bin, env, tag), compareOptions{})
		t.Logf("podman (monoctx build): %d entries compared", n)
	})
	t.Run("context-pipe", func(t *testing.T) {
		tag := "localhost/monoctx-e2e-pipe:" + suffix
		tarball := contextTar(t, repo, "app")
		mustRun(t, repo, env, bytes.NewReader(tarball), bin, "build", "-q", "-t", tag, "-f", "apps/app/Dockerfile", "--build-arg", "FLAVOR=blue", "-")
		n := compareTrees(t, "podman", want, podmanExport(t, bin, env, tag), compareOptions{})
		t.Logf("podman (context | podman build -): %d entries compared", n)
	})
}
