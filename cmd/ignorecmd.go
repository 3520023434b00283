package cmd

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	buildctx "github.com/monoctx/monoctx/context"
	"github.com/monoctx/monoctx/graph"
	"github.com/monoctx/monoctx/ignore"
)

type ignoreOptions struct {
	Write  bool
	Check  bool
	Stdout bool
	Force  bool
	Root   bool
}

func newIgnoreCmd(env *Env, g *globalOptions) *cobra.Command {
	o := &ignoreOptions{}
	c := &cobra.Command{
		Use:   "ignore [APP...]",
		Short: "Generate per-Dockerfile ignore files that make a plain docker build send only the input set",
		Long: `For each app (all apps when none is named), generate <Dockerfile>.dockerignore beside its
Dockerfile: an allowlist ("*" then literal "!" exceptions) that makes a plain "docker build" send only
the app's input set, the same with the legacy builder and BuildKit. BuildKit reads this file
instead of the context's .dockerignore, so the context file's patterns are carried into it.

Generated files start with a marker line. A file without it is yours and is never overwritten:
--force takes it over, keeping its patterns. --check exits 1 listing every generated file that is
missing or stale. Writes are atomic.

--root also manages <context>/.dockerignore: the union allowlist of every app built from that
context, which is what the legacy builder (DOCKER_BUILDKIT=0) reads. The user's patterns from that
file are kept in it, so later runs start from them.`,
		Example: `  monoctx ignore api --stdout
  monoctx ignore --write
  monoctx ignore --check     # in CI or a pre-commit hook
  monoctx ignore --write --root --force   # also the root .dockerignore, for the legacy builder`,
		RunE: func(c *cobra.Command, args []string) error {
			n := 0
			for _, b := range []bool{o.Write, o.Check, o.Stdout} {
				if b {
					n++
				}
			}
			if n > 1 {
				return usageErrorf("--write, --check and --stdout exclude each other")
			}
			if n == 0 {
				o.Stdout = true
			}
			s, err := g.load(c.Context(), env)
			if err != nil {
				return err
			}
			return ignoreRun(c.Context(), env, s, o, args)
		},
	}
	f := c.Flags()
	f.BoolVar(&o.Write, "write", false, "write the files")
	f.BoolVar(&o.Check, "check", false, "exit 1 when a generated file is missing or stale")
	f.BoolVar(&o.Stdout, "stdout", false, "print the files (the default)")
	f.BoolVar(&o.Force, "force", false, "take over an existing ignore file that monoctx did not generate, keeping its patterns")
	f.BoolVar(&o.Root, "root", false, "also keep each context's .dockerignore as the union allowlist of the apps built from it (for the legacy builder)")
	return c
}

// plannedIgnore is one file to write or check.
type plannedIgnore struct {
	app  *graph.App // the app, or the first app of the context for a --root file
	root bool       // a context's .dockerignore (--root)
	path string     // absolute
	rel  string     // repo-relative
	data []byte
}

func ignoreRun(ctx context.Context, env *Env, s *session, o *ignoreOptions, names []string) error {
	apps := s.g.Apps
	if len(names) > 0 {
		apps = nil
		for _, n := range names {
			a, err := s.app(n)
			if err != nil {
				return err
			}
			apps = append(apps, a)
		}
	}
	apps, skipped := resolvedApps(s, apps)
	if err := ignoreRunResolved(ctx, env, s, o, apps); err != nil {
		return err
	}
	if len(skipped) > 0 {
		// Every other file is written or checked; the run still fails, naming what is missing.
		fmt.Fprintf(env.Err, "monoctx: no ignore file for the unresolved app(s) %s (see the warnings above): fix them, then run monoctx ignore again\n", strings.Join(skipped, ", "))
		return silentExit(ExitError)
	}
	return nil
}

// resolvedApps leaves out the apps whose Dockerfile is also built by an unresolved app: one file
// serves every build of a Dockerfile, and an unresolved build's inputs are unknown.
func resolvedApps(s *session, apps []*graph.App) (ok []*graph.App, skipped []string) {
	bad := map[string]bool{}
	for _, a := range s.g.Apps {
		if a.Unresolved != "" {
			bad[a.Dockerfile] = true
		}
	}
	for _, a := range apps {
		if bad[a.Dockerfile] {
			skipped = append(skipped, a.Name)
			continue
		}
		ok = append(ok, a)
	}
	return ok, skipped
}

