package cmd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/monoctx/monoctx/builder"
	buildctx "github.com/monoctx/monoctx/context"
	"github.com/monoctx/monoctx/graph"
)

type buildOptions struct {
	Tags      []string
	Builder   string
	Affected  bool
	Base      string
	Head      string
	FailFast  bool
	Mtime     string
	OnMissing string
	Jobs      int
	NoCache   bool

	// Overrides of what the app definitions say, for every builder.
	Target    string
	BuildArgs []string
	Platforms []string
	Network   string

	// BuildKit session builds (--builder buildkit, or docker with the engine's BuildKit).
	Addr      string
	TLS       builder.TLS
	Outputs   []string
	CacheFrom []string
	CacheTo   []string
	Secrets   []string
	SSH       []string
	Progress  string
}

func newBuildCmd(env *Env, g *globalOptions) *cobra.Command {
	o := &buildOptions{}
	c := &cobra.Command{
		Use:   "build APP... [-- BUILDER-ARGS...]",
		Short: "Build apps, sending each one only its input set",
		Long: `Build apps with exactly their input set as the build context: the repository is never uploaded whole.

--builder buildkit talks to a buildkitd (--addr, default $BUILDKIT_HOST: unix://, tcp:// with the
--tls* flags, docker-container://, podman-container://, kube-pod://, ssh://) through its Go client.
The context and the Dockerfile are served over the BuildKit session, filtered to the input set, so
BuildKit sees what "monoctx context APP --list" lists and syncs only what changed since the last
build. Outputs (-o), caches, secrets and ssh take buildx's syntax. After each app a line on stderr
says how many context bytes BuildKit received.

--builder docker (the default) uses the engine's BuildKit through the Docker API in the same way
(DOCKER_HOST unix:// or tcp://, with DOCKER_TLS_VERIFY, DOCKER_TLS and DOCKER_CERT_PATH as the docker CLI reads them);
with DOCKER_BUILDKIT=0 it runs "docker build -f <dockerfile> -" and streams the minimal context tar
into its stdin, as --builder podman does. Arguments after -- go to those CLIs.

Tags, target, build args and named contexts from compose, skaffold, bake or monoctx.yaml pass
through; -t, --target and --build-arg override them. --affected builds every affected app; apps
build --jobs at a time; a failed build stops the others only with --fail-fast.`,
		Example: `  monoctx build api -t registry.example.com/api:dev
  monoctx build api --builder buildkit --addr unix:///run/buildkit/buildkitd.sock -o type=local,dest=out
  monoctx build --affected --base origin/main --builder buildkit --jobs 4 --cache-to type=local,dest=.cache/bk
  DOCKER_BUILDKIT=0 monoctx build web -- --no-cache
  monoctx build web --builder podman -- --no-cache`,
		RunE: func(c *cobra.Command, args []string) error {
			if err := checkFormat(o.Builder, "docker", "podman", "buildkit"); err != nil {
				return usageErrorf("unknown --builder %q (want docker, buildkit or podman)", o.Builder)
			}
			apps, extra := args, []string(nil)
			if n := c.ArgsLenAtDash(); n >= 0 {
				apps, extra = args[:n], args[n:]
			}
			if o.Affected == (len(apps) > 0) {
				return usageErrorf("name the apps to build, or pass --affected")
			}
			if len(o.Tags) > 0 && len(apps) > 1 {
				return usageErrorf("-t applies to one app; name one app or drop -t")
			}
			if o.Jobs < 1 {
				return usageErrorf("--jobs %d: want 1 or more", o.Jobs)
			}
			sessionFlags := map[string]bool{"addr": false, "tlscacert": false, "tlscert": false, "tlskey": false, "tlsservername": false, "tlsdir": false,
				"output": true, "cache-from": true, "cache-to": true, "secret": true, "ssh": true, "progress": true}
			for _, name := range slices.Sorted(maps.Keys(sessionFlags)) {
				dockerToo := sessionFlags[name]
				if !c.Flags().Changed(name) {
					continue
				}
				if o.Builder != "buildkit" && !(dockerToo && o.Builder == "docker" && env.Getenv("DOCKER_BUILDKIT") != "0") {
					return usageErrorf("--%s needs a BuildKit session: pass --builder buildkit%s", name, map[bool]string{true: " (or --builder docker without DOCKER_BUILDKIT=0)"}[dockerToo])
				}
			}
			if o.sessionBuild(env) && len(extra) > 0 {
				return usageErrorf("arguments after -- go to the docker or podman CLI; a BuildKit session build takes monoctx's own flags (-o, --cache-from, --secret, …)")
			}
			return buildRun(c.Context(), env, g, o, apps, extra)
		},
	}
	f := c.Flags()
	f.StringArrayVarP(&o.Tags, "tag", "t", nil, "image tag (repeatable; default: the tags from compose, skaffold, bake or monoctx.yaml)")
	f.StringVar(&o.Builder, "builder", "docker", "builder: docker, buildkit or podman")
	f.BoolVar(&o.Affected, "affected", false, "build every app affected since --base")
	f.StringVar(&o.Base, "base", "", "with --affected: base ref (default: merge-base with the default branch)")
	f.StringVar(&o.Head, "head", "", "with --affected: head ref (default: the work tree)")
	f.StringVar(&o.OnMissing, "on-missing-base", "error", "with --affected: error, or all")
	f.BoolVar(&o.FailFast, "fail-fast", false, "with several apps: stop at the first failed build")
	f.IntVar(&o.Jobs, "jobs", 1, "build up to N apps at a time")
	f.BoolVar(&o.NoCache, "no-cache", false, "do not use the build cache")
	f.StringVar(&o.Mtime, "mtime", "preserve", "file times in a streamed tar: preserve, or zero")
	f.StringVar(&o.Target, "target", "", "build this stage (default: the app's target)")
	f.StringArrayVar(&o.BuildArgs, "build-arg", nil, "build argument KEY=VALUE, or KEY to take it from the environment (repeatable; overrides the app's)")
	f.StringArrayVar(&o.Platforms, "platform", nil, "target platform, e.g. linux/arm64 (repeatable, or comma-separated)")
	f.StringVar(&o.Network, "network", "", "network of RUN steps: default, none or host")
	f.StringVar(&o.Addr, "addr", "", "with --builder buildkit: buildkitd address (default: $BUILDKIT_HOST)")
	f.StringVar(&o.TLS.CACert, "tlscacert", "", "with --builder buildkit: CA certificate of a tcp:// buildkitd")
	f.StringVar(&o.TLS.Cert, "tlscert", "", "with --builder buildkit: client certificate")
	f.StringVar(&o.TLS.Key, "tlskey", "", "with --builder buildkit: client key")
	f.StringVar(&o.TLS.ServerName, "tlsservername", "", "with --builder buildkit: server name the certificate must carry (default: the address's host)")
	f.StringVar(&o.TLS.Dir, "tlsdir", "", "with --builder buildkit: directory of ca.pem, cert.pem and key.pem (or ca.crt, tls.crt and tls.key)")
	f.StringArrayVarP(&o.Outputs, "output", "o", nil, "output in buildx syntax: type=local,dest=DIR | type=oci,dest=FILE | type=docker[,dest=FILE] | type=image,name=REF,push=true | type=registry,name=REF (repeatable)")
	f.StringArrayVar(&o.CacheFrom, "cache-from", nil, "cache source: type=registry,ref=REF | type=local,src=DIR | type=gha (repeatable)")
	f.StringArrayVar(&o.CacheTo, "cache-to", nil, "cache destination: type=registry,ref=REF | type=local,dest=DIR | type=gha | type=inline (repeatable)")
	f.StringArrayVar(&o.Secrets, "secret", nil, "secret for RUN --mount=type=secret: id=ID,src=FILE or id=ID,env=VAR (repeatable)")
	f.StringArrayVar(&o.SSH, "ssh", nil, "SSH agent or keys for RUN --mount=type=ssh: default, or ID=SOCKET|KEY (repeatable)")
	f.StringVar(&o.Progress, "progress", "auto", "BuildKit progress display: auto, plain, tty or quiet")
	return c
}

