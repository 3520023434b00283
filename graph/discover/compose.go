package discover

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/dotenv"
	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
	"golang.org/x/sync/errgroup"
	"gopkg.in/yaml.v3"

	"github.com/monoctx/monoctx/graph/cache"
	"github.com/monoctx/monoctx/graph/tree"
	"github.com/monoctx/monoctx/graph/yamlcache"
)

// composeBases are the names docker compose reads in a directory, in its order, each with the
// override file it merges on top.
var composeBases = []struct{ base, override string }{
	{"compose.yaml", "compose.override.yaml"},
	{"compose.yml", "compose.override.yml"},
	{"docker-compose.yml", "docker-compose.override.yml"},
	{"docker-compose.yaml", "docker-compose.override.yaml"},
}

// composeProject is a set of compose files loaded together, as `docker compose -f a -f b` would.
type composeProject struct {
	dir   string        // repo-relative project directory
	files []string      // repo-relative, in merge order
	pre   *composeModel // loaded beforehand with the environment as given, when it loaded
}

// compose finds the compose projects of every directory and returns the builds of their services.
//
// In a directory, the project docker compose would load by default is its base file plus the
// override file (or the files COMPOSE_FILE names in the directory's .env). Every other compose
// file there is a layer when it defines a service the default project defines — it is then merged
// onto the default project, as the README's `docker compose -f compose.yaml -f compose.<layer>.yaml`
// does — and a project of its own otherwise. Files are read leniently: a layer's service may
// depend on a service of another layer.
func (f *finder) compose(ctx context.Context) []Build {
	byDir := map[string][]string{}
	for _, p := range f.tree.compose {
		byDir[path.Dir(p)] = append(byDir[path.Dir(p)], p)
	}
	var projects []composeProject
	used := map[string]bool{}
	for _, dir := range slices.Sorted(maps.Keys(byDir)) {
		files := byDir[dir]
		var def []string
		if env := f.dotEnv(dir); env["COMPOSE_FILE"] != "" {
			sep := env["COMPOSE_PATH_SEPARATOR"]
			if sep == "" {
				sep = ":"
			}
			for _, n := range strings.Split(env["COMPOSE_FILE"], sep) {
				if n = strings.TrimSpace(n); n == "" {
					continue
				}
				p := path.Clean(path.Join(dir, filepath.ToSlash(n)))
				if Escapes(p) || !f.tree.isFile(p) {
					f.warn("%s: COMPOSE_FILE names %s, which does not exist; ignored", path.Join(dir, ".env"), n)
					continue
				}
				def = append(def, p)
			}
		}
		if len(def) == 0 {
			for _, c := range composeBases {
				if b := path.Join(dir, c.base); f.tree.isFile(b) {
					def = append(def, b)
					if o := path.Join(dir, c.override); f.tree.isFile(o) {
						def = append(def, o)
					}
					break
				}
			}
		}
		if len(def) > 0 {
			projects = append(projects, composeProject{dir: dir, files: def})
			for _, p := range def {
				used[p] = true
			}
		}
		defServices := map[string]bool{}
		for _, p := range def {
			for s := range f.composeServices(p) {
				defServices[s] = true
			}
		}
		for _, p := range files {
			if used[p] {
				continue
			}
			mine := f.composeServices(p)
			layer := false
			for s := range mine {
				if defServices[s] {
					layer = true
					break
				}
			}
			// A layer that sets only build args (or other build settings) of a service whose
			// build another layer places is merged after that layer too, as the README's
			// `-f base -f build -f args` would.
			var under []string
			for _, q := range files {
				if q == p || used[q] {
					continue
				}
				for s, locates := range mine {
					if !locates && f.composeServices(q)[s] {
						under = append(under, q)
						layer = true
						break
					}
				}
			}
			switch {
			case layer:
				pr := append(slices.Clone(def), under...)
				projects = append(projects, composeProject{dir: dir, files: append(pr, p)})
			default:
				projects = append(projects, composeProject{dir: dir, files: []string{p}})
			}
		}
	}
	builds := make([]bool, len(projects))
	for i, pr := range projects {
		builds[i] = f.mayBuild(pr.files)
	}
	f.preloadCompose(ctx, projects, builds)
	var out []Build
	for i, pr := range projects {
		if ctx.Err() != nil {
			return nil
		}
		if !builds[i] {
			for _, p := range pr.files {
				f.read(p) // a definition still: an edit may add a build
			}
			continue
		}
		builds, err := f.loadComposeProject(ctx, pr)
		if err != nil {
			f.broken(err)
			continue
		}
		out = append(out, builds...)
	}
	return out
}