func ignoreRunResolved(ctx context.Context, env *Env, s *session, o *ignoreOptions, apps []*graph.App) error {
	plans, err := planIgnores(ctx, s, apps, o.Force)
	if err != nil {
		return err
	}
	if o.Root {
		roots, err := planRootIgnores(ctx, s, apps)
		if err != nil {
			return err
		}
		plans = append(plans, roots...)
	}
	switch {
	case o.Stdout:
		for i, p := range plans {
			if len(plans) > 1 {
				if i > 0 {
					fmt.Fprintln(env.Out)
				}
				fmt.Fprintf(env.Out, "# ==> %s <==\n", p.rel)
			}
			if _, err := env.Out.Write(p.data); err != nil {
				return err
			}
		}
		return nil
	case o.Check:
		var stale []string
		for _, p := range plans {
			ok, reason, err := ignore.Check(p.path, p.data)
			if err != nil {
				return err
			}
			if !ok {
				stale = append(stale, fmt.Sprintf("%s (%s, app %s)", p.rel, reason, p.app.Name))
			}
		}
		if len(stale) == 0 {
			return nil
		}
		fmt.Fprintf(env.Err, "monoctx: %d generated ignore file(s) are stale:\n", len(stale))
		for _, l := range stale {
			fmt.Fprintf(env.Err, "  %s\n", l)
		}
		fmt.Fprintf(env.Err, "run: monoctx ignore --write%s\n", appArgs(plans))
		return silentExit(ExitError)
	}
	// Refuse every user-owned file before writing any, so a refusal writes nothing.
	if !o.Force {
		var owned []string
		for _, p := range plans {
			if data, err := os.ReadFile(p.path); err == nil && !ignore.IsGenerated(data) {
				owned = append(owned, p.rel)
			}
		}
		if len(owned) > 0 {
			return fmt.Errorf("%s: not generated by monoctx, never overwritten; pass --force to take over (its patterns are kept), or name other apps", strings.Join(owned, ", "))
		}
	}
	for _, p := range plans {
		if ok, _, err := ignore.Check(p.path, p.data); err == nil && ok {
			continue // already up to date
		}
		if err := ignore.Write(p.path, p.data, o.Force, ignore.WithScratchDir(s.scratch())); err != nil {
			return err
		}
		fmt.Fprintf(env.Err, "monoctx: wrote %s\n", p.rel)
	}
	return nil
}

func appArgs(plans []plannedIgnore) string {
	var b strings.Builder
	root := false
	for _, p := range plans {
		if p.root {
			root = true
			continue
		}
		b.WriteString(" " + p.app.Name)
	}
	if root {
		b.WriteString(" --root")
	}
	return b.String()
}

// planIgnores generates, in memory, the file of each Dockerfile the apps are built from. One file
// serves every app of the graph built from that Dockerfile (other targets, args, contexts), so it
// is the union of their builds, whichever of them was named.
func planIgnores(ctx context.Context, s *session, apps []*graph.App, force bool) ([]plannedIgnore, error) {
	builds := map[string][]*graph.App{}
	for _, a := range s.g.Apps {
		builds[a.Dockerfile] = append(builds[a.Dockerfile], a)
	}
	var out []plannedIgnore
	seen := map[string]bool{}
	for _, named := range apps {
		if seen[named.Dockerfile] {
			continue
		}
		seen[named.Dockerfile] = true
		bs := builds[named.Dockerfile]
		a := bs[0]
		rel := a.Dockerfile + ".dockerignore"
		abs := filepath.Join(s.g.Root, filepath.FromSlash(rel))
		user, takenOver, err := userPatterns(s.readUserFile, s.g.Root, a, abs, force)
		if err != nil {
			return nil, err
		}
		names := []string{a.Name}
		for _, b := range bs[1:] {
			names = append(names, b.Name)
			if b.Context == a.Context || takenOver {
				continue
			}
			other, _, err := userPatterns(s.readUserFile, s.g.Root, b, abs, force)
			if err != nil {
				return nil, err
			}
			if !samePatterns(user, other) {
				return nil, fmt.Errorf("%s: apps %s and %s build %s from the contexts %s and %s, whose .dockerignore files differ; one generated file cannot carry both: give both contexts the same .dockerignore, or give one app its own Dockerfile",
					rel, a.Name, b.Name, a.Dockerfile, a.Context, b.Context)
			}
		}
		keep, err := s.g.IgnoreKeep(ctx, bs)
		if err != nil {
			return nil, err
		}
		var reincluded []string
		for _, b := range bs {
			re, err := reincludedFiles(ctx, s, b, user)
			if err != nil {
				return nil, err
			}
			reincluded = append(reincluded, re...)
		}
		// The generated file is BuildKit's to read, never the image's: it leaves the kept paths (a
		// Go or JS package directory listed file by file would otherwise gain it on the next run,
		// and --check would fail once) and excludes itself (COPY . . would copy it).
		self, _ := a.ContextPath(rel)
		spec := ignore.Spec{App: a.Name, Regenerate: "monoctx ignore --write " + a.Name, Keep: keep, User: user,
			TakenOver: takenOver, Reincluded: reincluded, Self: self}
		if len(bs) > 1 {
			spec.App, spec.Apps = "", names
		} else {
			spec.Dockerfile, _ = a.ContextPath(a.Dockerfile)
		}
		data, err := ignore.Generate(spec)
		if err != nil {
			return nil, fmt.Errorf("app %s: %w", a.Name, err)
		}
		out = append(out, plannedIgnore{app: a, path: abs, rel: rel, data: data})
	}
	return out, nil
}