// sessionBuild reports whether the build goes through a BuildKit session rather than a CLI's stdin.
func (o *buildOptions) sessionBuild(env *Env) bool {
	return o.Builder == "buildkit" || (o.Builder == "docker" && env.Getenv("DOCKER_BUILDKIT") != "0")
}

func buildRun(ctx context.Context, env *Env, g *globalOptions, o *buildOptions, names, extra []string) error {
	s, apps, err := selectApps(ctx, env, g, names, o.Affected, o.Base, o.Head, o.OnMissing)
	if err != nil || len(apps) == 0 {
		return err
	}
	args, err := buildArgOverrides(env, o.BuildArgs)
	if err != nil {
		return err
	}
	var one func(ctx context.Context, a *graph.App, out io.Writer) error
	if o.sessionBuild(env) {
		bo, err := builder.ParseFlags(builder.Flags{Platforms: o.Platforms, Network: o.Network, Outputs: o.Outputs, CacheFrom: o.CacheFrom, CacheTo: o.CacheTo,
			Secrets: o.Secrets, SSH: o.SSH, Progress: o.Progress, Stdout: env.Out, Getenv: env.Getenv})
		if err != nil {
			return usageErrorf("%v", err)
		}
		var c *builder.Client
		if o.Builder == "buildkit" {
			addr := o.Addr
			if addr == "" {
				addr = env.Getenv("BUILDKIT_HOST")
			}
			c, err = builder.Connect(ctx, addr, o.TLS)
		} else {
			var de builder.DockerEnv
			if de, err = dockerEnv(env); err != nil {
				return err
			}
			c, err = builder.ConnectDocker(ctx, de)
		}
		if err != nil {
			return err
		}
		defer c.Close()
		one = func(ctx context.Context, a *graph.App, out io.Writer) error {
			return buildSession(ctx, env, s, a, c, bo, o, args, out)
		}
	} else {
		b, err := newBuilder(env, o.Builder)
		if err != nil {
			return err
		}
		mt, err := mtimeOption(env, o.Mtime)
		if err != nil {
			return err
		}
		one = func(ctx context.Context, a *graph.App, out io.Writer) error {
			return buildOne(ctx, env, s, a, b, o, args, extra, mt, out)
		}
	}
	return runBuilds(ctx, env, apps, o, one)
}

