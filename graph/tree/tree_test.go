package tree

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/go-git/go-git/v5/plumbing/filemode"
	gitindex "github.com/go-git/go-git/v5/plumbing/format/index"

	"github.com/monoctx/monoctx/internal/gittest"
)

func TestMain(m *testing.M) {
	if err := gittest.Isolate(); err != nil {
		panic(err)
	}
	os.Exit(m.Run())
}

// git and write are gittest's, under the names these tests use.
var (
	git   = gittest.Git
	write = gittest.WriteFiles
)

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

// fixture is a committed repository with what a tree can hold: nested files, an executable, a
// name with a space, symlinks to a file and to a directory, a submodule's gitlink.
func fixture(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	git(t, dir, "init", "-q", "-b", "main")
	write(t, dir,
		"a/b.txt", "bee\n",
		"a/c/d.txt", "dee\n",
		"run.sh", "#!/bin/sh\n",
		"sp ace.txt", "space\n",
		"web/Dockerfile", "FROM scratch\nCOPY w /w\n",
		"web/w", "w\n",
		"web/deep/x", "x\n",
		".gitignore", "*.log\nbuild/\n",
	)
	if err := os.Chmod(filepath.Join(dir, "run.sh"), 0o755); err != nil {
		t.Fatal(err)
	}
	symlink(t, "a/b.txt", filepath.Join(dir, "link"))
	symlink(t, "a", filepath.Join(dir, "dirlink"))
	symlink(t, "../a/c", filepath.Join(dir, "web", "up"))
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-q", "-m", "one")
	// A gitlink: a submodule's commit, without the submodule's files.
	git(t, dir, "update-index", "--add", "--cacheinfo", "160000,"+git(t, dir, "rev-parse", "HEAD")+",sub")
	git(t, dir, "commit", "-q", "-m", "gitlink")
	return dir
}

// clone checks the fixture out as git would (the gitlink as an empty directory).
func clone(t *testing.T, src string, args ...string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "clone")
	git(t, src, append([]string{"clone", "-q"}, append(args, src, dst)...)...)
	return dst
}

