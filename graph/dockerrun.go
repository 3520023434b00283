package graph

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
	shexpand "mvdan.cc/sh/v3/expand"
	"mvdan.cc/sh/v3/syntax"
)

// What RUN lines of a whole-context stage tell about the build, for narrowing: the package they
// build (turbo prune web, pnpm --filter web, go build ./cmd/x) and the files they name (make → the
// Makefile, ./scripts/build.sh). RUN lines are read with mvdan.cc/sh, the parser behind shfmt:
// quoting, &&, ;, subshells, cd and sh -c are followed, not guessed at.

// runBuild is a package a RUN line builds.
type runBuild struct {
	Lang string // "js" or "go"
	// Package is, for js, a workspace package name (or nx project name), or a context-relative
	// directory when Dir is set; for go, a context-relative package directory, or an import path
	// when Import is set.
	Package string
	Dir     bool
	Import  bool
	// Unresolved says why the line builds something narrowing cannot name (every package, a
	// dependents filter, ./...): the whole context then stays the input set.
	Unresolved string
	Line       int
	Text       string
}

// runFile is a context file a RUN line reads: a Makefile (the first of Paths that exists, in make's
// order) or a script.
type runFile struct {
	Paths []string // context-relative
	Make  bool
	Line  int
	Text  string
}

// stageFS is what RUN-line analysis knows of a stage's file system: its working directory and the
// container directories that hold a copy of the whole context.
type stageFS struct {
	workdir string
	wholes  []wholeCopy
}

// wholeCopy is a whole-context copy (COPY . /app) into the absolute container directory dest.
type wholeCopy struct {
	dest string
	line int
}

func (f *stageFS) clone() *stageFS {
	return &stageFS{workdir: f.workdir, wholes: slices.Clone(f.wholes)}
}

// abs resolves a container path against the working directory.
func (f *stageFS) abs(p string) string {
	if path.IsAbs(p) {
		return path.Clean(p)
	}
	return path.Join("/", f.workdir, p)
}

// contextPath maps an absolute container path back to the context path it was copied from by a
// whole-context copy; ok is false when no whole copy holds it. The latest copy wins, as it would
// overwrite earlier ones.
func contextPath(wholes []wholeCopy, abs string) (p string, w wholeCopy, ok bool) {
	for i := len(wholes) - 1; i >= 0; i-- {
		d := wholes[i].dest
		if rel, in := relTo(strings.TrimPrefix(d, "/"), strings.TrimPrefix(abs, "/")); in || d == "/" {
			if d == "/" {
				rel = strings.TrimPrefix(abs, "/")
				if rel == "" {
					rel = "."
				}
			}
			return rel, wholes[i], true
		}
	}
	return "", wholeCopy{}, false
}

// isWholeSource reports whether a COPY/ADD source (as expanded) names the whole context.
func isWholeSource(src string) bool {
	return namedPath(src) == "."
}

// fromWhole records the context paths a COPY --from reads out of a stage's whole-context copy:
// COPY --from=builder /app/lingui.config.ts . after COPY . /app in builder reads lingui.config.ts.
func fromWhole(info *dockerfileInfo, from *stageFS, srcs []string, line int, text, dockerfile string) {
	if from == nil {
		return
	}
	for _, src := range srcs {
		abs := path.Join("/", strings.ReplaceAll(src, unknownValue, "*"))
		p, w, ok := contextPath(from.wholes, abs)
		if !ok || p == "." {
			continue // not from the whole copy, or all of it: the narrowed set stands for it
		}
		info.FromWhole = append(info.FromWhole, Source{Path: p, Line: line, Kind: "copy",
			Text: fmt.Sprintf("%s (%s out of the whole-context copy at %s:%d)", text, abs, dockerfile, w.line)})
	}
}

