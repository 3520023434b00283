package graph

import (
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
)

// monorepo is the base tree of the affected tests: two compose services built from the root, a
// Dockerfile-only tool, shared libs, a global file and a root ignore file.
func monorepo() map[string]string {
	return map[string]string{
		"README.md":     "# repo\n",
		".dockerignore": "**/*.md\n",
		"monoctx.yaml":  "global:\n  - .github/workflows/images.yml\n",
		"compose.yaml": "services:\n" +
			"  api:\n    build:\n      context: .\n      dockerfile: services/api/Dockerfile\n      args:\n        SERVICE: api\n" +
			"  billing:\n    build:\n      context: .\n      dockerfile: services/billing/Dockerfile\n" +
			"  db:\n    image: postgres:16\n",
		".github/workflows/images.yml": "on: push\n",
		"libs/auth/token.txt":          "token\n",
		"libs/auth/NOTES.md":           "notes\n",
		"libs/proto/api.proto":         "syntax = \"proto3\";\n",
		"services/api/Dockerfile":      "FROM scratch\nARG SERVICE\nCOPY libs/auth /auth\nCOPY services/${SERVICE} /svc\nARG VERSION\n",
		"services/api/main.txt":        "api\n",
		"services/billing/Dockerfile":  "FROM scratch\nCOPY libs/proto /proto\nCOPY libs/auth /auth\nCOPY services/billing /svc\n",
		"services/billing/main.txt":    "billing\n",
		"tools/worker/Dockerfile":      "FROM scratch\nCOPY worker.sh /bin/worker\n",
		"tools/worker/worker.sh":       "#!/bin/sh\n",
	}
}