// dockerEnv is the engine the docker CLI would talk to: DOCKER_CONTEXT's, else DOCKER_HOST and
// its TLS variables, else the config file's current context, else the default socket.
func dockerEnv(env *Env) (builder.DockerEnv, error) {
	fromEnv := builder.DockerEnv{Host: env.Getenv("DOCKER_HOST"), TLSVerify: env.Getenv("DOCKER_TLS_VERIFY") != "",
		TLS: env.Getenv("DOCKER_TLS") != "", CertPath: env.Getenv("DOCKER_CERT_PATH")}
	name := env.Getenv("DOCKER_CONTEXT")
	if name == "" && fromEnv.Host != "" {
		return fromEnv, nil
	}
	dir := env.Getenv("DOCKER_CONFIG")
	if dir == "" {
		home := env.Getenv("HOME")
		if home == "" {
			return fromEnv, nil // no config to read a context from
		}
		dir = filepath.Join(home, ".docker")
	}
	de, ok, err := builder.DockerContextEnv(dir, name)
	if err != nil || !ok {
		return fromEnv, err
	}
	return de, nil
}

// selectApps loads the named apps, or with affected the apps affected between base and head
// (none, with a message, when nothing is affected).
func selectApps(ctx context.Context, env *Env, g *globalOptions, names []string, affected bool, base, head, onMissing string) (*session, []*graph.App, error) {
	s, err := g.open(ctx, env)
	if err != nil {
		return nil, nil, err
	}
	var apps []*graph.App
	if affected {
		res, err := computeAffected(ctx, env, g, s, base, head, "", false, onMissing, false)
		if err != nil {
			return nil, nil, err
		}
		for _, af := range res.Apps {
			if af.Status != "affected" {
				continue
			}
			a, err := s.g.App(af.Name)
			if err != nil {
				return nil, nil, err
			}
			apps = append(apps, a)
		}
		if len(apps) == 0 {
			fmt.Fprintln(env.Err, "monoctx: no affected apps")
		}
		return s, apps, nil
	}
	if err := s.loadGraph(ctx, env, g, s.root); err != nil {
		return nil, nil, err
	}
	for _, n := range names {
		a, err := s.app(n)
		if err != nil {
			return nil, nil, err
		}
		apps = append(apps, a)
	}
	return s, apps, nil
}

