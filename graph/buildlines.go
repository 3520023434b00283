package graph

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
	"gopkg.in/yaml.v3"
	"mvdan.cc/sh/v3/syntax"

	"github.com/monoctx/monoctx/graph/cache"
	"github.com/monoctx/monoctx/graph/discover"
	"github.com/monoctx/monoctx/graph/tree"
	"github.com/monoctx/monoctx/graph/yamlcache"
)

// buildLine is one `go build -o OUT PKG` found in a Makefile, a shell script or a GitHub workflow.
type buildLine struct {
	file string // repo-relative
	line int
	text string // the command, on one line
	out  string // repo-relative output path; "*" stands for what a variable holds (one segment)
	pkg  string // repo-relative directory of the Go main package
}

// varMark stands for the value of a variable in a command, a "*" in the output path.
const varMark = "\x00var\x00"

// buildLines reads every Makefile, *.mk, shell script and GitHub workflow of the repository once,
// outside the directories discovery skips, and keeps the `go build` lines whose package is a Go
// main package of the repository.
// With discovery's listing they are kept across runs (artifactState.keep), vouched for by what
// reading them read: every build script of a large repository was read and parsed on every run.
func (st *artifactState) buildLines(root string, cfg *Config) []buildLine {
	st.linesOnce.Do(func() {
		if st.listing == nil {
			st.lines = st.readBuildLines(st.fs, root, st.walkBuildFiles(root, cfg))
			return
		}
		fsys, key := st.fs, ""
		if st.keep != nil && st.fs.View() != nil {
			key = buildLinesKey(root, st.listing)
			if v, ok := st.keep.Kept(key); ok {
				if lines, ok := decodeBuildLines(v); ok {
					st.lines = lines
					return
				}
			}
			fsys = files{tree.AbsOf(st.keep.Tracing(st.fs.View()))}
		}
		st.lines = st.readBuildLines(fsys, root, st.buildFiles(fsys, root))
		if key != "" {
			st.keep.Keep(key, encodeBuildLines(st.lines))
		}
	})
	return st.lines
}

// readBuildLines reads the build lines of files through fsys.
func (st *artifactState) readBuildLines(fsys files, root string, list []string) []buildLine {
	var out []buildLine
	for _, f := range list {
		data, err := fsys.ReadFile(filepath.Join(root, filepath.FromSlash(f)))
		if err != nil || !bytes.Contains(data, []byte("build")) {
			continue
		}
		for _, bl := range parseBuildFile(fsys, st.cache, root, f, buildScriptKind(f), data) {
			if fsys.isGoMain(filepath.Join(root, filepath.FromSlash(bl.pkg))) {
				out = append(out, bl)
			}
		}
	}
	return out
}

