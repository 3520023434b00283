package cmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/monoctx/monoctx/graph"
	"github.com/monoctx/monoctx/graph/tree"
	"github.com/monoctx/monoctx/hook"
	"github.com/monoctx/monoctx/ignore"
)

func newHookCmd(env *Env, g *globalOptions) *cobra.Command {
	c := &cobra.Command{
		Use:   "hook",
		Short: "Install git hooks: fresh ignore files on commit, affected apps before a push",
	}
	c.AddCommand(newHookInstallCmd(env, g), newHookUninstallCmd(env, g), newHookListCmd(env, g), newHookRunCmd(env, g))
	return c
}

func newHookInstallCmd(env *Env, g *globalOptions) *cobra.Command {
	var names []string
	var mode string
	var failOnAffected bool
	c := &cobra.Command{
		Use:   "install",
		Short: "Install monoctx's git hooks, chaining any hook already there",
		Long: `Install the pre-commit hook (regenerates stale generated ignore files and stages them; with
--mode check it refuses the commit instead) and the pre-push hook (prints the apps the push
affects; refuses it only with --fail-on-affected). core.hooksPath (husky, lefthook) and linked
worktrees are respected. An existing hook is kept and run first; uninstall restores it.`,
		Example: `  monoctx hook install
  monoctx hook install --hook pre-commit --mode check
  monoctx hook install --hook pre-push --fail-on-affected`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			s, err := g.open(c.Context(), env)
			if err != nil {
				return err
			}
			self, err := env.Self()
			if err != nil {
				return fmt.Errorf("finding the monoctx binary: %w", err)
			}
			// Hooks in a directory inside the work tree (a committed .husky/) are shared: they must
			// not name this machine's binary, only find monoctx on PATH.
			if dir, err := hook.Dir(c.Context(), s.root); err == nil && s.repo != nil &&
				inside(s.root, dir) && !inside(s.repo.CommonDir(), dir) {
				self = ""
			}
			if len(names) == 0 {
				names = hook.Names()
			}
			for _, n := range names {
				h := hook.Hook{Name: n}
				if n == hook.PreCommit {
					h.Mode = hook.Mode(mode)
				}
				if n == hook.PrePush {
					h.FailOnAffected = failOnAffected
				}
				res, err := hook.Install(c.Context(), s.root, h, self)
				if err != nil {
					if errors.Is(err, hook.ErrInvalidHook) {
						return &usageError{err}
					}
					return err
				}
				msg := "installed"
				if !res.Changed {
					msg = "already installed"
				}
				fmt.Fprintf(env.Err, "monoctx: %s %s hook at %s", msg, res.Hook.Name, res.Path)
				if res.Chained != "" {
					fmt.Fprintf(env.Err, " (runs the existing hook first: %s)", res.Chained)
				}
				fmt.Fprintln(env.Err)
			}
			return nil
		},
	}
	c.Flags().StringSliceVar(&names, "hook", nil, "hooks to install: pre-commit, pre-push (default: both)")
	c.Flags().StringVar(&mode, "mode", "", "pre-commit mode: fix (default) or check")
	c.Flags().BoolVar(&failOnAffected, "fail-on-affected", false, "pre-push: refuse a push that affects any app")
	return c
}

func newHookUninstallCmd(env *Env, g *globalOptions) *cobra.Command {
	var names []string
	c := &cobra.Command{
		Use:   "uninstall",
		Short: "Remove monoctx's hooks and restore the hooks they chained, byte for byte",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			s, err := g.open(c.Context(), env)
			if err != nil {
				return err
			}
			if len(names) == 0 {
				names = hook.Names()
			}
			return hook.Uninstall(c.Context(), s.root, names...)
		},
	}
	c.Flags().StringSliceVar(&names, "hook", nil, "hooks to remove (default: all of monoctx's)")
	return c
}

func newHookListCmd(env *Env, g *globalOptions) *cobra.Command {
	var format string
	c := &cobra.Command{
		Use:   "list",
		Short: "Show which hooks are installed",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if err := checkFormat(format, "text", "json"); err != nil {
				return err
			}
			s, err := g.open(c.Context(), env)
			if err != nil {
				return err
			}
			st, err := hook.List(c.Context(), s.root)
			if err != nil {
				return err
			}
			if format == "json" {
				enc := json.NewEncoder(env.Out)
				enc.SetIndent("", "  ")
				return enc.Encode(st)
			}
			tw := tabwriter.NewWriter(env.Out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "HOOK\tINSTALLED\tMODE\tPATH")
			for _, h := range st {
				mode := "-"
				if h.Installed {
					mode = string(h.Hook.Mode)
				}
				fmt.Fprintf(tw, "%s\t%t\t%s\t%s\n", h.Name, h.Installed, mode, h.Path)
			}
			return tw.Flush()
		},
	}
	c.Flags().StringVar(&format, "format", "text", "output format: text or json")
	return c
}

