package graph

import (
	"bytes"
	"errors"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"

	"github.com/monoctx/monoctx/graph/discover"
)

// ParseError is a Dockerfile, compose, skaffold, bake or config error with its position: the one
// error type of discovery and analysis, "file:line: message".
type ParseError = discover.Error

// Source is one context path a Dockerfile reads: a COPY/ADD source or a RUN bind-mount source.
type Source struct {
	Path    string   // context-relative, slash-separated, cleaned; may hold Docker wildcards; "." is the whole context
	Line    int      // 1-based line of the instruction
	Text    string   // the instruction as written, on one line
	Kind    string   // "copy", "add", "mount", or "from" for a FROM of a named context
	Exclude []string // COPY/ADD --exclude patterns, relative to the source
	// From is the name a source is read from when that name is not a stage: an image, or a named
	// build context (--build-context, compose additional_contexts, bake contexts) when the app has one.
	From string
}

// dockerfileInfo is what monoctx reads out of one Dockerfile for one target and set of build args.
type dockerfileInfo struct {
	Sources []Source
	// Whole is set when the whole context reaches the build (COPY . ., a bind mount without a source,
	// a tmpfs mount): BuildKit then drops its path filter.
	Whole *Source
	// Named are the sources read from names that are not stages (COPY --from, RUN --mount from=,
	// FROM), which matter when the app defines a named context of that name.
	Named []Source
	// FromWhole are context paths a stage copies by path out of another stage's whole-context copy
	// (COPY --from=builder /app/lingui.config.ts . after COPY . /app): narrowing keeps them.
	FromWhole []Source
	// Builds are the packages RUN lines after a whole-context copy build (dockerrun.go).
	Builds []runBuild
	// RunFiles are the context files those RUN lines run: Makefiles and scripts.
	RunFiles []runFile
}

// platformArgs are BuildKit's automatic platform ARGs. The platform of a future build is unknown here,
// so a source that uses one is treated as a wildcard over every platform: over-select, never miss.
var platformArgs = []string{
	"TARGETPLATFORM", "TARGETOS", "TARGETARCH", "TARGETVARIANT",
	"BUILDPLATFORM", "BUILDOS", "BUILDARCH", "BUILDVARIANT",
}

// unknownValue stands for a value only known at build time; it becomes "*" in a source.
const unknownValue = "\x00unknown\x00"

