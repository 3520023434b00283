package builder

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/session"
	"github.com/moby/buildkit/util/progress/progressui"
	"github.com/tonistiigi/fsutil"
	"golang.org/x/sync/errgroup"

	buildctx "github.com/monoctx/monoctx/context"
)

// Request is one app's build.
type Request struct {
	// Context is the app's context selection, as for `monoctx context`: what [buildctx.List]
	// lists is what BuildKit sees, minus a Dockerfile or ignore file the tar writer would make up
	// (the Dockerfile has its own mount here).
	Context buildctx.Source
	// DockerfileIgnore is the absolute path of a <Dockerfile>.dockerignore, "" when there is none;
	// it travels beside the Dockerfile, where BuildKit looks for it.
	DockerfileIgnore string
	// Named are the named build contexts (--build-context NAME=VALUE).
	Named  map[string]Named
	Target string
	Args   map[string]string
	Tags   []string
	// NoCache builds every step afresh.
	NoCache bool
	// Key names this build's copies of its contexts on the daemon, which the next build with the
	// same key syncs against: builds of one app share it, two apps never do (a copy shared by two
	// input sets would be rewritten by each, and every build would resend what differs). ""
	// keys by the context directory alone.
	Key string
}

// Named is a named build context: a directory served to BuildKit (Dir, limited to Roots), or, when
// Dir is empty, a value BuildKit resolves itself ("docker-image://…", a git or HTTP URL).
type Named struct {
	// Dir is the absolute directory of a local named context.
	Dir string
	// Roots are the Dir-relative slash paths the Dockerfile reads from it ("." for all of it);
	// the directory's .dockerignore is served too, so BuildKit applies it as it would.
	Roots []string
	// Value is a non-local named context as written.
	Value string
}

// Result is what one build did.
type Result struct {
	// Transferred is the number of context bytes BuildKit reports having received: the main
	// context plus the local named contexts, not the Dockerfile's mount.
	Transferred int64
	// InputFiles and InputBytes count the non-directory entries and the content bytes of the
	// served context (main and named).
	InputFiles int
	InputBytes int64
	// Response is BuildKit's exporter response (image digest, …).
	Response map[string]string
	// Warnings are the build warnings BuildKit reported (lint checks, …), one line each.
	Warnings []string
}

