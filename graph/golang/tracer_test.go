//go:build linux

package golang

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/monoctx/monoctx/graph/cache"
)

// A Tracer's trace holds while what it recorded reads the same, survives its encoding, and stops
// holding when a file read changes, a path found missing appears, or a directory listed gains an
// entry; a path changed just before the run began is not vouched for.
func TestTracerVouchesForWhatWasRead(t *testing.T) {
	root := t.TempDir()
	write := func(p, s string, age time.Duration) {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		past := time.Now().Add(-age)
		if err := os.Chtimes(full, past, past); err != nil {
			t.Fatal(err)
		}
	}
	write("Makefile", "all:\n", time.Hour)
	write("sub/x.sh", "echo\n", time.Hour)
	// ctime is the kernel's now: the run begins a few seconds later.
	since := time.Now().Add(3 * time.Second)
	record := func() *Tracer {
		tr := NewTracer()
		_, err := os.ReadFile(filepath.Join(root, "Makefile"))
		tr.Read(filepath.Join(root, "Makefile"), err)
		_, err = os.ReadFile(filepath.Join(root, "compose.yaml"))
		tr.Read(filepath.Join(root, "compose.yaml"), err)
		_, err = os.ReadDir(filepath.Join(root, "sub"))
		tr.List(filepath.Join(root, "sub"), err)
		fi, err := os.Stat(filepath.Join(root, "sub"))
		tr.Stat(filepath.Join(root, "sub"), fi, err)
		return tr
	}
	trace, ok := record().Trace(root, since, "")
	if !ok || !trace.Holds(root) {
		t.Fatalf("a fresh trace: ok %v, holds %v", ok, trace.Holds(root))
	}
	var e cache.Encoder
	trace.Encode(&e)
	d := cache.NewDecoder(e.Bytes())
	decoded := DecodeTrace(d)
	if d.Err() != nil || len(decoded.entries) != len(trace.entries) || !decoded.Holds(root) {
		t.Fatalf("decoded: %v, %d entries of %d", d.Err(), len(decoded.entries), len(trace.entries))
	}
	if d := cache.NewDecoder(e.Bytes()[:len(e.Bytes())-1]); DecodeTrace(d).entries != nil && d.Err() == nil {
		t.Error("a cut trace decoded")
	}

	write("Makefile", "all:\n\ttrue\n", 2*time.Hour)
	if trace.Holds(root) {
		t.Error("holds after the file read changed")
	}
	trace, _ = record().Trace(root, since, "")
	write("compose.yaml", "services: {}\n", time.Hour)
	if trace.Holds(root) {
		t.Error("holds after a path found missing appeared")
	}
	trace, _ = record().Trace(root, since, "")
	write("sub/y.sh", "echo\n", time.Hour)
	if trace.Holds(root) {
		t.Error("holds after the directory listed gained an entry")
	}
	if _, ok := record().Trace(root, time.Now().Add(-time.Minute), ""); ok {
		t.Error("vouched for paths changed after the run began")
	}
	tr := NewTracer()
	tr.Read(filepath.Join(root, "Makefile"), os.ErrPermission)
	if _, ok := tr.Trace(root, since, ""); ok {
		t.Error("vouched for a read that failed")
	}
}