// analyzeDockerfile reads the context sources of every stage reachable from target (the last stage
// when target is empty), expanding ARGs from their defaults and args, as BuildKit's dockerfile2llb does.
func analyzeDockerfile(name string, data []byte, args map[string]string, target string) (*dockerfileInfo, error) {
	res, err := parser.Parse(bytes.NewReader(data))
	if err != nil {
		return nil, dockerfileError(name, err, 0)
	}
	var stages []instructions.Stage
	var metaArgs []instructions.ArgCommand
	for _, n := range res.AST.Children {
		cmd, err := instructions.ParseInstruction(n)
		if err != nil {
			return nil, dockerfileError(name, err, n.StartLine)
		}
		switch c := cmd.(type) {
		case *instructions.Stage:
			stages = append(stages, *c)
		case *instructions.ArgCommand:
			if len(stages) == 0 {
				metaArgs = append(metaArgs, *c)
				continue
			}
			stages[len(stages)-1].AddCommand(c)
		case instructions.Command:
			if len(stages) == 0 {
				return nil, &ParseError{File: name, Line: n.StartLine, Msg: fmt.Sprintf("%s before the first FROM", strings.ToUpper(n.Value))}
			}
			stages[len(stages)-1].AddCommand(c)
		}
	}
	if len(stages) == 0 {
		return nil, &ParseError{File: name, Msg: "no FROM instruction: not a Dockerfile"}
	}
	lex := shell.NewLex(res.EscapeToken)

	// Global ARGs (before the first FROM) are visible to FROM lines, and to stages that redeclare them.
	global := newEnv()
	for _, p := range platformArgs {
		global.set(p, unknownValue)
	}
	for i := range metaArgs {
		for _, kv := range metaArgs[i].Args {
			v, ok := args[kv.Key]
			if !ok && kv.Value != nil {
				ex, err := expand(lex, *kv.Value, global)
				if err != nil {
					return nil, argError(name, &metaArgs[i], err)
				}
				v, ok = ex, true
			}
			if ok {
				global.set(kv.Key, v)
			} else {
				global.declare(kv.Key)
			}
		}
	}

	byName := map[string]int{}
	for i, st := range stages {
		if st.Name != "" {
			byName[strings.ToLower(st.Name)] = i
		}
	}
	stageRef := func(ref string, before int) (int, bool) {
		if i, ok := byName[strings.ToLower(ref)]; ok && i < before {
			return i, true
		}
		if n, err := strconv.Atoi(ref); err == nil && n >= 0 && n < before {
			return n, true
		}
		return 0, false
	}

	last := len(stages) - 1
	if target != "" {
		i, ok := byName[strings.ToLower(target)]
		if !ok {
			return nil, &ParseError{File: name, Msg: fmt.Sprintf("target stage %q not found", target)}
		}
		last = i
	}

	// Every stage is read in order (a base stage always comes first, so ENV can be inherited), then
	// only the stages reachable from the target through FROM, COPY --from and RUN --mount from= count.
	type stageInfo struct {
		info dockerfileInfo
		deps []int
		env  *envMap
		fs   *stageFS
		err  error
	}
	per := make([]stageInfo, len(stages))
	for si := range stages {
		st := &stages[si]
		s := &per[si]
		s.env = newEnv()
		s.fs = &stageFS{workdir: "/"}
		s.err = func() error {
			base, err := expand(lex, st.BaseName, global)
			if err != nil {
				return &ParseError{File: name, Line: rangeLine(st.Location), Msg: printable(err.Error()), Err: err}
			}
			if dep, ok := stageRef(base, si); ok {
				s.deps = append(s.deps, dep)
				if per[dep].env != nil {
					for _, k := range per[dep].env.keys {
						s.env.set(k, per[dep].env.vals[k])
					}
				}
				if per[dep].fs != nil {
					s.fs = per[dep].fs.clone()
				}
			} else if base != "scratch" {
				line := rangeLine(st.Location)
				s.info.Named = append(s.info.Named, Source{Path: ".", Line: line, Text: "FROM " + st.BaseName, Kind: "from", From: base})
			}
			stageFSOf := func(i int) *stageFS { return per[i].fs }
			return readStage(&s.info, &s.deps, s.env, s.fs, stageFSOf, st, si, name, lex, args, global, stageRef)
		}()
	}
	info := &dockerfileInfo{}
	seen := map[int]bool{}
	queue := []int{last}
	for len(queue) > 0 {
		si := queue[0]
		queue = queue[1:]
		if seen[si] {
			continue
		}
		seen[si] = true
		if per[si].err != nil {
			return nil, per[si].err
		}
		info.Sources = append(info.Sources, per[si].info.Sources...)
		info.Named = append(info.Named, per[si].info.Named...)
		info.FromWhole = append(info.FromWhole, per[si].info.FromWhole...)
		info.Builds = append(info.Builds, per[si].info.Builds...)
		info.RunFiles = append(info.RunFiles, per[si].info.RunFiles...)
		if w := per[si].info.Whole; w != nil && (info.Whole == nil || w.Line < info.Whole.Line) {
			info.Whole = w
		}
		queue = append(queue, per[si].deps...)
	}
	sort.SliceStable(info.Named, func(i, j int) bool { return info.Named[i].Line < info.Named[j].Line })
	sort.SliceStable(info.FromWhole, func(i, j int) bool { return info.FromWhole[i].Line < info.FromWhole[j].Line })
	sort.SliceStable(info.Builds, func(i, j int) bool { return info.Builds[i].Line < info.Builds[j].Line })
	sort.SliceStable(info.RunFiles, func(i, j int) bool { return info.RunFiles[i].Line < info.RunFiles[j].Line })
	sort.SliceStable(info.Sources, func(i, j int) bool {
		a, b := info.Sources[i], info.Sources[j]
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Path < b.Path
	})
	return info, nil
}

// addSources records context sources; env nil means the values are already expanded.
func addSources(info *dockerfileInfo, name string, lex *shell.Lex, env *envMap, srcs, excludes []string, kind string, line int, text string) error {
	for _, raw := range srcs {
		src := raw
		if env != nil {
			var err error
			if src, err = expand(lex, raw, env); err != nil {
				return &ParseError{File: name, Line: line, Msg: expandMessage(strings.ToUpper(kindWord(kind))+" source", raw, err), Err: err}
			}
		}
		src = strings.ReplaceAll(src, unknownValue, "*")
		if escapesContext(src) {
			return &ParseError{File: name, Line: line, Msg: fmt.Sprintf("%s source %q leaves the build context", strings.ToUpper(kindWord(kind)), raw)}
		}
		p := strings.TrimPrefix(path.Join("/", src), "/")
		if p == "" {
			p = "."
		}
		s := Source{Path: p, Line: line, Text: text, Kind: kind, Exclude: excludes}
		if p == "." {
			setWhole(info, s)
		}
		info.Sources = append(info.Sources, s)
	}
	return nil
}

