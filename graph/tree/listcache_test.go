package tree

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"
)

// cachedDir is a Dir of root keeping its listing in file, whose racy check counts every directory as
// old (the tests change directories just before listing them again; the real clock would keep
// them from being recorded at all).
func cachedDir(root, file string) *Dir {
	d := NewDir(root).ListCache(file, "")
	d.listNow = func() time.Time { return time.Now().Add(time.Hour) }
	return d
}

// listCached lists root through the cache file and checks the listing against a walk; it returns
// how many directories were read and how many were answered by the cache.
func listCached(t *testing.T, root, file string, skip func(string) bool) (reads, hits int) {
	t.Helper()
	d := cachedDir(root, file)
	got, err := d.List(context.Background(), skip)
	if err != nil {
		t.Fatal(err)
	}
	if want := walkDirList(t, root, skip); !reflect.DeepEqual(got, want) {
		t.Fatalf("List through the cache:\n got %q\nwant %q", got, want)
	}
	// A directory's timestamp comes from the kernel's coarse clock: the next change must fall in
	// another tick than the state just recorded, as it does for a person or a script between runs.
	time.Sleep(20 * time.Millisecond)
	return d.lastList.reads, d.lastList.hits
}

func skipNone(string) bool { return false }

func requireListCache(t *testing.T, dir string) {
	t.Helper()
	if _, ok := rootDevice(dir); !ok {
		t.Skipf("no listing cache on this file system or OS (%s)", runtime.GOOS)
	}
}

// A directory the cache has recorded is not read again while its stat data are unchanged; any
// change of its entries (a file added, removed, renamed, replaced by a directory or a link, even
// with the mtime set back) makes it read again, and the listing is always the walk's.
func TestListCacheReadsOnlyChangedDirectories(t *testing.T) {
	root := t.TempDir()
	requireListCache(t, root)
	file := filepath.Join(t.TempDir(), "listing")
	write(t, root,
		"a-b", "", "a/x", "", "a/y/z", "", "a0", "", "a.c/d", "", "deep/er/still/f", "",
		".git/HEAD", "", "skip/me", "", "b/keep", "", "b/gone", "", "c/file", "", "d/sub/f", "",
	)
	for i := range 600 {
		write(t, root, "many/"+strings.Repeat("f", i%5)+itoa(i), "")
	}
	symlink(t, "a", filepath.Join(root, "a-link"))
	if err := os.MkdirAll(filepath.Join(root, "empty", "dirs"), 0o755); err != nil {
		t.Fatal(err)
	}
	// ., a, a/y, a.c, deep, deep/er, deep/er/still, skip, b, c, d, d/sub, many, empty, empty/dirs
	const dirs = 15
	if reads, hits := listCached(t, root, file, nil); reads != dirs || hits != 0 {
		t.Fatalf("cold: %d directories read, %d from the cache; want %d, 0", reads, hits, dirs)
	}
	if _, err := os.Stat(file); err != nil {
		t.Fatalf("the cold run wrote no listing: %v", err)
	}
	if reads, hits := listCached(t, root, file, nil); reads != 0 || hits != dirs {
		t.Fatalf("warm: %d directories read, %d from the cache; want 0, %d", reads, hits, dirs)
	}

	steps := []struct {
		name   string
		change func()
		reads  int // directories read again
	}{
		{"a file added deep down", func() { write(t, root, "deep/er/still/g", "") }, 1},
		{"a file removed", func() { must(t, os.Remove(filepath.Join(root, "b", "gone"))) }, 1},
		{"a file renamed", func() { must(t, os.Rename(filepath.Join(root, "a", "x"), filepath.Join(root, "a", "x2"))) }, 1},
		{"a file replaced by a directory", func() {
			must(t, os.Remove(filepath.Join(root, "c", "file")))
			write(t, root, "c/file/inside", "")
		}, 2}, // c, and the new c/file
		{"a directory replaced by a link", func() {
			must(t, os.RemoveAll(filepath.Join(root, "d", "sub")))
			symlink(t, "../a", filepath.Join(root, "d", "sub"))
		}, 1},
		{"a file added, the mtime set back", func() {
			dir := filepath.Join(root, "many")
			fi, err := os.Stat(dir)
			must(t, err)
			write(t, root, "many/late", "")
			must(t, os.Chtimes(dir, fi.ModTime(), fi.ModTime())) // the ctime still moves
		}, 1},
		{"a new directory", func() { write(t, root, "empty/dirs/now/f", "") }, 2}, // empty/dirs, and the new one
		{"nothing", func() {}, 0},
	}
	for _, s := range steps {
		s.change()
		reads, _ := listCached(t, root, file, nil)
		if reads != s.reads {
			t.Errorf("%s: %d directories read again, want %d", s.name, reads, s.reads)
		}
	}
}

