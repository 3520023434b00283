package e2e

import (
	"archive/tar"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"

	"github.com/monoctx/monoctx/ignore"
)

// TestGeneratedIgnoreSendsNamesWithPatternCharacters builds, with the legacy builder and with
// BuildKit, a context whose generated allowlist keeps directories named with every character a
// Docker matcher may read as a pattern or a regular expression (Next.js route groups, c++, a+b,
// x{2}, "| "), and checks the image holds exactly the kept files: not their near namesakes, and
// not nothing. A name an ignore file cannot express (a line break) keeps its parent whole.
func TestGeneratedIgnoreSendsNamesWithPatternCharacters(t *testing.T) {
	clis := dockerCLIs(t)
	kept := []string{
		"libs/c++", "web/app/(marketing)", "a+b", "x{2}", "| ", "^c", "d$", "e.f", "[g]", "q?", `back\slash`,
		"!bang", "#hash", " lead", "trail ", "über", "\ufeffbom", "h(i|j)", "deep/nl\nname",
	}
	namesakes := []string{
		"libs/c/x", "libs/cc/x", "libs/c+/x", "web/app/marketing/x", "ab/x", "aab/x", "xx/x", "c/x", "d/x",
		"eXf/x", "g/x", "qq/x", "backslash/x", "bang/x", "hash/x", "lead/x", "trail/x", "uber/x", "bom/x",
		"hi/x", "j)/x", "zz/x",
	}
	dir := t.TempDir()
	for _, k := range kept {
		writeFile(t, filepath.Join(dir, filepath.FromSlash(k), "x"), k+"\n")
	}
	for _, n := range namesakes {
		writeFile(t, filepath.Join(dir, filepath.FromSlash(n)), n+"\n")
	}
	writeFile(t, filepath.Join(dir, "deep", "sibling"), "kept with its parent\n")
	out, err := ignore.Generate(ignore.Spec{App: "names", Keep: kept})
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, ".dockerignore"), string(out))
	writeFile(t, filepath.Join(dir, "Dockerfile"), probeDockerfile)

	var want []string
	for _, k := range kept {
		want = append(want, k+"/x")
	}
	want = append(want, "deep/sibling")
	sort.Strings(want)
	for _, c := range clis {
		t.Run(c.name, func(t *testing.T) {
			tag := newTag(t, "monoctx-e2e-names", c.bin)
			r := runCmd(t, dir, c.env, nil, c.bin, "build", "-q", "-t", tag, ".")
			if r.code != 0 {
				t.Fatalf("docker build: exit %d\n%s\n%s", r.code, tail(r.stderr), out)
			}
			var got []string
			for name, e := range subtree(exportImage(t, c.bin, tag), "ctx") {
				if e.Hdr.Typeflag == tar.TypeReg && name != "Dockerfile" && name != ".dockerignore" {
					got = append(got, name)
				}
			}
			sort.Strings(got)
			if !slices.Equal(got, want) {
				t.Errorf("the image holds\n%q\nwant\n%q\nignore file:\n%s", got, want, out)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "deep", "nl\nname", "x")); err != nil {
		t.Fatal(err)
	}
}