// namedPath cleans a source read from a named context the way BuildKit resolves it: inside that
// context, whatever the number of "..".
func namedPath(src string) string {
	p := strings.TrimPrefix(path.Join("/", strings.ReplaceAll(src, unknownValue, "*")), "/")
	if p == "" {
		return "."
	}
	return p
}

func setWhole(info *dockerfileInfo, s Source) {
	if info.Whole == nil {
		info.Whole = &s
	}
}

func kindWord(kind string) string {
	if kind == "mount" {
		return "RUN --mount"
	}
	return kind
}

// escapesContext reports a source that climbs above the context root. BuildKit silently strips the
// leading "../", the legacy builder refuses the build; either way the author meant a file we cannot see.
func escapesContext(src string) bool {
	if strings.HasPrefix(src, "/") {
		return false
	}
	depth := 0
	for _, part := range strings.Split(src, "/") {
		switch part {
		case "", ".":
		case "..":
			depth--
			if depth < 0 {
				return true
			}
		default:
			depth++
		}
	}
	return false
}

func isRemote(src string) bool {
	return strings.Contains(src, "://") || strings.HasPrefix(src, "git@")
}

func expand(lex *shell.Lex, word string, env *envMap) (string, error) {
	out, _, err := lex.ProcessWord(word, env)
	return out, err
}

// expandMessage says what is wrong with a source whose variables cannot be expanded. BuildKit's
// lexer reports "${X" at the end of the word as an unsupported modifier named by an unprintable
// character.
func expandMessage(what, raw string, err error) string {
	msg := err.Error()
	if i := strings.Index(msg, "unsupported modifier ("); i >= 0 {
		r, _ := utf8.DecodeRuneInString(msg[i+len("unsupported modifier ("):])
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			return fmt.Sprintf("%s %q: a ${ is not closed; add the missing \"}\"", what, raw)
		}
	}
	return printable(msg)
}

// printable writes the unprintable characters of a message as Go escapes ("\x00").
func printable(msg string) string {
	if strings.IndexFunc(msg, func(r rune) bool { return !unicode.IsPrint(r) }) < 0 {
		return msg
	}
	var b strings.Builder
	for _, r := range msg {
		if unicode.IsPrint(r) {
			b.WriteRune(r)
		} else {
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		}
	}
	return b.String()
}

func argError(name string, c *instructions.ArgCommand, err error) error {
	return &ParseError{File: name, Line: rangeLine(c.Location()), Msg: printable(err.Error()), Err: err}
}

func dockerfileError(name string, err error, line int) error {
	var le *parser.LocationError
	if errors.As(err, &le) && len(le.Locations) > 0 && len(le.Locations[0]) > 0 {
		line = le.Locations[0][0].Start.Line
	}
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "dockerfile parse error on line "+strconv.Itoa(line)+": ")
	return &ParseError{File: name, Line: line, Msg: printable(msg), Err: err}
}

func rangeLine(r []parser.Range) int {
	if len(r) == 0 {
		return 0
	}
	return r[0].Start.Line
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 120 {
		s = s[:117] + "..."
	}
	return s
}

// envMap is the variable scope used for expansion (shell.EnvGetter). Declared-but-unset variables
// expand to the empty string, as in BuildKit.
type envMap struct {
	vals map[string]string
	keys []string
}

func newEnv() *envMap { return &envMap{vals: map[string]string{}} }

func (e *envMap) set(k, v string) {
	if _, ok := e.vals[k]; !ok {
		e.keys = append(e.keys, k)
	}
	e.vals[k] = v
}

func (e *envMap) declare(k string) {
	if _, ok := e.vals[k]; !ok {
		e.keys = append(e.keys, k)
		e.vals[k] = ""
	}
}

func (e *envMap) get(k string) (string, bool) { v, ok := e.vals[k]; return v, ok }

// Get implements shell.EnvGetter.
func (e *envMap) Get(k string) (string, bool) { return e.get(k) }

// Keys implements shell.EnvGetter.
func (e *envMap) Keys() []string { return e.keys }