// preloadCompose loads the projects that may build, with the environment as given, on every core:
// compose-go's load of a project is most of a cold discovery. Whatever it says (warnings, errors)
// is said by the load that follows, in project order; a project that fails is loaded again there.
func (f *finder) preloadCompose(ctx context.Context, projects []composeProject, builds []bool) {
	var eg errgroup.Group
	eg.SetLimit(runtime.GOMAXPROCS(0))
	for i := range projects {
		if !builds[i] {
			continue
		}
		pr := &projects[i]
		eg.Go(func() error {
			abs := make([]string, len(pr.files))
			for j, p := range pr.files {
				abs[j] = filepath.Join(f.root, filepath.FromSlash(p))
			}
			if m, err := f.composeModelWith(ctx, *pr, abs, slices.Clone(f.opts.Env), f.composeProjectRaw); err == nil {
				pr.pre = m
			}
			return nil
		})
	}
	_ = eg.Wait()
}

// mayBuild reports whether a compose project of these files can build an image: false only when
// every file reads as YAML and none has a key named build, extends or include anywhere (an
// anchor a service merges included), nor a key compose could substitute. Most compose files of a
// monorepo only run images (databases, brokers, dev stacks); loading one through compose-go costs
// more than the rest of discovery, and it would give no build.
func (f *finder) mayBuild(files []string) bool {
	for _, p := range files {
		data, err := f.readFile(p)
		if err != nil {
			return true
		}
		docs, err := yamlcache.Documents(f.opts.Cache, data) // every document: compose reads them all
		if err != nil {
			return true
		}
		for _, doc := range docs {
			if hasBuildKey(doc) {
				return true
			}
		}
	}
	return false
}

func hasBuildKey(n *yaml.Node) bool {
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			switch k := n.Content[i].Value; {
			case k == "build" || k == "extends" || k == "include" || strings.Contains(k, "$"):
				return true
			}
		}
	}
	for _, c := range n.Content {
		if hasBuildKey(c) {
			return true
		}
	}
	return false
}

// dotEnv reads dir/.env, as compose does for a project in dir; nil when there is none.
func (f *finder) dotEnv(dir string) map[string]string {
	p := path.Join(dir, ".env")
	if !f.tree.isFile(p) {
		return nil
	}
	f.read(p)
	data, err := f.readFile(p)
	if err != nil {
		return nil
	}
	env, err := dotenv.Parse(bytes.NewReader(data))
	if err != nil {
		return nil // compose-go reports it with the project
	}
	return env
}

// composeServices lists the services a compose file defines, without interpreting it, each with
// whether the file places its build (a build context or dockerfile).
func (f *finder) composeServices(p string) map[string]bool {
	if m, ok := f.composeCache[p]; ok {
		return m
	}
	var doc struct {
		Services map[string]struct {
			Build yaml.Node `yaml:"build"`
		} `yaml:"services"`
	}
	out := map[string]bool{}
	data, err := f.readFile(p)
	if err == nil && decodeYAML(f.opts.Cache, data, &doc) == nil {
		for name, svc := range doc.Services {
			b := &svc.Build
			out[name] = b.Kind == yaml.ScalarNode && b.Value != "" || mapValue(b, "context") != nil || mapValue(b, "dockerfile") != nil
		}
	}
	if f.composeCache == nil {
		f.composeCache = map[string]map[string]bool{}
	}
	f.composeCache[p] = out
	return out
}

// composeDoc is the top node of the compose file p as YAML nodes (nil when it does not read), parsed
// once: serviceLine and warnUnsetBuildVars ask it for every service of every project it is in.
func (f *finder) composeDoc(p string) *yaml.Node {
	if n, ok := f.composeDocs[p]; ok {
		return n
	}
	var top *yaml.Node
	if data, err := f.readFile(p); err == nil {
		if doc, err := yamlcache.Document(f.opts.Cache, data); err == nil && len(doc.Content) > 0 {
			top = doc.Content[0]
		}
	}
	if f.composeDocs == nil {
		f.composeDocs = map[string]*yaml.Node{}
	}
	f.composeDocs[p] = top
	return top
}

// serviceLine finds the line of services.<name> in a compose file, preferring the file (last in
// merge order) whose entry has a build section.
func (f *finder) serviceLine(files []string, name string) (string, int) {
	file, line := files[0], 0
	for _, p := range files {
		doc := f.composeDoc(p)
		if doc == nil {
			continue
		}
		services := mapValue(doc, "services")
		if services == nil {
			continue
		}
		for i := 0; i+1 < len(services.Content); i += 2 {
			if services.Content[i].Value != name {
				continue
			}
			if line == 0 || mapValue(services.Content[i+1], "build") != nil {
				file, line = p, services.Content[i].Line
			}
		}
	}
	return file, line
}

// composeVarRE matches what compose substitutes: $$ (a literal $), ${NAME...} and $NAME.
var composeVarRE = regexp.MustCompile(`\$\$|\$\{(\w+)([^}]*)\}|\$(\w+)`)

