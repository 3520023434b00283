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