// runBuilds builds the apps, o.Jobs at a time, and reports each. Several builds at once write
// their output with an "APP | " prefix on every line.
func runBuilds(ctx context.Context, env *Env, apps []*graph.App, o *buildOptions, one func(context.Context, *graph.App, io.Writer) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu     sync.Mutex
		failed = map[string]bool{}
		code   = 0
	)
	sem := make(chan struct{}, o.Jobs)
	var wg sync.WaitGroup
	for _, a := range apps {
		if o.FailFast || len(apps) == 1 {
			mu.Lock()
			stop := len(failed) > 0
			mu.Unlock()
			if stop {
				break
			}
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			out := env.Err
			if o.Jobs > 1 && len(apps) > 1 {
				pw := newPrefixWriter(env.Err, a.Name+" | ")
				defer pw.Flush()
				out = pw
			}
			err := one(ctx, a, out)
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				if len(apps) > 1 {
					fmt.Fprintf(env.Err, "monoctx: built %s\n", a.Name)
				}
				return
			}
			var ee *buildctx.ExitError
			if errors.As(err, &ee) {
				code = ee.Code
			} else {
				code = ExitError
				if ctx.Err() == nil || !errors.Is(err, context.Canceled) {
					fmt.Fprintf(env.Err, "monoctx: %s: %v\n", a.Name, err)
				}
			}
			failed[a.Name] = true
			if o.FailFast {
				cancel()
			}
		}()
	}
	wg.Wait()
	if len(failed) == 0 {
		return nil
	}
	if len(apps) > 1 {
		var names []string
		for _, a := range apps {
			if failed[a.Name] {
				names = append(names, a.Name)
			}
		}
		fmt.Fprintf(env.Err, "monoctx: %d of %d builds failed: %v\n", len(names), len(apps), names)
		return silentExit(ExitError)
	}
	return silentExit(code)
}

// buildArgOverrides reads --build-arg KEY=VALUE, or KEY alone for the environment's value (as
// docker build does; a KEY the environment lacks is left out).
func buildArgOverrides(env *Env, specs []string) (map[string]string, error) {
	out := map[string]string{}
	for _, s := range specs {
		k, v, ok := strings.Cut(s, "=")
		if k == "" {
			return nil, usageErrorf("--build-arg %q: want KEY=VALUE or KEY", s)
		}
		if !ok {
			if v = env.Getenv(k); v == "" {
				continue
			}
		}
		out[k] = v
	}
	return out, nil
}

