package tree

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// listedDir is a Dir of root with a listing cache, listed once with skip.
func listedDir(t *testing.T, root string, skip func(string) bool) *Dir {
	t.Helper()
	d := cachedDir(root, filepath.Join(t.TempDir(), "listing"))
	if _, err := d.List(context.Background(), skip); err != nil {
		t.Fatal(err)
	}
	return d
}

// After a List, Lstat and Stat answer a name the listing shows absent without the OS, exactly as
// the OS would (same error); a name that exists, or one the listing cannot vouch for, is asked.
func TestDirAnswersAbsentNamesFromItsListing(t *testing.T) {
	root := t.TempDir()
	requireListCache(t, root)
	write(t, root, "apps/a/Dockerfile", "", "apps/a/src/f", "", "libs/l/x", "", "skip/inside/f", "",
		".git/HEAD", "", "x/caf\u00e9/f", "", "Upper/F", "")
	symlink(t, "libs", filepath.Join(root, "link"))
	pipe := mkfifo(t, filepath.Join(root, "apps", "a", "fifo"))
	skip := func(d string) bool { return d == "skip" }

	// The names each case answers from the listing (absent) and those it must ask the OS about.
	fromListing := []string{"apps/a/libs", "apps/a/libs/x", "apps/libs", "apps/b/Dockerfile", "nope", "apps/a/src/g",
		"apps/a/Dockerfile.dockerignore"}
	fromOS := []string{
		".", "apps", "apps/a/Dockerfile", "apps/a/src/f", // present
		"apps/a/dockerfile",  // "Dockerfile" in another case: a case-insensitive directory has it
		"upper/f", "UPPER/F", // the same through a directory's name
		"link/x", "link/nope", // under a link: not read by the walk
		"skip/inside/f", "skip/nope", // under a skipped directory
		".git/HEAD", ".git/nope", // the root's .git is never walked
		"x/caf\u00e9/f", "x/cafe\u0301/f", "x/nope", "nonascii\u00e9", // a name or a directory not ASCII
		"apps/a/src/f/x", // under a file: ENOTDIR
	}
	if pipe {
		fromOS = append(fromOS, "apps/a/fifo")
	}
	d := listedDir(t, root, skip)
	w := d.walked.Load()
	if w == nil {
		t.Fatal("List kept no listing for lookups")
	}
	for _, n := range fromListing {
		if !w.absent(n) {
			t.Errorf("%s: not answered from the listing", n)
		}
	}
	for _, n := range fromOS {
		if w.absent(n) {
			t.Errorf("%s: answered absent from the listing, the OS must be asked", n)
		}
	}
	// Whichever way, the answers are the OS's.
	statsAreTheOSs(t, d, root, append(fromListing, fromOS...))
}

// Entry answers by exact name, as ReadDir lists, for the directories List read; others are unknown.
func TestDirEntryIsReadDirsAnswer(t *testing.T) {
	root := t.TempDir()
	requireListCache(t, root)
	write(t, root, "a/dockerfile", "", "a/sub/x", "", "b/Dockerfile", "", "skip/f", "", ".git/HEAD", "")
	d := listedDir(t, root, func(p string) bool { return p == "skip" })
	for _, c := range []struct {
		dir, name  string
		has, known bool
	}{
		{"a", "dockerfile", true, true},
		{"a", "Dockerfile", false, true},
		{"a", "sub", true, true},
		{"b", "Dockerfile", true, true},
		{"b", "dockerfile", false, true},
		{".", "skip", true, true},
		{".", ".git", true, true},
		{"skip", "f", false, false},
		{"nope", "x", false, false},
	} {
		has, known := d.Entry(c.dir, c.name)
		if has != c.has || known != c.known {
			t.Errorf("Entry(%s, %s) = %v, %v; want %v, %v", c.dir, c.name, has, known, c.has, c.known)
		}
		if !c.known {
			continue
		}
		entries, err := os.ReadDir(filepath.Join(root, c.dir))
		must(t, err)
		listed := false
		for _, e := range entries {
			listed = listed || e.Name() == c.name
		}
		if listed != has {
			t.Errorf("Entry(%s, %s) = %v; ReadDir lists it: %v", c.dir, c.name, has, listed)
		}
	}
}

// Without a listing cache (--no-cache) or before a List, nothing is answered from a listing.
func TestDirWithoutListingAsksTheOS(t *testing.T) {
	root := t.TempDir()
	write(t, root, "a/f", "")
	d := NewDir(root)
	if _, known := d.Entry("a", "f"); known {
		t.Error("Entry known before List")
	}
	if _, err := d.List(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if d.walked.Load() != nil {
		t.Error("a Dir without a listing cache keeps its listing for lookups (its directories' devices are unknown)")
	}
	if _, err := d.Lstat("a/nope"); !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "lstat "+root) {
		t.Errorf("Lstat(a/nope): %v", err)
	}
}
