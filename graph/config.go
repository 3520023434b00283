package graph

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
	"go.yaml.in/yaml/v4"

	"github.com/monoctx/monoctx/graph/discover"
	"github.com/monoctx/monoctx/internal/textdist"
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

// LoadConfig reads the config file name under root: a repo-relative slash path, or an absolute path
// of the file system (a config kept outside the repository). A missing file is an empty config
// unless required is set.
func LoadConfig(root, name string, required bool) (*Config, error) {
	return loadConfig(os.ReadFile, root, name, required)
}

// loadConfig is LoadConfig reading through read (a Load's view; a path outside the repository is
// read from the OS).
func loadConfig(read func(string) ([]byte, error), root, name string, required bool) (*Config, error) {
	file := filepath.Join(root, filepath.FromSlash(name))
	if filepath.IsAbs(name) {
		file = name
	}
	data, err := read(file)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			if !required {
				return &Config{file: name}, nil
			}
			if filepath.IsAbs(name) {
				return nil, notExistError(fmt.Sprintf("config file %s does not exist; fix the --config path", name))
			}
			return nil, notExistError(fmt.Sprintf("config file %s does not exist in the tree read (the work tree, or --head's commit); fix the --config path, or give an absolute one to read a file outside that tree", name))
		}
		return nil, fmt.Errorf("reading config: %w", err)
	}
	return ParseConfig(name, data)
}

// notExistError is a missing config file: its message says the fix, and it is an fs.ErrNotExist.
type notExistError string

func (e notExistError) Error() string        { return string(e) }
func (e notExistError) Is(target error) bool { return target == os.ErrNotExist }

// ParseConfig parses monoctx.yaml content; errors carry file:line.
func ParseConfig(name string, data []byte) (*Config, error) {
	c := &Config{file: name, lines: map[string]int{}}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var root yaml.Node
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return c, nil // an empty file
		}
		return nil, discover.YAMLError(name, data, err)
	}
	// A second document would be silently dropped by a decoder: say so instead.
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == nil && !emptyDocument(&next):
		return nil, &ParseError{File: name, Line: documentLine(data, next.Line), Msg: "a second YAML document: monoctx reads one; merge it into the first and remove the --- line"}
	case err != nil && !errors.Is(err, io.EOF):
		return nil, discover.YAMLError(name, data, err)
	}
	if len(root.Content) == 0 {
		return c, nil
	}
	if err := c.checkShape(root.Content[0], reflect.TypeFor[Config](), ""); err != nil {
		return nil, err
	}
	if err := root.Decode(c); err != nil {
		return nil, discover.YAMLError(name, data, err)
	}
	recordLines(&root, c.lines)
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

// emptyDocument reports whether a document holds nothing (a trailing "---").
func emptyDocument(doc *yaml.Node) bool {
	return len(doc.Content) == 0 || doc.Content[0].Kind == yaml.ScalarNode && doc.Content[0].ShortTag() == "!!null"
}

// documentLine returns the line of the "---" that starts the document whose content begins at line,
// or line when there is none.
func documentLine(data []byte, line int) int {
	lines := strings.Split(string(data), "\n")
	for l := min(line, len(lines)); l >= 1; l-- {
		if strings.HasPrefix(lines[l-1], "---") {
			return l
		}
	}
	return line
}