// appBuild is an app's definition with the command line's overrides applied.
func appBuild(a *graph.App, o *buildOptions, args map[string]string) (target string, buildArgs map[string]string, tags []string) {
	target = a.Target
	if o.Target != "" {
		target = o.Target
	}
	buildArgs = maps.Clone(a.Args)
	if buildArgs == nil && len(args) > 0 {
		buildArgs = map[string]string{}
	}
	maps.Copy(buildArgs, args)
	tags = o.Tags
	if len(tags) == 0 {
		tags = a.Tags
	}
	return target, buildArgs, tags
}

// buildSession builds one app over a BuildKit session and reports what the context cost.
func buildSession(ctx context.Context, env *Env, s *session, a *graph.App, c *builder.Client, bo *builder.Options, o *buildOptions, args map[string]string, out io.Writer) error {
	src, err := contextSource(s, a)
	if err != nil {
		return err
	}
	named, err := namedContexts(env, s.root, a)
	if err != nil {
		return err
	}
	target, buildArgs, tags := appBuild(a, o, args)
	req := builder.Request{Context: src, Named: named, Target: target, Args: buildArgs, Tags: tags, NoCache: o.NoCache, Key: a.Name}
	if a.IgnoreFile != "" && a.IgnoreFile == a.Dockerfile+".dockerignore" {
		req.DockerfileIgnore = filepath.Join(s.root, filepath.FromSlash(a.IgnoreFile))
	}
	ab := *bo
	ab.ProgressOut = out
	if o.Jobs > 1 && ab.Progress == "auto" {
		ab.Progress = "plain" // several displays cannot share one terminal
	}
	res, err := c.Build(ctx, &ab, req)
	for _, w := range res.Warnings {
		fmt.Fprintf(env.Err, "monoctx: warning: %s: %s\n", a.Name, w)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Err, "monoctx: %s: context transferred %s (input set %s, %s files)\n", a.Name,
		humanBytes(res.Transferred), humanBytes(res.InputBytes), commas(int64(res.InputFiles)))
	return nil
}

// namedContexts are a's named build contexts for a session build: a repository directory is
// served limited to what the Dockerfile reads from it; another app's image ("target:x",
// "service:x") is bake's or compose's to build and is left out with a warning.
func namedContexts(env *Env, root string, a *graph.App) (map[string]builder.Named, error) {
	out := map[string]builder.Named{}
	for _, n := range slices.Sorted(maps.Keys(a.Contexts)) {
		v := a.Contexts[n]
		switch {
		case strings.HasPrefix(v, "target:") || strings.HasPrefix(v, "service:"):
			fmt.Fprintf(env.Err, "monoctx: warning: %s: named context %s=%s is another build; build it first and name its image in monoctx.yaml contexts (docker-image://IMAGE)\n", a.Name, n, v)
		case graph.IsLocalContext(v):
			nd := builder.Named{Dir: filepath.Join(root, filepath.FromSlash(v))}
			// What the Dockerfile reads from this directory, under whichever name: two names
			// for one directory serve the union of both.
			for _, in := range a.Inputs() {
				if in.Rule.Kind != "named-context" {
					continue
				}
				switch {
				case v == ".":
					nd.Roots = append(nd.Roots, in.Path)
				case in.Path == v:
					nd.Roots = append(nd.Roots, ".")
				case strings.HasPrefix(in.Path, v+"/"):
					nd.Roots = append(nd.Roots, strings.TrimPrefix(in.Path, v+"/"))
				}
			}
			out[n] = nd
		default:
			out[n] = builder.Named{Value: v}
		}
	}
	return out, nil
}

