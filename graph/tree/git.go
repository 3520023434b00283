package tree

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
)

// gitEnv is the environment of every git command of this package. GIT_NO_LAZY_FETCH is left as the
// user has it (unset by default): in a partial clone git then fetches a blob monoctx opens, and only
// that one, which is what a partial clone is for; nothing is fetched for a blob nothing opens.
func gitEnv() []string {
	return append(os.Environ(), "GIT_OPTIONAL_LOCKS=0", "LC_ALL=C")
}

// gitOutput runs git in root and returns its standard output.
func gitOutput(ctx context.Context, root string, args ...string) ([]byte, error) {
	bin, err := exec.LookPath("git")
	if err != nil {
		return nil, fmt.Errorf("reading the tree from git needs the git CLI on PATH: %w", err)
	}
	cmd := exec.CommandContext(ctx, bin, append([]string{"-C", root}, args...)...)
	cmd.Env = gitEnv()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("git %s: %v: %s", args[0], err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// MissingBlobError is a file whose blob the clone lacks (an incomplete or partial clone that could
// not fetch it).
type MissingBlobError struct {
	Name string // repo-relative path
	ID   string
}

func (e *MissingBlobError) Error() string {
	return fmt.Sprintf("%s: blob %s is not in this clone (a partial or incomplete clone); fetch it (git fetch), or run with that commit checked out", e.Name, e.ID)
}

// batch is one long-lived `git cat-file --batch-command`, started on first use: each object is
// read when something opens it, never before.
type batch struct {
	ctx  context.Context
	root string

	mu     sync.Mutex
	cmd    *exec.Cmd
	in     io.WriteCloser
	out    *bufio.Reader
	stderr lockedBuffer
	err    error // once the process failed, every later request fails with it
}

func (b *batch) start() error {
	bin, err := exec.LookPath("git")
	if err != nil {
		return fmt.Errorf("reading the tree from git needs the git CLI on PATH: %w", err)
	}
	cmd := exec.CommandContext(b.ctx, bin, "-C", b.root, "cat-file", "--batch-command")
	cmd.Env = gitEnv()
	cmd.Stderr = &b.stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("git cat-file: %w", err)
	}
	b.cmd, b.in, b.out = cmd, in, bufio.NewReaderSize(out, 1<<16)
	return nil
}

// request sends one command and reads the header; missing reports an object git does not have.
func (b *batch) request(verb, id string) (size int64, missing bool, err error) {
	_, size, missing, err = b.requestType(verb, id)
	return size, missing, err
}

// requestType is request, with the object's type.
func (b *batch) requestType(verb, id string) (typ string, size int64, missing bool, err error) {
	if b.err != nil {
		return "", 0, false, b.err
	}
	if b.cmd == nil {
		if b.err = b.start(); b.err != nil {
			return "", 0, false, b.err
		}
	}
	fail := func(err error) (string, int64, bool, error) { return "", 0, false, b.fail(err) }
	if _, err := io.WriteString(b.in, verb+" "+id+"\n"); err != nil {
		return fail(err)
	}
	return b.readHeader(fail)
}

// fail breaks the batch with err, said as the context's end or with what git wrote to stderr: every
// later request fails with it.
func (b *batch) fail(err error) error {
	if b.ctx.Err() != nil {
		err = b.ctx.Err()
	} else if s := strings.TrimSpace(b.stderr.String()); s != "" {
		err = fmt.Errorf("%w: %s", err, s)
	}
	b.err = fmt.Errorf("git cat-file: %w", err)
	return b.err
}

// readHeader reads the answer's header line of one request.
func (b *batch) readHeader(fail func(error) (string, int64, bool, error)) (typ string, size int64, missing bool, err error) {
	header, err := b.out.ReadString('\n')
	if err != nil {
		return fail(err)
	}
	if strings.HasSuffix(header, " missing\n") || strings.HasSuffix(header, " ambiguous\n") {
		return "", 0, true, nil // the name may hold spaces
	}
	f := strings.Fields(header)
	if len(f) != 3 {
		return fail(fmt.Errorf("unexpected %q", strings.TrimSpace(header)))
	}
	n, err := strconv.ParseInt(f[2], 10, 64)
	if err != nil {
		return fail(fmt.Errorf("unexpected %q", strings.TrimSpace(header)))
	}
	return f[1], n, false, nil
}

// contents reads a blob; nil and missing when the clone lacks it.
func (b *batch) contents(id string) ([]byte, bool, error) {
	_, data, missing, err := b.object(id)
	return data, missing, err
}

// object reads an object of any type.
func (b *batch) object(id string) (string, []byte, bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	typ, n, missing, err := b.requestType("contents", id)
	if err != nil || missing {
		return "", nil, missing, err
	}
	data := make([]byte, n+1) // the content and git's newline after it
	if _, err := io.ReadFull(b.out, data); err != nil {
		b.err = fmt.Errorf("git cat-file: reading %s: %w", id, err)
		return "", nil, false, b.err
	}
	return typ, data[:n], false, nil
}

// size reads a blob's size.
func (b *batch) size(id string) (int64, bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.request("info", id)
}

func (b *batch) close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cmd == nil {
		if b.err == nil {
			b.err = errors.New("the view is closed") // a Start after Close starts nothing
		}
		return nil
	}
	cerr := b.in.Close() // git exits at the end of its input
	err := b.cmd.Wait()
	b.cmd = nil
	if b.err == nil {
		b.err = errors.New("the view is closed")
	}
	if err != nil && b.ctx.Err() == nil {
		return fmt.Errorf("git cat-file: %v: %s", err, strings.TrimSpace(b.stderr.String()))
	}
	return cerr
}

