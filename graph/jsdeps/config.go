package jsdeps

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"

	"github.com/monoctx/monoctx/internal/jsonc"
)

// The root build configuration a narrowed build still reads: each path is found from the file that
// references it and carries that reference (file:line or key) as its reason.

// toolFiles are the workspace tools' root configuration files: turbo prune and turbo run, nx and
// lerna read them from the workspace root whichever package they build.
func toolFiles() []struct{ name, why string } {
	return []struct{ name, why string }{
		{"turbo.json", "Turborepo's root configuration (turbo prune and turbo run read it)"},
		{"turbo.jsonc", "Turborepo's root configuration (turbo prune and turbo run read it)"},
		{"nx.json", "Nx workspace configuration"},
		{"lerna.json", "Lerna configuration"},
		{".pnp.cjs", "Yarn Plug'n'Play resolution map"},
		{".pnp.loader.mjs", "Yarn Plug'n'Play loader"},
	}
}

// rootConfig finds the root build configuration of the workspace at root.
func rootConfig(fsys files, repoRoot, root string, rootMan *manifest, rawRoot func() []byte) []Input {
	abs := func(rel string) string { return filepath.Join(repoRoot, filepath.FromSlash(rel)) }
	var out []Input
	add := func(p string, dir bool, why string) {
		if strings.HasPrefix(p, "../") || p == ".." {
			return
		}
		if (dir && fsys.isDir(abs(p))) || (!dir && fsys.isFile(abs(p))) {
			out = append(out, Input{Path: p, Dir: dir, Why: []string{why}})
		}
	}
	for _, f := range configFiles() {
		add(join(root, f), false, "package manager configuration")
	}
	for _, f := range toolFiles() {
		add(join(root, f.name), false, f.why)
	}

	// Yarn: the release and plugins .yarnrc.yml names, and the patch folder of the patch: protocol.
	yarnrc := join(root, ".yarnrc.yml")
	if data, err := fsys.ReadFile(abs(yarnrc)); err == nil {
		var doc yaml.Node
		if yaml.Unmarshal(data, &doc) == nil && len(doc.Content) == 1 && doc.Content[0].Kind == yaml.MappingNode {
			m := doc.Content[0]
			for i := 0; i+1 < len(m.Content); i += 2 {
				k, v := m.Content[i], m.Content[i+1]
				switch k.Value {
				case "yarnPath":
					add(join(root, v.Value), false, fmt.Sprintf("%s:%d yarnPath", yarnrc, v.Line))
				case "plugins":
					for _, p := range v.Content {
						file, line := p.Value, p.Line
						if p.Kind == yaml.MappingNode {
							for j := 0; j+1 < len(p.Content); j += 2 {
								if p.Content[j].Value == "path" {
									file, line = p.Content[j+1].Value, p.Content[j+1].Line
								}
							}
						}
						if file != "" {
							add(join(root, file), false, fmt.Sprintf("%s:%d plugins", yarnrc, line))
						}
					}
				case "patchFolder":
					add(join(root, v.Value), true, fmt.Sprintf("%s:%d patchFolder", yarnrc, v.Line))
				}
			}
		}
	}
	add(join(root, ".yarn/patches"), true, "Yarn's patch folder (patch: protocol dependencies)")

	// pnpm: patchedDependencies in package.json (pnpm.patchedDependencies) and pnpm-workspace.yaml.
	for _, dep := range sortedKeys(rootMan.Pnpm.PatchedDependencies) {
		p := rootMan.Pnpm.PatchedDependencies[dep]
		add(join(root, p), false, fmt.Sprintf("%s:%d pnpm.patchedDependencies[%q]", join(root, "package.json"), lineOf(rawRoot(), p), dep))
	}
	pnpmWS := join(root, "pnpm-workspace.yaml")
	if data, err := fsys.ReadFile(abs(pnpmWS)); err == nil {
		var doc yaml.Node
		if yaml.Unmarshal(data, &doc) == nil && len(doc.Content) == 1 && doc.Content[0].Kind == yaml.MappingNode {
			m := doc.Content[0]
			for i := 0; i+1 < len(m.Content); i += 2 {
				if m.Content[i].Value != "patchedDependencies" || m.Content[i+1].Kind != yaml.MappingNode {
					continue
				}
				pd := m.Content[i+1]
				for j := 0; j+1 < len(pd.Content); j += 2 {
					dep, v := pd.Content[j].Value, pd.Content[j+1]
					add(join(root, v.Value), false, fmt.Sprintf("%s:%d patchedDependencies[%q]", pnpmWS, v.Line, dep))
				}
			}
		}
	}

	// patch-package applies patches/ (or --patch-dir) from a root install script.
	for _, name := range sortedKeys(rootMan.Scripts) {
		script := rootMan.Scripts[name]
		if !strings.Contains(script, "patch-package") {
			continue
		}
		dir := "patches"
		fields := strings.Fields(script)
		for i, f := range fields {
			if f == "--patch-dir" && i+1 < len(fields) {
				dir = fields[i+1]
			} else if v, ok := strings.CutPrefix(f, "--patch-dir="); ok {
				dir = v
			}
		}
		add(join(root, dir), true, fmt.Sprintf("%s:%d scripts.%s: %s", join(root, "package.json"), lineOf(rawRoot(), script), name, script))
	}
	return dedupInputs(out)
}

