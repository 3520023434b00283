package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/sirupsen/logrus"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/monoctx/monoctx/graph"
	"github.com/monoctx/monoctx/graph/cache"
	"github.com/monoctx/monoctx/graph/gitchanges"
	"github.com/monoctx/monoctx/graph/tree"
	"github.com/monoctx/monoctx/internal/atomicfile"
)

// Exit codes.
const (
	ExitOK    = 0
	ExitError = 1
	ExitUsage = 2
)

// Env is what commands touch of the outside world; tests replace it.
type Env struct {
	In       io.Reader
	Out      io.Writer
	Err      io.Writer
	Getwd    func() (string, error)
	Getenv   func(string) string
	LookPath func(string) (string, error)
	// Self is the path of the running monoctx binary (for hooks).
	Self func() (string, error)
}

// System is the real environment.
func System() *Env {
	return &Env{In: os.Stdin, Out: os.Stdout, Err: os.Stderr, Getwd: os.Getwd, Getenv: os.Getenv,
		LookPath: exec.LookPath, Self: os.Executable}
}

// isTerminal reports whether w is a terminal; decided on the stream actually written.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// exitError carries an exit code chosen by a command (e.g. --check found stale files, a builder failed).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// silentExit is an exit code with nothing more to say (the command already printed what it had).
type silentExit int

func (e silentExit) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }

func usageErrorf(format string, args ...any) error {
	return &usageError{fmt.Errorf(format, args...)}
}

// globalOptions are the flags every command shares.
type globalOptions struct {
	Repo   string
	Config string
	Engine string
	Strict bool

	NoCache bool // --no-cache, or MONOCTX_NO_CACHE
}

// Execute runs monoctx with os.Args and returns the process exit code.
func Execute(ctx context.Context, env *Env) int {
	return ExecuteArgs(ctx, env, os.Args[1:])
}