// sameTree compares every listed path, every directory and a few names through symlinks of got
// with want, which stands for the truth (the OS reading a checkout).
func sameTree(t *testing.T, got, want View, extra ...string) {
	t.Helper()
	ctx := context.Background()
	gl, err := got.List(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	wl, err := want.List(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(gl, wl) {
		t.Fatalf("List: got %q, want %q", gl, wl)
	}
	dirs := map[string]bool{".": true}
	for _, p := range wl {
		for d := filepath.ToSlash(filepath.Dir(p)); d != "."; d = filepath.ToSlash(filepath.Dir(d)) {
			dirs[d] = true
		}
	}
	names := append(append([]string{}, wl...), extra...)
	for d := range dirs {
		names = append(names, d)
	}
	for _, n := range names {
		wfi, werr := want.Lstat(n)
		gfi, gerr := got.Lstat(n)
		if (werr == nil) != (gerr == nil) {
			t.Errorf("Lstat(%q): got %v, want %v", n, gerr, werr)
			continue
		}
		if werr == nil && (wfi.Mode().Type() != gfi.Mode().Type() || wfi.Mode().Perm()&0o100 != gfi.Mode().Perm()&0o100) {
			t.Errorf("Lstat(%q): got mode %v, want %v", n, gfi.Mode(), wfi.Mode())
		}
		if werr == nil && wfi.Mode().IsRegular() && wfi.Size() != gfi.Size() {
			t.Errorf("Lstat(%q): got size %d, want %d", n, gfi.Size(), wfi.Size())
		}
		wst, werr := want.Stat(n)
		gst, gerr := got.Stat(n)
		if (werr == nil) != (gerr == nil) || werr == nil && wst.IsDir() != gst.IsDir() {
			t.Errorf("Stat(%q): got %v, %v; want %v, %v", n, gst, gerr, wst, werr)
		}
		if werr == nil && wst.IsDir() {
			we, werr := want.ReadDir(n)
			ge, gerr := got.ReadDir(n)
			if (werr == nil) != (gerr == nil) || !reflect.DeepEqual(entryNames(ge), entryNames(we)) {
				t.Errorf("ReadDir(%q): got %q, %v; want %q, %v", n, entryNames(ge), gerr, entryNames(we), werr)
			}
			continue
		}
		wd, werr := want.ReadFile(n)
		gd, gerr := got.ReadFile(n)
		if (werr == nil) != (gerr == nil) || !bytes.Equal(wd, gd) {
			t.Errorf("ReadFile(%q): got %q, %v; want %q, %v", n, gd, gerr, wd, werr)
		}
		for _, size := range []int{3, 64 << 10} { // the start of a file, and the whole
			buf := make([]byte, size)
			k, herr := AbsOf(got).ReadFileHead(filepath.Join(got.Root(), filepath.FromSlash(n)), buf)
			if (werr == nil) != (herr == nil) || !bytes.Equal(buf[:k], wd[:min(size, len(wd))]) {
				t.Errorf("ReadFileHead(%q, %d bytes): got %q, %v; want the start of %q, %v", n, size, buf[:k], herr, wd, werr)
			}
		}
		wt, werr := want.ReadLink(n)
		gt, gerr := got.ReadLink(n)
		if (werr == nil) != (gerr == nil) || wt != gt {
			t.Errorf("ReadLink(%q): got %q, %v; want %q, %v", n, gt, gerr, wt, werr)
		}
	}
}

// entryNames is each entry's name and type; a checkout's .git is no part of the tree.
func entryNames(es []fs.DirEntry) []string {
	out := []string{}
	for _, e := range es {
		if e.Name() == ".git" {
			continue
		}
		out = append(out, e.Name()+":"+e.Type().String())
	}
	return out
}

func TestCommitReadsAsACheckout(t *testing.T) {
	src := fixture(t)
	// What the work tree and the index hold instead is never read for the commit's files.
	write(t, src, "a/b.txt", "changed in the work tree\n", "untracked.txt", "u\n", "a/c/d.txt", "staged\n")
	git(t, src, "add", "a/c/d.txt")
	c, err := NewCommit(context.Background(), src, "HEAD")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sameTree(t, c, NewDir(clone(t, src)), "dirlink/b.txt", "dirlink/c/d.txt", "web/up/d.txt", "sub", "nope", "a/nope")
	if got, _ := c.ReadFile("a/b.txt"); string(got) != "bee\n" {
		t.Errorf("a/b.txt: got %q, want the committed %q", got, "bee\n")
	}
	if got, _ := c.ReadFile("a/c/d.txt"); string(got) != "dee\n" {
		t.Errorf("a/c/d.txt: got %q, want the committed %q", got, "dee\n")
	}
}

// The commit view is a well-behaved io/fs file system.
func TestCommitIsAnFS(t *testing.T) {
	src := fixture(t)
	c, err := NewCommit(context.Background(), src, "HEAD")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := fstest.TestFS(c, "a/b.txt", "a/c/d.txt", "run.sh", "web/w", "link"); err != nil {
		t.Fatal(err)
	}
}

// The work tree's listing comes from git, yet it is what a walk of the disk finds: tracked files,
// untracked ones whether or not .gitignore ignores them, without deleted files, with what is on disk
// in untracked directories and in submodules.
// indexRecords reads the index of the work tree at dir with go-git's decoder: the records
// WithIndexRecords takes (monoctx's own reader is graph/gitchanges', tested against go-git).
func indexRecords(dir string) IndexRecordsReader {
	return func() (time.Time, []IndexRecord, bool) {
		f, err := os.Open(filepath.Join(dir, ".git", "index"))
		if err != nil {
			return time.Time{}, nil, false
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			return time.Time{}, nil, false
		}
		var idx gitindex.Index
		if err := gitindex.NewDecoder(bufio.NewReader(f)).Decode(&idx); err != nil {
			return time.Time{}, nil, false
		}
		var out []IndexRecord
		for _, e := range idx.Entries {
			out = append(out, IndexRecord{Path: e.Name, Mode: uint32(e.Mode), Stage: int(e.Stage), SkipWorktree: e.SkipWorktree,
				IntentToAdd: e.IntentToAdd, Entry: IndexEntry{ID: e.Hash.String(), Mtime: e.ModifiedAt, Ctime: e.CreatedAt,
					Size: e.Size, Inode: e.Inode, Executable: e.Mode == filemode.Executable}})
		}
		return st.ModTime(), out, true
	}
}

// workTrees are the two ways of reading a work tree: through git ls-files, and from the index.
func workTrees(t *testing.T, dir string) map[string]*WorkTree {
	t.Helper()
	out := map[string]*WorkTree{}
	for name, opts := range map[string][]WorkTreeOption{"git": nil, "index": {WithIndexRecords(indexRecords(dir))}} {
		w, err := NewWorkTree(context.Background(), dir, opts...)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { w.Close() })
		out[name] = w
	}
	if !out["index"].walked {
		t.Fatal("the index was not read: the test tests one way only")
	}
	return out
}

func TestWorkTreeListsWhatTheDiskHolds(t *testing.T) {
	dir := clone(t, fixture(t))
	write(t, dir,
		"a/b.txt", "modified\n",
		"untracked.txt", "u\n",
		"debug.log", "ignored\n",
		"build/out/bin", "ignored dir\n",
		"newdir/n.txt", "untracked dir\n",
		"sub/inside", "a checked-out submodule's file\n",
	)
	if err := os.Remove(filepath.Join(dir, "a", "c", "d.txt")); err != nil {
		t.Fatal(err)
	}
	for name, w := range workTrees(t, dir) {
		t.Run(name, func(t *testing.T) {
			sameTree(t, w, NewDir(dir), "dirlink/b.txt", "a/c/d.txt")
			skip := func(d string) bool { return d == "build" || d == "web/deep" }
			got, err := w.List(context.Background(), skip)
			if err != nil {
				t.Fatal(err)
			}
			want, err := NewDir(dir).List(context.Background(), skip)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("List with skipped directories: got %q, want %q", got, want)
			}
		})
	}
}

