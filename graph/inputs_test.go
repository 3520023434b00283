package graph

import (
	"reflect"
	"strings"
	"testing"
)

// explainCase is one path and whether it must be in an app's input set; want is a substring of the
// first rule (for inputs) or of the reason (for non-inputs).
type explainCase struct {
	app  string
	path string
	in   bool
	want string
}

func checkExplain(t *testing.T, g *Graph, tests []explainCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.app+":"+tt.path, func(t *testing.T) {
			ex := mustApp(t, g, tt.app).Explain(tt.path)
			if ex.Input != tt.in {
				t.Fatalf("Explain(%q).Input: got %v (reason %q, rules %v), want %v", tt.path, ex.Input, ex.Reason, ex.Rules, tt.in)
			}
			got := ex.Reason
			if ex.Input {
				got = ex.Rules[0].String()
			}
			if !strings.Contains(got, tt.want) {
				t.Errorf("Explain(%q): got %q, want it to contain %q", tt.path, got, tt.want)
			}
		})
	}
}

func TestInputSetPerDockerfileIgnoreFileReplacesTheContextOne(t *testing.T) {
	g := mustLoad(t, newTree(t, map[string]string{
		".dockerignore": "# for every app\n**/*.md\n",
		"compose.yaml": "services:\n" +
			"  web:\n    build: {context: ., dockerfile: apps/web/Dockerfile}\n" +
			"  api:\n    build: {context: ., dockerfile: services/api/Dockerfile}\n",
		"apps/web/Dockerfile":              "FROM scratch\nCOPY apps/web /w\n",
		"apps/web/Dockerfile.dockerignore": "# web only\napps/web/drafts\n",
		"apps/web/README.md":               "x",
		"apps/web/index.html":              "x",
		"apps/web/drafts/next.html":        "x",
		"services/api/Dockerfile":          "FROM scratch\nCOPY services/api /a\n",
		"services/api/README.md":           "x",
		"services/api/drafts/x":            "x",
		"services/api/main.txt":            "x",
	}))
	if got, want := mustApp(t, g, "web").IgnoreFile, "apps/web/Dockerfile.dockerignore"; got != want {
		t.Errorf("web IgnoreFile: got %q, want %q", got, want)
	}
	if got, want := mustApp(t, g, "api").IgnoreFile, ".dockerignore"; got != want {
		t.Errorf("api IgnoreFile: got %q, want %q", got, want)
	}
	checkExplain(t, g, []explainCase{
		{"web", "apps/web/README.md", true, "apps/web/Dockerfile:2 COPY apps/web /w"},
		{"web", "apps/web/index.html", true, "apps/web/Dockerfile:2"},
		{"web", "apps/web/drafts/next.html", false, "excluded by apps/web/Dockerfile.dockerignore:2 (apps/web/drafts)"},
		{"web", "apps/web/Dockerfile.dockerignore", true, "per-Dockerfile ignore file"},
		{"web", ".dockerignore", false, ""},
		{"web", "services/api/main.txt", false, "no COPY, ADD or RUN --mount source"},
		{"api", "services/api/README.md", false, "excluded by .dockerignore:2 (**/*.md)"},
		{"api", "services/api/drafts/x", true, "services/api/Dockerfile:2"},
		{"api", ".dockerignore", true, "the context's ignore file"},
		{"api", "services/api/Dockerfile.dockerignore", true, "per-Dockerfile ignore file"},
		{"api", "services/api/Dockerfile", true, "the Dockerfile"},
	})
}

