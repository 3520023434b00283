// Package benchgen writes the generated repositories the benchmarks run on: the Go benchmarks in
// graph/ and the side-by-side CLI runs of scripts/bench (through bench/gen). The same sizes give the
// same files and the same commit ids, so figures from two runs compare.
package benchgen

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/monoctx/monoctx/internal/gittest"
)

// Monorepo is a monorepo of Apps apps (each copying its own directory and two of Libs shared libs
// from the root context) filled with small files up to Files files in all.
type Monorepo struct {
	Apps, Libs, Files int
	// BigChange, when above zero, adds a commit before the last one that modifies (and, one in ten,
	// deletes or adds) that many paths spread over every lib and app.
	BigChange int
}

// OneFile is the path the last commit of a Monorepo changes (one file of one lib).
const OneFile = "libs/lib007/src/f0000.txt"

// Write generates m into dir (which must be empty or absent) and commits it: the base, then the big
// change when m.BigChange > 0, then a commit changing OneFile. With a big change, HEAD~2..HEAD holds
// exactly BigChange paths (OneFile is one of them) and HEAD~1..HEAD one.
func (m Monorepo) Write(ctx context.Context, dir string) error {
	libs := m.Libs
	if libs <= 0 {
		libs = 200
	}
	perDir := m.Files / (m.Apps + libs)
	if perDir < 1 {
		perDir = 1
	}
	w := &writer{dir: dir}
	var files []string // every generated source file, in a fixed order, for the big change
	for l := 0; l < libs; l++ {
		for f := 0; f < perDir; f++ {
			p := fmt.Sprintf("libs/lib%03d/src/f%04d.txt", l, f)
			w.write(p, fmt.Sprintf("lib %d file %d\n", l, f))
			files = append(files, p)
		}
	}
	for a := 0; a < m.Apps; a++ {
		w.write(fmt.Sprintf("apps/app%04d/Dockerfile", a), fmt.Sprintf(
			"FROM scratch AS build\nCOPY libs/lib%03d/ /src/libs/a/\nCOPY libs/lib%03d/ /src/libs/b/\nCOPY apps/app%04d/ /src/app/\nFROM scratch\nCOPY --from=build /src /src\n",
			a%libs, (a*7+3)%libs, a))
		for f := 0; f < perDir-1; f++ {
			p := fmt.Sprintf("apps/app%04d/src/f%04d.txt", a, f)
			w.write(p, fmt.Sprintf("app %d file %d\n", a, f))
			files = append(files, p)
		}
	}
	w.write("README.md", "bench\n")
	if w.err != nil {
		return w.err
	}
	g := gitIn(dir)
	g(ctx, "init", "-q", "-b", "main")
	g(ctx, "add", "-A")
	g(ctx, "commit", "-q", "-m", "base")
	if m.BigChange > 0 {
		// Nine in ten of the paths are existing files (eight modified, one deleted), one in ten new
		// files. OneFile is changed again by the last commit, so it is picked here as well and the
		// two commits together change exactly BigChange paths.
		existing := m.BigChange - m.BigChange/10
		picked := map[string]bool{OneFile: true}
		step := len(files) / existing
		if step < 1 {
			step = 1
		}
		for i := 0; len(picked) < existing && i < len(files); i += step {
			picked[files[i]] = true
		}
		n, added := 0, 0
		for _, p := range files {
			if !picked[p] {
				continue
			}
			if p == OneFile || n%9 != 8 {
				w.write(p, "big change of "+p+"\n")
			} else {
				w.remove(p)
			}
			if n%9 == 4 && added < m.BigChange-len(picked) {
				w.write(strings.TrimSuffix(p, ".txt")+".new", "added\n")
				added++
			}
			n++
		}
		if w.err != nil {
			return w.err
		}
		g(ctx, "add", "-A")
		g(ctx, "commit", "-q", "-m", fmt.Sprintf("change %d paths", m.BigChange))
	}
	w.write(OneFile, "changed\n")
	if w.err != nil {
		return w.err
	}
	g(ctx, "commit", "-q", "-am", "change lib007")
	return g(ctx)
}

// NPMWorkspace is an npm workspace of Packages packages, Apps of them apps with a whole-context
// Dockerfile each (declared in monoctx.yaml with the root context). Every package depends on up to
// three earlier packages, so each app's closure is a few dozen packages of the workspace. The root
// package.json and turbo.json make it a turborepo as well.
type NPMWorkspace struct {
	Packages, Apps int
}

// NPMOneFile is the file the last commit of NPMWorkspace.Commit changes.
const NPMOneFile = "packages/p0007/index.js"

