package cmd

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/monoctx/monoctx/graph"
	"github.com/monoctx/monoctx/graph/gitchanges"
	"github.com/monoctx/monoctx/graph/tree"
)

type affectedOptions struct {
	Base          string
	Head          string
	Files         string
	NUL           bool
	OnMissingBase string
	Format        string
}

// affectedResult is the stable JSON shape of `monoctx affected --format json`.
type affectedResult struct {
	Base string           `json:"base"`
	Head string           `json:"head"`
	Apps []graph.Affected `json:"apps"`
}

func newAffectedCmd(env *Env, g *globalOptions) *cobra.Command {
	o := &affectedOptions{}
	c := &cobra.Command{
		Use:   "affected",
		Short: "List the apps a change affects, with reasons",
		Long: `List the apps whose input set contains a path changed between --base and --head (or in the
work tree: staged, unstaged and untracked files count when --head is not given), apps whose
definition changed, and apps whose Dockerfile is gone (status "removed").

A base commit that is not in the clone is an error that names the fix; --on-missing-base=all
selects every app instead, with the reason "missing-base".`,
		Example: `  monoctx affected                                   # since the merge-base with origin/main
  monoctx affected --base origin/main --format json
  monoctx affected --base "$BEFORE_SHA" --head HEAD --format github
  monoctx affected --base "$CI_MERGE_REQUEST_DIFF_BASE_SHA" --head HEAD --format gitlab > affected.yml
  git diff --name-only A B | monoctx affected --files -`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if err := checkFormat(o.Format, "text", "json", "github", "gitlab"); err != nil {
				return err
			}
			if err := checkFormat(o.OnMissingBase, "error", "all"); err != nil {
				return usageErrorf("unknown --on-missing-base %q (want error or all)", o.OnMissingBase)
			}
			if o.NUL && o.Files == "" {
				return usageErrorf("-z applies to --files; pass --files FILE or --files -")
			}
			if o.Files != "" && (o.Base != "" || o.Head != "") {
				return usageErrorf("--files replaces git: it cannot be combined with --base or --head")
			}
			return affectedRun(c.Context(), env, g, o)
		},
	}
	f := c.Flags()
	f.StringVar(&o.Base, "base", "", "base ref (default: merge-base of HEAD with origin/HEAD, origin/main, main, origin/master or master)")
	f.StringVar(&o.Head, "head", "", "head ref (default: HEAD plus the work tree's staged, unstaged and untracked files)")
	f.StringVar(&o.Files, "files", "", "read changed paths (one per line, repo-relative; git's \"quoted\" form is unquoted) from FILE, or - for stdin, instead of git")
	f.BoolVarP(&o.NUL, "null", "z", false, "--files input is NUL-separated (git diff -z --name-only)")
	f.StringVar(&o.OnMissingBase, "on-missing-base", "error", "when the base commit is not in the clone: error, or all (select every app)")
	f.StringVar(&o.Format, "format", "text", "output format: text (app names), json, github (an Actions matrix) or gitlab (a child pipeline)")
	return c
}

func affectedRun(ctx context.Context, env *Env, g *globalOptions, o *affectedOptions) error {
	s, err := g.open(ctx, env)
	if err != nil {
		return err
	}
	// Only JSON prints every reason; the other formats name the apps.
	res, err := computeAffected(ctx, env, g, s, o.Base, o.Head, o.Files, o.NUL, o.OnMissingBase, o.Format == "json")
	if err != nil {
		return err
	}
	return writeAffected(env, o.Format, res)
}

