package discover

import (
	"fmt"
	"path"
	"regexp"
	"strings"

	"mvdan.cc/sh/v3/syntax"

	"github.com/monoctx/monoctx/internal/memo"
)

// part is a piece of a shell word: literal text, or a variable whose value is unknown.
type part struct {
	lit string
	v   string // the unresolved variable ("" for a literal)
}

// word is a shell word after expansion of what is known.
type word []part

func litWord(s string) word { return word{{lit: s}} }

// resolved reports whether the word has no unknown part.
func (w word) resolved() bool {
	for _, p := range w {
		if p.v != "" {
			return false
		}
	}
	return true
}

// String shows the word, unknown parts as $VAR.
func (w word) String() string {
	var b strings.Builder
	for _, p := range w {
		if p.v != "" {
			b.WriteString("$" + p.v)
		} else {
			b.WriteString(p.lit)
		}
	}
	return b.String()
}

// text is the word's literal value; ok is false when a part is unknown.
func (w word) text() (string, bool) {
	if !w.resolved() {
		return "", false
	}
	var b strings.Builder
	for _, p := range w {
		b.WriteString(p.lit)
	}
	return b.String(), true
}

// bind replaces unknown parts with the values in b; parts b lacks stay unknown.
func (w word) bind(b map[string]string) word {
	out := make(word, 0, len(w))
	for _, p := range w {
		if v, ok := b[p.v]; ok && p.v != "" {
			out = append(out, part{lit: v})
			continue
		}
		out = append(out, p)
	}
	return out
}

// pattern is a regular expression matching the word's possible values, each unknown part a
// capture group named after its variable (repeated variables must match the same text).
func (w word) pattern() (*regexp.Regexp, []string) {
	var b strings.Builder
	var vars []string
	b.WriteString("^")
	for _, p := range w {
		if p.v == "" {
			b.WriteString(regexp.QuoteMeta(p.lit))
			continue
		}
		b.WriteString(`([^/]+)`)
		vars = append(vars, p.v)
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String()), vars
}

// command is one simple command found in a shell program, its words expanded as far as the
// program's own assignments allow.
type command struct {
	args []word
	line int
	dir  word // the working directory a `cd` set, relative to the start directory; nil if unchanged
	// piped holds the words of the commands that feed this one through a pipe (`gen | docker build -`).
	piped []word
}

// shellEnv holds the values a shell program gave its variables, as far as they are literal.
type shellEnv struct {
	vals map[string]word
	// special expands what the caller knows ($0's directory, `git rev-parse --show-toplevel`).
	special func(cs *syntax.CmdSubst, env *shellEnv) (word, bool)
}

func (e *shellEnv) clone() *shellEnv {
	c := &shellEnv{vals: make(map[string]word, len(e.vals)), special: e.special}
	for k, v := range e.vals {
		c.vals[k] = v
	}
	return c
}

// shellCommands parses a shell program and returns its simple commands, with `for` loops over
// literal lists unrolled and literal assignments applied. lineOffset is added to every line.
func shellCommands(src, name string, env *shellEnv, lineOffset int) ([]command, error) {
	f, err := parseShell(src, name)
	if err != nil {
		return nil, err
	}
	w := &shellWalker{offset: lineOffset}
	w.stmts(f.Stmts, env, nil, nil)
	return w.out, nil
}

type shellWalker struct {
	out    []command
	offset int
	depth  int
}

func (w *shellWalker) stmts(list []*syntax.Stmt, env *shellEnv, dir word, piped []word) word {
	for _, s := range list {
		dir = w.cmd(s.Cmd, env, dir, piped)
	}
	return dir
}

