package buildctx

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// copyBufferSize is the size of the one buffer file contents are copied through.
const copyBufferSize = 1 << 20

// Option configures [Write].
type Option func(*options)

type options struct {
	gzip     bool
	mtime    *time.Time
	progress func(files int, bytes int64)
	done     func()
}

// WithGzip compresses the tar with gzip (never zstd: buildx and kaniko cannot read it).
func WithGzip() Option { return func(o *options) { o.gzip = true } }

// WithMtime stores t as the modification time of every entry. Nil, the default, preserves each
// file's mtime truncated to whole seconds; time.Unix(0, 0) is `--mtime=zero`. See
// [SourceDateEpoch] for SOURCE_DATE_EPOCH.
func WithMtime(t *time.Time) Option {
	return func(o *options) {
		if t == nil {
			o.mtime = nil
			return
		}
		u := time.Unix(t.Unix(), 0)
		o.mtime = &u
	}
}

// WithProgress calls fn after every stored entry with the number of entries and content bytes
// written so far. fn runs on the writing goroutine and should be quick.
func WithProgress(fn func(files int, bytes int64)) Option {
	return func(o *options) { o.progress = fn }
}

// Stats describes a written context.
type Stats struct {
	Files int   // non-directory entries
	Dirs  int   // directory entries
	Bytes int64 // content bytes of regular files
	// Written is the number of bytes written to w (after compression).
	Written int64
	// DockerfileInTar is the Dockerfile's path inside the tar: pass it as `-f`.
	DockerfileInTar string
	// Warnings are things the caller should show the user, each "path: message".
	Warnings []string
}

// List walks src the way [Write] does and returns the entries in tar order, without reading
// file contents.
func List(ctx context.Context, src Source) ([]Entry, error) {
	p, err := newPlan(src)
	if err != nil {
		return nil, err
	}
	var out []Entry
	w := &walker{ctx: ctx, p: p, emit: func(it *item) error {
		out = append(out, it.Entry)
		return nil
	}}
	if err := w.run(); err != nil {
		return nil, err
	}
	return out, nil
}

// Write streams the context described by src as a tar into w while walking it, and returns what
// it wrote. The input is checked before the first byte is written; an error later (an unreadable
// file, a cancelled ctx) leaves w holding a tar without its end marker, which must be discarded.
// Write does not close w.
func Write(ctx context.Context, w io.Writer, src Source, opts ...Option) (Stats, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if o.done != nil {
		defer o.done()
	}
	p, err := newPlan(src)
	if err != nil {
		return Stats{}, err
	}
	stats := Stats{DockerfileInTar: p.dockerfileInTar}

	cw := &countingWriter{w: w}
	bw := bufio.NewWriterSize(cw, 64<<10)
	var zw *gzip.Writer
	var out io.Writer = bw
	if o.gzip {
		zw = gzip.NewWriter(bw)
		out = zw
	}
	tw := tar.NewWriter(out)
	tb := &tarBody{
		tw:    tw,
		buf:   make([]byte, copyBufferSize),
		mtime: o.mtime,
		ctx:   ctx,
	}
	wk := &walker{ctx: ctx, p: p, emit: func(it *item) error {
		if err := tb.add(it); err != nil {
			return err
		}
		if it.Type == TypeDir {
			stats.Dirs++
		} else {
			stats.Files++
		}
		stats.Bytes += it.Size
		if o.progress != nil {
			o.progress(stats.Files+stats.Dirs, stats.Bytes)
		}
		return nil
	}}
	err = wk.run()
	stats.Warnings = wk.warnings
	if err != nil {
		stats.Written = cw.n
		return stats, err
	}
	if err := tw.Close(); err != nil {
		return stats, fmt.Errorf("finishing tar: %w", err)
	}
	if zw != nil {
		if err := zw.Close(); err != nil {
			return stats, fmt.Errorf("finishing gzip stream: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return stats, fmt.Errorf("writing context: %w", err)
	}
	stats.Written = cw.n
	return stats, nil
}

// tarBody writes entries into a tar writer, reusing one header and one copy buffer.
type tarBody struct {
	ctx   context.Context
	tw    *tar.Writer
	hdr   tar.Header
	buf   []byte
	mtime *time.Time
}

func (b *tarBody) add(it *item) error {
	h := &b.hdr
	*h = tar.Header{
		Name:     it.Path,
		Mode:     int64(it.Mode.Perm()),
		Size:     it.Size,
		ModTime:  it.ModTime,
		Linkname: it.Linkname,
	}
	if b.mtime != nil {
		h.ModTime = *b.mtime
	}
	if it.Mode&os.ModeSetuid != 0 {
		h.Mode |= 0o4000
	}
	if it.Mode&os.ModeSetgid != 0 {
		h.Mode |= 0o2000
	}
	if it.Mode&os.ModeSticky != 0 {
		h.Mode |= 0o1000
	}
	switch it.Type {
	case TypeDir:
		h.Typeflag = tar.TypeDir
		h.Name += "/"
	case TypeFile:
		h.Typeflag = tar.TypeReg
	case TypeSymlink:
		h.Typeflag = tar.TypeSymlink
	case TypeHardlink:
		h.Typeflag = tar.TypeLink
	}
	if it.Type != TypeFile {
		h.Size = 0
		return b.header(it)
	}
	if it.abs == "" {
		if err := b.header(it); err != nil {
			return err
		}
		if _, err := b.tw.Write(it.data); err != nil {
			return fmt.Errorf("writing %q: %w", it.Path, err)
		}
		return nil
	}
	// Open before writing the header, so an unreadable file fails without a dangling header.
	f, err := openFile(it.abs)
	if err != nil {
		return fmt.Errorf("reading %q: %w", it.Path, err)
	}
	err = b.copyFile(it, f)
	if cerr := f.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("closing %q: %w", it.Path, cerr)
	}
	return err
}

func (b *tarBody) header(it *item) error {
	if err := b.tw.WriteHeader(&b.hdr); err != nil {
		return fmt.Errorf("writing tar header for %q: %w", it.Path, err)
	}
	return nil
}

func (b *tarBody) copyFile(it *item, f io.Reader) error {
	if err := b.header(it); err != nil {
		return err
	}
	remaining := it.Size
	for remaining > 0 {
		if err := b.ctx.Err(); err != nil {
			return err
		}
		chunk := b.buf
		if int64(len(chunk)) > remaining {
			chunk = chunk[:remaining]
		}
		n, err := f.Read(chunk)
		if n > 0 {
			if _, werr := b.tw.Write(chunk[:n]); werr != nil {
				return fmt.Errorf("writing %q: %w", it.Path, werr)
			}
			remaining -= int64(n)
		}
		if errors.Is(err, io.EOF) {
			if remaining > 0 {
				return fmt.Errorf("reading %q: file shrank by %d bytes while it was being archived", it.Path, remaining)
			}
			break
		}
		if err != nil {
			return fmt.Errorf("reading %q: %w", it.Path, err)
		}
	}
	return nil
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