// computeAffected resolves the range, reads the changes and loads the graph at head. Without
// reasons, each app has its first reason only (graph.AffectedApps).
func computeAffected(ctx context.Context, env *Env, g *globalOptions, s *session, base, head, files string, nul bool, onMissing string, reasons bool) (*affectedResult, error) {
	res := &affectedResult{}
	var changes []graph.Change
	var reader graph.BaseReader
	var view tree.View // nil: the work tree
	waitDiff := func() error { return nil }
	switch {
	case files != "":
		paths, err := readFileList(env, files, nul)
		if err != nil {
			return nil, err
		}
		for _, p := range paths {
			changes = append(changes, graph.Change{Path: s.repoPath(p)})
		}
	default:
		if s.repo == nil {
			return nil, errors.New("not in a git work tree: pass --files to name the changed paths")
		}
		headSHA := ""
		// With the git CLI, --head HEAD (the work tree's commit) is resolved beside the graph's
		// load, as the range is: resolving it first held the load back by a git start.
		lateHead := head == "HEAD" && s.repo.Engine() == gitchanges.EngineGit
		if head != "" && !lateHead {
			// One rev-parse for the head, the base and HEAD (is the head checked out?).
			if base != "" {
				s.repo.Prime(ctx, head, base, "HEAD")
			} else {
				s.repo.Prime(ctx, head, "HEAD")
			}
			sha, err := s.repo.Resolve(ctx, head)
			if err != nil {
				return nil, fmt.Errorf("--head: %w", err)
			}
			headSHA = sha
		}
		var closeView func() error
		defer func() {
			if closeView != nil {
				closeView()
			}
		}()
		openView := func() (tree.View, error) {
			if head == "" || head == "HEAD" {
				return nil, nil // the work tree (--head HEAD: its commit), without asking git again
			}
			if cur, err := s.repo.Resolve(ctx, "HEAD"); err == nil && cur == headSHA {
				return nil, nil
			}
			// The commit is read from git objects, lazily: a blob the clone lacks matters only to an
			// app that reads it.
			c, err := tree.NewCommit(ctx, s.root, headSHA, tree.WithWorkTreeIndex(gitchanges.IndexReader(s.repo.GitDir())),
				tree.WithIndexListing(gitchanges.IndexRecordsReader(s.repo.GitDir())))
			if err != nil {
				return nil, fmt.Errorf("reading the tree of --head %s: %w", head, err)
			}
			closeView = c.Close
			return c, nil
		}
		if s.repo.Engine() == gitchanges.EngineGit {
			return affectedBesideGit(ctx, env, g, s, base, head, headSHA, lateHead, openView, onMissing, reasons)
		}
		var err error
		if view, err = openView(); err != nil {
			return nil, err
		}
		baseSHA, err := resolveBase(ctx, s.repo, base, headSHA, headRefOr(head))
		var mb *gitchanges.MissingBaseError
		if errors.As(err, &mb) && onMissing == "all" {
			if err := s.loadGraphView(ctx, env, g, s.root, view); err != nil {
				return nil, err
			}
			res.Base, res.Head = mb.Ref, headOrWorktree(headSHA)
			res.Apps = s.g.All(graph.RuleMissingBase)
			fmt.Fprintf(env.Err, "monoctx: warning: %v\n", err)
			return res, nil
		}
		if err != nil {
			return nil, err
		}
		// go-git: the range, then the graph (with the git CLI, affectedBesideGit does both at once).
		type diff struct {
			cs  []gitchanges.Change
			err error
		}
		diffed := make(chan diff, 1)
		run := func() {
			cs, err := s.repo.Changes(ctx, baseSHA, headSHA)
			diffed <- diff{cs, err}
		}
		run() // go-git's repository is not shared between goroutines
		var once sync.Once
		var diffErr error
		waitDiff = func() error {
			once.Do(func() {
				d := <-diffed
				if diffErr = d.err; diffErr == nil {
					for _, c := range d.cs {
						changes = append(changes, graph.Change{Path: c.Path, Status: string(c.Status)})
					}
				}
			})
			return diffErr
		}
		reader = revReader{repo: s.repo, rev: baseSHA}
		res.Base, res.Head = baseSHA, headOrWorktree(headSHA)
	}
	loadErr := s.loadGraphView(ctx, env, g, s.root, view)
	if err := waitDiff(); err != nil {
		return nil, err // what git says of the range comes first, as when it ran first
	}
	if loadErr != nil {
		return nil, loadErr
	}
	apps, err := affectedOf(ctx, s.g, changes, reader, reasons)
	s.flushCache(env) // the definitions at base, read after the load's flush
	if err != nil {
		return nil, err
	}
	res.Apps = apps
	return res, nil
}

