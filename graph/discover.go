package graph

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/monoctx/monoctx/graph/cache"
	"github.com/monoctx/monoctx/graph/discover"
	"github.com/monoctx/monoctx/graph/tree"
)

// IsDefinitionFile reports whether a repo-relative path is a file builds may be defined in:
// compose files, .env, bake and skaffold files, workflows, Makefiles, shell scripts,
// devcontainer.json.
func IsDefinitionFile(p string) bool { return discover.IsDefinitionFile(p) }

// IsDockerfileName reports whether a file name is one monoctx treats as a Dockerfile.
func IsDockerfileName(name string) bool { return discover.IsDockerfileName(name) }

// IsLocalContext reports whether a named context value is a local directory.
func IsLocalContext(v string) bool { return discover.IsLocalContext(v) }

func dockerfileAppName(root, df string) string { return discover.DockerfileAppName(root, df) }

// found is an app definition before its input set is computed.
type found struct {
	app       App
	authority int // lower wins: discover.Authority of its source; 0 is monoctx.yaml
	group     string
	source    string
}

// discovered is one discovery run: the apps, and what discovery read.
type discovered struct {
	apps   []*App
	result *discover.Result
}

// discover finds every app definition under root.
// A non-nil keep keeps the result across runs.
func discoverApps(ctx context.Context, root string, v tree.View, cfg *Config, warn func(string), strict bool, c *cache.Cache, keep discover.Keeper) (*discovered, error) {
	return discoverWith(ctx, root, cfg, warn, strict, discover.Options{View: v, Cache: c, Keep: keep}, nil)
}