func TestAffected(t *testing.T) {
	tests := []struct {
		name   string
		edit   map[string]string
		remove []string
		mv     [2]string // git mv from, to
		want   []string  // name:status
		// reasons: app → substrings its reasons must hold, in order
		reasons map[string][]string
	}{
		{
			name:    "a shared lib change affects only its users",
			edit:    map[string]string{"libs/proto/api.proto": "syntax = \"proto3\"; // v2\n"},
			want:    []string{"billing:affected"},
			reasons: map[string][]string{"billing": {"libs/proto/api.proto services/billing/Dockerfile:2 COPY libs/proto /proto"}},
		},
		{
			name: "a lib used by two apps affects both",
			edit: map[string]string{"libs/auth/token.txt": "token2\n"},
			want: []string{"api:affected", "billing:affected"},
		},
		{
			name: "a root README edit affects nothing",
			edit: map[string]string{"README.md": "# repo v2\n"},
			want: []string{},
		},
		{
			name: "a change excluded by the ignore file affects nothing",
			edit: map[string]string{"libs/auth/NOTES.md": "more notes\n"},
			want: []string{},
		},
		{
			name:    "a global file affects every app with a global reason",
			edit:    map[string]string{".github/workflows/images.yml": "on: [push, pull_request]\n"},
			want:    []string{"api:affected", "billing:affected", "tools/worker:affected"},
			reasons: map[string][]string{"tools/worker": {".github/workflows/images.yml global: .github/workflows/images.yml (monoctx.yaml:2)"}},
		},
		{
			name:    "renaming a whole lib affects the users of the old path",
			mv:      [2]string{"libs/proto", "libs/schema"},
			want:    []string{"billing:affected"},
			reasons: map[string][]string{"billing": {"libs/proto/api.proto services/billing/Dockerfile:2"}},
		},
		{
			name:    "deleting an app's Dockerfile removes the app",
			remove:  []string{"tools/worker/Dockerfile"},
			want:    []string{"tools/worker:removed"},
			reasons: map[string][]string{"tools/worker": {"tools/worker/Dockerfile Dockerfile deleted"}},
		},
		{
			name: "a compose change to one service's args affects only that service",
			edit: map[string]string{"compose.yaml": strings.Replace(monorepo()["compose.yaml"],
				"        SERVICE: api\n", "        SERVICE: api\n        VERSION: \"2\"\n", 1)},
			want:    []string{"api:affected"},
			reasons: map[string][]string{"api": {"compose.yaml app definition changed in compose.yaml"}},
		},
		{
			name: "a compose arg the Dockerfile never names affects nothing",
			edit: map[string]string{"compose.yaml": strings.Replace(monorepo()["compose.yaml"],
				"      dockerfile: services/billing/Dockerfile\n", "      dockerfile: services/billing/Dockerfile\n      args: {VERSION: \"2\"}\n", 1)},
			want: []string{},
		},
		{
			name: "a compose change to a service without a build affects nothing",
			edit: map[string]string{"compose.yaml": strings.Replace(monorepo()["compose.yaml"], "postgres:16", "postgres:17", 1)},
			want: []string{},
		},
		{
			name: "a service removed from compose is removed",
			edit: map[string]string{"compose.yaml": strings.Replace(monorepo()["compose.yaml"],
				"  billing:\n    build:\n      context: .\n      dockerfile: services/billing/Dockerfile\n", "", 1)},
			remove:  []string{"services/billing"},
			want:    []string{"billing:removed"},
			reasons: map[string][]string{"billing": {"compose.yaml app removed from compose.yaml"}},
		},
		{
			name: "a service removed from compose whose Dockerfile stays is removed",
			edit: map[string]string{"compose.yaml": strings.Replace(monorepo()["compose.yaml"],
				"  billing:\n    build:\n      context: .\n      dockerfile: services/billing/Dockerfile\n", "", 1)},
			want: []string{"billing:removed"},
		},
		{
			name: "a service removed from compose that shared its Dockerfile with another is removed",
			edit: map[string]string{"compose.yaml": monorepo()["compose.yaml"] +
				"  api-debug:\n    build:\n      context: .\n      dockerfile: services/api/Dockerfile\n      args: {SERVICE: billing}\n"},
			want: []string{"api-debug:affected"},
		},
		{
			name:    "a config entry renaming a found Dockerfile is a new app, not a removal",
			edit:    map[string]string{"monoctx.yaml": monorepo()["monoctx.yaml"] + "apps:\n  worker:\n    dockerfile: tools/worker/Dockerfile\n"},
			want:    []string{"worker:affected"},
			reasons: map[string][]string{"worker": {"monoctx.yaml new app in monoctx.yaml"}},
		},
		{
			name: "a new compose service is affected",
			edit: map[string]string{"compose.yaml": monorepo()["compose.yaml"] +
				"  worker:\n    build: {context: tools/worker}\n"},
			want:    []string{"worker:affected"},
			reasons: map[string][]string{"worker": {"compose.yaml new app in compose.yaml"}},
		},
		{
			name:    "a changed global list in monoctx.yaml affects every app",
			edit:    map[string]string{"monoctx.yaml": "global:\n  - .github/workflows/images.yml\n  - VERSION\n"},
			want:    []string{"api:affected", "billing:affected", "tools/worker:affected"},
			reasons: map[string][]string{"api": {"monoctx.yaml global or exclude globs changed in monoctx.yaml"}},
		},
		{
			name:    "a changed Dockerfile affects its app",
			edit:    map[string]string{"tools/worker/Dockerfile": "FROM scratch\nCOPY worker.sh /usr/bin/worker\n"},
			want:    []string{"tools/worker:affected"},
			reasons: map[string][]string{"tools/worker": {"tools/worker/Dockerfile tools/worker/Dockerfile the Dockerfile"}},
		},
		{
			name: "creating a per-Dockerfile ignore file affects its app",
			edit: map[string]string{"services/api/Dockerfile.dockerignore": "**/*.txt\n"},
			want: []string{"api:affected"},
		},
		{
			name: "a root ignore file change affects the apps built from the root",
			edit: map[string]string{".dockerignore": "**/*.md\n**/*.bak\n"},
			want: []string{"api:affected", "billing:affected"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := newRepo(t, monorepo())
			base := r.head()
			r.edit(tt.edit, tt.remove...)
			if tt.mv[0] != "" {
				r.git("mv", tt.mv[0], tt.mv[1])
			}
			r.commit("change")
			got := r.affected(base)
			if s := summary(got); !reflect.DeepEqual(s, tt.want) {
				t.Fatalf("affected: got %q, want %q\nfull: %+v", s, tt.want, got)
			}
			for _, a := range got {
				want, ok := tt.reasons[a.Name]
				if !ok {
					continue
				}
				var rs []string
				for _, r := range a.Reasons {
					rs = append(rs, r.Path+" "+r.Rule)
				}
				for i, w := range want {
					if i >= len(rs) || !strings.Contains(rs[i], w) {
						t.Errorf("%s reasons: got %q, want reason %d to contain %q", a.Name, rs, i, w)
					}
				}
			}
		})
	}
}

