package graph

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/bmatcuk/doublestar/v4"
	"github.com/compose-spec/compose-go/v2/cli"
	"gopkg.in/yaml.v3"
)

// composeFiles are the compose file names looked for at the repo root, in compose's own order.
var composeFiles = []string{"compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml"}

// definitionFiles are the root files apps are declared in besides Dockerfiles. A change to one can
// change an app's definition (context, args, target), so they are compared at base and head.
func definitionFiles(root string) []string {
	out := append([]string{}, composeFiles...)
	if m, _ := filepath.Glob(filepath.Join(root, "compose.*.yaml")); len(m) > 0 {
		for _, f := range m {
			out = append(out, filepath.Base(f))
		}
	}
	out = append(out, ".env", "skaffold.yaml", "skaffold.yml")
	return append(out, bakeFiles...)
}

// IsDefinitionFile reports whether a repo-relative path is a root file apps are defined in: compose
// files, .env, skaffold and bake files.
func IsDefinitionFile(p string) bool {
	if strings.Contains(p, "/") {
		return false
	}
	if isComposeName(p) {
		return true
	}
	for _, f := range definitionFiles("") {
		if f == p {
			return true
		}
	}
	return false
}

// IsDockerfileName reports whether a file name is one monoctx treats as a Dockerfile: Dockerfile,
// dockerfile, Dockerfile.*, *.Dockerfile, *.dockerfile — but never an ignore file.
func IsDockerfileName(name string) bool {
	if strings.HasSuffix(name, ".dockerignore") || strings.HasSuffix(name, ".containerignore") {
		return false
	}
	return name == "Dockerfile" || name == "dockerfile" || name == "Containerfile" ||
		strings.HasPrefix(name, "Dockerfile.") ||
		strings.HasSuffix(name, ".Dockerfile") || strings.HasSuffix(name, ".dockerfile")
}

// found is an app definition before its input set is computed.
type found struct {
	app       App
	authority int // lower wins: 0 config, 1 compose, 2 skaffold/bake, 3 Dockerfile
}

// discover finds every app definition under root.
func discover(ctx context.Context, root string, cfg *Config, warn func(string)) ([]*App, error) {
	return discoverWith(ctx, root, cfg, warn, nil)
}