// A sparse checkout, cone or not, reads as the full checkout: what it leaves out comes from the
// index.
func TestWorkTreeReadsWhatASparseCheckoutLeavesOut(t *testing.T) {
	src := fixture(t)
	full := NewDir(clone(t, src))
	for _, tc := range []struct {
		name string
		set  []string
	}{
		{"non-cone", []string{"--no-cone", "/*", "!/web/"}},
		{"cone", []string{"--cone", "a"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := clone(t, src)
			git(t, dir, append([]string{"sparse-checkout", "set"}, tc.set...)...)
			if _, err := os.Lstat(filepath.Join(dir, "web", "w")); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("web/w is on disk (%v): the sparse checkout did not leave it out", err)
			}
			for name, w := range workTrees(t, dir) {
				t.Run(name, func(t *testing.T) {
					sameTree(t, w, full, "web/up/d.txt", "dirlink/c/d.txt")
					if id, ok := w.BlobID("web/w"); !ok || id != git(t, src, "rev-parse", "HEAD:web/w") {
						t.Errorf("BlobID(web/w): got %q, %v; want the index's blob", id, ok)
					}
				})
			}
		})
	}
}

// A blob the clone lacks is an error for the file that needs it only; the rest of the tree reads.
func TestCommitLacksABlobOnlyForTheFileThatNeedsIt(t *testing.T) {
	dir := t.TempDir()
	git(t, dir, "init", "-q", "-b", "main")
	write(t, dir, "big.bin", "large content nobody needs", "Dockerfile", "FROM scratch\n")
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-q", "-m", "one")
	sha := git(t, dir, "rev-parse", "HEAD:big.bin")
	git(t, dir, "rm", "-q", "big.bin")
	git(t, dir, "commit", "-q", "-m", "two")
	if err := os.Remove(filepath.Join(dir, ".git", "objects", sha[:2], sha[2:])); err != nil {
		t.Fatal(err)
	}
	c, err := NewCommit(context.Background(), dir, "HEAD~1")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	list, err := c.List(context.Background(), nil)
	if err != nil || !reflect.DeepEqual(list, []string{"Dockerfile", "big.bin"}) {
		t.Fatalf("List: got %q, %v", list, err)
	}
	if fi, err := c.Lstat("big.bin"); err != nil || !fi.Mode().IsRegular() {
		t.Errorf("Lstat(big.bin): got %v, %v; want a file", fi, err)
	}
	_, err = c.ReadFile("big.bin")
	var missing *MissingBlobError
	if !errors.As(err, &missing) || missing.Name != "big.bin" || missing.ID != sha || errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadFile(big.bin): got %v, want a MissingBlobError, not ErrNotExist", err)
	}
	if b, err := c.ReadFile("Dockerfile"); err != nil || string(b) != "FROM scratch\n" {
		t.Errorf("ReadFile(Dockerfile) after the missing blob: got %q, %v", b, err)
	}
}

