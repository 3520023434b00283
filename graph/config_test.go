package graph

import (
	"errors"
	"io/fs"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseConfigErrorsCarryFileAndLine(t *testing.T) {
	tests := []struct {
		name     string
		yaml     string
		wantLine int
		wantMsg  string
	}{
		{
			name:     "unknown top-level field",
			yaml:     "global:\n  - a\nglobals:\n  - b\n",
			wantLine: 3,
			wantMsg:  "globals",
		},
		{
			name:     "unknown app field",
			yaml:     "apps:\n  web:\n    dockerfile: apps/web/Dockerfile\n    contxt: apps\n",
			wantLine: 4,
			wantMsg:  "contxt",
		},
		{
			name:     "invalid global glob",
			yaml:     "# header\nglobal:\n  - ok/**\n  - \"bad/[x\"\n",
			wantLine: 4,
			wantMsg:  `invalid glob "bad/[x"`,
		},
		{
			name:     "invalid exclude glob",
			yaml:     "exclude:\n  - \"{a,b\"\n",
			wantLine: 2,
			wantMsg:  `invalid glob "{a,b"`,
		},
		{
			name:     "invalid discovery skip glob",
			yaml:     "discovery:\n  skip:\n    - \"x/[\"\n",
			wantLine: 3,
			wantMsg:  `invalid glob "x/["`,
		},
		{
			name:     "invalid app input glob",
			yaml:     "apps:\n  web:\n    dockerfile: Dockerfile\n    inputs:\n      - \"lib/[z\"\n",
			wantLine: 5,
			wantMsg:  `app "web": invalid glob "lib/[z"`,
		},
		{
			name:     "absolute dockerfile",
			yaml:     "apps:\n  web:\n    dockerfile: /srv/web/Dockerfile\n",
			wantLine: 3,
			wantMsg:  `app "web": path "/srv/web/Dockerfile" must be relative`,
		},
		{
			name:     "context escaping the repository",
			yaml:     "apps:\n  web:\n    dockerfile: Dockerfile\n    context: ../elsewhere\n",
			wantLine: 4,
			wantMsg:  `path "../elsewhere" must be relative to the repository root and stay inside it`,
		},
		{
			name:     "dep escaping the repository",
			yaml:     "apps:\n  api:\n    deps:\n      - libs/../../x\n",
			wantLine: 4,
			wantMsg:  `app "api": path "libs/../../x"`,
		},
		{
			name:     "empty app entry",
			yaml:     "apps:\n  a: {}\n  web:\n",
			wantLine: 3,
			wantMsg:  `app "web" is empty`,
		},
		{
			name:     "wrong type",
			yaml:     "global: yes-a-string\n",
			wantLine: 1,
			wantMsg:  `global: "yes-a-string" where a list of strings is wanted; write global: ["yes-a-string"] for a list of one`,
		},
		{
			name:     "apps as a list names no Go type",
			yaml:     "global: [a]\napps:\n  - web\n",
			wantLine: 3,
			wantMsg:  "apps: a list where a mapping of app names to their settings is wanted; write apps: {web: {dockerfile: web/Dockerfile}}",
		},
		{
			name:     "args as a list",
			yaml:     "apps:\n  web:\n    args: [A]\n",
			wantLine: 3,
			wantMsg:  "apps.web.args: a list where a mapping of names to strings is wanted; write args: {NAME: value}",
		},
		{
			name:     "the document is a list",
			yaml:     "- apps\n",
			wantLine: 1,
			wantMsg:  "the file: a list where a mapping of apps, artifacts, discovery, exclude, global is wanted",
		},
		{
			name:     "a key indented too little",
			yaml:     "apps:\n  web:\n    dockerfile: web/Dockerfile\n  context: web\n",
			wantLine: 4,
			wantMsg:  "if context is a key of the entry above, indent it",
		},
		{
			name:     "unknown key with a suggestion",
			yaml:     "apps:\n  web:\n    dockerfile: web/Dockerfile\n    contxt: web\n",
			wantLine: 4,
			wantMsg:  `unknown key "contxt" in apps.web; did you mean "context"? (the keys are args, context, contexts, deps, dockerfile, go, inputs, js, skip, tags, target)`,
		},
		{
			name:     "unknown top-level key",
			yaml:     "global: [a]\nexcludes: [b]\n",
			wantLine: 2,
			wantMsg:  `unknown key "excludes"; did you mean "exclude"?`,
		},
		{
			name:     "quoted boolean",
			yaml:     "apps:\n  web:\n    skip: \"yes\"\n",
			wantLine: 3,
			wantMsg:  `apps.web.skip: the quoted string "yes" where a boolean (true or false) is wanted; write skip: true or skip: false, without quotes`,
		},
		{
			name:     "quoted boolean in a nested struct",
			yaml:     "discovery:\n  dockerfiles: 'false'\n",
			wantLine: 2,
			wantMsg:  `discovery.dockerfiles: the quoted string "false" where a boolean`,
		},
		{
			name:     "number where a boolean is wanted",
			yaml:     "apps:\n  web:\n    go: {tests: 1}\n",
			wantLine: 3,
			wantMsg:  `apps.web.go.tests: "1" where a boolean (true or false) is wanted`,
		},
		{
			name:     "second document",
			yaml:     "global: [a]\n\n---\nglobal: [b]\n",
			wantLine: 3,
			wantMsg:  "a second YAML document: monoctx reads one; merge it into the first and remove the --- line",
		},
		{
			name:     "syntax error on the first line",
			yaml:     "\tapps:\n",
			wantLine: 1,
			wantMsg:  "found character that cannot start any token",
		},
		{
			name:     "syntax error where the indentation breaks",
			yaml:     "apps:\n  web:\n    dockerfile: web/Dockerfile\n   context: web\n",
			wantLine: 4,
			wantMsg:  "did not find expected key",
		},
		{
			name:     "unclosed flow sequence",
			yaml:     "global: [a\n\n",
			wantLine: 1,
			wantMsg:  "did not find expected ',' or ']' at the end of the file: the flow sequence that starts here is not closed; close it",
		},
		{
			name:     "broken yaml",
			yaml:     "apps:\n  web:\n    dockerfile: [\n",
			wantLine: 3,
			wantMsg:  "at the end of the file",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseConfig("conf/monoctx.yaml", []byte(tt.yaml))
			if err == nil {
				t.Fatal("got no error")
			}
			pe := asParseError(t, err)
			if pe.File != "conf/monoctx.yaml" {
				t.Errorf("File: got %q, want %q", pe.File, "conf/monoctx.yaml")
			}
			if pe.Line != tt.wantLine {
				t.Errorf("Line: got %d, want %d (%v)", pe.Line, tt.wantLine, err)
			}
			if !strings.Contains(pe.Msg, tt.wantMsg) {
				t.Errorf("Msg: got %q, want it to contain %q", pe.Msg, tt.wantMsg)
			}
			if want := "conf/monoctx.yaml:" + itoa(tt.wantLine) + ": "; !strings.HasPrefix(err.Error(), want) {
				t.Errorf("Error(): got %q, want prefix %q", err.Error(), want)
			}
		})
	}
}

