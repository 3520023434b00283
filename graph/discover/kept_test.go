package discover

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/monoctx/monoctx/graph/tree"
)

// memKeeper keeps values in memory, and counts what it was asked.
type memKeeper struct {
	vals          map[string][]byte
	kept, tracing int
	last          string // the last key kept
}

func (k *memKeeper) Kept(key string) ([]byte, bool) {
	v, ok := k.vals[key]
	if ok {
		k.kept++
	}
	return v, ok
}

func (k *memKeeper) Tracing(v tree.View) tree.View { k.tracing++; return v }

func (k *memKeeper) Keep(key string, val []byte) { k.vals[key], k.last = val, key }

// What Find keeps comes back as Find found it (builds, files, warnings, listing); the kept value
// is what answers; the environment, the options and the listing are in its key; a compose file
// that includes another, and a broken file, are not kept.
func TestFindKeepsItsResult(t *testing.T) {
	files := map[string]string{
		"compose.yaml":     "services:\n  api:\n    build:\n      context: api\n      args: {V: \"${TAG}\"}\n",
		"api/Dockerfile":   scratch,
		"web/Dockerfile":   scratch,
		"Makefile":         "img:\n\tdocker build -t web -f web/Dockerfile web\n\tdocker build -f missing/Dockerfile .\n",
		"scripts/build.sh": "docker build -t tool tools\n",
	}
	root := writeTree(t, files)
	ctx := context.Background()
	k := &memKeeper{vals: map[string][]byte{}}
	opts := Options{Env: []string{"TAG=1"}, Dockerfiles: true, Keep: k}
	want, err := Find(ctx, root, opts)
	if err != nil || len(want.Builds) < 3 || len(want.Warnings) == 0 || k.tracing != 1 || len(k.vals) != 1 {
		t.Fatalf("first: %v, %v; %d traced, %d kept", lines(want), err, k.tracing, len(k.vals))
	}
	got, err := Find(ctx, root, opts)
	if err != nil || k.kept != 1 || k.tracing != 1 {
		t.Fatalf("second: %v; %d from the keeper, %d traced", err, k.kept, k.tracing)
	}
	if !reflect.DeepEqual(got.Builds, want.Builds) || !reflect.DeepEqual(got.Files, want.Files) ||
		!reflect.DeepEqual(got.Warnings, want.Warnings) || !reflect.DeepEqual(got.Paths(), want.Paths()) {
		t.Fatalf("kept:\n%v %v %v\nfound:\n%v %v %v", lines(got), got.Files, got.Warnings, lines(want), want.Files, want.Warnings)
	}

	// The kept value answers: another result planted under the key comes back.
	planted := &Result{Builds: []Build{{Name: "planted", Dockerfile: "web/Dockerfile", Source: SourceMake, File: "Makefile"}}}
	k.vals[k.last] = encodeResult(planted)
	if got, _ := Find(ctx, root, opts); len(got.Builds) != 1 || got.Builds[0].Name != "planted" {
		t.Fatalf("the kept value was not used: %v", lines(got))
	}
	// A value that does not decode is found again.
	k.vals[k.last] = []byte{0xff}
	if got, _ := Find(ctx, root, opts); !reflect.DeepEqual(got.Builds, want.Builds) {
		t.Fatalf("after a corrupt value: %v", lines(got))
	}

	keys := map[string]bool{k.last: true}
	other := func(what string, o Options) {
		t.Helper()
		k.last = ""
		if _, err := Find(ctx, root, o); err != nil {
			t.Fatal(err)
		}
		if k.last == "" || keys[k.last] {
			t.Errorf("%s: kept under a key already used (%q)", what, k.last)
		}
		keys[k.last] = true
	}
	other("another environment", Options{Env: []string{"TAG=2"}, Dockerfiles: true, Keep: k})
	other("no Dockerfiles", Options{Env: []string{"TAG=1"}, Keep: k})
	other("a skip glob", Options{Env: []string{"TAG=1"}, Dockerfiles: true, Skip: []string{"scripts"}, Keep: k})
	if err := os.WriteFile(filepath.Join(root, "tools.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	other("another listing", opts)

	for name, extra := range map[string]map[string]string{
		"include": {"compose.yaml": "include: [other.yaml]\n", "other.yaml": "services:\n  web:\n    build: web\n"},
		"broken":  {"skaffold.yaml": "apiVersion: [\n"},
	} {
		tree := map[string]string{"web/Dockerfile": scratch}
		for p, c := range extra {
			tree[p] = c
		}
		k := &memKeeper{vals: map[string][]byte{}}
		if _, err := Find(ctx, writeTree(t, tree), Options{Keep: k}); err != nil {
			t.Fatal(err)
		}
		if len(k.vals) != 0 {
			t.Errorf("%s: kept", name)
		}
	}
}