// buildContexts are the --build-context flags for a's named contexts: a local directory from
// disk, an image or URL as written. Another app's image ("target:x", "service:x") is bake's or
// compose's to build; it is left out with a warning, and the user passes it after --.
func buildContexts(env *Env, root string, a *graph.App, legacy bool) (map[string]string, error) {
	if len(a.Contexts) == 0 {
		return nil, nil
	}
	if legacy {
		return nil, fmt.Errorf("app %s has named build contexts, which the legacy builder (DOCKER_BUILDKIT=0) cannot read: build it with BuildKit or podman", a.Name)
	}
	names := make([]string, 0, len(a.Contexts))
	for n := range a.Contexts {
		names = append(names, n)
	}
	sort.Strings(names)
	out := map[string]string{}
	for _, n := range names {
		v := a.Contexts[n]
		switch {
		case strings.HasPrefix(v, "target:") || strings.HasPrefix(v, "service:"):
			fmt.Fprintf(env.Err, "monoctx: warning: %s: named context %s=%s is another build; pass its image after --, e.g. -- --build-context %s=docker-image://IMAGE\n", a.Name, n, v, n)
		case graph.IsLocalContext(v):
			out[n] = filepath.Join(root, filepath.FromSlash(v))
		default:
			out[n] = v
		}
	}
	return out, nil
}

func newBuilder(env *Env, name string) (buildctx.Builder, error) {
	bin, err := env.LookPath(name)
	if err != nil {
		return nil, fmt.Errorf("the %s CLI is not on PATH: install it or pass --builder", name)
	}
	if name == "podman" {
		return buildctx.Podman(bin), nil
	}
	return buildctx.Docker(bin, env.Getenv("DOCKER_BUILDKIT") != "0"), nil
}

func buildOne(ctx context.Context, env *Env, s *session, a *graph.App, b buildctx.Builder, o *buildOptions, args map[string]string, extra []string, mt buildctx.Option, out io.Writer) error {
	src, err := contextSource(s, a)
	if err != nil {
		return err
	}
	target, buildArgs, tags := appBuild(a, o, args)
	// The Dockerfile's place in the tar is known before writing: where it is in the context, or
	// where the writer puts a Dockerfile from outside the context.
	dfInTar, err := buildctx.DockerfilePath(src)
	if err != nil {
		return err
	}
	contexts, err := buildContexts(env, s.root, a, o.Builder == "docker" && env.Getenv("DOCKER_BUILDKIT") == "0")
	if err != nil {
		return err
	}
	for _, p := range o.Platforms {
		extra = append([]string{"--platform", p}, extra...)
	}
	if o.Network != "" {
		extra = append([]string{"--network", o.Network}, extra...)
	}
	if o.NoCache {
		extra = append([]string{"--no-cache"}, extra...)
	}
	var stats buildctx.Stats
	stdout := env.Out
	if out != env.Err {
		stdout = out // several builds at once: each one's output under its prefix
	}
	bo := buildctx.BuildOptions{Dockerfile: dfInTar, Tags: tags, Target: target, Args: buildArgs, Contexts: contexts, Extra: extra,
		Stdout: stdout, Stderr: out}
	err = b.Build(ctx, bo, func(w io.Writer) error {
		var werr error
		stats, werr = buildctx.Write(ctx, w, src, mt, buildctx.Progress(out))
		return werr
	})
	printWarnings(env, stats.Warnings)
	fmt.Fprintf(env.Err, "monoctx: %s: sent %s\n", a.Name, summary(ctx, s, a, stats))
	return err
}

// prefixWriter writes whole lines to w, each after prefix; Flush writes a last partial line.
type prefixWriter struct {
	mu     sync.Mutex
	w      io.Writer
	prefix string
	buf    []byte
}

func newPrefixWriter(w io.Writer, prefix string) *prefixWriter {
	return &prefixWriter{w: w, prefix: prefix}
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.buf = append(p.buf, b...)
	for {
		i := bytes.IndexByte(p.buf, '\n')
		if i < 0 {
			return len(b), nil
		}
		if _, err := fmt.Fprintf(p.w, "%s%s", p.prefix, p.buf[:i+1]); err != nil {
			return 0, err
		}
		p.buf = p.buf[i+1:]
	}
}

func (p *prefixWriter) Flush() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.buf) > 0 {
		fmt.Fprintf(p.w, "%s%s\n", p.prefix, p.buf)
		p.buf = nil
	}
}
