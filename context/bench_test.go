package buildctx_test

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	buildctx "github.com/monoctx/monoctx/context"
)

// benchTree writes a context of many small and some large files and returns it as a Source, plus
// the entry list (in tar order) and the total content bytes.
func benchTree(b *testing.B) (buildctx.Source, []string, int64) {
	b.Helper()
	root := b.TempDir()
	var total int64
	buf := bytes.Repeat([]byte("monoctx benchmark data\n"), 1<<15) // ~750 KB
	for d := 0; d < 40; d++ {
		for f := 0; f < 100; f++ {
			size := (f*7919 + d*104729) % 16384 // 0..16 KiB
			if f%25 == 0 {
				size = 512 << 10
			}
			p := filepath.Join(root, fmt.Sprintf("pkg%02d/sub%d/file%03d.txt", d, f%4, f))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				b.Fatal(err)
			}
			if err := os.WriteFile(p, buf[:size], 0o644); err != nil {
				b.Fatal(err)
			}
			total += int64(size)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "Dockerfile"), []byte("FROM scratch\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	src := buildctx.Source{Root: root, Dir: root, Roots: []string{"."}, Dockerfile: filepath.Join(root, "Dockerfile")}
	entries, err := buildctx.List(context.Background(), src)
	if err != nil {
		b.Fatal(err)
	}
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Path
	}
	return src, names, total
}

// drain returns a pipe writer whose reader is copied to io.Discard, like a builder's stdin.
func drain(b *testing.B) (*os.File, func()) {
	b.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := io.Copy(io.Discard, r)
		done <- err
	}()
	return w, func() {
		if err := w.Close(); err != nil {
			b.Error(err)
		}
		if err := <-done; err != nil {
			b.Error(err)
		}
		if err := r.Close(); err != nil {
			b.Error(err)
		}
	}
}

// BenchmarkWrite measures the writer on ~4,000 files into a pipe. Compare with BenchmarkTarCLI,
// which archives the same entry list with `tar -cf - -T list`.
func BenchmarkWrite(b *testing.B) {
	src, _, total := benchTree(b)
	b.SetBytes(total)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w, done := drain(b)
		if _, err := buildctx.Write(context.Background(), w, src); err != nil {
			b.Fatal(err)
		}
		done()
	}
}

func BenchmarkTarCLI(b *testing.B) {
	tarBin, err := exec.LookPath("tar")
	if err != nil {
		b.Skip("no tar on PATH")
	}
	src, names, total := benchTree(b)
	list := filepath.Join(b.TempDir(), "list")
	if err := os.WriteFile(list, []byte(strings.Join(names, "\x00")+"\x00"), 0o644); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(total)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		cmd := exec.Command(tarBin, "-C", src.Dir, "--no-recursion", "--null", "-cf", "-", "-T", list)
		var stderr bytes.Buffer
		cmd.Stdout = io.Discard // through a pipe: GNU tar skips reading files when writing to /dev/null
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			b.Fatalf("tar: %v\n%s", err, stderr.String())
		}
	}
}

// TestWriteStreamsLargeFileInBoundedMemory writes a 512 MiB sparse file and checks that the heap
// does not grow with it: contents are copied through one fixed buffer.
func TestWriteStreamsLargeFileInBoundedMemory(t *testing.T) {
	root := t.TempDir()
	tree(t, root, map[string]string{"Dockerfile": "FROM scratch\n"})
	const size = 512 << 20
	f, err := os.Create(filepath.Join(root, "big.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	src := buildctx.Source{Root: root, Dir: root, Roots: []string{"."}, Dockerfile: filepath.Join(root, "Dockerfile")}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	stats, err := buildctx.Write(context.Background(), io.Discard, src)
	if err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if stats.Bytes < size {
		t.Fatalf("wrote %d content bytes, want at least %d", stats.Bytes, int64(size))
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8<<20 {
		t.Errorf("allocated %d bytes to stream a %d-byte file; want under 8 MiB", alloc, int64(size))
	}
}

// TestWriteFileOver8GiBUsesPAX stores a sparse file larger than USTAR's 8 GiB limit.
func TestWriteFileOver8GiBUsesPAX(t *testing.T) {
	if os.Getenv("MONOCTX_SLOW_TESTS") == "" {
		t.Skip("reads 8 GiB of a sparse file (about a minute); set MONOCTX_SLOW_TESTS=1")
	}
	root := t.TempDir()
	tree(t, root, map[string]string{"Dockerfile": "FROM scratch\n"})
	const size = 8<<30 + 1
	f, err := os.Create(filepath.Join(root, "huge.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	src := buildctx.Source{Root: root, Dir: root, Roots: []string{"huge.bin"}, Dockerfile: filepath.Join(root, "Dockerfile")}
	pr, pw := io.Pipe()
	errc := make(chan error, 1)
	go func() {
		_, err := buildctx.Write(context.Background(), pw, src)
		pw.CloseWithError(err)
		errc <- err
	}()
	tr := tar.NewReader(pr)
	found := false
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Name == "huge.bin" {
			found = true
			if h.Size != size || h.Format&tar.FormatPAX == 0 {
				t.Errorf("huge.bin: size %d format %v, want %d with PAX", h.Size, h.Format, int64(size))
			}
		}
		n, err := io.Copy(io.Discard, tr)
		if err != nil || n != h.Size {
			t.Fatalf("%s: read %d of %d bytes: %v", h.Name, n, h.Size, err)
		}
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if !found {
		t.Errorf("huge.bin not in the tar")
	}
}