// readRun reads one RUN line of a stage: what it builds and which context files it runs.
func readRun(info *dockerfileInfo, fs *stageFS, c *instructions.RunCommand, env *envMap, line int, text string) {
	wholes := fs.wholes
	for _, m := range instructions.GetMounts(c) {
		if m.Type == instructions.MountTypeBind && m.From == "" && isWholeSource(m.Source) && m.Target != "" {
			wholes = append(slices.Clone(wholes), wholeCopy{dest: fs.abs(m.Target), line: line})
		}
	}
	if len(wholes) == 0 {
		return // nothing of the whole context is there to read
	}
	r := &runReader{info: info, wholes: wholes, line: line, text: text, cfg: shellEnv(env)}
	if !c.PrependShell {
		r.call(c.CmdLine, fs.abs("."))
		return
	}
	if len(c.Files) > 0 {
		for _, f := range c.Files {
			r.script(f.Data, fs.abs("."))
		}
		return
	}
	r.script(strings.Join(c.CmdLine, " "), fs.abs("."))
}

// shellEnv is the stage's ARG and ENV values as the shell of a RUN line sees them. Values only
// known at build time are left out, so words that use them do not expand (NoUnset).
func shellEnv(env *envMap) *shexpand.Config {
	var pairs []string
	for _, k := range env.keys {
		if v := env.vals[k]; v != "" && !strings.Contains(v, unknownValue) {
			pairs = append(pairs, k+"="+v)
		}
	}
	return &shexpand.Config{Env: shexpand.ListEnviron(pairs...), NoUnset: true}
}

type runReader struct {
	info   *dockerfileInfo
	wholes []wholeCopy
	line   int
	text   string
	cfg    *shexpand.Config
	depth  int // sh -c nesting
}

// unknownWord stands for a word whose value is not known from the Dockerfile.
const unknownWord = "\x00?"

func (r *runReader) script(src, cwd string) {
	f, err := syntax.NewParser(syntax.Variant(syntax.LangBash)).Parse(strings.NewReader(src), "")
	if err != nil {
		return // not a shell script monoctx can read (another SHELL): nothing is inferred from it
	}
	for _, st := range f.Stmts {
		r.stmt(st, &cwd)
	}
}

func (r *runReader) stmt(st *syntax.Stmt, cwd *string) {
	if st == nil || st.Cmd == nil {
		return
	}
	switch c := st.Cmd.(type) {
	case *syntax.CallExpr:
		args := make([]string, 0, len(c.Args))
		for _, w := range c.Args {
			args = append(args, r.word(w))
		}
		if len(args) > 0 && args[0] == "cd" {
			switch {
			case len(args) == 1:
				*cwd = "/root"
			case args[1] == unknownWord || strings.Contains(args[1], unknownWord):
				*cwd = "\x00" // unknown from here on
			default:
				*cwd = absIn(*cwd, args[1])
			}
			return
		}
		r.call(args, *cwd)
	case *syntax.BinaryCmd:
		if c.Op == syntax.Pipe || c.Op == syntax.PipeAll {
			x, y := *cwd, *cwd // each side of a pipe runs in a subshell
			r.stmt(c.X, &x)
			r.stmt(c.Y, &y)
			return
		}
		r.stmt(c.X, cwd)
		r.stmt(c.Y, cwd)
	case *syntax.Subshell:
		sub := *cwd
		for _, s := range c.Stmts {
			r.stmt(s, &sub)
		}
	case *syntax.Block:
		for _, s := range c.Stmts {
			r.stmt(s, cwd)
		}
	case *syntax.IfClause:
		for cl := c; cl != nil; cl = cl.Else {
			for _, s := range cl.Cond {
				r.stmt(s, cwd)
			}
			for _, s := range cl.Then {
				r.stmt(s, cwd)
			}
		}
	case *syntax.WhileClause:
		for _, s := range c.Cond {
			r.stmt(s, cwd)
		}
		for _, s := range c.Do {
			r.stmt(s, cwd)
		}
	case *syntax.ForClause:
		for _, s := range c.Do {
			r.stmt(s, cwd)
		}
	case *syntax.CaseClause:
		for _, it := range c.Items {
			for _, s := range it.Stmts {
				r.stmt(s, cwd)
			}
		}
	case *syntax.TimeClause:
		r.stmt(c.Stmt, cwd)
	case *syntax.CoprocClause:
		r.stmt(c.Stmt, cwd)
	}
}

