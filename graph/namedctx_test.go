package graph

import (
	"context"
	"reflect"
	"strings"
	"testing"
)

// Named build contexts (compose additional_contexts, bake contexts, monoctx.yaml contexts) are
// inputs: what a Dockerfile reads from them through COPY --from, RUN --mount from= and FROM.
func TestNamedContextsAreInputs(t *testing.T) {
	g := mustLoad(t, newTree(t, map[string]string{
		"compose.yaml": "services:\n" +
			"  api:\n    build:\n      context: services/api\n" +
			"      additional_contexts:\n        shared: libs/shared\n        proto: libs/proto\n        alpine: docker-image://alpine:3.20\n",
		"services/api/Dockerfile": "FROM alpine AS base\n" +
			"FROM base\n" +
			"COPY main.go /src/\n" +
			"COPY --from=shared util/*.go /src/util/\n" +
			"RUN --mount=from=proto,source=api.proto,target=/p true\n" +
			"COPY --from=golang:1.26 /usr/local/go /go\n",
		"services/api/main.go":    "package main\n",
		"libs/shared/util/a.go":   "package util\n",
		"libs/shared/README.md":   "# shared\n",
		"libs/proto/api.proto":    "syntax = \"proto3\";\n",
		"libs/proto/other.proto":  "syntax = \"proto3\";\n",
		"docker-bake.hcl":         "target \"tool\" {\n  context = \"tools/t\"\n  contexts = { root = \"libs/root\" }\n}\n",
		"tools/t/Dockerfile":      "FROM root:1.0@sha256:0123\n",
		"libs/root/etc/os":        "linux\n",
		"libs/root/.dockerignore": "*.md\n",
		"monoctx.yaml":            "apps:\n  tools/w:\n    dockerfile: tools/w/Dockerfile\n    contexts:\n      cfg: config\n",
		"tools/w/Dockerfile":      "FROM scratch\nCOPY --from=cfg w.yaml /\n",
		"config/w.yaml":           "a: 1\n",
		"config/x.yaml":           "a: 1\n",
	}))
	api := mustApp(t, g, "api")
	if want := map[string]string{"shared": "libs/shared", "proto": "libs/proto", "alpine": "docker-image://alpine:3.20"}; !reflect.DeepEqual(api.Contexts, want) {
		t.Errorf("api contexts: got %v, want %v", api.Contexts, want)
	}
	checkExplain(t, g, []explainCase{
		{"api", "libs/shared/util/a.go", true, "services/api/Dockerfile:4 COPY --from=shared util/*.go /src/util/ (named context shared=libs/shared)"},
		{"api", "libs/shared/README.md", false, ""},
		{"api", "libs/proto/api.proto", true, "services/api/Dockerfile:5"},
		{"api", "libs/proto/other.proto", false, ""},
		{"api", "libs/shared/.dockerignore", true, "the ignore file of the named context shared"},
		{"tool", "libs/root/etc/os", true, "tools/t/Dockerfile:1 FROM root:1.0@sha256:0123 (named context root=libs/root)"},
		{"tool", "libs/root/.dockerignore", true, "named context root"},
		{"tools/w", "config/w.yaml", true, "tools/w/Dockerfile:2"},
		{"tools/w", "config/x.yaml", false, ""},
	})
}

// A named context outside the repository is an error that names the file.
func TestNamedContextLeavingTheRepository(t *testing.T) {
	for _, files := range []map[string]string{
		{"docker-bake.hcl": "target \"a\" {\n  contexts = { x = \"../elsewhere\" }\n}\n", "Dockerfile": "FROM scratch\n"},
		{"compose.yaml": "services:\n  a:\n    build:\n      context: .\n      additional_contexts:\n        x: ../elsewhere\n", "Dockerfile": "FROM scratch\n"},
	} {
		_, err := Load(context.Background(), newTree(t, files), WithStrict(true))
		if err == nil || !strings.Contains(err.Error(), "x=../elsewhere") {
			t.Errorf("got %v, want an error naming x=../elsewhere", err)
		}
	}
}