// affectedBesideGit is computeAffected's range with the git CLI: the graph at head does not depend
// on the base, so it loads (walking the tree) while git resolves the base and its merge base and
// lists the changes; the definitions at base are read while the apps are analysed. What is said
// comes out as in the sequential order: an error in resolving the range alone, a failed diff after
// the graph's warnings. With lateHead, headSHA is resolved here, from HEAD, as the first step of the
// range.
func affectedBesideGit(ctx context.Context, env *Env, g *globalOptions, s *session, base, headArg, headSHA string, lateHead bool, openView func() (tree.View, error), onMissing string, reasons bool) (*affectedResult, error) {
	type gitRange struct {
		headSHA string
		baseSHA string
		changes []graph.Change
		err     error
		headErr bool // err is --head's: said before anything else
		diffErr bool // err is git diff's: the range itself resolved
	}
	ranged := make(chan gitRange, 1)
	rev := &laterRev{ready: make(chan struct{})}
	go func() {
		headSHA := headSHA
		if lateHead {
			if base != "" {
				s.repo.Prime(ctx, "HEAD", base) // one rev-parse for both
			}
			sha, err := s.repo.Resolve(ctx, "HEAD")
			if err != nil {
				err = fmt.Errorf("--head: %w", err)
				rev.set(nil, err)
				ranged <- gitRange{err: err, headErr: true}
				return
			}
			headSHA = sha
		}
		headRef := headRefOr(headArg)
		baseSHA, err := resolveBase(ctx, s.repo, base, headSHA, headRef)
		if err != nil {
			rev.set(nil, err)
			ranged <- gitRange{headSHA: headSHA, err: err}
			return
		}
		base := tree.NewRev(ctx, s.root, baseSHA) // one git process for every read at base
		go base.Start()                           // while git lists the changes
		rev.set(base, nil)
		cs, err := s.repo.Changes(ctx, baseSHA, headSHA)
		r := gitRange{headSHA: headSHA, baseSHA: baseSHA, err: err, diffErr: err != nil}
		for _, c := range cs {
			r.changes = append(r.changes, graph.Change{Path: c.Path, Status: string(c.Status)})
		}
		ranged <- r
	}()
	waitRange := sync.OnceValue(func() gitRange { return <-ranged })
	defer rev.close()
	defer waitRange()       // never leave git running past the command
	view, err := openView() // --head's commit is listed while git resolves the range
	if err != nil {
		return nil, err
	}

	// Cancelled only when the graph is not needed: a view may keep using its context (a sparse
	// work tree's blob reader) for as long as the graph is used.
	lctx, cancel := context.WithCancel(ctx)
	keep := false
	defer func() {
		if !keep {
			cancel()
		}
	}()
	finish := s.startGraphView(lctx, g, s.root, view, graph.WithBase(rev, func() ([]graph.Change, error) {
		r := waitRange()
		return r.changes, r.err
	}))
	r := waitRange()
	var mb *gitchanges.MissingBaseError
	switch {
	case r.headErr:
		cancel()
		_ = finish(nil)
		return nil, r.err
	case r.err != nil && !r.diffErr && errors.As(r.err, &mb) && onMissing == "all":
		keep = true
		if err := finish(env); err != nil {
			return nil, err
		}
		fmt.Fprintf(env.Err, "monoctx: warning: %v\n", r.err)
		return &affectedResult{Base: mb.Ref, Head: headOrWorktree(r.headSHA), Apps: s.g.All(graph.RuleMissingBase)}, nil
	case r.err != nil && !r.diffErr:
		cancel()
		_ = finish(nil)
		return nil, r.err
	}
	keep = true
	loadErr := finish(env)
	if r.err != nil {
		return nil, r.err // what git says of the range comes first, as when it ran first
	}
	if loadErr != nil {
		return nil, loadErr
	}
	apps, err := affectedOf(ctx, s.g, r.changes, rev, reasons)
	s.flushCache(env) // the definitions at base, read after the load's flush
	if err != nil {
		return nil, err
	}
	return &affectedResult{Base: r.baseSHA, Head: headOrWorktree(r.headSHA), Apps: apps}, nil
}

// affectedOf is g.Affected, or g.AffectedApps without reasons.
func affectedOf(ctx context.Context, g *graph.Graph, changes []graph.Change, base graph.BaseReader, reasons bool) ([]graph.Affected, error) {
	if reasons {
		return g.Affected(ctx, changes, base)
	}
	return g.AffectedApps(ctx, changes, base)
}

// laterRev is the base's reader before the base is known: its reads wait until it is.
type laterRev struct {
	ready chan struct{}
	rev   *tree.Rev
	err   error
}

func (l *laterRev) set(rev *tree.Rev, err error) {
	l.rev, l.err = rev, err
	close(l.ready)
}

