package cmd

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	buildctx "github.com/monoctx/monoctx/context"
	"github.com/monoctx/monoctx/graph"
	"github.com/monoctx/monoctx/ignore"
)

type bakeOptions struct {
	Affected  bool
	Base      string
	Head      string
	OnMissing string
	Output    string
	Platforms []string
	Ignore    string
}

func newBakeCmd(env *Env, g *globalOptions) *cobra.Command {
	o := &bakeOptions{}
	c := &cobra.Command{
		Use:   "bake [APP...]",
		Short: "Write a docker buildx bake definition (JSON) for apps",
		Long: `Write a bake definition for docker buildx bake: group "default" with one target per app
(context, dockerfile, target, args, tags, platforms, named contexts), so that affected apps fan out
over a buildx builder of any driver, kubernetes and remote included. Without APP and --affected:
every app. Paths are relative to the repository root: run buildx bake from there.

buildx then sends each app's context itself; what limits it to the input set is the generated
<Dockerfile>.dockerignore beside each Dockerfile, which BuildKit reads in place of the context's
.dockerignore. --ignore check (the default) refuses to write the file while one of them is missing
or stale, --ignore write writes them as "monoctx ignore --write" does, --ignore none skips both.
The ignore file lives in the repository because the context does: a Dockerfile copied outside the
repository beside an ignore file would leave the repository clean but break Dockerfile line
numbers in errors and every relative path tool that reads the bake file.`,
		Example: `  monoctx bake --affected --base origin/main -o bake.json && docker buildx bake -f bake.json
  monoctx bake api web --platform linux/amd64 --platform linux/arm64`,
		RunE: func(c *cobra.Command, args []string) error {
			if err := checkFormat(o.Ignore, "check", "write", "none"); err != nil {
				return usageErrorf("unknown --ignore %q (want check, write or none)", o.Ignore)
			}
			if o.Affected && len(args) > 0 {
				return usageErrorf("name the apps, or pass --affected, not both")
			}
			return bakeRun(c.Context(), env, g, o, args)
		},
	}
	f := c.Flags()
	f.BoolVar(&o.Affected, "affected", false, "every app affected since --base")
	f.StringVar(&o.Base, "base", "", "with --affected: base ref (default: merge-base with the default branch)")
	f.StringVar(&o.Head, "head", "", "with --affected: head ref (default: the work tree)")
	f.StringVar(&o.OnMissing, "on-missing-base", "error", "with --affected: error, or all")
	f.StringVarP(&o.Output, "output", "o", "-", "write the definition to FILE (- for stdout)")
	f.StringArrayVar(&o.Platforms, "platform", nil, "platforms for every target (repeatable)")
	f.StringVar(&o.Ignore, "ignore", "check", "generated <Dockerfile>.dockerignore files: check, write, or none")
	return c
}

// bakeFile is the JSON form buildx bake reads.
type bakeFile struct {
	Group  map[string]bakeGroup  `json:"group"`
	Target map[string]bakeTarget `json:"target"`
}

type bakeGroup struct {
	Targets []string `json:"targets"`
}

type bakeTarget struct {
	Context    string            `json:"context"`
	Dockerfile string            `json:"dockerfile"`
	Target     string            `json:"target,omitempty"`
	Args       map[string]string `json:"args,omitempty"`
	Tags       []string          `json:"tags,omitempty"`
	Platforms  []string          `json:"platforms,omitempty"`
	Contexts   map[string]string `json:"contexts,omitempty"`
}

var bakeNameRE = regexp.MustCompile(`[^a-zA-Z0-9_-]+`)

func bakeRun(ctx context.Context, env *Env, g *globalOptions, o *bakeOptions, names []string) error {
	s, apps, err := selectApps(ctx, env, g, names, o.Affected, o.Base, o.Head, o.OnMissing)
	if err != nil {
		return err
	}
	if !o.Affected && len(names) == 0 {
		apps = s.g.Apps
	}
	// Apps whose image a named context takes are targets too (bake builds them first), outside
	// the default group.
	all := slices.Clone(apps)
	seen := map[string]bool{}
	for _, a := range apps {
		seen[a.Name] = true
	}
	for i := 0; i < len(all); i++ {
		for _, v := range all[i].Contexts {
			dep, ok := otherApp(v)
			if !ok || seen[dep] {
				continue
			}
			if d, err := s.g.App(dep); err == nil {
				seen[dep] = true
				all = append(all, d)
			}
		}
	}
	targetName, err := bakeNames(all)
	if err != nil {
		return err
	}
	if o.Ignore != "none" {
		if err := bakeIgnores(ctx, env, s, all, o.Ignore == "write"); err != nil {
			return err
		}
	}
	f := bakeFile{Group: map[string]bakeGroup{"default": {Targets: []string{}}}, Target: map[string]bakeTarget{}}
	for _, a := range apps {
		f.Group["default"] = bakeGroup{Targets: append(f.Group["default"].Targets, targetName[a.Name])}
	}
	for _, a := range all {
		df, ok := a.ContextPath(a.Dockerfile)
		if !ok {
			df = relPath(a.Context, a.Dockerfile)
		}
		t := bakeTarget{Context: a.Context, Dockerfile: df, Target: a.Target, Args: a.Args, Tags: a.Tags, Platforms: o.Platforms}
		for _, n := range slices.Sorted(maps.Keys(a.Contexts)) {
			v := a.Contexts[n]
			if dep, ok := otherApp(v); ok {
				if tn, ok := targetName[dep]; ok {
					v = "target:" + tn
				} else {
					fmt.Fprintf(env.Err, "monoctx: warning: %s: named context %s=%s names no app; left as written\n", a.Name, n, v)
				}
			}
			if t.Contexts == nil {
				t.Contexts = map[string]string{}
			}
			t.Contexts[n] = v
		}
		f.Target[targetName[a.Name]] = t
	}
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	data = append(data, '\n')
	if o.Output == "-" {
		_, err := env.Out.Write(data)
		return err
	}
	return writeBytesAtomic(o.Output, data)
}

