package e2e

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/bmatcuk/doublestar/v4"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
	"gopkg.in/yaml.v3"
)

// app is one entry of `monoctx apps --format json`.
type app struct {
	Name       string            `json:"name"`
	Dockerfile string            `json:"dockerfile"`
	Context    string            `json:"context"`
	Target     string            `json:"target"`
	Args       map[string]string `json:"args"`
	Tags       []string          `json:"tags"`
}

func listApps(tb testing.TB, repo string) []app {
	tb.Helper()
	var apps []app
	if err := json.Unmarshal(monoctx(tb, repo, "apps", "--format", "json"), &apps); err != nil {
		tb.Fatalf("monoctx apps --format json: %v", err)
	}
	return apps
}

// dockerfileInContext is the Dockerfile's context-relative path, or "" when it is outside.
func (a app) dockerfileInContext() string {
	rel, err := filepath.Rel(filepath.FromSlash(a.Context), filepath.FromSlash(a.Dockerfile))
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return ""
	}
	return filepath.ToSlash(rel)
}

// applicableIgnore is the ignore file BuildKit applies to a plain build of a (research §1.3):
// <Dockerfile>.dockerignore beside the Dockerfile when it exists, else <context>/.dockerignore.
// It returns the repo-relative path, or "" when neither exists.
func (a app) applicableIgnore(repo string) string {
	for _, p := range []string{a.Dockerfile + ".dockerignore", path.Join(a.Context, ".dockerignore")} {
		if st, err := os.Stat(filepath.Join(repo, filepath.FromSlash(p))); err == nil && st.Mode().IsRegular() {
			return p
		}
	}
	return ""
}

// contextTar runs `monoctx context APP` and returns the tar.
func contextTar(tb testing.TB, repo, name string) []byte {
	tb.Helper()
	return monoctx(tb, repo, "context", name)
}

// tarNames lists a tar's entry names in order.
func tarNames(tb testing.TB, data []byte) []tar.Header {
	tb.Helper()
	tr := tar.NewReader(bytes.NewReader(data))
	var out []tar.Header
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			tb.Fatalf("reading tar: %v", err)
		}
		out = append(out, *h)
	}
}