// samePatterns reports whether two ignore files hold the same patterns.
func samePatterns(a, b *ignore.File) bool {
	pa, pb := userPatternsOf(a), userPatternsOf(b)
	if len(pa) != len(pb) {
		return false
	}
	for i := range pa {
		if pa[i].Text != pb[i].Text || pa[i].Exception != pb[i].Exception {
			return false
		}
	}
	return true
}

// errStagedListing says a plan needs the staged files listed, which only a checkout of the index
// gives (buildctx lists the file system).
var errStagedListing = errors.New("the staged files must be listed")

// reincludedFiles lists the context files that a wildcard exception of the user's patterns decides
// to keep. Only then is the context walked.
func reincludedFiles(ctx context.Context, s *session, a *graph.App, user *ignore.File) ([]string, error) {
	wild := false
	for _, p := range userPatternsOf(user) {
		wild = wild || (p.Exception && !p.Literal())
	}
	if !wild {
		return nil, nil
	}
	if s.staged != nil {
		return nil, errStagedListing // the listing is the disk's: the caller checks the index out
	}
	src, err := contextSource(s, a)
	if err != nil {
		return nil, err
	}
	entries, err := buildctx.List(ctx, src)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if e.Type == buildctx.TypeDir {
			continue
		}
		if ex, by := user.Decide(e.Path); !ex && by != nil && by.Exception && !by.Literal() {
			out = append(out, e.Path)
		}
	}
	return out, nil
}

func userPatternsOf(f *ignore.File) []ignore.Pattern {
	if f == nil {
		return nil
	}
	return f.Patterns
}

// userPatterns are the patterns a generated file carries over: those of a user's file taken over with
// --force (read back from the generated file on later runs), else the context's .dockerignore (read
// through the patterns it keeps when --root generates it). takenOver says which.
func userPatterns(read func(string) ([]byte, error), root string, a *graph.App, perDockerfile string, force bool) (f *ignore.File, takenOver bool, err error) {
	rel, _ := filepath.Rel(root, perDockerfile)
	if f, takenOver, err := takeOver(read, perDockerfile, filepath.ToSlash(rel), force); err != nil || takenOver {
		return f, takenOver, err
	}
	ctxIgnore := joinRepo(a.Context, ".dockerignore")
	f, _, err = ignore.ReadUserIn(read, filepath.Join(root, filepath.FromSlash(ctxIgnore)), ctxIgnore)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	return f, false, err
}

// takeOver reads the user's patterns of a file monoctx is about to (re)generate: the file itself
// when --force takes it over, or the patterns an earlier takeover kept in it.
func takeOver(read func(string) ([]byte, error), path, rel string, force bool) (f *ignore.File, takenOver bool, err error) {
	f, generated, err := ignore.ReadUserIn(read, path, rel)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, false, nil
	case err != nil:
		return nil, false, err
	case generated:
		return f, f != nil, nil
	case force:
		return f, true, nil
	}
	return nil, false, nil
}

// planRootIgnores generates each context's .dockerignore as the union allowlist of the apps built
// from it, keeping the user's patterns of that file.
func planRootIgnores(ctx context.Context, s *session, apps []*graph.App) ([]plannedIgnore, error) {
	byContext := map[string][]*graph.App{}
	var contexts []string
	for _, a := range s.g.Apps {
		if _, ok := byContext[a.Context]; !ok {
			contexts = append(contexts, a.Context)
		}
		byContext[a.Context] = append(byContext[a.Context], a)
	}
	wanted := map[string]bool{}
	for _, a := range apps {
		wanted[a.Context] = true
	}
	sort.Strings(contexts)
	var out []plannedIgnore
	for _, c := range contexts {
		if !wanted[c] {
			continue
		}
		rel := joinRepo(c, ".dockerignore")
		abs := filepath.Join(s.g.Root, filepath.FromSlash(rel))
		// The user's file is read as taken over even without --force, so --stdout shows the real
		// result; writing over it is still refused without --force.
		user, takenOver, err := takeOver(s.readUserFile, abs, rel, true)
		if err != nil {
			return nil, err
		}
		var keep, names []string
		for _, a := range byContext[c] {
			// Every build of the app: other targets, platform ARGs (see graph.IgnoreKeep).
			k, err := s.g.IgnoreKeep(ctx, []*graph.App{a})
			if err != nil {
				return nil, err
			}
			keep = append(keep, k...)
			if df, ok := a.ContextPath(a.Dockerfile); ok {
				keep = append(keep, df) // the legacy CLI sends it anyway; keep the file honest
			}
			names = append(names, a.Name)
			re, err := reincludedFiles(ctx, s, a, user)
			if err != nil {
				return nil, err
			}
			keep = append(keep, re...)
		}
		data, err := ignore.Generate(ignore.Spec{Apps: names,
			Regenerate: "monoctx ignore --write --root", Keep: keep, User: user, TakenOver: takenOver})
		if err != nil {
			return nil, fmt.Errorf("context %s: %w", c, err)
		}
		out = append(out, plannedIgnore{app: byContext[c][0], root: true, path: abs, rel: rel, data: data})
	}
	return out, nil
}

func joinRepo(dir, name string) string {
	if dir == "." || dir == "" {
		return name
	}
	return dir + "/" + name
}