// warnUnsetBuildVars warns of each variable that a service's build context or dockerfile uses
// without a default and that neither the environment nor .env sets: compose reads it as "", so
// the build silently takes another Dockerfile or context than the one meant.
func (f *finder) warnUnsetBuildVars(pr composeProject, name string, env map[string]string) {
	for _, p := range pr.files {
		doc := f.composeDoc(p)
		if doc == nil {
			continue
		}
		b := mapValue(mapValue(mapValue(doc, "services"), name), "build")
		values := map[string]*yaml.Node{"context": mapValue(b, "context"), "dockerfile": mapValue(b, "dockerfile")}
		if b != nil && b.Kind == yaml.ScalarNode {
			values["context"] = b
		}
		for _, key := range []string{"context", "dockerfile"} {
			v := values[key]
			if v == nil || v.Kind != yaml.ScalarNode {
				continue
			}
			for _, m := range composeVarRE.FindAllStringSubmatch(v.Value, -1) {
				vr, mod := m[1]+m[3], m[2]
				if vr == "" || mod != "" { // $$, or a default, an alternative or a required message
					continue
				}
				if _, ok := env[vr]; !ok {
					f.warn("%s:%d: service %q: build.%s %q uses %s, which neither the environment nor %s sets, so compose reads it as \"\"; set %s there, or give a default: ${%s:-VALUE}",
						p, v.Line, name, key, v.Value, vr, path.Join(pr.dir, ".env"), vr, vr)
				}
			}
		}
	}
}

func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func (f *finder) loadComposeProject(ctx context.Context, pr composeProject) ([]Build, error) {
	abs := make([]string, len(pr.files))
	for i, p := range pr.files {
		abs[i] = filepath.Join(f.root, filepath.FromSlash(p))
		f.read(p)
	}
	env := slices.Clone(f.opts.Env)
	for try := 0; ; try++ {
		pre := pr.pre
		if try > 0 {
			pre = nil
		}
		builds, err := f.loadComposeEnv(ctx, pr, abs, env, pre)
		if err == nil || try > 50 {
			return builds, err
		}
		// `${VAR:?message}` makes a variable required; monoctx is not running the project, so
		// a required variable nobody set is given a placeholder, and the file is read again.
		missing := requiredRE.FindAllStringSubmatch(err.Error(), -1)
		if len(missing) == 0 {
			return nil, err
		}
		for _, m := range missing {
			env = append(env, m[1]+"=monoctx-unset-"+m[1])
		}
	}
}

var requiredRE = regexp.MustCompile(`required variable (\w+) is missing a value`)

// composeProject loads a compose project. compose-go reads its files from the OS; when the view
// holds them elsewhere (a commit, a sparse checkout) they are given to it with their content.
// Files they include or extend are still read from the OS.
func (f *finder) composeProject(ctx context.Context, pr composeProject, abs, env []string) (*types.Project, error) {
	proj, err := f.composeProjectRaw(ctx, pr, abs, env)
	var raw *rawComposeError
	if errors.As(err, &raw) {
		return nil, f.composeError(pr.files, raw.err)
	}
	return proj, err
}

// rawComposeError is an error of compose-go's, before composeError places it in a file.
type rawComposeError struct{ err error }

func (e *rawComposeError) Error() string { return e.err.Error() }

// composeProjectRaw is composeProject with compose-go's errors as they are (rawComposeError).
func (f *finder) composeProjectRaw(ctx context.Context, pr composeProject, abs, env []string) (*types.Project, error) {
	onDisk := true
	for _, p := range append([]string{path.Join(pr.dir, ".env")}, pr.files...) {
		onDisk = onDisk && tree.OnDisk(f.view, p)
	}
	if !onDisk {
		environment := types.NewMapping(env)
		for k, v := range f.dotEnv(pr.dir) { // as cli.WithDotEnv: what is set already wins
			if _, set := environment[k]; !set {
				environment[k] = v
			}
		}
		details := types.ConfigDetails{WorkingDir: filepath.Join(f.root, filepath.FromSlash(pr.dir)), Environment: environment}
		for i, p := range pr.files {
			data, err := f.view.ReadFile(p)
			if err != nil {
				return nil, &Error{File: p, Msg: err.Error(), Err: err}
			}
			details.ConfigFiles = append(details.ConfigFiles, types.ConfigFile{Filename: abs[i], Content: data})
		}
		proj, err := loader.LoadWithContext(ctx, details, func(o *loader.Options) {
			o.SetProjectName("monoctx", true)
			o.Profiles = []string{"*"}
			o.ResolvePaths = true
			o.SkipConsistencyCheck = true
			o.SkipResolveEnvironment = true
		})
		if err != nil {
			return nil, &rawComposeError{err}
		}
		return proj, nil
	}
	opts, err := cli.NewProjectOptions(abs,
		cli.WithWorkingDirectory(filepath.Join(f.root, filepath.FromSlash(pr.dir))),
		cli.WithEnv(env),
		cli.WithEnvFiles(), // the default .env beside the compose file
		cli.WithDotEnv,
		cli.WithProfiles([]string{"*"}),
		cli.WithName("monoctx"),
		cli.WithResolvedPaths(true),
		cli.WithoutEnvironmentResolution,
		cli.WithConsistency(false),
		cli.WithLoadOptions(func(o *loader.Options) { o.SkipResolveEnvironment = true }),
	)
	if err != nil {
		return nil, &Error{File: pr.files[0], Msg: err.Error(), Err: err}
	}
	proj, err := opts.LoadProject(ctx)
	if err != nil {
		return nil, &rawComposeError{err}
	}
	return proj, nil
}

