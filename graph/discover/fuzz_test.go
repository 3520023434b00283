package discover

import (
	"testing"

	"github.com/monoctx/monoctx/graph/tree"
)

// The readers take any text a repository holds: they must never panic, loop or blow up.

func FuzzShellBuildCommands(f *testing.F) {
	for _, s := range []string{
		"docker build -f a/Dockerfile .",
		"for x in a b; do docker buildx build --file=$x/Dockerfile -t r/$x:${TAG:-dev} $x; done",
		"cd \"$(dirname \"$0\")/..\" && gen x | docker build - $EXTRA",
		"podman build --platform linux/amd64,linux/arm64 -fDockerfile ${X:-.}",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		cmds, err := shellCommands(src, "fuzz.sh", &shellEnv{vals: map[string]word{}, special: scriptSpecial("scripts")}, 0)
		if err != nil {
			return
		}
		for _, c := range cmds {
			if bc, ok := parseBuildCommand(c.args); ok && bc.context != nil {
				_ = bc.context.String()
				re, _ := bc.context.pattern()
				_ = re.String()
			}
		}
	})
}

func FuzzMakefile(f *testing.F) {
	for _, s := range []string{
		"A ?= x\nB = $(addprefix p-,$(A))\n$(B): p-%:\n\tdocker build --build-arg V=$* -t i-$* .\n",
		"ifeq ($(OS),windows)\nF := w\nelse ifdef X\nF := x\nelse\nF := l\nendif\nt:\n\t@docker build -f $(F) .\n",
		"V := $(foreach a,1 2,$(patsubst %,x%,$(a)))\n$(V:x=y)\n\t$(shell x)\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		root := t.TempDir()
		fd := &finder{root: root, view: tree.NewDir(root), tree: &fileTree{}, res: &Result{}, files: map[string]bool{}}
		m := &makeFile{f: fd, vars: map[string]makeVar{}, seen: map[string]bool{}}
		m.parseText("Makefile", src, 0)
		for _, r := range m.recipes {
			m.commands(r, false)
			m.commands(r, true)
		}
	})
}
