package tree

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// walkDirList is the listing as filepath.WalkDir and sort.Strings make it: the truth a Dir's
// listing must equal.
func walkDirList(t *testing.T, root string, skip func(string) bool) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel == ".git" || rel != "." && skip != nil && skip(rel) {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() || d.Type()&fs.ModeSymlink != 0 {
			out = append(out, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// The walk sorts each directory on its own; the listing must still be sorted as whole paths sort,
// where "/" falls between "-" and "0": a-b < a/x < a0. Symlinks are listed (dangling or not, to a
// directory or not) and not followed; .git, skipped directories and what is no file (a named pipe,
// where the OS has them) are not.
func TestDirListIsSortedAsWholePaths(t *testing.T) {
	dir := t.TempDir()
	write(t, dir,
		"a-b", "", "a/x", "", "a/y/z", "", "a0", "", "a.c/d", "", "A", "", "a!", "",
		"ab/c", "", "a b/c", "", "\u00e9t\u00e9/f", "", "z~", "", "zz/.hidden", "",
		".git/HEAD", "", "skip/me", "", "deep/skip/me", "", "deep/keep", "",
		"big/"+strings.Repeat("n", 200), "",
	)
	for i := range 3000 { // more entries than one getdents buffer holds
		write(t, dir, "many/"+strings.Repeat("f", i%7)+itoa(i), "")
	}
	symlink(t, "a", filepath.Join(dir, "a-link"))
	symlink(t, "nowhere", filepath.Join(dir, "dangling"))
	if err := os.MkdirAll(filepath.Join(dir, "empty", "dirs"), 0o755); err != nil {
		t.Fatal(err)
	}
	pipe := mkfifo(t, filepath.Join(dir, "a", "fifo"))
	skip := func(d string) bool { return d == "skip" || strings.HasSuffix(d, "/skip") }
	got, err := NewDir(dir).List(context.Background(), skip)
	if err != nil {
		t.Fatal(err)
	}
	want := walkDirList(t, dir, skip)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("List:\n got %q\nwant %q", got[:min(len(got), 40)], want[:min(len(want), 40)])
	}
	for _, p := range []string{"a-link", "dangling", "a-b", "a/x"} {
		if !contains(got, p) {
			t.Errorf("List lacks %s", p)
		}
	}
	for _, p := range []string{".git/HEAD", "skip/me", "deep/skip/me", "a/fifo"} {
		if contains(got, p) && (p != "a/fifo" || pipe) {
			t.Errorf("List holds %s", p)
		}
	}
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}

func contains(list []string, p string) bool {
	i := sort.SearchStrings(list, p)
	return i < len(list) && list[i] == p
}

// A missing root is an error, not an empty listing.
func TestDirListOfAMissingRootFails(t *testing.T) {
	if _, err := NewDir(filepath.Join(t.TempDir(), "nope")).List(context.Background(), nil); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("List of a missing root: %v, want fs.ErrNotExist", err)
	}
}

// ReadFile reads what os.ReadFile reads, whatever the size, and fails as it does.
func TestDirReadFileIsOSReadFile(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []int{0, 1, 511, 512, 513, 4096, 100_000} {
		name := "f" + itoa(n)
		data := strings.Repeat("x", n)
		write(t, dir, name, data)
		got, err := NewDir(dir).ReadFile(name)
		if err != nil || string(got) != data {
			t.Errorf("ReadFile(%s): got %d bytes, %v; want %d", name, len(got), err, n)
		}
	}
	write(t, dir, "d/x", "")
	for _, name := range []string{"missing", "d", "d/x/y"} {
		_, err := NewDir(dir).ReadFile(name)
		_, want := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
		if err == nil || want == nil || err.Error() != want.Error() {
			t.Errorf("ReadFile(%s): got error %v, want %v", name, err, want)
		}
	}
	if _, err := NewDir(dir).ReadFile("missing"); !os.IsNotExist(err) {
		t.Errorf("ReadFile(missing): %v is not fs.ErrNotExist", err)
	}
}

// ReadFileHead is ReadFile's start: the whole file when it is shorter than the buffer, and the
// same errors.
func TestDirReadFileHeadIsReadFilesStart(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []int{0, 1, 100, 8192, 100_000} {
		name := "f" + itoa(n)
		write(t, dir, name, strings.Repeat("ab", n)[:n])
		want, _ := NewDir(dir).ReadFile(name)
		for _, size := range []int{1, 8192, 200_000} {
			buf := make([]byte, size)
			k, err := NewDir(dir).ReadFileHead(name, buf)
			if err != nil || string(buf[:k]) != string(want[:min(size, len(want))]) {
				t.Errorf("ReadFileHead(%s, %d): got %d bytes, %v; want the first %d of %d", name, size, k, err, min(size, len(want)), len(want))
			}
		}
	}
	write(t, dir, "d/x", "")
	for _, name := range []string{"missing", "d", "d/x/y", "../escape"} {
		_, err := NewDir(dir).ReadFileHead(name, make([]byte, 16))
		_, want := NewDir(dir).ReadFile(name)
		if err == nil || want == nil || err.Error() != want.Error() {
			t.Errorf("ReadFileHead(%s): got error %v, want ReadFile's %v", name, err, want)
		}
	}
}

// A Dir is one reading of the tree: it answers Stat and Lstat again as it first did, and a new
// Dir sees the change.
func TestDirRemembersItsStats(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "f", "x")
	d := NewDir(dir)
	if _, err := d.Stat("f"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Lstat("g"); !os.IsNotExist(err) {
		t.Fatalf("Lstat(g): %v", err)
	}
	if err := os.Remove(filepath.Join(dir, "f")); err != nil {
		t.Fatal(err)
	}
	write(t, dir, "g", "y")
	if fi, err := d.Stat("f"); err != nil || fi.Name() != "f" || fi.Size() != 1 {
		t.Errorf("Stat(f) again: %v, %v", fi, err)
	}
	if _, err := d.Lstat("g"); !os.IsNotExist(err) {
		t.Errorf("Lstat(g) again: %v", err)
	}
	if _, err := NewDir(dir).Stat("f"); !os.IsNotExist(err) {
		t.Errorf("a new Dir: Stat(f): %v", err)
	}
	if _, err := NewDir(dir).Lstat("g"); err != nil {
		t.Errorf("a new Dir: Lstat(g): %v", err)
	}
	// An Lstat answers a later Stat, but not for a link.
	write(t, dir, "sub/x", "xx")
	symlink(t, "sub", filepath.Join(dir, "link"))
	d = NewDir(dir)
	for _, n := range []string{"link", "sub"} {
		if _, err := d.Lstat(n); err != nil {
			t.Fatal(err)
		}
	}
	if fi, err := d.Stat("link"); err != nil || !fi.IsDir() {
		t.Errorf("Stat(link) after Lstat(link): %v, %v; want the directory it points to", fi, err)
	}
	if fi, err := d.Stat("sub"); err != nil || !fi.IsDir() || fi.Name() != "sub" {
		t.Errorf("Stat(sub) after Lstat(sub): %v, %v", fi, err)
	}
}

// Under a directory known to be missing, Stat and Lstat answer as the OS would without asking it;
// under a link, a file or an existing directory they ask.
func TestDirAnswersUnderAMissingDirectory(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "a/f", "x", "file", "y")
	symlink(t, "a", filepath.Join(dir, "link"))
	d := NewDir(dir)
	statsAreTheOSs(t, d, dir, []string{"missing/x", "missing/x/y", "a/missing/x", "link/f", "link/missing/x", "file/x", "a/f"})
	if _, ok := d.lstats.Load("missing"); !ok {
		t.Error("the missing directory's lstat was not remembered")
	}
}

// statsAreTheOSs checks that d's Lstat and Stat of each name give the OS's answer for root's file:
// the same error text, or the same name and mode.
func statsAreTheOSs(t *testing.T, d *Dir, root string, names []string) {
	t.Helper()
	for _, n := range names {
		for _, op := range []struct {
			name string
			view func(string) (fs.FileInfo, error)
			os   func(string) (fs.FileInfo, error)
		}{{"Lstat", d.Lstat, os.Lstat}, {"Stat", d.Stat, os.Stat}} {
			fi, err := op.view(n)
			wfi, werr := op.os(filepath.Join(root, filepath.FromSlash(n)))
			if (err == nil) != (werr == nil) || err != nil && err.Error() != werr.Error() ||
				errors.Is(err, fs.ErrNotExist) != errors.Is(werr, fs.ErrNotExist) {
				t.Errorf("%s(%s): got %v, the OS says %v", op.name, n, err, werr)
			}
			if err == nil && (fi.Name() != wfi.Name() || fi.Mode() != wfi.Mode()) {
				t.Errorf("%s(%s): got %v, the OS says %v", op.name, n, fi.Mode(), wfi.Mode())
			}
		}
	}
}