// buildLinesKey is what the build lines depend on besides the files reading them read: the
// root and the listing.
func buildLinesKey(root string, listing []string) string {
	h := sha256.New()
	write := func(s string) { h.Write([]byte(strconv.Itoa(len(s)) + ":" + s)) }
	write(string(keptBuildLinesKind))
	write(root)
	write(strconv.Itoa(len(listing)))
	for _, p := range listing {
		write(p)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func encodeBuildLines(lines []buildLine) []byte {
	var e cache.Encoder
	e.Uint(uint64(len(lines)))
	for _, l := range lines {
		e.String(l.file)
		e.Uint(uint64(l.line))
		e.String(l.text)
		e.String(l.out)
		e.String(l.pkg)
	}
	return e.Bytes()
}

func decodeBuildLines(v []byte) ([]buildLine, bool) {
	d := cache.NewDecoder(v)
	n := d.Uint()
	if n > uint64(len(v)) {
		return nil, false
	}
	var out []buildLine
	for range n {
		l := buildLine{file: d.String(), line: int(d.Uint()), text: d.String(), out: d.String(), pkg: d.String()}
		if d.Failed() {
			return nil, false
		}
		out = append(out, l)
	}
	return out, d.Err() == nil
}

// buildFiles are the build files of discovery's listing (sorted, outside the skipped
// directories): its regular files buildScriptKind names, outside any .git directory, as the walk
// of walkBuildFiles finds them without walking the repository a second time.
func (st *artifactState) buildFiles(fsys files, root string) []string {
	var files []string
	for _, p := range st.listing {
		if buildScriptKind(p) == "" || strings.HasPrefix(p, ".git/") || strings.Contains(p, "/.git/") {
			continue
		}
		if fi, err := fsys.Lstat(filepath.Join(root, filepath.FromSlash(p))); err != nil || !fi.Mode().IsRegular() {
			continue
		}
		files = append(files, p)
	}
	return files
}

// walkBuildFiles walks the repository for its build files, for a Load without discovery's
// listing.
func (st *artifactState) walkBuildFiles(root string, cfg *Config) []string {
	skip := cfg.skipGlobs()
	var files []string
	_ = st.fs.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		rel, rerr := repoRel(root, p)
		if rerr != nil {
			return nil
		}
		if d.IsDir() {
			if rel == "." {
				return nil
			}
			if d.Name() == ".git" {
				return filepath.SkipDir
			}
			for _, g := range skip {
				if ok, _ := doublestar.Match(g, rel); ok {
					return filepath.SkipDir
				}
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		if buildScriptKind(rel) != "" {
			files = append(files, rel)
		}
		return nil
	})
	sort.Strings(files)
	return files
}

// buildScriptKind says how a file is read for build lines: "make", "sh", "workflow" or "".
func buildScriptKind(rel string) string {
	base := path.Base(rel)
	switch {
	case base == "Makefile" || base == "makefile" || base == "GNUmakefile" || strings.HasSuffix(base, ".mk"):
		return "make"
	case strings.HasSuffix(base, ".sh") || strings.HasSuffix(base, ".bash"):
		return "sh"
	case discover.IsWorkflowFile(rel): // as discovery reads them
		return "workflow"
	}
	return ""
}

// parseBuildFile finds the go build lines of one file.
func parseBuildFile(fsys files, c *cache.Cache, root, file, kind string, data []byte) []buildLine {
	dir := path.Dir(file)
	switch kind {
	case "make":
		return makeBuildLines(fsys, root, file, dir, data)
	case "sh":
		// A script may run from its own directory or from the root: both are tried, and only a
		// package that exists is kept.
		out := shellBuildLines(fsys, root, file, 1, string(data), []string{dir, "."}, "")
		return out
	case "workflow":
		return workflowBuildLines(fsys, c, root, file, data)
	}
	return nil
}

var makeAssignRE = regexp.MustCompile(`^(?:export\s+|override\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*(:::?=|\?=|\+=|=)\s*(.*)$`)

// makeBuildLines reads a Makefile: its simple variable assignments, then every logical line (with
// continuations joined) that runs go build, with make variables expanded where their value is a
// plain literal, and read with a shell parser.
func makeBuildLines(fsys files, root, file, dir string, data []byte) []buildLine {
	type logical struct {
		line int
		text string
	}
	var lines []logical
	raw := strings.Split(string(data), "\n")
	for i := 0; i < len(raw); i++ {
		start := i
		text := strings.TrimSuffix(raw[i], "\r")
		for strings.HasSuffix(text, "\\") && i+1 < len(raw) {
			i++
			text = strings.TrimSuffix(text, "\\") + " " + strings.TrimSpace(strings.TrimSuffix(raw[i], "\r"))
		}
		lines = append(lines, logical{start + 1, text})
	}
	vars := map[string]string{}
	for _, l := range lines {
		if strings.HasPrefix(l.text, "\t") || !strings.Contains(l.text, "=") { // every assignment has one
			continue
		}
		m := makeAssignRE.FindStringSubmatch(strings.TrimSpace(l.text))
		if m == nil {
			continue
		}
		switch m[2] {
		case "?=":
			if _, ok := vars[m[1]]; !ok {
				vars[m[1]] = strings.TrimSpace(m[3])
			}
		case "+=":
			vars[m[1]] = "\x00" // appended to: not a single literal any more
		default:
			vars[m[1]] = strings.TrimSpace(m[3])
		}
	}
	var out []buildLine
	for _, l := range lines {
		if !strings.Contains(l.text, "build") {
			continue
		}
		cmd := strings.TrimSpace(l.text)
		if i := strings.Index(cmd, ":"); i > 0 && !strings.HasPrefix(l.text, "\t") && !strings.Contains(cmd[:i], " ") && strings.Contains(cmd[i:], ";") {
			cmd = cmd[strings.Index(cmd, ";")+1:] // "target: deps ; recipe"
		}
		cmd = strings.TrimLeft(cmd, "@-+ \t")
		display := oneLine(cmd)
		cmd = expandMake(cmd, vars, 0)
		out = append(out, shellBuildLines(fsys, root, file, l.line, cmd, []string{dir}, display)...)
	}
	return out
}

// expandMake replaces $(NAME) and ${NAME} by a variable's literal value, and every other reference
// (functions, automatic variables, values that are not literals, OS/arch variables that callers
// set) by varMark. $$ is a shell "$".
func expandMake(s string, vars map[string]string, depth int) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '$' || i+1 == len(s) {
			b.WriteByte(c)
			continue
		}
		n := s[i+1]
		switch n {
		case '$':
			b.WriteByte('$')
			i++
			continue
		case '(', '{':
			closer := byte(')')
			if n == '{' {
				closer = '}'
			}
			level, j := 0, i+1
			for ; j < len(s); j++ {
				if s[j] == n {
					level++
				} else if s[j] == closer {
					level--
					if level == 0 {
						break
					}
				}
			}
			if j == len(s) {
				b.WriteString(varMark)
				i = j
				continue
			}
			ref := s[i+2 : j]
			i = j
			b.WriteString(makeValue(ref, vars, depth))
		default:
			b.WriteString(varMark) // $@, $<, $*, $1
			i++
		}
	}
	return b.String()
}

