package cmd

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	buildctx "github.com/monoctx/monoctx/context"
	"github.com/monoctx/monoctx/graph"
	"github.com/monoctx/monoctx/internal/atomicfile"
)

type contextOptions struct {
	Output string
	Gzip   bool
	List   bool
	NUL    bool
	Format string
	Mtime  string
}

func newContextCmd(env *Env, g *globalOptions) *cobra.Command {
	o := &contextOptions{}
	c := &cobra.Command{
		Use:   "context APP",
		Short: "Write APP's minimal build context as a tar (or list it)",
		Long: `Write APP's minimal build context as a tar: exactly the files of its input set that Docker would
send, plus the Dockerfile and the applicable ignore file. Entries are sorted, owned by 0:0 and
byte-identical for the same inputs; only the directories the input set can reach are walked.

A tar on stdin is never filtered by a builder, so this one is filtered already. Feed it to
any builder: docker build -f <dockerfile> -, podman build -, kaniko (--gzip).`,
		Example: `  monoctx context api | docker build -f services/api/Dockerfile -
  monoctx context api --list
  monoctx context web --gzip -o web.tar.gz
  SOURCE_DATE_EPOCH=0 monoctx context api | sha256sum`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if err := checkFormat(o.Format, "text", "json"); err != nil {
				return err
			}
			if err := checkFormat(o.Mtime, "preserve", "zero"); err != nil {
				return usageErrorf("unknown --mtime %q (want preserve or zero)", o.Mtime)
			}
			if o.NUL && (!o.List || o.Format == "json") {
				return usageErrorf("-z applies to --list with --format text")
			}
			s, a, err := g.loadApp(c.Context(), env, args[0])
			if err != nil {
				return err
			}
			return contextRun(c.Context(), env, s, a, o)
		},
	}
	f := c.Flags()
	f.StringVarP(&o.Output, "output", "o", "-", "write the tar to FILE (- for stdout)")
	f.BoolVar(&o.Gzip, "gzip", false, "gzip the tar (kaniko needs it)")
	f.BoolVar(&o.List, "list", false, "list the context's paths instead of writing a tar")
	f.BoolVarP(&o.NUL, "null", "z", false, "with --list: end each path with NUL instead of a newline (names may hold newlines)")
	f.StringVar(&o.Format, "format", "text", "with --list: text (one path per line) or json")
	f.StringVar(&o.Mtime, "mtime", "preserve", "file times: preserve, or zero (also set by SOURCE_DATE_EPOCH)")
	return c
}

// contextSource turns an app's selection into the tar writer's source.
func contextSource(s *session, a *graph.App) (buildctx.Source, error) {
	sel, err := a.Selection(s.root)
	if err != nil {
		return buildctx.Source{}, err
	}
	src := buildctx.Source{
		Root:       s.g.Root,
		Dir:        filepath.Join(s.g.Root, filepath.FromSlash(a.Context)),
		Roots:      sel.Roots,
		Include:    sel.Include,
		Exclude:    sel.Exclude,
		CanDescend: sel.CanDescend,
		Dockerfile: filepath.Join(s.g.Root, filepath.FromSlash(a.Dockerfile)),
	}
	if a.IgnoreFile != "" {
		src.IgnoreFile = filepath.Join(s.g.Root, filepath.FromSlash(a.IgnoreFile))
	}
	if sc := s.scratch(); sc != "" {
		excludeOwn(&src, filepath.Dir(sc))
	}
	return src, nil
}

// excludeOwn keeps monoctx's own files out of a context: its scratch directory (temporary files of
// a concurrent run) and the file `context -o` writes (an earlier run's tar is never an input of the
// context it holds).
func excludeOwn(src *buildctx.Source, paths ...string) {
	var rels []string
	for _, p := range paths {
		if p == "" {
			continue
		}
		abs, err := filepath.Abs(p)
		if err != nil {
			continue
		}
		for _, dir := range []string{src.Dir, evalSymlinks(src.Dir)} {
			if rel, err := filepath.Rel(dir, abs); err == nil && rel != "." && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
				rels = append(rels, filepath.ToSlash(rel))
			}
		}
	}
	if len(rels) == 0 {
		return
	}
	prev := src.Exclude
	src.Exclude = func(rel string, isDir bool) bool {
		for _, r := range rels {
			if rel == r || strings.HasPrefix(rel, r+"/") {
				return true
			}
		}
		return prev != nil && prev(rel, isDir)
	}
}

func evalSymlinks(p string) string {
	if r, err := filepath.EvalSymlinks(p); err == nil {
		return r
	}
	return p
}