// cmd walks one command; it returns the working directory after it.
func (w *shellWalker) cmd(c syntax.Command, env *shellEnv, dir word, piped []word) word {
	if w.depth > 20 || len(w.out) > 10000 {
		return dir // pathological nesting or loop products: enough is known
	}
	w.depth++
	defer func() { w.depth-- }()
	switch c := c.(type) {
	case *syntax.CallExpr:
		if len(c.Args) == 0 {
			for _, a := range c.Assigns {
				env.assign(a)
			}
			return dir
		}
		args := make([]word, 0, len(c.Args))
		for _, a := range c.Args {
			ex := env.expand(a)
			if loneParam(a) {
				// An unquoted $VAR is split into fields, as the shell does: the command may be
				// in a variable (OCI_BUILD="DOCKER_BUILDKIT=1 docker build"; $OCI_BUILD -t …).
				if s, ok := ex.text(); ok {
					for _, f := range strings.Fields(s) {
						args = append(args, litWord(f))
					}
					continue
				}
			}
			args = append(args, ex)
		}
		if len(args) == 0 {
			return dir
		}
		if name, _ := args[0].text(); name == "cd" && len(args) == 2 {
			if d, ok := args[1].text(); ok && !path.IsAbs(d) {
				base, _ := dir.text()
				return litWord(path.Join(base, d))
			}
			if !path.IsAbs(args[1].String()) {
				return args[1] // unknown, but perhaps bound later
			}
			return dir
		}
		w.out = append(w.out, command{args: args, line: int(c.Pos().Line()) + w.offset, dir: dir, piped: piped})
	case *syntax.DeclClause:
		for _, a := range c.Args {
			env.assign(a)
		}
	case *syntax.BinaryCmd:
		if c.Op == syntax.Pipe || c.Op == syntax.PipeAll {
			before := len(w.out)
			w.cmd(c.X.Cmd, env, dir, piped)
			var feed []word
			for _, o := range w.out[before:] {
				feed = append(feed, o.args...)
			}
			w.cmd(c.Y.Cmd, env, dir, append(append([]word{}, piped...), feed...))
			return dir
		}
		dir = w.cmd(c.X.Cmd, env, dir, piped)
		return w.cmd(c.Y.Cmd, env, dir, piped)
	case *syntax.Block:
		return w.stmts(c.Stmts, env, dir, piped)
	case *syntax.Subshell:
		w.stmts(c.Stmts, env.clone(), dir, piped)
	case *syntax.IfClause:
		for cl := c; cl != nil; cl = cl.Else {
			w.stmts(cl.Cond, env, dir, piped)
			w.stmts(cl.Then, env, dir, piped)
		}
	case *syntax.WhileClause:
		w.stmts(c.Cond, env, dir, piped)
		w.stmts(c.Do, env, dir, piped)
	case *syntax.CaseClause:
		for _, it := range c.Items {
			w.stmts(it.Stmts, env, dir, piped)
		}
	case *syntax.FuncDecl:
		if c.Body != nil {
			w.cmd(c.Body.Cmd, env.clone(), dir, piped)
		}
	case *syntax.ForClause:
		it, ok := c.Loop.(*syntax.WordIter)
		if !ok {
			w.stmts(c.Do, env, dir, piped)
			return dir
		}
		var items []word
		for _, x := range it.Items {
			ex := env.expand(x)
			if s, ok := ex.text(); ok {
				for _, f := range strings.Fields(s) {
					items = append(items, litWord(f))
				}
				continue
			}
			items = append(items, ex)
		}
		if len(items) == 0 || len(items) > 64 {
			// Unknown items: the loop variable stays unknown.
			w.stmts(c.Do, env, dir, piped)
			return dir
		}
		for _, item := range items {
			e := env.clone()
			e.vals[it.Name.Value] = item
			w.stmts(c.Do, e, dir, piped)
		}
	}
	return dir
}

// loneParam reports whether a word is one unquoted parameter expansion ($X, ${X}).
func loneParam(w *syntax.Word) bool {
	if len(w.Parts) != 1 {
		return false
	}
	_, ok := w.Parts[0].(*syntax.ParamExp)
	return ok
}