func makeValue(ref string, vars map[string]string, depth int) string {
	switch strings.TrimSpace(ref) {
	case "CURDIR", "shell pwd", "PWD":
		return "."
	}
	v, ok := vars[ref]
	if !ok || depth > 8 || platformLikeArg(ref) || strings.Contains(v, "\x00") {
		return varMark
	}
	v = expandMake(v, vars, depth+1)
	if strings.ContainsAny(v, " \t") {
		return varMark // a list, or a command
	}
	return v
}

// shellBuildLines parses shell text and returns its go build commands, resolving relative paths
// from each candidate working directory.
// display, when set, is the line as written (a Makefile's, before its variables were expanded).
func shellBuildLines(fsys files, root, file string, firstLine int, text string, cwds []string, display string) []buildLine {
	// Expressions of workflows and make variables were replaced by varMark; keep the parser from
	// seeing the NULs.
	src := strings.ReplaceAll(text, varMark, "MONOCTXVAR")
	f, err := syntax.NewParser(syntax.Variant(syntax.LangBash)).Parse(strings.NewReader(src), file)
	if err != nil {
		return nil
	}
	var out []buildLine
	syntax.Walk(f, func(n syntax.Node) bool {
		call, ok := n.(*syntax.CallExpr)
		if !ok {
			return true
		}
		words := make([]string, 0, len(call.Args))
		for _, w := range call.Args {
			words = append(words, shellWord(w))
		}
		o, pkg, dirFlag, ok := goBuildArgs(words)
		if !ok {
			return true
		}
		line := firstLine + int(call.Pos().Line()) - 1
		cmdText := display
		if cmdText == "" {
			cmdText = oneLine(strings.ReplaceAll(src[call.Pos().Offset():call.End().Offset()], "MONOCTXVAR", "${{…}}"))
		}
		for _, cwd := range cwds {
			wd := cwd
			if dirFlag != "" {
				if strings.Contains(dirFlag, "*") {
					continue
				}
				wd = joinRel(cwd, dirFlag)
			}
			p, ok := repoPathFrom(fsys, root, wd, pkg)
			if !ok {
				continue
			}
			outPath := o
			if outPath == "" || strings.HasSuffix(outPath, "/") {
				outPath += path.Base(p)
			}
			op := joinRel(wd, outPath)
			if escapesContext(op) || strings.HasPrefix(outPath, "/") {
				continue
			}
			if st, err := fsys.Stat(filepath.Join(root, filepath.FromSlash(op))); err == nil && st.IsDir() {
				op = joinRel(op, path.Base(p))
			}
			out = append(out, buildLine{file: file, line: line, text: cmdText, out: op, pkg: p})
		}
		return true
	})
	return out
}

