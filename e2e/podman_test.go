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

// TestPodmanBuildWithNamedContext: `monoctx build` passes an app's local named contexts (here
// compose additional_contexts) to the builder as --build-context, so COPY --from=NAME reads the
// directory from disk while the main context streams on stdin. The legacy docker builder cannot
// read named contexts: monoctx says so instead of letting it try to pull an image named "shared".
func TestPodmanBuildWithNamedContext(t *testing.T) {
	bin, env := podmanEnv(t)
	repo := t.TempDir()
	writeFile(t, filepath.Join(repo, "compose.yaml"), "services:\n  api:\n    build:\n      context: services/api\n"+
		"      additional_contexts:\n        shared: libs/shared\n")
	writeFile(t, filepath.Join(repo, "services/api/Dockerfile"), "FROM scratch\nCOPY main.txt /main.txt\nCOPY --from=shared lib.txt /lib/\n")
	writeFile(t, filepath.Join(repo, "services/api/main.txt"), "main\n")
	writeFile(t, filepath.Join(repo, "libs/shared/lib.txt"), "shared lib\n")
	writeFile(t, filepath.Join(repo, "libs/shared/unused.txt"), "unused\n")
	gitInit(t, repo)

	tag := "localhost/monoctx-e2e-named:" + strings.ToLower(filepath.Base(repo))
	r := runCmd(t, repo, env, nil, monoctxBin, "build", "api", "--builder", "podman", "-t", tag)
	if r.code != 0 {
		t.Fatalf("monoctx build api --builder podman: exit %d\n%s", r.code, tail(r.stderr))
	}
	got := podmanExport(t, bin, env, tag)
	for name, want := range map[string]string{"main.txt": "main\n", "lib/lib.txt": "shared lib\n"} {
		if e, ok := got[name]; !ok || string(content(got, e)) != want {
			t.Errorf("%s in the image: got %q (present %v), want %q", name, content(got, e), ok, want)
		}
	}
	if _, ok := got["lib/unused.txt"]; ok {
		t.Errorf("lib/unused.txt reached the image")
	}

	legacy := dockerCLIs(t)[0]
	r = runCmd(t, repo, monoctxEnv(t, legacy), nil, monoctxBin, "build", "api")
	if r.code == 0 || !strings.Contains(string(r.stderr), "legacy builder (DOCKER_BUILDKIT=0) cannot read") {
		t.Errorf("legacy build of an app with named contexts: exit %d, stderr:\n%s", r.code, tail(r.stderr))
	}
}