// Write generates w into dir without committing it.
func (n NPMWorkspace) Write(dir string) error {
	w := &writer{dir: dir}
	w.write("package.json", `{"name": "bench", "private": true, "packageManager": "npm@10.9.0", "workspaces": ["apps/*", "packages/*"]}`+"\n")
	w.write(".gitignore", "node_modules/\n.turbo/\n")
	w.write("turbo.json", `{"$schema": "https://turbo.build/schema.json", "tasks": {"build": {}}}`+"\n")
	var cfg strings.Builder
	cfg.WriteString("apps:\n")
	// package-lock.json as npm 10 writes it for this workspace (left-pad's real integrity), so that
	// turbo and monoctx both read a lockfile, as they would in a real repository.
	lock := map[string]any{"": map[string]any{"name": "bench", "workspaces": []string{"apps/*", "packages/*"}}}
	lock["node_modules/left-pad"] = map[string]any{
		"version":   "1.3.0",
		"resolved":  "https://registry.npmjs.org/left-pad/-/left-pad-1.3.0.tgz",
		"integrity": "sha512-XI5MPzVNApjAyhQzphX8BkmKsKUxD4LdyK24iZeQGinBN9yTQT3bFlCBy/aVx2HrNcqQGsdot8ghrjyrvMCoEA==",
		"license":   "WTFPL",
	}
	addLock := func(name, path string, deps map[string]string) {
		lock["node_modules/"+name] = map[string]any{"resolved": path, "link": true}
		lock[path] = map[string]any{"name": name, "dependencies": deps}
	}
	libs := n.Packages - n.Apps
	for i := 0; i < libs; i++ {
		var deps []string
		lockDeps := map[string]string{"left-pad": "1.3.0"}
		for _, d := range []int{i / 2, i / 3, i / 5} {
			dep := fmt.Sprintf("@bench/p%04d", d)
			if d < i && lockDeps[dep] == "" {
				lockDeps[dep] = "*"
				deps = append(deps, fmt.Sprintf(`"%s": "*"`, dep))
			}
		}
		deps = append(deps, `"left-pad": "1.3.0"`)
		addLock(fmt.Sprintf("@bench/p%04d", i), fmt.Sprintf("packages/p%04d", i), lockDeps)
		w.write(fmt.Sprintf("packages/p%04d/package.json", i), fmt.Sprintf(`{"name": "@bench/p%04d", "dependencies": {%s}}`+"\n", i, strings.Join(deps, ", ")))
		w.write(fmt.Sprintf("packages/p%04d/index.js", i), fmt.Sprintf("module.exports = %d\n", i))
	}
	for a := 0; a < n.Apps; a++ {
		name := fmt.Sprintf("app%03d", a)
		addLock(name, "apps/"+name, map[string]string{fmt.Sprintf("@bench/p%04d", (a*7)%libs): "*", fmt.Sprintf("@bench/p%04d", (a*13+5)%libs): "*"})
		w.write("apps/"+name+"/package.json", fmt.Sprintf(`{"name": "%s", "dependencies": {"@bench/p%04d": "*", "@bench/p%04d": "*"}}`+"\n", name, (a*7)%libs, (a*13+5)%libs))
		w.write("apps/"+name+"/index.js", "require('@bench/p0000')\n")
		w.write("apps/"+name+"/Dockerfile", "FROM node:20\nWORKDIR /src\nCOPY . .\nRUN npm ci -w "+name+" && npm run build -w "+name+"\n")
		fmt.Fprintf(&cfg, "  %s: {dockerfile: apps/%s/Dockerfile, context: .}\n", name, name)
	}
	w.write("monoctx.yaml", cfg.String())
	j, err := json.MarshalIndent(map[string]any{"name": "bench", "lockfileVersion": 3, "requires": true, "packages": lock}, "", "  ")
	if err != nil {
		return err
	}
	w.write("package-lock.json", string(j)+"\n")
	return w.err
}

// Commit writes w into dir and commits it as a git repository: the base, then a commit changing
// NPMOneFile.
func (n NPMWorkspace) Commit(ctx context.Context, dir string) error {
	if err := n.Write(dir); err != nil {
		return err
	}
	g := gitIn(dir)
	g(ctx, "init", "-q", "-b", "main")
	g(ctx, "add", "-A")
	g(ctx, "commit", "-q", "-m", "base")
	if err := os.WriteFile(filepath.Join(dir, NPMOneFile), []byte("module.exports = 'changed'\n"), 0o644); err != nil {
		return err
	}
	g(ctx, "commit", "-q", "-am", "change p0007")
	return g(ctx)
}

// writer writes files under dir and keeps the first error.
type writer struct {
	dir string
	err error
}

func (w *writer) write(p, s string) {
	if w.err != nil {
		return
	}
	full := filepath.Join(w.dir, filepath.FromSlash(p))
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		w.err = err
		return
	}
	w.err = os.WriteFile(full, []byte(s), 0o644)
}

func (w *writer) remove(p string) {
	if w.err == nil {
		w.err = os.Remove(filepath.Join(w.dir, filepath.FromSlash(p)))
	}
}

// gitIn returns a function that runs git in dir, isolated from the machine's configuration and with
// fixed dates (so the commit ids depend on the sizes only), keeping the first error; called with
// no arguments it returns that error.
func gitIn(dir string) func(ctx context.Context, args ...string) error {
	var first error
	return func(ctx context.Context, args ...string) error {
		if first != nil || len(args) == 0 {
			return first
		}
		cmd := exec.CommandContext(ctx, "git", append([]string{"-C", dir, "-c", "commit.gpgsign=false"}, args...)...)
		cmd.Env = append(os.Environ(), gittest.Environ()...)
		cmd.Env = append(cmd.Env, "GIT_AUTHOR_DATE=2026-01-01T00:00:00Z", "GIT_COMMITTER_DATE=2026-01-01T00:00:00Z")
		if out, err := cmd.CombinedOutput(); err != nil {
			first = fmt.Errorf("git %s in %s: %v: %s", strings.Join(args, " "), dir, err, out)
		}
		return first
	}
}
