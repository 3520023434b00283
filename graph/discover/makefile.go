package discover

import (
	"context"
	"path"
	"regexp"
	"slices"
	"strings"
)

// makefiles reads every Makefile (and *.mk) for build commands in its recipes. Make variables
// come from the file's own assignments and those of the files it includes; recipes run in the
// Makefile's directory; static pattern rules are expanded for each target (so `$*` is known).
func (f *finder) makefiles(ctx context.Context) []Build {
	var out []Build
	included := map[string]bool{}
	for _, mf := range f.tree.makefiles {
		if ctx.Err() != nil {
			return nil
		}
		if included[mf] && strings.HasSuffix(mf, ".mk") {
			continue // read with the Makefile that includes it
		}
		m := &makeFile{f: f, vars: map[string]makeVar{}, seen: map[string]bool{}}
		m.parse(mf, 0)
		for p := range m.seen {
			if p != mf {
				included[p] = true
			}
		}
		for _, r := range m.recipes {
			// A recipe that uses a variable set on a branch monoctx cannot decide (`ifeq
			// ($(CI),true) OCI_BUILD := docker buildx build … else OCI_BUILD := docker build …`)
			// is read once per branch: each is a build make may run.
			m.touched = 0
			m.commands(r, false)
			passes := m.touched
			for k := 0; k == 0 || k < passes; k++ {
				if passes > 0 {
					m.alt = k + 1
				}
				out = append(out, f.recipeBuilds(m, mf, r)...)
			}
			m.alt = 0
		}
	}
	return out
}

// recipeBuilds finds the builds of one recipe.
func (f *finder) recipeBuilds(m *makeFile, mf string, r makeRecipe) []Build {
	var out []Build
	// First with the defaults the Makefile gives (`VAR ?= x`); a command that names no
	// Dockerfile that way is read again with those defaults unknown, as a caller may
	// override them (`make TARGET_OS=windows`), and matched against the repository.
	cmds := m.commands(r, false)
	var again []command
	for i, c := range cmds {
		bc, ok := parseBuildCommand(c.args)
		if !ok {
			f.noteBake(c.args, []word{recipeDir(mf, c)}, mf)
			continue
		}
		builds := f.makeBuilds(bc, c, mf, r, true)
		if len(builds) == 0 {
			if again == nil {
				again = m.commands(r, true)
			}
			if i < len(again) {
				if bc2, ok := parseBuildCommand(again[i].args); ok {
					builds = f.makeBuilds(bc2, again[i], mf, r, false)
				}
			}
			if len(builds) == 0 {
				f.makeBuilds(bc, c, mf, r, false) // for its warning
			}
		}
		out = append(out, builds...)
	}
	return out
}

// commands parses a recipe's shell after expanding its make references; overridable says
// whether `?=` defaults count as unknown.
func (m *makeFile) commands(r makeRecipe, overridable bool) []command {
	m.overridable = overridable
	text := m.expand(r.text, r.auto, 0)
	m.overridable = false
	if !mentionsBuildCmd(text) {
		return nil
	}
	if r.canned {
		text = stripRecipePrefixes(text)
	}
	cmds, err := shellCommands(text, r.file, &shellEnv{vals: map[string]word{}}, r.line-1)
	if err != nil {
		return nil // a recipe make would run, but not shell we can read: nothing to find
	}
	return cmds
}

// makeBuilds resolves one build command of a recipe; quiet drops the warnings (a first try).
func (f *finder) makeBuilds(bc buildCommand, c command, mf string, r makeRecipe, quiet bool) []Build {
	dir := recipeDir(mf, c)
	if quiet {
		saved := len(f.res.Warnings)
		defer func() { f.res.Warnings = f.res.Warnings[:saved] }()
	}
	return f.commandBuildsPiped(bc, c.piped, []word{dir}, SourceMake, r.file, c.line, mf)
}

