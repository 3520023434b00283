package e2e

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// buildFixture makes the "build" fixture with unique tags and returns the repo and the suffix.
func buildFixture(t *testing.T) (repo, suffix string) {
	t.Helper()
	var id [5]byte
	if _, err := rand.Read(id[:]); err != nil {
		t.Fatal(err)
	}
	suffix = hex.EncodeToString(id[:])
	repo = t.TempDir()
	writeTxtar(t, filepath.Join("testdata", "build.txtar"), repo)
	cfg := filepath.Join(repo, "monoctx.yaml")
	data, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, cfg, strings.ReplaceAll(string(data), "SUFFIX", suffix))
	gitInit(t, repo)
	return repo, suffix
}

// monoctxEnv makes `monoctx build` run c: its docker is the first on PATH, so PATH gets a
// directory where "docker" is c's binary, and DOCKER_BUILDKIT selects the builder.
func monoctxEnv(tb testing.TB, c dockerCLI) []string {
	tb.Helper()
	dir := tb.TempDir()
	if err := os.Symlink(c.bin, filepath.Join(dir, "docker")); err != nil {
		tb.Fatal(err)
	}
	return append([]string{"PATH=" + dir + string(os.PathListSeparator) + os.Getenv("PATH")}, c.env...)
}

// TestBuildMatchesPlainDockerBuild checks that `monoctx build app` (the minimal context streamed
// into `docker build -f X -`) gives an image with the same files as a plain
// `docker build -f apps/app/Dockerfile --build-arg FLAVOR=blue .` of the whole repository, with
// the legacy builder and with BuildKit. The whole exported filesystems are compared (path, type,
// permission bits, content, symlink target), but for what the runtime adds to every container.
func TestBuildMatchesPlainDockerBuild(t *testing.T) {
	clis := dockerCLIs(t)
	repo, suffix := buildFixture(t)
	for _, a := range listApps(t, repo) {
		if a.Name == "app" {
			checkContext(t, repo, a, nil)
		}
	}
	for _, c := range clis {
		t.Run(c.name, func(t *testing.T) {
			ours := "monoctx-e2e-app:" + suffix
			t.Cleanup(func() { removeImage(t, c.bin, ours) })
			r := runCmd(t, repo, monoctxEnv(t, c), nil, monoctxBin, "build", "app")
			if r.code != 0 {
				t.Fatalf("monoctx build app: exit %d\n%s", r.code, tail(r.stderr))
			}
			plain := newTag(t, "monoctx-e2e-plain", c.bin)
			mustRun(t, repo, c.env, nil, c.bin, "build", "-q", "-t", plain, "-f", "apps/app/Dockerfile", "--build-arg", "FLAVOR=blue", ".")
			want := exportImage(t, c.bin, plain)
			got := exportImage(t, c.bin, ours)
			n := compareTrees(t, c.name, want, got, compareOptions{})
			if _, ok := got["out/lib/b.txt"]; !ok {
				t.Errorf("out/lib/b.txt missing: the build arg FLAVOR=blue did not reach the build")
			}
			t.Logf("%s: %d entries compared", c.name, n)
		})
	}
}

// TestBuildExitCodeIsTheBuilders checks that monoctx build exits with the code a plain
// `docker build` of the same app gives: a COPY --from of an image that cannot be pulled fails in
// the builder; a literal COPY source that does not exist is refused by monoctx before building,
// with the exit code the builder would have given (1); a COPY glob that matches nothing fails
// with the legacy builder and succeeds with Docker 20.10's BuildKit, and monoctx follows both.
func TestBuildExitCodeIsTheBuilders(t *testing.T) {
	clis := dockerCLIs(t)
	repo, _ := buildFixture(t)
	writeFile(t, filepath.Join(repo, "apps/glob/Dockerfile"), "FROM scratch\nCOPY nothing-*.txt /x/\n")
	writeFile(t, filepath.Join(repo, "apps/glob/a.txt"), "a")
	writeFile(t, filepath.Join(repo, "apps/literal/Dockerfile"), "FROM scratch\nCOPY missing.txt /x\n")
	writeFile(t, filepath.Join(repo, "apps/image/Dockerfile"), "FROM scratch\nCOPY --from=localhost:1/monoctx-e2e-none /x /x\n")
	git(t, repo, "add", "-A")
	git(t, repo, "commit", "-q", "-m", "failing apps")
	for _, c := range clis {
		for _, name := range []string{"apps/image", "apps/literal", "apps/glob"} {
			t.Run(c.name+"/"+filepath.Base(name), func(t *testing.T) {
				tag := newTag(t, "monoctx-e2e-fail", c.bin)
				plain := runCmd(t, repo, c.env, nil, c.bin, "build", "-t", tag, "-f", name+"/Dockerfile", name)
				ours := runCmd(t, repo, monoctxEnv(t, c), nil, monoctxBin, "build", name, "-t", tag)
				if plain.code == 0 && name != "apps/glob" {
					t.Fatalf("plain docker build succeeded; the fixture must fail")
				}
				if ours.code != plain.code {
					t.Errorf("monoctx build exit %d, docker build exit %d\nmonoctx: %s\ndocker: %s", ours.code, plain.code, tail(ours.stderr), tail(plain.stderr))
				}
			})
		}
	}
}

// TestBuildAffectedBuildsOnlyAffectedApps changes a file of "other" in the work tree and checks
// that `monoctx build --affected --base HEAD` builds "other" and not "app".
func TestBuildAffectedBuildsOnlyAffectedApps(t *testing.T) {
	c := dockerCLIs(t)[0]
	repo, suffix := buildFixture(t)
	writeFile(t, filepath.Join(repo, "apps/other/o.txt"), "changed")
	app, other := "monoctx-e2e-app:"+suffix, "monoctx-e2e-other:"+suffix
	t.Cleanup(func() { removeImage(t, c.bin, app); removeImage(t, c.bin, other) })
	r := runCmd(t, repo, monoctxEnv(t, c), nil, monoctxBin, "build", "--affected", "--base", "HEAD")
	if r.code != 0 {
		t.Fatalf("monoctx build --affected: exit %d\n%s", r.code, tail(r.stderr))
	}
	if exec.Command(c.bin, "image", "inspect", other).Run() != nil {
		t.Errorf("%s was not built, want the affected app built\n%s", other, tail(r.stderr))
	}
	if exec.Command(c.bin, "image", "inspect", app).Run() == nil {
		t.Errorf("%s was built, want only affected apps built", app)
	}
	if got := exportImage(t, c.bin, other)["o/o.txt"]; string(got.Content) != "changed" {
		t.Errorf("o/o.txt = %q, want the work tree's %q", got.Content, "changed")
	}
}