// Build runs one build with the options. Progress goes to the options' Progress writer.
func (c *Client) Build(ctx context.Context, o *Options, req Request) (Result, error) {
	var res Result
	mounts := map[string]fsutil.FS{}
	attrs := map[string]string{}
	transferNames := map[string]bool{"context": true}

	entries, err := buildctx.List(ctx, req.Context)
	if err != nil {
		return res, err
	}
	dir, err := filepath.EvalSymlinks(req.Context.Dir)
	if err != nil {
		return res, fmt.Errorf("resolving context directory: %w", err)
	}
	paths := make([]string, 0, len(entries))
	for _, e := range entries {
		if e.Type == buildctx.TypeFile {
			// A Dockerfile from outside the context and a .dockerignore made up for it exist
			// only in the tar; here the Dockerfile has its own mount.
			if _, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(e.Path))); err != nil {
				continue
			}
		}
		paths = append(paths, e.Path)
		if e.Type != buildctx.TypeDir {
			res.InputFiles++
			res.InputBytes += e.Size
		}
	}
	if mounts["context"], err = newSelectFS(dir, setKeep(paths)); err != nil {
		return res, err
	}

	df, err := filepath.EvalSymlinks(req.Context.Dockerfile)
	if err != nil {
		return res, fmt.Errorf("reading Dockerfile: %w", err)
	}
	dfName := filepath.Base(df)
	dfKeep := []string{dfName}
	if req.DockerfileIgnore != "" {
		if filepath.Dir(req.DockerfileIgnore) != filepath.Dir(req.Context.Dockerfile) || filepath.Base(req.DockerfileIgnore) != filepath.Base(req.Context.Dockerfile)+".dockerignore" {
			return res, fmt.Errorf("ignore file %s is not the Dockerfile's own (%s.dockerignore beside it)", req.DockerfileIgnore, filepath.Base(req.Context.Dockerfile))
		}
		dfKeep = append(dfKeep, dfName+".dockerignore")
	}
	if mounts["dockerfile"], err = newSelectFS(filepath.Dir(df), setKeep(dfKeep)); err != nil {
		return res, err
	}
	attrs["filename"] = dfName

	for _, name := range slices.Sorted(maps.Keys(req.Named)) {
		n := req.Named[name]
		if n.Dir == "" {
			attrs["context:"+name] = n.Value
			continue
		}
		local := name
		if local == "context" || local == "dockerfile" {
			local = "named-" + name // the two mount names the frontend reads itself
		}
		roots := []string{".dockerignore"}
		for _, r := range n.Roots {
			roots = append(roots, literalPrefix(r))
		}
		if mounts[local], err = newSelectFS(n.Dir, rootsKeep(roots)); err != nil {
			return res, err
		}
		files, bytes, err := countServed(ctx, mounts[local])
		if err != nil {
			return res, fmt.Errorf("reading named context %s: %w", name, err)
		}
		res.InputFiles += files
		res.InputBytes += bytes
		attrs["context:"+name] = "local:" + local
		transferNames[local] = true
	}

	if req.Target != "" {
		attrs["target"] = req.Target
	}
	for k, v := range req.Args {
		attrs["build-arg:"+k] = v
	}
	if req.NoCache {
		attrs["no-cache"] = ""
	}
	if len(o.Platforms) > 0 {
		attrs["platform"] = strings.Join(o.Platforms, ",")
	}
	var entitlements []string
	if o.Network != "" {
		// As docker build --network: the frontend's default for RUN steps.
		attrs["force-network-mode"] = o.Network
		if o.Network == "host" {
			entitlements = append(entitlements, "network.host")
		}
	}
	exports, err := o.exports(req.Tags, c.engine)
	if err != nil {
		return res, err
	}

	attach := []session.Attachable{o.auth()}
	if o.secrets != nil {
		attach = append(attach, o.secrets)
	}
	if o.ssh != nil {
		attach = append(attach, o.ssh)
	}
	key := sha256.Sum256([]byte(dir + "\x00" + req.Key))
	solve := client.SolveOpt{
		SharedKey:     hex.EncodeToString(key[:16]),
		Frontend:      "dockerfile.v0",
		FrontendAttrs: attrs,
		LocalMounts:   mounts,
		Exports:       exports,
		CacheExports:  o.cacheTo,
		CacheImports:  o.cacheFrom,
		Session:       attach,

		AllowedEntitlements: entitlements,
	}

	mode := progressui.DisplayMode(o.Progress)
	out := o.ProgressOut
	if out == nil {
		out, mode = io.Discard, progressui.QuietMode
	}
	display, err := progressui.NewDisplay(out, mode)
	if err != nil {
		return res, fmt.Errorf("starting the progress display: %w", err)
	}
	tr := &transfers{names: transferNames, max: map[string]int64{}}
	statusCh := make(chan *client.SolveStatus)
	displayCh := make(chan *client.SolveStatus)
	var warnings []client.VertexWarning
	eg, ectx := errgroup.WithContext(ctx)
	eg.Go(func() error {
		defer close(displayCh)
		for st := range statusCh {
			tr.record(st)
			displayCh <- st
		}
		return nil
	})
	eg.Go(func() error {
		// The display drains its channel to the end even when the build fails, so that the
		// failing step's log is shown.
		var err error
		warnings, err = display.UpdateFrom(context.WithoutCancel(ctx), displayCh)
		return err
	})
	var resp *client.SolveResponse
	eg.Go(func() error {
		var err error
		resp, err = c.c.Solve(ectx, nil, solve, statusCh)
		return err
	})
	err = eg.Wait()
	res.Transferred = tr.total()
	for _, w := range warnings {
		res.Warnings = append(res.Warnings, warningLine(w))
	}
	if err != nil {
		return res, &BuildError{Err: err}
	}
	if resp != nil {
		res.Response = resp.ExporterResponse
	}
	return res, nil
}

// BuildError is a build that BuildKit ran and that failed (as opposed to one that could not start).
type BuildError struct{ Err error }

func (e *BuildError) Error() string { return e.Err.Error() }
func (e *BuildError) Unwrap() error { return e.Err }

func warningLine(w client.VertexWarning) string {
	return strings.TrimSpace(string(w.Short))
}

// transfers keeps the largest byte count BuildKit reported for every "transferring NAME:" status
// of a context mount. Each local source vertex reports its own; the total is their sum.
type transfers struct {
	mu    sync.Mutex
	names map[string]bool
	max   map[string]int64
}

func (t *transfers) record(st *client.SolveStatus) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, s := range st.Statuses {
		name, ok := strings.CutPrefix(s.ID, "transferring ")
		if !ok {
			continue
		}
		name, ok = strings.CutSuffix(name, ":")
		if !ok || !t.names[name] {
			continue
		}
		key := s.Vertex.String() + " " + s.ID
		if s.Current > t.max[key] {
			t.max[key] = s.Current
		}
	}
}

func (t *transfers) total() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	var n int64
	for _, v := range t.max {
		n += v
	}
	return n
}

// countServed walks a served file system as BuildKit would and counts what it would send.
func countServed(ctx context.Context, fs fsutil.FS) (files int, bytes int64, err error) {
	err = fs.Walk(ctx, "", func(_ string, e os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() {
			return nil
		}
		fi, err := e.Info()
		if err != nil {
			return err
		}
		files++
		if fi.Mode().IsRegular() {
			bytes += fi.Size()
		}
		return nil
	})
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		return 0, 0, ctx.Err()
	}
	return files, bytes, err
}