func newHookRunCmd(env *Env, g *globalOptions) *cobra.Command {
	var mode string
	var failOnAffected bool
	c := &cobra.Command{
		Use:    "run NAME [-- GIT-HOOK-ARGS...]",
		Short:  "Run a hook (what the installed scripts call)",
		Args:   cobra.MinimumNArgs(1),
		Hidden: false,
		RunE: func(c *cobra.Command, args []string) error {
			s, err := g.open(c.Context(), env)
			if err != nil {
				return err
			}
			switch args[0] {
			case hook.PreCommit:
				if mode == "" {
					mode = string(hook.ModeFix)
				}
				if err := checkFormat(mode, "fix", "check"); err != nil {
					return usageErrorf("unknown pre-commit --mode %q (want fix or check)", mode)
				}
				return preCommitRun(c.Context(), env, g, s, hook.Mode(mode))
			case hook.PrePush:
				return prePushRun(c.Context(), env, g, s, args[1:], failOnAffected)
			}
			return usageErrorf("unknown hook %q (want pre-commit or pre-push)", args[0])
		},
	}
	c.Flags().StringVar(&mode, "mode", "", "pre-commit: fix or check; pre-push: report")
	c.Flags().BoolVar(&failOnAffected, "fail-on-affected", false, "pre-push: refuse the push when it affects an app")
	return c
}