// word expands a shell word with the stage's variables; unknownWord when it needs what only the
// build knows (command substitution, an unset variable, a glob).
func (r *runReader) word(w *syntax.Word) string {
	if lit := w.Lit(); lit != "" {
		return lit
	}
	s, err := shexpand.Literal(r.cfg, w)
	if err != nil {
		return unknownWord
	}
	return s
}

func absIn(cwd, p string) string {
	if strings.HasPrefix(cwd, "\x00") && !path.IsAbs(p) {
		return cwd
	}
	if path.IsAbs(p) {
		return path.Clean(p)
	}
	return path.Join(cwd, p)
}

// ctxDir maps a container directory or file to its context path through the whole copies.
func (r *runReader) ctxPath(cwd, p string) (string, bool) {
	if strings.Contains(p, unknownWord) {
		return "", false
	}
	abs := absIn(cwd, p)
	if strings.HasPrefix(abs, "\x00") {
		return "", false
	}
	rel, _, ok := contextPath(r.wholes, abs)
	return rel, ok
}

func (r *runReader) build(b runBuild) {
	b.Line, b.Text = r.line, r.text
	r.info.Builds = append(r.info.Builds, b)
}

func (r *runReader) unresolved(lang, why string) {
	r.build(runBuild{Lang: lang, Unresolved: why})
}

// call reads one simple command.
func (r *runReader) call(args []string, cwd string) {
	args = stripPrefixes(args)
	if len(args) == 0 {
		return
	}
	name := args[0]
	switch base := path.Base(name); {
	case base == "make" || base == "gmake":
		r.make(args[1:], cwd)
		return
	case base == "go":
		r.goCmd(args[1:], cwd)
		return
	case isShell(base):
		r.shell(args[1:], cwd)
		return
	case base == "." || base == "source":
		if len(args) > 1 {
			r.script1(cwd, args[1])
		}
		return
	case isInterpreter(base):
		for _, a := range args[1:] {
			if strings.HasPrefix(a, "-") {
				if a == "-e" || a == "-c" || a == "--eval" || a == "-p" {
					return // inline code
				}
				continue
			}
			if looksLikeScript(a) {
				r.script1(cwd, a)
			}
			break
		}
		// bun, deno and node also run package managers and tools: read on below.
	case strings.Contains(name, "/"):
		r.script1(cwd, name)
		return
	}
	r.jsCmd(args, cwd)
}

// stripPrefixes drops command wrappers: env assignments, sudo, exec, time, nohup, command.
func stripPrefixes(args []string) []string {
	for len(args) > 0 {
		switch args[0] {
		case "sudo", "exec", "time", "nohup", "command", "builtin", "nice":
			args = args[1:]
		case "env":
			args = args[1:]
			for len(args) > 0 && (strings.Contains(args[0], "=") || strings.HasPrefix(args[0], "-")) {
				args = args[1:]
			}
		case "corepack":
			args = args[1:]
		default:
			return args
		}
	}
	return args
}

func isShell(b string) bool {
	switch b {
	case "sh", "bash", "dash", "ash", "zsh", "ksh":
		return true
	}
	return false
}

func isInterpreter(b string) bool {
	switch b {
	case "node", "python", "python3", "ruby", "perl", "bun", "deno", "tsx", "ts-node", "php":
		return true
	}
	return false
}

func looksLikeScript(a string) bool {
	if strings.Contains(a, "/") {
		return true
	}
	switch path.Ext(a) {
	case ".sh", ".bash", ".js", ".mjs", ".cjs", ".ts", ".mts", ".py", ".rb", ".pl", ".php":
		return true
	}
	return false
}

// shell reads sh -c 'script' and sh script.sh.
func (r *runReader) shell(args []string, cwd string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case strings.HasPrefix(a, "-") && strings.Contains(a, "c") && !strings.HasPrefix(a, "--"):
			if i+1 < len(args) && args[i+1] != unknownWord && r.depth < 4 {
				r.depth++
				r.script(args[i+1], cwd)
				r.depth--
			}
			return
		case strings.HasPrefix(a, "-"):
		default:
			r.script1(cwd, a)
			return
		}
	}
}

