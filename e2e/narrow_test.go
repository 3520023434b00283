package e2e

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestNarrowedContextBuildsLikeThePlainBuild builds a whole-context app that monoctx narrows to a
// workspace package, whose later stage copies root build configuration and lingui.config.ts by path
// out of the whole-context stage: `monoctx build web` must give the image a plain
// `docker build -f apps/web/Dockerfile .` of the whole repository gives, with the legacy builder
// and with BuildKit, while the context leaves out the packages web does not use.
func TestNarrowedContextBuildsLikeThePlainBuild(t *testing.T) {
	clis := dockerCLIs(t)
	repo := t.TempDir()
	writeTxtar(t, filepath.Join("testdata", "narrow.txtar"), repo)
	suffix := strings.ReplaceAll(filepath.Base(repo), "_", "")
	cfg := filepath.Join(repo, "monoctx.yaml")
	data, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, cfg, strings.ReplaceAll(string(data), "SUFFIX", strings.ToLower(suffix)))
	gitInit(t, repo)

	list := lines(monoctx(t, repo, "context", "web", "--list"))
	for _, want := range []string{"lingui.config.ts", "turbo.json", "patches/left-pad@1.3.0.patch", "packages/ui/index.js"} {
		if !slices.Contains(list, want) {
			t.Errorf("the narrowed context lacks %s: %q", want, list)
		}
	}
	if slices.Contains(list, "packages/other/index.js") {
		t.Errorf("the narrowed context holds packages/other/index.js, which web does not use: %q", list)
	}
	for _, c := range clis {
		t.Run(c.name, func(t *testing.T) {
			ours := "monoctx-e2e-narrow:" + strings.ToLower(suffix)
			t.Cleanup(func() { removeImage(t, c.bin, ours) })
			r := runCmd(t, repo, monoctxEnv(t, c), nil, monoctxBin, "build", "web")
			if r.code != 0 {
				t.Fatalf("monoctx build web: exit %d\n%s", r.code, tail(r.stderr))
			}
			plain := newTag(t, "monoctx-e2e-narrow-plain", c.bin)
			mustRun(t, repo, c.env, nil, c.bin, "build", "-q", "-t", plain, "-f", "apps/web/Dockerfile", ".")
			n := compareTrees(t, c.name, exportImage(t, c.bin, plain), exportImage(t, c.bin, ours), compareOptions{})
			t.Logf("%s: %d entries compared", c.name, n)
		})
	}
}