// checkShape compares a node with the Go type it decodes into and names the first value of the
// wrong kind, unknown key or quoted boolean, with its line and what to write instead. key is the
// dotted path of the node ("apps.web.skip"), "" for the document.
func (c *Config) checkShape(n *yaml.Node, t reflect.Type, key string) error {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return nil // an empty value is the zero value
	}
	bad := func(fix string) error {
		where := key
		if where == "" {
			where = "the file"
		}
		return &ParseError{File: c.file, Line: n.Line, Msg: fmt.Sprintf("%s: %s where %s is wanted; %s", where, describeNode(n), describeType(t, key), fix)}
	}
	switch t.Kind() {
	case reflect.Struct:
		fields := yamlFields(t)
		if n.Kind != yaml.MappingNode {
			if _, isField := fields[lastKey(key)]; isField && strings.Contains(key, ".") {
				// apps: {web: …, context: x}: a key of the entry above, indented too little.
				return bad(fmt.Sprintf("if %s is a key of the entry above, indent it as far as that entry's other keys", lastKey(key)))
			}
			return bad("write it as KEY: value lines, e.g. " + example(t, key))
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			ft, ok := fields[k.Value]
			if !ok {
				return &ParseError{File: c.file, Line: k.Line, Msg: unknownKey(k.Value, key, fields)}
			}
			if err := c.checkShape(v, ft, joinKey(key, k.Value)); err != nil {
				return err
			}
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			return bad("write " + example(t, key))
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			if err := c.checkShape(n.Content[i+1], t.Elem(), joinKey(key, n.Content[i].Value)); err != nil {
				return err
			}
		}
	case reflect.Slice:
		if n.Kind == yaml.ScalarNode && t.Elem().Kind() == reflect.String {
			return bad(fmt.Sprintf("write %s: [%q] for a list of one", lastKey(key), n.Value))
		}
		if n.Kind != yaml.SequenceNode {
			return bad("write " + example(t, key))
		}
		for _, item := range n.Content {
			if err := c.checkShape(item, t.Elem(), key); err != nil {
				return err
			}
		}
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			return bad(fmt.Sprintf("write %s: VALUE", lastKey(key)))
		}
	case reflect.Bool:
		fix := fmt.Sprintf("write %s: true or %s: false, without quotes", lastKey(key), lastKey(key))
		if n.Kind != yaml.ScalarNode || n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
			return bad(fix)
		}
		var b bool
		if n.Decode(&b) != nil {
			return bad(fix)
		}
	}
	return nil
}

// yamlFields maps the yaml names of a struct's fields to their types.
func yamlFields(t reflect.Type) map[string]reflect.Type {
	m := map[string]reflect.Type{}
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if f.IsExported() && name != "" && name != "-" {
			m[name] = f.Type
		}
	}
	return m
}

func joinKey(prefix, k string) string {
	if prefix == "" {
		return k
	}
	return prefix + "." + k
}

func lastKey(key string) string {
	if i := strings.LastIndexByte(key, '.'); i >= 0 {
		return key[i+1:]
	}
	return key
}

// unknownKey says which key is not known where, the one meant when it is close, and the keys there
// are.
func unknownKey(k, key string, fields map[string]reflect.Type) string {
	names := make([]string, 0, len(fields))
	for n := range fields {
		names = append(names, n)
	}
	sort.Strings(names)
	where := ""
	if key != "" {
		where = " in " + key
	}
	msg := fmt.Sprintf("unknown key %q%s", k, where)
	best, bestD := "", 3
	for _, n := range names {
		if d := textdist.Levenshtein(strings.ToLower(k), n); d < bestD {
			best, bestD = n, d
		}
	}
	if best != "" {
		return fmt.Sprintf("%s; did you mean %q? (the keys are %s)", msg, best, strings.Join(names, ", "))
	}
	return fmt.Sprintf("%s; the keys are %s", msg, strings.Join(names, ", "))
}

// describeNode says what a node is, as the user wrote it.
func describeNode(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
			return fmt.Sprintf("the quoted string %q", n.Value)
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "a value"
}

// describeType says what a Go type takes, in the config's words.
func describeType(t reflect.Type, key string) string {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		names := make([]string, 0)
		for n := range yamlFields(t) {
			names = append(names, n)
		}
		sort.Strings(names)
		return "a mapping of " + strings.Join(names, ", ")
	case reflect.Map:
		if key == "apps" {
			return "a mapping of app names to their settings"
		}
		return "a mapping of names to " + strings.TrimPrefix(describeType(t.Elem(), ""), "a ") + "s"
	case reflect.Slice:
		if t.Elem().Kind() == reflect.String {
			return "a list of strings"
		}
		return "a list of mappings"
	case reflect.Bool:
		return "a boolean (true or false)"
	}
	return "a string"
}

// example is a line of valid YAML for a key of type t.
func example(t reflect.Type, key string) string {
	k := lastKey(key)
	switch {
	case key == "apps":
		return "apps: {web: {dockerfile: web/Dockerfile}}"
	case key == "artifacts":
		return `artifacts: [{path: "bin/x-linux-*", go: cmd/x}]`
	case key == "":
		return "apps: {web: {dockerfile: web/Dockerfile}}"
	}
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Map:
		return k + ": {NAME: value}"
	case reflect.Slice:
		return k + ": [a, b]"
	case reflect.Struct:
		names := make([]string, 0)
		for n := range yamlFields(t) {
			names = append(names, n)
		}
		sort.Strings(names)
		return k + ": {" + names[0] + ": …}"
	}
	return k + ": value"
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