func TestBlobIDIsGitsWhenGitKnowsIt(t *testing.T) {
	dir := clone(t, fixture(t))
	write(t, dir, "a/c/d.txt", "modified\n", "untracked.txt", "u\n")
	w, err := NewWorkTree(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	c, err := NewCommit(context.Background(), dir, "HEAD")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, tc := range []struct {
		v    View
		name string
		ok   bool
	}{
		{w, "a/b.txt", true},
		{w, "a/c/d.txt", false}, // modified
		{w, "untracked.txt", false},
		{w, "link", false}, // a symlink's blob is its target, not a file's content
		{w, "sub", false},
		{c, "a/b.txt", true},
		{c, "a/c/d.txt", true},
		{c, "untracked.txt", false},
		{NewDir(dir), "a/b.txt", false},
	} {
		id, ok := tc.v.BlobID(tc.name)
		if ok != tc.ok {
			t.Errorf("%T.BlobID(%q): got %v, want %v", tc.v, tc.name, ok, tc.ok)
			continue
		}
		if ok && id != git(t, dir, "rev-parse", "HEAD:"+tc.name) {
			t.Errorf("%T.BlobID(%q): got %s, want git's %s", tc.v, tc.name, id, git(t, dir, "rev-parse", "HEAD:"+tc.name))
		}
	}
}

func TestRevReadsFilesOfACommit(t *testing.T) {
	dir := fixture(t)
	first := git(t, dir, "rev-parse", "HEAD~1")
	write(t, dir, "a/b.txt", "second\n")
	git(t, dir, "commit", "-q", "-am", "two")
	r := NewRev(context.Background(), dir, first)
	defer r.Close()
	ctx := context.Background()
	if b, err := r.ReadFile(ctx, "a/b.txt"); err != nil || string(b) != "bee\n" {
		t.Errorf("a/b.txt: got %q, %v; want %q", b, err, "bee\n")
	}
	if b, err := r.ReadFile(ctx, "sp ace.txt"); err != nil || string(b) != "space\n" {
		t.Errorf("sp ace.txt: got %q, %v", b, err)
	}
	if _, err := r.ReadFile(ctx, "no such file"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a missing file: got %v, want ErrNotExist", err)
	}
	if _, err := r.ReadFile(ctx, "a"); err == nil || errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a directory: got %v, want an error that is not ErrNotExist", err)
	}
	if b, err := r.ReadFile(ctx, "link"); err != nil || string(b) != "a/b.txt" {
		t.Errorf("link: got %q, %v; want its target", b, err)
	}
}

// ReadFiles answers as ReadFile does for every path, sent at once: more requests than a pipe
// holds, missing paths, a directory, a symlink, names that are no path; and after Close, nothing.
func TestRevReadFilesIsReadFileOfEach(t *testing.T) {
	dir := fixture(t)
	for i := range 300 {
		write(t, dir, fmt.Sprintf("many/%s/file-%03d.txt", strings.Repeat("deep", 20), i), fmt.Sprintf("content %d\n", i))
	}
	write(t, dir, "empty", "")
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-q", "-m", "many")
	head := git(t, dir, "rev-parse", "HEAD")
	paths := []string{"a/b.txt", "no such file", "a", "link", "empty", "../out", "a\nb", ".", "sp ace.txt"}
	for i := range 300 {
		paths = append(paths, fmt.Sprintf("many/%s/file-%03d.txt", strings.Repeat("deep", 20), i), fmt.Sprintf("many/missing-%d", i))
	}
	ctx := context.Background()
	one := NewRev(ctx, dir, head)
	defer one.Close()
	all := NewRev(ctx, dir, head)
	all.Start()
	data, errs := all.ReadFiles(ctx, paths)
	for i, p := range paths {
		want, werr := one.ReadFile(ctx, p)
		if (werr == nil) != (errs[i] == nil) || werr != nil && (werr.Error() != errs[i].Error() || errors.Is(werr, fs.ErrNotExist) != errors.Is(errs[i], fs.ErrNotExist)) {
			t.Errorf("ReadFiles %q: error %v; ReadFile's %v", p, errs[i], werr)
		}
		if !bytes.Equal(data[i], want) || (want == nil) != (data[i] == nil) {
			t.Errorf("ReadFiles %q: %q; ReadFile's %q", p, data[i], want)
		}
	}
	if b, err := all.ReadFile(ctx, "a/b.txt"); err != nil || string(b) != "bee\n" {
		t.Errorf("a read after ReadFiles: %q, %v", b, err)
	}
	if err := all.Close(); err != nil {
		t.Fatal(err)
	}
	closed := NewRev(ctx, dir, head)
	closed.Close()
	closed.Start()
	if _, errs := closed.ReadFiles(ctx, []string{"a/b.txt"}); errs[0] == nil {
		t.Error("a Rev closed before it started read after Start")
	}
}

