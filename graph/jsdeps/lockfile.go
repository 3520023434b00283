package jsdeps

import (
	"encoding/json"
	"fmt"
	"path"
	"reflect"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// LockfileChanges returns the names of the workspace packages whose
// resolved dependencies differ between two versions of the workspace's
// lockfile, sorted. kind is the manager ("npm", "pnpm", "yarn", "bun") or the
// lockfile's base name.
//
// A package is reported when its own lockfile entry changed or when a
// changed entry is reachable from it through the lockfile's dependency
// graph, including through other workspace packages it links to. A changed
// entry of the root package makes every package affected: hoisted root
// dependencies can be required from anywhere.
//
// decided is false when the change cannot be attributed: yarn and bun
// lockfiles, a lockfile added or removed, a changed lockfile version or
// global setting (pnpm settings, overrides, patches), a package-lock.json
// older than version 2, or a changed pnpm package that no importer reaches.
// The caller then treats every package of the workspace as affected. err is
// non-nil, with decided false, when a lockfile does not parse.
func LockfileChanges(kind string, old, new []byte, w *Workspace) (pkgs []string, decided bool, err error) {
	if w == nil {
		return nil, false, fmt.Errorf("attributing lockfile changes: no workspace")
	}
	switch kind {
	case "npm", "package-lock.json", "npm-shrinkwrap.json":
		return npmChanges(old, new, w)
	case "pnpm", "pnpm-lock.yaml":
		return pnpmChanges(old, new, w)
	case "yarn", "yarn.lock", "bun", "bun.lock", "bun.lockb":
		return nil, false, nil
	}
	return nil, false, fmt.Errorf("attributing lockfile changes: unknown lockfile kind %q", kind)
}

// graph is a dependency graph over lockfile node keys.
type graph map[string][]string

// reach returns the nodes reachable from start, start included.
func (g graph) reach(start string) map[string]bool {
	seen := map[string]bool{start: true}
	stack := []string{start}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, m := range g[n] {
			if !seen[m] {
				seen[m] = true
				stack = append(stack, m)
			}
		}
	}
	return seen
}

// attribute maps changed nodes to the roots (workspace packages by node key)
// that reach them in either graph. It returns the nodes no root reaches.
func attribute(changed []string, roots map[string]string, graphs ...graph) (hit map[string]bool, unreached []string) {
	hit = map[string]bool{}
	reached := map[string]bool{}
	for node, name := range roots {
		for _, g := range graphs {
			r := g.reach(node)
			for _, c := range changed {
				if r[c] {
					hit[name] = true
					reached[c] = true
				}
			}
		}
	}
	for _, c := range changed {
		if !reached[c] {
			unreached = append(unreached, c)
		}
	}
	return hit, unreached
}