func TestAffectedRenameReportsTheOldPathForOldUsersAndTheNewPathForNewUsers(t *testing.T) {
	r := newRepo(t, monorepo())
	base := r.head()
	r.git("mv", "libs/auth", "libs/identity")
	// api follows the rename; billing still copies libs/auth, which is gone.
	r.edit(map[string]string{
		"services/api/Dockerfile": "FROM scratch\nARG SERVICE\nCOPY libs/identity /auth\nCOPY services/${SERVICE} /svc\n",
	})
	r.commit("rename auth")
	got := r.affected(base)
	if s, want := summary(got), []string{"api:affected", "billing:affected"}; !reflect.DeepEqual(s, want) {
		t.Fatalf("affected: got %q, want %q", s, want)
	}
	want := map[string][]string{
		"api":     {"libs/identity/token.txt", "services/api/Dockerfile"},
		"billing": {"libs/auth/token.txt"},
	}
	for _, a := range got {
		var paths []string
		for _, rs := range a.Reasons {
			// billing still copies libs/auth, which is gone: its build cannot work as the
			// repository stands, so it is unresolved and every path of its context counts too.
			if strings.Contains(rs.Rule, "unresolved app") {
				continue
			}
			paths = append(paths, rs.Path)
		}
		if !reflect.DeepEqual(paths, want[a.Name]) {
			t.Errorf("%s reason paths: got %q, want %q", a.Name, paths, want[a.Name])
		}
	}
}

func TestAffectedReportsAServiceRemovedFromASharedDockerfile(t *testing.T) {
	files := monorepo()
	files["compose.yaml"] += "  api-debug:\n    build:\n      context: .\n      dockerfile: services/api/Dockerfile\n      args: {SERVICE: billing}\n"
	r := newRepo(t, files)
	base := r.head()
	r.edit(map[string]string{"compose.yaml": monorepo()["compose.yaml"]})
	r.commit("drop api-debug")
	if s, want := summary(r.affected(base)), []string{"api-debug:removed"}; !reflect.DeepEqual(s, want) {
		t.Errorf("affected: got %q, want %q", s, want)
	}
}

func TestAffectedIsSortedAndDeterministic(t *testing.T) {
	r := newRepo(t, monorepo())
	base := r.head()
	r.edit(map[string]string{
		"libs/auth/token.txt":       "t2\n",
		"libs/proto/api.proto":      "v2\n",
		"services/api/main.txt":     "v2\n",
		"services/billing/main.txt": "v2\n",
		"tools/worker/worker.sh":    "v2\n",
		"README.md":                 "v2\n",
	})
	r.commit("many")
	first := r.affected(base)
	want := []string{"api:affected", "billing:affected", "tools/worker:affected"}
	if s := summary(first); !reflect.DeepEqual(s, want) {
		t.Fatalf("affected: got %q, want %q", s, want)
	}
	for _, a := range first {
		for i := 1; i < len(a.Reasons); i++ {
			if a.Reasons[i-1].Path > a.Reasons[i].Path {
				t.Errorf("%s reasons not sorted by path: %q before %q", a.Name, a.Reasons[i-1].Path, a.Reasons[i].Path)
			}
		}
	}
	b1, err := json.Marshal(first)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		b2, err := json.Marshal(r.affected(base))
		if err != nil {
			t.Fatal(err)
		}
		if string(b1) != string(b2) {
			t.Fatalf("run %d differs:\ngot  %s\nwant %s", i+2, b2, b1)
		}
	}
}