func (l *laterRev) ReadFile(ctx context.Context, p string) ([]byte, error) {
	select {
	case <-l.ready:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if l.err != nil {
		return nil, l.err
	}
	return l.rev.ReadFile(ctx, p)
}

// ReadFiles is tree.Rev's, once the base is known.
func (l *laterRev) ReadFiles(ctx context.Context, paths []string) ([][]byte, []error) {
	select {
	case <-l.ready:
	case <-ctx.Done():
		return make([][]byte, len(paths)), fill(len(paths), ctx.Err())
	}
	if l.err != nil {
		return make([][]byte, len(paths)), fill(len(paths), l.err)
	}
	return l.rev.ReadFiles(ctx, paths)
}

func fill(n int, err error) []error {
	errs := make([]error, n)
	for i := range errs {
		errs[i] = err
	}
	return errs
}

// close closes the reader once the base is known (or not).
func (l *laterRev) close() {
	<-l.ready
	if l.rev != nil {
		l.rev.Close()
	}
}

func headOrWorktree(sha string) string {
	if sha == "" {
		return "WORKTREE"
	}
	return sha
}

// resolveBase is the merge-base of the base ref (default: the default branch) with head.
//
// headRef is the head as the user named it ("HEAD" for the work tree): a base written as its
// ancestor (HEAD~3 of HEAD, <sha>^2 of <sha>) is its own merge base, and git is not asked.
func resolveBase(ctx context.Context, repo *gitchanges.Repo, base, headSHA, headRef string) (string, error) {
	h := headSHA
	if h == "" {
		var err error
		if h, err = repo.Resolve(ctx, "HEAD"); err != nil {
			return "", fmt.Errorf("resolving HEAD: %w", err)
		}
	}
	if base == "" {
		_, sha, err := repo.DefaultBase(ctx)
		if err != nil {
			return "", err
		}
		if headSHA == "" {
			return sha, nil
		}
		base = sha
	}
	b, err := repo.Resolve(ctx, base)
	if err != nil {
		return "", err
	}
	if m := ancestorRE.FindStringSubmatch(base); m != nil && (m[1] == headRef || m[1] == h) {
		return b, nil // an ancestor of the head is the merge base of the two
	}
	return repo.MergeBase(ctx, b, h)
}

// headRefOr is the head's name for resolveBase: the --head argument, "HEAD" without one.
func headRefOr(head string) string {
	if head == "" {
		return "HEAD"
	}
	return head
}

// ancestorRE splits a ref that names an ancestor of another by its syntax alone: the other ref,
// then parent and first-parent steps (HEAD~3, HEAD^, <sha>^2~1); not the reflog or a peel.
var ancestorRE = regexp.MustCompile(`^([^~^@{}:]+)([~^][0-9]*)*$`)

type revReader struct {
	repo *gitchanges.Repo
	rev  string
}

func (r revReader) ReadFile(ctx context.Context, p string) ([]byte, error) {
	return r.repo.ReadFile(ctx, r.rev, p)
}

// readFileList reads --files: one repo-relative path per line, or NUL-separated with -z. A line in
// double quotes is a path git quoted (core.quotePath, a name with a tab, a quote or non-ASCII bytes:
// "lib/\303\274ber.txt") and is unquoted as git writes it. An absolute path, or one that leaves the
// repository, is a usage error naming its line.
func readFileList(env *Env, name string, nul bool) ([]string, error) {
	var r io.Reader
	if name == "-" {
		r = env.In
	} else {
		f, err := os.Open(name)
		if err != nil {
			return nil, fmt.Errorf("reading --files: %w", err)
		}
		defer f.Close()
		r = f
	}
	src := name
	if src == "-" {
		src = "stdin"
	}
	var out []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	if nul {
		sc.Split(scanNUL)
	}
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if !nul {
			line = strings.TrimRight(line, "\r")
			if strings.TrimSpace(line) == "" {
				continue
			}
			if len(line) >= 2 && line[0] == '"' && line[len(line)-1] == '"' {
				uq, err := unquoteGitPath(line)
				if err != nil {
					return nil, usageErrorf("--files %s:%d: %s is not a path quoted as git quotes it: %v; pass the names NUL-separated with -z (git diff -z --name-only)", src, n, line, err)
				}
				line = uq
			}
		} else if line == "" {
			continue
		}
		if err := checkListedPath(line); err != nil {
			return nil, usageErrorf("--files %s:%d: %q %v; list paths relative to the repository root, as git diff --name-only prints them", src, n, line, err)
		}
		out = append(out, line)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading --files: %w", err)
	}
	return out, nil
}

