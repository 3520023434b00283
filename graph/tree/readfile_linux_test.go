package tree

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// readFile sizes its buffer from an fstat: every size around the old growth step reads whole,
// and a file whose fstat says 0 (procfs) is read to its end all the same.
func TestReadFileSizes(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []int{0, 1, 511, 512, 513, 4096, 100_003} {
		want := bytes.Repeat([]byte("abcdefg"), n/7+1)[:n]
		p := filepath.Join(dir, "f"+strconv.Itoa(n))
		if err := os.WriteFile(p, want, 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := readFile(p)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("readFile of %d bytes: %d bytes, %v", n, len(got), err)
		}
	}
	want, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	got, err := readFile("/proc/self/status")
	if err != nil || len(got) < len(want)/2 || !bytes.HasPrefix(got, []byte("Name:")) {
		t.Errorf("readFile of /proc/self/status: %q, %v", got, err)
	}
}