// recipeDir is where a recipe's command runs: make runs recipes in the directory of the Makefile
// it read, and the command may cd from there.
func recipeDir(mf string, c command) word {
	dir := litWord(path.Dir(mf))
	if len(c.dir) > 0 {
		dir = merge(append(append(slices.Clone(dir), part{lit: "/"}), c.dir...))
	}
	return dir
}

type makeVar struct {
	value     string
	recursive bool // `=`: expanded when used
	deflt     bool // `?=`: a default the caller may override
	// alts are the values the variable may have when it is set on branches of a conditional
	// monoctx cannot decide (value is then unknown): one per branch, in the file's order.
	alts []makeVar
}

// maxAlts bounds the alternatives kept for one variable.
const maxAlts = 8

type makeRecipe struct {
	file string
	line int
	text string            // shell source, make references not yet expanded
	auto map[string]string // $@, $*
	// canned is set for the body of a `define` (a canned recipe): each of its lines may start
	// with make's @, - and + prefixes.
	canned bool
}

type makeFile struct {
	f       *finder
	vars    map[string]makeVar
	recipes []makeRecipe
	seen    map[string]bool
	// overridable makes `?=` defaults expand as unknown.
	overridable bool
	// alt, when above 0, makes variables with alternatives expand to their alt-th (1-based; the
	// last when they have fewer); touched is the most alternatives a variable expanded since
	// it was reset.
	alt, touched int
}

var (
	makeAssignRE  = regexp.MustCompile(`^\s*(?:(?:export|override)\s+)*([A-Za-z_][A-Za-z0-9_.-]*)\s*(::=|:=|\?=|\+=|!=|=)\s*(.*)$`)
	makeIncludeRE = regexp.MustCompile(`^\s*(?:-include|sinclude|include)\s+(.+)$`)
)

// makeCond is one open ifeq/ifdef block.
type makeCond struct {
	taken   bool // the current branch is taken
	done    bool // a branch was taken already
	unknown bool // the condition could not be decided
}

// condKeyword splits a conditional directive line into its keyword and the rest.
func condKeyword(line string) (string, string) {
	for _, kw := range []string{"ifeq", "ifneq", "ifdef", "ifndef", "else", "endif"} {
		if line == kw {
			return kw, ""
		}
		if strings.HasPrefix(line, kw) && (line[len(kw)] == ' ' || line[len(kw)] == '\t' || line[len(kw)] == '(') {
			return kw, strings.TrimSpace(line[len(kw):])
		}
	}
	return "", ""
}

// evalCond decides a conditional: taken, or unknown when a value in it is unknown.
func (m *makeFile) evalCond(kw, rest string) (bool, bool) {
	rest = stripComment(rest)
	switch kw {
	case "ifdef", "ifndef":
		v := strings.TrimSpace(m.expand(rest, nil, 0))
		if strings.Contains(v, "${__MK_") {
			return false, true
		}
		mv, ok := m.vars[v]
		def := ok && mv.value != ""
		return def == (kw == "ifdef"), false
	case "ifeq", "ifneq":
		var a, b string
		if strings.HasPrefix(rest, "(") && strings.HasSuffix(rest, ")") {
			args := splitArgs(rest[1 : len(rest)-1])
			if len(args) != 2 {
				return false, true
			}
			a, b = args[0], args[1]
		} else {
			parts := quotedArgsRE.FindAllStringSubmatch(rest, -1)
			if len(parts) != 2 {
				return false, true
			}
			a, b = parts[0][2]+parts[0][3], parts[1][2]+parts[1][3]
		}
		a, b = strings.TrimSpace(m.expand(a, nil, 0)), strings.TrimSpace(m.expand(b, nil, 0))
		if strings.Contains(a+b, "${__MK_") {
			return false, true
		}
		return (a == b) == (kw == "ifeq"), false
	}
	return false, true
}

// matchIf is re's submatches of line, nil without calling re when line lacks sub (which every match
// of re contains).
func matchIf(line, sub string, re *regexp.Regexp) []string {
	if !strings.Contains(line, sub) {
		return nil
	}
	return re.FindStringSubmatch(line)
}