// script1 records a script the RUN line runs, when it comes from the whole-context copy.
func (r *runReader) script1(cwd, p string) {
	if rel, ok := r.ctxPath(cwd, p); ok && rel != "." {
		r.info.RunFiles = append(r.info.RunFiles, runFile{Paths: []string{rel}, Line: r.line, Text: r.text})
	}
}

// make records the Makefile make reads: -f FILE, or GNUmakefile, makefile, Makefile in -C DIR.
func (r *runReader) make(args []string, cwd string) {
	dir := cwd
	var files []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		val := func(short, long string) (string, bool) {
			switch {
			case a == short || a == long:
				if i+1 < len(args) {
					i++
					return args[i], true
				}
			case strings.HasPrefix(a, long+"="):
				return a[len(long)+1:], true
			case strings.HasPrefix(a, short) && len(a) > len(short) && !strings.HasPrefix(a, "--"):
				return a[len(short):], true
			}
			return "", false
		}
		if v, ok := val("-C", "--directory"); ok {
			dir = absIn(dir, v)
			continue
		}
		if v, ok := val("-f", "--file"); ok {
			files = append(files, v)
			continue
		}
		if v, ok := val("-f", "--makefile"); ok {
			files = append(files, v)
		}
	}
	if len(files) == 0 {
		var cands []string
		for _, n := range []string{"GNUmakefile", "makefile", "Makefile"} {
			if rel, ok := r.ctxPath(dir, n); ok {
				cands = append(cands, rel)
			}
		}
		if len(cands) > 0 {
			r.info.RunFiles = append(r.info.RunFiles, runFile{Paths: cands, Make: true, Line: r.line, Text: r.text})
		}
		return
	}
	for _, f := range files {
		if rel, ok := r.ctxPath(dir, f); ok {
			r.info.RunFiles = append(r.info.RunFiles, runFile{Paths: []string{rel}, Make: true, Line: r.line, Text: r.text})
		}
	}
}

// goValueFlags are the go build flags that take a separate value.
var goValueFlags = map[string]bool{
	"-o": true, "-p": true, "-C": true, "-asmflags": true, "-buildmode": true, "-compiler": true,
	"-gccgoflags": true, "-gcflags": true, "-installsuffix": true, "-ldflags": true, "-mod": true,
	"-modfile": true, "-overlay": true, "-pgo": true, "-pkgdir": true, "-tags": true, "-toolexec": true,
	"-exec": true, "-covermode": true, "-coverpkg": true,
}

// goCmd reads go build, go install and go run: the packages they build, relative to the working
// directory (or -C).
func (r *runReader) goCmd(args []string, cwd string) {
	if len(args) == 0 {
		return
	}
	sub := args[0]
	if sub != "build" && sub != "install" && sub != "run" {
		return
	}
	dir := cwd
	var pkgs []string
	for i := 1; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			continue
		}
		if strings.HasPrefix(a, "-") {
			flag, _, hasVal := strings.Cut(strings.Replace(a, "--", "-", 1), "=")
			if goValueFlags[flag] && !hasVal && i+1 < len(args) {
				i++
				if flag == "-C" {
					dir = absIn(dir, args[i])
				}
			} else if flag == "-C" && hasVal {
				dir = absIn(dir, a[strings.Index(a, "=")+1:])
			}
			continue
		}
		pkgs = append(pkgs, a)
		if sub == "run" {
			break // the rest are the program's arguments
		}
	}
	if len(pkgs) == 0 {
		pkgs = []string{"."}
	}
	for _, p := range pkgs {
		switch {
		case strings.Contains(p, unknownWord):
			r.unresolved("go", fmt.Sprintf("go %s of a package only the build knows", sub))
		case strings.Contains(p, "@"):
			// go install example.com/x@v1: a module from the proxy, nothing of the context
		case strings.Contains(p, "..."):
			r.unresolved("go", fmt.Sprintf("go %s %s builds every package the pattern matches", sub, p))
		case strings.HasSuffix(p, ".go"):
			// go build ./cmd/x/main.go, go run main.go: go builds just the files named, but their
			// directory's package (what its imports reach) holds them, a safe over-selection.
			if rel, ok := r.ctxPath(dir, path.Dir(p)); ok {
				r.build(runBuild{Lang: "go", Package: rel})
			}
		case p == "." || p == ".." || strings.HasPrefix(p, "./") || strings.HasPrefix(p, "../") || path.IsAbs(p):
			if rel, ok := r.ctxPath(dir, p); ok {
				r.build(runBuild{Lang: "go", Package: rel})
			}
		case strings.Contains(strings.SplitN(p, "/", 2)[0], "."):
			if _, ok := r.ctxPath(dir, "."); ok {
				r.build(runBuild{Lang: "go", Package: p, Import: true})
			}
		}
	}
}