// Abs reads absolute paths under the root through the view and any other from the OS.
func TestAbsReadsTheViewUnderItsRoot(t *testing.T) {
	dir := fixture(t)
	write(t, dir, "a/b.txt", "work tree\n")
	c, err := NewCommit(context.Background(), dir, "HEAD")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	a := AbsOf(c)
	if b, err := a.ReadFile(filepath.Join(dir, "a", "b.txt")); err != nil || string(b) != "bee\n" {
		t.Errorf("under the root: got %q, %v; want the commit's", b, err)
	}
	outside := filepath.Join(t.TempDir(), "f")
	write(t, filepath.Dir(outside), "f", "os\n")
	if b, err := a.ReadFile(outside); err != nil || string(b) != "os\n" {
		t.Errorf("outside the root: got %q, %v; want the OS's", b, err)
	}
	ms, err := a.Glob(filepath.Join(dir, "a"), "*.txt")
	if err != nil || !reflect.DeepEqual(ms, []string{filepath.Join(dir, "a", "b.txt")}) {
		t.Errorf("Glob: got %q, %v", ms, err)
	}
	var walked []string
	err = a.WalkDir(filepath.Join(dir, "web"), func(p string, d fs.DirEntry, err error) error {
		walked = append(walked, p)
		return err
	})
	want := []string{filepath.Join(dir, "web"), filepath.Join(dir, "web", "Dockerfile"), filepath.Join(dir, "web", "deep"), filepath.Join(dir, "web", "deep", "x"), filepath.Join(dir, "web", "up"), filepath.Join(dir, "web", "w")}
	if err != nil || !reflect.DeepEqual(walked, want) {
		t.Errorf("WalkDir: got %q, %v; want %q", walked, err, want)
	}
}

// The index view reads what is staged: not the work tree's unstaged edits, not untracked files.
func TestIndexReadsWhatIsStaged(t *testing.T) {
	dir := fixture(t)
	write(t, dir, "a/b.txt", "staged\n", "new.txt", "staged too\n")
	git(t, dir, "add", "a/b.txt", "new.txt")
	write(t, dir, "a/b.txt", "unstaged\n", "untracked.txt", "u\n")
	x, err := NewIndex(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if b, err := x.ReadFile("a/b.txt"); err != nil || string(b) != "staged\n" {
		t.Errorf("a/b.txt: got %q, %v; want the staged content", b, err)
	}
	if b, err := x.ReadFile("new.txt"); err != nil || string(b) != "staged too\n" {
		t.Errorf("new.txt: got %q, %v", b, err)
	}
	if _, err := x.Stat("untracked.txt"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("untracked.txt: got %v, want ErrNotExist", err)
	}
	if id, ok := x.BlobID("a/b.txt"); !ok || id != git(t, dir, "rev-parse", ":a/b.txt") {
		t.Errorf("BlobID(a/b.txt): got %q, %v; want the staged blob", id, ok)
	}
}

// A sparse work tree read from the index keeps its walk's listing like a Dir: a warm listing is the
// cold one, and follows the disk.
func TestWorkTreeListCache(t *testing.T) {
	dir := clone(t, fixture(t))
	git(t, dir, "sparse-checkout", "set", "--cone", "a")
	file := filepath.Join(t.TempDir(), "listing")
	list := func() []string {
		t.Helper()
		w, err := NewWorkTree(context.Background(), dir, WithIndexRecords(indexRecords(dir)), WithListCache(file, ""))
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		w.listNow = func() time.Time { return time.Now().Add(time.Hour) } // no directory is racy
		l, err := w.List(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	viaGit := workTrees(t, dir)["git"]
	want, err := viaGit.List(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := list(); !reflect.DeepEqual(got, want) {
		t.Fatalf("cold: %q, want %q", got, want)
	}
	if _, err := os.Stat(file); err != nil {
		t.Fatalf("no listing written: %v", err)
	}
	if got := list(); !reflect.DeepEqual(got, want) {
		t.Errorf("warm: %q, want %q", got, want)
	}
	// A directory changed since is read again (its stat data differ from the record's).
	write(t, dir, "a/c/new.txt", "n\n")
	if got := list(); !slices.Contains(got, "a/c/new.txt") {
		t.Errorf("after a new file: %q", got)
	}
}
