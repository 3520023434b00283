package graph

import (
	"context"
	"os"
	"reflect"
	"strings"
	"testing"
)

func TestLoadBakeTargets(t *testing.T) {
	df := "FROM scratch AS base\nCOPY . /x\nFROM base AS run\n"
	tests := []struct {
		name      string
		files     map[string]string
		want      []string
		wantWarns []string
	}{
		{
			name: "HCL variables, functions, inherits and a dockerfile relative to the context",
			files: map[string]string{
				"docker-bake.hcl": `
variable "REGISTRY" { default = "registry.example.com" }
variable "TAG" { default = "dev" }
function "tag" {
  params = [name]
  result = "${REGISTRY}/${name}:${TAG}"
}
group "default" { targets = ["api", "web"] }
target "_common" {
  args = { GO_VERSION = "1.26", MODE = "release" }
}
target "api" {
  inherits   = ["_common"]
  context    = "services/api"
  dockerfile = "build/Dockerfile"
  target     = "run"
  args       = { MODE = "debug" }
  tags       = [tag("api")]
}
target "web" {
  inherits = ["api"]
  context  = "apps/web"
  tags     = [tag("web")]
}
`,
				"services/api/build/Dockerfile": df,
				"apps/web/build/Dockerfile":     df,
			},
			want: []string{
				"name=api dockerfile=services/api/build/Dockerfile context=services/api origin=bake:docker-bake.hcl target=run args=GO_VERSION=1.26,MODE=debug tags=ghcr.io/example/api:dev",
				"name=web dockerfile=apps/web/build/Dockerfile context=apps/web origin=bake:docker-bake.hcl target=run args=GO_VERSION=1.26,MODE=debug tags=ghcr.io/example/web:dev",
			},
		},
		{
			name: "a matrix names one app per combination",
			files: map[string]string{
				"docker-bake.hcl": `
target "svc" {
  name       = "svc-${item}-${mode}"
  matrix     = { item = ["a", "b"], mode = ["dev", "prod"] }
  context    = "svc/${item}"
  dockerfile = "Dockerfile.${mode}"
  args       = { MODE = mode }
}
`,
				"svc/a/Dockerfile.dev": df, "svc/a/Dockerfile.prod": df,
				"svc/b/Dockerfile.dev": df, "svc/b/Dockerfile.prod": df,
			},
			want: []string{
				"name=svc-a-dev dockerfile=svc/a/Dockerfile.dev context=svc/a origin=bake:docker-bake.hcl target= args=MODE=dev tags=",
				"name=svc-a-prod dockerfile=svc/a/Dockerfile.prod context=svc/a origin=bake:docker-bake.hcl target= args=MODE=prod tags=",
				"name=svc-b-dev dockerfile=svc/b/Dockerfile.dev context=svc/b origin=bake:docker-bake.hcl target= args=MODE=dev tags=",
				"name=svc-b-prod dockerfile=svc/b/Dockerfile.prod context=svc/b origin=bake:docker-bake.hcl target= args=MODE=prod tags=",
			},
		},
		{
			name: "override files merge into the targets of the main file, JSON inherits too",
			files: map[string]string{
				"docker-bake.json":          `{"target": {"_base": {"context": "svc/api", "args": {"A": "1"}}, "api": {"inherits": ["_base"], "tags": ["x/api"]}}}`,
				"docker-bake.override.hcl":  "target \"api\" {\n  args = { B = \"2\" }\n  target = \"run\"\n}\n",
				"svc/api/Dockerfile":        df,
				"docker-bake.override.json": `{"target": {"api": {"tags": ["x/api:override"]}}}`,
			},
			want: []string{
				"name=api dockerfile=svc/api/Dockerfile context=svc/api origin=bake:docker-bake.json target=run args=A=1,B=2 tags=x/api:override",
			},
		},
		{
			name: "remote contexts, inline Dockerfiles and missing Dockerfiles are skipped; cwd:// is the root",
			files: map[string]string{
				"docker-bake.hcl": `
target "metadata" {}
target "remote" { context = "https://github.com/example/repo.git" }
target "inline" { dockerfile-inline = "FROM scratch\n" }
target "gone" { context = "gone" }
target "root" { context = BAKE_CMD_CONTEXT }
target "tool" {
  inherits   = ["metadata"]
  context    = "cwd://tools/t"
  dockerfile = "cwd://docker/tool.Dockerfile"
}
`,
				"docker/tool.Dockerfile": df,
				"tools/t/main.go":        "package main\n",
				"Dockerfile":             df,
			},
			want: []string{
				"name=root dockerfile=Dockerfile context=. origin=bake:docker-bake.hcl target= args= tags=",
				"name=tool dockerfile=docker/tool.Dockerfile context=tools/t origin=bake:docker-bake.hcl target= args= tags=",
			},
			wantWarns: []string{
				`docker-bake.hcl: target "gone": Dockerfile gone/Dockerfile does not exist; skipped`,
				`docker-bake.hcl: target "inline" has an inline Dockerfile, which monoctx does not analyse; skipped`,
			},
		},
	}
	// As in bake, the environment overrides a variable's default; monoctx's own tests run with a
	// TAG that must not leak in.
	t.Setenv("TAG", "")
	os.Unsetenv("TAG")
	t.Setenv("REGISTRY", "ghcr.io/example")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := mustLoad(t, newTree(t, tt.files))
			var got []string
			for _, a := range g.Apps {
				if a.Origin != "dockerfile" {
					got = append(got, appLine(a))
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("apps:\ngot  %q\nwant %q", got, tt.want)
			}
			var warns []string
			for _, w := range g.Warnings {
				if strings.Contains(w, "bake") {
					warns = append(warns, w)
				}
			}
			if !reflect.DeepEqual(warns, tt.wantWarns) {
				t.Errorf("warnings:\ngot  %q\nwant %q", warns, tt.wantWarns)
			}
		})
	}
}

