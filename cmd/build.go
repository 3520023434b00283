package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"

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
}

func newBuildCmd(env *Env, g *globalOptions) *cobra.Command {
	o := &buildOptions{}
	c := &cobra.Command{
		Use:   "build APP... [-- BUILDER-ARGS...]",
		Short: "Build apps, streaming each minimal context into the builder",
		Long: `Build apps with "docker build -f <dockerfile> -" (or podman), streaming the minimal context tar
into the builder's stdin while it is generated: the repository is never uploaded whole.
Tags, target and build args from compose, skaffold, bake or monoctx.yaml pass through; arguments
after -- go to the builder. The builder's output passes through and its exit code is monoctx's.

With DOCKER_BUILDKIT=0 the legacy builder runs; otherwise BuildKit. --affected builds every
affected app, one after the other; a failed build stops the others only with --fail-fast.`,
		Example: `  monoctx build api -t registry.example.com/api:dev
  monoctx build --affected --base origin/main
  monoctx build web --builder podman -- --no-cache`,
		RunE: func(c *cobra.Command, args []string) error {
			if err := checkFormat(o.Builder, "docker", "podman"); err != nil {
				return usageErrorf("unknown --builder %q (want docker or podman)", o.Builder)
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
			return buildRun(c.Context(), env, g, o, apps, extra)
		},
	}
	f := c.Flags()
	f.StringArrayVarP(&o.Tags, "tag", "t", nil, "image tag (repeatable; default: the tags from compose, skaffold, bake or monoctx.yaml)")
	f.StringVar(&o.Builder, "builder", "docker", "builder: docker or podman")
	f.BoolVar(&o.Affected, "affected", false, "build every app affected since --base")
	f.StringVar(&o.Base, "base", "", "with --affected: base ref (default: merge-base with the default branch)")
	f.StringVar(&o.Head, "head", "", "with --affected: head ref (default: the work tree)")
	f.StringVar(&o.OnMissing, "on-missing-base", "error", "with --affected: error, or all")
	f.BoolVar(&o.FailFast, "fail-fast", false, "with --affected: stop at the first failed build")
	f.StringVar(&o.Mtime, "mtime", "preserve", "file times in the context: preserve, or zero")
	return c
}

func buildRun(ctx context.Context, env *Env, g *globalOptions, o *buildOptions, names, extra []string) error {
	s, err := g.open(ctx, env)
	if err != nil {
		return err
	}
	var apps []*graph.App
	if o.Affected {
		res, err := computeAffected(ctx, env, g, s, o.Base, o.Head, "", false, o.OnMissing)
		if err != nil {
			return err
		}
		for _, af := range res.Apps {
			if af.Status != "affected" {
				continue
			}
			a, err := s.g.App(af.Name)
			if err != nil {
				return err
			}
			apps = append(apps, a)
		}
		if len(apps) == 0 {
			fmt.Fprintln(env.Err, "monoctx: no affected apps to build")
			return nil
		}
	} else {
		if err := s.loadGraph(ctx, env, g, s.root); err != nil {
			return err
		}
		for _, n := range names {
			a, err := s.app(n)
			if err != nil {
				return err
			}
			apps = append(apps, a)
		}
	}
	builder, err := newBuilder(env, o.Builder)
	if err != nil {
		return err
	}
	mt, err := mtimeOption(env, o.Mtime)
	if err != nil {
		return err
	}
	var failed []string
	code := 0
	for _, a := range apps {
		err := buildOne(ctx, env, s, a, builder, o, extra, mt)
		if err == nil {
			if len(apps) > 1 {
				fmt.Fprintf(env.Err, "monoctx: built %s\n", a.Name)
			}
			continue
		}
		var ee *buildctx.ExitError
		if errors.As(err, &ee) {
			code = ee.Code
		} else {
			code = ExitError
			fmt.Fprintf(env.Err, "monoctx: %s: %v\n", a.Name, err)
		}
		failed = append(failed, a.Name)
		if len(apps) == 1 || o.FailFast {
			break
		}
	}
	if len(failed) == 0 {
		return nil
	}
	if len(apps) > 1 {
		fmt.Fprintf(env.Err, "monoctx: %d of %d builds failed: %v\n", len(failed), len(apps), failed)
		return silentExit(ExitError)
	}
	return silentExit(code)
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

func buildOne(ctx context.Context, env *Env, s *session, a *graph.App, b buildctx.Builder, o *buildOptions, extra []string, mt buildctx.Option) error {
	src, err := contextSource(s, a)
	if err != nil {
		return err
	}
	tags := o.Tags
	if len(tags) == 0 {
		tags = a.Tags
	}
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
	var stats buildctx.Stats
	bo := buildctx.BuildOptions{Dockerfile: dfInTar, Tags: tags, Target: a.Target, Args: a.Args, Contexts: contexts, Extra: extra,
		Stdout: env.Out, Stderr: env.Err}
	err = b.Build(ctx, bo, func(w io.Writer) error {
		var werr error
		stats, werr = buildctx.Write(ctx, w, src, mt, buildctx.Progress(env.Err))
		return werr
	})
	printWarnings(env, stats.Warnings)
	fmt.Fprintf(env.Err, "monoctx: %s: sent %s\n", a.Name, summary(ctx, s, a, stats))
	return err
}