// blobs reads and remembers the blobs of one tree: a file opened twice is read once.
type blobs struct {
	b     *batch
	mu    sync.Mutex
	data  map[string][]byte
	sizes map[string]int64
}

func newBlobs(ctx context.Context, root string) *blobs {
	return &blobs{b: &batch{ctx: ctx, root: root}, data: map[string][]byte{}, sizes: map[string]int64{}}
}

func (s *blobs) read(name, id string) ([]byte, error) {
	s.mu.Lock()
	d, ok := s.data[id]
	s.mu.Unlock()
	if ok {
		return d, nil
	}
	d, missing, err := s.b.contents(id)
	if err != nil {
		return nil, err
	}
	if missing {
		return nil, &MissingBlobError{Name: name, ID: id}
	}
	s.mu.Lock()
	s.data[id] = d
	s.mu.Unlock()
	return d, nil
}

func (s *blobs) size(id string) int64 {
	s.mu.Lock()
	d, ok := s.data[id]
	n, sok := s.sizes[id]
	s.mu.Unlock()
	if ok {
		return int64(len(d))
	}
	if sok {
		return n
	}
	n, missing, err := s.b.size(id)
	if err != nil || missing {
		return 0
	}
	s.mu.Lock()
	s.sizes[id] = n
	s.mu.Unlock()
	return n
}

// parseTree reads `git ls-tree -r -z --full-tree` (or `ls-files -s -z`) records:
// "<mode> <type> <id>\t<path>".
func parseTree(out []byte, x *index) error {
	for rec := range records(out) {
		meta, p, ok := strings.Cut(rec, "\t")
		if !ok {
			return fmt.Errorf("git ls-tree: unexpected %q", rec)
		}
		f := strings.Fields(meta)
		if len(f) != 3 {
			return fmt.Errorf("git ls-tree: unexpected %q", rec)
		}
		if e, ok := gitMode(f[0], f[2]); ok {
			x.add(p, e)
		}
	}
	return nil
}

// records yields the records of git's -z output, each ended by a NUL (the last one may lack it).
func records(out []byte) iter.Seq[string] {
	return func(yield func(string) bool) {
		for len(out) > 0 {
			i := bytes.IndexByte(out, 0)
			if i < 0 {
				i = len(out)
			}
			rec := string(out[:i])
			out = out[min(i+1, len(out)):]
			if !yield(rec) {
				return
			}
		}
	}
}

// lockedBuffer is a bytes.Buffer a process writes while a reader may look.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// Rev reads files of one commit by path, without listing its tree, through one `git cat-file`
// process: what a few reads at a base commit need.
type Rev struct {
	rev string
	b   *batch
}