// ExecuteArgs runs monoctx with args and returns the exit code: the one place errors become codes.
func ExecuteArgs(ctx context.Context, env *Env, args []string) int {
	// compose-go logs interpolation warnings through logrus; monoctx reports its own errors.
	logrus.SetOutput(io.Discard)
	root := NewRootCmd(env)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	var se silentExit
	if errors.As(err, &se) {
		return int(se)
	}
	// A command's own errors are runErrors (usage ones among them say so); anything else comes from
	// cobra's parsing of the command line: unknown commands, flags or argument counts.
	var ue *usageError
	var re *runError
	isUsage := errors.As(err, &ue) || !errors.As(err, &re)
	fmt.Fprintf(env.Err, "monoctx: %v\n", err)
	if isUsage {
		fmt.Fprintln(env.Err, "Run 'monoctx --help' for usage.")
		return ExitUsage
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return ExitError
}

// runError marks an error a command's RunE returned, so that its text is never mistaken for one of
// cobra's usage errors (a Dockerfile error "COPY requires at least two arguments" is bad input).
type runError struct{ err error }

func (e *runError) Error() string { return e.err.Error() }
func (e *runError) Unwrap() error { return e.err }

// markRunErrors wraps the RunE of c and its subcommands so their errors are runErrors.
func markRunErrors(c *cobra.Command) {
	if run := c.RunE; run != nil {
		c.RunE = func(c *cobra.Command, args []string) error {
			if err := run(c, args); err != nil {
				return &runError{err}
			}
			return nil
		}
	}
	for _, sub := range c.Commands() {
		markRunErrors(sub)
	}
}

// NewRootCmd builds the command tree.
func NewRootCmd(env *Env) *cobra.Command {
	g := &globalOptions{}
	root := &cobra.Command{
		Use:   "monoctx",
		Short: "Minimal Docker build contexts and affected-app detection for monorepos",
		Long: `monoctx computes, for each app of a monorepo that builds Docker images, its input set: the
paths whose change can change its image. From it: which apps a change affects, generated
.dockerignore files, and a minimal build context streamed into the builder.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		// --version prints what `monoctx version` prints.
		Version: currentVersion().String(),
	}
	root.SetVersionTemplate("{{.Version}}")
	root.SetOut(env.Out)
	root.SetErr(env.Err)
	root.SetIn(env.In)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return &usageError{err} })
	pf := root.PersistentFlags()
	pf.StringVar(&g.Repo, "repo", "", "repository root (default: the git work tree containing the current directory)")
	pf.StringVar(&g.Config, "config", "", "config file (default: monoctx.yaml at the repository root, optional); relative: read from the tree analysed (--head's commit), absolute: from the file system")
	pf.StringVar(&g.Engine, "git", "auto", "git engine: auto (git CLI when on PATH), git or go-git")
	pf.BoolVar(&g.Strict, "strict", false, "fail on what is otherwise a warning: a broken definition file, an unresolved app")
	pf.BoolVar(&g.NoCache, "no-cache", false, "neither read nor write the parse and listing caches under the git directory (also MONOCTX_NO_CACHE=1)")

	root.AddCommand(
		newAppsCmd(env, g),
		newGraphCmd(env, g),
		newWhyCmd(env, g),
		newAffectedCmd(env, g),
		newContextCmd(env, g),
		newBuildCmd(env, g),
		newBakeCmd(env, g),
		newIgnoreCmd(env, g),
		newHookCmd(env, g),
		newVersionCmd(env),
	)
	markRunErrors(root)
	return root
}

// session is what a command works on: the repo root, the git repo when there is one, and the graph.
type session struct {
	started time.Time // before anything of the repository was read
	root    string
	repo    *gitchanges.Repo // nil outside a git work tree
	g       *graph.Graph
	cwd     string
	// cache is the parse cache, nil when off; opened with the repo, flushed after each graph load.
	cache *cache.Cache
	// sparse is sparseCheckout's answer, asked of git as the repo is opened (most commands need
	// it to load the graph); nil without the git CLI.
	sparse *answer
	// staged is set while the graph is the index's (a pre-commit hook with unstaged edits): the
	// user's ignore patterns are read from it too, by absolute path under root.
	staged tree.View
}

// readUserFile reads a file of the tree the graph was loaded from, by absolute path: the index's
// content for a pre-commit hook, else the file system's.
func (s *session) readUserFile(abs string) ([]byte, error) {
	if s.staged != nil {
		return tree.AbsOf(s.staged).ReadFile(abs)
	}
	return os.ReadFile(abs)
}

// open finds the repository (and git, when there is a work tree) without loading the graph.
func (g *globalOptions) open(ctx context.Context, env *Env) (*session, error) {
	started := time.Now()
	cwd, err := env.Getwd()
	if err != nil {
		return nil, fmt.Errorf("finding the current directory: %w", err)
	}
	dir := cwd
	if g.Repo != "" {
		dir = g.Repo
		if !filepath.IsAbs(dir) {
			dir = filepath.Join(cwd, dir)
		}
		st, err := os.Stat(dir)
		if err != nil || !st.IsDir() {
			return nil, fmt.Errorf("--repo %s: not a directory", g.Repo)
		}
	}
	switch g.Engine {
	case gitchanges.EngineAuto, gitchanges.EngineGit, gitchanges.EngineGoGit:
	default:
		return nil, usageErrorf("unknown --git %q (want %s, %s or %s)", g.Engine, gitchanges.EngineAuto, gitchanges.EngineGit, gitchanges.EngineGoGit)
	}
	s := &session{started: started, root: dir, cwd: cwd}
	// Whether the checkout is sparse is asked of git beside the search for the repository, from the
	// directory that search starts in (git finds the same repository from there): most commands
	// need the answer before they can read the tree, and it took a git start of its own after the
	// search.
	var sparse *answer
	if g.Engine != gitchanges.EngineGoGit {
		sparse = &answer{done: make(chan struct{})}
		go func() {
			sparse.v = sparseCheckout(ctx, dir)
			close(sparse.done)
		}()
	}
	repo, err := gitchanges.Open(ctx, dir, gitchanges.WithEngine(g.Engine))
	if sparse != nil && (err != nil || repo.Engine() != gitchanges.EngineGit) {
		sparse.get() // nothing will ask: git is not left running past the command
		sparse = nil
	}
	switch {
	case err == nil:
		s.repo = repo
		s.root = repo.Root()
		// What a killed run left in the scratch directory goes first.
		if err := atomicfile.CleanStale(s.scratch()); err != nil {
			fmt.Fprintf(env.Err, "monoctx: warning: %v\n", err)
		}
		s.cache = s.openCache(env, g)
		s.sparse = sparse
	case g.Repo == "":
		var nw *gitchanges.NotWorkTreeError
		if errors.As(err, &nw) {
			return nil, fmt.Errorf("%w; or pass --repo DIR", err)
		}
		return nil, err
	}
	return s, nil
}

// scratch is the directory for monoctx's temporary files, under the git directory (nothing there
// shows in the work tree or git status); "" outside a git work tree.
func (s *session) scratch() string {
	if s.repo == nil {
		return ""
	}
	return filepath.Join(s.repo.CommonDir(), "monoctx", "tmp")
}

// load opens the repository and loads the graph.
func (g *globalOptions) load(ctx context.Context, env *Env) (*session, error) {
	s, err := g.open(ctx, env)
	if err != nil {
		return nil, err
	}
	if err := s.loadGraph(ctx, env, g, s.root); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *session) loadGraph(ctx context.Context, env *Env, g *globalOptions, dir string) error {
	return s.loadGraphView(ctx, env, g, dir, nil)
}

// workTreeView is the view of the work tree: a walk of the directory, with blob ids from git's
// index; in a sparse checkout with the git CLI (which reads the blobs the checkout leaves out), the
// walk plus the index's skip-worktree paths (sparse: git's answer).
func (s *session) workTreeView(ctx context.Context, sparse bool) tree.View {
	// The index is needed where files git tracks are not on disk (a sparse checkout). Its listing
	// through git was slower than the walk: on 200k files one `affected` took 1.4 s walking and
	// 3.5 s listing the index and the untracked files through git.
	if sparse {
		opts := []tree.WorkTreeOption{tree.WithIndexRecords(gitchanges.IndexRecordsReader(s.repo.GitDir()))}
		if s.cache != nil {
			opts = append(opts, tree.WithListCache(s.listCacheFile(), s.scratch()))
		}
		if v, err := tree.NewWorkTree(ctx, s.root, opts...); err == nil {
			return v
		}
	}
	if s.repo != nil {
		d := tree.NewIndexedDir(s.root, gitchanges.IndexReader(s.repo.GitDir())) // blob ids for the parse cache
		if s.cache != nil {
			// The walk's listing, kept per work tree and checked directory by directory (--no-cache: off).
			d.ListCache(s.listCacheFile(), s.scratch())
		}
		return d
	}
	return tree.NewDir(s.root)
}

// listCacheFile is where the walk's listing is kept: one per work tree, in its git directory.
func (s *session) listCacheFile() string {
	return filepath.Join(s.repo.GitDir(), "monoctx", "listing")
}

// answer is a yes or no that git gives later.
type answer struct {
	done chan struct{} // closed once v is set
	v    bool
}

// get waits for the answer.
func (a *answer) get() bool {
	<-a.done
	return a.v
}

// given reports whether the answer is in, without waiting.
func (a *answer) given() bool {
	select {
	case <-a.done:
		return true
	default:
		return false
	}
}

// sparseCheckout reports whether the work tree may lack files git tracks: core.sparseCheckout is
// set (git sparse-checkout, cone or not). A path marked skip-worktree by hand, without a sparse
// checkout, is read from disk as it is.
func sparseCheckout(ctx context.Context, dir string) bool {
	out, err := exec.CommandContext(ctx, "git", "-C", dir, "config", "--bool", "core.sparseCheckout").Output()
	return err == nil && strings.TrimSpace(string(out)) == "true"
}

// loadGraphView loads the graph of dir read through v; nil is the work tree's view when dir is the
// repository root, a walk of dir otherwise.
func (s *session) loadGraphView(ctx context.Context, env *Env, g *globalOptions, dir string, v tree.View, extra ...graph.Option) error {
	return s.startGraphView(ctx, g, dir, v, extra...)(env)
}

// startGraphView is loadGraphView in the background, so that git can answer other questions
// meanwhile. finish must be called: it waits for the load, then flushes the cache, prints the
// warnings and sets s.g as loadGraphView does; with a nil env it only waits (the caller gave up,
// after cancelling ctx), and the session stays as it was.
func (s *session) startGraphView(ctx context.Context, g *globalOptions, dir string, v tree.View, extra ...graph.Option) (finish func(*Env) error) {
	var (
		gr   *graph.Graph
		err  error
		done = make(chan struct{})
	)
	go func() {
		defer close(done)
		gr, err = s.readGraph(ctx, g, dir, v, extra...)
	}()
	return func(env *Env) error {
		<-done
		if env == nil {
			return err // cancelled: nothing said, nothing kept
		}
		s.flushCache(env)
		if err != nil {
			return err
		}
		for _, w := range gr.Warnings {
			fmt.Fprintf(env.Err, "monoctx: warning: %s\n", w)
		}
		s.g = gr
		return nil
	}
}

func (s *session) readGraph(ctx context.Context, g *globalOptions, dir string, v tree.View, extra ...graph.Option) (*graph.Graph, error) {
	if v == nil && dir == s.root && s.repo != nil && s.repo.Engine() == gitchanges.EngineGit && s.sparse != nil && !s.sparse.given() {
		return s.readGraphBeforeSparse(ctx, g, dir, extra...)
	}
	opts := slices.Clone(extra)
	if v == nil && dir == s.root {
		v = s.workTreeView(ctx, s.repo != nil && s.repo.Engine() == gitchanges.EngineGit && s.sparse != nil && s.sparse.get())
	}
	if v != nil {
		opts = append(opts, graph.WithView(v))
	}
	if g.Config != "" {
		opts = append(opts, graph.WithConfigFile(s.configFile(g.Config)))
	}
	if g.Strict {
		opts = append(opts, graph.WithStrict(true))
	}
	if _, commit := v.(*tree.Commit); s.repo != nil && dir == s.root && !commit {
		opts = append(opts, graph.WithTracked(s.repo.Tracked)) // a commit's tree is all tracked
	}
	if s.cache != nil {
		opts = append(opts, graph.WithCache(s.cache, nil))
		if s.repo != nil { // Load decides by the view whether closures are kept, and the index's part
			opts = append(opts, graph.WithClosureCache(s.started, gitchanges.IndexFile(s.root, s.repo.GitDir())))
		}
	}
	return graph.Load(ctx, dir, opts...)
}

// readGraphBeforeSparse is readGraph of the work tree while git has not said whether the checkout
// is sparse (its answer takes longer than finding the repository): the load starts on the walk's
// view, the answer for almost every checkout, and starts over on the index's if git says the
// checkout is sparse.
func (s *session) readGraphBeforeSparse(ctx context.Context, g *globalOptions, dir string, extra ...graph.Option) (*graph.Graph, error) {
	type loaded struct {
		g   *graph.Graph
		err error
	}
	walked := make(chan loaded, 1)
	wctx, cancel := context.WithCancel(ctx)
	go func() {
		gr, err := s.readGraph(wctx, g, dir, s.workTreeView(ctx, false), extra...)
		walked <- loaded{gr, err}
	}()
	if !s.sparse.get() {
		// The graph keeps its context (the reads at base it started): released with ctx.
		context.AfterFunc(ctx, cancel)
		r := <-walked
		return r.g, r.err
	}
	cancel()
	<-walked // nothing of it is kept
	return s.readGraph(ctx, g, dir, s.workTreeView(ctx, true), extra...)
}

// configFile is where --config points: a relative path (to the current directory) inside the
// repository is returned repo-relative, so that it is read from the tree the graph is loaded from
// (--head's commit, the index for pre-commit) as monoctx.yaml is; an absolute path, or one outside
// the repository, is a file of the file system and is returned absolute.
func (s *session) configFile(flag string) string {
	if filepath.IsAbs(flag) {
		return filepath.Clean(flag)
	}
	abs := filepath.Join(s.cwd, flag)
	if rel, err := filepath.Rel(s.root, abs); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return filepath.ToSlash(rel)
	}
	return abs
}

// loadApp loads the graph and finds the app named by ref.
func (g *globalOptions) loadApp(ctx context.Context, env *Env, ref string) (*session, *graph.App, error) {
	s, err := g.load(ctx, env)
	if err != nil {
		return nil, nil, err
	}
	a, err := s.app(ref)
	if err != nil {
		return nil, nil, err
	}
	return s, a, nil
}

// repoPath turns a user-given path (relative to the current directory, or repo-relative when it does
// not exist there) into a repo-relative slash path.
func (s *session) repoPath(p string) string {
	if filepath.IsAbs(p) {
		if rel, err := filepath.Rel(s.root, p); err == nil && !strings.HasPrefix(rel, "..") {
			return filepath.ToSlash(rel)
		}
		return filepath.ToSlash(p)
	}
	abs := filepath.Join(s.cwd, p)
	if rel, err := filepath.Rel(s.root, abs); err == nil && !strings.HasPrefix(rel, "..") && s.cwd != s.root {
		if _, err := os.Lstat(abs); err == nil {
			return filepath.ToSlash(rel)
		}
	}
	return strings.TrimPrefix(filepath.ToSlash(filepath.Clean(p)), "./")
}

// app finds an app by name, or by a Dockerfile or directory path relative to the current directory.
func (s *session) app(ref string) (*graph.App, error) {
	if a, err := s.g.App(ref); err == nil {
		return a, nil
	}
	return s.g.App(s.repoPath(ref))
}