// unquoteGitPath undoes git's C-style quoting of a path: \a \b \t \n \v \f \r \" \\ and
// three-digit octal escapes for other bytes, which are the raw bytes of the name.
func unquoteGitPath(q string) (string, error) {
	var b strings.Builder
	s := q[1 : len(q)-1]
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '"' {
			return "", errors.New("an unescaped quote inside")
		}
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		if i++; i == len(s) {
			return "", errors.New("a backslash at the end")
		}
		switch c := s[i]; c {
		case 'a':
			b.WriteByte('\a')
		case 'b':
			b.WriteByte('\b')
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'v':
			b.WriteByte('\v')
		case 'f':
			b.WriteByte('\f')
		case 'r':
			b.WriteByte('\r')
		case '"', '\\':
			b.WriteByte(c)
		case '0', '1', '2', '3':
			if i+2 >= len(s) || !isOctal(s[i+1]) || !isOctal(s[i+2]) {
				return "", fmt.Errorf("a short octal escape at byte %d", i)
			}
			b.WriteByte((c-'0')<<6 | (s[i+1]-'0')<<3 | (s[i+2] - '0'))
			i += 2
		default:
			return "", fmt.Errorf("an unknown escape \\%c", c)
		}
	}
	return b.String(), nil
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }

// checkListedPath refuses a listed path that is absolute or leaves the repository.
func checkListedPath(p string) error {
	if filepath.IsAbs(p) || strings.HasPrefix(p, "/") {
		return errors.New("is absolute")
	}
	if c := path.Clean(filepath.ToSlash(p)); c == ".." || strings.HasPrefix(c, "../") {
		return errors.New("leaves the repository")
	}
	return nil
}

// scanNUL splits NUL-terminated records; a last record without a NUL counts.
func scanNUL(data []byte, atEOF bool) (int, []byte, error) {
	if i := bytes.IndexByte(data, 0); i >= 0 {
		return i + 1, data[:i], nil
	}
	if atEOF && len(data) > 0 {
		return len(data), data, nil
	}
	return 0, nil, nil
}

type matrixEntry struct {
	App        string `json:"app"`
	Dockerfile string `json:"dockerfile"`
	Context    string `json:"context"`
}

func writeAffected(env *Env, format string, res *affectedResult) error {
	if res.Apps == nil {
		res.Apps = []graph.Affected{}
	}
	switch format {
	case "json":
		enc := json.NewEncoder(env.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	case "github":
		m := struct {
			Include []matrixEntry `json:"include"`
		}{Include: []matrixEntry{}}
		for _, a := range res.Apps {
			if a.Status == "affected" {
				m.Include = append(m.Include, matrixEntry{App: a.Name, Dockerfile: a.Dockerfile, Context: a.Context})
			}
		}
		data, err := json.Marshal(m)
		if err != nil {
			return err
		}
		if _, err := fmt.Fprintf(env.Out, "%s\n", data); err != nil {
			return err
		}
		if out := env.Getenv("GITHUB_OUTPUT"); out != "" {
			f, err := os.OpenFile(out, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
			if err != nil {
				return fmt.Errorf("writing $GITHUB_OUTPUT: %w", err)
			}
			names := []string{}
			for _, e := range m.Include {
				names = append(names, e.App)
			}
			apps, err := json.Marshal(names)
			if err != nil {
				return err
			}
			_, werr := fmt.Fprintf(f, "matrix=%s\nany=%t\napps=%s\n", data, len(m.Include) > 0, apps)
			if cerr := f.Close(); werr == nil {
				werr = cerr
			}
			if werr != nil {
				return fmt.Errorf("writing $GITHUB_OUTPUT: %w", werr)
			}
		}
		return nil
	case "gitlab":
		return writeGitLab(env.Out, env.Err, res)
	}
	for _, a := range res.Apps {
		if a.Status == "removed" {
			reportRemoved(env.Err, a)
			continue
		}
		fmt.Fprintln(env.Out, a.Name)
	}
	return nil
}

func reportRemoved(w io.Writer, a graph.Affected) {
	fmt.Fprintf(w, "monoctx: removed: %s (%s)\n", a.Name, a.Reasons[0].Rule)
}