// inside reports whether path p is dir or below it.
func inside(dir, p string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// regenerationTriggers are staged changes that can make a generated ignore file stale: a generated
// file depends on Dockerfiles, ignore files, app definitions, the config, language manifests and
// sources (for narrowed apps), and on which paths exist (additions and deletions).
func regenerationTrigger(c graph.Change, cfgFile string) bool {
	base := path.Base(c.Path)
	switch {
	case c.Status == "added" || c.Status == "deleted":
		return true
	case graph.IsDockerfileName(base), strings.HasSuffix(base, ".dockerignore"), c.Path == cfgFile,
		graph.IsDefinitionFile(c.Path):
		return true
	case base == "go.mod", base == "go.work", base == "package.json", base == "pnpm-workspace.yaml",
		strings.HasSuffix(base, ".go"):
		return true
	}
	return false
}

// preCommitRun keeps generated ignore files fresh for the staged change. Only staged content counts:
// when a file that defines inputs has unstaged edits, the graph is read from the index.
func preCommitRun(ctx context.Context, env *Env, g *globalOptions, s *session, mode hook.Mode) error {
	if s.repo == nil {
		return errors.New("not in a git work tree")
	}
	staged, err := s.repo.StagedChanges(ctx)
	if err != nil {
		return err
	}
	cfgFile := graph.ConfigFile
	if g.Config != "" {
		cfgFile = s.configFile(g.Config) // absolute when outside the repository: no staged path
	}
	var changes []graph.Change
	trigger := false
	for _, c := range staged {
		gc := graph.Change{Path: c.Path, Status: string(c.Status)}
		changes = append(changes, gc)
		trigger = trigger || regenerationTrigger(gc, cfgFile)
	}
	if !trigger {
		return nil // nothing staged can change a generated file: the fast path
	}
	fromIndex := false
	if dirty, err := s.repo.UnstagedChanges(ctx); err == nil {
		for _, c := range dirty {
			if regenerationTrigger(graph.Change{Path: c.Path, Status: string(c.Status)}, cfgFile) {
				fromIndex = true
				break
			}
		}
	}
	plans, err := preCommitPlans(ctx, env, g, s, changes, fromIndex, false)
	if errors.Is(err, errStagedListing) {
		// A wildcard exception of a user's patterns needs the staged files listed: from a
		// checkout of the index, as the graph's warnings were already said.
		quiet := *env
		quiet.Err = io.Discard
		plans, err = preCommitPlans(ctx, &quiet, g, s, changes, fromIndex, true)
	}
	if err != nil {
		return err
	}
	if len(plans) == 0 {
		return nil
	}
	var stale []plannedIgnore
	for _, p := range plans {
		target := filepath.Join(s.root, filepath.FromSlash(p.rel))
		ok, _, err := ignore.Check(target, p.data)
		if err != nil {
			return err
		}
		if !ok {
			p.path = target
			stale = append(stale, p)
		}
	}
	if len(stale) == 0 {
		return nil
	}
	if mode == hook.ModeCheck {
		fmt.Fprintf(env.Err, "monoctx: commit refused: %d generated ignore file(s) are stale:\n", len(stale))
		for _, p := range stale {
			fmt.Fprintf(env.Err, "  %s (app %s)\n", p.rel, p.app.Name)
		}
		fmt.Fprintf(env.Err, "fix: monoctx ignore --write%s && git add", appArgs(stale))
		for _, p := range stale {
			fmt.Fprintf(env.Err, " %s", p.rel)
		}
		fmt.Fprintln(env.Err)
		return silentExit(ExitError)
	}
	var paths []string
	for _, p := range stale {
		if err := ignore.Write(p.path, p.data, false, ignore.WithScratchDir(s.scratch())); err != nil {
			return err
		}
		paths = append(paths, p.rel)
		fmt.Fprintf(env.Err, "monoctx: regenerated and staged %s (app %s)\n", p.rel, p.app.Name)
	}
	return hook.StageFiles(ctx, s.root, paths)
}

// prePushRun prints, per pushed ref, the apps the push affects.
func prePushRun(ctx context.Context, env *Env, g *globalOptions, s *session, args []string, failOnAffected bool) error {
	remote := "origin"
	if len(args) > 0 && args[0] != "" {
		remote = args[0]
	}
	refs, envRemote, fromEnv := hook.PushedRefsFromEnv(env.Getenv)
	if fromEnv {
		if envRemote != "" {
			remote = envRemote
		}
	} else {
		var err error
		if refs, err = hook.ParsePrePush(env.In); err != nil {
			return err
		}
	}
	any := false
	for _, r := range refs {
		base, err := hook.PushBase(ctx, s.root, remote, r)
		if errors.Is(err, hook.ErrDeletedRef) {
			continue
		}
		if err != nil {
			fmt.Fprintf(env.Err, "monoctx: %s: %v\n", r.RemoteRef, err)
			continue
		}
		res, err := computeAffected(ctx, env, g, s, base, r.LocalSHA, "", false, "error", false)
		if err != nil {
			fmt.Fprintf(env.Err, "monoctx: %s: %v\n", r.RemoteRef, err)
			continue
		}
		var names []string
		for _, a := range res.Apps {
			label := a.Name
			if a.Status == "removed" {
				label += " (removed)"
			}
			names = append(names, label)
		}
		if len(names) == 0 {
			fmt.Fprintf(env.Err, "monoctx: push to %s %s affects no app\n", remote, r.RemoteRef)
			continue
		}
		any = true
		fmt.Fprintf(env.Err, "monoctx: push to %s %s affects %d app(s): %s\n", remote, r.RemoteRef, len(names), strings.Join(names, ", "))
	}
	if any && failOnAffected {
		fmt.Fprintln(env.Err, "monoctx: push refused (--fail-on-affected); bypass once with git push --no-verify")
		return silentExit(ExitError)
	}
	return nil
}

// preCommitPlans loads the graph of what is staged and plans the generated ignore files the staged
// changes make stale. fromIndex says the work tree has unstaged edits that could change them: the
// graph is then read from the index (through a view of it, or from a checkout into a temporary
// directory with checkout).
func preCommitPlans(ctx context.Context, env *Env, g *globalOptions, s *session, changes []graph.Change, fromIndex, checkout bool) ([]plannedIgnore, error) {
	dir := s.root
	var view tree.View
	s.staged = nil
	defer func() { s.staged = nil }()
	switch {
	case fromIndex && checkout:
		tmp, cleanup, err := s.repo.CheckoutIndex(ctx)
		if err != nil {
			return nil, err
		}
		defer cleanup()
		dir = tmp
	case fromIndex:
		idx, err := tree.NewIndex(ctx, s.root)
		if err != nil {
			return nil, err
		}
		defer idx.Close()
		view, s.staged = idx, idx
	}
	if err := s.loadGraphView(ctx, env, g, dir, view); err != nil {
		return nil, err
	}
	affected, err := s.g.AffectedApps(ctx, changes, nil)
	if err != nil {
		return nil, err
	}
	// Only files monoctx already generates are kept fresh; a user's own file is never touched.
	generated := func(rel string) bool {
		data, err := os.ReadFile(filepath.Join(s.root, filepath.FromSlash(rel)))
		return err == nil && ignore.IsGenerated(data)
	}
	var apps, rootApps []*graph.App
	for _, af := range affected {
		if af.Status != "affected" {
			continue
		}
		a, err := s.g.App(af.Name)
		if err != nil {
			return nil, err
		}
		if generated(a.Dockerfile + ".dockerignore") {
			apps = append(apps, a)
		}
		if generated(joinRepo(a.Context, ".dockerignore")) {
			rootApps = append(rootApps, a) // a context file kept by monoctx ignore --root
		}
	}
	apps, _ = resolvedApps(s, apps) // unresolved apps are warned about; the rest stay fresh
	rootApps, _ = resolvedApps(s, rootApps)
	plans, err := planIgnores(ctx, s, apps, false)
	if err != nil {
		return nil, err
	}
	roots, err := planRootIgnores(ctx, s, rootApps)
	if err != nil {
		return nil, err
	}
	plans = append(plans, roots...)
	return plans, nil
}
