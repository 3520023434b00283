package packaging

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"debug/elf"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

const testVersion = "v0.0.0-test"

// headStamp is the commit scripts/release stamps: HEAD, -dirty while tracked files are modified.
func headStamp(t *testing.T) (commit string, epoch int64) {
	t.Helper()
	commit = strings.TrimSpace(mustRun(t, root, nil, "git", "rev-parse", "HEAD"))
	if strings.TrimSpace(mustRun(t, root, nil, "git", "status", "--porcelain", "--untracked-files=no")) != "" {
		commit += "-dirty"
	}
	epoch, err := strconv.ParseInt(strings.TrimSpace(mustRun(t, root, nil, "git", "log", "-1", "--format=%ct")), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return commit, epoch
}

// TestReleaseArchivesAreReproducibleStaticAndComplete builds the release twice: the same bytes,
// checksums that `sha256sum -c` accepts, archives holding the binary, LICENSE and README.md with
// fixed owners, modes and mtimes, and a static binary stamped with the version and commit.
func TestReleaseArchivesAreReproducibleStaticAndComplete(t *testing.T) {
	goos, goarch := hostPlatform(t)
	need(t, "zip", false, "apt-get install zip")
	first := filepath.Join(sharedRelease(t), testVersion)
	second := filepath.Join(t.TempDir(), "dist")
	if err := runRelease(goos, goarch, second); err != nil {
		t.Fatalf("scripts/release: %v", err)
	}

	tgz := "monoctx_" + testVersion + "_" + goos + "_" + goarch + ".tar.gz"
	zipName := "monoctx_" + testVersion + "_windows_amd64.zip"
	sums := "monoctx_" + testVersion + "_checksums.txt"
	for _, dir := range []string{first, second} {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		if want := []string{sums, tgz, zipName}; !slices.Equal(names, want) {
			t.Fatalf("release wrote %q, want %q", names, want)
		}
	}
	for _, name := range []string{tgz, zipName, sums} {
		a, b := readFile(t, filepath.Join(first, name)), readFile(t, filepath.Join(second, name))
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs between two releases of the same commit", name)
			if strings.HasSuffix(name, ".txt") {
				t.Logf("first:\n%s\nsecond:\n%s", a, b)
			}
		}
	}
	if out, err := run(t, first, nil, "sha256sum", "-c", sums); err != nil {
		t.Fatalf("sha256sum -c %s: %v", sums, err)
	} else if !strings.Contains(out, tgz+": OK") || !strings.Contains(out, zipName+": OK") {
		t.Errorf("sha256sum -c checked:\n%s\nwant both archives OK", out)
	}

	commit, epoch := headStamp(t)
	license := readFile(t, filepath.Join(root, "LICENSE"))
	readme := readFile(t, filepath.Join(root, "README.md"))

	// The tar.gz: no name or time in the gzip header, entries in a fixed order, owned by 0:0.
	f, err := os.Open(filepath.Join(first, tgz))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	if zr.Name != "" || !zr.ModTime.IsZero() {
		t.Errorf("gzip header has name %q and time %v, want neither", zr.Name, zr.ModTime)
	}
	files := map[string][]byte{}
	var order []string
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		order = append(order, h.Name)
		files[h.Name] = data
		wantMode := int64(0o644)
		if h.Name == "monoctx" {
			wantMode = 0o755
		}
		if h.Uid != 0 || h.Gid != 0 || h.Uname != "" || h.Gname != "" || h.Mode != wantMode || h.ModTime.Unix() != epoch {
			t.Errorf("%s: uid %d gid %d uname %q gname %q mode %o mtime %d, want 0 0 \"\" \"\" %o %d",
				h.Name, h.Uid, h.Gid, h.Uname, h.Gname, h.Mode, h.ModTime.Unix(), wantMode, epoch)
		}
	}
	if want := []string{"monoctx", "LICENSE", "README.md"}; !slices.Equal(order, want) {
		t.Fatalf("%s holds %q, want %q", tgz, order, want)
	}
	if !bytes.Equal(files["LICENSE"], license) || !bytes.Equal(files["README.md"], readme) {
		t.Errorf("%s: LICENSE or README.md is not the repository's", tgz)
	}

	bin := filepath.Join(t.TempDir(), "monoctx")
	if err := os.WriteFile(bin, files["monoctx"], 0o755); err != nil {
		t.Fatal(err)
	}
	if goos == "linux" {
		assertStatic(t, bin)
	}
	want := "monoctx " + testVersion + "\ncommit: " + commit + "\n"
	if got := mustRun(t, root, nil, bin, "version"); !strings.HasPrefix(got, want) {
		t.Errorf("monoctx version printed %q, want it to start with %q", got, want)
	}

	// The zip: the same three entries, the commit's time (DOS times have 2-second steps, and zip rounds
	// an odd second up), no extra fields.
	zf, err := zip.OpenReader(filepath.Join(first, zipName))
	if err != nil {
		t.Fatal(err)
	}
	defer zf.Close()
	var zipOrder []string
	for _, e := range zf.File {
		zipOrder = append(zipOrder, e.Name)
		if len(e.Extra) != 0 {
			t.Errorf("%s: %s has extra fields %x (uid/gid or timestamps vary by machine)", zipName, e.Name, e.Extra)
		}
		if got, want := e.Modified.UTC(), time.Unix(epoch+epoch%2, 0).UTC(); !got.Equal(want) {
			t.Errorf("%s: %s modified %v, want %v", zipName, e.Name, got, want)
		}
	}
	if want := []string{"monoctx.exe", "LICENSE", "README.md"}; !slices.Equal(zipOrder, want) {
		t.Errorf("%s holds %q, want %q", zipName, zipOrder, want)
	}
}

// TestReleaseRefusesAVersionThatIsNotSemverAndWritesNothing.
func TestReleaseRefusesAVersionThatIsNotSemverAndWritesNothing(t *testing.T) {
	hostPlatform(t)
	out := filepath.Join(t.TempDir(), "dist")
	for _, v := range []string{"dev", "1.2.3", "v1.2", "v1.2.3 x"} {
		_, err := run(t, root, nil, "scripts/release", v, out)
		if err == nil || !strings.Contains(err.Error(), "is not a release version; run make release VERSION=vX.Y.Z") {
			t.Errorf("release %q: got %v, want the error that names the fix", v, err)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a refused release created %s", out)
	}
}

// TestMakeBuildIsStaticAndStamped: `make build` links no C library and stamps VERSION and the commit.
func TestMakeBuildIsStaticAndStamped(t *testing.T) {
	goos, _ := hostPlatform(t)
	need(t, "make", false, "apt-get install make")
	bin := filepath.Join(t.TempDir(), "monoctx")
	mustRun(t, root, nil, "make", "--no-print-directory", "build", "BIN="+bin, "VERSION=v9.8.7-dev")
	if goos == "linux" {
		assertStatic(t, bin)
	}
	commit, _ := headStamp(t)
	want := "monoctx v9.8.7-dev\ncommit: " + commit + "\n"
	if got := mustRun(t, root, nil, bin, "version"); !strings.HasPrefix(got, want) {
		t.Errorf("monoctx version printed %q, want it to start with %q", got, want)
	}
}

// assertStatic fails unless the ELF binary has no interpreter and needs no shared library.
func assertStatic(t *testing.T, bin string) {
	t.Helper()
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("%s is dynamically linked (program header %v)", bin, p.Type)
		}
	}
	if libs, err := f.ImportedLibraries(); err == nil && len(libs) > 0 {
		t.Errorf("%s needs shared libraries %q", bin, libs)
	}
}

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