func TestLoadBakeErrorsNameFileAndLine(t *testing.T) {
	tests := []struct {
		name     string
		files    map[string]string
		wantFile string
		wantLine int
		wantMsg  string
	}{
		{
			name:     "HCL syntax",
			files:    map[string]string{"docker-bake.hcl": "target \"a\" {\n  context = \"a\"\n  tags = [\n}\n"},
			wantFile: "docker-bake.hcl",
			wantLine: 4,
		},
		{
			name:     "an undefined variable in an override file",
			files:    map[string]string{"docker-bake.hcl": "target \"a\" {}\n", "docker-bake.override.hcl": "\n\ntarget \"a\" {\n  context = NOPE\n}\n"},
			wantFile: "docker-bake.override.hcl",
			wantLine: 4,
			wantMsg:  "NOPE",
		},
		{
			name:     "an inherited target that is not defined",
			files:    map[string]string{"docker-bake.hcl": "target \"a\" {\n  inherits = [\"ghost\"]\n}\n"},
			wantFile: "docker-bake.hcl",
			wantMsg:  `target "ghost" is inherited but not defined`,
		},
		{
			name:     "an inheritance cycle",
			files:    map[string]string{"docker-bake.hcl": "target \"a\" {\n  inherits = [\"b\"]\n}\ntarget \"b\" {\n  inherits = [\"a\"]\n}\n"},
			wantFile: "docker-bake.hcl",
			wantMsg:  "inherits itself",
		},
		{
			name:     "a context leaving the repository",
			files:    map[string]string{"docker-bake.hcl": "target \"a\" {\n  context = \"../x\"\n}\n"},
			wantFile: "docker-bake.hcl",
			wantMsg:  `target "a": context or dockerfile leaves the repository`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(context.Background(), newTree(t, tt.files), WithStrict(true))
			if err == nil {
				t.Fatal("got no error")
			}
			pe := asParseError(t, err)
			if pe.File != tt.wantFile || pe.Line != tt.wantLine || !strings.Contains(pe.Msg, tt.wantMsg) {
				t.Errorf("got %s:%d: %q; want %s:%d: …%s…", pe.File, pe.Line, pe.Msg, tt.wantFile, tt.wantLine, tt.wantMsg)
			}
		})
	}
}

// TestAffectedByBakeDefinitionChanges: bake definitions are compared at base and head like compose
// ones, through variables and inherits, and an edit that changes no build affects nothing.
func TestAffectedByBakeDefinitionChanges(t *testing.T) {
	df := "FROM scratch\nCOPY main.go /\n"
	bake := `variable "MONOCTX_TEST_MODE" { default = "release" }
target "_common" { args = { MODE = MONOCTX_TEST_MODE } }
target "api" {
  inherits = ["_common"]
  context  = "services/api"
}
target "web" { context = "apps/web" }
`
	tests := []struct {
		name    string
		bake    string
		want    []string
		reasons map[string][]string
	}{
		{
			name:    "a variable default an inherited arg uses",
			bake:    strings.Replace(bake, `"release"`, `"debug"`, 1),
			want:    []string{"api:affected"},
			reasons: map[string][]string{"api": {"docker-bake.hcl app definition changed in docker-bake.hcl"}},
		},
		{
			name: "a comment",
			bake: "# build targets\n" + bake,
			want: []string{},
		},
		{
			name:    "a removed target",
			bake:    strings.Replace(bake, `target "web" { context = "apps/web" }`, "", 1),
			want:    []string{"web:removed"},
			reasons: map[string][]string{"web": {"docker-bake.hcl app removed from docker-bake.hcl"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := newRepo(t, map[string]string{
				"docker-bake.hcl":         bake,
				"services/api/Dockerfile": "FROM scratch\nARG MODE\nCOPY main.go /\n",
				"services/api/main.go":    "package main\n",
				"apps/web/Dockerfile":     df,
				"apps/web/main.go":        "package main\n",
			})
			base := r.head()
			r.edit(map[string]string{"docker-bake.hcl": tt.bake})
			r.commit("change")
			got := r.affected(base)
			if s := summary(got); !reflect.DeepEqual(s, tt.want) {
				t.Fatalf("affected: got %q, want %q\nfull: %+v", s, tt.want, got)
			}
			for _, a := range got {
				for i, w := range tt.reasons[a.Name] {
					if i >= len(a.Reasons) || !strings.Contains(a.Reasons[i].Path+" "+a.Reasons[i].Rule, w) {
						t.Errorf("%s reasons: got %+v, want reason %d to contain %q", a.Name, a.Reasons, i, w)
					}
				}
			}
		})
	}
}