func TestInputSetWholeContextAndExcludes(t *testing.T) {
	g := mustLoad(t, newTree(t, map[string]string{
		"monoctx.yaml":             "exclude:\n  - \"**/*_test.txt\"\n",
		"apps/site/Dockerfile":     "FROM scratch\nWORKDIR /s\nCOPY . .\n",
		"apps/site/.dockerignore":  "tmp\n",
		"apps/site/index.html":     "x",
		"apps/site/index_test.txt": "x",
		"apps/site/tmp/cache":      "x",
		"apps/other/x":             "x",
	}))
	site := mustApp(t, g, "apps/site")
	if site.Whole == nil || site.Whole.Where != "apps/site/Dockerfile:3" {
		t.Errorf("Whole: got %+v, want apps/site/Dockerfile:3", site.Whole)
	}
	checkExplain(t, g, []explainCase{
		{"apps/site", "apps/site/index.html", true, "apps/site/Dockerfile:3 COPY . ."},
		{"apps/site", "apps/site/index_test.txt", false, `excluded by the config's exclude glob "**/*_test.txt"`},
		{"apps/site", "apps/site/tmp/cache", false, "excluded by apps/site/.dockerignore:1 (tmp)"},
		{"apps/site", "apps/other/x", false, "outside the build context apps/site"},
	})
}

func TestInputSetFollowsSymlinkedSources(t *testing.T) {
	g := mustLoad(t, newTree(t, map[string]string{
		"compose.yaml":          "services:\n  web:\n    build: {context: ., dockerfile: apps/web/Dockerfile}\n",
		"apps/web/Dockerfile":   "FROM scratch\nCOPY apps/web/shared /ui\nCOPY apps/web/theme/colors.css /c\n",
		"apps/web/shared":       symlinkPrefix + "../../libs/ui",
		"apps/web/theme":        symlinkPrefix + "/libs/theme",
		"libs/ui/button.js":     "x",
		"libs/theme/colors.css": "x",
		"libs/theme/fonts.css":  "x",
		"libs/auth/token.go":    "x",
	}))
	checkExplain(t, g, []explainCase{
		{"web", "libs/ui/button.js", true, "through the symlink apps/web/shared -> ../../libs/ui"},
		{"web", "apps/web/shared", true, "apps/web/Dockerfile:2"},
		{"web", "libs/theme/colors.css", true, "through the symlink apps/web/theme -> /libs/theme"},
		{"web", "libs/theme/fonts.css", false, ""},
		{"web", "libs/auth/token.go", false, "no COPY"},
	})
}

func TestInputSetDoesNotFollowSymlinksOutOfTheContext(t *testing.T) {
	g := mustLoad(t, newTree(t, map[string]string{
		"apps/web/Dockerfile": "FROM scratch\nCOPY shared /ui\n",
		"apps/web/shared":     symlinkPrefix + "../../libs/ui",
		"libs/ui/button.js":   "x",
	}))
	checkExplain(t, g, []explainCase{
		{"apps/web", "libs/ui/button.js", false, "outside the build context apps/web"},
		{"apps/web", "apps/web/shared", true, "apps/web/Dockerfile:2"},
	})
}

func TestInputSetMatchesCopyPatterns(t *testing.T) {
	g := mustLoad(t, newTree(t, map[string]string{
		"compose.yaml": "services:\n  deps:\n    build: {context: ., dockerfile: build/deps/Dockerfile}\n",
		"build/deps/Dockerfile": "FROM scratch\nARG TARGETARCH\nCOPY apps/*/package.json /p/\n" +
			"COPY --exclude=*.md --exclude=test libs/ui /ui\nCOPY bin/${TARGETARCH}/tool /t\n",
		"apps/web/package.json":   "{}",
		"apps/admin/package.json": "{}",
		"apps/web/index.js":       "x",
		"libs/ui/button.js":       "x",
		"libs/ui/README.md":       "x",
		"libs/ui/test/button.js":  "x",
		"bin/amd64/tool":          "x",
	}))
	checkExplain(t, g, []explainCase{
		{"deps", "apps/web/package.json", true, "COPY apps/*/package.json /p/"},
		{"deps", "apps/admin/package.json", true, "build/deps/Dockerfile:3"},
		{"deps", "apps/new/package.json", true, "build/deps/Dockerfile:3"},
		{"deps", "apps/web/index.js", false, "no COPY"},
		{"deps", "apps/package.json", false, "no COPY"},
		{"deps", "libs/ui/button.js", true, "build/deps/Dockerfile:4"},
		{"deps", "libs/ui/README.md", false, ""},
		{"deps", "libs/ui/test/button.js", false, ""},
		{"deps", "bin/arm64/tool", true, "build/deps/Dockerfile:5"},
		{"deps", "bin/amd64/other", false, ""},
	})
}