func (f *finder) loadComposeEnv(ctx context.Context, pr composeProject, abs, env []string, pre *composeModel) ([]Build, error) {
	proj := pre
	if proj == nil {
		var err error
		if proj, err = f.composeModelOf(ctx, pr, abs, env); err != nil {
			return nil, err
		}
	}
	var out []Build
	for _, svc := range proj.Services {
		name := svc.Name
		b := svc.Build
		if b == nil {
			continue
		}
		file, line := f.serviceLine(pr.files, name)
		where := fmt.Sprintf("%s:%d", file, line)
		f.warnUnsetBuildVars(pr, name, proj.Env)
		if b.DockerfileInline != "" {
			f.warn("%s: service %q has an inline Dockerfile, which monoctx does not analyse; skipped", where, name)
			continue
		}
		if strings.Contains(b.Context, "://") || strings.HasPrefix(b.Context, "git@") {
			continue // a remote context is not in this repository
		}
		ctxDir, err := RepoRel(f.root, b.Context)
		if err != nil {
			f.broken(&Error{File: file, Line: line, Msg: fmt.Sprintf("service %q: build context %s leaves the repository", name, asWritten(f.root, b.Context))})
			continue
		}
		if !f.tree.isDir(ctxDir) && !f.isDir(ctxDir) {
			f.warn("%s: service %q: build context %s does not exist; fix build.context or create the directory", where, name, ctxDir)
			continue
		}
		df := b.Dockerfile
		if df == "" {
			df = "Dockerfile"
		}
		if !filepath.IsAbs(df) {
			df = filepath.Join(f.root, filepath.FromSlash(ctxDir), df)
		}
		dfRel, err := RepoRel(f.root, df)
		if err != nil {
			f.broken(&Error{File: file, Line: line, Msg: fmt.Sprintf("service %q: dockerfile %q leaves the repository", name, b.Dockerfile)})
			continue
		}
		args := maps.Clone(b.Args)
		if args == nil {
			args = map[string]string{}
		}
		tags := append([]string{}, b.Tags...)
		if svc.Image != "" {
			tags = append([]string{svc.Image}, tags...)
		}
		contexts, err := NamedContexts(f.root, b.AdditionalContexts, true)
		if err != nil {
			f.broken(&Error{File: file, Line: line, Msg: fmt.Sprintf("service %q: additional_contexts: %v", name, err)})
			continue
		}
		out = append(out, Build{Name: name, Dockerfile: dfRel, Context: ctxDir, Target: b.Target, Args: args,
			Tags: tags, Platforms: b.Platforms, Contexts: contexts, Source: SourceCompose, File: file, Line: line,
			Group: pr.dir})
	}
	return out, nil
}

var (
	composePathRE = regexp.MustCompile(`^(?:failed to parse|validating) ([^:]*): `)
)

// composeError turns compose-go's messages ("failed to parse /abs/compose.yaml: yaml: line 3: …")
// into compose.yaml:3: ….
func (f *finder) composeError(files []string, err error) error {
	file := files[0]
	msg := err.Error()
	if m := composePathRE.FindStringSubmatch(msg); m != nil {
		for _, p := range files {
			if strings.HasSuffix(filepath.ToSlash(m[1]), "/"+p) || m[1] == p {
				file = p
			}
		}
		msg = msg[len(m[0]):]
	}
	data, _ := f.readFile(file) // only to place an error at the end of the file
	e := YAMLError(file, data, errors.New(msg))
	e.Err = err
	return e
}

// decodeYAML is yaml.Unmarshal(data, out) from the nodes yamlcache keeps: yaml.v3 decodes a node
// tree as Unmarshal does once it has parsed one (duplicate keys, merges and aliases alike).
func decodeYAML(c *cache.Cache, data []byte, out any) error {
	doc, err := yamlcache.Document(c, data)
	if err != nil || doc.Kind == 0 {
		return err // an empty input decodes to nothing
	}
	return doc.Decode(out)
}