func (e *shellEnv) assign(a *syntax.Assign) {
	if a.Name == nil || a.Array != nil || a.Index != nil {
		return
	}
	if a.Value == nil {
		if !a.Naked {
			e.vals[a.Name.Value] = litWord("")
		}
		return
	}
	v := e.expand(a.Value)
	if a.Append {
		v = append(append(word{}, e.get(a.Name.Value)...), v...)
	}
	e.vals[a.Name.Value] = v
}

func (e *shellEnv) get(name string) word {
	if v, ok := e.vals[name]; ok {
		return v
	}
	return word{{v: name}}
}

// expand expands a word as far as literal values are known.
func (e *shellEnv) expand(w *syntax.Word) word {
	var out word
	e.parts(w.Parts, &out)
	return merge(out)
}

func (e *shellEnv) parts(ps []syntax.WordPart, out *word) {
	for _, p := range ps {
		switch p := p.(type) {
		case *syntax.Lit:
			*out = append(*out, part{lit: unescape(p.Value)})
		case *syntax.SglQuoted:
			*out = append(*out, part{lit: p.Value})
		case *syntax.DblQuoted:
			e.parts(p.Parts, out)
		case *syntax.ParamExp:
			*out = append(*out, e.param(p)...)
		case *syntax.CmdSubst:
			if e.special != nil {
				if v, ok := e.special(p, e); ok {
					*out = append(*out, v...)
					continue
				}
			}
			*out = append(*out, part{v: "$(…)"})
		default:
			*out = append(*out, part{v: fmt.Sprintf("%T", p)})
		}
	}
}

func (e *shellEnv) param(p *syntax.ParamExp) word {
	if p.Param == nil {
		return word{{v: "?"}}
	}
	name := p.Param.Value
	v, set := e.vals[name]
	switch {
	case p.Exp != nil && (p.Exp.Op == syntax.DefaultUnset || p.Exp.Op == syntax.DefaultUnsetOrNull):
		if set && (p.Exp.Op == syntax.DefaultUnset || len(v) > 0 && v.String() != "") {
			return v
		}
		if !set && p.Exp.Word != nil {
			// The default applies when nothing set the variable; a caller may still set it.
			return e.expand(p.Exp.Word)
		}
		return v
	case p.Exp != nil || p.Slice != nil || p.Repl != nil || p.Length || p.Excl || p.Index != nil:
		return word{{v: name}}
	}
	if !set {
		return word{{v: name}}
	}
	return v
}

// merge joins adjacent literal parts.
func merge(w word) word {
	var out word
	for _, p := range w {
		if p.v == "" && len(out) > 0 && out[len(out)-1].v == "" {
			out[len(out)-1].lit += p.lit
			continue
		}
		out = append(out, p)
	}
	if out == nil {
		out = word{}
	}
	return out
}

// unescape removes the backslashes of an unquoted literal.
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// parseWord parses one shell word, as it would be read in a command line.
func parseWord(s string) (*syntax.Word, bool) {
	f, err := syntax.NewParser().Parse(strings.NewReader("x "+s), "")
	if err != nil || len(f.Stmts) != 1 {
		return nil, false
	}
	c, ok := f.Stmts[0].Cmd.(*syntax.CallExpr)
	if !ok || len(c.Args) != 2 {
		return nil, false
	}
	return c.Args[1], true
}

// shellKey is one program of one file.
type shellKey struct{ src, name string }

// shellParses keeps each program's syntax tree for the run: the definitions at base are mostly
// the head's files again (a large repository's Makefile recipes were parsed twice). Bounded by the
// source kept, for processes that load many repositories.
var shellParses = memo.New[shellKey, *syntax.File](16 << 20)

// parseShell is bash's syntax tree of src, parsed once per run. The tree is shared: nothing may
// change it.
func parseShell(src, name string) (*syntax.File, error) {
	return shellParses.Do(shellKey{src, name}, len(src), func() (*syntax.File, error) {
		return syntax.NewParser(syntax.Variant(syntax.LangBash)).Parse(strings.NewReader(src), name)
	})
}
