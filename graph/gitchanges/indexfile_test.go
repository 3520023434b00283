package gitchanges

import (
	"bufio"
	"bytes"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/format/index"

	"github.com/monoctx/monoctx/graph/tree"
)

// goGitIndex is what go-git's decoder reads of the index: the oracle parseIndex must equal.
func goGitIndex(t *testing.T, data []byte) map[string]*tree.IndexEntry {
	t.Helper()
	var idx index.Index
	if err := index.NewDecoder(bufio.NewReader(bytes.NewReader(data))).Decode(&idx); err != nil {
		t.Fatalf("go-git cannot read the index: %v", err)
	}
	m := map[string]*tree.IndexEntry{}
	for _, e := range idx.Entries {
		if e.Stage != 0 || e.SkipWorktree || e.IntentToAdd || e.Mode != filemode.Regular && e.Mode != filemode.Executable {
			continue
		}
		m[e.Name] = &tree.IndexEntry{ID: e.Hash.String(), Mtime: e.ModifiedAt, Ctime: e.CreatedAt,
			Size: e.Size, Inode: e.Inode, Executable: e.Mode == filemode.Executable}
	}
	return m
}

// goGitRecords is every entry go-git's decoder reads, for parseIndexRecords.
func goGitRecords(t *testing.T, data []byte) []tree.IndexRecord {
	t.Helper()
	var idx index.Index
	if err := index.NewDecoder(bufio.NewReader(bytes.NewReader(data))).Decode(&idx); err != nil {
		t.Fatalf("go-git cannot read the index: %v", err)
	}
	// go-git reads stat data of zeros (a conflict's stages, intent-to-add) as the zero time.
	unix := func(t time.Time) time.Time {
		if t.IsZero() {
			return time.Unix(0, 0)
		}
		return t
	}
	var out []tree.IndexRecord
	for _, e := range idx.Entries {
		out = append(out, tree.IndexRecord{Path: e.Name, Mode: uint32(e.Mode), Stage: int(e.Stage),
			SkipWorktree: e.SkipWorktree, IntentToAdd: e.IntentToAdd,
			Entry: tree.IndexEntry{ID: e.Hash.String(), Mtime: unix(e.ModifiedAt), Ctime: unix(e.CreatedAt),
				Size: e.Size, Inode: e.Inode, Executable: e.Mode == filemode.Executable}})
	}
	return out
}

func sameRecords(a, b []tree.IndexRecord) bool {
	return slices.EqualFunc(a, b, func(x, y tree.IndexRecord) bool {
		return x.Path == y.Path && x.Mode == y.Mode && x.Stage == y.Stage && x.SkipWorktree == y.SkipWorktree &&
			x.IntentToAdd == y.IntentToAdd && sameEntries(map[string]*tree.IndexEntry{"": &x.Entry}, map[string]*tree.IndexEntry{"": &y.Entry})
	})
}

func entriesMap(x *tree.IndexEntries) map[string]*tree.IndexEntry {
	m := map[string]*tree.IndexEntry{}
	for p, e := range x.All() {
		m[p] = e
	}
	return m
}

func sameEntries(a, b map[string]*tree.IndexEntry) bool {
	return maps.EqualFunc(a, b, func(x, y *tree.IndexEntry) bool {
		return x.ID == y.ID && x.Mtime.Equal(y.Mtime) && x.Ctime.Equal(y.Ctime) && x.Size == y.Size &&
			x.Inode == y.Inode && x.Executable == y.Executable
	})
}