func dedupInputs(ins []Input) []Input {
	seen := map[string]bool{}
	out := ins[:0]
	for _, in := range ins {
		if !seen[in.Path] {
			seen[in.Path] = true
			out = append(out, in)
		}
	}
	return out
}

// lineOf is the 1-based line of the first occurrence of s as a JSON string in data, 0 if none.
func lineOf(data []byte, s string) int {
	q, _ := json.Marshal(s)
	i := bytes.Index(data, q)
	if i < 0 {
		return 0
	}
	return bytes.Count(data[:i], []byte("\n")) + 1
}

// tsconfigs caches the parsed tsconfig files of a workspace, shared by the Inputs calls of every app.
type tsconfigs struct {
	mu    sync.Mutex
	files map[string]*tsconfig // by repo-relative path; nil: absent or unreadable
	dirs  map[string][]string  // tsconfig*.json names by package directory
}

type tsconfig struct {
	extends    []tsRef
	references []tsRef
}

type tsRef struct {
	spec string
	line int
}

// tsconfigInputs follows the extends and references chains of the tsconfig files of the closure's
// package directories to the files outside them (a root tsconfig.base.json, a shared config
// package, a referenced project), each with the reference that reaches it.
func (w *Workspace) tsconfigInputs(dirs []string, inClosure func(string) bool) []Input {
	var out []Input
	seen := map[string]bool{}
	var follow func(file string, depth int)
	follow = func(file string, depth int) {
		if depth > 16 || seen[file] {
			return
		}
		seen[file] = true
		tc := w.tsconfig(file)
		if tc == nil {
			return
		}
		for _, e := range tc.extends {
			target := w.resolveExtends(path.Dir(file), e.spec)
			if target == "" {
				continue
			}
			if !inClosure(target) {
				out = append(out, Input{Path: target, Why: []string{fmt.Sprintf("%s:%d extends %s", file, e.line, e.spec)}})
			}
			follow(target, depth+1)
		}
		for _, r := range tc.references {
			p := join(path.Dir(file), r.spec)
			if strings.HasPrefix(p, "../") || p == ".." {
				continue
			}
			target := p
			if !strings.HasSuffix(p, ".json") {
				target = join(p, "tsconfig.json")
			}
			why := fmt.Sprintf("%s:%d references %s", file, r.line, r.spec)
			projDir := path.Dir(target)
			// tsc --build compiles a referenced project: its directory is read, not only its config.
			if projDir != w.Root && !inClosure(projDir) && w.opts.files().isDir(w.abs(projDir)) {
				out = append(out, Input{Path: projDir, Dir: true, Why: []string{why}})
			} else if !inClosure(target) && w.opts.files().isFile(w.abs(target)) {
				out = append(out, Input{Path: target, Why: []string{why}})
			}
			follow(target, depth+1)
		}
	}
	for _, d := range dirs {
		for _, name := range w.tsconfigNames(d) {
			follow(join(d, name), 0)
		}
	}
	return out
}