// The records hold the directories skip prunes, and skip is applied when they are used: a run with
// another skip answers as a walk with it.
func TestListCacheAppliesSkipToRecords(t *testing.T) {
	root := t.TempDir()
	requireListCache(t, root)
	file := filepath.Join(t.TempDir(), "listing")
	write(t, root, "keep/f", "", "skip/f", "", "keep/skip/g", "", "keep/deeper/skip/h", "")
	skip := func(d string) bool { return d == "skip" || strings.HasSuffix(d, "/skip") }
	// Records ., keep, keep/deeper (the skipped directories are entries of their parents'
	// records, never read).
	if reads, _ := listCached(t, root, file, skip); reads != 3 {
		t.Errorf("with skip: %d directories read, want 3", reads)
	}
	if reads, hits := listCached(t, root, file, nil); reads != 3 || hits != 3 {
		t.Errorf("without skip after a run with it: %d directories read, %d from the cache; want 3 (the skipped ones), 3", reads, hits)
	}
	if reads, hits := listCached(t, root, file, skip); reads != 0 || hits != 3 {
		t.Errorf("with skip again: %d directories read, %d from the cache; want 0, 3", reads, hits)
	}
}

// Directories changed less than listRacyAge before the walk are read on every run: a change within
// the same timestamp tick after the read would leave their stat data equal.
func TestListCacheDoesNotRecordRacyDirectories(t *testing.T) {
	root := t.TempDir()
	requireListCache(t, root)
	file := filepath.Join(t.TempDir(), "listing")
	write(t, root, "a/f", "", "b/g", "")
	old := time.Now().Add(-time.Hour)
	must(t, os.Chtimes(filepath.Join(root, "a"), old, old)) // the mtime is old, the ctime is now
	for range 2 {
		d := NewDir(root).ListCache(file, "") // the real clock
		got, err := d.List(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if want := walkDirList(t, root, nil); !reflect.DeepEqual(got, want) {
			t.Fatalf("List:\n got %q\nwant %q", got, want)
		}
		if d.lastList.reads != 3 || d.lastList.hits != 0 || len(d.lastList.recs) != 0 {
			t.Errorf("%d directories read, %d from the cache, %d recorded; want 3, 0, 0",
				d.lastList.reads, d.lastList.hits, len(d.lastList.recs))
		}
	}
}

// A listing file that is damaged, cut short or of another root is never an answer.
func TestListCacheIgnoresABadFile(t *testing.T) {
	root := t.TempDir()
	requireListCache(t, root)
	file := filepath.Join(t.TempDir(), "listing")
	write(t, root, "a/f", "", "a/b/g", "", "h", "")
	listCached(t, root, file, nil)
	good, err := os.ReadFile(file)
	must(t, err)
	if decodeListing(good, root) == nil {
		t.Fatal("the file written does not decode")
	}
	if decodeListing(good, root+"x") != nil {
		t.Error("the file of another root decodes")
	}
	for n := range len(good) {
		if decodeListing(good[:n], root) != nil {
			t.Fatalf("the file cut to %d of %d bytes decodes", n, len(good))
		}
	}
	for _, i := range []int{0, len(listMagic), listHeader, len(good) / 2, len(good) - 1} {
		bad := append([]byte(nil), good...)
		bad[i] ^= 0x40
		if decodeListing(bad, root) != nil {
			t.Errorf("the file with byte %d flipped decodes", i)
		}
	}
	// A file whose records lie (a path cut beyond its bytes) but whose checksum holds.
	recs := decodeListing(good, root)
	for _, r := range recs {
		r.ends = append(append([]uint32(nil), r.ends...), uint32(len(r.paths)+1))
		break
	}
	var list []*dirRecord
	for _, r := range recs {
		list = append(list, r)
	}
	if decodeListing(encodeListing(list, root), root) != nil {
		t.Error("a record with an end beyond its paths decodes")
	}
	// Whatever the file holds, List answers as the walk.
	must(t, os.WriteFile(file, []byte(listMagic+"garbage"), 0o644))
	if reads, hits := listCached(t, root, file, nil); hits != 0 || reads != 3 {
		t.Errorf("with a garbage file: %d read, %d from the cache; want 3, 0", reads, hits)
	}
	if reads, _ := listCached(t, root, file, nil); reads != 0 {
		t.Errorf("the garbage file was not replaced: %d directories read", reads)
	}
}

// An encoded listing decodes to the records it was made of.
func TestListingRoundTrips(t *testing.T) {
	recs := []*dirRecord{
		{rel: ".", key: statKey{1, 2, 3, 4}, paths: "ab", ends: []uint32{1, 2}, subs: []string{"c", "d"}, subAt: []uint32{1, 2}},
		{rel: "c", key: statKey{5, 6, 7, 8}, paths: "c/xyz", ends: []uint32{5}},
		{rel: "d", key: statKey{1 << 60, 9, -10, 11}},
	}
	got := decodeListing(encodeListing(recs, "/r"), "/r")
	if len(got) != len(recs) {
		t.Fatalf("decoded %d records, want %d", len(got), len(recs))
	}
	for _, r := range recs {
		g := got[r.rel]
		if g == nil || g.key != r.key || g.paths != r.paths || !reflect.DeepEqual(append([]uint32{}, g.ends...), append([]uint32{}, r.ends...)) ||
			!reflect.DeepEqual(append([]string{}, g.subs...), append([]string{}, r.subs...)) ||
			!reflect.DeepEqual(append([]uint32{}, g.subAt...), append([]uint32{}, r.subAt...)) {
			t.Errorf("record %s: got %+v, want %+v", r.rel, g, r)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
