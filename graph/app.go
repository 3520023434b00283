package graph

import (
	"path"
	"strings"

	"github.com/moby/patternmatcher"

	"github.com/monoctx/monoctx/ignore"
)

// App is one image: a Dockerfile plus its build context.
type App struct {
	Name       string `json:"name"`
	Dockerfile string `json:"dockerfile"` // repo-relative, slash-separated
	Context    string `json:"context"`    // repo-relative directory; "." is the repo root
	Origin     string `json:"origin"`     // "config:monoctx.yaml", "compose:compose.yaml", "skaffold:skaffold.yaml", "bake:docker-bake.json", "workflow:…", "make:Makefile", "script:…", "devcontainer:…", "dockerfile"
	// DefinedAt is where the build is defined: "compose.yaml:12", "Makefile:40"; the Dockerfile for
	// a Dockerfile no source names.
	DefinedAt string            `json:"defined_at,omitempty"`
	Target    string            `json:"target,omitempty"`
	Args      map[string]string `json:"args,omitempty"`
	Tags      []string          `json:"tags,omitempty"`
	Platforms []string          `json:"platforms,omitempty"`
	// Contexts are the named build contexts (--build-context NAME=VALUE): a repo-relative
	// directory, or as written for another kind ("target:base", "service:base",
	// "docker-image://…", a URL).
	Contexts map[string]string `json:"contexts,omitempty"`
	// ContextReason says why the context is not the Dockerfile's directory, when it is not.
	ContextReason string `json:"context_reason,omitempty"`
	// IgnoreFile is the ignore file that applies (repo-relative), "" when there is none. A
	// <Dockerfile>.dockerignore beside the Dockerfile replaces <context>/.dockerignore.
	IgnoreFile string `json:"ignore_file,omitempty"`
	// Unresolved says why the app's input set cannot be known (a broken Dockerfile, a missing
	// source, a context a command generates); "" when it is known. Such an app is selected whenever
	// a path under its context or its Dockerfile's directory changes.
	Unresolved string `json:"unresolved,omitempty"`
	// Packages are the language packages the RUN lines of a whole-context Dockerfile build, each
	// with its line; narrowing keeps their closures.
	Packages []BuiltPackage `json:"packages,omitempty"`

	// inputs are the app's own contributions to its input set; runs shared with other apps (Go
	// closures) are placed among them. Inputs() is the whole set, in a stable order.
	inputs []Input
	runs   []runAt
	flat   *flatInputs // Inputs(), built once
	// Whole is set when the whole context (minus the ignore file) is the input set, with the rule that
	// made it so.
	Whole *Rule `json:"-"`
	// Narrowed is set when a whole-context input set was narrowed to a Go import closure or a JS
	// workspace package's closure, with the rule saying so.
	Narrowed *Rule `json:"-"`
	// Always is set when the app must be selected by every change, with the rule saying why: it
	// copies a build output (an artifact) that nothing traces to its sources.
	Always *Rule `json:"-"`

	contextUnknown bool // no source set the context: inferred from the Dockerfile
	keepInputs     bool // unresolved, but its inputs are known as far as they go: kept, and more added
	ignore         *ignore.File
	config         *AppConfig
	excludes       []string // config exclude globs
	// imageDeps are other apps whose image this one builds on through a named context.
	imageDeps []imageDep
	df        *dockerfileInfo // the Dockerfile's analysis, shared with apps of the same build
	goInfo    *goInfo         // set when narrowed by Go analysis, or when an artifact is built by Go
	jsInfo    *jsInfo         // set when narrowed by JS analysis
	warnings  []string
}

// imageDep is another app whose image reaches this one ("target:x", "service:x" named contexts).
type imageDep struct {
	app  string
	rule Rule
}

// Input is one contribution to an app's input set.
type Input struct {
	// Path is repo-relative: a file, a directory (everything under it), or a pattern.
	Path string
	// Match says how Path is matched: "path" (Docker's semantics: the path or anything under it, with
	// Docker wildcards), "glob" (doublestar, from monoctx.yaml).
	Match string
	// Context marks inputs that reach the image through the build context, so the ignore file applies.
	Context bool
	// Exclude holds COPY --exclude patterns, relative to Path.
	Exclude []string
	Rule    Rule

	link     string                         // "link -> dest" when the input is reached through a symlink
	isDir    bool                           // a directory on disk when the graph was loaded
	artifact bool                           // a build output git does not track: may be absent
	pm       *patternmatcher.PatternMatcher // Path, when it holds Docker wildcards
	excl     *patternmatcher.PatternMatcher // Exclude
}

// Rule explains why a path is an input.
type Rule struct {
	// Kind: dockerfile, ignorefile, copy, add, mount, whole-context, config-input, config-dep, global,
	// definition, go, js.
	Kind string `json:"kind"`
	// Where: "apps/web/Dockerfile:7", "monoctx.yaml:12".
	Where string `json:"where,omitempty"`
	// Text: the instruction or a short description.
	Text string `json:"text,omitempty"`
}

func (r Rule) String() string {
	switch {
	case r.Where != "" && r.Text != "":
		return r.Where + " " + r.Text
	case r.Where != "":
		return r.Where
	}
	return r.Text
}

// Dir is the directory holding the app's Dockerfile.
func (a *App) Dir() string { return path.Dir(a.Dockerfile) }

// ContextPath maps a repo-relative path to a context-relative one; ok is false outside the context.
func (a *App) ContextPath(p string) (string, bool) {
	return relTo(a.Context, p)
}

// IgnorePatterns returns the parsed applicable ignore file, nil when there is none.
func (a *App) IgnorePatterns() *ignore.File { return a.ignore }

// Config returns the app's monoctx.yaml entry, nil when it has none.
func (a *App) Config() *AppConfig { return a.config }

// relTo returns p relative to dir ("." for dir itself); ok is false when p is outside dir.
func relTo(dir, p string) (string, bool) {
	if dir == "." || dir == "" {
		return p, true
	}
	if p == dir {
		return ".", true
	}
	if strings.HasPrefix(p, dir+"/") {
		return p[len(dir)+1:], true
	}
	return "", false
}

// joinRel joins repo-relative parts and cleans the result ("." for the root).
func joinRel(parts ...string) string {
	p := path.Join(parts...)
	if p == "" {
		return "."
	}
	return p
}
