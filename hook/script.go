package hook

import (
	"fmt"
	"strings"
)

// Script returns the POSIX sh script installed for h. self is the absolute
// path of the monoctx binary to try before PATH; empty means PATH only, which
// suits a hooks directory committed to the repository (husky). For an h that
// does not normalize (which [Install] refuses) the script only prints why and
// exits 1.
//
// The script is a pure function of its arguments, so installing twice is
// byte-identical.
func Script(h Hook, self string) []byte {
	h, err := h.Normalize()
	if err != nil {
		return []byte("#!/bin/sh\necho " + shWord("monoctx hook: "+err.Error()) + " >&2\nexit 1\n")
	}
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	chained := h.Name + ChainedSuffix

	p("#!/bin/sh")
	p("%s", h.marker())
	p("# Written by `monoctx hook install`, which rewrites this file: edits are lost.")
	p("# `monoctx hook uninstall` removes it and restores the hook that was here")
	p("# before, kept meanwhile as %s and run first.", chained)
	p("")
	p("chained=\"$(dirname -- \"$0\")\"/%s", shWord(chained))
	if h.hasStdin() {
		p("# git writes the refs being pushed on stdin: keep them for both hooks.")
		p("stdin=$(cat; echo .)")
		p("stdin=${stdin%%.}")
		p("if [ -x \"$chained\" ]; then")
		p("\tprintf '%%s' \"$stdin\" | \"$chained\" \"$@\" || exit $?")
		p("fi")
	} else {
		p("if [ -x \"$chained\" ]; then")
		p("\t\"$chained\" \"$@\" || exit $?")
		p("fi")
	}
	p("")
	if self != "" {
		p("monoctx=%s", shWord(self))
		p("if [ ! -x \"$monoctx\" ]; then")
		p("\tmonoctx=$(command -v monoctx 2>/dev/null) || monoctx=")
		p("fi")
	} else {
		p("monoctx=$(command -v monoctx 2>/dev/null) || monoctx=")
	}
	p("if [ -z \"$monoctx\" ]; then")
	if self != "" {
		p("\tprintf 'monoctx hook %s: monoctx is neither at %%s nor on PATH.\\n' %s >&2", h.Name, shWord(self))
	} else {
		p("\techo 'monoctx hook %s: monoctx is not on PATH.' >&2", h.Name)
	}
	p("\techo 'monoctx hook %s: fix: install it (go install github.com/monoctx/monoctx/cmd/monoctx@latest) and put it on PATH,' >&2", h.Name)
	p("\techo 'monoctx hook %s: or remove this hook with: monoctx hook uninstall --hook %s' >&2", h.Name, h.Name)
	p("\tprintf 'monoctx hook %s: (by hand: delete %%s; if %%s exists, rename it to %s)\\n' \"$0\" \"$chained\" >&2", h.Name, h.Name)
	switch {
	case h.blocking() && h.Name == PrePush:
		p("\techo 'monoctx hook %s: push refused: --fail-on-affected cannot be checked without monoctx (bypass once: git push --no-verify).' >&2", h.Name)
		p("\texit 1")
	case h.blocking():
		p("\techo 'monoctx hook %s: commit refused: check mode cannot pass without monoctx (bypass once: git commit --no-verify).' >&2", h.Name)
		p("\texit 1")
	default:
		p("\techo 'monoctx hook %s: skipped; nothing was checked.' >&2", h.Name)
		p("\texit 0")
	}
	p("fi")
	words := make([]string, 0, 8)
	for _, a := range h.RunArgs() {
		words = append(words, shWord(a))
	}
	if h.hasStdin() {
		p("printf '%%s' \"$stdin\" | \"$monoctx\" %s \"$@\"", strings.Join(words, " "))
	} else {
		p("exec \"$monoctx\" %s \"$@\"", strings.Join(words, " "))
	}
	return []byte(b.String())
}

// shWord returns s as one sh word: unchanged when it needs no quoting,
// otherwise single-quoted.
func shWord(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=./,:+@%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