func TestInputSetMountSourceAndDockerfileItself(t *testing.T) {
	g := mustLoad(t, newTree(t, map[string]string{
		"compose.yaml":        "services:\n  web:\n    build: {context: ., dockerfile: apps/web/Dockerfile}\n",
		"apps/web/Dockerfile": "FROM alpine\nRUN --mount=type=bind,source=apps/web,target=/w --mount=type=cache,target=/c make\n",
		"apps/web/src/a.js":   "x",
		"apps/webx/a.js":      "x",
	}))
	checkExplain(t, g, []explainCase{
		{"web", "apps/web/src/a.js", true, "apps/web/Dockerfile:2 RUN"},
		{"web", "apps/web/Dockerfile", true, "apps/web/Dockerfile the Dockerfile"},
		{"web", "apps/webx/a.js", false, "no COPY"},
	})
	if w := mustApp(t, g, "web").Whole; w != nil {
		t.Errorf("Whole: got %+v, want none", w)
	}
}

func TestExplainCleansThePath(t *testing.T) {
	g := mustLoad(t, newTree(t, map[string]string{
		"apps/web/Dockerfile": "FROM scratch\nCOPY src /src\n",
		"apps/web/src/a.js":   "x",
	}))
	web := mustApp(t, g, "apps/web")
	for _, p := range []string{"apps/web/src/a.js", "./apps/web/src/a.js", "/apps/web/src/a.js", "apps/web/src/../src/a.js"} {
		if ex := web.Explain(p); !ex.Input {
			t.Errorf("Explain(%q): got not an input (%q), want an input", p, ex.Reason)
		}
	}
}

func TestHasGlobIsContainsAny(t *testing.T) {
	for _, p := range []string{"", "a", "a/b.go", "*", "a/*.go", "a?", "[ab]", "a/b]", "{a,b}", "a\\*", "é*", "ü"} {
		if got, want := hasGlob(p), strings.ContainsAny(p, "*?["); got != want {
			t.Errorf("hasGlob(%q) = %v, want %v", p, got, want)
		}
	}
}

// Apps ask their ignore files the same questions: the answers are shared between apps by file and
// context, and are each app's own.
func TestIgnoreDecisionsSharedBetweenApps(t *testing.T) {
	dir := newTree(t, map[string]string{
		".dockerignore":             "x/\n!x/keep\n*.md\n",
		"a/Dockerfile":              "FROM scratch\nCOPY . /src\n",
		"b/Dockerfile":              "FROM scratch\nCOPY . /src\n",
		"b/Dockerfile.dockerignore": "y/\n",
		"c/Dockerfile":              "FROM scratch\nCOPY . /src\n",
		"c/.dockerignore":           "*.md\n",
		"monoctx.yaml": "apps:\n  a: {dockerfile: a/Dockerfile, context: .}\n  a2: {dockerfile: a/Dockerfile, context: ., target: \"\"}\n" +
			"  b: {dockerfile: b/Dockerfile, context: .}\n  c: {dockerfile: c/Dockerfile, context: c}\n  c2: {dockerfile: c/Dockerfile, context: .}\n",
		"x/f": "x\n", "x/keep": "k\n", "y/f": "y\n", "c/x/f": "cx\n", "r.md": "r\n", "c/r.md": "cr\n", "z": "z\n",
	})
	g := mustLoad(t, dir)
	paths := []string{"x/f", "x/keep", "y/f", "c/x/f", "r.md", "c/r.md", "z", "c/z", "a/Dockerfile"}
	memo := ignoreDecisions{}
	for _, a := range g.Apps {
		for _, p := range paths {
			if got, want := a.explainWith(p, nil, memo), a.explain(p, nil); !reflect.DeepEqual(got, want) {
				t.Errorf("app %s, %s: with shared answers %+v, alone %+v", a.Name, p, got, want)
			}
		}
	}
	if len(memo) == 0 {
		t.Error("no answer was remembered")
	}
}