func TestAffectedWithoutBaseOverSelectsDefinitionChanges(t *testing.T) {
	g := mustLoad(t, newTree(t, monorepo()))
	got, err := g.Affected(context.Background(), []Change{{Path: "compose.yaml"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s, want := summary(got), []string{"api:affected", "billing:affected"}; !reflect.DeepEqual(s, want) {
		t.Errorf("affected: got %q, want %q", s, want)
	}
	for _, a := range got {
		if len(a.Reasons) == 0 || !strings.Contains(a.Reasons[0].Rule, "could not be compared with base") {
			t.Errorf("%s reasons: got %+v, want a could-not-compare reason", a.Name, a.Reasons)
		}
	}
}

func TestAffectedHonoursConfigExclude(t *testing.T) {
	files := monorepo()
	files["monoctx.yaml"] = "exclude:\n  - \"**/*.txt\"\n"
	g := mustLoad(t, newTree(t, files))
	got, err := g.Affected(context.Background(), []Change{{Path: "libs/auth/token.txt", Status: "modified"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 0 {
		t.Errorf("affected: got %q, want none", summary(got))
	}
}

func TestAffectedJSONKeepsReasonsAList(t *testing.T) {
	b, err := json.Marshal(Affected{Name: "x", Status: "removed"})
	if err != nil {
		t.Fatal(err)
	}
	if want := `"reasons":[]`; !strings.Contains(string(b), want) {
		t.Errorf("got %s, want it to contain %s", b, want)
	}
}

func TestAffectedHonoursCancellation(t *testing.T) {
	g := mustLoad(t, newTree(t, monorepo()))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := g.Affected(ctx, []Change{{Path: "libs/auth/token.txt"}}, nil); err != context.Canceled {
		t.Errorf("got %v, want %v", err, context.Canceled)
	}
}

// When a deleted Dockerfile was shared by several base apps, the removed app is chosen in name
// order, preferring one gone at head, so the result does not depend on map order.
func TestAffectedRemovedNameForASharedDeletedDockerfile(t *testing.T) {
	df := "FROM scratch AS api\nCOPY a /a\nFROM scratch AS worker\nCOPY w /w\n"
	r := newRepo(t, map[string]string{
		"compose.yaml":   "services:\n  api:\n    build: {context: svc, target: api}\n  worker:\n    build: {context: svc, target: worker}\n",
		"svc/Dockerfile": df, "svc/a": "a\n", "svc/w": "w\n",
	})
	base := r.head()
	r.edit(map[string]string{
		"compose.yaml":    "services:\n  api:\n    build: {context: svc2, target: api}\n",
		"svc2/Dockerfile": df, "svc2/a": "a\n", "svc2/w": "w\n",
	}, "svc/Dockerfile", "svc/a", "svc/w")
	r.commit("move api, drop worker")
	for i := 0; i < 20; i++ {
		if s := summary(r.affected(base)); !reflect.DeepEqual(s, []string{"api:affected", "worker:removed"}) {
			t.Fatalf("run %d: affected: got %q", i, s)
		}
	}
}

// countingBase counts the reads at base.
type countingBase struct {
	BaseReader
	n atomic.Int32
}

func (c *countingBase) ReadFile(ctx context.Context, p string) ([]byte, error) {
	c.n.Add(1)
	return c.BaseReader.ReadFile(ctx, p)
}

// WithBase reads the definitions at base while Load analyses the apps: Affected then gives what it
// gives without it, and reads them once, not twice. Changes the prefetch did not see are read again.
func TestAffectedWithBasePrefetchedDefinitions(t *testing.T) {
	df := "FROM scratch AS api\nCOPY a /a\nFROM scratch AS worker\nCOPY w /w\n"
	r := newRepo(t, map[string]string{
		"compose.yaml":   "services:\n  api:\n    build: {context: svc, target: api}\n  worker:\n    build: {context: svc, target: worker}\n  web:\n    build: {context: web, args: {V: \"1\"}}\n",
		"svc/Dockerfile": df, "svc/a": "a\n", "svc/w": "w\n",
		"web/Dockerfile": "FROM scratch\nARG V\nCOPY x /x\n", "web/x": "x\n",
		"old/Dockerfile": "FROM scratch\nCOPY o /o\n", "old/o": "o\n",
	})
	base := r.head()
	r.edit(map[string]string{
		"compose.yaml":    "services:\n  api:\n    build: {context: svc2, target: api}\n  web:\n    build: {context: web, args: {V: \"2\"}}\n",
		"svc2/Dockerfile": df, "svc2/a": "a\n", "svc2/w": "w\n",
	}, "svc/Dockerfile", "svc/a", "svc/w", "old/Dockerfile", "old/o")
	r.commit("move api, drop worker and old, change web's args")
	changes := r.changes(base)
	ctx := context.Background()

	plain := &countingBase{BaseReader: gitBase{dir: r.dir, commit: base}}
	want, err := mustLoad(t, r.dir).Affected(ctx, changes, plain)
	if err != nil {
		t.Fatal(err)
	}
	if s := summary(want); !reflect.DeepEqual(s, []string{"api:affected", "old:removed", "web:affected", "worker:removed"}) {
		t.Fatalf("without the prefetch: %q", s)
	}
	pre := &countingBase{BaseReader: gitBase{dir: r.dir, commit: base}}
	g := mustLoad(t, r.dir, WithBase(pre, func() ([]Change, error) { return changes, nil }))
	got, err := g.Affected(ctx, changes, pre)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("with the prefetch:\n%+v\nwant\n%+v", got, want)
	}
	if pre.n.Load() != plain.n.Load() {
		t.Errorf("with the prefetch, %d reads at base; without, %d", pre.n.Load(), plain.n.Load())
	}

	// The prefetch saw only the first change: Affected reads the definitions again for the rest.
	again := &countingBase{BaseReader: gitBase{dir: r.dir, commit: base}}
	g = mustLoad(t, r.dir, WithBase(again, func() ([]Change, error) { return changes[:1], nil }))
	if got, err = g.Affected(ctx, changes, again); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("with a prefetch of other changes:\n%+v\nwant\n%+v", got, want)
	}
}

func TestAffectedAppsGivesTheFirstChangeThatSelects(t *testing.T) {
	r := newRepo(t, monorepo())
	base := r.head()
	r.edit(map[string]string{"libs/auth/token.txt": "token2\n", "libs/proto/api.proto": "syntax = \"proto3\"; // v2\n"})
	r.commit("change")
	g := mustLoad(t, r.dir)
	changes := r.changes(base)
	reversed := slices.Clone(changes)
	slices.Reverse(reversed)
	for _, order := range [][]Change{changes, reversed} {
		got, err := g.AffectedApps(context.Background(), order, gitBase{dir: r.dir, commit: base})
		if err != nil {
			t.Fatal(err)
		}
		if s := summary(got); !reflect.DeepEqual(s, []string{"api:affected", "billing:affected"}) {
			t.Fatalf("AffectedApps = %q", s)
		}
		var billing []Reason
		for _, a := range got {
			if a.Name == "billing" {
				billing = a.Reasons
			}
		}
		if len(billing) != 1 || billing[0].Path != order[0].Path {
			t.Errorf("changes %v: billing's reasons are %+v; want the first change's", order, billing)
		}
	}
}

// A build arg the Dockerfile never names changes nothing: grafana/loki's Makefile passes
// BUILD_IMAGE and GO_VERSION to Dockerfiles its workflows build without them, and bumping
// GO_VERSION renamed those apps (removed at base, new at head). opentelemetry-demo's workflow
// passes each matrix image all the versions its .env holds, loaded into $GITHUB_ENV.
func TestBuildArgsTheDockerfileNeverNamesAreOneBuild(t *testing.T) {
	wf := `jobs:
  images:
    strategy:
      matrix:
        img:
          - {file: ./svc/Dockerfile, name: svc}
          - {file: ./tool/Dockerfile, name: tool}
    steps:
      - run: cat .env >> $GITHUB_ENV
      - uses: docker/build-push-action@v6
        with:
          file: ${{ matrix.img.file }}
          tags: example/${{ matrix.img.name }}
          build-args: |
            GO_VERSION=${{ env.GO_VERSION }}
            NODE_VERSION=${{ env.NODE_VERSION }}
`
	r := newRepo(t, map[string]string{
		".github/workflows/images.yml": wf,
		".env":                         "GO_VERSION=1.25\nNODE_VERSION=22\n",
		"Makefile":                     wfMake,
		"svc/Dockerfile":               "FROM scratch\nARG GO_VERSION\nCOPY svc/go${GO_VERSION} /bin/\n",
		"svc/go1.25":                   "v1\n",
		"svc/go1.26":                   "v2\n",
		"tool/Dockerfile":              "FROM scratch\nCOPY tool /tool\n",
		"tool/x":                       "x\n",
	})
	g := mustLoad(t, r.dir)
	if got, want := appNames(g), []string{"svc", "tool"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("apps: got %q, want %q (the Makefile's build of svc is the workflow's)", got, want)
	}
	if a := mustApp(t, g, "svc"); a.Args["GO_VERSION"] != "1.25" || a.Origin != "workflow:.github/workflows/images.yml" {
		t.Errorf("svc: args %v origin %s, want GO_VERSION=1.25 from the workflow", a.Args, a.Origin)
	}

	// NODE_VERSION reaches no Dockerfile: nothing is affected.
	r.edit(map[string]string{".env": "GO_VERSION=1.25\nNODE_VERSION=24\n"})
	r.commit("node")
	if got := r.affected("HEAD~1"); len(got) != 0 {
		t.Errorf("NODE_VERSION bump: got %+v, want nothing", got)
	}
	// GO_VERSION in the Makefile and .env: svc's build changes (and so does its input).
	r.edit(map[string]string{
		".env":     "GO_VERSION=1.26\nNODE_VERSION=24\n",
		"Makefile": strings.Replace(wfMake, "1.25", "1.26", 1),
	})
	r.commit("go")
	got := r.affected("HEAD~1")
	if s := summary(got); !reflect.DeepEqual(s, []string{"svc:affected"}) {
		t.Fatalf("GO_VERSION bump: got %q, want svc affected", s)
	}
	if rs := got[0].Reasons; len(rs) == 0 || !strings.Contains(rs[0].Rule, "app definition changed") {
		t.Errorf("GO_VERSION bump: reasons %+v, want a definition change", rs)
	}
}

const wfMake = "GO_VERSION := 1.25\nsvc:\n\tdocker build --build-arg GO_VERSION=$(GO_VERSION) --build-arg BUILD_IMAGE=golang:$(GO_VERSION) -t example/svc-make -f svc/Dockerfile .\n"