// shellWord renders a word with every expansion as "*".
func shellWord(w *syntax.Word) string {
	var b strings.Builder
	var parts func(ps []syntax.WordPart)
	parts = func(ps []syntax.WordPart) {
		for _, p := range ps {
			switch p := p.(type) {
			case *syntax.Lit:
				b.WriteString(p.Value)
			case *syntax.SglQuoted:
				b.WriteString(p.Value)
			case *syntax.DblQuoted:
				parts(p.Parts)
			case *syntax.ParamExp:
				if p.Param != nil && p.Param.Value == "PWD" && p.Exp == nil {
					b.WriteString(".")
				} else {
					b.WriteString("*")
				}
			default:
				b.WriteString("*")
			}
		}
	}
	parts(w.Parts)
	return strings.ReplaceAll(b.String(), "MONOCTXVAR", "*")
}

// goBuildFlagsWithValue are the go build flags that take a value as the next word.
var goBuildFlagsWithValue = map[string]bool{
	"o": true, "C": true, "p": true, "ldflags": true, "gcflags": true, "asmflags": true, "gccgoflags": true,
	"tags": true, "mod": true, "modfile": true, "pkgdir": true, "buildmode": true, "compiler": true,
	"installsuffix": true, "overlay": true, "pgo": true, "toolexec": true, "covermode": true, "coverpkg": true,
	"exec": true,
}

// goBuildArgs recognises `[env VAR=x ...] go build [flags] [PKG]` and returns its -o, its one
// package and its -C.
func goBuildArgs(words []string) (out, pkg, dir string, ok bool) {
	i := 0
	for i < len(words) && (words[i] == "env" || words[i] == "exec" || words[i] == "time" || strings.Contains(words[i], "=") && !strings.HasPrefix(words[i], "-")) {
		i++
	}
	if i+1 >= len(words) || words[i+1] != "build" {
		return "", "", "", false
	}
	if g := words[i]; g != "go" && !strings.HasSuffix(g, "/go") && g != "*" {
		return "", "", "", false
	}
	var pkgs []string
	unknown := false
	for j := i + 2; j < len(words); j++ {
		w := words[j]
		if w == "--" {
			pkgs = append(pkgs, words[j+1:]...)
			break
		}
		if w == "*" {
			// A variable's whole value, unknown: flags most often (temporalio/temporal's
			// `go build $(BUILD_TAG_FLAG) -o temporal-server ./cmd/server`), else the package.
			unknown = true
			continue
		}
		if !strings.HasPrefix(w, "-") {
			pkgs = append(pkgs, w)
			continue
		}
		name, val, hasVal := strings.Cut(strings.TrimLeft(w, "-"), "=")
		if !hasVal && goBuildFlagsWithValue[name] && j+1 < len(words) {
			j++
			val, hasVal = words[j], true
		}
		switch name {
		case "o":
			out = val
		case "C":
			dir = val
		}
	}
	if d, ok := goFilesDir(pkgs); ok {
		// go build -o x ./cmd/x/main.go builds just the files named; their package's directory
		// holds them and what they import, a safe over-selection.
		pkgs = []string{d}
	}
	switch len(pkgs) {
	case 0:
		if unknown {
			return "", "", "", false // the package may be the variable's
		}
		pkg = "."
	case 1:
		pkg = pkgs[0]
	default:
		return "", "", "", false // several packages write no binary with -o FILE
	}
	if strings.ContainsAny(pkg, "*") || strings.Contains(pkg, "...") || strings.HasSuffix(pkg, ".go") {
		return "", "", "", false
	}
	return out, pkg, dir, true
}

