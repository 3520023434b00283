package graph

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
	"gopkg.in/yaml.v3"
)

// ConfigFile is the default name of the optional configuration file at the repository root.
const ConfigFile = "monoctx.yaml"

// Config is monoctx.yaml. Every field is optional; an absent file is an empty Config.
//
// Globs in inputs, global, exclude and discovery.skip use doublestar syntax ("**" crosses directories,
// "{a,b}" alternates) against repo-relative paths. They are monoctx's own globs: .dockerignore files are
// always read with Docker's own rules instead.
type Config struct {
	// Apps declares apps or overrides what discovery found, by name.
	Apps map[string]*AppConfig `yaml:"apps"`
	// Global globs: a change to a matching path affects every app.
	Global []string `yaml:"global"`
	// Exclude globs: a matching path is never an input of any app.
	Exclude []string `yaml:"exclude"`
	// Discovery tunes the Dockerfile search.
	Discovery DiscoveryConfig `yaml:"discovery"`
	// Artifacts say what builds the COPY sources git does not track (build outputs) that monoctx
	// cannot trace by itself.
	Artifacts []ArtifactConfig `yaml:"artifacts"`

	file  string         // repo-relative path, for messages
	lines map[string]int // "apps.web" / "global" → line, for reasons
}

// AppConfig declares one app or overrides a discovered one.
type AppConfig struct {
	Dockerfile string            `yaml:"dockerfile"` // repo-relative
	Context    string            `yaml:"context"`    // repo-relative; default: the Dockerfile's directory
	Target     string            `yaml:"target"`
	Args       map[string]string `yaml:"args"`
	Tags       []string          `yaml:"tags"`
	// Contexts are named build contexts, as given to --build-context: a directory relative to the
	// repository root, or "target:…", "docker-image://…", a URL.
	Contexts map[string]string `yaml:"contexts"`
	// Inputs are extra doublestar globs of repo paths the image depends on.
	Inputs []string `yaml:"inputs"`
	// Deps are extra directories the image depends on (every file under them).
	Deps []string `yaml:"deps"`
	// Skip drops a discovered app.
	Skip bool `yaml:"skip"`
	// Go and JS name the language package a whole-context Dockerfile builds.
	Go struct {
		Package string `yaml:"package"`
		// Tests counts _test.go files and testdata/ as inputs (an image that runs go test).
		Tests bool `yaml:"tests"`
	} `yaml:"go"`
	JS struct {
		Package string `yaml:"package"`
	} `yaml:"js"`
}

// ArtifactConfig explains one build output a Dockerfile copies: what it is built from.
type ArtifactConfig struct {
	// Path is a doublestar glob of the artifact's repo-relative path (a file, or a build context
	// directory that is itself output).
	Path string `yaml:"path"`
	// Go is the directory of the Go main package that builds it: its import closure, go.mod and
	// go.sum become the artifact's inputs.
	Go string `yaml:"go"`
	// Inputs are doublestar globs of the files it is built from, instead of Go.
	Inputs []string `yaml:"inputs"`

	line int
}

// DiscoveryConfig tunes the Dockerfile search.
type DiscoveryConfig struct {
	// Skip globs of directories never searched for Dockerfiles. Default: vendor, node_modules, .git
	// and testdata at any depth.
	Skip []string `yaml:"skip"`
	// Dockerfiles: when false, only declared, compose, skaffold and bake apps are used.
	Dockerfiles *bool `yaml:"dockerfiles"`
}

// DefaultSkip are the directory names the Dockerfile search never enters.
var defaultSkip = []string{"**/vendor", "**/node_modules", "**/.git", "**/testdata"}

var yamlTypeLineRE = regexp.MustCompile(`^line (\d+): (.*)$`)

var yamlLineRE = regexp.MustCompile(`^yaml: (?:unmarshal errors:\n\s*)?line (\d+): (.*)$`)

