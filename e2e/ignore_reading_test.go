package e2e

import (
	"archive/tar"
	"path/filepath"
	"slices"
	"sort"
	"testing"

	"github.com/monoctx/monoctx/ignore"
)

// TestIgnoreReadingMatchesARealBuild builds contexts whose .dockerignore holds lines that Docker
// reads differently from how they look ("/!a" is the exception "a") and checks that the files in
// the image are exactly those monoctx's reading of the file does not exclude.
func TestIgnoreReadingMatchesARealBuild(t *testing.T) {
	clis := dockerCLIs(t)
	files := []string{"a/x", "b", "!c", " d", "e", "!a"}
	for _, data := range []string{
		"a\n/!a\n",
		"*\n/!a\n",
		"*\n/ !b\n",
		"*\n!/!c\n",
		"*\n/! d\n",
		"*\n/!e/../a\n",
	} {
		dir := t.TempDir()
		for _, f := range files {
			writeFile(t, filepath.Join(dir, filepath.FromSlash(f)), f+"\n")
		}
		writeFile(t, filepath.Join(dir, ".dockerignore"), data)
		writeFile(t, filepath.Join(dir, "Dockerfile"), probeDockerfile)
		f, err := ignore.Parse(".dockerignore", []byte(data))
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for _, p := range files {
			if !f.Excluded(p) {
				want = append(want, p)
			}
		}
		sort.Strings(want)
		for _, c := range clis {
			tag := newTag(t, "monoctx-e2e-ignore", c.bin)
			r := runCmd(t, dir, c.env, nil, c.bin, "build", "-q", "-t", tag, ".")
			if r.code != 0 {
				t.Fatalf("%s: %q: docker build: exit %d\n%s", c.name, data, r.code, tail(r.stderr))
			}
			var got []string
			for name, e := range subtree(exportImage(t, c.bin, tag), "ctx") {
				if e.Hdr.Typeflag == tar.TypeReg && name != "Dockerfile" && name != ".dockerignore" {
					got = append(got, name)
				}
			}
			sort.Strings(got)
			if !slices.Equal(got, want) {
				t.Errorf("%s: %q: the image holds %q, monoctx reads %q", c.name, data, got, want)
			}
		}
	}
}
