package graph

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"

	"github.com/monoctx/monoctx/graph/cache"
)

// fixtureDockerfiles returns the Dockerfiles of the repository's fixtures, by name: files, and the
// files of txtar archives.
func fixtureDockerfiles(t *testing.T) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, root := range []string{"../testdata", "testdata"} {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			switch {
			case strings.HasSuffix(p, ".txtar"):
				ar, err := txtar.ParseFile(p)
				if err != nil {
					return err
				}
				for _, f := range ar.Files {
					if strings.Contains(filepath.Base(f.Name), "Dockerfile") && !strings.HasSuffix(f.Name, "ignore") {
						out[p+":"+f.Name] = f.Data
					}
				}
			case strings.Contains(d.Name(), "Dockerfile") && !strings.HasSuffix(d.Name(), "ignore"):
				data, err := os.ReadFile(p)
				if err != nil {
					return err
				}
				out[p] = data
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// TestDockerfileAnalysisSurvivesTheCache: what the cache stores of a Dockerfile's analysis decodes
// to the analysis itself, for every fixture Dockerfile, so a warm run sees what a parse sees.
// (An unexported field added to dockerfileInfo would be lost here, and fail this.)
func TestDockerfileAnalysisSurvivesTheCache(t *testing.T) {
	files := fixtureDockerfiles(t)
	analysed := 0
	for name, data := range files {
		want, err := analyzeDockerfile(name, data, map[string]string{"VERSION": "1"}, "")
		if err != nil {
			continue // bad-input fixtures: errors are never cached
		}
		analysed++
		dir := t.TempDir()
		for _, run := range []string{"cold", "warm"} {
			l := newLangCache(t.TempDir(), noView)
			l.cache = cache.Open(dir, "test")
			got, err := l.analyzeCached(name, data, map[string]string{"VERSION": "1"}, "")
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if !reflect.DeepEqual(got, want) {
				g, _ := json.Marshal(got)
				w, _ := json.Marshal(want)
				t.Errorf("%s, %s cache:\n%s\nwant\n%s", name, run, g, w)
			}
			if hits, _ := l.cache.Stats(); run == "warm" && hits != 1 {
				t.Errorf("%s: the warm run had %d hits, want 1", name, hits)
			}
			if err := l.cache.Flush(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if analysed < 20 {
		t.Fatalf("only %d fixture Dockerfiles analysed; the test would prove little", analysed)
	}
}

// TestDockerfileCacheKeyHoldsTargetAndArgs: the same Dockerfile with another target or other args
// is another analysis, never the cached one.
func TestDockerfileCacheKeyHoldsTargetAndArgs(t *testing.T) {
	data := []byte("FROM scratch AS a\nARG SRC=one\nCOPY ${SRC} /x\nFROM scratch AS b\nCOPY two /y\n")
	dir := t.TempDir()
	for range 2 { // cold, then warm
		l := newLangCache(t.TempDir(), noView)
		l.cache = cache.Open(dir, "test")
		for _, tc := range []struct {
			args   map[string]string
			target string
			want   string
		}{
			{nil, "a", "one"},
			{map[string]string{"SRC": "three"}, "a", "three"},
			{nil, "b", "two"},
		} {
			info, err := l.analyzeCached("Dockerfile", data, tc.args, tc.target)
			if err != nil {
				t.Fatal(err)
			}
			if len(info.Sources) != 1 || info.Sources[0].Path != tc.want {
				t.Errorf("args %v target %s: sources %+v, want %s", tc.args, tc.target, info.Sources, tc.want)
			}
		}
		if err := l.cache.Flush(); err != nil {
			t.Fatal(err)
		}
	}
}