// jsTool unwraps runners (npx turbo, pnpm exec nx, yarn dlx turbo, pnpm turbo) to the tool they run.
func jsTool(args []string) []string {
	for i := 0; i < 4 && len(args) > 0; i++ {
		switch path.Base(args[0]) {
		case "npx", "pnpx", "bunx":
			args = args[1:]
			for len(args) > 0 && strings.HasPrefix(args[0], "-") {
				args = args[1:]
			}
			continue
		case "pnpm", "yarn", "npm", "bun":
			if len(args) > 1 {
				switch args[1] {
				case "exec", "dlx", "x":
					args = args[2:]
					for len(args) > 0 && strings.HasPrefix(args[0], "-") {
						args = args[1:]
					}
					continue
				case "turbo", "nx", "lerna":
					args = args[1:]
					continue
				}
			}
		}
		break
	}
	return args
}

// flagValues collects the values of a flag given as --name=v, --name v, or a short -x v / -xv.
func flagValues(args []string, long, short string) (vals []string, rest []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return vals, append(rest, args[i:]...)
		case a == long || (short != "" && a == short):
			if i+1 < len(args) {
				vals = append(vals, args[i+1])
				i++
			}
		case strings.HasPrefix(a, long+"="):
			vals = append(vals, a[len(long)+1:])
		case short != "" && strings.HasPrefix(a, short+"="):
			vals = append(vals, a[len(short)+1:])
		default:
			rest = append(rest, a)
		}
	}
	return vals, rest
}

func positionals(args []string) []string {
	var out []string
	for _, a := range args {
		if a == "--" {
			break
		}
		if !strings.HasPrefix(a, "-") {
			out = append(out, a)
		}
	}
	return out
}

func hasFlag(args []string, names ...string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		if slices.Contains(names, a) {
			return true
		}
	}
	return false
}

// filter reads a pnpm, turbo or bun --filter selector: a package name, or a directory ({./apps/web},
// ./apps/web), with "..." for its dependencies (already part of a closure). Selectors for dependents,
// globs, git ranges and exclusions cannot be narrowed to.
func (r *runReader) filter(f, cwd, tool string) {
	orig := f
	f = strings.TrimSuffix(f, "...")
	f = strings.TrimSuffix(f, "^")
	switch {
	case f == "" || strings.Contains(f, unknownWord):
		r.unresolved("js", fmt.Sprintf("%s --filter %q is only known at build time", tool, orig))
		return
	case strings.HasPrefix(f, "...") || strings.HasPrefix(f, "!") || strings.ContainsAny(f, "*[") || strings.HasSuffix(f, "]"):
		r.unresolved("js", fmt.Sprintf("%s --filter %q selects packages narrowing cannot name", tool, orig))
		return
	}
	if strings.HasPrefix(f, "{") && strings.HasSuffix(f, "}") {
		f = strings.TrimSuffix(strings.TrimPrefix(f, "{"), "}")
		r.jsDir(cwd, f, tool, orig)
		return
	}
	if strings.HasPrefix(f, ".") || strings.HasPrefix(f, "/") {
		r.jsDir(cwd, f, tool, orig)
		return
	}
	r.build(runBuild{Lang: "js", Package: f})
}

