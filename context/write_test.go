package buildctx_test

import (
	"archive/tar"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	buildctx "github.com/monoctx/monoctx/context"
)

// repo builds a small monorepo and returns a Source for apps/web with the whole repo as context.
func repo(t *testing.T) (string, buildctx.Source) {
	t.Helper()
	root := t.TempDir()
	tree(t, root, map[string]string{
		"apps/web/Dockerfile":         "FROM scratch\nCOPY . /ctx/\n",
		"apps/web/main.go":            "package main\n",
		"apps/web/node_modules/x.js":  "x",
		"apps/api/main.go":            "package main\n",
		"libs/ui/button.ts":           "export {}\n",
		"libs/ui/empty/":              "/",
		"libs/b-c":                    "sorts before libs/b/ in byte order of whole paths",
		"libs/b/x":                    "x",
		"README.md":                   "readme\n",
		".dockerignore":               "**/node_modules\n",
		"apps/web/Dockerfile.ignored": "",
	})
	return root, buildctx.Source{
		Root:       root,
		Dir:        root,
		Roots:      []string{"apps/web", "libs"},
		Exclude:    func(rel string, _ bool) bool { return path.Base(rel) == "node_modules" },
		Dockerfile: filepath.Join(root, "apps/web/Dockerfile"),
		IgnoreFile: filepath.Join(root, ".dockerignore"),
	}
}

func TestWriteStoresOnlyTheRoots(t *testing.T) {
	_, src := repo(t)
	entries, stats := checkContext(t, src)
	got := entryNames(entries)
	want := []string{
		".dockerignore",
		"apps/",
		"apps/web/",
		"apps/web/Dockerfile",
		"apps/web/Dockerfile.ignored",
		"apps/web/main.go",
		"libs/",
		"libs/b/",
		"libs/b/x",
		"libs/b-c",
		"libs/ui/",
		"libs/ui/button.ts",
		"libs/ui/empty/",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("entries:\n got %q\nwant %q", got, want)
	}
	if stats.DockerfileInTar != "apps/web/Dockerfile" {
		t.Errorf("DockerfileInTar = %q, want %q", stats.DockerfileInTar, "apps/web/Dockerfile")
	}
}

func TestWriteStoresTheDockerfileEvenWhenExcluded(t *testing.T) {
	_, src := repo(t)
	src.Roots = []string{"libs/ui"}
	src.Exclude = func(rel string, _ bool) bool { return rel == "apps" || rel == ".dockerignore" }
	entries, _ := checkContext(t, src)
	m := byName(entries)
	for _, p := range []string{"apps/web/Dockerfile", ".dockerignore", "libs/ui/button.ts"} {
		if _, ok := m[p]; !ok {
			t.Errorf("%q missing; entries %q", p, entryNames(entries))
		}
	}
	if _, ok := m["apps/web/main.go"]; ok {
		t.Errorf("apps/web/main.go stored although apps is excluded")
	}
}

func TestWriteDescendsExcludedDirectoryWithExceptions(t *testing.T) {
	root := t.TempDir()
	tree(t, root, map[string]string{
		"Dockerfile":                "FROM scratch\n",
		"node_modules/keep/k.js":    "k",
		"node_modules/drop/d.js":    "d",
		"node_modules/other/empty/": "/",
	})
	src := buildctx.Source{
		Root: root, Dir: root, Roots: []string{"."},
		Dockerfile: filepath.Join(root, "Dockerfile"),
		Exclude: func(rel string, _ bool) bool {
			return rel == "node_modules" || (strings.HasPrefix(rel, "node_modules/") && !strings.HasPrefix(rel, "node_modules/keep"))
		},
		CanDescend: func(rel string) bool { return rel == "node_modules" },
	}
	entries, _ := checkContext(t, src)
	want := []string{"Dockerfile", "node_modules/", "node_modules/keep/", "node_modules/keep/k.js"}
	if got := entryNames(entries); !reflect.DeepEqual(got, want) {
		t.Errorf("entries:\n got %q\nwant %q", got, want)
	}
}