func (w *Workspace) abs(rel string) string {
	return filepath.Join(w.repoRoot, filepath.FromSlash(rel))
}

// tsconfigNames lists the tsconfig*.json files of a package directory.
func (w *Workspace) tsconfigNames(dir string) []string {
	w.ts.mu.Lock()
	names, ok := w.ts.dirs[dir]
	w.ts.mu.Unlock()
	if ok {
		return names
	}
	if listed, ok := w.opts.listed().tsconfigNames(dir); ok {
		names = listed
	} else {
		entries, _ := w.opts.files().ReadDir(w.abs(dir))
		for _, e := range entries {
			if n := e.Name(); !e.IsDir() && isTSConfigName(n) {
				names = append(names, n)
			}
		}
	}
	w.ts.mu.Lock()
	w.ts.dirs[dir] = names
	w.ts.mu.Unlock()
	return names
}

func (w *Workspace) tsconfig(file string) *tsconfig {
	w.ts.mu.Lock()
	tc, ok := w.ts.files[file]
	w.ts.mu.Unlock()
	if ok {
		return tc
	}
	tc = w.opts.tsconfig(file, w.abs(file))
	w.ts.mu.Lock()
	w.ts.files[file] = tc
	w.ts.mu.Unlock()
	return tc
}

func parseTSConfig(fsys files, abs string) *tsconfig {
	data, err := fsys.ReadFile(abs)
	if err != nil {
		return nil
	}
	return parseTSConfigData(data)
}

// parseTSConfigData is parseTSConfig of the file's content; nil when it does not parse.
func parseTSConfigData(data []byte) *tsconfig {
	var raw struct {
		Extends    json.RawMessage `json:"extends"`
		References []struct {
			Path string `json:"path"`
		} `json:"references"`
	}
	if json.Unmarshal(jsonc.Strip(data), &raw) != nil {
		return nil
	}
	tc := &tsconfig{}
	var ext []string
	var one string
	if json.Unmarshal(raw.Extends, &one) == nil && one != "" {
		ext = []string{one}
	} else {
		_ = json.Unmarshal(raw.Extends, &ext)
	}
	for _, e := range ext {
		tc.extends = append(tc.extends, tsRef{spec: e, line: lineOf(data, e)})
	}
	for _, r := range raw.References {
		if r.Path != "" {
			tc.references = append(tc.references, tsRef{spec: r.Path, line: lineOf(data, r.Path)})
		}
	}
	return tc
}

// resolveExtends resolves a tsconfig extends specifier from the directory dir to a repo-relative
// file: a relative path (with or without .json), or a workspace package's file ("@acme/tsconfig/
// base.json", "@acme/tsconfig" with its tsconfig.json). "" for a package from node_modules.
func (w *Workspace) resolveExtends(dir, spec string) string {
	var cands []string
	if strings.HasPrefix(spec, ".") || strings.HasPrefix(spec, "/") {
		p := join(dir, spec)
		cands = []string{p, p + ".json", join(p, "tsconfig.json")}
	} else {
		names := slices.Sorted(func(yield func(string) bool) {
			for n := range w.Packages {
				if !yield(n) {
					return
				}
			}
		})
		for _, n := range names {
			if spec == n || strings.HasPrefix(spec, n+"/") {
				p := join(w.Packages[n].Dir, strings.TrimPrefix(spec, n))
				cands = []string{p, p + ".json", join(p, "tsconfig.json")}
				break
			}
		}
	}
	for _, c := range cands {
		if !strings.HasPrefix(c, "../") && w.opts.files().isFile(w.abs(c)) {
			return c
		}
	}
	return ""
}
