package graph

import (
	"context"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/monoctx/monoctx/graph/cache"
	"github.com/monoctx/monoctx/graph/discover"
	"github.com/monoctx/monoctx/graph/golang"
)

// The definitions at base come out the same uncached, stored and kept, and with the head's apps
// compared against them affected answers alike; what the key holds changes it.
func TestKeptBaseDefinitionsAnswerAsFound(t *testing.T) {
	files := monorepo()
	files["monoctx.yaml"] += "apps:\n  worker:\n    dockerfile: tools/worker/Dockerfile\n    args: {MODE: fast}\n    contexts: {lib: libs/auth}\n    inputs: [VERSION]\n"
	r := newRepo(t, files)
	base := r.head()
	r.edit(map[string]string{"compose.yaml": strings.Replace(files["compose.yaml"], "SERVICE: api", "SERVICE: api\n        EXTRA: \"1\"", 1)})
	r.commit("change")
	changes := r.changes(base)
	gb := gitBase{dir: r.dir, commit: base}
	ctx := context.Background()

	plain := mustLoad(t, r.dir)
	want, err := plain.loadBaseDefinitions(ctx, gb, changes)
	if err != nil || len(want) < 3 {
		t.Fatalf("uncached: %v, %v", want, err)
	}
	dir := t.TempDir()
	for run := range 2 {
		c := cache.Open(dir, "test")
		g := mustLoad(t, r.dir, WithCache(c, nil))
		got, err := g.loadBaseDefinitions(ctx, gb, changes)
		if err != nil || !reflect.DeepEqual(got, want) {
			for n := range want {
				if got[n] != nil && !reflect.DeepEqual(*got[n], *want[n]) {
					t.Logf("%s: %#v\nwant %#v", n, *got[n], *want[n])
				}
			}
			t.Fatalf("run %d: %+v, %v\nwant %+v", run, got, err, want)
		}
		contents, list, err := g.baseDefinitionFiles(ctx, gb, changes, g.Apps)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := g.keptBaseDefinitions(baseDefsKey(g.Root, g.Config.file, contents, list, os.Environ())); !ok {
			t.Errorf("run %d: the definitions were not kept", run)
		}
		if err := c.Flush(); err != nil {
			t.Fatal(err)
		}
		all, err := g.Affected(ctx, changes, gb)
		wantAll, _ := plain.Affected(ctx, changes, gb)
		if err != nil || !reflect.DeepEqual(all, wantAll) {
			t.Errorf("run %d: Affected %+v; uncached %+v", run, all, wantAll)
		}
	}
}

func TestBaseDefinitionsKey(t *testing.T) {
	contents := map[string][]byte{"compose.yaml": []byte("services:\n  a:\n    build: .\n    image: x:${TAG}\n"), "Dockerfile": nil}
	list := []string{"Dockerfile", "compose.yaml"}
	key := func(c map[string][]byte, l, env []string) string { return baseDefsKey("/r", "monoctx.yaml", c, l, env) }
	k := key(contents, list, []string{"TAG=1", "UNRELATED=1"})
	if k == "" {
		t.Fatal("no key")
	}
	for name, other := range map[string]string{
		"a variable a file names":     key(contents, list, []string{"TAG=2", "UNRELATED=1"}),
		"that variable unset":         key(contents, list, []string{"UNRELATED=1"}),
		"a COMPOSE_ variable":         key(contents, list, []string{"TAG=1", "UNRELATED=1", "COMPOSE_PROFILES=x"}),
		"another tree":                key(contents, append(list, "b/Dockerfile"), []string{"TAG=1", "UNRELATED=1"}),
		"a file's content":            key(map[string][]byte{"compose.yaml": []byte("services: {}\n"), "Dockerfile": nil}, list, []string{"TAG=1"}),
		"a file that is only present": key(map[string][]byte{"compose.yaml": contents["compose.yaml"], "Dockerfile": {}}, list, []string{"TAG=1", "UNRELATED=1"}),
	} {
		if other == k {
			t.Errorf("%s does not change the key", name)
		}
	}
	if key(contents, list, []string{"TAG=1", "UNRELATED=2"}) != k {
		t.Error("a variable no file names changes the key")
	}
	for name, c := range map[string]map[string][]byte{
		"a bake file":              {"docker-bake.hcl": []byte("target \"a\" {}\n")},
		"a compose include":        {"compose.yaml": []byte("include:\n  - other.yaml\n")},
		"a service that extends":   {"compose.yaml": []byte("services:\n  a:\n    extends: {file: b.yaml, service: b}\n")},
		"a bake file in a subtree": {"ci/docker-bake.json": []byte("{}")},
	} {
		if key(c, list, nil) != "" {
			t.Errorf("%s: kept", name)
		}
	}
}