// LoadConfig reads the config file at repo-relative name under root. A missing file is an empty config
// unless required is set.
func LoadConfig(root, name string, required bool) (*Config, error) {
	data, err := os.ReadFile(path.Join(root, name))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) && !required {
			return &Config{file: name}, nil
		}
		return nil, fmt.Errorf("reading config: %w", err)
	}
	return ParseConfig(name, data)
}

// ParseConfig parses monoctx.yaml content; errors carry file:line.
func ParseConfig(name string, data []byte) (*Config, error) {
	c := &Config{file: name, lines: map[string]int{}}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		return nil, yamlError(name, err)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err == nil && len(root.Content) > 0 {
		recordLines(&root, c.lines)
	}
	for _, g := range append(append([]string{}, c.Global...), c.Exclude...) {
		if !doublestar.ValidatePattern(g) {
			return nil, &ParseError{File: name, Line: c.lineOf(g), Msg: fmt.Sprintf("invalid glob %q", g)}
		}
	}
	for _, g := range c.Discovery.Skip {
		if !doublestar.ValidatePattern(g) {
			return nil, &ParseError{File: name, Line: c.lineOf(g), Msg: fmt.Sprintf("invalid glob %q", g)}
		}
	}
	if err := c.checkArtifacts(&root); err != nil {
		return nil, err
	}
	names := make([]string, 0, len(c.Apps))
	for n := range c.Apps {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		a := c.Apps[n]
		line := c.lines["apps."+n]
		if a == nil {
			return nil, &ParseError{File: name, Line: line, Msg: fmt.Sprintf("app %q is empty", n)}
		}
		for _, g := range a.Inputs {
			if !doublestar.ValidatePattern(g) {
				return nil, &ParseError{File: name, Line: c.lineOf(g), Msg: fmt.Sprintf("app %q: invalid glob %q", n, g)}
			}
		}
		for _, p := range append(append([]string{a.Dockerfile, a.Context}, a.Deps...), a.Inputs...) {
			if p != "" && (strings.HasPrefix(p, "/") || escapesContext(p)) {
				return nil, &ParseError{File: name, Line: c.lineOf(p), Msg: fmt.Sprintf("app %q: path %q must be relative to the repository root and stay inside it", n, p)}
			}
		}
	}
	return c, nil
}

// checkArtifacts records the line of each artifacts: entry and validates it.
func (c *Config) checkArtifacts(root *yaml.Node) error {
	if len(c.Artifacts) == 0 {
		return nil
	}
	if len(root.Content) > 0 {
		doc := root.Content[0]
		for i := 0; doc.Kind == yaml.MappingNode && i+1 < len(doc.Content); i += 2 {
			if doc.Content[i].Value != "artifacts" {
				continue
			}
			for j, item := range doc.Content[i+1].Content {
				if j < len(c.Artifacts) {
					c.Artifacts[j].line = item.Line
				}
			}
		}
	}
	bad := func(a *ArtifactConfig, format string, args ...any) error {
		return &ParseError{File: c.file, Line: a.line, Msg: "artifacts: " + fmt.Sprintf(format, args...)}
	}
	for i := range c.Artifacts {
		a := &c.Artifacts[i]
		switch {
		case a.Path == "":
			return bad(a, "an entry without path; give the glob of the build output, e.g. {path: \"bin/x-linux-*\", go: cmd/x}")
		case !doublestar.ValidatePattern(a.Path):
			return bad(a, "invalid glob %q", a.Path)
		case (a.Go == "") == (len(a.Inputs) == 0):
			return bad(a, "%s: give exactly one of go: (the main package directory that builds it) or inputs: (globs of its sources)", a.Path)
		}
		for _, p := range append([]string{a.Path, a.Go}, a.Inputs...) {
			if p != "" && (strings.HasPrefix(p, "/") || escapesContext(p)) {
				return bad(a, "path %q must be relative to the repository root and stay inside it", p)
			}
		}
		for _, g := range a.Inputs {
			if !doublestar.ValidatePattern(g) {
				return bad(a, "%s: invalid glob %q", a.Path, g)
			}
		}
	}
	return nil
}