func TestParseConfigReadsEveryField(t *testing.T) {
	data := `
global:
  - .github/workflows/*.yml
exclude:
  - "**/*_test.go"
discovery:
  skip: ["legacy/**"]
  dockerfiles: false
apps:
  web:
    dockerfile: apps/web/Dockerfile
    context: .
    target: prod
    args: {NODE: "22"}
    tags: [example/web]
    inputs: ["libs/ui/**"]
    deps: [libs/shared]
  old:
    skip: true
`
	c, err := ParseConfig("monoctx.yaml", []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.Global, []string{".github/workflows/*.yml"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Global: got %q, want %q", got, want)
	}
	if got, want := c.Exclude, []string{"**/*_test.go"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Exclude: got %q, want %q", got, want)
	}
	if got, want := c.skipGlobs(), []string{"legacy/**"}; !reflect.DeepEqual(got, want) {
		t.Errorf("skipGlobs: got %q, want %q", got, want)
	}
	if c.Discovery.Dockerfiles == nil || *c.Discovery.Dockerfiles {
		t.Errorf("Discovery.Dockerfiles: got %v, want false", c.Discovery.Dockerfiles)
	}
	web := c.Apps["web"]
	if web == nil {
		t.Fatal("no app web")
	}
	got := []string{web.Dockerfile, web.Context, web.Target, web.Args["NODE"], strings.Join(web.Tags, ","),
		strings.Join(web.Inputs, ","), strings.Join(web.Deps, ",")}
	want := []string{"apps/web/Dockerfile", ".", "prod", "22", "example/web", "libs/ui/**", "libs/shared"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("app web: got %q, want %q", got, want)
	}
	if !c.Apps["old"].Skip {
		t.Errorf("app old: got Skip false, want true")
	}
	if got, want := c.where("libs/shared"), "monoctx.yaml:17"; got != want {
		t.Errorf("where: got %q, want %q", got, want)
	}
}

func TestParseConfigEmptyDocumentIsEmptyConfig(t *testing.T) {
	for _, data := range []string{"", "# only a comment\n"} {
		c, err := ParseConfig("monoctx.yaml", []byte(data))
		if err != nil {
			t.Fatalf("%q: %v", data, err)
		}
		if len(c.Apps) != 0 || len(c.Global) != 0 {
			t.Errorf("%q: got %d apps and %d globals, want none", data, len(c.Apps), len(c.Global))
		}
		if got, want := c.skipGlobs(), defaultSkip; !reflect.DeepEqual(got, want) {
			t.Errorf("%q: skipGlobs: got %q, want %q", data, got, want)
		}
	}
}

// Booleans YAML (and yaml.v3's 1.1 compatibility) write without quotes, an empty value, a trailing
// "---" and a leading one are all accepted.
func TestParseConfigAcceptsWhatIsValid(t *testing.T) {
	for _, tc := range []struct {
		yaml string
		skip bool
	}{
		{"apps:\n  web:\n    skip: true\n", true},
		{"apps:\n  web:\n    skip: yes\n", true},
		{"apps:\n  web:\n    skip: off\n", false},
		{"apps:\n  web:\n    skip:\n    target: x\n", false},
		{"---\napps:\n  web:\n    skip: True\n", true},
		{"apps:\n  web:\n    skip: true\n---\n", true},
		{"apps:\n  web:\n    skip: true\n...\n", true},
	} {
		c, err := ParseConfig("monoctx.yaml", []byte(tc.yaml))
		if err != nil {
			t.Errorf("%q: %v", tc.yaml, err)
			continue
		}
		if c.Apps["web"] == nil || c.Apps["web"].Skip != tc.skip {
			t.Errorf("%q: got %+v, want skip %v", tc.yaml, c.Apps["web"], tc.skip)
		}
	}
}

func TestLoadConfig(t *testing.T) {
	dir := newTree(t, map[string]string{
		"monoctx.yaml":       "global: [VERSION]\n",
		"ci/monoctx.ci.yaml": "exclude: [docs]\n",
	})
	outside := filepath.Join(newTree(t, map[string]string{"x.yaml": "global: [OUTSIDE]\n"}), "x.yaml")
	tests := []struct {
		name       string
		file       string
		required   bool
		wantGlobal []string
		wantErr    error
	}{
		{name: "present", file: "monoctx.yaml", wantGlobal: []string{"VERSION"}},
		{name: "present in a subdirectory", file: "ci/monoctx.ci.yaml", required: true},
		{name: "missing and optional is empty", file: "nope.yaml"},
		{name: "missing and required is an error", file: "nope.yaml", required: true, wantErr: fs.ErrNotExist},
		// An absolute path is the file system's, never joined to the root.
		{name: "absolute, outside the tree", file: outside, required: true, wantGlobal: []string{"OUTSIDE"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := LoadConfig(dir, tt.file, tt.required)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("got error %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(c.Global, tt.wantGlobal) {
				t.Errorf("Global: got %q, want %q", c.Global, tt.wantGlobal)
			}
			if c.file != tt.file {
				t.Errorf("file: got %q, want %q", c.file, tt.file)
			}
		})
	}
}

func TestConfigGlobMatching(t *testing.T) {
	c, err := ParseConfig("monoctx.yaml", []byte("global:\n  - .github/workflows/*.yml\n  - VERSION\n  - build/\nexclude:\n  - \"**/*_test.go\"\n  - .github/workflows/lint.yml\n"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path   string
		global bool
	}{
		{".github/workflows/images.yml", true},
		{".github/workflows/lint.yml", false}, // excluded wins
		{".github/workflows/sub/x.yml", false},
		{"VERSION", true},
		{"VERSIONS", false},
		{"build/ci/x.sh", true}, // a directory glob covers what is under it
		{"build_test.go", false},
		{"src/VERSION", false},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			rule, ok := c.GlobalRule(tt.path)
			if ok != tt.global {
				t.Fatalf("GlobalRule(%q): got %v (%q), want %v", tt.path, ok, rule, tt.global)
			}
			if ok && !strings.HasPrefix(rule, "global: ") || ok && !strings.Contains(rule, "monoctx.yaml:") {
				t.Errorf("rule: got %q, want %q with the config line", rule, "global: … (monoctx.yaml:N)")
			}
		})
	}
}