// readStage collects one stage's context sources and the stages it reads from.
func readStage(info *dockerfileInfo, deps *[]int, env *envMap, sfs *stageFS, stageFSOf func(int) *stageFS, st *instructions.Stage, si int, name string,
	lex *shell.Lex, args map[string]string, global *envMap, stageRef func(string, int) (int, bool)) error {
	for _, cmd := range st.Commands {
		switch c := cmd.(type) {
		case *instructions.WorkdirCommand:
			if w, err := expand(lex, c.Path, env); err == nil && !strings.Contains(w, unknownValue) {
				sfs.workdir = sfs.abs(w)
			}
		case *instructions.ArgCommand:
			for _, kv := range c.Args {
				v, ok := args[kv.Key]
				if !ok {
					if kv.Value != nil {
						ex, err := expand(lex, *kv.Value, env)
						if err != nil {
							return argError(name, c, err)
						}
						v, ok = ex, true
					} else if gv, gok := global.get(kv.Key); gok {
						v, ok = gv, true
					}
				}
				if ok {
					env.set(kv.Key, v)
				} else {
					env.declare(kv.Key)
				}
			}
		case *instructions.EnvCommand:
			for _, kv := range c.Env {
				v, err := expand(lex, kv.Value, env)
				if err != nil {
					return &ParseError{File: name, Line: rangeLine(c.Location()), Msg: expandMessage("ENV "+kv.Key, kv.Value, err), Err: err}
				}
				env.set(kv.Key, v)
			}
		case *instructions.CopyCommand:
			line, text := rangeLine(c.Location()), oneLine(c.String())
			from, err := expand(lex, c.From, env)
			if err != nil {
				return &ParseError{File: name, Line: line, Msg: expandMessage("COPY --from", c.From, err), Err: err}
			}
			if from != "" {
				if dep, ok := stageRef(from, si); ok {
					*deps = append(*deps, dep)
					var srcs []string
					for _, raw := range c.SourcePaths {
						if src, err := expand(lex, raw, env); err == nil {
							srcs = append(srcs, src)
						}
					}
					fromWhole(info, stageFSOf(dep), srcs, line, text, name)
					continue
				}
				// An image, or a named context: kept in case the app defines one of that name.
				for _, raw := range c.SourcePaths {
					src, err := expand(lex, raw, env)
					if err != nil {
						return &ParseError{File: name, Line: line, Msg: expandMessage("COPY source", raw, err), Err: err}
					}
					info.Named = append(info.Named, Source{Path: namedPath(src), Line: line, Text: text, Kind: "copy", Exclude: c.ExcludePatterns, From: from})
				}
				continue
			}
			if err := addSources(info, name, lex, env, c.SourcePaths, c.ExcludePatterns, "copy", line, text); err != nil {
				return err
			}
			wholeDest(sfs, lex, env, c.SourcePaths, c.DestPath, line)
		case *instructions.AddCommand:
			line, text := rangeLine(c.Location()), oneLine(c.String())
			var local []string
			for _, src := range c.SourcePaths {
				if !isRemote(src) {
					local = append(local, src)
				}
			}
			if err := addSources(info, name, lex, env, local, c.ExcludePatterns, "add", line, text); err != nil {
				return err
			}
			wholeDest(sfs, lex, env, local, c.DestPath, line)
		case *instructions.RunCommand:
			line, text := rangeLine(c.Location()), oneLine(c.String())
			if err := c.Expand(func(w string) (string, error) { return expand(lex, w, env) }); err != nil {
				return &ParseError{File: name, Line: line, Msg: printable(err.Error()), Err: err}
			}
			for _, m := range instructions.GetMounts(c) {
				switch m.Type {
				case instructions.MountTypeBind:
				case instructions.MountTypeTmpfs:
					// BuildKit records a tmpfs mount as the context path "/" and sends everything (research §3.2).
					setWhole(info, Source{Path: ".", Line: line, Text: text, Kind: "mount"})
					continue
				default:
					continue // cache, secret and ssh mounts read nothing from the context
				}
				if m.From != "" {
					if dep, ok := stageRef(m.From, si); ok {
						*deps = append(*deps, dep)
					} else {
						info.Named = append(info.Named, Source{Path: namedPath(m.Source), Line: line, Text: text, Kind: "mount", From: m.From})
					}
					continue
				}
				if err := addSources(info, name, lex, nil, []string{m.Source}, nil, "mount", line, text); err != nil {
					return err
				}
			}
			readRun(info, sfs, c, env, line, text)
		}
	}
	return nil
}