// An app built on another app's image (bake "target:x", compose "service:x") is affected whenever
// that app is, with a reason naming the chain; a change only the dependent uses leaves the base alone.
func TestAffectedFollowsImagesOfOtherBuilds(t *testing.T) {
	r := newRepo(t, map[string]string{
		"docker-bake.hcl": `group "default" { targets = ["base", "app", "tool"] }
target "base" { context = "base" }
target "app" {
  context  = "app"
  contexts = { base = "target:base" }
}
target "tool" {
  context  = "tool"
  contexts = { app = "target:app" }
}
`,
		"base/Dockerfile": "FROM scratch\nCOPY os /os\n",
		"base/os":         "v1\n",
		"app/Dockerfile":  "FROM base\nCOPY main.go /\n",
		"app/main.go":     "package main\n",
		"tool/Dockerfile": "FROM scratch\nCOPY --from=app /main.go /\n",
	})
	start := r.head()
	r.edit(map[string]string{"base/os": "v2\n"})
	r.commit("base")
	got := r.affected(start)
	if s := summary(got); !reflect.DeepEqual(s, []string{"app:affected", "base:affected", "tool:affected"}) {
		t.Fatalf("affected: got %q", s)
	}
	for _, a := range got {
		if a.Name == "tool" && !strings.Contains(a.Reasons[0].Rule, "the image of app") {
			t.Errorf("tool reason: %+v", a.Reasons)
		}
		if a.Name == "app" && (a.Reasons[0].Path != "base/os" || !strings.Contains(a.Reasons[0].Rule, "FROM base (named context base=target:base)")) {
			t.Errorf("app reason: %+v", a.Reasons)
		}
	}

	next := r.head()
	r.edit(map[string]string{"app/main.go": "package main // v2\n"})
	r.commit("app")
	if s := summary(r.affected(next)); !reflect.DeepEqual(s, []string{"app:affected", "tool:affected"}) {
		t.Fatalf("affected: got %q", s)
	}
}

// Changing a named context's directory in the definition affects the app.
func TestAffectedByANamedContextDefinitionChange(t *testing.T) {
	compose := "services:\n  api:\n    build:\n      context: api\n      additional_contexts:\n        shared: libs/v1\n"
	r := newRepo(t, map[string]string{
		"compose.yaml":   compose,
		"api/Dockerfile": "FROM scratch\nCOPY --from=shared . /shared\n",
		"libs/v1/a":      "1\n",
		"libs/v2/a":      "2\n",
	})
	base := r.head()
	r.edit(map[string]string{"compose.yaml": strings.Replace(compose, "libs/v1", "libs/v2", 1)})
	r.commit("switch")
	if s := summary(r.affected(base)); !reflect.DeepEqual(s, []string{"api:affected"}) {
		t.Fatalf("affected: got %q", s)
	}
}

// The directory graph shows an app built on another app's image as an edge to that app.
func TestDirsShowImagesOfOtherBuilds(t *testing.T) {
	g := mustLoad(t, newTree(t, map[string]string{
		"docker-bake.hcl": "group \"default\" { targets = [\"base\", \"app\"] }\n" +
			"target \"base\" { context = \"base\" }\n" +
			"target \"app\" {\n  context = \"app\"\n  contexts = { base = \"target:base\" }\n}\n",
		"base/Dockerfile": "FROM scratch\n",
		"app/Dockerfile":  "FROM base\n",
	}))
	_, edges := g.Dirs()
	var got []string
	for _, e := range edges {
		got = append(got, e.From+" -> "+e.To+": "+strings.Join(e.Rules, "; "))
	}
	want := []string{"app -> base: app/Dockerfile:1 FROM base (named context base=target:base)"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("edges:\ngot  %q\nwant %q", got, want)
	}
}
