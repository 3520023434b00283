package discover

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
)

// writeTree writes files (repo-relative path → content) under a new temporary root.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for p, c := range files {
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// line renders a build for comparisons.
func line(b Build) string {
	var args []string
	for k, v := range b.Args {
		args = append(args, k+"="+v)
	}
	sort.Strings(args)
	return strings.Join([]string{b.Name, b.Dockerfile, "ctx=" + b.Context, "target=" + b.Target,
		"args=" + strings.Join(args, ","), "tags=" + strings.Join(b.Tags, ","),
		"platforms=" + strings.Join(b.Platforms, ","), b.Origin(), b.Where()}, " ")
}

func find(t *testing.T, files map[string]string) *Result {
	t.Helper()
	res, err := Find(context.Background(), writeTree(t, files), Options{})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func lines(res *Result) []string {
	out := []string{}
	for _, b := range res.Builds {
		out = append(out, line(b))
	}
	return out
}

const scratch = "FROM scratch\n"

func TestFindReadsEachSource(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{
			name: "Makefile with a for loop over a variable, flags with = and a platform list",
			files: map[string]string{
				"Makefile": "IMAGES := api worker\nPLATFORMS = linux/amd64,linux/arm64\n\nimages:\n" +
					"\tfor i in $(IMAGES); do \\\n\t  docker buildx build --platform=$(PLATFORMS) --file=svc/$$i/Dockerfile -t example/$$i svc/$$i; \\\n\tdone\n",
				"svc/api/Dockerfile":    scratch,
				"svc/worker/Dockerfile": scratch,
			},
			want: []string{
				"api svc/api/Dockerfile ctx=svc/api target= args= tags=example/api platforms=linux/amd64,linux/arm64 make:Makefile Makefile:5",
				"worker svc/worker/Dockerfile ctx=svc/worker target= args= tags=example/worker platforms=linux/amd64,linux/arm64 make:Makefile Makefile:5",
			},
		},
		{
			name: "a recipe whose build command is in a make variable",
			files: map[string]string{
				"Makefile":     "X := docker build\nY = DOCKER_BUILDKIT=1 $(X) --load\n\nc:\n\t$(X) -t c -f a/Dockerfile .\nd:\n\t@$(Y) -t d -f a/Dockerfile a\n",
				"a/Dockerfile": scratch,
			},
			want: []string{
				"c a/Dockerfile ctx=. target= args= tags=c platforms= make:Makefile Makefile:5",
				"d a/Dockerfile ctx=a target= args= tags=d platforms= make:Makefile Makefile:7",
			},
		},
		{
			// grafana/loki: OCI_BUILD is set, tab-indented, on both branches of `ifeq ($(CI),true)`;
			// each branch is a build make may run (one app: the platforms do not make another).
			name: "a build command set on both branches of an undecided conditional",
			files: map[string]string{
				"Makefile": "ARGS := --build-arg V=1\nifeq ($(CI),true)\n\tOCI_BUILD := docker buildx build --platform=linux/arm64 $(ARGS)\n" +
					"else\n\tOCI_BUILD := DOCKER_BUILDKIT=1 docker build $(ARGS)\nendif\nPUSH := $(OCI_BUILD) --push\n\n" +
					"img:\n\t$(OCI_BUILD) -t x/img:1 -f cmd/img/Dockerfile .\npush:\n\t$(PUSH) -t x/pushed -f cmd/other/Dockerfile .\n",
				"cmd/img/Dockerfile":   scratch,
				"cmd/other/Dockerfile": scratch,
			},
			want: []string{
				"img cmd/img/Dockerfile ctx=. target= args=V=1 tags=x/img:1 platforms=linux/arm64 make:Makefile Makefile:10",
				"img cmd/img/Dockerfile ctx=. target= args=V=1 tags=x/img:1 platforms= make:Makefile Makefile:10",
				"pushed cmd/other/Dockerfile ctx=. target= args=V=1 tags=x/pushed platforms=linux/arm64 make:Makefile Makefile:12",
				"pushed cmd/other/Dockerfile ctx=. target= args=V=1 tags=x/pushed platforms= make:Makefile Makefile:12",
			},
		},
		{
			// grafana/loki's run_in_container: a canned recipe holds the build, at its own line.
			name: "a build in a define body used by recipes",
			files: map[string]string{
				"Makefile": "IMG := x/builder\ndefine run_in_container\n\t@mkdir -p .pkg\n\t$(eval M := $(shell \\\n\t\techo -v x))\n\t@docker build --rm \\\n\t\t-f build-image/Dockerfile \\\n\t\t-t $(IMG) \\\n\t\t.\n" +
					"\tdocker run --rm $(IMG) $@\nendef\n\nlint:\n\t$(run_in_container)\ntest:\n\t$(call run_in_container,test)\n",
				"build-image/Dockerfile": scratch,
			},
			want: []string{
				"builder build-image/Dockerfile ctx=. target= args= tags=x/builder platforms= make:Makefile Makefile:6",
			},
		},
		{
			name: "a reference over several lines inside a continued command of a define body",
			files: map[string]string{
				"Makefile":     "define build_it\n\tdocker build --build-arg U=$(shell \\\n\t\tid -u) \\\n\t\t-f a/Dockerfile \\\n\t\ta\n\tdocker build -t second b\nendef\n",
				"a/Dockerfile": scratch,
				"b/Dockerfile": scratch,
			},
			want: []string{
				"a a/Dockerfile ctx=a target= args= tags= platforms= make:Makefile Makefile:2",
				"second b/Dockerfile ctx=b target= args= tags=second platforms= make:Makefile Makefile:6",
			},
		},
		{
			name: "a script whose build command is in a shell variable, split into fields",
			files: map[string]string{
				"build.sh":     "#!/bin/sh\nOCI_BUILD=\"DOCKER_BUILDKIT=1 docker buildx build --load\"\nEMPTY=\n$OCI_BUILD $EMPTY -t c -f a/Dockerfile .\nB='docker build'\n${B} -t d a\n\"$B\" -t quoted a\n",
				"a/Dockerfile": scratch,
			},
			want: []string{
				"c a/Dockerfile ctx=. target= args= tags=c platforms= script:build.sh build.sh:4",
				"d a/Dockerfile ctx=a target= args= tags=d platforms= script:build.sh build.sh:6",
			},
		},
		{
			name: "an unknown part of the Dockerfile path is matched against the tree and binds the context",
			files: map[string]string{
				"build.sh":              "#!/bin/sh\ndocker build -f services/$SVC/Dockerfile --target prod services/$SVC\n",
				"services/a/Dockerfile": scratch,
				"services/b/Dockerfile": scratch,
				"other/c/Dockerfile":    scratch,
			},
			want: []string{
				"services/a services/a/Dockerfile ctx=services/a target=prod args= tags= platforms= script:build.sh build.sh:2",
				"services/b services/b/Dockerfile ctx=services/b target=prod args= tags= platforms= script:build.sh build.sh:2",
			},
		},
		{
			name: "podman and buildah, global flags, sudo and an env prefix",
			files: map[string]string{
				"ci/images.sh": "#!/bin/bash\nsudo DOCKER_BUILDKIT=1 docker --log-level warn build -q -f a/Containerfile a\n" +
					"podman build --layers -t x/b:1 b\nbuildah bud -f c/Dockerfile.prod c\n",
				"a/Containerfile":   scratch,
				"b/Dockerfile":      scratch,
				"c/Dockerfile.prod": scratch,
			},
			want: []string{
				"a a/Containerfile ctx=a target= args= tags= platforms= script:ci/images.sh ci/images.sh:2",
				"b b/Dockerfile ctx=b target= args= tags=x/b:1 platforms= script:ci/images.sh ci/images.sh:3",
				"c/Dockerfile.prod c/Dockerfile.prod ctx=c target= args= tags= platforms= script:ci/images.sh ci/images.sh:4",
			},
		},
		{
			name: "workflow matrix with include and exclude, build-args, platforms",
			files: map[string]string{
				".github/workflows/ci.yaml": "jobs:\n  b:\n    strategy:\n      matrix:\n        app: [x, y, z]\n        exclude:\n          - app: z\n        include:\n          - app: x\n            stage: debug\n" +
					"    steps:\n      - uses: docker/build-push-action@v5\n        with:\n          context: apps/${{ matrix.app }}\n          target: ${{ matrix.stage }}\n          platforms: linux/amd64, linux/arm64\n          build-args: |\n            APP=${{ matrix.app }}\n",
				"apps/x/Dockerfile": scratch,
				"apps/y/Dockerfile": scratch,
				"apps/z/Dockerfile": scratch,
			},
			want: []string{
				"apps/x apps/x/Dockerfile ctx=apps/x target=debug args=APP=x tags= platforms=linux/amd64,linux/arm64 workflow:.github/workflows/ci.yaml .github/workflows/ci.yaml:12",
				"apps/y apps/y/Dockerfile ctx=apps/y target= args=APP=y tags= platforms=linux/amd64,linux/arm64 workflow:.github/workflows/ci.yaml .github/workflows/ci.yaml:12",
			},
		},
		{
			name: "bake targets carry platforms and their line",
			files: map[string]string{
				"docker-bake.hcl": "group \"default\" {\n  targets = [\"api\"]\n}\n\ntarget \"api\" {\n  context = \"api\"\n  platforms = [\"linux/amd64\"]\n}\n",
				"api/Dockerfile":  scratch,
			},
			want: []string{"api api/Dockerfile ctx=api target= args= tags= platforms=linux/amd64 bake:docker-bake.hcl docker-bake.hcl:5"},
		},
		{
			name: "bake files a docker/bake-action step names, run in its workdir",
			files: map[string]string{
				".github/workflows/release.yml": "jobs:\n  r:\n    steps:\n      - uses: docker/bake-action@v5\n        with:\n          workdir: deploy\n          files: |\n            images.hcl\n",
				"deploy/images.hcl":             "target \"api\" {\n  context = \"api\"\n}\n",
				"deploy/api/Dockerfile":         scratch,
			},
			want: []string{"api deploy/api/Dockerfile ctx=deploy/api target= args= tags= platforms= bake:deploy/images.hcl deploy/images.hcl:1"},
		},
		{
			name: "skaffold files below the root resolve against their own directory",
			files: map[string]string{
				"deploy/skaffold.yaml": "apiVersion: skaffold/v4beta6\nbuild:\n  artifacts:\n    - image: example/api\n      context: ../api\n",
				"api/Dockerfile":       scratch,
			},
			want: []string{"api api/Dockerfile ctx=api target= args= tags=example/api platforms= skaffold:deploy/skaffold.yaml deploy/skaffold.yaml:4"},
		},
		{
			name: "COMPOSE_FILE in .env picks the project's files",
			files: map[string]string{
				".env":               "COMPOSE_FILE=compose.base.yml:compose.images.yml\n",
				"compose.base.yml":   "services:\n  web:\n    image: example/web\n",
				"compose.images.yml": "services:\n  web:\n    build: web\n",
				"web/Dockerfile":     scratch,
			},
			want: []string{"web web/Dockerfile ctx=web target= args= tags=example/web platforms= compose:compose.images.yml compose.images.yml:2"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := find(t, tt.files)
			var got []string
			for _, l := range lines(res) {
				if !strings.Contains(l, " dockerfile ") {
					got = append(got, l)
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("builds:\ngot  %q\nwant %q\nwarnings: %q\nbroken: %v", got, tt.want, res.Warnings, res.Broken)
			}
		})
	}
}

func TestFindWarnsAndGoesOnWhereADefinitionCannotBeRead(t *testing.T) {
	res := find(t, map[string]string{
		"compose.yaml":        "services:\n  web:\n    build: [\n",
		"ok/compose.yaml":     "services:\n  ok:\n    build: .\n",
		"ok/Dockerfile":       scratch,
		"Makefile":            "img:\n\tdocker build -f missing/Dockerfile .\n",
		"web/Dockerfile":      scratch,
		".devcontainer.json":  "{ \"build\": { \"dockerfile\": \"web/Dockerfile\" } // trailing\n}",
		"scripts/pipe.sh":     "generate | docker build -\n",
		"scripts/broken.bash": "if then fi (\n docker build .\n",
	})
	var names []string
	for _, b := range res.Builds {
		names = append(names, b.Name+"@"+b.Source)
	}
	want := []string{"ok@compose", "web@devcontainer"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("builds: got %q, want %q", names, want)
	}
	if len(res.Broken) != 1 || res.Broken[0].File != "compose.yaml" || res.Broken[0].Line != 3 {
		t.Errorf("broken: got %+v, want compose.yaml:3", res.Broken)
	}
	warned := strings.Join(res.Warnings, "\n")
	for _, w := range []string{
		"Makefile:2: build of missing/Dockerfile (context .) names no Dockerfile of the repository",
		"scripts/pipe.sh:1: the build context is a tar piped from another command, and no Dockerfile of the repository is named",
		"scripts/broken.bash: not a shell script monoctx can read",
	} {
		if !strings.Contains(warned, w) {
			t.Errorf("warnings %q lack %q", warned, w)
		}
	}
}

// The sources run at once, and their warnings come out in source order (compose, workflows,
// Makefiles, scripts), the same on every run.
func TestFindWarningsKeepTheSourcesOrder(t *testing.T) {
	files := map[string]string{
		"compose.yaml":             "services:\n  web:\n    build: {context: nowhere}\n",
		".github/workflows/ci.yml": "on: push\njobs:\n  b:\n    runs-on: x\n    steps:\n      - run: docker build -f gone/Dockerfile .\n",
		"Makefile":                 "img:\n\tdocker build -f missing/Dockerfile .\n",
		"scripts/pipe.sh":          "generate | docker build -\n",
		"web/Dockerfile":           scratch,
	}
	first := find(t, files)
	order := []string{"compose.yaml", ".github/workflows/ci.yml", "Makefile:2", "scripts/pipe.sh"}
	at := -1
	for _, w := range order {
		i := slices.IndexFunc(first.Warnings, func(s string) bool { return strings.HasPrefix(s, w) })
		if i <= at {
			t.Fatalf("warnings %q: %s is not after the warnings of the sources before it", first.Warnings, w)
		}
		at = i
	}
	for range 20 {
		if again := find(t, files); !reflect.DeepEqual(again.Warnings, first.Warnings) || !reflect.DeepEqual(again.Files, first.Files) {
			t.Fatalf("another run: %q, %q; first %q, %q", again.Warnings, again.Files, first.Warnings, first.Files)
		}
	}
}

func TestFindRecordsTheDefinitionFilesItRead(t *testing.T) {
	res := find(t, map[string]string{
		"Makefile":         "include mk/images.mk\n",
		"mk/images.mk":     "x:\n\tdocker build web\n",
		"web/Dockerfile":   scratch,
		"compose.yaml":     "services:\n  web:\n    build: web\n",
		".env":             "A=b\n",
		"tools/lint.sh":    "echo no images here\n",
		"tools/release.sh": "docker build web\n",
	})
	want := []string{".env", "Makefile", "compose.yaml", "mk/images.mk", "tools/release.sh"}
	if !reflect.DeepEqual(res.Files, want) {
		t.Errorf("files: got %q, want %q", res.Files, want)
	}
	for _, p := range append(want, "tools/lint.sh", ".github/workflows/x.yml", "a/b/docker-compose.prod.yml", "x/devcontainer.json") {
		if !IsDefinitionFile(p) {
			t.Errorf("IsDefinitionFile(%q) = false, want true", p)
		}
	}
	for _, p := range []string{"README.md", "src/main.go", "web/Dockerfile", ".github/CODEOWNERS"} {
		if IsDefinitionFile(p) {
			t.Errorf("IsDefinitionFile(%q) = true, want false", p)
		}
	}
}

func TestFindWithAFileListReadsNoTree(t *testing.T) {
	root := writeTree(t, map[string]string{"Makefile": "x:\n\tdocker build -f svc/Dockerfile svc\n"})
	// svc/Dockerfile is not on disk: the list stands for the tree (a commit's, at base).
	res, err := Find(context.Background(), root, Options{Files: []string{"Makefile", "svc/Dockerfile", "vendor/x/Dockerfile"}, Skip: []string{"**/vendor"}, Dockerfiles: true})
	if err != nil {
		t.Fatal(err)
	}
	got := lines(res)
	want := []string{
		"svc svc/Dockerfile ctx=svc target= args= tags= platforms= make:Makefile Makefile:2",
		"svc svc/Dockerfile ctx= target= args= tags= platforms= dockerfile svc/Dockerfile",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestIsDockerfileName(t *testing.T) {
	for name, want := range map[string]bool{
		"Dockerfile": true, "dockerfile": true, "Containerfile": true, "Dockerfile.prod": true,
		"Dockerfile-windows": true, "Containerfile.dev": true, "api.Dockerfile": true,
		"migrate.containerfile": true, "x.dockerfile": true, "Dockerfile_debug": true, "dockerfile-dev": true,
		"Dockerfile_":             false,
		"Dockerfile.dockerignore": false, "Dockerfile-": false, ".dockerfile": false, "Dockerfiles": false,
		"docker-compose.yml": false, "Containerfile.containerignore": false,
	} {
		if got := IsDockerfileName(name); got != want {
			t.Errorf("IsDockerfileName(%q): got %v, want %v", name, got, want)
		}
	}
}

// grafana/loki's release workflows check the repository out into release/ (next to another
// repository in lib/) and build release/cmd/x/Dockerfile in context release, once per arch.
func TestWorkflowCheckoutIntoASubdirectoryIsTheRepositoryRoot(t *testing.T) {
	wf := `jobs:
  img:
    strategy:
      matrix:
        arch: [amd64, arm64, arm]
    env:
      REPO: example/app
    steps:
      - uses: actions/checkout@v4
        with:
          path: lib
          repository: example/release-lib
      - uses: actions/checkout@v4
        with:
          path: release
          repository: ${{ env.REPO }}
      - uses: docker/build-push-action@v5
        with:
          context: release
          file: release/cmd/x/Dockerfile
          platforms: linux/${{ matrix.arch }}
      - run: docker build -f cmd/y/Dockerfile .
        working-directory: release
      - uses: docker/build-push-action@v5
        with:
          context: lib
          file: lib/tools/Dockerfile
  own:
    steps:
      - uses: actions/checkout@v4
        with:
          path: src
      - uses: docker/build-push-action@v5
        with:
          context: ./src/web
`
	res := find(t, map[string]string{
		".github/workflows/release.yml": wf,
		"cmd/x/Dockerfile":              scratch,
		"cmd/y/Dockerfile":              scratch,
		"web/Dockerfile":                scratch,
	})
	got := definedLines(res)
	w := " workflow:.github/workflows/release.yml .github/workflows/release.yml:"
	want := []string{
		"cmd/x cmd/x/Dockerfile ctx=. target= args= tags= platforms=linux/amd64" + w + "17",
		"cmd/x cmd/x/Dockerfile ctx=. target= args= tags= platforms=linux/arm64" + w + "17",
		"cmd/x cmd/x/Dockerfile ctx=. target= args= tags= platforms=linux/arm" + w + "17",
		"cmd/y cmd/y/Dockerfile ctx=. target= args= tags= platforms=" + w + "22",
		"cmd/y cmd/y/Dockerfile ctx=. target= args= tags= platforms=" + w + "22",
		"cmd/y cmd/y/Dockerfile ctx=. target= args= tags= platforms=" + w + "22",
		"web web/Dockerfile ctx=web target= args= tags= platforms=" + w + "33",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("builds:\ngot  %q\nwant %q\nwarnings: %q", got, want, res.Warnings)
	}
	// lib/ is another repository: its Dockerfile is none of ours, said once for the three archs.
	wantWarn := []string{".github/workflows/release.yml:24: build of lib/tools/Dockerfile (context lib) names no Dockerfile of the repository; skipped (declare it in monoctx.yaml if it is one)"}
	if !reflect.DeepEqual(res.Warnings, wantWarn) {
		t.Errorf("warnings:\ngot  %q\nwant %q", res.Warnings, wantWarn)
	}
}

// open-telemetry/opentelemetry-demo builds its images from one matrix axis whose values are
// objects (matrix.file_tag.file), with build args a step loads from .env into $GITHUB_ENV.
func TestWorkflowMatrixObjectsAndGitHubEnvFromADotenvFile(t *testing.T) {
	wf := `jobs:
  images:
    strategy:
      matrix:
        file_tag:
          - file: ./src/ad/Dockerfile
            context: ./
            meta: {suffix: ad}
          - file: ./src/cart/Dockerfile
            context: ./src/cart
            meta: {suffix: cart}
        exclude:
          - file_tag: {meta: {suffix: cart}}
        include:
          - file_tag: {file: ./src/email/Dockerfile, context: ./src/email}
    steps:
      - run: docker build -t before:${{ env.VERSION }} src/pre
      - name: Load environment variables from .env file
        working-directory: ${{ github.workspace }}
        run: |
          grep -vE '^\s*#|^\s*$' .env | while read -r line; do
            echo "$line" >> $GITHUB_ENV
          done
          cat ci/missing.env >> "$GITHUB_ENV"
      - uses: docker/build-push-action@v6
        with:
          context: ${{ matrix.file_tag.context }}
          file: ${{ matrix.file_tag.file }}
          tags: example/${{ matrix.file_tag.meta.suffix }}:${{ env.VERSION }}
          build-args: |
            VERSION=${{ env.VERSION }}
            GITSHA=${{ github.sha }}
`
	res := find(t, map[string]string{
		".github/workflows/images.yml": wf,
		".env":                         "# versions\nVERSION=1.2.3\n",
		"src/ad/Dockerfile":            scratch,
		"src/cart/Dockerfile":          scratch,
		"src/email/Dockerfile":         scratch,
		"src/pre/Dockerfile":           scratch,
	})
	got := definedLines(res)
	w := " workflow:.github/workflows/images.yml .github/workflows/images.yml:"
	want := []string{
		// Before the step that loads .env, env.VERSION is unknown.
		"src/pre src/pre/Dockerfile ctx=src/pre target= args= tags= platforms=" + w + "17",
		"src/pre src/pre/Dockerfile ctx=src/pre target= args= tags= platforms=" + w + "17",
		"ad src/ad/Dockerfile ctx=. target= args=VERSION=1.2.3 tags=example/ad:1.2.3 platforms=" + w + "25",
		// The include entry has no meta.suffix: its tag names no image, the Dockerfile does.
		"src/email src/email/Dockerfile ctx=src/email target= args=VERSION=1.2.3 tags=example/:1.2.3 platforms=" + w + "25",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("builds:\ngot  %q\nwant %q\nwarnings: %q", got, want, res.Warnings)
	}
	if !slices.Contains(res.Files, ".env") {
		t.Errorf("files %q lack .env, which defines the builds' args", res.Files)
	}
}

// Bake files that are not at the root are read where a build command bakes them: a Makefile's
// `docker buildx bake -f`, a script's `docker bake` of a directory's default files.
func TestBakeFilesNamedByBuildCommands(t *testing.T) {
	res := find(t, map[string]string{
		"Makefile":                  "images:\n\tdocker buildx bake --progress plain -f build/bake.hcl --set '*.platform=linux/amd64' api\n",
		"build/bake.hcl":            "target \"api\" {\n  context = \"svc/api\"\n}\n",
		"svc/api/Dockerfile":        scratch,
		"deploy/release.sh":         "#!/bin/sh\ncd \"$(dirname \"$0\")\"\ndocker bake --push\n",
		"deploy/docker-bake.hcl":    "target \"web\" {\n  context = \"web\"\n}\n",
		"deploy/web/Dockerfile":     scratch,
		"tools/other.sh":            "docker buildx bake -f missing.hcl\ndocker buildx bake -f compose.yaml -f compose.ci.yml\n",
		"compose.yaml":              "services:\n  api:\n    build: svc/api\n",
		"compose.ci.yml":            "services:\n  api:\n    build: {args: {X: 1}}\n",
		"docs/notes-docker-bake.md": "not a bake file\n",
	})
	got := definedLines(res)
	want := []string{
		// The compose files baked are read by the compose source, not as HCL.
		"api svc/api/Dockerfile ctx=svc/api target= args= tags= platforms= compose:compose.yaml compose.yaml:2",
		"api svc/api/Dockerfile ctx=svc/api target= args=X=1 tags= platforms= compose:compose.ci.yml compose.ci.yml:2",
		"api svc/api/Dockerfile ctx=svc/api target= args= tags= platforms= bake:build/bake.hcl build/bake.hcl:1",
		"web deploy/web/Dockerfile ctx=deploy/web target= args= tags= platforms= bake:deploy/docker-bake.hcl deploy/docker-bake.hcl:1",
	}
	if !reflect.DeepEqual(got, want) || len(res.Broken) > 0 {
		t.Errorf("builds:\ngot  %q\nwant %q\nwarnings: %q broken: %v", got, want, res.Warnings, res.Broken)
	}
	for _, p := range []string{"Makefile", "build/bake.hcl", "deploy/release.sh", "deploy/docker-bake.hcl"} {
		if !slices.Contains(res.Files, p) {
			t.Errorf("files %q lack %s", res.Files, p)
		}
	}
}

func TestParseBakeCommand(t *testing.T) {
	for cmd, want := range map[string][]string{
		"docker buildx bake":                           {},
		"docker buildx bake -f a.hcl --file=b.hcl x y": {"a.hcl", "b.hcl"},
		"sudo docker --context ci bake -f c.json":      {"c.json"},
		"docker buildx bake --set *.tags=x -f d.hcl":   {"d.hcl"},
		"docker buildx build -f Dockerfile .":          nil,
		"docker build .":                               nil,
		"bake -f x.hcl":                                nil,
	} {
		var args []word
		for _, f := range strings.Fields(cmd) {
			args = append(args, litWord(f))
		}
		files, ok := parseBakeCommand(args)
		var got []string
		for _, w := range files {
			s, _ := w.text()
			got = append(got, s)
		}
		if ok != (want != nil) || (ok && !slices.Equal(got, want)) {
			t.Errorf("parseBakeCommand(%q) = %q, %v; want %q", cmd, got, ok, want)
		}
	}
}

// runSources splices the bake files build commands name after the bake source's own builds.
func TestBakeIsTheSecondSource(t *testing.T) {
	if reflect.ValueOf(sources[1]).Pointer() != reflect.ValueOf((*finder).bake).Pointer() {
		t.Fatal("sources[1] is not (*finder).bake: update bakeIdx in runSources")
	}
}

// definedLines are lines(res) but the bare Dockerfiles': the builds a definition file defines.
func definedLines(res *Result) []string {
	var out []string
	for _, l := range lines(res) {
		if !strings.Contains(l, " dockerfile ") {
			out = append(out, l)
		}
	}
	return out
}