// checkContext produces APP's context and checks the invariants every context must hold. It is
// the one invariant checker of this package, independent of monoctx's own code: Docker's
// patternmatcher decides what the ignore file excludes and BuildKit's parser reads COPY sources.
//
//   - byte-identical on a second run;
//   - nothing outside the root: clean relative names; every file, symlink and directory is the one
//     at that path in the context directory, reached without leaving the repository, with the same
//     content, link target and permission bits;
//   - nothing the applicable ignore file (or a monoctx.yaml exclude) excludes, but for the
//     always-sent Dockerfile and ignore file and directories that hold stored entries;
//   - every COPY/ADD source of the stages the build reaches is present, unless it does not exist
//     or the ignore file excludes it.
//
// It returns the context's files keyed by path.
//
// Violations on paths listed in known are reported through it instead of failing the test.
func checkContext(tb testing.TB, repo string, a app, known *knownIssues) map[string]fileEntry {
	tb.Helper()
	first := contextTar(tb, repo, a.Name)
	if second := contextTar(tb, repo, a.Name); !bytes.Equal(first, second) {
		tb.Errorf("%s: two runs of monoctx context differ (%d and %d bytes)", a.Name, len(first), len(second))
	}
	files := readTar(tb, bytes.NewReader(first))
	ctxDir := filepath.Join(repo, filepath.FromSlash(a.Context))
	realRoot, err := filepath.EvalSymlinks(repo)
	if err != nil {
		tb.Fatal(err)
	}

	dfInTar := a.dockerfileInContext()
	always := map[string]bool{}
	if dfInTar != "" {
		always[dfInTar] = true
	} else {
		// The writer lists the placed Dockerfile in the tar's .dockerignore, creating it if need be,
		// so the legacy daemon removes the Dockerfile after reading it.
		always[".dockerignore"] = true
	}
	ign := a.applicableIgnore(repo)
	if rel, err := filepath.Rel(filepath.FromSlash(a.Context), filepath.FromSlash(ign)); ign != "" && err == nil && !strings.HasPrefix(rel, "..") {
		always[filepath.ToSlash(rel)] = true
	}
	excluded := ignoreMatcher(tb, repo, ign)
	configExcludes := configExcludes(tb, repo)

	if dfInTar == "" {
		// Found before the loop below, which ranges over a map: the .dockerignore check
		// depends on it whichever entry comes first.
		for name := range files {
			if strings.HasPrefix(name, ".dockerfile.") {
				if dfInTar != "" {
					tb.Errorf("%s: two placed Dockerfiles in the context: %s and %s", a.Name, dfInTar, name)
				}
				dfInTar = name
			}
		}
	}
	hasChild := map[string]bool{}
	for _, h := range tarNames(tb, first) {
		name := strings.TrimSuffix(h.Name, "/")
		if name == "" || path.IsAbs(name) || path.Clean(name) != name || name == ".." || strings.HasPrefix(name, "../") {
			tb.Errorf("%s: %q is not a clean relative path inside the context", a.Name, h.Name)
			continue
		}
		for d := path.Dir(name); d != "."; d = path.Dir(d) {
			hasChild[d] = true
		}
	}
	for name, e := range files {
		h := e.Hdr
		if strings.HasPrefix(name, ".dockerfile.") && a.dockerfileInContext() == "" {
			// The Dockerfile from outside the context, placed the docker CLI's way.
			want, err := os.ReadFile(filepath.Join(repo, filepath.FromSlash(a.Dockerfile)))
			if err != nil || !bytes.Equal(e.Content, want) {
				tb.Errorf("%s: %q does not hold the Dockerfile %s", a.Name, name, a.Dockerfile)
			}
			continue
		}
		disk := filepath.Join(ctxDir, filepath.FromSlash(name))
		if parent, err := filepath.EvalSymlinks(filepath.Dir(disk)); err != nil || !within(realRoot, parent) {
			tb.Errorf("%s: %q: its directory resolves outside the repository (%v)", a.Name, name, err)
			continue
		}
		st, err := os.Lstat(disk)
		if err != nil {
			tb.Errorf("%s: %q is in the context but not on disk: %v", a.Name, name, err)
			continue
		}
		switch h.Typeflag {
		case tar.TypeDir:
			if !st.IsDir() {
				tb.Errorf("%s: %q is a directory in the context, %v on disk", a.Name, name, st.Mode().Type())
			}
		case tar.TypeSymlink:
			target, err := os.Readlink(disk)
			if err != nil || target != h.Linkname {
				tb.Errorf("%s: %q: symlink to %q, on disk %q (%v)", a.Name, name, h.Linkname, target, err)
			}
		case tar.TypeReg, tar.TypeLink:
			data, err := os.ReadFile(disk)
			if !st.Mode().IsRegular() || err != nil {
				tb.Errorf("%s: %q is a file in the context, %v on disk (%v)", a.Name, name, st.Mode().Type(), err)
			} else if name == ".dockerignore" && strings.HasPrefix(dfInTar, ".dockerfile.") {
				// amended with the placed Dockerfile's name; checked below
			} else if !bytes.Equal(content(files, e), data) {
				tb.Errorf("%s: %q: content differs from the file on disk", a.Name, name)
			}
		default:
			tb.Errorf("%s: %q: unexpected tar type %c", a.Name, name, h.Typeflag)
		}
		if h.Typeflag != tar.TypeSymlink && fs.FileMode(h.Mode).Perm() != st.Mode().Perm() {
			tb.Errorf("%s: %q: mode %o, on disk %o", a.Name, name, fs.FileMode(h.Mode).Perm(), st.Mode().Perm())
		}
		if always[name] || hasChild[name] {
			continue
		}
		if excluded(name) {
			known.errorf(tb, "context", name, "%s: %q is in the context although %s excludes it", a.Name, name, ign)
		}
		repoPath := path.Join(a.Context, name)
		for _, g := range configExcludes {
			if ok, _ := doublestar.Match(g, repoPath); ok {
				tb.Errorf("%s: %q is in the context although monoctx.yaml excludes %q", a.Name, name, g)
			}
		}
	}
	if dfInTar == "" {
		tb.Errorf("%s: the Dockerfile %s is not in the context", a.Name, a.Dockerfile)
	} else if _, ok := files[dfInTar]; !ok {
		tb.Errorf("%s: the Dockerfile %s is not in the context at %s", a.Name, a.Dockerfile, dfInTar)
	}
	if strings.HasPrefix(dfInTar, ".dockerfile.") {
		di, ok := files[".dockerignore"]
		if !ok || !strings.Contains(string(di.Content), dfInTar) {
			tb.Errorf("%s: .dockerignore does not list the placed Dockerfile %s", a.Name, dfInTar)
		}
	}

	for _, src := range copySources(tb, repo, a) {
		if src == "" {
			continue // the whole context
		}
		matches := []string{src}
		if strings.ContainsAny(src, "*?[") {
			m, err := filepath.Glob(filepath.Join(ctxDir, filepath.FromSlash(src)))
			if err != nil {
				tb.Errorf("%s: COPY source %q: %v", a.Name, src, err)
			}
			matches = matches[:0]
			for _, p := range m {
				rel, _ := filepath.Rel(ctxDir, p)
				matches = append(matches, filepath.ToSlash(rel))
			}
		}
		for _, m := range matches {
			if _, err := os.Lstat(filepath.Join(ctxDir, filepath.FromSlash(m))); err != nil || excluded(m) {
				continue
			}
			if _, ok := files[m]; !ok {
				tb.Errorf("%s: COPY source %q is not in the context", a.Name, m)
			}
		}
	}
	return files
}