// NewRev reads files of rev (a commit id) in the repository at root. The git process it starts on
// first use ends with ctx or Close.
func NewRev(ctx context.Context, root, rev string) *Rev {
	return &Rev{rev: rev, b: &batch{ctx: ctx, root: root}}
}

// ReadFile returns the content of the repo-relative path p at the commit (a symlink's target for a
// symlink); an error wrapping fs.ErrNotExist when the commit has no such file.
func (r *Rev) ReadFile(ctx context.Context, p string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	n, err := clean("open", p)
	if err != nil || n == "." {
		return nil, &fs.PathError{Op: "open", Path: p, Err: fs.ErrInvalid}
	}
	if strings.ContainsAny(n, "\n") {
		return nil, &fs.PathError{Op: "open", Path: p, Err: fs.ErrInvalid}
	}
	typ, data, missing, err := r.b.object(r.rev + ":" + n)
	if err != nil {
		return nil, err
	}
	if missing {
		return nil, &fs.PathError{Op: "open", Path: p, Err: fs.ErrNotExist}
	}
	if typ != "blob" {
		return nil, &fs.PathError{Op: "read", Path: p, Err: errIsDir}
	}
	return data, nil
}

// Start starts the git process, which the first read would: a caller that knows reads will come
// starts it beside other work. A failure is the first read's error.
func (r *Rev) Start() {
	r.b.mu.Lock()
	defer r.b.mu.Unlock()
	if r.b.cmd == nil && r.b.err == nil {
		r.b.err = r.b.start()
	}
}

// ReadFiles is ReadFile of each path, with every request sent before the first answer is read:
// one round trip to git for all of them (the definition files at a base commit) instead of one
// each. data[i] and errs[i] are ReadFile's answer for paths[i].
func (r *Rev) ReadFiles(ctx context.Context, paths []string) (data [][]byte, errs []error) {
	data, errs = make([][]byte, len(paths)), make([]error, len(paths))
	if err := ctx.Err(); err != nil {
		for i := range errs {
			errs[i] = err
		}
		return data, errs
	}
	names := make([]string, len(paths))
	var reqs strings.Builder
	for i, p := range paths {
		n, err := clean("open", p)
		if err != nil || n == "." || strings.ContainsAny(n, "\n") {
			errs[i] = &fs.PathError{Op: "open", Path: p, Err: fs.ErrInvalid}
			continue
		}
		names[i] = n
		reqs.WriteString("contents " + r.rev + ":" + n + "\n")
	}
	b := r.b
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err == nil && b.cmd == nil {
		b.err = b.start()
	}
	failAll := func(err error) ([][]byte, []error) {
		for i := range errs {
			if errs[i] == nil && data[i] == nil {
				errs[i] = err
			}
		}
		return data, errs
	}
	if b.err != nil {
		return failAll(b.err)
	}
	fail := func(err error) (string, int64, bool, error) { return "", 0, false, b.fail(err) }
	// Written beside the reads: git answers as it reads, and a pipe holds only so much.
	written := make(chan error, 1)
	go func() {
		_, err := io.WriteString(b.in, reqs.String())
		written <- err
	}()
	for i, n := range names {
		if n == "" {
			continue
		}
		typ, size, missing, err := b.readHeader(fail)
		if err != nil {
			break
		}
		switch {
		case missing:
			errs[i] = &fs.PathError{Op: "open", Path: paths[i], Err: fs.ErrNotExist}
			continue
		}
		buf := make([]byte, size+1) // the content and git's newline after it
		if _, err := io.ReadFull(b.out, buf); err != nil {
			fail(fmt.Errorf("reading %s: %w", n, err))
			break
		}
		if typ != "blob" {
			errs[i] = &fs.PathError{Op: "read", Path: paths[i], Err: errIsDir}
			continue
		}
		data[i] = buf[:size]
	}
	if b.err != nil && b.cmd != nil && b.cmd.Process != nil {
		b.cmd.Process.Kill() // unread answers would hold git, and the requests behind them
	}
	if werr := <-written; werr != nil && b.err == nil {
		fail(werr)
	}
	if b.err != nil {
		return failAll(b.err)
	}
	return data, errs
}

// Close ends the git process.
func (r *Rev) Close() error { return r.b.close() }