// otherApp is the app a "target:x" or "service:x" named context takes the image of.
func otherApp(v string) (string, bool) {
	for _, p := range []string{"target:", "service:"} {
		if n, ok := strings.CutPrefix(v, p); ok && n != "" {
			return n, true
		}
	}
	return "", false
}

// bakeNames gives every app a bake target name: its name with each run of characters bake does
// not allow replaced by "-". Two apps that would get one name are an error.
func bakeNames(apps []*graph.App) (map[string]string, error) {
	out := map[string]string{}
	owner := map[string]string{}
	for _, a := range apps {
		n := strings.Trim(bakeNameRE.ReplaceAllString(a.Name, "-"), "-")
		if n == "" {
			n = "app"
		}
		if prev, ok := owner[n]; ok && prev != a.Name {
			return nil, fmt.Errorf("apps %s and %s would both be bake target %q: rename one in monoctx.yaml", prev, a.Name, n)
		}
		owner[n] = a.Name
		out[a.Name] = n
	}
	return out, nil
}

// bakeIgnores checks (or writes) the generated <Dockerfile>.dockerignore of every app, which is
// what limits buildx's context to the input set.
func bakeIgnores(ctx context.Context, env *Env, s *session, apps []*graph.App, write bool) error {
	plans, err := planIgnores(ctx, s, apps, false)
	if err != nil {
		return err
	}
	var stale, owned []string
	for _, p := range plans {
		ok, reason, err := ignore.Check(p.path, p.data)
		if err != nil {
			return err
		}
		if ok {
			continue
		}
		if data, err := os.ReadFile(p.path); err == nil && !ignore.IsGenerated(data) {
			owned = append(owned, p.rel)
			continue
		}
		stale = append(stale, fmt.Sprintf("%s (%s, app %s)", p.rel, reason, p.app.Name))
	}
	if len(owned) > 0 {
		// The user's own file applies instead; buildx sends what it allows.
		fmt.Fprintf(env.Err, "monoctx: warning: %s: not generated by monoctx; buildx sends what it allows (monoctx ignore --force takes it over)\n", strings.Join(owned, ", "))
	}
	if len(stale) == 0 {
		return nil
	}
	if !write {
		fmt.Fprintf(env.Err, "monoctx: %d generated ignore file(s) are missing or stale, so buildx would send more than the input set:\n", len(stale))
		for _, l := range stale {
			fmt.Fprintf(env.Err, "  %s\n", l)
		}
		fmt.Fprintf(env.Err, "run: monoctx ignore --write%s (or monoctx bake --ignore write)\n", appArgs(plans))
		return silentExit(ExitError)
	}
	for _, p := range plans {
		if ok, _, err := ignore.Check(p.path, p.data); err != nil || ok {
			continue
		}
		if data, err := os.ReadFile(p.path); err == nil && !ignore.IsGenerated(data) {
			continue
		}
		if err := ignore.Write(p.path, p.data, false); err != nil {
			return err
		}
		fmt.Fprintf(env.Err, "monoctx: wrote %s\n", p.rel)
	}
	return nil
}

// relPath is p relative to dir, both repo-relative slash paths.
func relPath(dir, p string) string {
	r, err := filepath.Rel(filepath.FromSlash(dir), filepath.FromSlash(p))
	if err != nil {
		return p
	}
	return filepath.ToSlash(r)
}

// writeBytesAtomic writes data to name through a temporary file in its directory.
func writeBytesAtomic(name string, data []byte) error {
	_, err := writeFileAtomic("", name, func(w io.Writer) (buildctx.Stats, error) {
		_, err := w.Write(data)
		return buildctx.Stats{}, err
	})
	return err
}