// parseIndex reads what go-git reads, in index versions 2, 3 and 4, with skip-worktree,
// intent-to-add, executable, symlink, gitlink and conflicted entries, long and non-ASCII names,
// and an index written without its checksum; it refuses a split index and a damaged one.
func TestParseIndexIsGoGits(t *testing.T) {
	r := newRepo(t)
	dir := r.dir
	long := strings.Repeat("d/", 60) + strings.Repeat("n", 200) + ".go"
	for _, p := range []string{"a.go", "b/c.go", "b/ü ñ.txt", "run.sh", long, "sk/ip.go", "z/last.go"} {
		r.write(p, "content of "+p+"\n")
	}
	if err := os.Chmod(filepath.Join(dir, "run.sh"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("a.go", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	r.git("add", "-A")
	r.git("commit", "-q", "-m", "x")
	r.git("update-index", "--add", "--cacheinfo", "160000,"+r.git("rev-parse", "HEAD")+",sub")
	r.git("update-index", "--skip-worktree", "sk/ip.go")
	r.write("ita.go", "later\n")
	r.git("add", "-N", "ita.go")
	// A conflict: three stages of one path.
	blob := r.git("hash-object", "-w", "a.go")
	info := "0 0000000000000000000000000000000000000000\tb/c.go\n" +
		"100644 " + blob + " 1\tb/c.go\n100644 " + blob + " 2\tb/c.go\n100644 " + blob + " 3\tb/c.go\n"
	cmd := exec.Command("git", "-C", dir, "update-index", "--index-info")
	cmd.Stdin = strings.NewReader(info)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("update-index --index-info: %v: %s", err, out)
	}
	file := filepath.Join(dir, ".git", "index")
	for _, v := range []string{"2", "3", "4"} {
		r.git("update-index", "--index-version", v)
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		x, err := parseIndex(data)
		if err != nil {
			t.Fatalf("version %s: %v", v, err)
		}
		got := entriesMap(x)
		for _, p := range x.Names() {
			if e, ok := x.Lookup(p); !ok || e != got[p] {
				t.Errorf("version %s: Lookup(%q) = %v, %v", v, p, e, ok)
			}
		}
		want := goGitIndex(t, data)
		if !sameEntries(got, want) {
			t.Errorf("version %s:\nparseIndex %v\ngo-git     %v", v, got, want)
		}
		recs, err := parseIndexRecords(data)
		if err != nil {
			t.Fatalf("version %s: parseIndexRecords: %v", v, err)
		}
		if want := goGitRecords(t, data); !sameRecords(recs, want) || len(recs) < 10 {
			t.Errorf("version %s:\nparseIndexRecords %+v\ngo-git            %+v", v, recs, want)
		}
		for _, p := range []string{"a.go", "run.sh", long, "b/ü ñ.txt"} {
			if _, ok := got[p]; !ok {
				t.Errorf("version %s: %s missing", v, p)
			}
		}
		for _, p := range []string{"sk/ip.go", "ita.go", "link", "sub", "b/c.go"} {
			if _, ok := got[p]; ok {
				t.Errorf("version %s: %s should be left out", v, p)
			}
		}
		// A flipped byte fails the checksum.
		bad := bytes.Clone(data)
		bad[20] ^= 1
		if _, err := parseIndex(bad); err == nil {
			t.Errorf("version %s: a damaged index was read", v)
		}
	}
	r.git("-c", "index.skipHash=true", "update-index", "--index-version", "3")
	if data, err := os.ReadFile(file); err != nil {
		t.Fatal(err)
	} else if got, err := parseIndex(data); err != nil || !sameEntries(entriesMap(got), goGitIndex(t, data)) {
		t.Errorf("an index without its checksum: %v", err)
	}
	r.git("update-index", "--split-index")
	if data, err := os.ReadFile(file); err != nil {
		t.Fatal(err)
	} else if _, err := parseIndexRecords(data); err == nil {
		t.Error("parseIndexRecords read a split index as if it held every entry")
	}
	if data, err := os.ReadFile(file); err != nil {
		t.Fatal(err)
	} else if _, err := parseIndex(data); err == nil {
		t.Error("a split index was read as if it held every entry")
	}
}

// benchIndex is a git index of n entries (one blob, n paths), written by git.
func benchIndex(b *testing.B, n int) []byte {
	b.Helper()
	dir := b.TempDir()
	if out, err := exec.Command("git", "init", "-q", dir).CombinedOutput(); err != nil {
		b.Fatalf("%v: %s", err, out)
	}
	var info strings.Builder
	for i := range n {
		fmt.Fprintf(&info, "100644 e69de29bb2d1d6434b8b29ae775ad8c2e48c5391\tpkg/p%04d/sub/file%d.go\n", i/10, i)
	}
	cmd := exec.Command("git", "-C", dir, "update-index", "--add", "--index-info")
	cmd.Stdin = strings.NewReader(info.String())
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("%v: %s", err, out)
	}
	data, err := os.ReadFile(filepath.Join(dir, ".git", "index"))
	if err != nil {
		b.Fatal(err)
	}
	return data
}

// BenchmarkParseIndex reads an index of 50,000 entries, side by side with go-git's decoder.
func BenchmarkParseIndex(b *testing.B) {
	data := benchIndex(b, 50_000)
	b.Run("parseIndex", func(b *testing.B) {
		for b.Loop() {
			if _, err := parseIndex(data); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("go-git", func(b *testing.B) {
		for b.Loop() {
			var idx index.Index
			if err := index.NewDecoder(bufio.NewReader(bytes.NewReader(data))).Decode(&idx); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// parseIndex reads files from disk that anything may have written: it never panics, and what it
// accepts has well-formed ids. The seeds are indexes git wrote, in each version.
func FuzzParseIndex(f *testing.F) {
	dir := f.TempDir()
	if out, err := exec.Command("git", "init", "-q", dir).CombinedOutput(); err != nil {
		f.Fatalf("%v: %s", err, out)
	}
	cmd := exec.Command("git", "-C", dir, "update-index", "--add", "--index-info")
	cmd.Stdin = strings.NewReader("100644 e69de29bb2d1d6434b8b29ae775ad8c2e48c5391\ta/b.go\n" +
		"100755 e69de29bb2d1d6434b8b29ae775ad8c2e48c5391\ta/c.sh\n120000 e69de29bb2d1d6434b8b29ae775ad8c2e48c5391\tl\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		f.Fatalf("%v: %s", err, out)
	}
	for _, v := range []string{"2", "3", "4"} {
		if out, err := exec.Command("git", "-C", dir, "update-index", "--index-version", v).CombinedOutput(); err != nil {
			f.Fatalf("%v: %s", err, out)
		}
		data, err := os.ReadFile(filepath.Join(dir, ".git", "index"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
		f.Add(data[:len(data)-20]) // cut
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := parseIndex(data)
		if err != nil {
			return
		}
		for p, e := range m.All() {
			if len(e.ID) != 40 || p == "" {
				t.Fatalf("accepted an entry %q with id %q", p, e.ID)
			}
		}
	})
}

// A sparse index keeps directories whose files the checkout leaves out as single entries: the
// records of every file are git's to list then.
func TestParseIndexRecordsRefusesASparseIndex(t *testing.T) {
	r := newRepo(t)
	r.write("in/a.go", "a\n")
	r.write("out/b.go", "b\n")
	r.git("add", "-A")
	r.git("commit", "-q", "-m", "x")
	r.git("sparse-checkout", "set", "--cone", "--sparse-index", "in")
	data, err := os.ReadFile(filepath.Join(r.dir, ".git", "index"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte("out/\x00")) {
		t.Fatal("git wrote no sparse directory entry: the test tests nothing")
	}
	if _, err := parseIndexRecords(data); err == nil || !strings.Contains(err.Error(), "sparse index") {
		t.Errorf("parseIndexRecords of a sparse index: got %v, want it refused", err)
	}
	if _, _, ok := IndexRecordsReader(filepath.Join(r.dir, ".git"))(); ok {
		t.Error("IndexRecordsReader read a sparse index")
	}
}
