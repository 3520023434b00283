package graph

import (
	"context"
	"errors"
	"io/fs"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// appLine renders what discovery decided about an app, for table comparisons.
func appLine(a *App) string {
	var args []string
	for k, v := range a.Args {
		args = append(args, k+"="+v)
	}
	sort.Strings(args)
	return strings.Join([]string{"name=" + a.Name, "dockerfile=" + a.Dockerfile, "context=" + a.Context,
		"origin=" + a.Origin, "target=" + a.Target, "args=" + strings.Join(args, ","),
		"tags=" + strings.Join(a.Tags, ",")}, " ")
}

func appLines(g *Graph) []string {
	out := []string{}
	for _, a := range g.Apps {
		out = append(out, appLine(a))
	}
	return out
}

func TestLoadDiscoversApps(t *testing.T) {
	scratch := "FROM scratch\nCOPY . /x\n"
	tests := []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{
			name: "compose with .env interpolation, args, dockerfile relative to the context and tags",
			files: map[string]string{
				".env": "WEB_TARGET=prod\nTAG=1.2\n",
				"compose.yaml": "services:\n" +
					"  web:\n    image: example/web:${TAG}\n    build:\n      context: apps/web\n" +
					"      dockerfile: docker/Dockerfile.prod\n      target: ${WEB_TARGET}\n" +
					"      args:\n        NODE: \"22\"\n      tags: [\"example/web:latest\"]\n" +
					"  db:\n    image: postgres:16\n",
				"apps/web/docker/Dockerfile.prod": "FROM scratch AS prod\nCOPY src /src\n",
				"apps/web/src/index.js":           "x",
			},
			want: []string{
				"name=web dockerfile=apps/web/docker/Dockerfile.prod context=apps/web origin=compose:compose.yaml target=prod args=NODE=22 tags=example/web:1.2,example/web:latest",
			},
		},
		{
			name: "compose default Dockerfile in the context",
			files: map[string]string{
				"docker-compose.yml":      "services:\n  api:\n    build: services/api\n",
				"services/api/Dockerfile": scratch,
			},
			want: []string{
				"name=api dockerfile=services/api/Dockerfile context=services/api origin=compose:docker-compose.yml target= args= tags=",
			},
		},
		{
			name: "skaffold artifacts",
			files: map[string]string{
				"skaffold.yaml": "apiVersion: skaffold/v4beta6\nkind: Config\nbuild:\n  artifacts:\n" +
					"    - image: registry.example.com/team/api:dev\n      context: services/api\n" +
					"      docker:\n        dockerfile: Dockerfile.dev\n        target: dev\n        buildArgs:\n          MODE: debug\n" +
					"    - image: ko-thing\n      ko: {}\n",
				"services/api/Dockerfile.dev": "FROM scratch AS dev\nCOPY main.go /\n",
				"services/api/main.go":        "package main\n",
			},
			want: []string{
				"name=api dockerfile=services/api/Dockerfile.dev context=services/api origin=skaffold:skaffold.yaml target=dev args=MODE=debug tags=registry.example.com/team/api:dev",
			},
		},
		{
			name: "bake JSON targets with the dockerfile relative to the context",
			files: map[string]string{
				"docker-bake.json": `{"target": {
					"web": {"context": "apps/web", "dockerfile": "build/Dockerfile", "target": "run", "args": {"A": "1"}, "tags": ["example/web"]},
					"root": {},
					"remote": {"context": "https://github.com/x/y.git"}
				}}`,
				"apps/web/build/Dockerfile": "FROM scratch AS run\nCOPY build /b\n",
				"Dockerfile":                "FROM scratch\nCOPY apps /a\n",
			},
			want: []string{
				"name=root dockerfile=Dockerfile context=. origin=bake:docker-bake.json target= args= tags=",
				"name=web dockerfile=apps/web/build/Dockerfile context=apps/web origin=bake:docker-bake.json target=run args=A=1 tags=example/web",
			},
		},
		{
			name: "plain Dockerfiles named by their directory, a second one by its path",
			files: map[string]string{
				"tools/worker/Dockerfile":                   "FROM scratch\nCOPY worker.sh /w\n",
				"tools/worker/Dockerfile.prod":              "FROM scratch\nCOPY worker.sh /w\n",
				"tools/worker/Dockerfile.dockerignore":      "*.md\n",
				"tools/worker/Dockerfile.prod.dockerignore": "*.md\n",
				"tools/worker/worker.sh":                    "#!/bin/sh\n",
				"tools/cron/cron.Dockerfile":                "FROM scratch\nCOPY cron.sh /c\n",
				"tools/cron/cron.sh":                        "x",
				"vendor/x/Dockerfile":                       scratch,
				"web/node_modules/pkg/Dockerfile":           scratch,
				"svc/testdata/Dockerfile":                   scratch,
				"tools/worker/README.Dockerfile.md":         "not a Dockerfile",
			},
			want: []string{
				"name=tools/cron/cron.Dockerfile dockerfile=tools/cron/cron.Dockerfile context=tools/cron origin=dockerfile target= args= tags=",
				"name=tools/worker dockerfile=tools/worker/Dockerfile context=tools/worker origin=dockerfile target= args= tags=",
				"name=tools/worker/Dockerfile.prod dockerfile=tools/worker/Dockerfile.prod context=tools/worker origin=dockerfile target= args= tags=",
			},
		},
		{
			name: "context inferred from COPY sources that resolve only from the root",
			files: map[string]string{
				"services/api/Dockerfile": "FROM scratch\nCOPY ./services/api/go.mod .\nCOPY libs/auth /auth\n",
				"services/api/go.mod":     "module api\n",
				"libs/auth/a.go":          "package auth\n",
			},
			want: []string{
				"name=services/api dockerfile=services/api/Dockerfile context=. origin=dockerfile target= args= tags=",
			},
		},
		{
			name: "the same Dockerfile and context from compose and the walk is one app with the compose name",
			files: map[string]string{
				"compose.yaml":            "services:\n  api:\n    build:\n      context: .\n      dockerfile: services/api/Dockerfile\n",
				"services/api/Dockerfile": "FROM scratch\nCOPY services/api /a\n",
				"services/api/main.txt":   "x",
			},
			want: []string{
				"name=api dockerfile=services/api/Dockerfile context=. origin=compose:compose.yaml target= args= tags=",
			},
		},
		{
			name: "two compose services on one Dockerfile with different targets are two apps",
			files: map[string]string{
				"compose.yaml": "services:\n" +
					"  api:\n    build:\n      context: .\n      dockerfile: services/api/Dockerfile\n      target: run\n" +
					"  api-debug:\n    build:\n      context: .\n      dockerfile: services/api/Dockerfile\n      target: debug\n",
				"services/api/Dockerfile": "FROM scratch AS run\nCOPY services/api /a\nFROM run AS debug\nCOPY tools/dlv /dlv\n",
				"services/api/main.txt":   "x",
				"tools/dlv":               "x",
			},
			want: []string{
				"name=api dockerfile=services/api/Dockerfile context=. origin=compose:compose.yaml target=run args= tags=",
				"name=api-debug dockerfile=services/api/Dockerfile context=. origin=compose:compose.yaml target=debug args= tags=",
			},
		},
		{
			name: "two compose services with the same build are two images",
			files: map[string]string{
				"compose.yaml": "services:\n" +
					"  api:\n    build: {context: ., dockerfile: services/api/Dockerfile}\n" +
					"  api-worker:\n    build: {context: ., dockerfile: services/api/Dockerfile}\n    command: work\n",
				"services/api/Dockerfile": "FROM scratch\nCOPY services/api /a\n",
				"services/api/main.txt":   "x",
			},
			want: []string{
				"name=api dockerfile=services/api/Dockerfile context=. origin=compose:compose.yaml target= args= tags=",
				"name=api-worker dockerfile=services/api/Dockerfile context=. origin=compose:compose.yaml target= args= tags=",
			},
		},
		{
			name: "monoctx.yaml overrides a discovered app, declares a new one and skips one",
			files: map[string]string{
				"monoctx.yaml": "apps:\n" +
					"  api:\n    args: {SERVICE: api}\n    inputs: [\"build/api.env\"]\n    deps: [libs/auth]\n" +
					"  tools/old:\n    skip: true\n" +
					"  batch:\n    dockerfile: jobs/batch.Dockerfile\n    context: .\n    target: run\n",
				"compose.yaml":            "services:\n  api:\n    build:\n      context: .\n      dockerfile: services/api/Dockerfile\n      args: {SERVICE: x, KEEP: k}\n",
				"services/api/Dockerfile": "FROM scratch\nARG SERVICE\nCOPY services/${SERVICE} /a\n",
				"services/api/main.txt":   "x",
				"tools/old/Dockerfile":    scratch,
				"jobs/batch.Dockerfile":   "FROM scratch AS run\nCOPY jobs /j\n",
			},
			want: []string{
				"name=api dockerfile=services/api/Dockerfile context=. origin=config:monoctx.yaml target= args=KEEP=k,SERVICE=api tags=",
				"name=batch dockerfile=jobs/batch.Dockerfile context=. origin=config:monoctx.yaml target=run args= tags=",
			},
		},
		{
			name: "monoctx.yaml matches a discovered app by its Dockerfile and renames it",
			files: map[string]string{
				"monoctx.yaml":        "apps:\n  site:\n    dockerfile: apps/web/Dockerfile\n",
				"apps/web/Dockerfile": "FROM scratch\nCOPY index.html /\n",
				"apps/web/index.html": "x",
			},
			want: []string{
				"name=site dockerfile=apps/web/Dockerfile context=apps/web origin=config:monoctx.yaml target= args= tags=",
			},
		},
		{
			name: "discovery.dockerfiles false keeps only declared apps",
			files: map[string]string{
				"monoctx.yaml": "discovery:\n  dockerfiles: false\napps:\n  a:\n    dockerfile: a/Dockerfile\n",
				"a/Dockerfile": scratch,
				"b/Dockerfile": scratch,
			},
			want: []string{
				"name=a dockerfile=a/Dockerfile context=a origin=config:monoctx.yaml target= args= tags=",
			},
		},
		{
			name: "discovery.skip replaces the default skip list",
			files: map[string]string{
				"monoctx.yaml":        "discovery:\n  skip: [\"legacy\"]\n",
				"legacy/Dockerfile":   scratch,
				"vendor/x/Dockerfile": scratch,
			},
			want: []string{
				"name=vendor/x dockerfile=vendor/x/Dockerfile context=vendor/x origin=dockerfile target= args= tags=",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := mustLoad(t, newTree(t, tt.files))
			if got := appLines(g); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("apps:\ngot  %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestLoadExplainsAnInferredContext(t *testing.T) {
	g := mustLoad(t, newTree(t, map[string]string{
		"services/api/Dockerfile": "# build from the root\nFROM scratch\nCOPY ./services/api/go.mod .\n",
		"services/api/go.mod":     "module api\n",
		"services/own/Dockerfile": "FROM scratch\nCOPY go.mod .\n",
		"services/own/go.mod":     "module own\n",
	}))
	api := mustApp(t, g, "services/api")
	if api.Context != "." {
		t.Errorf("api context: got %q, want %q", api.Context, ".")
	}
	for _, want := range []string{"services/api/Dockerfile:3", "COPY ./services/api/go.mod .", "resolves only from ."} {
		if !strings.Contains(api.ContextReason, want) {
			t.Errorf("api ContextReason: got %q, want it to contain %q", api.ContextReason, want)
		}
	}
	own := mustApp(t, g, "services/own")
	if own.Context != "services/own" || own.ContextReason != "" {
		t.Errorf("own: got context %q reason %q, want %q and no reason", own.Context, own.ContextReason, "services/own")
	}
}

func TestLoadConfigOverrideAddsInputsAndDeps(t *testing.T) {
	g := mustLoad(t, newTree(t, map[string]string{
		"monoctx.yaml":            "apps:\n  api:\n    inputs: [\"build/*.env\"]\n    deps: [libs/auth]\n",
		"compose.yaml":            "services:\n  api:\n    build: {context: services/api}\n",
		"services/api/Dockerfile": "FROM scratch\nCOPY main.txt /\n",
		"services/api/main.txt":   "x",
		"libs/auth/a.txt":         "x",
		"build/api.env":           "x",
	}))
	api := mustApp(t, g, "api")
	tests := []struct {
		path string
		in   bool
		kind string
	}{
		{"build/api.env", true, "config-input"},
		{"build/sub/api.env", false, ""},
		{"libs/auth/a.txt", true, "config-dep"},
		{"libs/authz/a.txt", false, ""},
		{"services/api/main.txt", true, "copy"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			ex := api.Explain(tt.path)
			if ex.Input != tt.in {
				t.Fatalf("Explain(%q).Input: got %v (%q), want %v", tt.path, ex.Input, ex.Reason, tt.in)
			}
			if tt.in && ex.Rules[0].Kind != tt.kind {
				t.Errorf("rule kind: got %q, want %q", ex.Rules[0].Kind, tt.kind)
			}
			if tt.in && tt.kind != "copy" && !strings.HasPrefix(ex.Rules[0].Where, "monoctx.yaml:") {
				t.Errorf("rule where: got %q, want monoctx.yaml:N", ex.Rules[0].Where)
			}
		})
	}
}

func TestLoadDefinitionErrorsNameTheFile(t *testing.T) {
	df := map[string]string{"apps/web/Dockerfile": "FROM scratch\nCOPY x /x\n", "apps/web/x": "x"}
	tests := []struct {
		name     string
		files    map[string]string
		wantFile string
		wantLine int
		wantMsg  string
	}{
		{
			name:     "malformed compose yaml",
			files:    map[string]string{"compose.yaml": "services:\n  web:\n    build: [\n"},
			wantFile: "compose.yaml",
			wantLine: 3,
		},
		{
			name:     "malformed skaffold yaml",
			files:    map[string]string{"skaffold.yaml": "build:\n  artifacts:\n\t- image: x\n"},
			wantFile: "skaffold.yaml",
			wantLine: 3,
		},
		{
			name:     "skaffold artifact leaving the repository",
			files:    map[string]string{"skaffold.yaml": "build:\n  artifacts:\n    - image: x\n      context: ../other\n"},
			wantFile: "skaffold.yaml",
			wantLine: 3,
			wantMsg:  "leaves the repository",
		},
		{
			name:     "malformed bake JSON",
			files:    map[string]string{"docker-bake.json": "{\n  \"target\": {\n    \"web\": {,}\n  }\n}\n"},
			wantFile: "docker-bake.json",
			wantLine: 3,
		},
		{
			name:     "bake target leaving the repository",
			files:    map[string]string{"docker-bake.json": `{"target": {"web": {"context": "../x"}}}`},
			wantFile: "docker-bake.json",
			wantMsg:  `target "web"`,
		},
		{
			name:     "broken Dockerfile",
			files:    map[string]string{"apps/api/Dockerfile": "FROM scratch\nCOPY ../secret /s\n"},
			wantFile: "apps/api/Dockerfile",
			wantLine: 2,
			wantMsg:  "leaves the build context",
		},
		{
			name:     "config app with no Dockerfile on disk",
			files:    map[string]string{"monoctx.yaml": "apps:\n  ghost:\n    dockerfile: ghost/Dockerfile\n"},
			wantFile: "monoctx.yaml",
			wantLine: 3,
			wantMsg:  `app "ghost": Dockerfile ghost/Dockerfile does not exist`,
		},
		{
			name:     "config app matching nothing and naming no Dockerfile",
			files:    map[string]string{"monoctx.yaml": "apps:\n  ghost:\n    args: {A: b}\n"},
			wantFile: "monoctx.yaml",
			wantLine: 2,
			wantMsg:  `app "ghost" matches no discovered app`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string]string{}
			for k, v := range df {
				files[k] = v
			}
			for k, v := range tt.files {
				files[k] = v
			}
			_, err := Load(context.Background(), newTree(t, files), WithStrict(true))
			if err == nil {
				t.Fatal("got no error")
			}
			pe := asParseError(t, err)
			if pe.File != tt.wantFile {
				t.Errorf("File: got %q, want %q (%v)", pe.File, tt.wantFile, err)
			}
			if pe.Line != tt.wantLine {
				t.Errorf("Line: got %d, want %d (%v)", pe.Line, tt.wantLine, err)
			}
			if !strings.Contains(pe.Msg, tt.wantMsg) {
				t.Errorf("Msg: got %q, want it to contain %q", pe.Msg, tt.wantMsg)
			}
		})
	}
}

func TestLoadWithConfigFileRequiresIt(t *testing.T) {
	dir := newTree(t, map[string]string{"a/Dockerfile": "FROM scratch\n"})
	_, err := Load(context.Background(), dir, WithConfigFile("ci/monoctx.yaml"))
	if err == nil || !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "config file ci/monoctx.yaml does not exist") {
		t.Fatalf("got %v, want an error naming the missing config file", err)
	}
	writeTree(t, dir, map[string]string{"ci/monoctx.yaml": "global: [VERSION]\n"})
	g := mustLoad(t, dir, WithConfigFile("ci/monoctx.yaml"))
	if got, want := g.Config.Global, []string{"VERSION"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Global: got %q, want %q", got, want)
	}
}

