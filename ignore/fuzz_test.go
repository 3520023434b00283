package ignore

import (
	"path"
	"strings"
	"testing"
)

// FuzzParse compares Parse and matching with ignorefile.ReadAll and
// patternmatcher on arbitrary ignore files. Seeds: the corpus and
// testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	for _, data := range corpus {
		f.Add([]byte(data))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		compareWithReference(t, data, corpusPaths)
	})
}

// FuzzExcluded compares Excluded on one (ignore file, path) pair with
// patternmatcher. Seeds: a few pairs and testdata/fuzz/FuzzExcluded.
func FuzzExcluded(f *testing.F) {
	f.Add("node_modules\n!**/keep\n", "node_modules/keep/k.js")
	f.Add("*\n!apps\napps/*\n!apps/web\n", "apps/web/src/x.go")
	f.Add("[!a]bc\n", "!bc")
	f.Add("a/**/b\n", "a/x/y/b/z")
	f.Fuzz(func(t *testing.T, data, rel string) {
		rel = path.Clean(rel)
		if strings.HasPrefix(rel, "/") || rel == ".." || strings.HasPrefix(rel, "../") {
			t.Skip("not a context-relative path")
		}
		var paths []string
		for i := range strings.Split(rel, "/") {
			paths = append(paths, strings.Join(strings.Split(rel, "/")[:i+1], "/"))
		}
		compareWithReference(t, []byte(data), paths)
	})
}

// FuzzGenerateEscapes generates allowlists for arbitrary path names and
// checks, through patternmatcher, that each kept path is included, a
// sibling is not, and no exception has a wildcard.
func FuzzGenerateEscapes(f *testing.F) {
	f.Add("apps/web", "libs/auth/go.mod")
	f.Add(" lead", "trail ")
	f.Add("a*b/[c]", "!x/#y")
	f.Add("q?/back\\slash", "caret^/{a,b}")
	f.Fuzz(func(t *testing.T, a, b string) {
		keep := []string{a, b}
		out, err := Generate(Spec{Keep: keep})
		if err != nil {
			if checkPath(a) == nil && checkPath(b) == nil {
				t.Fatalf("Generate refuses valid names %q, %q: %v", a, b, err)
			}
			return // invalid names are refused, not mangled
		}
		ref, err := newReference(t, out)
		if err != nil {
			t.Fatalf("Docker rejects the generated file: %v\n%s", err, out)
		}
		for _, line := range strings.Split(string(out), "\n") {
			if wildcardException(line) {
				t.Errorf("wildcard exception %q", line)
			}
		}
		for _, k := range keep {
			k = path.Clean(k)
			for _, rel := range []string{k, k + "/x"} {
				if ex, err := ref.excluded(t, rel); err != nil || ex {
					t.Errorf("kept %q: excluded=%v err=%v\n%s", rel, ex, err, out)
				}
			}
		}
		sibling := path.Join(path.Dir(path.Clean(a)), "zz-not-kept")
		if !under(sibling, path.Clean(b)) && !under(sibling, path.Clean(a)) && path.Clean(a) != "." && path.Clean(b) != "." {
			if ex, err := ref.excluded(t, sibling); err != nil || !ex {
				t.Errorf("sibling %q: excluded=%v err=%v\n%s", sibling, ex, err, out)
			}
		}
	})
}
