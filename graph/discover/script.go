package discover

import (
	"context"
	"path"
	"regexp"
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// scripts reads every shell script (*.sh, *.bash) for build commands. A script may be run from
// anywhere: paths are resolved against the directory its `cd` commands reach (`cd "$(dirname
// "$0")/.."` is understood), else against the repository root, the script's directory and its
// parent, in that order.
func (f *finder) scripts(ctx context.Context) []Build {
	var out []Build
	for _, sc := range f.tree.scripts {
		if ctx.Err() != nil {
			return nil
		}
		data, err := f.readFile(sc)
		if err != nil || !mentionsBuild(data) {
			continue
		}
		f.read(sc)
		dir := path.Dir(sc)
		env := &shellEnv{vals: map[string]word{}, special: scriptSpecial(dir)}
		cmds, err := shellCommands(string(data), sc, env, 0)
		if err != nil {
			f.warn("%s: not a shell script monoctx can read (%v); its builds, if any, are not seen", sc, err)
			continue
		}
		for _, c := range cmds {
			dirs := []word{litWord("."), litWord(dir), litWord(path.Dir(dir))}
			if len(c.dir) > 0 {
				dirs = []word{c.dir}
			}
			bc, ok := parseBuildCommand(c.args)
			if !ok {
				f.noteBake(c.args, dirs, sc)
				continue
			}
			out = append(out, f.commandBuildsPiped(bc, c.piped, dirs, SourceScript, sc, c.line, sc)...)
		}
	}
	return out
}

// mentionsBuild is a cheap filter before parsing: a file that never says build has no build.
func mentionsBuild(data []byte) bool {
	s := string(data)
	return (strings.Contains(s, "docker") || strings.Contains(s, "podman") || strings.Contains(s, "buildah") ||
		strings.Contains(s, "nerdctl")) && (strings.Contains(s, "build") || strings.Contains(s, "bud") || strings.Contains(s, "bake"))
}

var (
	dirnameRE = regexp.MustCompile(`^dirname\s+"?\$\{?(0|BASH_SOURCE(\[0\])?)\}?"?$`)
	cdPwdRE   = regexp.MustCompile(`^cd\s+(.+?)\s*(&&|;)\s*pwd(\s+-P)?$`)
	toplevel  = regexp.MustCompile(`^git\s+rev-parse\s+--show-toplevel$`)
	realRE    = regexp.MustCompile(`^(?:readlink\s+-[fme]+|realpath(?:\s+-\w+)*)\s+(.+)$`)
)

// scriptSpecial expands the command substitutions scripts use to find themselves: `dirname "$0"`,
// `cd "$(dirname "$0")/.." && pwd`, `git rev-parse --show-toplevel`, as repo-relative paths.
func scriptSpecial(dir string) func(*syntax.CmdSubst, *shellEnv) (word, bool) {
	return func(cs *syntax.CmdSubst, env *shellEnv) (word, bool) {
		if len(cs.Stmts) != 1 {
			return nil, false
		}
		var b strings.Builder
		if err := syntax.NewPrinter().Print(&b, cs.Stmts[0]); err != nil {
			return nil, false
		}
		text := strings.TrimSpace(b.String())
		switch {
		case dirnameRE.MatchString(text):
			return litWord(dir), true
		case toplevel.MatchString(text):
			return litWord("."), true
		}
		m := cdPwdRE.FindStringSubmatch(text)
		if m == nil {
			m = realRE.FindStringSubmatch(text)
			if m != nil {
				m = []string{m[0], m[1]}
			}
		}
		if m != nil {
			w, ok := parseWord(m[1])
			if !ok {
				return nil, false
			}
			if s, ok := env.expand(w).text(); ok {
				return litWord(cleanRel(s)), true
			}
		}
		return nil, false
	}
}
