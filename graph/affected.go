package graph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/monoctx/monoctx/graph/cache"
	"github.com/monoctx/monoctx/graph/discover"
	"github.com/monoctx/monoctx/graph/golang"
	"github.com/monoctx/monoctx/graph/jsdeps"
	"github.com/monoctx/monoctx/graph/tree"
)

// Change is one changed path between base and head. A rename is a deletion plus an addition.
type Change struct {
	Path   string // repo-relative, slash-separated
	Status string // "added", "modified", "deleted"; "" when unknown (a --files list)
}

// BaseReader reads files as they were at the base commit. ReadFile returns an error wrapping
// fs.ErrNotExist for a path absent at base.
type BaseReader interface {
	ReadFile(ctx context.Context, path string) ([]byte, error)
}

// batchReader is a BaseReader that reads many files at once (tree.Rev): ReadFiles answers as
// ReadFile would for each path.
type batchReader interface {
	ReadFiles(ctx context.Context, paths []string) ([][]byte, []error)
}

// Affected is one app a change affects.
type Affected struct {
	Name       string   `json:"name"`
	Dockerfile string   `json:"dockerfile"`
	Context    string   `json:"context"`
	Status     string   `json:"status"` // "affected" or "removed"
	Reasons    []Reason `json:"reasons"`
}

// Reason is one changed path and the rule that makes it matter.
type Reason struct {
	Path string `json:"path"`
	Rule string `json:"rule"`
}

// Reason rules that are not input rules.
const (
	RuleMissingBase = "missing-base: the base commit is not in this clone; every app is selected (--on-missing-base=all)"
)

// Affected returns the apps whose input set contains a changed path, apps whose definition changed
// (compose, skaffold, bake, monoctx.yaml, compared with base when base is not nil) and apps whose
// Dockerfile is gone (status "removed"), each with every reason. Sorted by name.
func (g *Graph) Affected(ctx context.Context, changes []Change, base BaseReader) ([]Affected, error) {
	return g.affected(ctx, changes, base, true)
}

// AffectedApps returns the apps Affected returns, each with one reason: the first that selects it
// (changes in the order given, then definitions). For output that names the apps: once an app is
// selected, its later changes are not explained (on a long range, most of Affected's work).
func (g *Graph) AffectedApps(ctx context.Context, changes []Change, base BaseReader) ([]Affected, error) {
	return g.affected(ctx, changes, base, false)
}