func (w *Workspace) allNames() []string {
	out := make([]string, 0, len(w.Packages))
	for n := range w.Packages {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// packageAt returns the name of the workspace package in the directory
// relative to the workspace root, or "".
func (w *Workspace) packageAt(rel string) string {
	dir := join(w.Root, rel)
	for _, p := range w.Packages {
		if p.Dir == dir {
			return p.Name
		}
	}
	return ""
}

// --- package-lock.json ---

type npmLock struct {
	LockfileVersion int                        `json:"lockfileVersion"`
	Packages        map[string]json.RawMessage `json:"packages"`
}

type npmEntry struct {
	Name                 string            `json:"name"`
	Resolved             string            `json:"resolved"`
	Link                 bool              `json:"link"`
	Dependencies         map[string]string `json:"dependencies"`
	DevDependencies      map[string]string `json:"devDependencies"`
	OptionalDependencies map[string]string `json:"optionalDependencies"`
	PeerDependencies     map[string]string `json:"peerDependencies"`
}

func parseNPM(which string, data []byte) (*npmLock, map[string]npmEntry, error) {
	var l npmLock
	if err := json.Unmarshal(data, &l); err != nil {
		return nil, nil, fmt.Errorf("parsing %s package-lock.json: %w", which, err)
	}
	entries := make(map[string]npmEntry, len(l.Packages))
	for _, k := range sortedKeys(l.Packages) {
		raw := l.Packages[k]
		var e npmEntry
		if err := json.Unmarshal(raw, &e); err != nil {
			return nil, nil, fmt.Errorf("parsing %s package-lock.json: packages[%q]: %w", which, k, err)
		}
		entries[k] = e
	}
	return &l, entries, nil
}

// isWorkspaceLoc reports whether a package-lock.json location is a
// workspace package (or the root) rather than an installed dependency.
func isWorkspaceLoc(loc string) bool {
	return loc != "" && loc != "node_modules" && !strings.HasPrefix(loc, "node_modules/") && !strings.Contains(loc, "/node_modules/")
}

// npmGraph links each location to the locations its dependencies resolve
// to with Node's lookup (nearest node_modules up the tree), and each link
// entry to its target.
func npmGraph(entries map[string]npmEntry) graph {
	g := graph{}
	for loc, e := range entries {
		if e.Link && e.Resolved != "" {
			g[loc] = append(g[loc], path.Clean(e.Resolved))
		}
		lists := []map[string]string{e.Dependencies, e.OptionalDependencies, e.PeerDependencies}
		if loc == "" || isWorkspaceLoc(loc) {
			lists = append(lists, e.DevDependencies)
		}
		for _, l := range lists {
			for name := range l {
				if to := npmResolve(entries, loc, name); to != "" {
					g[loc] = append(g[loc], to)
				}
			}
		}
	}
	return g
}

func npmResolve(entries map[string]npmEntry, loc, name string) string {
	for d := loc; ; d = path.Dir(d) {
		if d == "." {
			d = ""
		}
		cand := join(d, "node_modules", name)
		if _, ok := entries[cand]; ok {
			return cand
		}
		if d == "" {
			return ""
		}
	}
}

// npmName returns the package name of a node_modules location.
func npmName(loc string) string {
	i := strings.LastIndex(loc, "node_modules/")
	if i < 0 {
		return ""
	}
	return loc[i+len("node_modules/"):]
}

func npmChanges(old, new []byte, w *Workspace) ([]string, bool, error) {
	if old == nil || new == nil {
		return nil, false, nil
	}
	ol, oe, err := parseNPM("base", old)
	if err != nil {
		return nil, false, err
	}
	nl, ne, err := parseNPM("head", new)
	if err != nil {
		return nil, false, err
	}
	if ol.LockfileVersion < 2 || nl.LockfileVersion < 2 || ol.Packages == nil || nl.Packages == nil ||
		ol.LockfileVersion != nl.LockfileVersion {
		return nil, false, nil
	}
	var changed []string
	for k, raw := range ol.Packages {
		if !jsonEqual(raw, nl.Packages[k]) {
			changed = append(changed, k)
		}
	}
	for k := range nl.Packages {
		if _, ok := ol.Packages[k]; !ok {
			changed = append(changed, k)
		}
	}
	if len(changed) == 0 {
		return []string{}, true, nil
	}
	sort.Strings(changed)
	for _, c := range changed {
		if c == "" {
			return w.allNames(), true, nil // the root manifest changed
		}
	}
	roots := map[string]string{}
	for _, entries := range []map[string]npmEntry{oe, ne} {
		for loc := range entries {
			if isWorkspaceLoc(loc) {
				if name := w.packageAt(loc); name != "" {
					roots[loc] = name
				}
			}
		}
	}
	og, ng := npmGraph(oe), npmGraph(ne)
	hit, unreached := attribute(changed, roots, og, ng)
	if len(unreached) > 0 {
		rootReach := og.reach("")
		for n := range ng.reach("") {
			rootReach[n] = true
		}
		// A root dependency, hoisted for everyone, decides before any entry that cannot be
		// attributed, whatever their order.
		for _, c := range unreached {
			if rootReach[c] {
				return w.allNames(), true, nil
			}
		}
		for _, c := range unreached {
			if isWorkspaceLoc(c) {
				continue // a workspace package the workspace no longer has
			}
			// Not reachable: attribute by name to the packages depending on it.
			name := npmName(c)
			found := false
			for _, p := range w.Packages {
				if slices.Contains(p.External, name) || slices.Contains(p.Deps, name) {
					hit[p.Name] = true
					found = true
				}
			}
			if !found {
				return nil, false, nil
			}
		}
	}
	return sortedKeys(hit), true, nil
}

func jsonEqual(a, b json.RawMessage) bool {
	if b == nil {
		return false
	}
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

// --- pnpm-lock.yaml ---

// pnpmIgnoredKey reports whether a change of a top-level key leaves what
// is installed for each importer to the importers, packages and snapshots.
func pnpmIgnoredKey(k string) bool {
	switch k {
	case "lockfileVersion", "importers", "packages", "snapshots", "catalogs", "time",
		// Single-project lockfiles (v5, v6) keep the root importer at top level.
		"dependencies", "devDependencies", "optionalDependencies", "specifiers", "dependenciesMeta":
		return true
	}
	return false
}

type pnpmLock struct {
	version   int // major lockfile version
	top       map[string]any
	importers map[string]map[string]any
	nodes     map[string]map[string]any // snapshots (v9) or packages (v5, v6), keys without a leading "/"
	packages  map[string]map[string]any // v9 packages, keys as written
}

func parsePnpm(which string, data []byte) (*pnpmLock, error) {
	var top map[string]any
	if err := yaml.Unmarshal(data, &top); err != nil {
		return nil, fmt.Errorf("parsing %s pnpm-lock.yaml: %w", which, err)
	}
	if top == nil {
		return nil, fmt.Errorf("parsing %s pnpm-lock.yaml: empty document", which)
	}
	l := &pnpmLock{top: top, importers: map[string]map[string]any{}, nodes: map[string]map[string]any{}, packages: map[string]map[string]any{}}
	v := fmt.Sprint(top["lockfileVersion"])
	major, _, _ := strings.Cut(v, ".")
	switch major {
	case "5":
		l.version = 5
	case "6":
		l.version = 6
	case "7", "8", "9":
		l.version = 9
	default:
		return nil, fmt.Errorf("parsing %s pnpm-lock.yaml: unsupported lockfileVersion %q", which, v)
	}
	if imps, ok := top["importers"].(map[string]any); ok {
		for k, v := range imps {
			m, _ := v.(map[string]any)
			if m == nil {
				m = map[string]any{}
			}
			l.importers[k] = m
		}
	} else {
		root := map[string]any{}
		for _, k := range []string{"dependencies", "devDependencies", "optionalDependencies", "specifiers", "dependenciesMeta"} {
			if v, ok := top[k]; ok {
				root[k] = v
			}
		}
		l.importers["."] = root
	}
	pk, _ := top["packages"].(map[string]any)
	for k, v := range pk {
		m, _ := v.(map[string]any)
		if l.version == 9 {
			l.packages[k] = m
		} else {
			l.nodes[strings.TrimPrefix(k, "/")] = m
		}
	}
	if l.version == 9 {
		sn, _ := top["snapshots"].(map[string]any)
		for k, v := range sn {
			m, _ := v.(map[string]any)
			l.nodes[k] = m
		}
	}
	return l, nil
}

const importerPrefix = "importer:"

// depNode returns the node key a dependency of an importer (at importer
// path imp, "" for packages) resolves to, or "".
func (l *pnpmLock) depNode(imp, name, version string) string {
	if target, ok := strings.CutPrefix(version, "link:"); ok {
		if imp == "" {
			return ""
		}
		return importerPrefix + path.Clean(path.Join(imp, target))
	}
	version = strings.TrimPrefix(version, "/")
	for _, k := range []string{name + "@" + version, version, name + "/" + version} {
		if _, ok := l.nodes[k]; ok {
			return k
		}
	}
	return ""
}

// deps returns name → version of a dependency map in an importer (v6/v9:
// {specifier, version}; v5: a version string) or a package entry.
func deps(m map[string]any, fields ...string) map[string]string {
	out := map[string]string{}
	for _, f := range fields {
		dm, _ := m[f].(map[string]any)
		for name, v := range dm {
			switch v := v.(type) {
			case string:
				out[name] = v
			case map[string]any:
				out[name] = fmt.Sprint(v["version"])
			default:
				out[name] = fmt.Sprint(v)
			}
		}
	}
	return out
}

func (l *pnpmLock) graph() graph {
	g := graph{}
	for imp, m := range l.importers {
		key := importerPrefix + imp
		for name, v := range deps(m, "dependencies", "devDependencies", "optionalDependencies") {
			if to := l.depNode(imp, name, v); to != "" {
				g[key] = append(g[key], to)
			}
		}
	}
	for k, m := range l.nodes {
		for name, v := range deps(m, "dependencies", "optionalDependencies") {
			if to := l.depNode("", name, v); to != "" {
				g[k] = append(g[k], to)
			}
		}
	}
	return g
}

// peerless strips the peer-dependency suffix of a v9 snapshot key:
// "next@14.0.0(react@18.2.0)" → "next@14.0.0".
func peerless(k string) string {
	if i := strings.IndexByte(k, '('); i > 0 {
		return k[:i]
	}
	return k
}

func pnpmChanges(old, new []byte, w *Workspace) ([]string, bool, error) {
	if old == nil || new == nil {
		return nil, false, nil
	}
	ol, err := parsePnpm("base", old)
	if err != nil {
		return nil, false, err
	}
	nl, err := parsePnpm("head", new)
	if err != nil {
		return nil, false, err
	}
	if ol.version != nl.version {
		return nil, false, nil
	}
	for _, l := range []*pnpmLock{ol, nl} {
		other := nl
		if l == nl {
			other = ol
		}
		for k, v := range l.top {
			if !pnpmIgnoredKey(k) && !reflect.DeepEqual(v, other.top[k]) {
				return nil, false, nil // settings, overrides, patches, …: global
			}
		}
	}

	changed := map[string]bool{}
	diffMaps(ol.importers, nl.importers, func(k string) { changed[importerPrefix+k] = true })
	diffMaps(ol.nodes, nl.nodes, func(k string) { changed[k] = true })
	var unmatched []string
	diffMaps(ol.packages, nl.packages, func(k string) {
		found := false
		for _, l := range []*pnpmLock{ol, nl} {
			for s := range l.nodes {
				if peerless(s) == k {
					changed[s] = true
					found = true
				}
			}
		}
		if !found {
			unmatched = append(unmatched, k)
		}
	})
	if len(unmatched) > 0 {
		return nil, false, nil
	}
	if len(changed) == 0 {
		return []string{}, true, nil
	}
	if changed[importerPrefix+"."] && w.packageAt(".") == "" {
		return w.allNames(), true, nil // the root's dependencies changed
	}
	roots := map[string]string{}
	rootKey := ""
	for _, l := range []*pnpmLock{ol, nl} {
		for imp := range l.importers {
			if name := w.packageAt(imp); name != "" {
				roots[importerPrefix+imp] = name
			} else if imp == "." {
				rootKey = importerPrefix + imp
			}
		}
	}
	og, ng := ol.graph(), nl.graph()
	hit, unreached := attribute(sortedKeys(changed), roots, og, ng)
	if len(unreached) > 0 {
		rootReach := map[string]bool{}
		if rootKey != "" {
			rootReach = og.reach(rootKey)
			for n := range ng.reach(rootKey) {
				rootReach[n] = true
			}
		}
		for _, c := range unreached {
			switch {
			case rootReach[c]:
				return w.allNames(), true, nil
			case strings.HasPrefix(c, importerPrefix):
				// An importer the workspace does not know (removed package).
			default:
				return nil, false, nil
			}
		}
	}
	return sortedKeys(hit), true, nil
}

// diffMaps calls f with every key whose value differs between a and b.
func diffMaps(a, b map[string]map[string]any, f func(string)) {
	for k, v := range a {
		if w, ok := b[k]; !ok || !reflect.DeepEqual(v, w) {
			f(k)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			f(k)
		}
	}
}