// discoverWith is discover with options for the walk (a file list instead of a walk, at base) and
// extra definitions of the lowest authority.
func discoverWith(ctx context.Context, root string, cfg *Config, warn func(string), strict bool, opts discover.Options, extra []found) (*discovered, error) {
	opts.Skip = cfg.skipGlobs()
	opts.Dockerfiles = cfg.Discovery.Dockerfiles == nil || *cfg.Discovery.Dockerfiles
	if opts.Env == nil {
		opts.Env = os.Environ()
	}
	res, err := discover.Find(ctx, root, opts)
	if err != nil {
		return nil, err
	}
	for _, b := range res.Broken {
		if strict {
			return nil, &b
		}
		warn(fmt.Sprintf("%s — the builds it defines are unknown; fix the file (the apps its Dockerfiles define are still found, with guessed contexts)", b.Error()))
	}
	for _, w := range res.Warnings {
		if strict {
			return nil, fmt.Errorf("%s (--strict)", w)
		}
		warn(w)
	}
	defs := append([]found{}, extra...)
	for _, b := range nameCompose(res.Builds) {
		a := App{Name: b.Name, Dockerfile: b.Dockerfile, Context: b.Context, Origin: b.Origin(), DefinedAt: b.Where(),
			Target: b.Target, Args: b.Args, Tags: b.Tags, Platforms: b.Platforms, Contexts: b.Contexts}
		if b.Stdin {
			a.Unresolved = fmt.Sprintf("%s builds it from a tar another command generates (docker build -): its inputs cannot be read from the repository", b.Where())
		}
		auth := discover.Authority(b.Source)
		if b.Guess {
			auth = discover.Authority(discover.SourceDockerfile) // below every exact definition
		}
		defs = append(defs, found{app: a, authority: auth, group: b.Group, source: b.Source})
	}

	read := func(rel string) ([]byte, error) { return os.ReadFile(filepath.Join(root, filepath.FromSlash(rel))) }
	if opts.View != nil {
		read = opts.View.ReadFile
	}
	uses := argUses(read)
	byName := map[string]int{}
	var apps []*App
	sort.SliceStable(defs, func(i, j int) bool { return defs[i].authority < defs[j].authority })
	seen := map[string]int{} // build key → index in apps
	sourceOf := map[int]found{}
	namesOf := map[string]map[string]bool{} // build key → the names defined with it
	hasDockerfile := map[string]bool{}      // the Dockerfiles of apps so far
	for _, d := range defs {
		a := d.app
		if a.Context == "" {
			a.Context = path.Dir(a.Dockerfile)
			a.contextUnknown = true // inferred from the Dockerfile when its inputs are computed
		}
		if d.source == discover.SourceDockerfile || d.authority == discover.Authority(discover.SourceDockerfile) {
			// A bare Dockerfile matches a more authoritative definition of the same file, whatever
			// context that definition chose.
			if hasDockerfile[a.Dockerfile] {
				continue
			}
		}
		key := buildKey(a, uses)
		if i, dup := seen[key]; dup {
			prev := sourceOf[i]
			// Two services of one compose project (or two bake targets) with the same build but
			// another name are two images; the same build found again (by a weaker source, or by
			// a compose layer that merges onto the project) is not.
			sameDef := prev.authority == d.authority && prev.group == d.group && !namesOf[key][a.Name] &&
				(d.source == discover.SourceCompose || d.source == discover.SourceBake || d.source == discover.SourceSkaffold)
			if !sameDef {
				continue
			}
		}
		if j, clash := byName[a.Name]; clash {
			// Two different builds under one name (a Makefile building one Dockerfile for three
			// ARCH values): keep each, told apart by what differs.
			a.Name += "@" + distinction(a, *apps[j])
			for n := 2; ; n++ {
				if _, again := byName[a.Name]; !again {
					break
				}
				a.Name = fmt.Sprintf("%s#%d", strings.SplitN(a.Name, "#", 2)[0], n)
			}
		}
		ap := a
		if namesOf[key] == nil {
			namesOf[key] = map[string]bool{}
		}
		namesOf[key][d.app.Name] = true
		if _, ok := seen[key]; !ok {
			seen[key] = len(apps)
		}
		sourceOf[len(apps)] = found{app: a, authority: d.authority, group: d.group, source: d.source}
		byName[ap.Name] = len(apps)
		apps = append(apps, &ap)
		hasDockerfile[ap.Dockerfile] = true
	}

	claimed := map[*App]bool{}
	names := make([]string, 0, len(cfg.Apps))
	for n := range cfg.Apps {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		ac := cfg.Apps[n]
		where := fmt.Sprintf("%s:%d", cfg.file, cfg.lines["apps."+n])
		var a *App
		if i, ok := byName[n]; ok && i >= 0 {
			a = apps[i]
		} else if ac.Dockerfile != "" {
			// The same Dockerfile and context found elsewhere; or the tree walk's find of the same
			// Dockerfile, whose context was only a guess.
			// An app another config entry already claimed is not taken again: two entries that
			// build one Dockerfile with other args or targets are two apps.
			for _, b := range apps {
				if !claimed[b] && b.Dockerfile == path.Clean(ac.Dockerfile) && (ac.Context == "" || b.Context == path.Clean(ac.Context)) &&
					(ac.Target == "" || ac.Target == b.Target) && argsAgree(ac.Args, b.Args) {
					a = b
					break
				}
			}
			for _, b := range apps {
				if a == nil && !claimed[b] && b.Origin == "dockerfile" && b.Dockerfile == path.Clean(ac.Dockerfile) {
					a = b
				}
			}
		}
		if a == nil {
			if ac.Dockerfile == "" {
				if ac.Skip {
					continue
				}
				return nil, &ParseError{File: cfg.file, Line: cfg.lines["apps."+n], Msg: fmt.Sprintf("app %q matches no discovered app and has no dockerfile; add dockerfile: (and context:) or fix the name (see `monoctx apps`)", n)}
			}
			a = &App{}
			apps = append(apps, a)
		} else {
			delete(byName, a.Name)
		}
		a.Name = n
		claimed[a] = true
		byName[n] = -1
		a.config = ac
		if ac.Skip {
			a.Name = "" // dropped below
			continue
		}
		a.Origin = "config:" + cfg.file
		a.DefinedAt = where
		if ac.Dockerfile != "" {
			a.Dockerfile = path.Clean(ac.Dockerfile)
			if ac.Context == "" {
				a.Context = path.Dir(a.Dockerfile)
			}
		}
		if ac.Context != "" {
			a.Context = path.Clean(ac.Context)
			a.ContextReason = "set in " + where
		}
		if ac.Target != "" {
			a.Target = ac.Target
		}
		if len(ac.Args) > 0 {
			if a.Args == nil {
				a.Args = map[string]string{}
			}
			for k, v := range ac.Args {
				a.Args[k] = v
			}
		}
		if len(ac.Tags) > 0 {
			a.Tags = ac.Tags
		}
		if len(ac.Contexts) > 0 {
			contexts, err := discover.NamedContexts(root, ac.Contexts, false)
			if err != nil {
				return nil, &ParseError{File: cfg.file, Line: cfg.lines["apps."+n], Msg: fmt.Sprintf("app %q: contexts: %v", n, err)}
			}
			if a.Contexts == nil {
				a.Contexts = map[string]string{}
			}
			for k, v := range contexts {
				a.Contexts[k] = v
			}
		}
		if !(files{tree.AbsOf(opts.View)}).fileExists(filepath.Join(root, filepath.FromSlash(a.Dockerfile))) {
			return nil, &ParseError{File: cfg.file, Line: cfg.lineOf(ac.Dockerfile), Msg: fmt.Sprintf("app %q: Dockerfile %s does not exist; fix dockerfile: or remove the entry", n, a.Dockerfile)}
		}
	}
	out := apps[:0]
	for _, a := range apps {
		if a.Name != "" {
			out = append(out, a)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return &discovered{apps: out, result: res}, nil
}

// buildKey identifies what a definition builds: Dockerfile, context, target, the args its
// Dockerfile can read (uses), and named contexts. A workflow that passes every image of its
// matrix the same three build args builds what compose builds with the one each needs.
func buildKey(a App, uses func(df, arg string) bool) string {
	keys := make([]string, 0, len(a.Args))
	for k := range a.Args {
		if uses(a.Dockerfile, k) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(a.Dockerfile + "\x00" + a.Context + "\x00" + a.Target)
	for _, k := range keys {
		b.WriteString("\x00" + k + "=" + a.Args[k])
	}
	keys = keys[:0]
	for k := range a.Contexts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		b.WriteString("\x00@" + k + "=" + a.Contexts[k])
	}
	return b.String()
}

// argUses reports whether a build arg can change what a Dockerfile builds: the predefined ones
// (proxies, BUILDKIT_*, SOURCE_DATE_EPOCH) always, any other where the Dockerfile's text holds
// its name. The test is textual, so that it can only over-count: an unreadable Dockerfile, or
// one whose `# syntax=` names another frontend (which may read any arg), uses every arg.
func argUses(read func(rel string) ([]byte, error)) func(df, arg string) bool {
	texts := map[string][]byte{} // nil: every arg counts
	return func(df, arg string) bool {
		if predefinedArg(arg) {
			return true
		}
		text, ok := texts[df]
		if !ok {
			var err error
			text, err = read(df)
			if err != nil || otherFrontend(text) {
				text = nil
			}
			texts[df] = text
		}
		return text == nil || bytes.Contains(text, []byte(arg))
	}
}

func predefinedArg(k string) bool {
	switch strings.ToUpper(k) {
	case "HTTP_PROXY", "HTTPS_PROXY", "FTP_PROXY", "NO_PROXY", "ALL_PROXY", "SOURCE_DATE_EPOCH":
		return true
	}
	return strings.HasPrefix(k, "BUILDKIT_")
}

// otherFrontend reports whether a Dockerfile's syntax directive names a frontend other than
// Docker's Dockerfile frontend.
func otherFrontend(text []byte) bool {
	for len(text) > 0 {
		line, rest, _ := bytes.Cut(text, []byte("\n"))
		text = rest
		t := bytes.TrimSpace(line)
		if len(t) == 0 {
			continue
		}
		if t[0] != '#' {
			return false // directives come first
		}
		d := bytes.ToLower(bytes.ReplaceAll(t[1:], []byte(" "), nil))
		if v, ok := bytes.CutPrefix(d, []byte("syntax=")); ok {
			return !bytes.Contains(v, []byte("docker/dockerfile"))
		}
	}
	return false
}

// nameCompose names compose services: by the service, unless several compose projects (in
// different directories) have a service of that name; then by the project's directory and the
// service (awesome-compose's angular/frontend and vuejs/frontend).
func nameCompose(builds []discover.Build) []discover.Build {
	dirs := map[string]map[string]bool{}
	for _, b := range builds {
		if b.Source == discover.SourceCompose {
			if dirs[b.Name] == nil {
				dirs[b.Name] = map[string]bool{}
			}
			dirs[b.Name][b.Group] = true
		}
	}
	out := slices.Clone(builds)
	for i, b := range out {
		if b.Source == discover.SourceCompose && len(dirs[b.Name]) > 1 && b.Group != "." {
			out[i].Name = b.Group + "/" + b.Name
		}
	}
	return out
}

// distinction says what tells build a from build b of the same name: the target, the args that
// differ, the context, or the defining file.
func distinction(a, b App) string {
	if a.Target != b.Target && a.Target != "" {
		return a.Target
	}
	var diff []string
	for _, k := range slices.Sorted(maps.Keys(a.Args)) {
		if v, ok := b.Args[k]; !ok || v != a.Args[k] {
			diff = append(diff, k+"="+a.Args[k])
		}
	}
	if len(diff) > 0 {
		return strings.Join(diff, ",")
	}
	if a.Dockerfile != b.Dockerfile {
		return a.Dockerfile
	}
	if a.Context != b.Context {
		return a.Context
	}
	_, file, _ := strings.Cut(a.Origin, ":")
	if file == "" {
		file = a.Origin
	}
	return file
}

// argsAgree reports whether every arg a config entry sets has that value in a discovered build.
func argsAgree(want, have map[string]string) bool {
	for k, v := range want {
		if hv, ok := have[k]; ok && hv != v {
			return false
		}
	}
	return true
}

// repoRel turns an absolute path into a repo-relative slash path, refusing paths outside the repo.
func repoRel(root, p string) (string, error) { return discover.RepoRel(root, p) }