func (g *Graph) affected(ctx context.Context, changes []Change, base BaseReader, every bool) ([]Affected, error) {
	ix := g.inputIndex()
	var sel *selected // the apps already selected, when one reason is enough
	appIndex := map[string]int{}
	if !every {
		sel = ix.newSelected(len(g.Apps))
		for i, a := range g.Apps {
			appIndex[a.Name] = i
		}
	}
	hits := map[string]*Affected{}
	hit := func(a *App, status string, r Reason) {
		h, ok := hits[a.Name]
		if !ok {
			h = &Affected{Name: a.Name, Dockerfile: a.Dockerfile, Context: a.Context, Status: status}
			hits[a.Name] = h
		}
		if every || len(h.Reasons) == 0 {
			h.Reasons = append(h.Reasons, r)
		}
		if i, ok := appIndex[a.Name]; ok && h.Status == "affected" {
			sel.add(i)
		}
	}
	modCache := map[string]modDiff{}
	lockCache := map[string]lockDiff{}
	// A rule's text once: the files of one package share their rule, and a long range matches
	// thousands of them (loki's 100 commits: 20,000 reasons).
	ruleTexts := map[Rule]string{}
	ruleText := func(r Rule) string {
		t, ok := ruleTexts[r]
		if !ok {
			t = r.String()
			ruleTexts[r] = t
		}
		return t
	}
	decisions := ignoreDecisions{}
	for _, c := range changes {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if !every && len(hits) == len(g.Apps) {
			break // every app is selected: no change can add one
		}
		if _, ok := g.Config.excluded(c.Path); ok {
			continue // an excluded path never counts, for any app
		}
		if rule, ok := g.Config.GlobalRule(c.Path); ok {
			for _, a := range g.Apps {
				hit(a, "affected", Reason{Path: c.Path, Rule: rule})
			}
			continue
		}
		cands := ix.candidates(cleanPath(c.Path), sel)
		inside := ix.beneath(cleanPath(c.Path), sel)
		for ai, a := range g.Apps {
			if sel.has(ai) {
				continue
			}
			only, ok := cands[ai]
			if !ok {
				if a.Always == nil && !hasKey(inside, ai) {
					continue
				}
				only = []int{} // none of its inputs, but every path counts
			}
			ex := a.explainWith(c.Path, only, decisions)
			if !ex.Input {
				if in, ok := inside[ai]; ok {
					// A submodule (or a directory replaced whole) changed: an input inside it may
					// have; the ignore file is not consulted, so this may over-select.
					hit(a, "affected", Reason{Path: c.Path, Rule: fmt.Sprintf("%s, inside this changed directory (a submodule's commit or work tree)", a.ruleAt(in).String())})
				}
				continue
			}
			rule := ruleText(ex.Rules[0])
			switch {
			case onlyKind(ex.Rules, "go-mod") && a.goInfo != nil:
				var affected bool
				affected, rule = g.goModChange(ctx, a, c.Path, base, changes, modCache)
				if !affected {
					continue
				}
			case onlyKind(ex.Rules, "js-lock") && a.jsInfo != nil:
				var affected bool
				affected, rule = g.lockfileChange(ctx, a, c.Path, base, lockCache)
				if !affected {
					continue
				}
			}
			hit(a, "affected", Reason{Path: c.Path, Rule: rule})
		}
	}

	defs, err := g.definitionChanges(ctx, changes, base)
	if err != nil {
		return nil, err
	}
	for _, d := range defs {
		if d.app != nil {
			hit(d.app, "affected", d.reason)
			continue
		}
		hits[d.removed.Name] = d.removed
	}

	// An app built on another app's image (a "target:x" or "service:x" named context) changes with
	// it; chains are followed until nothing new is affected.
	for changed := true; changed; {
		changed = false
		for _, a := range g.Apps {
			if h, ok := hits[a.Name]; ok && h.Status == "affected" {
				continue
			}
			for _, d := range a.imageDeps {
				dh, ok := hits[d.app]
				if !ok || dh.Status != "affected" || len(dh.Reasons) == 0 {
					continue
				}
				hit(a, "affected", Reason{Path: dh.Reasons[0].Path, Rule: fmt.Sprintf("%s: the image of %s, which this change affects", d.rule, d.app)})
				changed = true
				break
			}
		}
	}

	out := make([]Affected, 0, len(hits))
	for _, h := range hits {
		sort.SliceStable(h.Reasons, func(i, j int) bool { return h.Reasons[i].Path < h.Reasons[j].Path })
		h.Reasons = dedupReasons(h.Reasons)
		out = append(out, *h)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func hasKey(m map[int]int, k int) bool {
	_, ok := m[k]
	return ok
}

// All selects every app with one reason, for --on-missing-base=all.
func (g *Graph) All(rule string) []Affected {
	out := make([]Affected, 0, len(g.Apps))
	for _, a := range g.Apps {
		out = append(out, Affected{Name: a.Name, Dockerfile: a.Dockerfile, Context: a.Context, Status: "affected",
			Reasons: []Reason{{Path: "", Rule: rule}}})
	}
	return out
}

func dedupReasons(rs []Reason) []Reason {
	out := rs[:0]
	for i, r := range rs {
		if i > 0 && r == rs[i-1] {
			continue
		}
		out = append(out, r)
	}
	return out
}

// cleanPath cleans a repo-relative path as Explain does ("." for the root).
func cleanPath(p string) string {
	p = strings.TrimPrefix(path.Clean("/"+p), "/")
	if p == "" {
		return "."
	}
	return p
}

type defChange struct {
	app     *App
	reason  Reason
	removed *Affected
}

// appDef is what defines an app besides its Dockerfile: compared at base and head.
type appDef struct {
	Dockerfile, Context, Target string
	Args, Contexts              map[string]string
	Config                      *AppConfig
}

// defOf is a's definition to compare with other's. A context no source set is inferred from the
// Dockerfile, which base discovery does not read: when neither side set it, it is not compared
// (a change in the Dockerfile is an input change already). Nor are the args the Dockerfile
// cannot read (uses).
func defOf(a, other *App, uses func(df, arg string) bool) appDef {
	d := appDef{Dockerfile: a.Dockerfile, Context: a.Context, Target: a.Target, Contexts: a.Contexts, Config: a.config}
	for k, v := range a.Args {
		if uses(a.Dockerfile, k) {
			if d.Args == nil {
				d.Args = map[string]string{}
			}
			d.Args[k] = v
		}
	}
	if (a.contextUnknown || a.Origin == "dockerfile") && (other.contextUnknown || other.Origin == "dockerfile") {
		d.Context = ""
	}
	if len(d.Args) == 0 {
		d.Args = nil
	}
	if len(d.Contexts) == 0 {
		d.Contexts = nil
	}
	return d
}

// definitionChanges compares app definitions at base and head when a definition file changed, and
// reports apps whose Dockerfile is gone.
func (g *Graph) definitionChanges(ctx context.Context, changes []Change, base BaseReader) ([]defChange, error) {
	head := map[string]*App{}
	byDockerfile := map[string]bool{}
	for _, a := range g.Apps {
		head[a.Name] = a
		byDockerfile[a.Dockerfile] = true
	}
	changedDefs, deletedDockerfile := g.definitionPaths(g.Apps, changes)

	var out []defChange
	var baseApps map[string]*App
	if len(changedDefs) == 0 && deletedDockerfile && base != nil {
		// Which app a deleted Dockerfile was: its name at base (a compose service, a target).
		baseApps, _ = g.baseDefinitions(ctx, base, changes)
	}
	if len(changedDefs) > 0 {
		why := strings.Join(changedDefs, ", ")
		var err error
		if base == nil {
			err = errors.New("no base commit to compare with (--files)")
		} else {
			baseApps, err = g.baseDefinitions(ctx, base, changes)
		}
		if err != nil {
			// Cannot tell what changed: every app defined by a changed file is affected.
			for _, a := range g.Apps {
				if definedBy(a, changedDefs, g.Config.file) {
					out = append(out, defChange{app: a, reason: Reason{Path: changedDefs[0],
						Rule: fmt.Sprintf("definition file changed (%s) and could not be compared with base: %v", why, err)}})
				}
			}
		} else {
			// By the head's Dockerfiles: a change to one is an input change of its apps.
			uses := argUses(func(rel string) ([]byte, error) { return g.fs.ReadFile(filepath.Join(g.Root, filepath.FromSlash(rel))) })
			for _, a := range g.Apps {
				b, ok := baseApps[a.Name]
				switch {
				case !ok && a.Origin != "dockerfile":
					out = append(out, defChange{app: a, reason: Reason{Path: originFile(a), Rule: "new app in " + originFile(a)}})
				case ok && !reflect.DeepEqual(defOf(a, b, uses), defOf(b, a, uses)):
					out = append(out, defChange{app: a, reason: Reason{Path: originFile(a), Rule: "app definition changed in " + why}})
				}
			}
			if g.globalsChanged(ctx, base) {
				for _, a := range g.Apps {
					out = append(out, defChange{app: a, reason: Reason{Path: g.Config.file, Rule: "global or exclude globs changed in " + g.Config.file}})
				}
			}
			for name, b := range baseApps {
				// A Dockerfile-only app at base is seeded from the head's Dockerfiles, so its name is only
				// trusted while no head app uses that Dockerfile; a compose, skaffold, bake or config app
				// whose name is gone is removed, even when the walk still finds its Dockerfile.
				if _, ok := head[name]; !ok && (b.Origin != "dockerfile" || !byDockerfile[b.Dockerfile]) {
					out = append(out, defChange{removed: &Affected{Name: name, Dockerfile: b.Dockerfile, Context: b.Context, Status: "removed",
						Reasons: []Reason{{Path: originFile(b), Rule: "app removed from " + originFile(b)}}}})
				}
			}
		}
	}

	// A deleted Dockerfile that no app at head uses: the app is removed.
	for _, c := range changes {
		if c.Status != "deleted" || !IsDockerfileName(path.Base(c.Path)) || byDockerfile[c.Path] {
			continue
		}
		// The base apps built from it, in name order, preferring one gone at head.
		var baseNames []string
		for n, b := range baseApps {
			if b.Dockerfile == c.Path {
				baseNames = append(baseNames, n)
			}
		}
		sort.Strings(baseNames)
		name := dockerfileAppName(g.Root, c.Path)
		if len(baseNames) > 0 {
			name = baseNames[0]
			for _, n := range baseNames {
				if _, ok := head[n]; !ok {
					name = n
					break
				}
			}
		}
		if a, ok := head[name]; ok && a.Dockerfile != c.Path {
			name = c.Path // the name now belongs to another Dockerfile
		}
		dup := false
		for _, d := range out {
			if d.removed != nil && (d.removed.Name == name || slices.Contains(baseNames, d.removed.Name)) {
				dup = true
			}
		}
		if !dup {
			out = append(out, defChange{removed: &Affected{Name: name, Dockerfile: c.Path, Context: path.Dir(c.Path), Status: "removed",
				Reasons: []Reason{{Path: c.Path, Rule: "Dockerfile deleted"}}}})
		}
	}
	return out, nil
}

// definitionPaths returns the changed paths that are definition files, and whether a Dockerfile no
// app uses was deleted: when either holds, affected reads the definitions at base.
func (g *Graph) definitionPaths(apps []*App, changes []Change) (changedDefs []string, deletedDockerfile bool) {
	byDockerfile := map[string]bool{}
	for _, a := range apps {
		byDockerfile[a.Dockerfile] = true
	}
	defFiles := map[string]bool{g.Config.file: true}
	if g.discovery != nil {
		for _, f := range g.discovery.Files {
			defFiles[f] = true
		}
	}
	for _, c := range changes {
		if defFiles[c.Path] || IsDefinitionFile(c.Path) {
			changedDefs = append(changedDefs, c.Path)
		}
		if c.Status == "deleted" && IsDockerfileName(path.Base(c.Path)) && !byDockerfile[c.Path] {
			deletedDockerfile = true
		}
	}
	return changedDefs, deletedDockerfile
}

// basePrefetch is the app definitions at base, read while Load analyses the apps (WithBase).
type basePrefetch struct {
	base    BaseReader
	done    chan struct{}
	changes []Change
	ran     bool // the definitions were read: changes named a definition file or a deleted Dockerfile
	apps    map[string]*App
	err     error
	// mods are the module diffs of the changed go.mod and go.sum files of modChanges, by module
	// directory, set before modsDone is closed.
	mods        map[string]modDiff
	modChanges  []Change
	modsDone    chan struct{}
	defsStarted bool // prefetchBase started reading the definitions: done will be closed
}

// prefetchBase starts reading the definitions at base, once the changes are known, beside the
// analysis of apps (which reads no definition file and changes no app's Dockerfile).
func (g *Graph) prefetchBase(ctx context.Context, apps []*App, base BaseReader, changes func() ([]Change, error)) {
	p := g.pre
	if p == nil || p.base != base {
		p = g.prefetchModDiffs(ctx, base, changes)
	}
	p.defsStarted = true
	go func() {
		defer close(p.done)
		cs, err := changes()
		if err != nil {
			p.err = err
			return
		}
		p.changes = cs
		if defs, deleted := g.definitionPaths(apps, cs); len(defs) > 0 || deleted {
			p.ran = true
			p.apps, p.err = g.loadBaseDefinitionsOf(ctx, base, cs, apps)
		}
	}()
}

// prefetchModDiffs starts comparing the changed go.mod and go.sum files at base with the head's for
// the Go apps of their modules, once the changes are known: it needs no app, so it runs beside
// discovery too, rather than when affected meets the file.
func (g *Graph) prefetchModDiffs(ctx context.Context, base BaseReader, changes func() ([]Change, error)) *basePrefetch {
	p := &basePrefetch{base: base, done: make(chan struct{}), modsDone: make(chan struct{})}
	g.pre = p
	go func() {
		defer close(p.modsDone)
		cs, err := changes()
		if err != nil {
			return
		}
		p.modChanges = cs
		p.mods = map[string]modDiff{}
		for _, c := range cs {
			if n := path.Base(c.Path); n == "go.mod" || n == "go.sum" {
				dir := path.Dir(c.Path)
				if _, done := p.mods[dir]; !done {
					p.mods[dir] = g.diffModule(ctx, dir, base)
				}
			}
		}
	}()
	return p
}

// wait waits for what the prefetch started: a failed Load leaves nothing running.
func (p *basePrefetch) wait() {
	<-p.modsDone
	if p.defsStarted {
		<-p.done
	}
}

// prefetchedModDiff is the module diff of dir the prefetch computed, when it read the same base and
// changes; affected computes the others as it meets them.
func (g *Graph) prefetchedModDiff(ctx context.Context, base BaseReader, changes []Change, dir string) (modDiff, bool) {
	p := g.pre
	if p == nil || p.base != base {
		return modDiff{}, false
	}
	select {
	case <-p.modsDone:
	case <-ctx.Done():
		return modDiff{}, false
	}
	if !slices.Equal(p.modChanges, changes) {
		return modDiff{}, false
	}
	d, ok := p.mods[dir]
	return d, ok
}

// baseDefinitions is loadBaseDefinitions, from the prefetch when it read the same base and changes.
func (g *Graph) baseDefinitions(ctx context.Context, base BaseReader, changes []Change) (map[string]*App, error) {
	if p := g.pre; p != nil && p.base == base {
		select {
		case <-p.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if p.ran && slices.Equal(p.changes, changes) {
			return p.apps, p.err
		}
	}
	return g.loadBaseDefinitions(ctx, base, changes)
}

func isComposeName(p string) bool {
	return !strings.Contains(p, "/") && strings.HasPrefix(p, "compose.") && (strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml"))
}

func originFile(a *App) string {
	_, f, _ := strings.Cut(a.Origin, ":")
	if f == "" {
		return a.Dockerfile
	}
	return f
}

func definedBy(a *App, files []string, cfgFile string) bool {
	for _, f := range files {
		// A config change can override any app (a new entry may name it), so it reaches every app.
		if f == cfgFile || originFile(a) == f ||
			(path.Base(f) == ".env" && strings.HasPrefix(a.Origin, "compose:") && path.Dir(f) == path.Dir(originFile(a))) ||
			(strings.HasPrefix(a.Origin, "bake:") && !strings.Contains(f, "/") && strings.HasPrefix(f, "docker-bake.")) {
			return true
		}
	}
	return false
}

// loadBaseDefinitions rebuilds the app definitions (not the Dockerfiles) from the definition files as
// they were at base: the head's file list (plus the changed paths) stands for the tree, and the
// definition files, read at base, are held in memory for the readers that open them.
func (g *Graph) loadBaseDefinitions(ctx context.Context, base BaseReader, changes []Change) (map[string]*App, error) {
	return g.loadBaseDefinitionsOf(ctx, base, changes, g.Apps)
}

// loadBaseDefinitionsOf is loadBaseDefinitions with the head's apps given: it reads only their
// Dockerfiles' names.
func (g *Graph) loadBaseDefinitionsOf(ctx context.Context, base BaseReader, changes []Change, apps []*App) (map[string]*App, error) {
	contents, list, err := g.baseDefinitionFiles(ctx, base, changes, apps)
	if err != nil {
		return nil, err
	}
	// What discovery finds at base is kept by the content it reads: a CI job's base (the branch a
	// pull request targets) is the same for every push.
	env := os.Environ()
	id := ""
	if g.cache != nil {
		id = baseDefsKey(g.Root, g.Config.file, contents, list, env)
	}
	if apps, ok := g.keptBaseDefinitions(id); ok {
		return apps, nil
	}
	v := tree.NewMem(g.Root, contents, list)
	cfg, err := loadConfig(files{tree.AbsOf(v)}.ReadFile, g.Root, g.Config.file, false)
	if err != nil {
		return nil, fmt.Errorf("at base: %w", err)
	}
	d, err := discoverWith(ctx, g.Root, cfg, func(string) {}, false, discover.Options{Files: list, View: v, Cache: g.cache, Env: env}, nil)
	if err != nil {
		return nil, fmt.Errorf("at base: %w", err)
	}
	found := map[string]*App{}
	for _, a := range d.apps {
		found[a.Name] = a
	}
	kept := toBaseApps(found)
	g.keepBaseDefinitions(id, kept)
	return fromBaseApps(kept), nil
}

// baseDefinitionFiles reads the definition files at base (the head's, the config, and the changed
// ones), by path, with nil for each head app's Dockerfile, and the tree's list of paths at base.
func (g *Graph) baseDefinitionFiles(ctx context.Context, base BaseReader, changes []Change, apps []*App) (map[string][]byte, []string, error) {
	var defs []string
	if !filepath.IsAbs(g.Config.file) { // a config outside the repository is read as it is
		defs = append(defs, g.Config.file)
	}
	listed := map[string]bool{}
	var list []string
	if g.discovery != nil {
		defs = append(defs, g.discovery.Files...)
		list = g.discovery.Paths()
		for _, p := range list {
			listed[p] = true
		}
	}
	for _, c := range changes {
		if IsDefinitionFile(c.Path) {
			defs = append(defs, c.Path)
		}
		if !listed[c.Path] {
			list = append(list, c.Path)
			listed[c.Path] = true
		}
	}
	// The apps' Dockerfiles too: which build args a Dockerfile reads decides which definitions
	// are one build (buildKey), at base as at head.
	for _, a := range apps {
		if a.Dockerfile != "" && !filepath.IsAbs(a.Dockerfile) {
			defs = append(defs, a.Dockerfile)
		}
	}
	contents := map[string][]byte{}
	seen := map[string]bool{}
	var unique []string
	for _, f := range defs {
		if !seen[f] {
			seen[f] = true
			unique = append(unique, f)
		}
	}
	read := func(i int) ([]byte, error) { return base.ReadFile(ctx, unique[i]) }
	if b, ok := base.(batchReader); ok {
		// Every definition file in one round trip to git: one by one, they were a fifth of loki's
		// warm run, waited for at its end.
		all, errs := b.ReadFiles(ctx, unique)
		read = func(i int) ([]byte, error) {
			if errs[i] != nil {
				return nil, errs[i]
			}
			return all[i], nil
		}
	}
	for i, f := range unique {
		data, err := read(i)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return nil, nil, fmt.Errorf("reading %s at base: %w", f, err)
		}
		contents[path.Clean(f)] = data
	}
	// Config apps that override discovered apps need their Dockerfiles to exist.
	for _, a := range apps {
		if _, ok := contents[a.Dockerfile]; !ok {
			contents[a.Dockerfile] = nil
		}
	}
	return contents, list, nil
}

// globalsChanged reports whether the global or exclude globs differ between base and head.
func (g *Graph) globalsChanged(ctx context.Context, base BaseReader) bool {
	if filepath.IsAbs(g.Config.file) {
		return false // outside the repository: not versioned, the same at base
	}
	data, err := base.ReadFile(ctx, g.Config.file)
	var old *Config
	switch {
	case errors.Is(err, fs.ErrNotExist):
		old = &Config{}
	case err != nil:
		return true
	default:
		if old, err = ParseConfig(g.Config.file, data); err != nil {
			return true
		}
	}
	return !reflect.DeepEqual(old.Global, g.Config.Global) || !reflect.DeepEqual(old.Exclude, g.Config.Exclude)
}

// MarshalJSON keeps reasons an empty list rather than null.
func (a Affected) MarshalJSON() ([]byte, error) {
	type plain Affected
	if a.Reasons == nil {
		a.Reasons = []Reason{}
	}
	return json.Marshal(plain(a))
}

// onlyKind reports whether every rule that makes a path an input is of one kind.
func onlyKind(rules []Rule, kind string) bool {
	for _, r := range rules {
		if r.Kind != kind {
			return false
		}
	}
	return len(rules) > 0
}

// lockDiff is the outcome of attributing one lockfile's change to workspace packages.
type lockDiff struct {
	pkgs    map[string]bool
	decided bool
	why     string
}

// lockfileChange decides whether a lockfile change reaches an app narrowed to a workspace package:
// only when the package or one of its workspace dependencies had its resolved dependencies changed.
// When the lockfile format does not allow it (yarn, bun) or a lockfile does not parse, every JS app
// of the workspace is affected, with the reason.
func (g *Graph) lockfileChange(ctx context.Context, a *App, p string, base BaseReader, cache map[string]lockDiff) (bool, string) {
	d, ok := cache[p]
	if !ok {
		d = g.diffLockfile(ctx, a, p, base)
		cache[p] = d
	}
	if !d.decided {
		return true, fmt.Sprintf("JS: %s changed and could not be attributed to packages (%s): every JS app of the workspace is affected", p, d.why)
	}
	var hits []string
	for name := range a.jsInfo.pkgs {
		if d.pkgs[name] {
			hits = append(hits, name)
		}
	}
	if len(hits) == 0 {
		return false, ""
	}
	sort.Strings(hits)
	return true, fmt.Sprintf("JS: %s: resolved dependencies of %s changed", p, strings.Join(hits, ", "))
}

func (g *Graph) diffLockfile(ctx context.Context, a *App, p string, base BaseReader) lockDiff {
	if base == nil {
		return lockDiff{why: "no base commit to compare with"}
	}
	old, err := base.ReadFile(ctx, p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return lockDiff{why: "the lockfile is new"}
		}
		return lockDiff{why: err.Error()}
	}
	cur, err := g.fs.ReadFile(filepath.Join(g.Root, filepath.FromSlash(p)))
	if err != nil {
		return lockDiff{why: "the lockfile is gone"}
	}
	pkgs, decided, err := jsdeps.LockfileChanges(path.Base(p), old, cur, a.jsInfo.ws)
	switch {
	case err != nil:
		return lockDiff{why: "lockfile-unparsed: " + err.Error()}
	case !decided:
		return lockDiff{why: "the lockfile format or change cannot be attributed"}
	}
	d := lockDiff{pkgs: map[string]bool{}, decided: true}
	for _, n := range pkgs {
		d.pkgs[n] = true
	}
	return d
}

// modDiff is the outcome of comparing one module's go.mod and go.sum at base and head.
type modDiff struct {
	changed map[string]bool
	decided bool
	why     string
}

// goModChange decides whether a go.mod or go.sum change reaches an app narrowed by Go analysis: only
// when its closure imports a module whose requirement or sum changed. When that cannot be decided
// (no base, a go directive change, an unparsable file) the app is affected, with the reason.
func (g *Graph) goModChange(ctx context.Context, a *App, p string, base BaseReader, changes []Change, cache map[string]modDiff) (bool, string) {
	dir := path.Dir(p)
	name := path.Base(p)
	if dir != a.goInfo.moduleDir || (name != "go.mod" && name != "go.sum") {
		return true, "Go: " + p + " (workspace or other module file)"
	}
	d, ok := cache[dir]
	if !ok {
		if d, ok = g.prefetchedModDiff(ctx, base, changes, dir); !ok {
			d = g.diffModule(ctx, dir, base)
		}
		cache[dir] = d
	}
	if !d.decided {
		return true, fmt.Sprintf("Go: %s changed and could not be narrowed to modules (%s): every Go app of the module is affected", p, d.why)
	}
	var hits []string
	for m := range d.changed {
		if a.goInfo.external[m] {
			hits = append(hits, m)
		}
	}
	if len(hits) == 0 {
		if !a.goInfo.complete && len(d.changed) > 0 {
			return true, fmt.Sprintf("Go: %s changed; without vendor/ the modules the closure imports indirectly are unknown, so any changed module may reach it", p)
		}
		return false, ""
	}
	sort.Strings(hits)
	return true, fmt.Sprintf("Go: %s: the closure imports changed module(s) %s", p, strings.Join(hits, ", "))
}

func (g *Graph) diffModule(ctx context.Context, dir string, base BaseReader) modDiff {
	if base == nil {
		return modDiff{why: "no base commit to compare with"}
	}
	atBase := map[string][]byte{}
	atBaseErr := map[string]error{}
	if b, ok := base.(batchReader); ok { // go.sum is large: both in one round trip
		names := []string{joinRel(dir, "go.mod"), joinRel(dir, "go.sum")}
		data, errs := b.ReadFiles(ctx, names)
		for i, n := range names {
			atBase[n], atBaseErr[n] = data[i], errs[i]
		}
	}
	read := func(name string) ([]byte, []byte, error) {
		p := joinRel(dir, name)
		old, err := atBase[p], atBaseErr[p]
		if _, ok := atBase[p]; !ok {
			old, err = base.ReadFile(ctx, p)
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, nil, err
		}
		cur, err := g.fs.ReadFile(filepath.Join(g.Root, filepath.FromSlash(p)))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, nil, err
		}
		return old, cur, nil
	}
	oldMod, newMod, err := read("go.mod")
	if err != nil {
		return modDiff{why: err.Error()}
	}
	oldSum, newSum, err := read("go.sum")
	if err != nil {
		return modDiff{why: err.Error()}
	}
	changed, decided, err := changedModules(g.cache, oldMod, newMod, oldSum, newSum)
	if err != nil {
		return modDiff{why: err.Error()}
	}
	if !decided {
		return modDiff{why: "a go, toolchain or module directive changed"}
	}
	d := modDiff{changed: map[string]bool{}, decided: true}
	for _, m := range changed {
		d.changed[m] = true
	}
	return d
}

// modDiffKind is the cache kind of a module comparison (golang.ChangedModules): decided, then the
// changed modules. Change the number when ChangedModules' answer for the same files changes.
const modDiffKind cache.Kind = "module-diff/1"

// changedModules is golang.ChangedModules kept in c (nil: none) by the blob ids of the four
// files: parsing a large go.mod and go.sum at base and head was a tenth of a warm run's CPU, and
// a CI job compares the same base with every push. Errors are not kept.
func changedModules(c *cache.Cache, oldMod, newMod, oldSum, newSum []byte) ([]string, bool, error) {
	if c == nil {
		return golang.ChangedModules(oldMod, newMod, oldSum, newSum)
	}
	var k cache.Encoder
	for _, data := range [][]byte{oldMod, newMod, oldSum, newSum} {
		k.Bool(data != nil) // a missing file is not an empty one
		if data != nil {
			k.String(cache.BlobID(data))
		}
	}
	id := string(k.Bytes())
	if v, ok := c.Get(modDiffKind, id, ""); ok {
		d := cache.NewDecoder(v)
		decided, changed := d.Bool(), d.Strings()
		if d.Err() == nil {
			return changed, decided, nil
		}
	}
	changed, decided, err := golang.ChangedModules(oldMod, newMod, oldSum, newSum)
	if err != nil {
		return nil, false, err
	}
	var e cache.Encoder
	e.Bool(decided)
	e.Strings(changed)
	c.Put(modDiffKind, id, "", e.Bytes())
	return changed, decided, nil
}