func (r *runReader) jsDir(cwd, p, tool, orig string) {
	if rel, ok := r.ctxPath(cwd, p); ok {
		r.build(runBuild{Lang: "js", Package: rel, Dir: true})
		return
	}
	r.unresolved("js", fmt.Sprintf("%s %s is not in the whole-context copy", tool, orig))
}

// pkgByCwd records the package whose directory a package manager runs in, when that is not the
// root of the whole-context copy.
func (r *runReader) pkgByCwd(cwd string) {
	if rel, ok := r.ctxPath(cwd, "."); ok && rel != "." {
		r.build(runBuild{Lang: "js", Package: rel, Dir: true})
	}
}

// jsCmd reads the workspace tools: turbo, nx, lerna, and the package managers' workspace flags.
func (r *runReader) jsCmd(args []string, cwd string) {
	args = jsTool(args)
	if len(args) == 0 {
		return
	}
	tool, rest := path.Base(args[0]), args[1:]
	switch tool {
	case "turbo":
		r.turbo(rest, cwd)
	case "nx":
		r.nx(rest, cwd)
	case "lerna":
		scopes, _ := flagValues(rest, "--scope", "")
		if len(scopes) == 0 {
			if p := positionals(rest); len(p) > 0 && (p[0] == "run" || p[0] == "exec") {
				r.unresolved("js", "lerna "+p[0]+" without --scope runs in every package")
			}
			return
		}
		for _, s := range scopes {
			r.filter(s, cwd, "lerna --scope")
		}
	case "pnpm":
		filters, rest2 := flagValues(rest, "--filter", "-F")
		if len(filters) > 0 {
			for _, f := range filters {
				r.filter(f, cwd, "pnpm")
			}
			return
		}
		if hasFlag(rest2, "-r", "--recursive") {
			if p := positionals(rest2); len(p) > 0 && p[0] != "install" && p[0] != "i" && p[0] != "fetch" {
				r.unresolved("js", "pnpm -r "+p[0]+" runs in every workspace package")
			}
			return
		}
		r.pkgByCwd(cwd)
	case "npm":
		ws, rest2 := flagValues(rest, "--workspace", "-w")
		if len(ws) > 0 {
			for _, w := range ws {
				if strings.Contains(w, unknownWord) {
					r.unresolved("js", "npm --workspace is only known at build time")
				} else if strings.HasPrefix(w, ".") || strings.Contains(w, "/") && !strings.HasPrefix(w, "@") {
					r.jsDir(cwd, w, "npm --workspace", w)
				} else {
					r.build(runBuild{Lang: "js", Package: w})
				}
			}
			return
		}
		if hasFlag(rest2, "--workspaces", "-ws") {
			r.unresolved("js", "npm --workspaces runs in every workspace package")
			return
		}
		r.pkgByCwd(cwd)
	case "yarn":
		p := positionals(rest)
		switch {
		case len(p) >= 2 && p[0] == "workspace":
			if strings.Contains(p[1], unknownWord) {
				r.unresolved("js", "yarn workspace of a package only the build knows")
			} else {
				r.build(runBuild{Lang: "js", Package: p[1]})
			}
		case len(p) >= 2 && p[0] == "workspaces" && p[1] == "focus":
			if len(p) == 2 {
				r.pkgByCwd(cwd)
			}
			for _, n := range p[2:] {
				r.build(runBuild{Lang: "js", Package: n})
			}
		case len(p) >= 2 && p[0] == "workspaces" && p[1] == "foreach":
			from, _ := flagValues(rest, "--from", "")
			if len(from) == 0 {
				r.unresolved("js", "yarn workspaces foreach runs in every workspace package")
			}
			for _, f := range from {
				r.filter(f, cwd, "yarn workspaces foreach --from")
			}
		default:
			r.pkgByCwd(cwd)
		}
	case "bun":
		filters, _ := flagValues(rest, "--filter", "-F")
		for _, f := range filters {
			r.filter(f, cwd, "bun")
		}
		if len(filters) == 0 {
			r.pkgByCwd(cwd)
		}
	}
}