// discoverWith is discover with extra definitions of the lowest authority.
func discoverWith(ctx context.Context, root string, cfg *Config, warn func(string), extra []found) ([]*App, error) {
	defs := append([]found{}, extra...)

	// 2. compose files at the root.
	var composePaths []string
	for _, n := range composeFiles {
		if fileExists(filepath.Join(root, n)) {
			composePaths = append(composePaths, n)
			break // compose reads the first of these names only
		}
	}
	if m, _ := filepath.Glob(filepath.Join(root, "compose.*.yaml")); len(m) > 0 {
		sort.Strings(m)
		for _, f := range m {
			composePaths = append(composePaths, filepath.Base(f))
		}
	}
	for _, cf := range composePaths {
		apps, err := loadCompose(ctx, root, cf)
		if err != nil {
			return nil, err
		}
		for _, a := range apps {
			defs = append(defs, found{app: a, authority: 1})
		}
	}

	// 3. skaffold and bake.
	for _, n := range []string{"skaffold.yaml", "skaffold.yml"} {
		if fileExists(filepath.Join(root, n)) {
			apps, err := loadSkaffold(root, n)
			if err != nil {
				return nil, err
			}
			for _, a := range apps {
				defs = append(defs, found{app: a, authority: 2})
			}
		}
	}
	bakeApps, err := loadBake(root, warn)
	if err != nil {
		return nil, err
	}
	for _, a := range bakeApps {
		defs = append(defs, found{app: a, authority: 2})
	}

	// 4. every Dockerfile in the tree.
	if cfg.Discovery.Dockerfiles == nil || *cfg.Discovery.Dockerfiles {
		files, err := findDockerfiles(ctx, root, cfg.skipGlobs())
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			defs = append(defs, found{app: App{Name: dockerfileAppName(root, f), Dockerfile: f, Origin: "dockerfile"}, authority: 3})
		}
	}

	// 1. monoctx.yaml, highest authority: declares new apps and overrides discovered ones by name.
	byName := map[string]int{}
	var apps []*App
	sort.SliceStable(defs, func(i, j int) bool { return defs[i].authority < defs[j].authority })
	seen := map[string]int{} // dockerfile + context → index in apps
	for _, d := range defs {
		a := d.app
		if a.Context == "" {
			a.Context = path.Dir(a.Dockerfile)
		}
		// Two definitions are one app only when they build the same thing: compose services that
		// share a Dockerfile and context but pick another target or other args are different images.
		key := buildKey(a)
		if d.authority == 3 {
			// A bare Dockerfile matches a more authoritative definition of the same file, whatever
			// context that definition chose.
			dup := false
			for _, b := range apps {
				if b.Dockerfile == a.Dockerfile {
					dup = true
					break
				}
			}
			if dup {
				continue
			}
		}
		if _, dup := seen[key]; dup {
			continue // the more authoritative name wins
		}
		if _, clash := byName[a.Name]; clash {
			// Two different apps under one name (e.g. compose.yaml and compose.prod.yaml both define
			// "web" with different args): keep both, told apart by the file that defines the second.
			_, file, _ := strings.Cut(a.Origin, ":")
			a.Name += "@" + file
			if _, again := byName[a.Name]; again {
				continue
			}
		}
		ap := a
		seen[key] = len(apps)
		byName[ap.Name] = len(apps)
		apps = append(apps, &ap)
	}

	names := make([]string, 0, len(cfg.Apps))
	for n := range cfg.Apps {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		ac := cfg.Apps[n]
		where := fmt.Sprintf("%s:%d", cfg.file, cfg.lines["apps."+n])
		var a *App
		if i, ok := byName[n]; ok {
			a = apps[i]
		} else if ac.Dockerfile != "" {
			// The same Dockerfile and context found elsewhere; or the tree walk's find of the same
			// Dockerfile, whose context was only a guess.
			for _, b := range apps {
				if b.Dockerfile == path.Clean(ac.Dockerfile) && (ac.Context == "" || b.Context == path.Clean(ac.Context)) {
					a = b
					break
				}
			}
			for _, b := range apps {
				if a == nil && b.Origin == "dockerfile" && b.Dockerfile == path.Clean(ac.Dockerfile) {
					a = b
				}
			}
		}
		if a == nil {
			if ac.Dockerfile == "" {
				if ac.Skip {
					continue
				}
				return nil, &ParseError{File: cfg.file, Line: cfg.lines["apps."+n], Msg: fmt.Sprintf("app %q matches no discovered app and has no dockerfile", n)}
			}
			a = &App{}
			apps = append(apps, a)
		} else {
			delete(byName, a.Name)
		}
		a.Name = n
		byName[n] = -1
		a.config = ac
		if ac.Skip {
			a.Name = "" // dropped below
			continue
		}
		a.Origin = "config:" + cfg.file
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
			contexts, err := namedContexts(root, ac.Contexts, false)
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
		if !fileExists(filepath.Join(root, filepath.FromSlash(a.Dockerfile))) {
			return nil, &ParseError{File: cfg.file, Line: cfg.lineOf(ac.Dockerfile), Msg: fmt.Sprintf("app %q: Dockerfile %s does not exist", n, a.Dockerfile)}
		}
	}
	out := apps[:0]
	for _, a := range apps {
		if a.Name != "" {
			out = append(out, a)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// buildKey identifies what a definition builds: Dockerfile, context, target and args.
func buildKey(a App) string {
	keys := make([]string, 0, len(a.Args))
	for k := range a.Args {
		keys = append(keys, k)
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

// dockerfileAppName names a Dockerfile-only app by its directory; a second Dockerfile in the same
// directory is named by its path.
func dockerfileAppName(root, df string) string {
	dir, base := path.Split(df)
	dir = strings.TrimSuffix(dir, "/")
	if dir == "" {
		dir = filepath.Base(root)
	}
	if base == "Dockerfile" || base == "dockerfile" || base == "Containerfile" {
		return dir
	}
	return df
}

// findDockerfiles walks the tree in parallel, pruning skipped directories, and returns repo-relative
// Dockerfile paths, sorted. Only directory entries are read (no stat per file).
func findDockerfiles(ctx context.Context, root string, skip []string) ([]string, error) {
	var (
		mu    sync.Mutex
		out   []string
		wg    sync.WaitGroup
		first error
	)
	sem := make(chan struct{}, 8)
	var walk func(rel string)
	walk = func(rel string) {
		defer wg.Done()
		if ctx.Err() != nil {
			return
		}
		sem <- struct{}{}
		entries, err := readDirUnsorted(filepath.Join(root, filepath.FromSlash(rel)))
		<-sem
		if err != nil {
			if rel != "." && (errors.Is(err, fs.ErrPermission) || errors.Is(err, fs.ErrNotExist)) {
				return // unreadable or vanished directories hold no Dockerfile we could build from
			}
			mu.Lock()
			if first == nil {
				first = fmt.Errorf("searching for Dockerfiles: %w", err)
			}
			mu.Unlock()
			return
		}
		for _, e := range entries {
			name := e.Name()
			p := name
			if rel != "." {
				p = rel + "/" + name
			}
			if e.IsDir() {
				if skipDir(p, skip) {
					continue
				}
				wg.Add(1)
				go walk(p)
				continue
			}
			if IsDockerfileName(name) && (e.Type().IsRegular() || e.Type()&fs.ModeSymlink != 0) {
				mu.Lock()
				out = append(out, p)
				mu.Unlock()
			}
		}
	}
	wg.Add(1)
	walk(".")
	wg.Wait()
	if first != nil {
		return nil, first
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	sort.Strings(out)
	return out, nil
}

// readDirUnsorted is os.ReadDir without the sort: the walk sorts its result once at the end.
func readDirUnsorted(dir string) ([]fs.DirEntry, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	entries, err := f.ReadDir(-1)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return entries, err
}

func skipDir(p string, skip []string) bool {
	if p == ".git" {
		return true
	}
	for _, g := range skip {
		if ok, _ := doublestar.Match(g, p); ok {
			return true
		}
	}
	return false
}

// loadCompose reads a compose file with compose-go: .env interpolation, the spec's defaults, every
// profile. Each service with a build section is an app.
func loadCompose(ctx context.Context, root, file string) ([]App, error) {
	opts, err := cli.NewProjectOptions([]string{filepath.Join(root, file)},
		cli.WithWorkingDirectory(root),
		cli.WithOsEnv,
		cli.WithEnvFiles(), // the default .env beside the compose file
		cli.WithDotEnv,
		cli.WithProfiles([]string{"*"}),
		cli.WithName("monoctx"),
		cli.WithResolvedPaths(true),
		cli.WithoutEnvironmentResolution,
	)
	if err != nil {
		return nil, &ParseError{File: file, Msg: err.Error(), Err: err}
	}
	proj, err := opts.LoadProject(ctx)
	if err != nil {
		return nil, composeError(file, err)
	}
	var apps []App
	services := proj.AllServices()
	for _, name := range slices.Sorted(maps.Keys(services)) {
		svc := services[name]
		b := svc.Build
		if b == nil {
			continue
		}
		if b.DockerfileInline != "" {
			continue // no Dockerfile on disk to read; its context still counts for nothing we can see
		}
		ctxDir, err := repoRel(root, b.Context)
		if err != nil {
			return nil, &ParseError{File: file, Msg: fmt.Sprintf("service %q: build context %s leaves the repository", name, asWritten(root, b.Context))}
		}
		df := b.Dockerfile
		if df == "" {
			df = "Dockerfile"
		}
		if !filepath.IsAbs(df) {
			df = filepath.Join(root, filepath.FromSlash(ctxDir), df)
		}
		dfRel, err := repoRel(root, df)
		if err != nil {
			return nil, &ParseError{File: file, Msg: fmt.Sprintf("service %q: dockerfile %q: %v", name, b.Dockerfile, err)}
		}
		args := map[string]string{}
		for k, v := range b.Args {
			if v != nil {
				args[k] = *v
			}
		}
		tags := append([]string{}, b.Tags...)
		if svc.Image != "" {
			tags = append([]string{svc.Image}, tags...)
		}
		contexts, err := namedContexts(root, b.AdditionalContexts, true)
		if err != nil {
			return nil, &ParseError{File: file, Msg: fmt.Sprintf("service %q: additional_contexts: %v", name, err)}
		}
		apps = append(apps, App{Name: name, Dockerfile: dfRel, Context: ctxDir, Origin: "compose:" + file,
			Target: b.Target, Args: args, Tags: tags, Contexts: contexts})
	}
	sort.Slice(apps, func(i, j int) bool { return apps[i].Name < apps[j].Name })
	return apps, nil
}

var (
	composeLineRE = regexp.MustCompile(`line (\d+)(?:, column \d+)?: `)
	composePathRE = regexp.MustCompile(`^(?:failed to parse|validating) [^:]*: `)
)

// composeError turns compose-go's messages ("failed to parse /abs/compose.yaml: yaml: line 3: …")
// into compose.yaml:3: ….
func composeError(file string, err error) error {
	msg := composePathRE.ReplaceAllString(err.Error(), "")
	// yaml nests positions ("while parsing a block mapping at line 1, column 3: line 3, column 4: …"):
	// the last one is where the error is.
	if all := composeLineRE.FindAllStringSubmatchIndex(msg, -1); len(all) > 0 {
		m := all[len(all)-1]
		line, _ := strconv.Atoi(msg[m[2]:m[3]])
		return &ParseError{File: file, Line: line, Msg: msg[m[1]:], Err: err}
	}
	return &ParseError{File: file, Msg: strings.TrimPrefix(msg, "yaml: "), Err: err}
}

type skaffoldDoc struct {
	Build struct {
		Artifacts []struct {
			Image   string `yaml:"image"`
			Context string `yaml:"context"`
			Docker  *struct {
				Dockerfile string             `yaml:"dockerfile"`
				Target     string             `yaml:"target"`
				BuildArgs  map[string]*string `yaml:"buildArgs"`
			} `yaml:"docker"`
		} `yaml:"artifacts"`
	} `yaml:"build"`
}

// loadSkaffold reads skaffold artifacts: image, context, docker.dockerfile. Every document in the file
// counts (skaffold allows several configs in one file).
func loadSkaffold(root, file string) ([]App, error) {
	data, err := os.ReadFile(filepath.Join(root, file))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", file, err)
	}
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	var apps []App
	for {
		var doc skaffoldDoc
		if err := dec.Decode(&doc); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, yamlError(file, err)
		}
		for _, a := range doc.Build.Artifacts {
			if a.Image == "" {
				continue
			}
			if a.Docker == nil && a.Context == "" {
				continue // a buildpacks/jib/ko artifact has no Dockerfile
			}
			c := a.Context
			if c == "" {
				c = "."
			}
			df := "Dockerfile"
			app := App{Name: imageName(a.Image), Origin: "skaffold:" + file, Tags: []string{a.Image}}
			if a.Docker != nil {
				if a.Docker.Dockerfile != "" {
					df = a.Docker.Dockerfile
				}
				app.Target = a.Docker.Target
				for k, v := range a.Docker.BuildArgs {
					if app.Args == nil {
						app.Args = map[string]string{}
					}
					if v != nil {
						app.Args[k] = *v
					}
				}
			}
			if escapesContext(c) || escapesContext(path.Join(c, df)) {
				return nil, &ParseError{File: file, Msg: fmt.Sprintf("artifact %q: context or dockerfile leaves the repository", a.Image)}
			}
			app.Context = joinRel(c)
			app.Dockerfile = joinRel(c, df)
			apps = append(apps, app)
		}
	}
	return apps, nil
}

// imageName turns "registry.example.com/team/web:tag" into "web".
func imageName(image string) string {
	n := image
	if i := strings.LastIndexByte(n, '/'); i >= 0 {
		n = n[i+1:]
	}
	if i := strings.IndexAny(n, ":@"); i >= 0 {
		n = n[:i]
	}
	return n
}

// asWritten shows a path compose-go made absolute relative to the root again, as the user wrote it.
func asWritten(root, p string) string {
	if r, err := filepath.Rel(root, p); err == nil {
		return filepath.ToSlash(r)
	}
	return p
}

// namedContexts turns named build contexts into App.Contexts: a local directory becomes
// repo-relative (abs says the values are absolute, as compose-go resolves them; otherwise they are
// relative to the root), every other kind is kept as written.
func namedContexts(root string, in map[string]string, abs bool) (map[string]string, error) {
	if len(in) == 0 {
		return nil, nil
	}
	out := make(map[string]string, len(in))
	for _, name := range slices.Sorted(maps.Keys(in)) {
		v := in[name]
		if !IsLocalContext(v) {
			out[name] = v
			continue
		}
		p := strings.TrimPrefix(v, "cwd://")
		if !abs || !filepath.IsAbs(p) {
			if filepath.IsAbs(p) || escapesContext(filepath.ToSlash(p)) {
				return nil, fmt.Errorf("%s=%s leaves the repository", name, v)
			}
			p = filepath.Join(root, filepath.FromSlash(p))
		}
		rel, err := repoRel(root, p)
		if err != nil {
			return nil, fmt.Errorf("%s=%s leaves the repository", name, asWritten(root, p))
		}
		out[name] = joinRel(rel)
	}
	return out, nil
}

// IsLocalContext reports whether a named context value is a local directory, not an image, a
// stage of another build, or a remote source (the forms BuildKit and compose accept).
func IsLocalContext(v string) bool {
	if strings.HasPrefix(v, "cwd://") {
		return true
	}
	if strings.Contains(v, "://") || strings.HasPrefix(v, "target:") || strings.HasPrefix(v, "service:") {
		return false
	}
	for _, p := range []string{"github.com/", "git@"} {
		if strings.HasPrefix(v, p) {
			return false
		}
	}
	return true
}

// repoRel turns an absolute path into a repo-relative slash path, refusing paths outside the repo.
func repoRel(root, p string) (string, error) {
	rel, err := filepath.Rel(root, p)
	if err != nil {
		return "", err
	}
	rel = filepath.ToSlash(rel)
	if rel == ".." || strings.HasPrefix(rel, "../") {
		return "", fmt.Errorf("outside the repository")
	}
	return rel, nil
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}
