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
// checks, through patternmatcher and Docker 20.10's matcher, that each kept
// path is included, a sibling is not, and no exception has a wildcard.
func FuzzGenerateEscapes(f *testing.F) {
	f.Add("apps/web", "libs/auth/go.mod")
	f.Add(" lead", "trail ")
	f.Add("a*b/[c]", "!x/#y")
	f.Add("q?/back\\slash", "caret^/{a,b}")
	f.Add("0", "| ")
	f.Add("libs/c++", "web/app/(marketing)")
	f.Add("a+b", "x{2}")
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
		old, err := docker2010(t, out)
		if err != nil {
			t.Fatalf("Docker 20.10 rejects the generated file: %v\n%s", err, out)
		}
		excluded := func(rel string) (bool, error) {
			ex, err := ref.excluded(t, rel)
			if err != nil {
				return ex, err
			}
			if rel == "." {
				return ex, nil // no builder matches the context root (20.10's fileutils.Matches neither)
			}
			ex2010, err := old.Matches(rel)
			if err == nil && ex2010 != ex {
				t.Errorf("%q: patternmatcher excludes it: %v, Docker 20.10: %v\n%s", rel, ex, ex2010, out)
			}
			return ex, err
		}
		for _, line := range strings.Split(string(out), "\n") {
			if wildcardException(line) {
				t.Errorf("wildcard exception %q", line)
			}
		}
		eff := func(k string) string {
			if k = path.Clean(k); !Expressible(k) {
				k = expressibleParent(k)
			}
			return k
		}
		for _, k := range keep {
			k = eff(k)
			for _, rel := range []string{k, k + "/x"} {
				if ex, err := excluded(rel); err != nil || ex {
					t.Errorf("kept %q: excluded=%v err=%v\n%s", rel, ex, err, out)
				}
			}
		}
		ea, eb := eff(a), eff(b)
		sibling := path.Join(path.Dir(ea), "zz-not-kept")
		if !under(sibling, eb) && !under(sibling, ea) && ea != "." && eb != "." {
			if ex, err := excluded(sibling); err != nil || !ex {
				t.Errorf("sibling %q: excluded=%v err=%v\n%s", sibling, ex, err, out)
			}
		}
	})
}