var quotedArgsRE = regexp.MustCompile(`("([^"]*)"|'([^']*)')`)

// rule is the rule header a recipe belongs to: its targets and, for a static pattern rule, the
// stem of each.
type makeRule struct {
	targets []string
	stems   []string
}

func (m *makeFile) parse(file string, depth int) {
	if depth > 10 || m.seen[file] {
		return
	}
	m.seen[file] = true
	m.f.read(file)
	data, err := m.f.readFile(file)
	if err != nil {
		return
	}
	m.parseText(file, string(data), depth)
}

// parseText reads one Makefile's text: assignments, conditionals, includes and recipes.
func (m *makeFile) parseText(file, text string, depth int) {
	lines := strings.Split(text, "\n")
	var rule *makeRule
	inDefine := false
	defineStart := 0
	var conds []makeCond
	active := func() (bool, bool) { // taken, unknown
		unknown := false
		for _, c := range conds {
			if c.unknown {
				unknown = true
				continue
			}
			if !c.taken {
				return false, false
			}
		}
		return true, unknown
	}
	for i := 0; i < len(lines); i++ {
		start := i + 1
		line := lines[i]
		for strings.HasSuffix(line, `\`) && i+1 < len(lines) {
			i++
			line = line[:len(line)-1] + " " + strings.TrimLeft(lines[i], " \t")
		}
		if inDefine {
			if strings.HasPrefix(strings.TrimSpace(line), "endef") {
				inDefine = false
				// A canned recipe (`define run_in_container` … used as $(run_in_container) or
				// $(call …)) is read where it is defined, once, with the variables known so far:
				// its builds count whichever recipe uses it (an over-selection when none does).
				body := strings.Join(lines[defineStart:start-1], "\n")
				m.recipe(file, defineStart+1, body, &makeRule{}, true)
			}
			continue
		}
		if strings.HasPrefix(line, "\t") && rule != nil {
			m.recipe(file, start, strings.TrimLeft(line[1:], "@-+ \t"), rule, false)
			continue
		}
		// A tab-indented line outside a rule is a make line, as GNU make reads it
		// (`ifeq (…)\n\tOCI_BUILD := docker build\nendif`).
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		if kw, rest := condKeyword(trimmed); kw != "" {
			switch kw {
			case "endif":
				if len(conds) > 0 {
					conds = conds[:len(conds)-1]
				}
			case "else":
				if len(conds) == 0 {
					continue
				}
				c := &conds[len(conds)-1]
				if c.unknown || c.done {
					c.taken = false
					continue
				}
				if rest == "" {
					c.taken, c.done = true, true
					continue
				}
				sub, subRest := condKeyword(rest)
				c.taken, c.unknown = m.evalCond(sub, subRest)
				c.done = c.taken
			default:
				taken, unknown := m.evalCond(kw, rest)
				conds = append(conds, makeCond{taken: taken, unknown: unknown, done: taken})
			}
			continue
		}
		taken, unknownCond := active()
		if !taken {
			continue
		}
		if strings.HasPrefix(trimmed, "define ") {
			inDefine = true
			defineStart = i + 1 // the body starts on the next line (0-based index)
			continue
		}
		// The substring tests are the regexps' prefilters: most lines are neither, and matching
		// each was a tenth of a large Makefile's parse.
		if mm := matchIf(line, "include", makeIncludeRE); mm != nil {
			for _, inc := range strings.Fields(m.expand(mm[1], nil, 0)) {
				if strings.Contains(inc, "${__MK_") {
					continue
				}
				p := cleanRel(path.Join(path.Dir(file), inc))
				if m.f.tree.isFile(p) {
					m.parse(p, depth+1)
				}
			}
			continue
		}
		if mm := matchIf(line, "=", makeAssignRE); mm != nil && !isRuleLine(line, mm) {
			if unknownCond {
				// Set on a branch monoctx cannot decide: its value is unknown (and matched
				// against the repository's files where a build uses it), with this branch's
				// value as one alternative.
				m.assignAlt(mm[1], mm[2], stripComment(mm[3]))
			} else {
				m.assign(mm[1], mm[2], stripComment(mm[3]))
			}
			rule = nil // an assignment ends the recipe before it
			continue
		}
		if k := ruleColon(line); k > 0 {
			head := line[:k]
			rest := line[k+1:]
			r := &makeRule{targets: strings.Fields(m.expand(head, nil, 0))}
			if strings.HasPrefix(rest, ":") {
				rest = rest[1:] // double-colon rule
			}
			if j := strings.IndexByte(rest, ';'); j >= 0 {
				rest = rest[:j] // an inline recipe is rare for builds; ignored
			}
			if j := strings.IndexByte(rest, ':'); j >= 0 {
				// Static pattern rule: targets: target-pattern: prereqs.
				pat := strings.TrimSpace(m.expand(rest[:j], nil, 0))
				if pre, suf, ok := strings.Cut(pat, "%"); ok {
					for _, t := range r.targets {
						if strings.HasPrefix(t, pre) && strings.HasSuffix(t, suf) && len(t) >= len(pre)+len(suf) {
							r.stems = append(r.stems, t[len(pre):len(t)-len(suf)])
						} else {
							r.stems = append(r.stems, "")
						}
					}
				}
			}
			rule = r
			continue
		}
		rule = nil
	}
}

// isRuleLine tells `target: VAR = x` (a target-specific variable) and `a: b` from assignments.
func isRuleLine(line string, mm []string) bool {
	i := strings.Index(line, mm[2])
	before := line[:i]
	return strings.Contains(before, ":") && !strings.HasPrefix(mm[2], ":")
}

// ruleColon is the index of the colon that ends a rule's targets, -1 when the line is no rule.
func ruleColon(line string) int {
	depth := 0
	for i := 0; i < len(line); i++ {
		switch line[i] {
		case '(', '{':
			depth++
		case ')', '}':
			depth--
		case ':':
			if depth == 0 && !(i+1 < len(line) && line[i+1] == '=') {
				return i
			}
		case '#':
			return -1
		}
	}
	return -1
}

func stripComment(s string) string {
	if i := strings.Index(s, " #"); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}

func (m *makeFile) assign(name, op, value string) {
	switch op {
	case "=":
		m.vars[name] = makeVar{value: value, recursive: true}
	case ":=", "::=":
		m.vars[name] = m.simple(value)
	case "?=":
		if _, ok := m.vars[name]; !ok {
			m.vars[name] = makeVar{value: value, recursive: true, deflt: true}
		}
	case "+=":
		old, ok := m.vars[name]
		if !ok {
			m.vars[name] = makeVar{value: value, recursive: true}
			return
		}
		for i, a := range old.alts {
			v := value
			if !a.recursive {
				v = m.expand(value, nil, 0)
			}
			a.value = strings.TrimSpace(a.value + " " + v)
			old.alts[i] = a
		}
		if !old.recursive {
			value = m.expand(value, nil, 0)
		}
		old.value = strings.TrimSpace(old.value + " " + value)
		m.vars[name] = old
	case "!=":
		m.vars[name] = makeVar{value: unknownMake(name)}
	}
}

// simple is the value of `NAME := value`; when value uses variables with alternatives, the new
// variable has the matching alternatives.
func (m *makeFile) simple(value string) makeVar {
	saved := m.touched
	m.touched = 0
	v := makeVar{value: m.expand(value, nil, 0)}
	if n := m.touched; n > 0 && m.alt == 0 {
		for k := 1; k <= n; k++ {
			m.alt = k
			v.alts = append(v.alts, makeVar{value: m.expand(value, nil, 0)})
		}
		m.alt = 0
	}
	m.touched = max(saved, m.touched)
	return v
}

// assignAlt records an assignment on an undecided branch: the variable's value becomes unknown,
// and the value this branch gives one of its alternatives (after the value it had, if known).
func (m *makeFile) assignAlt(name, op, value string) {
	old, had := m.vars[name]
	nv := makeVar{value: unknownMake(name), alts: old.alts}
	if had && len(old.alts) == 0 && !strings.Contains(old.value, "${__MK_") {
		nv.alts = []makeVar{old}
	}
	var alt makeVar
	switch op {
	case "=", "?=":
		alt = makeVar{value: value, recursive: true}
	case ":=", "::=":
		alt = makeVar{value: m.expand(value, nil, 0)}
	case "+=":
		if len(nv.alts) == 0 {
			m.vars[name] = nv
			return
		}
		alt = nv.alts[len(nv.alts)-1]
		alt.value = strings.TrimSpace(alt.value + " " + value)
	default:
		m.vars[name] = nv
		return
	}
	if len(nv.alts) < maxAlts {
		nv.alts = append(slices.Clone(nv.alts), alt)
	}
	m.vars[name] = nv
}

// mentionsBuildCmd is a cheap test for text that may hold a build command.
func mentionsBuildCmd(text string) bool {
	return strings.Contains(text, "build") || strings.Contains(text, "bud") || strings.Contains(text, "bake")
}

// stripRecipePrefixes drops make's @, - and + from the start of each recipe line of a canned
// recipe (not from a continued line, where `-f x` is an argument).
func stripRecipePrefixes(text string) string {
	lines := strings.Split(text, "\n")
	continued := false
	for i, l := range lines {
		if !continued {
			t := strings.TrimLeft(l, " \t")
			lines[i] = strings.TrimLeft(t, "@-+")
		}
		continued = strings.HasSuffix(l, "\\")
	}
	return strings.Join(lines, "\n")
}

func (m *makeFile) recipe(file string, line int, text string, r *makeRule, canned bool) {
	if !mentionsBuildCmd(text) && !strings.Contains(text, "$(") && !strings.Contains(text, "${") {
		return // cheap filter: only build commands matter (a reference may expand to one)
	}
	if canned {
		m.recipes = append(m.recipes, makeRecipe{file: file, line: line, text: text, auto: map[string]string{}, canned: true})
		return
	}
	if len(r.stems) > 0 && len(r.stems) <= 64 {
		for i, t := range r.targets {
			auto := map[string]string{"@": t, "*": r.stems[i]}
			m.recipes = append(m.recipes, makeRecipe{file: file, line: line, text: text, auto: auto})
		}
		return
	}
	auto := map[string]string{}
	if len(r.targets) == 1 {
		auto["@"] = r.targets[0]
	}
	m.recipes = append(m.recipes, makeRecipe{file: file, line: line, text: text, auto: auto})
}

// unknownMake is the shell text standing for a make expansion with no known value: an unset
// shell variable, so the shell reader sees an unknown part and says which.
func unknownMake(name string) string {
	var b strings.Builder
	for _, r := range name {
		if r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return "${__MK_" + b.String() + "}"
}

// expand expands make references in s: $(VAR), ${VAR}, $X, $$, a few functions; auto holds the
// automatic variables ($@, $*). Unknown values become unknownMake markers.
func (m *makeFile) expand(s string, auto map[string]string, depth int) string {
	if depth > 20 || !strings.Contains(s, "$") {
		return s
	}
	var b strings.Builder
	// A reference spanning lines (`$(eval X := $(shell \` … `))` in a canned recipe) expands
	// to one line: the lines it took are given back at the end of the line, so that the lines
	// after it keep their numbers (as continuations where the line is continued).
	pending := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\n' && pending > 0 {
			b.WriteByte(c)
			pad := "\n"
			if i > 0 && s[i-1] == '\\' {
				pad = "\\\n"
			}
			b.WriteString(strings.Repeat(pad, pending))
			pending = 0
			continue
		}
		if c != '$' || i+1 >= len(s) {
			b.WriteByte(c)
			continue
		}
		n := s[i+1]
		switch n {
		case '$':
			b.WriteByte('$')
			i++
		case '(', '{':
			end := matchParen(s, i+1)
			if end < 0 {
				b.WriteString(s[i:])
				return b.String()
			}
			b.WriteString(m.ref(s[i+2:end], auto, depth))
			pending += strings.Count(s[i:end], "\n")
			i = end
		default:
			b.WriteString(m.ref(string(n), auto, depth))
			i++
		}
	}
	b.WriteString(strings.Repeat("\n", pending))
	return b.String()
}

func matchParen(s string, open int) int {
	want := byte(')')
	if s[open] == '{' {
		want = '}'
	}
	depth := 0
	for i := open; i < len(s); i++ {
		switch s[i] {
		case s[open]:
			depth++
		case want:
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

// ref expands the inside of one $(…) reference.
func (m *makeFile) ref(in string, auto map[string]string, depth int) string {
	if v, ok := auto[in]; ok {
		return v
	}
	if fn, args, ok := strings.Cut(in, " "); ok {
		return m.call(fn, args, auto, depth)
	}
	name := m.expand(in, auto, depth+1)
	if i := strings.IndexByte(name, ':'); i > 0 {
		// $(VAR:a=b) substitution references: the value is not worth guessing.
		return unknownMake(name[:i])
	}
	v, ok := m.vars[name]
	if ok && len(v.alts) > 0 {
		m.touched = max(m.touched, len(v.alts))
		if m.alt > 0 {
			v = v.alts[min(m.alt, len(v.alts))-1]
		}
	}
	if !ok || m.overridable && v.deflt {
		return unknownMake(name)
	}
	if v.recursive {
		return m.expand(v.value, auto, depth+1)
	}
	return v.value
}

// splitArgs splits a function's arguments at top-level commas.
func splitArgs(s string) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(', '{':
			depth++
		case ')', '}':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

func (m *makeFile) call(fn, rawArgs string, auto map[string]string, depth int) string {
	args := splitArgs(rawArgs)
	ex := func(i int) string {
		if i >= len(args) {
			return ""
		}
		return m.expand(args[i], auto, depth+1)
	}
	mapWords := func(list string, f func(string) string) string {
		ws := strings.Fields(list)
		for i, w := range ws {
			ws[i] = f(w)
		}
		return strings.Join(ws, " ")
	}
	switch fn {
	case "addprefix":
		p := ex(0)
		return mapWords(ex(1), func(w string) string { return p + w })
	case "addsuffix":
		s := ex(0)
		return mapWords(ex(1), func(w string) string { return w + s })
	case "subst":
		return strings.ReplaceAll(ex(2), ex(0), ex(1))
	case "strip":
		return strings.Join(strings.Fields(ex(0)), " ")
	case "firstword":
		if ws := strings.Fields(ex(0)); len(ws) > 0 {
			return ws[0]
		}
		return ""
	case "notdir":
		return mapWords(ex(0), path.Base)
	case "dir":
		return mapWords(ex(0), func(w string) string { return path.Dir(w) + "/" })
	case "patsubst":
		from, to := ex(0), ex(1)
		fp, fs, ok := strings.Cut(from, "%")
		return mapWords(ex(2), func(w string) string {
			if !ok {
				if w == from {
					return to
				}
				return w
			}
			if strings.HasPrefix(w, fp) && strings.HasSuffix(w, fs) && len(w) >= len(fp)+len(fs) {
				return strings.Replace(to, "%", w[len(fp):len(w)-len(fs)], 1)
			}
			return w
		})
	case "origin":
		if _, ok := m.vars[strings.TrimSpace(ex(0))]; ok {
			return "file"
		}
		return "undefined"
	case "foreach":
		if len(args) != 3 {
			break
		}
		v := strings.TrimSpace(ex(0))
		var out []string
		for _, w := range strings.Fields(ex(1)) {
			a := map[string]string{}
			for k, x := range auto {
				a[k] = x
			}
			a[v] = w
			out = append(out, m.expand(args[2], a, depth+1))
		}
		return strings.Join(out, " ")
	}
	return unknownMake(fn)
}