func mtimeOption(env *Env, mode string) (buildctx.Option, error) {
	if mode == "zero" {
		t := time.Unix(0, 0)
		return buildctx.WithMtime(&t), nil
	}
	t, err := buildctx.SourceDateEpoch(env.Getenv)
	if err != nil {
		return nil, err
	}
	return buildctx.WithMtime(t), nil
}

func contextRun(ctx context.Context, env *Env, s *session, a *graph.App, o *contextOptions) error {
	src, err := contextSource(s, a)
	if err != nil {
		return err
	}
	if o.List {
		entries, err := buildctx.List(ctx, src)
		if err != nil {
			return err
		}
		if o.Format == "json" {
			if entries == nil {
				entries = []buildctx.Entry{}
			}
			enc := json.NewEncoder(env.Out)
			enc.SetIndent("", "  ")
			return enc.Encode(entries)
		}
		end := "\n"
		if o.NUL {
			end = "\x00"
		}
		w := bufio.NewWriter(env.Out)
		for _, e := range entries {
			w.WriteString(e.Path)
			w.WriteString(end)
		}
		return w.Flush()
	}
	mt, err := mtimeOption(env, o.Mtime)
	if err != nil {
		return err
	}
	opts := []buildctx.Option{mt, buildctx.Progress(env.Err)}
	if o.Gzip {
		opts = append(opts, buildctx.WithGzip())
	}
	if o.Output != "-" {
		excludeOwn(&src, o.Output)
	}
	var stats buildctx.Stats
	if o.Output == "-" {
		if isTerminal(env.Out) {
			return usageErrorf("refusing to write a tar to a terminal: pipe it, or pass -o FILE")
		}
		if stats, err = buildctx.Write(ctx, env.Out, src, opts...); err != nil {
			return err
		}
	} else if stats, err = writeFileAtomic(s.scratch(), o.Output, func(w io.Writer) (buildctx.Stats, error) {
		return buildctx.Write(ctx, w, src, opts...)
	}); err != nil {
		return err
	}
	printWarnings(env, stats.Warnings)
	fmt.Fprintf(env.Err, "monoctx: %s: %s\n", a.Name, summary(ctx, s, a, stats))
	return nil
}

func printWarnings(env *Env, ws []string) {
	for _, w := range ws {
		fmt.Fprintf(env.Err, "monoctx: warning: %s\n", w)
	}
}

// summary reads "12 files, 4.1 kB — 0.2% of the 5.1 GB context (tracked files)".
func summary(ctx context.Context, s *session, a *graph.App, st buildctx.Stats) string {
	out := fmt.Sprintf("%s files, %s", commas(int64(st.Files)), humanBytes(st.Bytes))
	if s.repo == nil {
		return out
	}
	files, size, err := s.repo.TrackedSize(ctx, a.Context)
	if err != nil || size == 0 {
		return out
	}
	if st.Bytes > size {
		// Untracked or git-ignored files (or .git itself) are sent: a share of the tracked
		// files would read over 100 %.
		return fmt.Sprintf("%s — more than the %s of the context's %s tracked files: untracked or git-ignored files (or .git) are sent too; exclude them in the ignore file", out, humanBytes(size), commas(int64(files)))
	}
	return fmt.Sprintf("%s — %s of the %s context (%s tracked files)", out, percent(st.Bytes, size), humanBytes(size), commas(int64(files)))
}

func percent(part, whole int64) string {
	p := 100 * float64(part) / float64(whole)
	if p < 0.1 && part > 0 {
		return "<0.1%"
	}
	return fmt.Sprintf("%.1f%%", p)
}

func humanBytes(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "kMGTPE"[exp])
}

func commas(n int64) string {
	s := fmt.Sprintf("%d", n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// writeFileAtomic writes through a temporary file in the target's directory and renames it into
// place, so a failure leaves nothing half-written. A target that exists and is not a regular file
// (/dev/null, /dev/stdout, a named pipe) is written directly: renaming over it would replace the
// device or pipe with a file.
func writeFileAtomic(scratch, name string, write func(io.Writer) (buildctx.Stats, error)) (buildctx.Stats, error) {
	if st, err := os.Stat(name); err == nil && !st.Mode().IsRegular() {
		f, err := os.OpenFile(name, os.O_WRONLY, 0)
		if err != nil {
			return buildctx.Stats{}, fmt.Errorf("opening %s: %w", name, err)
		}
		stats, err := write(f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return stats, err
	}
	tmp, err := atomicfile.Create(scratch, name)
	if err != nil {
		return buildctx.Stats{}, fmt.Errorf("creating %s: %w", name, err)
	}
	st, err := write(tmp)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), name)
	}
	if err != nil {
		return st, errors.Join(err, os.Remove(tmp.Name()))
	}
	return st, nil
}