func TestWriteIncludeFilter(t *testing.T) {
	root := t.TempDir()
	tree(t, root, map[string]string{
		"Dockerfile":            "FROM scratch\n",
		"apps/a/package.json":   "{}",
		"apps/a/src/index.js":   "",
		"apps/b/package.json":   "{}",
		"apps/b/node_modules/x": "",
	})
	src := buildctx.Source{
		Root: root, Dir: root, Roots: []string{"apps"},
		Dockerfile: filepath.Join(root, "Dockerfile"),
		Include: func(rel string, isDir bool) bool {
			if isDir {
				return strings.Count(rel, "/") < 2 // apps, apps/*
			}
			ok, _ := path.Match("apps/*/package.json", rel)
			return ok
		},
	}
	entries, _ := checkContext(t, src)
	want := []string{"Dockerfile", "apps/", "apps/a/", "apps/a/package.json", "apps/b/", "apps/b/package.json"}
	if got := entryNames(entries); !reflect.DeepEqual(got, want) {
		t.Errorf("entries:\n got %q\nwant %q", got, want)
	}
}

func TestWriteHeaders(t *testing.T) {
	root, src := repo(t)
	if err := os.Chmod(filepath.Join(root, "apps/web/main.go"), 0o750); err != nil {
		t.Fatal(err)
	}
	mtime := time.Date(2021, 3, 4, 5, 6, 7, 891_000_000, time.UTC)
	if err := os.Chtimes(filepath.Join(root, "apps/web/main.go"), mtime, mtime); err != nil {
		t.Fatal(err)
	}
	entries, _ := checkContext(t, src)
	h := byName(entries)["apps/web/main.go"].Hdr
	if h.Mode != 0o750 {
		t.Errorf("mode = %o, want 750", h.Mode)
	}
	if want := mtime.Truncate(time.Second); !h.ModTime.Equal(want) {
		t.Errorf("mtime = %v, want %v", h.ModTime, want)
	}
	if h.Typeflag != tar.TypeReg || string(byName(entries)["apps/web/main.go"].Content) != "package main\n" {
		t.Errorf("apps/web/main.go: type %c content %q", h.Typeflag, byName(entries)["apps/web/main.go"].Content)
	}
}

