package graph

import (
	"reflect"
	"strings"
	"testing"
)

// buildsOf renders what RUN lines build as "lang:package" ("go:cmd/x", "js:web", "js:dir:apps/web",
// "go:import:example.com/m/cmd/x", "unresolved:js") with their lines.
func buildsOf(info *dockerfileInfo) []string {
	out := []string{}
	for _, b := range info.Builds {
		s := b.Lang + ":"
		switch {
		case b.Unresolved != "":
			s = "unresolved:" + b.Lang
		case b.Dir:
			s += "dir:" + b.Package
		case b.Import:
			s += "import:" + b.Package
		default:
			s += b.Package
		}
		out = append(out, s)
	}
	return out
}

func runFilesOf(info *dockerfileInfo) []string {
	out := []string{}
	for _, f := range info.RunFiles {
		s := strings.Join(f.Paths, "|")
		if f.Make {
			s = "make:" + s
		}
		out = append(out, s)
	}
	return out
}

func TestRunLinesNameThePackageTheyBuild(t *testing.T) {
	const head = "FROM node:20 AS build\nWORKDIR /app\nCOPY . .\n"
	tests := []struct {
		name string
		df   string
		args map[string]string
		want []string
	}{
		{"turbo prune positional", head + "RUN turbo prune web --docker\n", nil, []string{"js:web"}},
		{"turbo prune --scope (langfuse)", head + "RUN turbo prune --scope=web --docker\n", nil, []string{"js:web"}},
		{"turbo prune --scope value and --out-dir", head + "RUN npx turbo prune --out-dir out --scope @documenso/remix --docker\n", nil, []string{"js:@documenso/remix"}},
		{"pnpm --filter", head + "RUN pnpm install --frozen-lockfile && pnpm --filter web... build\n", nil, []string{"js:web"}},
		{"pnpm -F directory selector", head + "RUN pnpm -F \"{./apps/web}\" build\n", nil, []string{"js:dir:apps/web"}},
		{"pnpm deploy --filter", head + "RUN pnpm deploy --filter=api --prod /prod/api\n", nil, []string{"js:api"}},
		{"npm ci --workspace=", head + "RUN npm ci --workspace=web\n", nil, []string{"js:web"}},
		{"npm -w with a path", head + "RUN npm run build -w apps/web\n", nil, []string{"js:dir:apps/web"}},
		{"yarn workspace", head + "RUN yarn install --immutable && yarn workspace @acme/web build\n", nil, []string{"js:@acme/web"}},
		{"nx build", head + "RUN npx nx build web --prod\n", nil, []string{"js:web"}},
		{"nx run project:target", head + "RUN pnpm nx run api:build:production\n", nil, []string{"js:api"}},
		{"ARG feeds the package", "FROM node AS b\nARG APP=web\nWORKDIR /app\nCOPY . .\nRUN turbo prune \"$APP\" --docker\n", nil, []string{"js:web"}},
		{"build arg overrides it", "FROM node AS b\nARG APP=web\nWORKDIR /app\nCOPY . .\nRUN turbo prune ${APP} --docker\n", map[string]string{"APP": "docs"}, []string{"js:docs"}},
		{"package manager in a package directory", head + "RUN cd apps/web && pnpm build\n", nil, []string{"js:dir:apps/web"}},
		{"subshell cd does not leak", head + "RUN (cd apps/web && true) && pnpm build\n", nil, []string{}},
		{"sh -c is read too", head + "RUN sh -c 'pnpm --filter web build'\n", nil, []string{"js:web"}},
		{"exec form", head + "RUN [\"npm\", \"ci\", \"-w\", \"web\"]\n", nil, []string{"js:web"}},
		{"go build ./cmd/x", "FROM golang AS b\nWORKDIR /src\nCOPY . .\nRUN CGO_ENABLED=0 go build -ldflags \"-s -w\" -o /out/api ./cmd/api\n", nil, []string{"go:cmd/api"}},
		{"go build in a WORKDIR", "FROM golang AS b\nWORKDIR /src\nCOPY . .\nWORKDIR /src/cmd/api\nRUN go build -o /api\n", nil, []string{"go:cmd/api"}},
		{"go build -C", "FROM golang AS b\nCOPY . /src\nRUN go build -C /src -o /bin/x ./cmd/x\n", nil, []string{"go:cmd/x"}},
		{"go build of a file is its package directory", "FROM golang AS b\nCOPY . /src/loki\nWORKDIR /src/loki\nRUN CGO_ENABLED=0 go build -o stream-generator ./tools/stream-generator/main.go\n", nil, []string{"go:tools/stream-generator"}},
		{"go build of an import path", "FROM golang AS b\nWORKDIR /src\nCOPY . .\nRUN go build -o /x example.com/m/cmd/x\n", nil, []string{"go:import:example.com/m/cmd/x"}},
		{"go install from the proxy is nothing of the context", "FROM golang AS b\nWORKDIR /src\nCOPY . .\nRUN go install github.com/golang-migrate/migrate/v4/cmd/migrate@v4.19.1\n", nil, []string{}},
		{"RUN before the whole copy reads nothing of it", "FROM node AS b\nWORKDIR /app\nRUN npm install -g turbo && turbo prune web\nCOPY . .\n", nil, []string{}},
		{"a stage without a whole copy", "FROM node AS b\nWORKDIR /app\nCOPY package.json .\nRUN npm ci -w web\n", nil, []string{}},
		{"whole bind mount", "FROM golang AS b\nRUN --mount=type=bind,target=/src cd /src && go build -o /x ./cmd/x\n", nil, []string{"go:cmd/x"}},
		{"a stage built on the whole-context stage", "FROM node AS base\nWORKDIR /app\nCOPY . .\nFROM base AS b\nRUN yarn workspace web build\n", nil, []string{"js:web"}},

		{"turbo run without --filter builds everything", head + "RUN turbo run build\n", nil, []string{"unresolved:js"}},
		{"pnpm -r run builds everything", head + "RUN pnpm -r run build\n", nil, []string{"unresolved:js"}},
		{"npm --workspaces", head + "RUN npm run build --workspaces\n", nil, []string{"unresolved:js"}},
		{"dependents selector", head + "RUN pnpm --filter ...web build\n", nil, []string{"unresolved:js"}},
		{"a package only the build knows", head + "RUN turbo prune $APP --docker\n", nil, []string{"unresolved:js"}},
		{"go build ./...", "FROM golang AS b\nWORKDIR /src\nCOPY . .\nRUN go build ./...\n", nil, []string{"unresolved:go"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info, err := analyzeDockerfile("Dockerfile", []byte(tt.df), tt.args, "")
			if err != nil {
				t.Fatal(err)
			}
			if got := buildsOf(info); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("builds: got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRunLinesNameTheFilesTheyRun(t *testing.T) {
	const head = "FROM golang AS build\nWORKDIR /src\nCOPY . .\n"
	tests := []struct {
		name string
		df   string
		want []string
	}{
		{"make", head + "RUN make build\n", []string{"make:GNUmakefile|makefile|Makefile"}},
		{"make -C", head + "RUN make -C tools/gen all\n", []string{"make:tools/gen/GNUmakefile|tools/gen/makefile|tools/gen/Makefile"}},
		{"make -f", head + "RUN make -f build/release.mk\n", []string{"make:build/release.mk"}},
		{"make in a cd", head + "RUN cd services/api && make\n", []string{"make:services/api/GNUmakefile|services/api/makefile|services/api/Makefile"}},
		{"./scripts/build.sh", head + "RUN ./scripts/build.sh --release\n", []string{"scripts/build.sh"}},
		{"sh scripts/x.sh", head + "RUN sh scripts/x.sh\n", []string{"scripts/x.sh"}},
		{"bash -e script", head + "RUN bash -e ./ci/build.bash\n", []string{"ci/build.bash"}},
		{"an absolute path into the copy", head + "RUN /src/scripts/build.sh\n", []string{"scripts/build.sh"}},
		{"node script", head + "RUN node scripts/prepare.mjs\n", []string{"scripts/prepare.mjs"}},
		{"source", head + "RUN . ./env.sh && make\n", []string{"env.sh", "make:GNUmakefile|makefile|Makefile"}},
		{"a system path is nothing of the context", head + "RUN /usr/local/bin/build.sh\n", []string{}},
		{"before the whole copy", "FROM golang AS build\nWORKDIR /src\nRUN make\nCOPY . .\n", []string{}},
		{"heredoc", "# syntax=docker/dockerfile:1\n" + head + "RUN <<EOF\nset -e\n./scripts/gen.sh\nmake -C tools\nEOF\n", []string{"scripts/gen.sh", "make:tools/GNUmakefile|tools/makefile|tools/Makefile"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info, err := analyzeDockerfile("Dockerfile", []byte(tt.df), nil, "")
			if err != nil {
				t.Fatal(err)
			}
			if got := runFilesOf(info); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("run files: got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCopyFromTheWholeContextStageMapsBackToTheContext(t *testing.T) {
	df := "FROM node AS builder\n" +
		"WORKDIR /app\n" +
		"COPY . .\n" +
		"RUN turbo prune --scope=@documenso/remix --docker\n" +
		"FROM node AS installer\n" +
		"WORKDIR /app\n" +
		"COPY --from=builder /app/out/json/ .\n" +
		"COPY --from=builder /app/lingui.config.ts ./lingui.config.ts\n" +
		"COPY --from=builder /app .\n" +
		"COPY --from=builder /etc/passwd /etc/passwd\n" +
		"FROM node AS other\n" +
		"COPY . /srv/\n" +
		"FROM installer\n" +
		"COPY --from=other /srv/config/*.json /cfg/\n"
	info, err := analyzeDockerfile("docker/Dockerfile", []byte(df), nil, "")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range info.FromWhole {
		got = append(got, s.Path)
		if !strings.Contains(s.Text, "out of the whole-context copy at docker/Dockerfile:") {
			t.Errorf("%s: text %q does not name the whole-context copy", s.Path, s.Text)
		}
	}
	want := []string{"out/json", "lingui.config.ts", "config/*.json"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("from the whole copy: got %q, want %q", got, want)
	}
	if info.FromWhole[1].Line != 8 || !strings.Contains(info.FromWhole[1].Text, "/app/lingui.config.ts out of the whole-context copy at docker/Dockerfile:3") {
		t.Errorf("lingui.config.ts: got line %d text %q", info.FromWhole[1].Line, info.FromWhole[1].Text)
	}
}

// FuzzRunLines: no RUN line, however odd its shell, makes the Dockerfile analysis panic, and every
// package or file it reports is a clean path inside the context.
func FuzzRunLines(f *testing.F) {
	for _, s := range []string{
		"turbo prune --scope=web --docker", "cd apps/web && pnpm --filter ...web build", "make -C",
		"sh -c 'sh -c \"make -f x\"'", "go build -C -o", "(cd /; ./x.sh) | nx run a:b", "yarn workspaces foreach --from",
		"npm ci -w", "cd $X && make", "<<EOF\nmake\nEOF", "pnpm -F '{../..}' build", "go build ../../..",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, run string) {
		df := "FROM x AS b\nWORKDIR /app\nCOPY . .\nRUN " + strings.ReplaceAll(run, "\n", " ") + "\n"
		info, err := analyzeDockerfile("Dockerfile", []byte(df), nil, "")
		if err != nil {
			return
		}
		for _, b := range info.Builds {
			if (b.Dir || (b.Lang == "go" && !b.Import)) && b.Unresolved == "" && (escapesContext(b.Package) || strings.HasPrefix(b.Package, "/")) {
				t.Errorf("%q: package directory %q leaves the context", run, b.Package)
			}
		}
		for _, rf := range info.RunFiles {
			for _, p := range rf.Paths {
				if escapesContext(p) || strings.HasPrefix(p, "/") {
					t.Errorf("%q: run file %q leaves the context", run, p)
				}
			}
		}
	})
}
