package gitchanges

import (
	"os"
	"path/filepath"
	"testing"
)

// A mapped index cut short by another program faults when read past its new end: an error, not a
// crash, and the mapped bytes read as the file while it is whole.
func TestMappedIndexCutShortIsAnError(t *testing.T) {
	r := newRepo(t)
	r.write("a.go", "package a\n")
	r.git("add", "a.go")
	index := filepath.Join(r.dir, ".git", "index")
	data, err := os.ReadFile(index)
	if err != nil {
		t.Fatal(err)
	}
	// A copy of the index, padded to several pages so that the cut leaves whole pages unbacked.
	big := filepath.Join(t.TempDir(), "index")
	if err := os.WriteFile(big, append(make([]byte, 3*os.Getpagesize()), data...), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(big)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	mapped, release, ok := mapFile(f, st.Size())
	if !ok {
		t.Fatal("the file was not mapped")
	}
	defer release()
	whole, err := parseMapped(mapped[3*os.Getpagesize():], parseIndex)
	if err != nil || whole.Len() != 1 {
		t.Fatalf("the mapped index: %v entries, %v", whole.Len(), err)
	}
	if err := os.Truncate(big, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := parseMapped(mapped, func(b []byte) (int, error) { return int(b[len(b)-1]), nil }); err == nil {
		t.Error("reading past the end of a file cut short: no error")
	}
}