// fileName is the config file's repo-relative name, for messages.
func (c *Config) fileName() string {
	if c.file == "" {
		return ConfigFile
	}
	return c.file
}

var unknownFieldRE = regexp.MustCompile(`field (\S+) not found in type \S+`)

func yamlError(name string, err error) error {
	// yaml.v3 names Go types ("field contxt not found in type graph.AppConfig"): say it as a user would.
	msg := unknownFieldRE.ReplaceAllString(err.Error(), `unknown field "$1"`)
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &ParseError{File: name, Line: line, Msg: strings.TrimSpace(m[2]), Err: err}
	}
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		if m := yamlTypeLineRE.FindStringSubmatch(te.Errors[0]); m != nil {
			line, _ := strconv.Atoi(m[1])
			return &ParseError{File: name, Line: line, Msg: unknownFieldRE.ReplaceAllString(m[2], `unknown field "$1"`), Err: err}
		}
	}
	return &ParseError{File: name, Msg: strings.TrimPrefix(msg, "yaml: "), Err: err}
}

// recordLines remembers the line of every app key and every scalar value, for reasons like monoctx.yaml:12.
func recordLines(doc *yaml.Node, lines map[string]int) {
	var walk func(n *yaml.Node, prefix string)
	walk = func(n *yaml.Node, prefix string) {
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				walk(c, prefix)
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := n.Content[i]
				key := k.Value
				if prefix != "" {
					key = prefix + "." + k.Value
				}
				if _, ok := lines[key]; !ok {
					lines[key] = k.Line
				}
				walk(n.Content[i+1], key)
			}
		case yaml.SequenceNode:
			for _, c := range n.Content {
				walk(c, prefix)
			}
		case yaml.ScalarNode:
			if _, ok := lines["value:"+n.Value]; !ok {
				lines["value:"+n.Value] = n.Line
			}
		}
	}
	walk(doc, "")
}

func (c *Config) lineOf(value string) int { return c.lines["value:"+value] }

// where returns "monoctx.yaml:12" for a config value, or the file name alone.
func (c *Config) where(value string) string {
	if l := c.lineOf(value); l > 0 {
		return fmt.Sprintf("%s:%d", c.file, l)
	}
	return c.file
}

func (c *Config) skipGlobs() []string {
	if len(c.Discovery.Skip) > 0 {
		return c.Discovery.Skip
	}
	return defaultSkip
}

// globalMatch returns the global glob a path matches.
func (c *Config) globalMatch(p string) (string, bool) {
	for _, g := range c.Global {
		if globMatch(g, p) {
			return g, true
		}
	}
	return "", false
}

// GlobalRule returns the rule that makes p an input of every app: it matches a global glob and no
// exclude glob.
func (c *Config) GlobalRule(p string) (string, bool) {
	if _, ex := c.excluded(p); ex {
		return "", false
	}
	g, ok := c.globalMatch(p)
	if !ok {
		return "", false
	}
	return fmt.Sprintf("global: %s (%s)", g, c.where(g)), true
}

// excluded returns the exclude glob a path matches.
func (c *Config) excluded(p string) (string, bool) {
	for _, g := range c.Exclude {
		if globMatch(g, p) {
			return g, true
		}
	}
	return "", false
}

// globMatch matches a doublestar glob against a path or any of its ancestors, so "libs/x" covers
// "libs/x/y.go" the way a directory would.
func globMatch(glob, p string) bool {
	glob = strings.TrimSuffix(strings.TrimPrefix(glob, "./"), "/")
	for q := p; ; {
		if ok, _ := doublestar.Match(glob, q); ok {
			return true
		}
		i := strings.LastIndexByte(q, '/')
		if i < 0 {
			return false
		}
		q = q[:i]
	}
}