// turboCommands are turbo's subcommands that are not task runs.
var turboCommands = map[string]bool{
	"login": true, "logout": true, "link": true, "unlink": true, "daemon": true, "telemetry": true,
	"gen": true, "generate": true, "ls": true, "info": true, "query": true, "scan": true, "bin": true,
	"completion": true, "boundaries": true, "watch": false, "devtools": true, "docs": true,
}

// turboValueFlags are turbo flags that take a separate value, so that it is not read as a package.
var turboValueFlags = []string{"--out-dir", "--cache-dir", "--concurrency", "--output-logs", "--log-order",
	"--env-mode", "--team", "--token", "--api", "--login", "--cwd", "--heap", "--log-prefix", "--profile",
	"--remote-cache-timeout", "--cache", "--graph", "--summarize", "--ui", "--root-turbo-json"}

func (r *runReader) turbo(args []string, cwd string) {
	for _, f := range turboValueFlags {
		_, args = flagValues(args, f, "")
	}
	scopes, rest := flagValues(args, "--scope", "")
	filters, rest := flagValues(rest, "--filter", "-F")
	p := positionals(rest)
	if len(p) == 0 {
		return
	}
	if p[0] == "prune" {
		names := append(p[1:], scopes...)
		if len(names) == 0 {
			r.unresolved("js", "turbo prune without a package")
		}
		for _, n := range names {
			r.filter(n, cwd, "turbo prune")
		}
		return
	}
	if turboCommands[p[0]] {
		return
	}
	sel := append(filters, scopes...)
	if len(sel) == 0 {
		r.unresolved("js", "turbo "+p[0]+" without --filter runs in every workspace package")
		return
	}
	for _, f := range sel {
		r.filter(f, cwd, "turbo")
	}
}

func (r *runReader) nx(args []string, cwd string) {
	projects, rest := flagValues(args, "--projects", "-p")
	projects2, rest := flagValues(rest, "--project", "")
	projects = append(projects, projects2...)
	p := positionals(rest)
	if len(p) == 0 {
		return
	}
	var names []string
	for _, v := range projects {
		names = append(names, strings.Split(v, ",")...)
	}
	switch p[0] {
	case "run-many":
		if len(names) == 0 {
			r.unresolved("js", "nx run-many without --projects runs in every project")
			return
		}
	case "affected", "graph", "reset", "daemon", "show", "list", "report", "init", "migrate", "format", "format:write", "format:check", "connect", "login", "logout", "sync", "release", "repair", "watch":
		if p[0] == "affected" {
			r.unresolved("js", "nx affected runs in the projects a git range touches")
		}
		return
	case "run", "exec":
		if len(p) > 1 && len(names) == 0 {
			proj, _, _ := strings.Cut(p[1], ":")
			names = append(names, proj)
		}
	default:
		// nx build web, nx run web:build, nx web:build
		switch {
		case len(names) > 0:
		case strings.Contains(p[0], ":"):
			proj, _, _ := strings.Cut(p[0], ":")
			names = append(names, proj)
		case len(p) > 1:
			names = append(names, p[1])
		default:
			r.pkgByCwd(cwd)
		}
	}
	for _, n := range names {
		if strings.Contains(n, unknownWord) || n == "" {
			r.unresolved("js", "nx of a project only the build knows")
			continue
		}
		r.build(runBuild{Lang: "js", Package: n})
	}
}

// wholeDest records where a COPY or ADD of the whole context lands in the stage.
func wholeDest(sfs *stageFS, lex *shell.Lex, env *envMap, srcs []string, dest string, line int) {
	for _, raw := range srcs {
		src, err := expand(lex, raw, env)
		if err != nil || !isWholeSource(src) {
			continue
		}
		d, err := expand(lex, dest, env)
		if err != nil || strings.Contains(d, unknownValue) {
			return
		}
		sfs.wholes = append(sfs.wholes, wholeCopy{dest: sfs.abs(d), line: line})
		return
	}
}