func TestWriteMtimeOptions(t *testing.T) {
	_, src := repo(t)
	epoch, err := buildctx.SourceDateEpoch(func(k string) string {
		if k == "SOURCE_DATE_EPOCH" {
			return "1700000000"
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	zero := time.Unix(0, 0)
	for _, tc := range []struct {
		name string
		t    *time.Time
		want time.Time
	}{
		{"zero", &zero, zero},
		{"SOURCE_DATE_EPOCH", epoch, time.Unix(1700000000, 0)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			entries, _ := checkContext(t, src, buildctx.WithMtime(tc.t))
			for _, e := range entries {
				if !e.Hdr.ModTime.Equal(tc.want) {
					t.Errorf("%q: mtime %v, want %v", e.Hdr.Name, e.Hdr.ModTime, tc.want)
				}
			}
		})
	}
	if got, err := buildctx.SourceDateEpoch(func(string) string { return "" }); got != nil || err != nil {
		t.Errorf("unset SOURCE_DATE_EPOCH = %v, %v; want nil, nil", got, err)
	}
	if _, err := buildctx.SourceDateEpoch(func(string) string { return "yesterday" }); err == nil {
		t.Errorf("SOURCE_DATE_EPOCH=yesterday: no error")
	}
}

func TestWriteIsIndependentOfTouchWithFixedMtime(t *testing.T) {
	root, src := repo(t)
	zero := time.Unix(0, 0)
	var a, b bytes.Buffer
	if _, err := buildctx.Write(context.Background(), &a, src, buildctx.WithMtime(&zero)); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(filepath.Join(root, "libs/ui/button.ts"), later, later); err != nil {
		t.Fatal(err)
	}
	if _, err := buildctx.Write(context.Background(), &b, src, buildctx.WithMtime(&zero)); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Errorf("touching a file changed a tar written with a fixed mtime")
	}
}

func TestWriteGzip(t *testing.T) {
	_, src := repo(t)
	entries, stats := checkContext(t, src, buildctx.WithGzip())
	if len(entries) == 0 || stats.Written == 0 {
		t.Fatalf("empty gzip context")
	}
}

func TestWriteSymlinks(t *testing.T) {
	root := t.TempDir()
	tree(t, root, map[string]string{
		"Dockerfile":      "FROM scratch\n",
		"app/in":          "->../lib/x",
		"app/out":         "->../../etc/passwd",
		"app/abs":         "->/etc/passwd",
		"app/loop":        "->loop",
		"app/dangling":    "->nowhere",
		"lib/x":           "x",
		"app/shared":      "->../lib",
		"secret/password": "hunter2",
	})
	src := buildctx.Source{Root: root, Dir: root, Roots: []string{"app", "app/shared/x"}, Dockerfile: filepath.Join(root, "Dockerfile")}
	entries, stats := checkContext(t, src)
	m := byName(entries)
	for name, target := range map[string]string{"app/in": "../lib/x", "app/out": "../../etc/passwd", "app/abs": "/etc/passwd", "app/loop": "loop", "app/dangling": "nowhere", "app/shared": "../lib"} {
		e, ok := m[name]
		if !ok || e.Hdr.Typeflag != tar.TypeSymlink || e.Hdr.Linkname != target {
			t.Errorf("%q: got %+v, want a symlink to %q", name, e.Hdr, target)
		}
	}
	for _, p := range []string{"lib/x", "secret/password", "app/shared/x"} {
		if _, ok := m[p]; ok {
			t.Errorf("%q stored: symlinks must not be followed", p)
		}
	}
	warned := strings.Join(stats.Warnings, "\n")
	for _, w := range []string{"app/out:", "app/abs:", "app/shared:"} {
		if !strings.Contains(warned, w) {
			t.Errorf("no warning for %s; warnings:\n%s", w, warned)
		}
	}
	for _, w := range []string{"app/in:", "app/loop:", "app/dangling:"} {
		if strings.Contains(warned, w) {
			t.Errorf("unexpected warning for %s; warnings:\n%s", w, warned)
		}
	}
}

func TestWriteHardLinks(t *testing.T) {
	root := t.TempDir()
	tree(t, root, map[string]string{"Dockerfile": "FROM scratch\n", "b/first": "same inode"})
	if err := os.Link(filepath.Join(root, "b/first"), filepath.Join(root, "a-second")); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(filepath.Join(root, "b/first"), filepath.Join(root, "c")); err != nil {
		t.Fatal(err)
	}
	src := buildctx.Source{Root: root, Dir: root, Roots: []string{"."}, Dockerfile: filepath.Join(root, "Dockerfile")}
	entries, _ := checkContext(t, src)
	m := byName(entries)
	if h := m["a-second"].Hdr; h.Typeflag != tar.TypeReg || string(m["a-second"].Content) != "same inode" {
		t.Errorf("first path in walk order: got type %c, content %q; want a regular file", h.Typeflag, m["a-second"].Content)
	}
	for _, p := range []string{"b/first", "c"} {
		if h := m[p].Hdr; h.Typeflag != tar.TypeLink || h.Linkname != "a-second" {
			t.Errorf("%q: type %c link %q, want a hard link to a-second", p, h.Typeflag, h.Linkname)
		}
	}
}

func TestWriteUnusualNames(t *testing.T) {
	root := t.TempDir()
	long := strings.Repeat("d", 120) + "/" + strings.Repeat("f", 150)
	names := []string{"with space", "new\nline", "tab\there", "invalid-\xff\xfe-utf8", "ünïcödé", long, "x/#hash", "x/-dash", "x/*star?[]"}
	files := map[string]string{"Dockerfile": "FROM scratch\n"}
	for _, n := range names {
		files[n] = "content of " + n
	}
	tree(t, root, files)
	src := buildctx.Source{Root: root, Dir: root, Roots: []string{"."}, Dockerfile: filepath.Join(root, "Dockerfile")}
	entries, _ := checkContext(t, src)
	m := byName(entries)
	for _, n := range names {
		e, ok := m[n]
		if !ok {
			t.Errorf("%q missing; entries %q", n, entryNames(entries))
			continue
		}
		if string(e.Content) != "content of "+n {
			t.Errorf("%q: content %q", n, e.Content)
		}
	}
	if m[long].Hdr.Format&tar.FormatPAX == 0 && m[long].Hdr.Format&tar.FormatGNU == 0 {
		t.Errorf("long name stored as %v, want PAX", m[long].Hdr.Format)
	}
}

func TestWriteSkipsSpecialFilesWithWarning(t *testing.T) {
	root := t.TempDir()
	tree(t, root, map[string]string{"Dockerfile": "FROM scratch\n", "a": "a"})
	if err := syscall.Mkfifo(filepath.Join(root, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	src := buildctx.Source{Root: root, Dir: root, Roots: []string{"."}, Dockerfile: filepath.Join(root, "Dockerfile")}
	entries, stats := checkContext(t, src)
	if _, ok := byName(entries)["fifo"]; ok {
		t.Errorf("fifo stored")
	}
	if !strings.Contains(strings.Join(stats.Warnings, "\n"), "fifo: skipped named pipe") {
		t.Errorf("warnings %q, want one for the fifo", stats.Warnings)
	}
}

func TestWriteDockerfileOutsideContext(t *testing.T) {
	root := t.TempDir()
	tree(t, root, map[string]string{
		"docker/web.Dockerfile": "FROM scratch\nCOPY . /ctx/\n",
		"app/main.go":           "package main\n",
	})
	src := buildctx.Source{Root: root, Dir: filepath.Join(root, "app"), Roots: []string{"."}, Dockerfile: filepath.Join(root, "docker/web.Dockerfile")}
	entries, stats := checkContext(t, src)
	if !regexp.MustCompile(`^\.dockerfile\.[0-9a-f]{20}$`).MatchString(stats.DockerfileInTar) {
		t.Fatalf("DockerfileInTar = %q, want .dockerfile.<20 hex>", stats.DockerfileInTar)
	}
	m := byName(entries)
	df := m[stats.DockerfileInTar]
	if df.Hdr.Mode != 0o600 || string(df.Content) != "FROM scratch\nCOPY . /ctx/\n" {
		t.Errorf("%s: mode %o content %q", stats.DockerfileInTar, df.Hdr.Mode, df.Content)
	}
	if got, want := string(m[".dockerignore"].Content), ".dockerignore\n"+stats.DockerfileInTar+"\n"; got != want {
		t.Errorf(".dockerignore = %q, want %q", got, want)
	}

	// An existing .dockerignore gets the name appended.
	tree(t, root, map[string]string{"app/.dockerignore": "secret"})
	entries, stats = checkContext(t, src)
	if got, want := string(byName(entries)[".dockerignore"].Content), "secret\n"+stats.DockerfileInTar+"\n"; got != want {
		t.Errorf(".dockerignore = %q, want %q", got, want)
	}
}

func TestWriteErrors(t *testing.T) {
	root, src := repo(t)
	outside := t.TempDir()
	tree(t, outside, map[string]string{"Dockerfile": "FROM scratch\n"})
	for _, tc := range []struct {
		name string
		edit func(*buildctx.Source)
		want string
	}{
		{"missing root", func(s *buildctx.Source) { s.Roots = []string{"libs/nope"} }, `context path "libs/nope" does not exist`},
		{"root below a file", func(s *buildctx.Source) { s.Roots = []string{"README.md/x"} }, `context path "README.md/x" does not exist`},
		{"root leaves the context", func(s *buildctx.Source) { s.Roots = []string{"../x"} }, `leaves the context directory`},
		{"absolute root", func(s *buildctx.Source) { s.Roots = []string{"/etc"} }, `is absolute`},
		{"dir outside root", func(s *buildctx.Source) { s.Dir = outside }, `is outside the repository root`},
		{"dockerfile outside root", func(s *buildctx.Source) { s.Dockerfile = filepath.Join(outside, "Dockerfile") }, `is outside the repository root`},
		{"missing dockerfile", func(s *buildctx.Source) { s.Dockerfile = filepath.Join(root, "nope") }, `does not exist`},
		{"missing repository root", func(s *buildctx.Source) { s.Root = filepath.Join(root, "gone"); s.Dir = s.Root }, `does not exist`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := src
			tc.edit(&s)
			var buf bytes.Buffer
			_, err := buildctx.Write(context.Background(), &buf, s)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Write error = %v, want one containing %q", err, tc.want)
			}
			if buf.Len() != 0 {
				t.Errorf("%d bytes written before the error", buf.Len())
			}
		})
	}
}

func TestWriteCancelled(t *testing.T) {
	_, src := repo(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := buildctx.Write(ctx, &bytes.Buffer{}, src); err == nil {
		t.Fatalf("Write with a cancelled context succeeded")
	}
}

// TestWriteUnreadableFileNamesThePath needs a file the writer cannot open. root can open a 0000
// file, so as root the walk runs in a child process with the credentials of nobody.
func TestWriteUnreadableFileNamesThePath(t *testing.T) {
	if os.Getenv("BUILDCTX_UNREADABLE_CHILD") != "" {
		dir := os.Getenv("BUILDCTX_UNREADABLE_CHILD")
		src := buildctx.Source{Root: dir, Dir: dir, Roots: []string{"."}, Dockerfile: filepath.Join(dir, "Dockerfile")}
		_, err := buildctx.Write(context.Background(), &bytes.Buffer{}, src)
		if err == nil {
			t.Fatal("no error")
		}
		t.Logf("ERROR=%v", err)
		return
	}
	dir, err := os.MkdirTemp("", "buildctx-unreadable")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := os.RemoveAll(dir); err != nil {
			t.Error(err)
		}
	})
	tree(t, dir, map[string]string{"Dockerfile": "FROM scratch\n", "a/secret key": "s"})
	for _, p := range []string{dir, filepath.Join(dir, "a")} {
		if err := os.Chmod(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(filepath.Join(dir, "a/secret key"), 0); err != nil {
		t.Fatal(err)
	}
	want := `reading "a/secret key": open`
	if os.Geteuid() != 0 {
		src := buildctx.Source{Root: dir, Dir: dir, Roots: []string{"."}, Dockerfile: filepath.Join(dir, "Dockerfile")}
		_, err := buildctx.Write(context.Background(), &bytes.Buffer{}, src)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("error = %v, want one containing %q", err, want)
		}
		return
	}
	if runtime.GOOS != "linux" {
		t.Skip("dropping privileges in a child process is only wired up on Linux")
	}
	// Copy the test binary where nobody can execute it.
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "child.test")
	data, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-test.run=^TestWriteUnreadableFileNamesThePath$", "-test.v")
	cmd.Env = append(os.Environ(), "BUILDCTX_UNREADABLE_CHILD="+dir)
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child as nobody: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), want) || !strings.Contains(string(out), "permission denied") {
		t.Fatalf("child output does not contain %q and permission denied:\n%s", want, out)
	}
}