// goFilesDir is the directory of go build's file arguments ("./cmd/x" for ./cmd/x/main.go, "." for
// main.go), ok when every argument is a .go file of that one directory.
func goFilesDir(args []string) (string, bool) {
	dir := ""
	for i, a := range args {
		if !strings.HasSuffix(a, ".go") {
			return "", false
		}
		d := path.Dir(a)
		if d != "." && !strings.HasPrefix(d, "./") && !strings.HasPrefix(d, "../") && d != ".." && !path.IsAbs(d) {
			d = "./" + d // a file argument is a path, never an import path
		}
		if i > 0 && d != dir {
			return "", false
		}
		dir = d
	}
	return dir, dir != ""
}

// repoPathFrom resolves a package argument from a working directory: "./cmd/x", ".", or an import
// path of the module whose go.mod is at or above the working directory.
func repoPathFrom(fsys files, root, cwd, pkg string) (string, bool) {
	if pkg == "." || strings.HasPrefix(pkg, "./") || strings.HasPrefix(pkg, "../") {
		p := joinRel(cwd, pkg)
		return p, !escapesContext(p)
	}
	for d := cwd; ; d = path.Dir(d) {
		data, err := fsys.ReadFile(filepath.Join(root, filepath.FromSlash(d), "go.mod"))
		if err == nil {
			mod := modulePathOf(data)
			if mod != "" && (pkg == mod || strings.HasPrefix(pkg, mod+"/")) {
				return joinRel(d, strings.TrimPrefix(strings.TrimPrefix(pkg, mod), "/")), true
			}
			return "", false
		}
		if d == "." {
			return "", false
		}
	}
}

func modulePathOf(gomod []byte) string {
	for _, l := range strings.Split(string(gomod), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "module" {
			return strings.Trim(f[1], `"`)
		}
	}
	return ""
}

var workflowExprRE = regexp.MustCompile(`\$\{\{[^}]*\}\}`)

// workflowBuildLines reads the run: steps of a GitHub workflow, from the repository root or the
// step's literal working-directory.
func workflowBuildLines(fsys files, c *cache.Cache, root, file string, data []byte) []buildLine {
	// The nodes come from memory where discovery parsed the same workflow, else from the cache (a
	// kept discovery parses nothing).
	doc, err := yamlcache.Document(c, data)
	if err != nil || len(doc.Content) == 0 {
		return nil
	}
	var out []buildLine
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		switch n.Kind {
		case yaml.MappingNode:
			var run *yaml.Node
			wd := "."
			for i := 0; i+1 < len(n.Content); i += 2 {
				switch n.Content[i].Value {
				case "run":
					run = n.Content[i+1]
				case "working-directory":
					if v := n.Content[i+1].Value; !strings.Contains(v, "${{") {
						wd = joinRel(strings.TrimPrefix(v, "./"))
					}
				}
			}
			if run != nil && run.Kind == yaml.ScalarNode && strings.Contains(run.Value, "build") {
				first := run.Line
				if run.Style == yaml.LiteralStyle || run.Style == yaml.FoldedStyle {
					first++ // the text starts on the line after "run: |"
				}
				text := workflowExprRE.ReplaceAllString(run.Value, varMark)
				out = append(out, shellBuildLines(fsys, root, file, first, text, []string{wd}, "")...)
			}
			for i := 1; i < len(n.Content); i += 2 {
				walk(n.Content[i])
			}
		case yaml.SequenceNode, yaml.DocumentNode:
			for _, c := range n.Content {
				walk(c)
			}
		}
	}
	walk(doc)
	return out
}

// platformLikeArg reports whether a build ARG or make variable names an OS, an architecture or a
// platform, whose value the caller picks per build (ARCH, OS, GOARCH, TARGETARCH, BINARY_ARCH, …).
func platformLikeArg(name string) bool {
	u := strings.ToUpper(name)
	switch u {
	case "OS", "ARCH", "GOOS", "GOARCH", "GOARM", "GOAMD64", "PLATFORM", "VARIANT":
		return true
	}
	return strings.HasSuffix(u, "ARCH") || strings.HasSuffix(u, "_OS") || strings.HasSuffix(u, "PLATFORM") ||
		strings.HasSuffix(u, "OS_ARCH") || strings.HasSuffix(u, "VARIANT") && strings.HasPrefix(u, "TARGET")
}
