package graph

import (
	"reflect"
	"testing"
)

// The input index only narrows which inputs are tested: for every path, every app's explanation
// through the index equals the explanation over all its inputs.
func TestInputIndexGivesTheSameExplanationAsEveryInput(t *testing.T) {
	files := map[string]string{
		"monoctx.yaml": "apps:\n  services/api:\n    inputs: [\"tools/**/*.sh\", \"**/*.proto\", \"{a,b}/x\"]\n    deps: [libs/extra]\n" +
			"global: [\".github/workflows/images.yml\"]\n",
		"services/api/Dockerfile": "FROM scratch\nCOPY libs/auth/ /auth/\nCOPY services/api/*.go /app/\nCOPY services/api/conf?.yaml /conf/\n" +
			"COPY --exclude=*.md libs/docs /docs\n",
		"services/api/main.go":       "package main",
		"services/api/conf1.yaml":    "c",
		"libs/auth/token.go":         "package auth",
		"libs/docs/a.md":             "a",
		"libs/docs/a.txt":            "a",
		"whole/Dockerfile":           "FROM scratch\nCOPY . /src\n",
		"whole/x.txt":                "x",
		".dockerignore":              "**/*.log\n",
		"services/web/Dockerfile":    "FROM scratch\nCOPY index.html /\n",
		"services/web/index.html":    "w",
		"services/web/.dockerignore": "*.tmp\n",
	}
	g := mustLoad(t, newTree(t, files))
	paths := []string{".", "services", "services/api", "services/api/main.go", "services/api/x.go", "services/api/conf1.yaml",
		"services/api/conf12.yaml", "libs/auth/token.go", "libs/auth", "libs", "libs/docs/a.md", "libs/docs/a.txt",
		"libs/extra/z", "tools/a/b/run.sh", "x/y/api.proto", "a/x", "b/x", "c/x", "whole/x.txt", "whole/debug.log",
		"services/web/index.html", "services/web/a.tmp", "monoctx.yaml", "README.md", "services/api/Dockerfile.dockerignore"}
	ix := g.inputIndex()
	for _, p := range paths {
		cands := ix.candidates(cleanPath(p), nil)
		for ai, a := range g.Apps {
			want := a.Explain(p)
			only, ok := cands[ai]
			if !ok {
				if want.Input {
					t.Errorf("%s, %s: the index has no candidate input, but %v make it an input", a.Name, p, want.Rules)
				}
				continue
			}
			got := a.explain(p, only)
			if got.Input != want.Input || !reflect.DeepEqual(got.Rules, want.Rules) {
				t.Errorf("%s, %s: through the index %+v, over every input %+v", a.Name, p, got, want)
			}
		}
	}
}

// A shared run counts each of its apps once, however many of the app's inputs it holds, and is
// done when the last of them is selected.
func TestSelectedRunsCountEachAppOnce(t *testing.T) {
	ix := &inputIndex{runs: []indexedRun{
		{apps: []appInput{{0, 1}, {0, 5}, {2, 0}}},
		{apps: []appInput{{1, 0}}},
	}}
	s := ix.newSelected(3)
	if s.allOf(0) || s.allOf(1) {
		t.Fatal("a run is done before any app is selected")
	}
	s.add(0)
	s.add(0)
	if s.allOf(0) || !s.has(0) || s.has(2) {
		t.Errorf("app 0 selected twice: run 0 done %v, has(0) %v, has(2) %v", s.allOf(0), s.has(0), s.has(2))
	}
	s.add(2)
	if !s.allOf(0) || s.allOf(1) {
		t.Errorf("apps 0 and 2 selected: run 0 done %v, run 1 done %v", s.allOf(0), s.allOf(1))
	}
	var none *selected
	if none.has(0) || none.allOf(0) {
		t.Error("no selection selected something")
	}
}