func within(root, p string) bool {
	return p == root || strings.HasPrefix(p, root+string(filepath.Separator))
}

// ignoreMatcher reads an ignore file with Docker's own reader and matcher.
func ignoreMatcher(tb testing.TB, repo, rel string) func(string) bool {
	tb.Helper()
	if rel == "" {
		return func(string) bool { return false }
	}
	f, err := os.Open(filepath.Join(repo, filepath.FromSlash(rel)))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	patterns, err := ignorefile.ReadAll(f)
	if err != nil {
		tb.Fatalf("reading %s: %v", rel, err)
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		tb.Fatalf("%s: %v", rel, err)
	}
	return func(p string) bool {
		ok, err := pm.MatchesOrParentMatches(p)
		if err != nil {
			tb.Fatalf("%s: matching %q: %v", rel, p, err)
		}
		return ok
	}
}

func configExcludes(tb testing.TB, repo string) []string {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join(repo, "monoctx.yaml"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		tb.Fatal(err)
	}
	var cfg struct {
		Exclude []string `yaml:"exclude"`
	}
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		tb.Fatalf("monoctx.yaml: %v", err)
	}
	return cfg.Exclude
}

// copySources returns the context-relative sources of the COPY and ADD instructions (without
// --from) of the stages a build of a reaches, ARGs expanded the way BuildKit does.
func copySources(tb testing.TB, repo string, a app) []string {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join(repo, filepath.FromSlash(a.Dockerfile)))
	if err != nil {
		tb.Fatal(err)
	}
	ast, err := parser.Parse(bytes.NewReader(data))
	if err != nil {
		tb.Fatalf("%s: %v", a.Dockerfile, err)
	}
	stages, metaArgs, err := instructions.Parse(ast.AST, nil)
	if err != nil {
		tb.Fatalf("%s: %v", a.Dockerfile, err)
	}
	lex := shell.NewLex(ast.EscapeToken)
	meta := map[string]string{}
	for _, ma := range metaArgs {
		for _, kv := range ma.Args {
			if v, ok := a.Args[kv.Key]; ok {
				meta[kv.Key] = v
			} else if kv.Value != nil {
				meta[kv.Key] = *kv.Value
			}
		}
	}
	byName := map[string]int{}
	for i, s := range stages {
		byName[strings.ToLower(s.Name)] = i
		byName[strconv.Itoa(i)] = i
	}
	target := len(stages) - 1
	if a.Target != "" {
		i, ok := byName[strings.ToLower(a.Target)]
		if !ok {
			tb.Fatalf("%s: no stage %q", a.Dockerfile, a.Target)
		}
		target = i
	}
	var out []string
	seen := map[int]bool{}
	var visit func(i int)
	visit = func(i int) {
		if seen[i] {
			return
		}
		seen[i] = true
		s := stages[i]
		if j, ok := byName[strings.ToLower(s.BaseName)]; ok && j < i {
			visit(j)
		}
		env := map[string]string{}
		expand := func(w string) string {
			var kv []string
			for k, v := range env {
				kv = append(kv, k+"="+v)
			}
			r, _, err := lex.ProcessWord(w, shell.EnvsFromSlice(kv))
			if err != nil {
				tb.Fatalf("%s: expanding %q: %v", a.Dockerfile, w, err)
			}
			return r
		}
		for _, c := range s.Commands {
			switch c := c.(type) {
			case *instructions.ArgCommand:
				for _, kv := range c.Args {
					if v, ok := a.Args[kv.Key]; ok {
						env[kv.Key] = v
					} else if kv.Value != nil {
						env[kv.Key] = expand(*kv.Value)
					} else if v, ok := meta[kv.Key]; ok {
						env[kv.Key] = v
					}
				}
			case *instructions.EnvCommand:
				for _, kv := range c.Env {
					env[kv.Key] = expand(kv.Value)
				}
			case *instructions.CopyCommand:
				if c.From != "" {
					if j, ok := byName[strings.ToLower(expand(c.From))]; ok {
						visit(j)
					}
					continue
				}
				for _, p := range c.SourcePaths {
					out = append(out, contextPath(expand(p)))
				}
			case *instructions.AddCommand:
				for _, p := range c.SourcePaths {
					if p = expand(p); !strings.Contains(p, "://") {
						out = append(out, contextPath(p))
					}
				}
			}
		}
	}
	visit(target)
	return out
}

// contextPath cleans a COPY source the way the builders resolve it inside the context.
func contextPath(p string) string {
	p = path.Clean("/" + p)
	return strings.TrimPrefix(p, "/")
}