func TestIsDockerfileName(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{"Dockerfile", true},
		{"dockerfile", true},
		{"Containerfile", true},
		{"Dockerfile.prod", true},
		{"api.Dockerfile", true},
		{"api.dockerfile", true},
		{"Dockerfile.dockerignore", false},
		{"api.Dockerfile.dockerignore", false},
		{"Containerfile.containerignore", false},
		{".dockerignore", false},
		{"Dockerfiles", false},
		{"README.md", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsDockerfileName(tt.name); got != tt.want {
				t.Errorf("IsDockerfileName(%q): got %v, want %v", tt.name, got, tt.want)
			}
		})
	}
}

// With several broken definitions, the error is the first in name order on every run, however
// the parallel analysis or Go's map order goes.
func TestLoadReportsTheFirstErrorInNameOrder(t *testing.T) {
	bad := "FROM scratch\nCOPY ../secret /s\n"
	tests := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"Dockerfiles", map[string]string{"a/Dockerfile": bad, "b/Dockerfile": bad, "c/Dockerfile": bad, "d/Dockerfile": bad}, "a/Dockerfile:2"},
		{"compose services", map[string]string{"compose.yaml": "services:\n  c:\n    build: ../c\n  a:\n    build: ../a\n  b:\n    build: ../b\n"}, `service "a"`},
		{"named contexts", map[string]string{
			"monoctx.yaml": "apps:\n  x:\n    dockerfile: x/Dockerfile\n    contexts: {c: ../c, a: ../a, b: ../b}\n",
			"x/Dockerfile": "FROM scratch\n",
		}, "a=../a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := newTree(t, tt.files)
			for i := 0; i < 20; i++ {
				_, err := Load(context.Background(), root, WithStrict(true))
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("run %d: got %v, want an error naming %s", i, err, tt.want)
				}
			}
		})
	}
}
