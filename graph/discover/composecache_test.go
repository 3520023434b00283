package discover

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/monoctx/monoctx/graph/cache"
)

// findWith runs Find in root with env and the parse cache in dir ("": none), as one run of
// monoctx would: it opens the cache and flushes it. It returns the builds, the warnings and the
// cache's hits.
func findWith(t *testing.T, root string, env []string, dir string) (builds, warnings []string, hits int64) {
	t.Helper()
	var c *cache.Cache
	if dir != "" {
		c = cache.Open(dir, "test")
	}
	res, err := Find(context.Background(), root, Options{Env: env, Cache: c, Dockerfiles: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	hits, _ = c.Stats()
	// The definition files read are part of the answer: affected compares them at base.
	return append(lines(res), "files: "+strings.Join(res.Files, ",")), res.Warnings, hits
}

// A cached compose project gives what loading it gives; the key holds its files, its .env and the
// variables they name, so changing any of them loads it again.
func TestComposeProjectsFromTheCacheAreTheLoadedOnes(t *testing.T) {
	root := writeTree(t, map[string]string{
		"compose.yaml": "services:\n" +
			"  api:\n    image: reg/api:${TAG:-dev}\n    build:\n      context: ${API_DIR:-api}\n      args: {V: \"${V}\", W: \"$W\", N: null}\n      tags: [\"reg/api:x\"]\n      platforms: [linux/amd64]\n      target: run\n      additional_contexts: {lib: ./lib}\n" +
			"  web:\n    build:\n      context: web\n      dockerfile: ${WEB_DF}\n" +
			"  inline:\n    build:\n      dockerfile_inline: \"FROM scratch\\n\"\n" +
			"  db:\n    image: postgres\n",
		".env":           "V=from-dotenv\n",
		"api/Dockerfile": scratch, "web/Dockerfile": scratch, "lib/x": "x\n",
	})
	c := t.TempDir()
	env := []string{"W=1", "UNRELATED=a"}
	want, wantWarn, _ := findWith(t, root, env, "")
	if len(want) != 5 || len(wantWarn) != 2 || !strings.Contains(want[4], ".env") {
		t.Fatalf("the fixture should give two compose builds, two Dockerfile builds, the files read (.env among them) and two warnings (an inline Dockerfile, an unset WEB_DF): %q %q", want, wantWarn)
	}
	for i, step := range []struct {
		what string
		env  []string
		edit map[string]string
		hit  bool
	}{
		{what: "first load", env: env},
		{what: "the same project", env: env, hit: true},
		{what: "a variable no file names", env: []string{"W=1", "UNRELATED=b"}, hit: true},
		{what: "a named variable", env: []string{"W=2", "UNRELATED=a"}},
		{what: "a named variable set", env: []string{"W=1", "UNRELATED=a", "WEB_DF=Dockerfile"}},
		{what: "a COMPOSE_ variable", env: []string{"W=1", "UNRELATED=a", "COMPOSE_PROFILES=x"}},
		{what: ".env", env: env, edit: map[string]string{".env": "V=changed\n"}},
		{what: "the compose file", env: env, edit: map[string]string{"compose.yaml": "services:\n  api:\n    build: api\n"}},
	} {
		for p, data := range step.edit {
			if err := os.WriteFile(filepath.Join(root, p), []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		got, gotWarn, hits := findWith(t, root, step.env, c)
		if (hits > 0) != step.hit {
			t.Errorf("step %d (%s): %d cache hits, want hit=%v", i, step.what, hits, step.hit)
		}
		plain, plainWarn, _ := findWith(t, root, step.env, "")
		if !reflect.DeepEqual(got, plain) || !reflect.DeepEqual(gotWarn, plainWarn) {
			t.Errorf("step %d (%s): with the cache\n%q\n%q\nwithout\n%q\n%q", i, step.what, got, gotWarn, plain, plainWarn)
		}
		if i == 1 && (!reflect.DeepEqual(got, want) || !reflect.DeepEqual(gotWarn, wantWarn)) {
			t.Errorf("from the cache:\n%q\n%q\nloaded:\n%q\n%q", got, gotWarn, want, wantWarn)
		}
	}
}

// compose-go reads included and extended files from the OS, outside the key: such a project is
// loaded every time.
func TestComposeProjectsThatIncludeOrExtendAreNotCached(t *testing.T) {
	for name, files := range map[string]map[string]string{
		"include": {"compose.yaml": "include: [other.yaml]\nservices:\n  api:\n    build: api\n", "other.yaml": "services:\n  web:\n    build: web\n"},
		"extends": {"compose.yaml": "services:\n  api:\n    extends: {file: base.yaml, service: b}\n", "base.yaml": "services:\n  b:\n    build: api\n"},
	} {
		files["api/Dockerfile"], files["web/Dockerfile"] = scratch, scratch
		root := writeTree(t, files)
		c := t.TempDir()
		first, _, _ := findWith(t, root, nil, c)
		again, _, hits := findWith(t, root, nil, c)
		if hits != 0 || !reflect.DeepEqual(first, again) {
			t.Errorf("%s: %d hits on the second run; builds %q then %q", name, hits, first, again)
		}
	}
}

// A compose project whose files have no build, extends or include key anywhere builds nothing,
// and is not loaded: a file compose-go would reject is no error then. One key of the three
// anywhere (an anchor, a second document) loads it as before.
func TestComposeProjectsThatBuildNothingAreNotLoaded(t *testing.T) {
	root := writeTree(t, map[string]string{
		// compose-go refuses ports given as a mapping; it is never asked.
		"run/compose.yaml":    "services:\n  db:\n    image: postgres\n    ports: {bad: 1}\n",
		"anchor/compose.yaml": "x-b: &b\n  build: .\nservices:\n  api:\n    <<: *b\n",
		"docs/compose.yaml":   "services:\n  db:\n    image: postgres\n---\nservices:\n  web:\n    build: .\n",
		"bad/compose.yaml":    "services:\n  db:\n    image: postgres\n    ports: {bad: 1}\n    build: .\n",
		"anchor/Dockerfile":   scratch, "docs/Dockerfile": scratch, "bad/Dockerfile": scratch,
	})
	res, err := Find(context.Background(), root, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var builds []string
	for _, b := range res.Builds {
		if b.Source == SourceCompose {
			builds = append(builds, b.File+" "+b.Name)
		}
	}
	if want := []string{"anchor/compose.yaml api", "docs/compose.yaml web"}; !reflect.DeepEqual(builds, want) {
		t.Errorf("compose builds: got %q, want %q", builds, want)
	}
	if len(res.Broken) != 1 || res.Broken[0].File != "bad/compose.yaml" {
		t.Errorf("broken: got %+v, want bad/compose.yaml only (run/compose.yaml builds nothing)", res.Broken)
	}
	if !slices.Contains(res.Files, "run/compose.yaml") {
		t.Errorf("files read: %q lack run/compose.yaml: an edit adding a build must count as a definition's", res.Files)
	}
}

// Compose projects are loaded on every core first; what they give, said in project order, is the
// same on every run: builds, a broken project, a required variable given a placeholder.
func TestComposeProjectsLoadedTogetherGiveTheirOrder(t *testing.T) {
	files := map[string]string{
		"bad/compose.yaml": "services:\n  db:\n    build: .\n    ports: {bad: 1}\n",
		"bad/Dockerfile":   scratch,
		"req/compose.yaml": "services:\n  api:\n    build:\n      context: .\n      args: {T: \"${TAG:?set TAG}\"}\n",
		"req/Dockerfile":   scratch,
	}
	for _, d := range []string{"a", "b", "c", "d", "e"} {
		files[d+"/compose.yaml"] = "services:\n  " + d + ":\n    build:\n      context: .\n      dockerfile: ${DF:-Dockerfile}\n"
		files[d+"/Dockerfile"] = scratch
	}
	root := writeTree(t, files)
	var first []string
	for i := range 5 {
		res, err := Find(context.Background(), root, Options{})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, b := range res.Builds {
			if b.Source == SourceCompose {
				got = append(got, b.File+" "+b.Name+" "+b.Args["T"])
			}
		}
		for _, e := range res.Broken {
			got = append(got, "broken "+e.File)
		}
		got = append(got, res.Warnings...)
		if i == 0 {
			first = got
			want := []string{"a/compose.yaml a ", "b/compose.yaml b ", "c/compose.yaml c ", "d/compose.yaml d ", "e/compose.yaml e ", "req/compose.yaml api monoctx-unset-TAG", "broken bad/compose.yaml"}
			if len(got) < len(want) || !reflect.DeepEqual(got[:len(want)], want) {
				t.Fatalf("got %q, want %q first", got, want)
			}
			continue
		}
		if !reflect.DeepEqual(got, first) {
			t.Fatalf("run %d: %q, first run %q", i, got, first)
		}
	}
}
