package cmd

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	buildctx "github.com/monoctx/monoctx/context"
)

// TestWriteFileAtomicKeepsDevicesAndPipes: `-o /dev/null` or a named pipe is written into, never
// replaced by a renamed temporary file.
func TestWriteFileAtomicKeepsDevicesAndPipes(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "pipe")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	got := make(chan []byte, 1)
	go func() {
		f, err := os.Open(fifo)
		if err != nil {
			got <- nil
			return
		}
		defer f.Close()
		data, _ := io.ReadAll(f)
		got <- data
	}()
	if _, err := writeFileAtomic("", fifo, func(w io.Writer) (buildctx.Stats, error) {
		_, err := w.Write([]byte("tar bytes"))
		return buildctx.Stats{}, err
	}); err != nil {
		t.Fatal(err)
	}
	// Checked first: were the pipe replaced, its reader would wait forever.
	st, err := os.Lstat(fifo)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode()&os.ModeNamedPipe == 0 {
		t.Fatalf("got mode %v after the write, want the named pipe kept", st.Mode())
	}
	if data := <-got; !bytes.Equal(data, []byte("tar bytes")) {
		t.Errorf("got %q through the pipe, want %q", data, "tar bytes")
	}
}

// TestWriteFileAtomicLeavesNothingOnFailure: a regular target is replaced whole or not at all.
func TestWriteFileAtomicLeavesNothingOnFailure(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "ctx.tar")
	if err := os.WriteFile(target, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	if _, err := writeFileAtomic("", target, func(w io.Writer) (buildctx.Stats, error) {
		if _, err := w.Write([]byte("half")); err != nil {
			return buildctx.Stats{}, err
		}
		return buildctx.Stats{}, boom
	}); !errors.Is(err, boom) {
		t.Fatalf("got %v, want %v", err, boom)
	}
	if data, err := os.ReadFile(target); err != nil || string(data) != "old" {
		t.Errorf("got %q (%v), want the old content kept", data, err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("got %d entries in the directory, want only the target (no temporary file left)", len(entries))
	}
}
