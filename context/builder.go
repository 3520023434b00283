package buildctx

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"syscall"
)

// BuildOptions are the arguments of one build.
type BuildOptions struct {
	// Dockerfile is the Dockerfile's path inside the tar ([Stats].DockerfileInTar).
	Dockerfile string
	Tags       []string
	Target     string
	// Args are build arguments; they are passed sorted by name.
	Args map[string]string
	// Contexts are named build contexts (--build-context NAME=VALUE), passed sorted by name.
	Contexts map[string]string
	// Extra are further flags for the build command, passed before the context argument.
	Extra []string
	// Env is added to the builder's environment (after the process's own).
	Env []string
	// Stdout and Stderr receive the builder's output; nil discards it.
	Stdout, Stderr io.Writer
}

// Builder runs a build that reads its context as a tar from stdin.
type Builder interface {
	Name() string
	// Build starts the builder and calls write with its stdin while it runs. If write fails
	// the builder is killed, so a truncated context never produces an image. A builder that
	// fails returns an *ExitError.
	Build(ctx context.Context, opts BuildOptions, write func(io.Writer) error) error
}

// ExitError reports a builder that exited with a non-zero status.
type ExitError struct {
	Builder string
	Code    int
	// Stderr holds the last lines the builder wrote to stderr.
	Stderr string
}

func (e *ExitError) Error() string {
	msg := fmt.Sprintf("%s exited with status %d", e.Builder, e.Code)
	if s := strings.TrimSpace(e.Stderr); s != "" {
		msg += ": " + lastLine(s)
	}
	return msg
}

func lastLine(s string) string {
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// Docker returns a builder that runs `bin build -f X -`, with DOCKER_BUILDKIT=1 or 0 set on the
// child. With buildkit the CLI must be able to use BuildKit (buildx, or the 20.10 built-in
// client); note that BuildKit does not apply the tar's .dockerignore at all, so a Dockerfile from
// outside the context (`.dockerfile.<hex>`) and `.dockerignore` are visible to `COPY . .`.
func Docker(bin string, buildkit bool) Builder {
	if bin == "" {
		bin = "docker"
	}
	v := "0"
	if buildkit {
		v = "1"
	}
	return &cliBuilder{name: "docker build", bin: bin, env: []string{"DOCKER_BUILDKIT=" + v}}
}

// Podman returns a builder that runs `bin [extraGlobalArgs...] build -f X -`, for example with
// --storage-driver=vfs. podman reads the whole stdin into memory before it builds.
func Podman(bin string, extraGlobalArgs ...string) Builder {
	if bin == "" {
		bin = "podman"
	}
	return &cliBuilder{name: "podman build", bin: bin, global: append([]string(nil), extraGlobalArgs...)}
}

type cliBuilder struct {
	name   string
	bin    string
	global []string
	env    []string
}

func (b *cliBuilder) Name() string { return b.name }

func (b *cliBuilder) args(opts BuildOptions) []string {
	args := append(append([]string(nil), b.global...), "build")
	if opts.Dockerfile != "" {
		args = append(args, "-f", opts.Dockerfile)
	}
	for _, t := range opts.Tags {
		args = append(args, "-t", t)
	}
	if opts.Target != "" {
		args = append(args, "--target", opts.Target)
	}
	keys := make([]string, 0, len(opts.Args))
	for k := range opts.Args {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		args = append(args, "--build-arg", k+"="+opts.Args[k])
	}
	keys = keys[:0]
	for k := range opts.Contexts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		args = append(args, "--build-context", k+"="+opts.Contexts[k])
	}
	args = append(args, opts.Extra...)
	return append(args, "-")
}

func (b *cliBuilder) Build(ctx context.Context, opts BuildOptions, write func(io.Writer) error) error {
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cmd := exec.CommandContext(cctx, b.bin, b.args(opts)...)
	cmd.Env = append(append(os.Environ(), b.env...), opts.Env...)
	stdout, stderr := opts.Stdout, opts.Stderr
	if stdout != nil && stdout == stderr {
		// exec copies each stream on its own goroutine once stderr is wrapped below.
		lw := &lockedWriter{w: stdout}
		stdout, stderr = lw, lw
	}
	cmd.Stdout = stdout
	if cmd.Stdout == nil {
		cmd.Stdout = io.Discard
	}
	tail := &tailBuffer{max: 4 << 10}
	if stderr != nil {
		cmd.Stderr = io.MultiWriter(stderr, tail)
	} else {
		cmd.Stderr = tail
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return fmt.Errorf("starting %s: %w", b.name, err)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", b.name, err)
	}

	werr := write(stdin)
	if werr != nil && !isBrokenPipe(werr) {
		// Kill first: closing stdin on a tar without its end marker could look like a
		// complete, shorter context to the builder.
		cancel()
		if cerr := stdin.Close(); cerr != nil && !errors.Is(cerr, os.ErrClosed) {
			werr = errors.Join(werr, fmt.Errorf("closing %s stdin: %w", b.name, cerr))
		}
		if err := cmd.Wait(); err != nil && ctx.Err() == nil {
			var ee *exec.ExitError
			if !errors.As(err, &ee) {
				werr = errors.Join(werr, fmt.Errorf("waiting for %s: %w", b.name, err))
			}
		}
		return fmt.Errorf("streaming the context to %s: %w", b.name, werr)
	}
	cerr := stdin.Close()
	if cerr != nil && errors.Is(cerr, os.ErrClosed) {
		cerr = nil
	}
	if err := cmd.Wait(); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("running %s: %w", b.name, ctx.Err())
		}
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return &ExitError{Builder: b.name, Code: ee.ExitCode(), Stderr: tail.String()}
		}
		return fmt.Errorf("running %s: %w", b.name, err)
	}
	if werr != nil {
		// The builder closed its stdin early and still succeeded: it did not read everything.
		return fmt.Errorf("streaming the context to %s: %w", b.name, werr)
	}
	if cerr != nil {
		return fmt.Errorf("closing %s stdin: %w", b.name, cerr)
	}
	return nil
}

func isBrokenPipe(err error) bool {
	return errors.Is(err, syscall.EPIPE) || errors.Is(err, os.ErrClosed)
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = append(t.b[:0], t.b[len(t.b)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}

// lockedWriter serializes writes from the stdout and stderr copying goroutines.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