func TestEnvNamesIsTheComposePattern(t *testing.T) {
	re := regexp.MustCompile(`\$\{?(\w+)`)
	for _, s := range []string{"", "$", "${", "$A", "x: ${TAG:-v}-$B_2 $$C ${} $-x ${D}", "end$", "é$X", "$1abc"} {
		want := map[string]bool{}
		for _, m := range re.FindAllStringSubmatch(s, -1) {
			want[m[1]] = true
		}
		got := map[string]bool{}
		discover.EnvNames([]byte(s), got)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%q: %v; the pattern finds %v", s, got, want)
		}
	}
}

// A module comparison is kept by the four files' contents: the same files answer from the cache
// (a value planted under their key is what comes back), other files or a missing one do not, a
// kept answer survives a flush, and errors are not kept.
func TestChangedModulesKept(t *testing.T) {
	oldMod := []byte("module example.com/m\n\ngo 1.22\n\nrequire example.com/a v1.0.0\n")
	newMod := []byte("module example.com/m\n\ngo 1.22\n\nrequire (\n\texample.com/a v1.1.0\n\texample.com/b v0.1.0\n)\n")
	sum := []byte("example.com/a v1.0.0 h1:aaa=\n")
	want, wantDecided, err := golang.ChangedModules(oldMod, newMod, sum, sum)
	if err != nil || !wantDecided || !reflect.DeepEqual(want, []string{"example.com/a", "example.com/b"}) {
		t.Fatalf("uncached: %v %v %v", want, wantDecided, err)
	}
	dir := t.TempDir()
	c := cache.Open(dir, "test")
	for run := range 2 {
		got, decided, err := changedModules(c, oldMod, newMod, sum, sum)
		if err != nil || decided != wantDecided || !reflect.DeepEqual(got, want) {
			t.Fatalf("run %d: %v %v %v", run, got, decided, err)
		}
	}
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	c = cache.Open(dir, "test")
	got, _, err := changedModules(c, oldMod, newMod, sum, sum)
	if hits, _ := c.Stats(); err != nil || hits != 1 || !reflect.DeepEqual(got, want) {
		t.Fatalf("after a flush: %v %v, %d hits", got, err, hits)
	}

	// The kept value is what answers: plant another under the same files' key, in a fresh cache.
	c = cache.Open(t.TempDir(), "test")
	var k cache.Encoder
	for _, data := range [][]byte{oldMod, newMod, sum, sum} {
		k.Bool(true)
		k.String(cache.BlobID(data))
	}
	var v cache.Encoder
	v.Bool(true)
	v.Strings([]string{"example.com/planted"})
	c.Put(modDiffKind, string(k.Bytes()), "", v.Bytes())
	if got, _, _ := changedModules(c, oldMod, newMod, sum, sum); !reflect.DeepEqual(got, []string{"example.com/planted"}) {
		t.Fatalf("the kept value was not read: %v", got)
	}
	// A missing go.sum is not an empty one, nor another file's.
	if got, _, _ := changedModules(c, oldMod, newMod, nil, sum); !reflect.DeepEqual(got, want) {
		t.Errorf("missing base go.sum: %v, want %v", got, want)
	}
	if _, decided, _ := changedModules(c, nil, newMod, sum, sum); decided {
		t.Error("a missing base go.mod was decided")
	}
	bad := []byte("module example.com/m\nrequire (\n")
	for range 2 {
		if _, _, err := changedModules(c, bad, newMod, sum, sum); err == nil {
			t.Fatal("a broken go.mod parsed")
		}
	}
}
